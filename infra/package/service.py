"""InferenceService: the whole stack as one component, composed by infra/stack.py from args that infra/config/
validates.

No `from __future__ import annotations` here: the schema analyzer reads the annotations of `__init__` and of the
outputs at run time.
"""

import inspect
import types
import typing
from pathlib import Path
from typing import Any

import pulumi
from pulumi.provider.experimental.util import camel_case

from infra.config import NAMESPACE, StackConfig, load_stack_config
from infra.package.args import InferenceServiceArgs
from infra.stack import build_stack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The args the stack file has outside the `inference:` namespace.
PLACEMENT_KEYS = {"project": "gcp:project", "region": "gcp:region"}


class InferenceService(pulumi.ComponentResource):
    """The stack a Pulumi.<stack>.yaml describes, as one component; its name stands in for the stack's name."""

    image_ref: pulumi.Output[str]
    """The deployed image, by digest."""
    database_connection_name: pulumi.Output[str]
    """The Cloud SQL instance's connection name (project:region:instance)."""
    redis_host: pulumi.Output[str]
    """The Memorystore instance's private IP."""
    secret_ids: pulumi.Output[dict[str, str]]
    """Secret Manager secret ids by role: db-password, api-key, admin-api-key, redis-auth."""
    service_url: pulumi.Output[str] | None
    """Cloud Run: the service's URL."""
    entry_url: pulumi.Output[str] | None
    """With an entry point: https://<entry.domain>."""
    entry_ip: pulumi.Output[str] | None
    """With an entry point: the load balancer's global IP address."""
    entry_dns_record: pulumi.Output[dict[str, typing.Any]] | None
    """With an entry point and no entry.dnsZone: the A record to create for entry.domain."""
    cluster_name: pulumi.Output[str] | None
    """GKE: the cluster's name."""
    control_plane_endpoint: pulumi.Output[str] | None
    """GKE: the endpoint kubectl and the Kubernetes provider reach the control plane at."""
    kubeconfig: pulumi.Output[str] | None
    """GKE: a kubeconfig for the cluster (secret)."""
    namespace: pulumi.Output[str] | None
    """GKE: the Kubernetes namespace of the workload."""
    service_name: pulumi.Output[str] | None
    """GKE: the Kubernetes Service in front of the pods."""
    dashboard_id: pulumi.Output[str] | None
    """With operations enabled: the Cloud Monitoring dashboard's id."""

    def __init__(self, name: str, args: InferenceServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        stack_config = stack_config_from_args(name, args)
        super().__init__(f"{NAMESPACE}:index:InferenceService", name, None, opts)
        outputs = build_stack(stack_config, parent=self)
        for output_name in inspect.get_annotations(InferenceService):
            value = outputs.get(output_name)
            setattr(self, output_name, None if value is None else pulumi.Output.from_input(value))
        self.register_outputs(outputs)


def stack_config_from_args(name: str, args: InferenceServiceArgs) -> StackConfig:
    """The StackConfig a stack file named `name` with these values would give: the same validation, defaults and
    messages (ConfigError) as `pulumi up` of a stack. gcp:project and gcp:region come from the args, else from the
    consumer's stack config."""
    gcp = pulumi.Config("gcp")
    raw: dict[str, Any] = {}
    for arg, key in PLACEMENT_KEYS.items():
        value = args.get(arg) or gcp.get(key.split(":", 1)[1])
        if value is not None:
            raw[key] = value
    hints = typing.get_type_hints(InferenceServiceArgs)
    for arg, value in args.items():
        if arg not in PLACEMENT_KEYS:
            raw[f"{NAMESPACE}:{arg}"] = stack_file_keys(value, hints[arg])
    return load_stack_config(raw, stack_file=f"InferenceService {name}", stack=name, project_dir=PROJECT_ROOT)


def stack_file_keys(value: Any, annotation: Any) -> Any:
    """A value as the provider hands it (keys in Python's snake_case) with the keys a stack file writes (camelCase,
    as the analyzer named them in the schema), so that pydantic judges, and names in its messages, the keys a stack
    file has. Free-form mappings (labels) keep their keys."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return stack_file_keys(value, inner)
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(annotation)
        return [stack_file_keys(element, item) for element in value]
    if typing.is_typeddict(annotation) and isinstance(value, dict):
        hints = typing.get_type_hints(annotation)
        return {camel_case(key): stack_file_keys(element, hints.get(key)) for key, element in value.items()}
    return value
