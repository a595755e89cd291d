"""The core's errors. They say what went wrong and which request field caused it; they know no HTTP.

The HTTP layer maps each class to a status, an OpenAI error type and code, and a retry-after
(api/errors.py, one table).
"""


class ServiceError(Exception):
    """A request the service cannot serve; `param` names the request field at fault, if one is."""

    def __init__(self, message: str, *, param: str | None = None, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.retry_after_s = retry_after_s


class InvalidRequestError(ServiceError):
    """A malformed or out-of-bounds request: wrong type, empty, too many, too long, unknown value."""


class AuthenticationError(ServiceError):
    """No bearer key, or one that does not open this route."""


class ModelNotFoundError(ServiceError):
    """The request names a model this server does not serve."""


class RequestTooLargeError(ServiceError):
    """The request body is over MAX_BODY_BYTES."""


class RateLimitExceededError(ServiceError):
    """The key's request rate limit is used up for this window."""

    def __init__(self, message: str, *, retry_after_s: int, headers: dict[str, str]) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.headers = headers


class QueueFullError(ServiceError):
    """The model's bounded input queue cannot take a request's inputs now."""


class ModelNotReadyError(ServiceError):
    """The model is still loading (or failed to load)."""


class RateLimiterUnavailableError(ServiceError):
    """Redis is down and RATE_LIMIT_FAIL_OPEN is false."""


class UsageStoreUnavailableError(ServiceError):
    """The usage database does not answer."""
