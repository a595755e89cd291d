"""What every section shares: the config's namespace, the names the composition gives its parts, the sections'
base model and the StackScope their `args` take."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

NAMESPACE = "inference"
# Names the composition gives its parts: the subnet's secondary ranges and the Kubernetes objects of the workload.
GKE_PODS_RANGE = "pods"
GKE_SERVICES_RANGE = "services"
KUBERNETES_NAMESPACE = "inference"
KUBERNETES_APP_NAME = "embeddings"


class Section(BaseModel):
    """A config section: camelCase keys (snake_case fields), unknown keys refused, frozen, defaults validated."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, validate_default=True
    )


@dataclass(frozen=True, kw_only=True)
class StackScope:
    """What every entity of one stack shares. A section's `args(stack, ...)` turns the section into its entity's
    Args; the composition hands in only what other components produce (ids, outputs, secrets)."""

    project: str
    """The Google Cloud project."""
    region: str
    """The region everything regional goes to."""
    stack_name: str
    """The stack's name (the image tag)."""
    name_prefix: str
    """`inference-<stack>`, the prefix of every resource name."""
    platform: Literal["cloudrun", "gke"]
    """Which platform serves the model."""
    labels: Mapping[str, str]
    """The user's labels plus the required ones, for every resource that takes labels."""
    protected: bool
    """prod: deletion protection on what keeps data or serves (the cluster, the service, images, secrets)."""
