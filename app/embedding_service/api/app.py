"""The app factory: the runtime, its lifespan, the routers, the error table and the OpenAPI document."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from embedding_service.api import embeddings, health, usage
from embedding_service.api.errors import add_error_handlers
from embedding_service.api.middleware import BodySizeLimit, RequestMetrics
from embedding_service.api.schemas import embedding_request_schema
from embedding_service.model import MODEL_DIMENSIONS
from embedding_service.runtime import ModelLoader, build_runtime, load_model
from embedding_service.service import served_model_ids
from embedding_service.settings import Settings


def create_app(settings: Settings | None = None, model_loader: ModelLoader = load_model) -> FastAPI:
    """The application; the model loads in the background so that probes answer during start-up."""
    settings = settings or Settings()
    runtime = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start(model_loader)
        yield
        await runtime.stop()

    app = FastAPI(title="Embeddings", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=runtime.metrics)
    add_error_handlers(app, settings.overload_retry_after_s)
    # The hot route first: Starlette tries routes in the order they were added.
    app.include_router(embeddings.router)
    app.include_router(health.router)
    app.include_router(usage.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi_document(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise it
    return app


def _openapi_document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """FastAPI's document, with the embeddings request schema added and the 422 it never sends removed."""
    document = get_openapi(title=app.title, version=app.version, routes=app.routes)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["EmbeddingRequest"] = embedding_request_schema(
        settings, served_model_ids(settings.served_model_name), MODEL_DIMENSIONS
    )
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for operations in document["paths"].values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    return document
