"""Bearer-key checks; keys are identified in logs and usage rows by a hash, never by themselves."""

import hashlib
import hmac
from dataclasses import dataclass

from embedding_service.errors import AuthenticationError

LOCAL_KEY_ID = "local"


def key_id(api_key: str) -> str:
    """A stable, non-reversible name for a key (what the usage log stores)."""
    return "key_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class KeyRing:
    api_keys: tuple[str, ...]
    admin_keys: tuple[str, ...]
    disabled: bool

    def authenticate(self, authorization: str | None, *, admin: bool = False) -> str:
        """The key id of the bearer key in the Authorization header; AuthenticationError otherwise."""
        if self.disabled:
            return LOCAL_KEY_ID
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise AuthenticationError("Missing bearer key: send 'Authorization: Bearer <key>'.")
        presented = presented.strip()
        allowed = self.admin_keys if admin else self.api_keys
        if not any(hmac.compare_digest(presented.encode(), key.encode()) for key in allowed):
            kind = "admin key" if admin else "API key"
            raise AuthenticationError(f"Incorrect {kind} provided.")
        return key_id(presented)
