"""ASGI middleware: request body size limit (413) and per-route request metrics."""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embedding_service.api.errors import response_for
from embedding_service.errors import RequestTooLargeError
from embedding_service.metrics import Metrics


class _BodyTooLargeError(Exception):
    pass


class BodySizeLimit:
    """Refuses bodies over max_body_bytes with 413, by Content-Length or while a chunked body streams in."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLargeError:
            if response_started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = response_for(RequestTooLargeError(f"The request body exceeds {self.max_body_bytes} bytes."), 1)
        await response(scope, receive, send)


class RequestMetrics:
    """Counts requests by route template and status, and observes their latency."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            route_name = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(route_name, str(status)).inc()
            self.metrics.latency.labels(route_name).observe(time.perf_counter() - started)
