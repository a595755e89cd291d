"""The Kubernetes objects a plan would apply, rendered as YAML manifests (one file per object).

Every `kubernetes:*` resource in the plan is an object whose inputs are its manifest (apiVersion, kind,
metadata, spec, ...). Secret values appear as the plan's placeholder, never as the values themselves.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from facts.types import KUBERNETES_PREFIX
from plan import SECRET_PLACEHOLDER, Plan

SECRET_DATA_FIELDS = ("data", "stringData")
# Helm's install order: what others refer to (namespace, identities, secrets) goes before what uses it.
KIND_ORDER = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "Ingress",
    "Gateway",
    "HTTPRoute",
    "HealthCheckPolicy",
    "GCPBackendPolicy",
    "GCPGatewayPolicy",
    "APIService",
    "PodMonitoring",
)
HIDDEN_VALUES_NOTE = "# Secret values are not rendered offline: {fields} left empty here, filled at `pulumi up`.\n"


class ManifestError(Exception):
    """A Kubernetes object in the plan cannot be written as a manifest."""


def kubernetes_objects(plan: Plan) -> list[dict[str, Any]]:
    """The Kubernetes objects of the plan in apply order: by kind (KIND_ORDER), then namespace and name."""
    objects = []
    for resource in plan.resources:
        if not resource.type.startswith(KUBERNETES_PREFIX):
            continue
        manifest = dict(resource.inputs)
        missing = [
            field
            for field, value in (
                ("apiVersion", manifest.get("apiVersion")),
                ("kind", manifest.get("kind")),
                ("metadata.name", (manifest.get("metadata") or {}).get("name")),
            )
            if not value
        ]
        if missing:
            raise ManifestError(
                f"{resource.type} {resource.name!r} has no {', '.join(missing)}: "
                "give every Kubernetes object an explicit metadata.name"
            )
        objects.append(manifest)
    return sorted(objects, key=_apply_order)


def _apply_order(manifest: dict[str, Any]) -> tuple[int, str, str]:
    kind = manifest["kind"]
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    return rank, manifest["metadata"].get("namespace") or "", manifest["metadata"]["name"]


class _ManifestDumper(yaml.SafeDumper):
    """Multi-line strings (certificates) as literal blocks, so they read as they are."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_ManifestDumper.add_representer(str, _represent_text)


def render_manifest(manifest: dict[str, Any]) -> str:
    """YAML for one object. A Secret's values are Pulumi secrets: its data stays empty, with a note saying so."""
    hidden = [field for field in SECRET_DATA_FIELDS if manifest.get(field) == SECRET_PLACEHOLDER]
    shown = {**manifest, **{field: {} for field in hidden}}
    note = HIDDEN_VALUES_NOTE.format(fields=" and ".join(hidden)) if hidden else ""
    return note + yaml.dump(shown, Dumper=_ManifestDumper, sort_keys=True)


WRITTEN_MANIFEST = re.compile(r"^\d{2,}-[a-z]+-[a-z0-9.-]+\.yaml$")


def manifest_file_name(index: int, manifest: dict[str, Any]) -> str:
    """`03-deployment-inference-embeddings.yaml`: apply order, kind, namespace (if any) and name."""
    metadata = manifest["metadata"]
    parts = [f"{index:02d}", manifest["kind"].lower(), metadata.get("namespace"), metadata["name"]]
    return "-".join(str(part) for part in parts if part) + ".yaml"


def write_manifests(plan: Plan, directory: Path) -> list[Path]:
    """Write every Kubernetes object in the plan to `directory`, one YAML file per object; returns the paths.

    Manifests an earlier run wrote there are removed first, so the folder holds exactly what this plan applies.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for earlier in directory.iterdir():
        if WRITTEN_MANIFEST.match(earlier.name):
            earlier.unlink()
    paths = []
    for index, manifest in enumerate(kubernetes_objects(plan), start=1):
        path = directory / manifest_file_name(index, manifest)
        path.write_text(render_manifest(manifest))
        paths.append(path)
    return paths
