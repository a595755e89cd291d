"""POST /v1/embeddings and the model routes."""

import asyncio
import base64
import time
from datetime import UTC, datetime

import pydantic_core
from fastapi import APIRouter, Request
from fastapi.responses import Response

from embedding_service import errors as service_errors
from embedding_service.api.dependencies import CallerKey, RuntimeDependency
from embedding_service.api.errors import documented_errors, status_of
from embedding_service.api.schemas import EmbeddingResponse, ModelCard, ModelList
from embedding_service.runtime import Runtime
from embedding_service.schemas import parse_embedding_request
from embedding_service.service import EmbeddingResult, served_model_ids
from embedding_service.usage import UsageRecord

router = APIRouter(tags=["embeddings"])

# Responses this large are serialised in a worker thread, so that the event loop keeps answering probes.
LARGE_RESPONSE_INPUTS = 32

TIMING_HEADERS = {
    name: {"description": description, "schema": {"type": "string"}}
    for name, description in {
        "x-compute-time": "Milliseconds the model spent on this request's batches.",
        "x-queue-time": "Milliseconds the request waited (queue, tokenizing, cache).",
        "x-cache-hits": "Inputs served from the cache.",
    }.items()
}


@router.post(
    "/v1/embeddings",
    summary="Create embeddings (OpenAI's API)",
    response_model=None,
    responses={
        200: {"model": EmbeddingResponse, "description": "One embedding per input", "headers": TIMING_HEADERS},
        **documented_errors(
            service_errors.InvalidRequestError,
            service_errors.AuthenticationError,
            service_errors.ModelNotFoundError,
            service_errors.RequestTooLargeError,
            service_errors.RateLimitExceededError,
            service_errors.QueueFullError,
            service_errors.ModelNotReadyError,
            service_errors.RateLimiterUnavailableError,
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingRequest"}}},
        }
    },
)
async def create_embeddings(request: Request, runtime: RuntimeDependency, caller: CallerKey) -> Response:
    started = time.perf_counter()
    inputs = tokens = cache_hits = 0
    status = 500
    try:
        rate_headers: dict[str, str] = {}
        if runtime.limiter is not None:
            try:
                decision = await runtime.limiter.admit(caller)
            except service_errors.RateLimitExceededError:
                runtime.metrics.rate_limited.inc()
                raise
            rate_headers = decision.headers() if decision else {}
        body = parse_embedding_request(await request.body())
        if runtime.service is None:
            raise service_errors.ModelNotReadyError("The model is still loading.")
        try:
            result = await runtime.service.embed(body)
        except service_errors.QueueFullError:
            runtime.metrics.overloaded.inc()
            raise
        inputs, tokens, cache_hits, status = len(body.input), result.tokens, result.cache_hits, 200
        payload = _Serialiser(result, body.encoding_format, runtime.settings.served_model_name)
        content = await asyncio.to_thread(payload) if inputs >= LARGE_RESPONSE_INPUTS else payload()
        headers = {
            **rate_headers,
            "x-compute-time": f"{result.timings.compute_s * 1000:.3f}",
            "x-queue-time": f"{result.timings.queue_s * 1000:.3f}",
            "x-cache-hits": str(result.cache_hits),
        }
        return Response(content, media_type="application/json", headers=headers)
    except service_errors.ServiceError as error:
        status = status_of(error)
        raise
    finally:
        runtime.usage_log.record(
            UsageRecord(
                created_at=datetime.now(UTC),
                key_id=caller,
                model=runtime.settings.served_model_name,
                inputs=inputs,
                tokens=tokens,
                cache_hits=cache_hits,
                latency_ms=(time.perf_counter() - started) * 1000,
                status=status,
            )
        )


class _Serialiser:
    """The response body as bytes, made when called (on the event loop or in a worker thread)."""

    def __init__(self, result: EmbeddingResult, encoding_format: str, model_name: str) -> None:
        self._result = result
        self._encoding_format = encoding_format
        self._model_name = model_name

    def __call__(self) -> bytes:
        result = self._result
        if self._encoding_format == "base64":
            little_endian = result.embeddings.astype("<f4", copy=False)
            vectors: list[object] = [base64.b64encode(row.tobytes()).decode() for row in little_endian]
        else:
            vectors = result.embeddings.tolist()
        payload = {
            "object": "list",
            "data": [
                {"object": "embedding", "index": index, "embedding": vector} for index, vector in enumerate(vectors)
            ],
            "model": self._model_name,
            "usage": {"prompt_tokens": result.tokens, "total_tokens": result.tokens},
        }
        # pydantic-core's encoder: the same JSON values as json.dumps, about seven times faster on float lists.
        return pydantic_core.to_json(payload)


def _model_card(runtime: Runtime) -> ModelCard:
    return ModelCard(id=runtime.settings.served_model_name, object="model", created=0, owned_by="local")


@router.get("/v1/models", summary="The served model", responses=documented_errors(service_errors.AuthenticationError))
async def list_models(runtime: RuntimeDependency, _caller: CallerKey) -> ModelList:
    return ModelList(object="list", data=[_model_card(runtime)])


@router.get(
    "/v1/models/{model_id:path}",
    summary="One model by id (its full id or its last path part)",
    responses=documented_errors(service_errors.AuthenticationError, service_errors.ModelNotFoundError),
)
async def retrieve_model(model_id: str, runtime: RuntimeDependency, _caller: CallerKey) -> ModelCard:
    served = runtime.settings.served_model_name
    if model_id not in served_model_ids(served):
        message = f"The model '{model_id}' does not exist; this server serves '{served}'."
        raise service_errors.ModelNotFoundError(message, param="model")
    return _model_card(runtime)
