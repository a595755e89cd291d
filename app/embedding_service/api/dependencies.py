"""What routes get through FastAPI's dependencies: the runtime, and the caller's key id (auth first)."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from embedding_service.runtime import Runtime

# Declares the bearer scheme in the OpenAPI document; the KeyRing reads the header itself, so that a missing
# or malformed one gets the same 401 in OpenAI's shape as a wrong key.
bearer = HTTPBearer(auto_error=False, description="An API key (ADMIN_API_KEYS for /v1/usage).")


# The dependencies are coroutines: FastAPI runs plain functions in a worker thread, a round trip per request
# that costs more than the work itself and competes for the CPUs with the model.


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDependency = Annotated[Runtime, Depends(get_runtime)]
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def api_key(request: Request, runtime: RuntimeDependency, _declared: BearerCredentials) -> str:
    """The key id of the caller's API key; raises AuthenticationError before anything else is read."""
    return runtime.keys.authenticate(request.headers.get("authorization"))


async def admin_key(request: Request, runtime: RuntimeDependency, _declared: BearerCredentials) -> str:
    return runtime.keys.authenticate(request.headers.get("authorization"), admin=True)


CallerKey = Annotated[str, Depends(api_key)]
AdminKey = Annotated[str, Depends(admin_key)]
