"""Bearer keys: which keys open which routes, and how keys are named in records."""

import pytest
from embedding_service.auth import LOCAL_KEY_ID, KeyRing, key_id
from embedding_service.errors import AuthenticationError

KEYS = KeyRing(api_keys=("user-key",), admin_keys=("admin-key",), disabled=False)


def test_key_id_is_stable_distinct_and_does_not_contain_the_key():
    assert key_id("user-key") == key_id("user-key")
    assert key_id("user-key") != key_id("other-key")
    assert "user-key" not in key_id("user-key")


def test_a_listed_key_authenticates_as_its_key_id():
    assert KEYS.authenticate("Bearer user-key") == key_id("user-key")
    assert KEYS.authenticate("bearer   user-key ") == key_id("user-key")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Token user-key", "Bearer admin-key", "Bearer user-key2"])
def test_anything_but_a_listed_bearer_key_is_a_401(header: str | None):
    with pytest.raises(AuthenticationError, match=r"bearer key|Incorrect API key"):
        KEYS.authenticate(header)


def test_admin_routes_take_admin_keys_only():
    assert KEYS.authenticate("Bearer admin-key", admin=True) == key_id("admin-key")
    with pytest.raises(AuthenticationError, match="Incorrect admin key"):
        KEYS.authenticate("Bearer user-key", admin=True)


def test_disabled_auth_lets_everyone_in_as_the_local_key():
    keys = KeyRing(api_keys=(), admin_keys=(), disabled=True)

    assert keys.authenticate(None) == LOCAL_KEY_ID
    assert keys.authenticate(None, admin=True) == LOCAL_KEY_ID
