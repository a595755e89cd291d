"""GET /v1/usage: requests, inputs, tokens, cache hits and errors per key per UTC day (admin keys)."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from embedding_service.api.dependencies import AdminKey, RuntimeDependency
from embedding_service.api.errors import documented_errors
from embedding_service.api.schemas import DailyUsageRow, UsageReport, day_parameter
from embedding_service.errors import AuthenticationError, InvalidRequestError, UsageStoreUnavailableError
from embedding_service.usage import USAGE_DEFAULT_DAYS, usage_report, usage_window

router = APIRouter(tags=["usage"])


# The query is read by the route, after the admin key is checked; its parameters are declared by hand.
@router.get(
    "/v1/usage",
    summary="Usage per key per UTC day",
    responses=documented_errors(InvalidRequestError, AuthenticationError, UsageStoreUnavailableError),
    openapi_extra={
        "parameters": [
            day_parameter("start", f"First day (UTC), default: {USAGE_DEFAULT_DAYS - 1} days before end."),
            day_parameter("end", "Last day (UTC), included; default: today."),
        ]
    },
)
async def usage(request: Request, runtime: RuntimeDependency, _caller: AdminKey) -> UsageReport:
    query = request.query_params
    unknown = sorted(set(query) - {"start", "end"})
    if unknown:
        raise InvalidRequestError(f"Unknown query parameter '{unknown[0]}': only 'start' and 'end'.", param=unknown[0])
    since, until = usage_window(query.get("start"), query.get("end"), datetime.now(UTC).date())
    rows = await usage_report(runtime.usage_log.store, since, until)
    return UsageReport(
        object="list",
        data=[DailyUsageRow(**{**vars(row), "day": row.day.isoformat()}) for row in rows],
    )
