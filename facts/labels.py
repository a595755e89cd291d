"""The labels every resource carries, and where each labelled resource type keeps its label map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from facts import types

ENVIRONMENT_LABEL = "environment"
STACK_LABEL = "stack"
MANAGED_BY_LABEL = "managed-by"
REQUIRED_LABELS = (ENVIRONMENT_LABEL, STACK_LABEL, MANAGED_BY_LABEL)
MANAGED_BY = "pulumi"
Environment = Literal["dev", "prod"]
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)

LABELLED_RESOURCE_TYPES: Mapping[str, str] = {
    types.ARTIFACT_REGISTRY_REPOSITORY: "labels",
    types.CLOUD_RUN_SERVICE: "labels",
    types.GLOBAL_ADDRESS: "labels",
    types.GKE_CLUSTER: "resourceLabels",
    types.GKE_NODE_POOL: "nodeConfig.resourceLabels",
    types.REDIS_INSTANCE: "labels",
    types.SECRET: "labels",
    types.SQL_INSTANCE: "settings.userLabels",
}
"""Every GCP resource type the program creates that takes labels, and the dotted path of its label map."""


def required_labels(environment: str, stack: str) -> dict[str, str]:
    """The labels the program sets on every labelled resource, beside the stack's own."""
    return {ENVIRONMENT_LABEL: environment, STACK_LABEL: stack, MANAGED_BY_LABEL: MANAGED_BY}
