"""The whole stack file as one model, and the keys it is read from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from components.naming import fit_name
from facts import gcp as rules
from facts.labels import Environment, required_labels
from infra.config.data import DatabaseSettings, RedisSettings
from infra.config.entry import EntrySettings
from infra.config.gke import GkeSettings
from infra.config.network import NetworkSettings
from infra.config.operations import OperationsSettings
from infra.config.scope import NAMESPACE, Section, StackScope
from infra.config.service import ImageSettings, ServiceSettings


class StackConfig(BaseModel):
    """Everything one stack file says, validated, with the environment's defaults filled in."""

    model_config = ConfigDict(frozen=True)

    stack: str
    stack_file: str
    project: str
    region: str
    environment: Environment
    platform: Literal["cloudrun", "gke"]
    labels: dict[str, str]
    service: ServiceSettings
    redis: RedisSettings
    database: DatabaseSettings
    image: ImageSettings
    network: NetworkSettings
    gke: GkeSettings | None
    entry: EntrySettings | None = None
    """The public entry point, or None (no load balancer)."""
    operations: OperationsSettings

    @property
    def name_prefix(self) -> str:
        """The prefix of every resource name: `inference-<stack>`."""
        return f"{NAMESPACE}-{self.stack}"

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def all_labels(self) -> dict[str, str]:
        """The user's labels plus the ones the project always sets (environment drives prod-only policies)."""
        stack = fit_name(self.stack, rules.GCP_LABEL_VALUE)
        return {**self.labels, **required_labels(self.environment, stack)}

    @property
    def scope(self) -> StackScope:
        """What every section's `args` shares."""
        return StackScope(
            project=self.project,
            region=self.region,
            stack_name=self.stack,
            name_prefix=self.name_prefix,
            platform=self.platform,
            labels=self.all_labels,
            protected=self.is_prod,
        )


SECTIONS: dict[str, type[Section]] = {
    "service": ServiceSettings,
    "redis": RedisSettings,
    "database": DatabaseSettings,
    "image": ImageSettings,
    "network": NetworkSettings,
    "gke": GkeSettings,
    "operations": OperationsSettings,
}
# Sections a stack may leave out altogether (absent or null: the feature is off).
OPTIONAL_SECTIONS: dict[str, type[Section]] = {"entry": EntrySettings}
SCALARS = ("environment", "platform", "labels")
KNOWN_KEYS = (*SCALARS, *SECTIONS, *OPTIONAL_SECTIONS)
