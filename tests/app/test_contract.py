"""The OpenAPI document is the contract: models, every status with the error body, bearer auth, content types."""

from typing import Any

import pytest
from embedding_service.api.app import create_app
from embedding_service.api.errors import ERROR_TABLE
from embedding_service.errors import ServiceError

from .servers import make_settings

DOCUMENT: dict[str, Any] = create_app(make_settings(max_inputs_per_request=64, max_input_chars=1000)).openapi()
PROTECTED = [("post", "/v1/embeddings"), ("get", "/v1/models"), ("get", "/v1/models/{model_id}"), ("get", "/v1/usage")]


def operation(method: str, path: str) -> dict[str, Any]:
    return DOCUMENT["paths"][path][method]


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/v1/embeddings", {"200", "400", "401", "404", "413", "429", "503"}),
        ("get", "/v1/models", {"200", "401"}),
        ("get", "/v1/models/{model_id}", {"200", "401", "404"}),
        ("get", "/v1/usage", {"200", "400", "401", "503"}),
        ("get", "/healthz", {"200"}),
        ("get", "/readyz", {"200", "503"}),
        ("get", "/metrics", {"200"}),
    ],
)
def test_each_route_declares_exactly_the_statuses_it_can_return(method: str, path: str, statuses: set[str]):
    assert set(operation(method, path)["responses"]) == statuses


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_routes_declare_bearer_auth_and_errors_in_the_openai_shape(method: str, path: str):
    responses = operation(method, path)["responses"]

    assert operation(method, path)["security"] == [{"HTTPBearer": []}]
    for status, response in responses.items():
        if status != "200":
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert DOCUMENT["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (ADMIN_API_KEYS for /v1/usage).",
    }


def test_every_route_declares_its_response_model():
    for path, operations in DOCUMENT["paths"].items():
        for method, declared in operations.items():
            content = declared["responses"]["200"]["content"]
            assert content, f"{method} {path}"
            assert all("schema" in body for body in content.values())


def test_the_embeddings_request_schema_carries_the_limits_the_service_enforces():
    body = operation("post", "/v1/embeddings")["requestBody"]
    schema = DOCUMENT["components"]["schemas"]["EmbeddingRequest"]

    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/EmbeddingRequest"}
    assert schema["required"] == ["input", "model"]
    text, array = schema["properties"]["input"]["oneOf"]
    assert (text["minLength"], text["maxLength"]) == (1, 1000)
    assert (array["minItems"], array["maxItems"], array["items"]) == (1, 64, text)
    assert schema["properties"]["model"]["enum"] == ["sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"]
    assert schema["properties"]["dimensions"] == {
        "type": "integer",
        "enum": [384],
        "description": "Only the model's own size: its embeddings cannot be shortened.",
    }
    assert schema["properties"]["user"] == {"type": "string"}


def test_metrics_are_declared_as_text_and_no_route_declares_the_422_it_never_sends():
    assert list(operation("get", "/metrics")["responses"]["200"]["content"]) == ["text/plain"]
    assert all("422" not in declared["responses"] for ops in DOCUMENT["paths"].values() for declared in ops.values())
    assert "HTTPValidationError" not in DOCUMENT["components"]["schemas"]


def test_usage_days_are_declared_as_bounded_dates():
    parameters = {parameter["name"]: parameter for parameter in operation("get", "/v1/usage")["parameters"]}

    assert set(parameters) == {"start", "end"}
    assert parameters["start"]["schema"]["format"] == "date"
    assert parameters["start"]["schema"]["pattern"].startswith("^2[0-9]{3}-")


def test_retry_after_is_declared_wherever_the_error_table_sends_it():
    for status in ("429", "503"):
        assert operation("post", "/v1/embeddings")["responses"][status]["headers"]["retry-after"]["required"] is True


def test_the_error_table_maps_every_core_error():
    def subclasses(cls: type[ServiceError]) -> set[type[ServiceError]]:
        return {sub for direct in cls.__subclasses__() for sub in {direct, *subclasses(direct)}}

    assert subclasses(ServiceError) == set(ERROR_TABLE)
    assert {mapping.status for mapping in ERROR_TABLE.values()} == {400, 401, 404, 413, 429, 503}
