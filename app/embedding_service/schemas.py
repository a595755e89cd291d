"""The request body of POST /v1/embeddings, strictly typed, with messages that name the offending field."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from embedding_service.errors import InvalidRequestError

ID_ARRAYS_REFUSED = (
    "token-id arrays are not supported in 'input' (they would be another tokenizer's ids): send the text "
    "as strings. LangChain's OpenAIEmbeddings sends token ids unless it is created with "
    "check_embedding_ctx_length=False."
)


class EmbeddingRequest(BaseModel):
    """OpenAI's embeddings request; unknown fields are ignored, as OpenAI does."""

    model_config = ConfigDict(extra="ignore", strict=True)

    input: list[str]
    model: str
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None

    @field_validator("input", mode="before")
    @classmethod
    def _strings_only(cls, value: object) -> object:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise PydanticCustomError("input_type", "'input' must be a string or an array of strings")
        if not value:
            raise PydanticCustomError("input_empty", "'input' must not be an empty array")
        if all(isinstance(item, int) for item in value) or all(isinstance(item, list) for item in value):
            raise PydanticCustomError("input_tokens", ID_ARRAYS_REFUSED)
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise PydanticCustomError(
                    "input_type",
                    "'input[{index}]' must be a string, got {kind}",
                    {"index": index, "kind": type(item).__name__},
                )
            if not item:
                raise PydanticCustomError("input_empty", "'input[{index}]' is an empty string", {"index": index})
            try:
                item.encode()
            except UnicodeEncodeError:
                raise PydanticCustomError(
                    "input_text", "'input[{index}]' is not valid Unicode text", {"index": index}
                ) from None
        return value

    @field_validator("dimensions", "user", "encoding_format", mode="before")
    @classmethod
    def _omitted_rather_than_null(cls, value: object) -> object:
        if value is None:
            raise PydanticCustomError("null", "must not be null: omit the field instead")
        return value


def parse_embedding_request(body: bytes) -> EmbeddingRequest:
    """The request, or InvalidRequestError naming the first field at fault."""
    try:
        return EmbeddingRequest.model_validate_json(body)
    except ValidationError as error:
        message, param = describe_validation_error(error)
        raise InvalidRequestError(message, param=param) from error


def describe_validation_error(error: ValidationError) -> tuple[str, str | None]:
    """The first problem as (message, param) for the OpenAI error shape."""
    first = error.errors(include_url=False)[0]
    location = [str(part) for part in first["loc"]]
    param = location[0] if location else None
    if first["type"] in ("json_invalid", "json_type"):
        return "The request body is not valid JSON.", None
    if first["type"] == "model_type" or not location:
        return "The request body must be a JSON object.", None
    if first["type"] == "missing":
        return f"Missing required parameter '{param}'.", param
    where = ".".join(location)
    return (first["msg"] if first["type"].startswith("input_") else f"'{where}': {first['msg']}"), param
