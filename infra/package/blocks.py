"""The building blocks: the components whose Args a schema can express, each behind a thin component of the
package's own type (`inference:index:<Name>`) that turns its args into the component's Args and registers the
component, under the same name, as its only child. Its outputs are the component's, by the same names.

Not exposed, because their Args hold what only Python code can build: CloudRunService and KubernetesWorkload take
an AppRuntime (the image, and each secret as its Secret Manager id, pinned version and value together, from which
the workload's identity gets its secretAccessor bindings); KubernetesWorkload and CustomMetricsAdapter take the
cluster's Kubernetes provider object. InferenceService composes all three.

No `from __future__ import annotations` here: the schema analyzer reads the annotations at run time.
"""

import collections.abc
import dataclasses
import inspect
import types
import typing
from typing import Any

import pulumi
import pulumi_gcp

from components import apis, cache, database, entry, gke, image, network, operations, secrets
from infra.package import PACKAGE_NAME, block_args


def args_of(args_type: type[Any], given: typing.Mapping[str, Any]) -> Any:
    """The component's Args dataclass from the provider's args (the same field names), nested Args included; the
    dataclass checks its fields as it does for the composition."""
    hints = typing.get_type_hints(args_type, localns={"Output": pulumi.Output, "T": Any})
    values = {}
    for field in dataclasses.fields(args_type):
        if field.name in given:
            values[field.name] = _typed(given[field.name], hints[field.name])
    return args_type(**values)


def _typed(value: Any, annotation: Any) -> Any:
    """A value as its annotation types it. Numbers cross the wire as floats, and the SDK's provider hands an
    integer input over as the float it received, so a 20.0 for an `int` becomes 20 here."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return args_of(annotation, value)
    if annotation is int and isinstance(value, float) and value.is_integer():
        return int(value)
    origin, members = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (dict, typing.Mapping, collections.abc.Mapping) and isinstance(value, dict):
        return {key: _typed(item, members[1]) for key, item in value.items()}
    if origin in (list, typing.Sequence, collections.abc.Sequence) and isinstance(value, list):
        return [_typed(item, members[0]) for item in value]
    if origin in (typing.Union, types.UnionType):
        optional = [member for member in members if member is not type(None)]
        return _typed(value, optional[0]) if len(optional) == 1 else value
    return value


class _Block(pulumi.ComponentResource):
    # Private: the analyzer takes every other annotated attribute for an output.
    _component: typing.ClassVar[Any]
    _args_type: typing.ClassVar[Any]

    def _compose(self, name: str, args: typing.Mapping[str, Any], opts: pulumi.ResourceOptions | None) -> None:
        component_args = args_of(self._args_type, args)  # refused args register nothing
        super().__init__(f"{PACKAGE_NAME}:index:{type(self).__name__}", name, None, opts)
        built = self._component(name, component_args, opts=pulumi.ResourceOptions(parent=self))
        outputs = {}
        for output_name in inspect.get_annotations(type(self)):
            value = getattr(built, output_name)
            outputs[output_name] = value if isinstance(value, pulumi.Resource) else pulumi.Output.from_input(value)
            setattr(self, output_name, outputs[output_name])
        self.register_outputs(outputs)


class ProjectApis(_Block):
    """Enables Google Cloud APIs; depend on it to create resources only once their API is on."""

    _component = apis.ProjectApis
    _args_type = apis.ProjectApisArgs

    def __init__(self, name: str, args: block_args.ProjectApisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self._compose(name, args, opts)


class Network(_Block):
    """A custom-mode VPC with Private Google Access, a private services access connection and optional Cloud NAT."""

    _component = network.Network
    _args_type = network.NetworkArgs

    network_id: pulumi.Output[str]
    """The VPC's id, for the resources attached to it."""
    network_self_link: pulumi.Output[str]
    subnet_id: pulumi.Output[str]
    subnet_self_link: pulumi.Output[str]
    private_services_connection: pulumi_gcp.servicenetworking.Connection
    """The private services access connection; resources with a private IP (Cloud SQL, Memorystore) wait for it."""

    def __init__(self, name: str, args: block_args.NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self._compose(name, args, opts)


class Secrets(_Block):
    """Secrets generated with pulumi-random and kept in Secret Manager; their values never leave as outputs."""

    _component = secrets.Secrets
    _args_type = secrets.SecretsArgs

    secret_ids: pulumi.Output[dict[str, str]]
    """Short name → the secret's id (`projects/<p>/secrets/<id>`), for IAM bindings and references."""
    versions: pulumi.Output[dict[str, str]]
    """Short name → the number of the version holding the value."""

    def __init__(self, name: str, args: block_args.SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self._compose(name, args, opts)


class RedisCache(_Block):
    """A private Memorystore for Redis instance reachable only over TLS with AUTH, its AUTH string in Secret
    Manager."""

    _component = cache.RedisCache
    _args_type = cache.RedisCacheArgs

    host: pulumi.Output[str]
    port: pulumi.Output[int]
    instance_id: pulumi.Output[str]
    """`projects/<p>/locations/<r>/instances/<name>`, the id its Cloud Monitoring metrics carry."""
    ca_certificate: pulumi.Output[str]
    """PEM of the instance's server CA, which TLS clients must trust."""
    auth_secret_id: pulumi.Output[str]
    """The id of the Secret Manager secret that holds the AUTH string."""

    def __init__(self, name: str, args: block_args.RedisCacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self._compose(name, args, opts)


class PostgresDatabase(_Block):
    """Cloud SQL for PostgreSQL on a private IP only, with the CIS logging flags, one database and its user."""

    _component = database.PostgresDatabase
    _args_type = database.PostgresDatabaseArgs

    connection_name: pulumi.Output[str]
    """project:region:instance."""
    private_ip: pulumi.Output[str]
    database_name: pulumi.Output[str]
    user_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: block_args.PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        self._compose(name, args, opts)


class ContainerImage(_Block):
    """The app's image: an Artifact Registry repository and the image built from this repository's `context`
    (relative to its root) and pushed, or a prebuilt reference deployed as is."""

    _component = image.ContainerImage
    _args_type = image.ContainerImageArgs

    image_ref: pulumi.Output[str]
    """The image, pinned by digest."""
    repository_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: block_args.ContainerImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        self._compose(name, args, opts)


class GkeCluster(_Block):
    """A private, VPC-native GKE Standard cluster with Workload Identity, a system pool and an autoscaled GPU pool.
    Build a Kubernetes provider from `kubeconfig` for objects in it."""

    _component = gke.GkeCluster
    _args_type = gke.GkeClusterArgs

    cluster: pulumi_gcp.container.Cluster
    """The cluster itself, for what must wait for it."""
    cluster_name: pulumi.Output[str]
    control_plane_endpoint: pulumi.Output[str]
    """The host the kubeconfig talks to: the DNS endpoint, or the public IP with `ip` access."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig that authenticates with gke-gcloud-auth-plugin (a secret)."""
    workload_pool: pulumi.Output[str]
    """The Workload Identity pool (`<project>.svc.id.goog`) Kubernetes service accounts are members of."""

    def __init__(self, name: str, args: block_args.GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self._compose(name, args, opts)


class EntryPoint(_Block):
    """The way in from the internet to a Cloud Run service: HTTPS for `domain` on a global external Application
    Load Balancer with a Google-managed certificate, throttled and filtered by Cloud Armor."""

    _component = entry.EntryPoint
    _args_type = entry.EntryPointArgs

    url: pulumi.Output[str]
    ip_address: pulumi.Output[str]
    dns_record: pulumi.Output[dict[str, typing.Any]]
    """The A record that makes `domain` resolve to the address (created in `dns_zone` when one is given)."""
    security_policy_id: pulumi.Output[str]

    def __init__(self, name: str, args: block_args.EntryPointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self._compose(name, args, opts)


class Operations(_Block):
    """SLOs with burn-rate alerts, saturation alerts, a dashboard and a budget for one service."""

    _component = operations.Operations
    _args_type = operations.OperationsArgs

    dashboard_id: pulumi.Output[str]
    notification_channels: pulumi.Output[list[str]]
    """The channels' resource names (`projects/<p>/notificationChannels/<id>`)."""

    def __init__(self, name: str, args: block_args.OperationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self._compose(name, args, opts)


def component_of(block: type[_Block]) -> tuple[type[pulumi.ComponentResource], type[Any]]:
    """The component a block registers, and its Args."""
    return block._component, block._args_type


BLOCKS: list[type[_Block]] = [
    ProjectApis,
    Network,
    Secrets,
    RedisCache,
    PostgresDatabase,
    ContainerImage,
    GkeCluster,
    EntryPoint,
    Operations,
]
