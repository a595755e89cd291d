"""What the app container needs from whichever platform runs it (Cloud Run or GKE): one description, two renderings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

APP_PORT = 8080
LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
METRICS_PATH = "/metrics"
EMBEDDINGS_ROUTE = "/v1/embeddings"
# The app's Prometheus series (app/embedding_service/metrics.py) the monitoring and the autoscaler read.
REQUESTS_METRIC = "embedding_http_requests_total"
LATENCY_METRIC = "embedding_http_request_duration_seconds"
QUEUE_DEPTH_METRIC = "embedding_queue_depth_inputs"
BATCH_SIZE_METRIC = "embedding_batch_size_inputs"
QUEUE_FULL_METRIC = "embedding_queue_full_rejections_total"
CACHE_HITS_METRIC = "embedding_cache_hits_total"
CACHE_MISSES_METRIC = "embedding_cache_misses_total"
REDIS_ERRORS_METRIC = "embedding_redis_errors_total"
USAGE_WRITE_ERRORS_METRIC = "embedding_usage_write_errors_total"
MAX_BATCH_SIZE = 64
"""The app's default MAX_BATCH_SIZE (app/embedding_service/settings.py): inputs the model encodes at once."""
# The model loads and warms up before /readyz answers 200; allow it four minutes, the most Cloud Run's
# documented startup-probe limit allows (facts.gcp.CLOUD_RUN_STARTUP_PROBE_MAX_SECONDS).
STARTUP_PERIOD_SECONDS = 10
STARTUP_FAILURE_THRESHOLD = 24


@dataclass(frozen=True, kw_only=True)
class SecretEnv:
    """An environment variable whose value lives in Secret Manager."""

    secret_id: pulumi.Input[str]
    """The Secret Manager secret (`projects/<p>/secrets/<id>`); Cloud Run references it directly."""
    version: pulumi.Input[str]
    """The secret version holding `value` (a number, never `latest`): a changed secret is a new version, so the
    workload that names it rolls."""
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


def cpu_quantity(cpu: float) -> str:
    """vCPU as a Kubernetes-style quantity, which Cloud Run and GKE both take: `4`, `500m`."""
    return str(int(cpu)) if float(cpu).is_integer() else f"{int(cpu * 1000)}m"
