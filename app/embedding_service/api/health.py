"""Probes and metrics: /healthz, /readyz, /metrics (no auth)."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from embedding_service.api.dependencies import RuntimeDependency
from embedding_service.api.schemas import Liveness, ReadinessReport

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> Liveness:
    return Liveness(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the model is loaded and the dependencies it must have answer",
    response_model=ReadinessReport,
    responses={503: {"model": ReadinessReport, "description": "Not ready; the checks say why"}},
)
async def readyz(runtime: RuntimeDependency) -> JSONResponse:
    readiness = runtime.readiness()
    return JSONResponse(readiness.report, status_code=200 if readiness.ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text", "content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def prometheus_metrics(runtime: RuntimeDependency) -> Response:
    metrics = runtime.metrics
    metrics.queue_depth.set(runtime.batcher.queued_inputs if runtime.batcher else 0)
    metrics.usage_queue_depth.set(runtime.usage_log.pending_rows)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
