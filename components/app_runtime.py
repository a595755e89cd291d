"""What the app container needs from whichever platform runs it (Cloud Run or GKE): one description, two renderings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import pulumi

from facts.app import APP_PORT

# The model loads and warms up before /readyz answers 200; allow it four minutes, the most Cloud Run's
# documented startup-probe limit allows (facts.gcp.CLOUD_RUN_STARTUP_PROBE_MAX_SECONDS).
STARTUP_PERIOD_SECONDS = 10
STARTUP_FAILURE_THRESHOLD = 24

EnvEntry = TypeVar("EnvEntry")


@dataclass(frozen=True, kw_only=True)
class SecretEnv:
    """An environment variable whose value lives in Secret Manager."""

    name: str
    """The secret's short name (`db-password`, `auth`), which names what is derived from it (its accessor binding)."""
    stored_in: pulumi.Resource
    """The component that keeps the secret (a `Secrets`)."""

    secret_id: pulumi.Input[str]
    """The Secret Manager secret (`projects/<p>/secrets/<id>`); Cloud Run references it directly."""
    version: pulumi.Input[str]
    """The secret version holding `value` (a number, never `latest`): a changed secret is a new version, so the
    workload that names it rolls."""
    value: pulumi.Input[str]
    """The value as a Pulumi secret; GKE copies it into a Kubernetes Secret."""


@dataclass(frozen=True, kw_only=True)
class AppRuntime:
    """The app container as every platform runs it."""

    image: pulumi.Input[str]
    """Image reference, pinned by digest."""
    env: Mapping[str, pulumi.Input[str]]
    """Plain environment variables (never secrets)."""
    secret_env: Mapping[str, SecretEnv]
    """Environment variables read from Secret Manager."""
    port: int = APP_PORT
    """The port the app listens on."""

    def rendered_env(
        self,
        plain: Callable[[str, pulumi.Input[str]], EnvEntry],
        secret: Callable[[str, SecretEnv], EnvEntry],
    ) -> list[EnvEntry]:
        """Every variable as one platform spells it: the plain ones, then those whose value is a secret."""
        return [plain(name, value) for name, value in self.env.items()] + [
            secret(name, secret_env) for name, secret_env in self.secret_env.items()
        ]
