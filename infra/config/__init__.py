"""The stack configuration: typed sections, every GCP rule checked before anything is registered.

Keys in the stack files are camelCase (`inference:service.minInstances`); the models use snake_case with
camelCase aliases. Unknown keys are errors, and all problems are reported together, each as
`<stack file>: <key path> = <value>: <what is wrong and what is allowed>`.

- `scope`: the namespace, the names the composition gives its parts, the sections' base and `StackScope`;
- `service`, `data`, `network`, `gke`, `entry`, `operations`: the sections, one module per entity, each making its
  component's Args;
- `schema`: `StackConfig`, the whole stack file, and the keys it is read from;
- `problems`: how a problem is worded and collected (pydantic's, an Args', a rule's);
- `defaults`: the environment's defaults;
- `checks`: the rules that cross sections, and the components' rules run over the sections;
- `loading`: `load_stack_config` (and `load_from_pulumi`), which runs all of the above in order.
"""

from infra.config.data import DatabaseSettings, RedisSettings
from infra.config.entry import ArmorSettings, EntrySettings
from infra.config.gke import AuthorizedNetwork, GkeSettings, GpuNodePoolSettings, NodePoolSettings, ReplicaSettings
from infra.config.loading import load_from_pulumi, load_stack_config
from infra.config.network import NetworkSettings
from infra.config.operations import BudgetSettings, OperationsSettings, SloSettings
from infra.config.schema import KNOWN_KEYS, OPTIONAL_SECTIONS, SCALARS, SECTIONS, StackConfig
from infra.config.scope import (
    GKE_PODS_RANGE,
    GKE_SERVICES_RANGE,
    KUBERNETES_APP_NAME,
    KUBERNETES_NAMESPACE,
    NAMESPACE,
    StackScope,
)
from infra.config.service import GpuSettings, ImageSettings, ServiceSettings
from infra.stack_file import ConfigError

__all__ = [
    "GKE_PODS_RANGE",
    "GKE_SERVICES_RANGE",
    "KNOWN_KEYS",
    "KUBERNETES_APP_NAME",
    "KUBERNETES_NAMESPACE",
    "NAMESPACE",
    "OPTIONAL_SECTIONS",
    "SCALARS",
    "SECTIONS",
    "ArmorSettings",
    "AuthorizedNetwork",
    "BudgetSettings",
    "ConfigError",
    "DatabaseSettings",
    "EntrySettings",
    "GkeSettings",
    "GpuNodePoolSettings",
    "GpuSettings",
    "ImageSettings",
    "NetworkSettings",
    "NodePoolSettings",
    "OperationsSettings",
    "RedisSettings",
    "ReplicaSettings",
    "ServiceSettings",
    "SloSettings",
    "StackConfig",
    "StackScope",
    "load_from_pulumi",
    "load_stack_config",
]
