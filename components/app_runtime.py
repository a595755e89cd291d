"""What the app container needs from whichever platform runs it (Cloud Run or GKE): one description, two renderings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from facts.app import APP_PORT

# The model loads and warms up before /readyz answers 200; allow it five minutes on a cold GPU node.
STARTUP_PERIOD_SECONDS = 10
STARTUP_FAILURE_THRESHOLD = 30


@dataclass(frozen=True, kw_only=True)
class SecretEnv:
    """An environment variable whose value lives in Secret Manager."""

    secret_id: pulumi.Input[str]
    """The Secret Manager secret (`projects/<p>/secrets/<id>`); Cloud Run references it directly."""
    value: pulumi.Input[str]
    """The value as a Pulumi secret; GKE copies it into a Kubernetes Secret."""


@dataclass(frozen=True, kw_only=True)
class AppRuntime:
    image: pulumi.Input[str]
    """Image reference, pinned by digest."""
    env: Mapping[str, pulumi.Input[str]]
    """Plain environment variables (never secrets)."""
    secret_env: Mapping[str, SecretEnv]
    """Environment variables read from Secret Manager."""
    port: int = APP_PORT
