"""The HTTP layer: routes, auth, limits, metrics and the lifespan that starts and stops everything."""

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from embedding_service.auth import KeyRing
from embedding_service.batcher import MicroBatcher, QueueFullError
from embedding_service.cache import EmbeddingCache, InProcessCache, RedisCache
from embedding_service.errors import APIError, error_response
from embedding_service.metrics import Metrics
from embedding_service.middleware import BodySizeLimit, RequestMetrics
from embedding_service.model import EmbeddingModel, resolve_device
from embedding_service.ratelimit import RateLimiter, RateLimiterUnavailableError, parse_rate_limit
from embedding_service.redis_link import RedisLink, client_from_settings
from embedding_service.schemas import EmbeddingRequest, describe_validation_error
from embedding_service.service import EmbeddingService
from embedding_service.settings import Settings
from embedding_service.usage import PostgresUsageStore, SqliteUsageStore, UsageLog, UsageRecord, UsageStore

logger = logging.getLogger(__name__)

ModelLoader = Callable[[Settings], EmbeddingModel]
USAGE_DEFAULT_DAYS = 30


def load_model(settings: Settings) -> EmbeddingModel:
    return EmbeddingModel(resolve_device(settings.model_device))


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
            RedisCache(redis_link, settings.cache_ttl_s)
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


async def _load_model(runtime: Runtime, model_loader: ModelLoader) -> None:
    settings = runtime.settings
    try:
        model = await asyncio.to_thread(model_loader, settings)
    except Exception as error:
        logger.exception("model failed to load")
        runtime.model_error = f"{type(error).__name__}: {error}"
        return
    batcher = MicroBatcher(
        model.encode,
        max_batch_size=settings.max_batch_size,
        max_wait_s=settings.max_wait_ms / 1000,
        max_queued_inputs=settings.max_queued_inputs,
        on_batch=runtime.metrics.batch_size.observe,
    )
    batcher.start()
    runtime.batcher = batcher
    runtime.service = EmbeddingService(model, batcher, runtime.cache, runtime.metrics, settings.served_model_name)


def create_app(settings: Settings | None = None, model_loader: ModelLoader = load_model) -> FastAPI:
    """The application; the model loads in the background so that probes answer during start-up."""
    settings = settings or Settings()
    runtime = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runtime.redis_link:
            await runtime.redis_link.start()
        await runtime.usage_log.start()
        runtime.loading = asyncio.create_task(_load_model(runtime, model_loader), name="model-loader")
        yield
        await runtime.loading
        if runtime.batcher:
            await runtime.batcher.stop()
        await runtime.usage_log.stop(settings.shutdown_flush_timeout_s)
        if runtime.redis_link:
            await runtime.redis_link.close()

    app = FastAPI(title="Embeddings", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=runtime.metrics)
    _add_error_handlers(app)
    _add_routes(app, runtime)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def api_error(_request: Request, error: APIError) -> JSONResponse:
        return error.response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        error_type = "not_found_error" if error.status_code == 404 else "invalid_request_error"
        return error_response(error.status_code, str(error.detail), error_type, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_parameters(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        param = str(first["loc"][-1])
        return error_response(400, f"'{param}': {first['msg']}", "invalid_request_error", param=param)

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return error_response(500, "Internal server error.", "server_error")


def _readiness(runtime: Runtime) -> tuple[bool, dict[str, object]]:
    settings = runtime.settings
    checks: dict[str, object] = {}
    ready = True
    if runtime.service is None:
        ready = False
        checks["model"] = {
            "status": "failed" if runtime.model_error else "loading",
            "error": runtime.model_error,
        }
    else:
        device = runtime.service.model.device_info()
        checks["model"] = {"status": "ok", "name": settings.served_model_name, **vars(device)}
    if runtime.redis_link is None:
        checks["redis"] = {"status": "not_configured", "cache": "in-process", "rate_limit": "in-process"}
    else:
        redis_up = runtime.redis_link.available
        checks["redis"] = {
            "status": "ok" if redis_up else "unavailable",
            "error": runtime.redis_link.last_error,
            "effect": None
            if redis_up
            else (
                "serving without cache; rate limit "
                + ("off (fail open)" if settings.rate_limit_fail_open else "refusing requests (fail closed)")
            ),
        }
        if not redis_up and runtime.limiter is not None and not settings.rate_limit_fail_open:
            ready = False
    usage = runtime.usage_log
    checks["database"] = {
        "status": "ok" if usage.store_available else "unavailable",
        "backend": "postgresql" if settings.database_url else "sqlite",
        "pending_rows": usage.pending_rows,
        "error": usage.last_error,
    }
    degraded = any(check.get("status") == "unavailable" for check in checks.values() if isinstance(check, dict))
    status = "ok" if ready and not degraded else ("degraded" if ready else "unavailable")
    return ready, {"status": status, "checks": checks}


def _add_routes(app: FastAPI, runtime: Runtime) -> None:
    settings = runtime.settings
    metrics = runtime.metrics

    # The hot route comes first: Starlette tries routes in the order they were added.
    @app.post("/v1/embeddings")
    async def create_embeddings(request: Request) -> Response:
        started = time.perf_counter()
        caller = runtime.keys.authenticate(request.headers.get("authorization"))
        outcome = _EmbeddingOutcome()
        try:
            response = await _embed(request, caller, outcome)
        except APIError as error:
            outcome.status = error.status
            raise
        finally:
            runtime.usage_log.record(
                UsageRecord(
                    created_at=datetime.now(UTC),
                    key_id=caller,
                    model=settings.served_model_name,
                    inputs=outcome.inputs,
                    tokens=outcome.tokens,
                    cache_hits=outcome.cache_hits,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    status=outcome.status,
                )
            )
        return response

    async def _embed(request: Request, caller: str, outcome: "_EmbeddingOutcome") -> Response:
        rate_headers: dict[str, str] = {}
        if runtime.limiter is not None:
            try:
                decision = await runtime.limiter.check(caller)
            except RateLimiterUnavailableError as error:
                raise APIError(
                    503,
                    str(error),
                    error_type="server_error",
                    code="rate_limiter_unavailable",
                    headers={"retry-after": str(settings.overload_retry_after_s)},
                ) from error
            if decision is not None:
                rate_headers = decision.headers()
                if not decision.allowed:
                    metrics.rate_limited.inc()
                    raise APIError(
                        429,
                        f"Rate limit reached: {decision.limit} requests per window for this key.",
                        error_type="requests",
                        code="rate_limit_exceeded",
                        headers={**rate_headers, "retry-after": str(decision.retry_after_s)},
                    )
        try:
            body = EmbeddingRequest.model_validate_json(await request.body())
        except ValidationError as error:
            message, param = describe_validation_error(error)
            raise APIError(400, message, param=param) from error
        _check_limits(body)
        service = runtime.service
        if service is None:
            raise APIError(
                503,
                "The model is still loading.",
                error_type="server_error",
                code="model_not_ready",
                headers={"retry-after": str(settings.overload_retry_after_s)},
            )
        _check_model_and_dimensions(body, service.model.dimensions)
        try:
            result = await service.embed(body.input)
        except QueueFullError as error:
            metrics.overloaded.inc()
            raise APIError(
                429,
                f"The server is overloaded ({error}); retry later.",
                error_type="server_error",
                code="queue_full",
                headers={"retry-after": str(settings.overload_retry_after_s)},
            ) from error
        outcome.inputs, outcome.tokens, outcome.cache_hits = len(body.input), result.tokens, result.cache_hits
        outcome.status = 200
        if body.encoding_format == "base64":
            little_endian = result.embeddings.astype("<f4", copy=False)
            vectors: list[object] = [base64.b64encode(row.tobytes()).decode() for row in little_endian]
        else:
            vectors = result.embeddings.tolist()
        payload = {
            "object": "list",
            "data": [
                {"object": "embedding", "index": index, "embedding": vector} for index, vector in enumerate(vectors)
            ],
            "model": settings.served_model_name,
            "usage": {"prompt_tokens": result.tokens, "total_tokens": result.tokens},
        }
        headers = {
            **rate_headers,
            "x-compute-time": f"{result.timings.compute_s * 1000:.3f}",
            "x-queue-time": f"{result.timings.queue_s * 1000:.3f}",
            "x-cache-hits": str(result.cache_hits),
        }
        return Response(json.dumps(payload), media_type="application/json", headers=headers)

    def _check_limits(body: EmbeddingRequest) -> None:
        if len(body.input) > settings.max_inputs_per_request:
            raise APIError(
                400,
                f"'input' has {len(body.input)} items; at most {settings.max_inputs_per_request} allowed.",
                param="input",
            )
        for index, text in enumerate(body.input):
            if len(text) > settings.max_input_chars:
                raise APIError(
                    400,
                    f"'input[{index}]' has {len(text)} characters; at most {settings.max_input_chars} are allowed.",
                    param="input",
                )

    def _check_model_and_dimensions(body: EmbeddingRequest, dimensions: int) -> None:
        served = settings.served_model_name
        if body.model not in (served, served.rsplit("/", 1)[-1]):
            raise APIError(
                404,
                f"The model '{body.model}' does not exist; this server serves '{served}'.",
                param="model",
                code="model_not_found",
            )
        if body.dimensions is not None and body.dimensions != dimensions:
            raise APIError(
                400,
                f"'dimensions' must be {dimensions} or omitted: this model's embeddings cannot be shortened.",
                param="dimensions",
            )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        ready, body = _readiness(runtime)
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        metrics.queue_depth.set(runtime.batcher.queued_inputs if runtime.batcher else 0)
        metrics.usage_queue_depth.set(runtime.usage_log.pending_rows)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models")
    async def list_models(request: Request) -> dict[str, object]:
        runtime.keys.authenticate(request.headers.get("authorization"))
        return {
            "object": "list",
            "data": [{"id": settings.served_model_name, "object": "model", "created": 0, "owned_by": "local"}],
        }

    @app.get("/v1/usage")
    async def usage(request: Request, start: date | None = None, end: date | None = None) -> dict[str, object]:
        runtime.keys.authenticate(request.headers.get("authorization"), admin=True)
        until = end or datetime.now(UTC).date()
        since = start or until - timedelta(days=USAGE_DEFAULT_DAYS - 1)
        if since > until:
            raise APIError(400, f"'start' ({since}) is after 'end' ({until}).", param="start")
        try:
            rows = await runtime.usage_log.store.daily_usage(since, until + timedelta(days=1))
        except (psycopg.Error, OSError) as error:
            raise APIError(
                503,
                f"The usage database is unavailable: {error}",
                error_type="server_error",
                code="database_unavailable",
                headers={"retry-after": "5"},
            ) from error
        return {"object": "list", "data": [{**vars(row), "day": row.day.isoformat()} for row in rows]}


@dataclass
class _EmbeddingOutcome:
    inputs: int = 0
    tokens: int = 0
    cache_hits: int = 0
    status: int = 500


def __getattr__(name: str) -> FastAPI:
    """`embedding_service.main:app` for uvicorn, built from the environment on first use."""
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
