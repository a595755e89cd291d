"""Settings: the environment variable names the stacks set, their parsing, and clear refusals."""

from pathlib import Path

import pytest
from embedding_service.settings import Settings
from pydantic import ValidationError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        *("API_KEYS", "ADMIN_API_KEYS", "AUTH_DISABLED", "REDIS_URL", "DATABASE_URL", "MODEL_DEVICE", "PORT"),
        *("MODEL_BACKEND", "MODEL_PRECISION"),
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_variables_the_stacks_set_are_read(monkeypatch: pytest.MonkeyPatch):
    environment = {
        "PORT": "9090",
        "MODEL_DEVICE": "cuda",
        "API_KEYS": " key-a, key-b ,",
        "ADMIN_API_KEYS": "admin-a",
        "REDIS_URL": "rediss://10.1.2.3:6378/0",
        "REDIS_PASSWORD": "auth-string",
        "REDIS_CA_CERT": "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n",
        "DATABASE_URL": "postgresql://inference@10.1.2.4:5432/inference?sslmode=require",
        "DATABASE_PASSWORD": "db-secret",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    settings = Settings()

    assert settings.port == 9090
    assert settings.model_device == "cuda"
    assert settings.api_keys == ["key-a", "key-b"]
    assert settings.admin_api_keys == ["admin-a"]
    assert settings.redis_url == "rediss://10.1.2.3:6378/0"
    assert settings.redis_password is not None and settings.redis_password.get_secret_value() == "auth-string"
    assert settings.redis_ca_cert is not None and settings.redis_ca_cert.startswith("-----BEGIN CERTIFICATE-----")
    assert settings.database_password is not None and settings.database_password.get_secret_value() == "db-secret"


def test_secrets_do_not_appear_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("API_KEYS", "k")
    monkeypatch.setenv("REDIS_PASSWORD", "auth-string")
    monkeypatch.setenv("DATABASE_PASSWORD", "db-secret")

    text = repr(Settings())

    assert "auth-string" not in text
    assert "db-secret" not in text


def test_no_api_keys_is_refused_naming_api_keys_and_the_local_escape_hatch():
    with pytest.raises(ValidationError, match=r"API_KEYS is empty.*AUTH_DISABLED=true"):
        Settings()


def test_auth_disabled_explicitly_allows_running_without_keys(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AUTH_DISABLED", "true")

    assert Settings().auth_disabled is True


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REDIS_URL", "http://10.0.0.1:6379", "REDIS_URL must start with redis:// or rediss://"),
        ("DATABASE_URL", "mysql://db/x", "DATABASE_URL must start with postgresql://"),
        ("MODEL_DEVICE", "tpu", "model_device"),
        ("PORT", "70000", "port"),
        ("MAX_BATCH_SIZE", "0", "max_batch_size"),
        ("MAX_BATCH_TOKENS", "255", "MAX_BATCH_TOKENS=255 is below 256, one input of the model's full window"),
        ("MAX_BATCH_TOKENS", "-1", "max_batch_tokens"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
):
    monkeypatch.setenv("API_KEYS", "k")
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError, match=message):
        Settings()


@pytest.mark.parametrize(("value", "expected"), [(None, 0), ("0", 0), ("256", 256), ("4096", 4096)])
def test_max_batch_tokens_is_the_backends_best_unless_set_to_one_full_input_or_more(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: int
):
    monkeypatch.setenv("AUTH_DISABLED", "true")
    if value is not None:
        monkeypatch.setenv("MAX_BATCH_TOKENS", value)

    assert Settings().max_batch_tokens == expected


def test_empty_redis_and_database_urls_mean_the_embedded_defaults(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AUTH_DISABLED", "true")
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("DATABASE_URL", "")

    settings = Settings()

    assert settings.redis_url is None
    assert settings.database_url is None


def test_a_request_limit_larger_than_the_queue_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AUTH_DISABLED", "true")
    monkeypatch.setenv("MAX_INPUTS_PER_REQUEST", "300")
    monkeypatch.setenv("MAX_QUEUED_INPUTS", "200")

    with pytest.raises(ValidationError, match=r"MAX_INPUTS_PER_REQUEST \(300\) exceeds MAX_QUEUED_INPUTS \(200\)"):
        Settings()


def test_the_readme_documents_every_setting():
    readme = (Path(__file__).resolve().parents[2] / "app" / "README.md").read_text()

    undocumented = [name.upper() for name in Settings.model_fields if f"| `{name.upper()}` |" not in readme]

    assert undocumented == []


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"MODEL_BACKEND": "torch", "MODEL_PRECISION": "int8"}, "MODEL_PRECISION=int8 needs MODEL_BACKEND=onnx"),
        ({"MODEL_BACKEND": "onnx", "MODEL_PRECISION": "fp16"}, "MODEL_PRECISION=fp16 needs MODEL_BACKEND=torch"),
        ({"MODEL_BACKEND": "onnx", "MODEL_DEVICE": "cuda"}, "MODEL_BACKEND=onnx runs on CPU only"),
        ({"MODEL_DEVICE": "cpu", "MODEL_PRECISION": "fp16"}, "MODEL_PRECISION=fp16 needs a GPU"),
        ({"MODEL_BACKEND": "tensorrt"}, "model_backend"),
        ({"MODEL_PRECISION": "fp8"}, "model_precision"),
    ],
)
def test_backend_and_precision_combinations_that_do_not_exist_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], message: str
):
    monkeypatch.setenv("API_KEYS", "k")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError, match=message):
        Settings()
