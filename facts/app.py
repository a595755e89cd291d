"""What infra must know of the app container (app/Dockerfile sets the same; a test keeps them equal)."""

from __future__ import annotations

from typing import Literal, get_args

APP_PORT = 8080
APP_UID = 10001
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

ImageVariant = Literal["cpu", "cuda"]
"""The image's build variants (app/Dockerfile's VARIANT), each also the MODEL_DEVICE the model runs on."""
IMAGE_VARIANTS: tuple[ImageVariant, ...] = get_args(ImageVariant)

MAX_BATCH_SIZE = 64
"""The app's default MAX_BATCH_SIZE (app/embedding_service/settings.py): inputs the model encodes at once."""

ModelBackend = Literal["auto", "onnx", "openvino", "torch"]
"""The app's MODEL_BACKEND: auto is onnx on a CPU and torch on a GPU."""
ModelPrecision = Literal["auto", "fp32", "fp16", "int8", "bf16"]
"""The app's MODEL_PRECISION: auto is the backend's default (fp32 on a CPU, fp16 on a GPU)."""
MODEL_BACKEND_PRECISIONS: dict[str, tuple[str, ...]] = {
    "torch": ("fp32", "fp16"),
    "onnx": ("fp32", "int8"),
    "openvino": ("fp32", "bf16"),
}
"""What each backend runs (app/embedding_service/backends.py's BACKEND_PRECISIONS)."""
CPU_ONLY_MODEL_BACKENDS = ("onnx", "openvino")
"""Backends that run the ONNX export on a CPU: none of them uses a GPU."""


def model_backend_for(backend: ModelBackend, precision: ModelPrecision, variant: ImageVariant) -> str:
    """The backend the app runs for these settings (app/embedding_service/runtime.py's resolve_backend): auto is
    torch on a GPU, and on a CPU the one backend that runs the precision asked for (int8: onnx, bf16: openvino),
    else onnx."""
    if backend != "auto":
        return backend
    if variant == "cuda":
        return "torch"
    return {"int8": "onnx", "bf16": "openvino"}.get(precision, "onnx")
