"""The runtime: every part the routes use, built from the settings, started and stopped as one."""

import asyncio
import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from embedding_service.auth import KeyRing
from embedding_service.backends import Precision, check_combination
from embedding_service.batcher import MicroBatcher
from embedding_service.cache import EmbeddingCache, InProcessCache, SharedRedisCache
from embedding_service.metrics import Metrics
from embedding_service.model import Embedder, EmbeddingModel, resolve_device
from embedding_service.ratelimit import RateLimiter, parse_rate_limit
from embedding_service.readiness import DatabaseState, ModelState, Readiness, RedisState, readiness
from embedding_service.redis_link import RedisLink, client_from_settings
from embedding_service.service import EmbeddingService
from embedding_service.settings import Settings
from embedding_service.usage import PostgresUsageStore, SqliteUsageStore, UsageLog, UsageStore

logger = logging.getLogger(__name__)

ModelLoader = Callable[[Settings], Embedder]


def freeze_start_up_objects() -> None:
    """Collect the start-up garbage once, then leave every object alive now out of later collections.

    torch, transformers and the model leave about half a million long-lived objects. Every full collection
    walks them all, about 250 ms with the GIL held, and the event loop and the model thread stall meanwhile:
    under load that was the p99. Frozen objects are never walked again; what requests allocate is collected
    as before.
    """
    gc.collect()
    gc.freeze()


def resolve_backend(settings: Settings, device: str) -> tuple[str, str]:
    """MODEL_BACKEND and MODEL_PRECISION with `auto` filled in for the device: onnx fp32 on CPU, torch fp16 on CUDA.

    A precision only one backend runs picks that backend: int8 is onnx's, bf16 openvino's. OpenVINO alone runs
    bf16 where the CPU has it natively (the reason to choose it), else fp32.
    """
    precision: str = settings.model_precision
    if precision == "auto" and settings.model_backend == "openvino":
        from embedding_service.openvino_backend import native_bf16

        precision = "bf16" if native_bf16() else "fp32"
    if precision == "auto":
        precision = "fp16" if device == "cuda" else "fp32"
    backend: str = settings.model_backend
    if backend == "auto":
        backend = "torch" if device == "cuda" else {"int8": "onnx", "bf16": "openvino"}.get(precision, "onnx")
    check_combination(backend, precision, device)
    return backend, precision


def load_model(settings: Settings) -> Embedder:
    """The model the settings ask for; a model of the ONNX export is checked against torch before it is used."""
    device = resolve_device(settings.model_device)
    backend, precision = resolve_backend(settings, device)
    if backend == "torch":
        return EmbeddingModel(device, cast(Precision, precision))
    from embedding_service.onnx_backend import OnnxEmbeddingModel, verify

    model: Embedder
    if backend == "openvino":
        from embedding_service.openvino_backend import OpenVinoEmbeddingModel

        model = OpenVinoEmbeddingModel(
            settings.model_onnx_dir,
            cast(Precision, precision),
            threads=settings.onnx_threads,
            workers=settings.onnx_workers,
        )
    else:
        model = OnnxEmbeddingModel(
            settings.model_onnx_dir,
            cast(Precision, precision),
            threads=settings.onnx_threads,
            spinning=settings.onnx_spinning,
            workers=settings.onnx_workers,
        )
    floor, setting = {
        "int8": (settings.onnx_int8_min_cosine, "ONNX_INT8_MIN_COSINE"),
        "bf16": (settings.openvino_bf16_min_cosine, "OPENVINO_BF16_MIN_COSINE"),
    }.get(precision, (settings.onnx_fp32_min_cosine, "ONNX_FP32_MIN_COSINE"))
    verify(model, EmbeddingModel("cpu"), floor, setting)
    return model


@dataclass
class Runtime:
    """Everything the routes use; built at start-up, the model filled in once loaded."""

    settings: Settings
    metrics: Metrics
    keys: KeyRing
    redis_link: RedisLink | None
    limiter: RateLimiter | None
    cache: EmbeddingCache | None
    usage_log: UsageLog
    service: EmbeddingService | None = None
    batcher: MicroBatcher | None = None
    model_error: str | None = None
    loading: asyncio.Task[None] | None = field(default=None, repr=False)

    async def start(self, model_loader: ModelLoader) -> None:
        """Connect Redis and the usage log, and begin loading the model in the background."""
        if self.redis_link:
            await self.redis_link.start()
        await self.usage_log.start()
        self.loading = asyncio.create_task(self._load_model(model_loader), name="model-loader")

    async def stop(self) -> None:
        """Finish loading, encode what is queued, write the remaining usage rows, close Redis."""
        if self.loading:
            await self.loading
        if self.batcher:
            await self.batcher.stop()
        await self.usage_log.stop(self.settings.shutdown_flush_timeout_s)
        if self.redis_link:
            await self.redis_link.close()

    async def _load_model(self, model_loader: ModelLoader) -> None:
        settings = self.settings
        try:
            model = await asyncio.to_thread(model_loader, settings)
        except Exception as error:
            logger.exception("model failed to load")
            self.model_error = f"{type(error).__name__}: {error}"
            return
        freeze_start_up_objects()
        batcher = MicroBatcher(
            model.encode_tokenized,
            max_batch_size=settings.max_batch_size,
            max_wait_s=settings.max_wait_ms / 1000,
            max_queued_inputs=settings.max_queued_inputs,
            max_batch_tokens=settings.max_batch_tokens or model.best_batch_tokens,
            on_batch=self.metrics.batch_size.observe,
            workers=model.parallel_batches,
        )
        batcher.start()
        self.batcher = batcher
        self.service = EmbeddingService(model, batcher, self.cache, self.metrics, settings)

    def readiness(self) -> Readiness:
        settings = self.settings
        model = ModelState(
            settings.served_model_name, self.service.model.device_info() if self.service else None, self.model_error
        )
        redis = None
        if self.redis_link is not None:
            redis = RedisState(self.redis_link.available, self.redis_link.last_error)
        database = DatabaseState(
            "postgresql" if settings.database_url else "sqlite",
            self.usage_log.store_available,
            self.usage_log.pending_rows,
            self.usage_log.last_error,
        )
        return readiness(
            model,
            redis,
            database,
            rate_limited=self.limiter is not None,
            rate_limit_fail_open=settings.rate_limit_fail_open,
        )


def build_runtime(settings: Settings) -> Runtime:
    metrics = Metrics()
    redis_link = None
    if settings.redis_url:
        redis_link = RedisLink(
            client_from_settings(settings),
            settings.redis_retry_interval_s,
            on_error=lambda operation: metrics.redis_errors.labels(operation).inc(),
        )
    limiter = None
    if settings.rate_limit:
        limiter = RateLimiter(parse_rate_limit(settings.rate_limit), redis_link, settings.rate_limit_fail_open)
    cache: EmbeddingCache | None = None
    if settings.cache_enabled:
        cache = (
            SharedRedisCache(redis_link, settings.cache_ttl_s)
            if redis_link
            else InProcessCache(settings.cache_ttl_s, settings.cache_max_entries)
        )
    store: UsageStore
    if settings.database_url:
        password = settings.database_password.get_secret_value() if settings.database_password else None
        store = PostgresUsageStore(settings.database_url, password, settings.database_pool_size)
    else:
        store = SqliteUsageStore(settings.sqlite_path)
    usage_log = UsageLog(
        store,
        queue_size=settings.usage_queue_size,
        batch_rows=settings.usage_batch_rows,
        flush_interval_s=settings.usage_flush_interval_ms / 1000,
        retry_interval_s=settings.usage_retry_interval_s,
        on_written=metrics.usage_rows_written.inc,
        on_dropped=metrics.usage_rows_dropped.inc,
        on_write_error=metrics.usage_write_errors.inc,
    )
    keys = KeyRing(tuple(settings.api_keys), tuple(settings.admin_api_keys), settings.auth_disabled)
    return Runtime(settings, metrics, keys, redis_link, limiter, cache, usage_log)
