"""Response models and the request schema the OpenAPI document declares.

The request body of POST /v1/embeddings is read by the route itself (after authentication), so its schema is
written here from the same settings the core checks: what the schema allows is what the service accepts.
"""

from typing import Any, Literal

from pydantic import BaseModel, Field

from embedding_service.settings import Settings
from embedding_service.usage import DAY_PATTERN


class EmbeddingItem(BaseModel):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str = Field(description="floats, or base64 of little-endian float32 bytes")


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingResponse(BaseModel):
    object: Literal["list"]
    data: list[EmbeddingItem]
    model: str
    usage: EmbeddingUsage


class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]


class DailyUsageRow(BaseModel):
    key_id: str
    day: str
    requests: int
    inputs: int
    tokens: int
    cache_hits: int
    errors: int


class UsageReport(BaseModel):
    object: Literal["list"]
    data: list[DailyUsageRow]


class Liveness(BaseModel):
    status: Literal["ok"]


class ReadinessReport(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    checks: dict[str, dict[str, Any]]


def embedding_request_schema(settings: Settings, model_ids: tuple[str, ...], dimensions: int) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1, "maxLength": settings.max_input_chars}
    return {
        "title": "EmbeddingRequest",
        "type": "object",
        "required": ["input", "model"],
        "properties": {
            "input": {
                "description": "A string or an array of strings (token-id arrays are refused).",
                "oneOf": [
                    text,
                    {"type": "array", "items": text, "minItems": 1, "maxItems": settings.max_inputs_per_request},
                ],
            },
            "model": {"type": "string", "enum": list(model_ids)},
            "encoding_format": {"type": "string", "enum": ["float", "base64"], "default": "float"},
            "dimensions": {
                "type": "integer",
                "enum": [dimensions],
                "description": "Only the model's own size: its embeddings cannot be shortened.",
            },
            "user": {"type": "string"},
        },
    }


def day_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "format": "date", "pattern": DAY_PATTERN},
    }
