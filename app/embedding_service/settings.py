"""Every knob of the service, read once from the environment (names are case-insensitive)."""

import tempfile
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from embedding_service.backends import MODEL_MAX_TOKENS, check_combination

CommaSeparated = Annotated[list[str], NoDecode]
DEFAULT_ONNX_DIR = Path(__file__).resolve().parents[1] / "data" / "onnx"
# A batch must have room for one input that fills the model's window.
MIN_BATCH_TOKENS = MODEL_MAX_TOKENS


class Settings(BaseSettings):
    """The service's configuration; README.md lists each variable with its default and meaning."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface uvicorn binds when started with `python -m`.")
    port: int = Field(default=8080, ge=1, le=65535, description="TCP port (Cloud Run sets PORT).")
    model_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto",
        description="auto picks CUDA when torch sees a GPU, else CPU; cuda fails start-up without one.",
    )
    model_backend: Literal["auto", "torch", "onnx", "openvino"] = Field(
        default="auto",
        description="auto: onnx on CPU (openvino with MODEL_PRECISION=bf16), torch on CUDA; or torch, onnx or "
        "openvino (both CPU only).",
    )
    model_precision: Literal["auto", "fp32", "fp16", "int8", "bf16"] = Field(
        default="auto",
        description="auto: fp32 on CPU, fp16 on CUDA; torch takes fp32 or fp16 (CUDA), onnx fp32 or int8, "
        "openvino fp32 or bf16 (CPUs with native bfloat16).",
    )
    model_onnx_dir: Path = Field(
        default=DEFAULT_ONNX_DIR, description="Folder with model-fp32.onnx and model-int8.onnx (the export)."
    )
    onnx_fp32_min_cosine: float = Field(
        default=0.9999, gt=0, le=1, description="Lowest cosine to torch the fp32 export may show at start-up."
    )
    onnx_int8_min_cosine: float = Field(
        default=0.98, gt=0, le=1, description="Lowest cosine to torch the int8 model may show at start-up."
    )
    openvino_bf16_min_cosine: float = Field(
        default=0.9995, gt=0, le=1, description="Lowest cosine to torch OpenVINO's bf16 run may show at start-up."
    )
    onnx_workers: int = Field(
        default=0,
        ge=0,
        description="Batches ONNX Runtime (or OpenVINO, as streams) encodes at once, each from its own thread; 0: "
        "one per CPU this process may run on.",
    )
    onnx_threads: int = Field(
        default=0,
        ge=0,
        description="ONNX Runtime's (or OpenVINO's) threads per batch; 0: the CPUs this process may run on, "
        "shared out among ONNX_WORKERS. Never pinned to cores.",
    )
    onnx_spinning: bool = Field(
        default=False,
        description="ONNX Runtime only: let its idle threads spin-wait for work instead of sleeping (burns the "
        "CPUs the event loop, the tokenizer and other processes need).",
    )
    served_model_name: str = Field(
        default="sentence-transformers/all-MiniLM-L6-v2", description="Model id reported by /v1/models and responses."
    )

    api_keys: CommaSeparated = Field(default_factory=list, description="Bearer keys allowed to embed.")
    admin_api_keys: CommaSeparated = Field(default_factory=list, description="Bearer keys allowed /v1/usage.")
    auth_disabled: bool = Field(default=False, description="Serve without keys; only for explicit local runs.")

    max_batch_size: int = Field(default=64, ge=1, description="Most inputs the model encodes in one batch.")
    max_batch_tokens: int = Field(
        default=0,
        ge=0,
        description="Most padded tokens (inputs x longest input) in one batch, as TEI's max_batch_tokens; 0: the "
        "backend's best (512 for ONNX Runtime or OpenVINO with one thread per batch, else 16384).",
    )
    max_wait_ms: float = Field(
        default=2.0, ge=0, description="How long an idle model waits for more inputs when the queue is short."
    )
    max_queued_inputs: int = Field(
        default=2048, ge=1, description="Inputs waiting for the model; beyond this requests get 429."
    )
    max_inputs_per_request: int = Field(default=256, ge=1, le=2048, description="Most strings in one request.")
    max_input_chars: int = Field(
        default=8192, ge=1, description="Longest accepted input in characters; longer inputs are refused with 400."
    )
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, description="Largest request body; beyond: 413.")
    overload_retry_after_s: int = Field(default=1, ge=1, description="retry-after sent with a 429 for a full queue.")

    redis_url: str | None = Field(default=None, description="redis:// or rediss:// URL; unset: in-process cache.")
    redis_password: SecretStr | None = Field(default=None, description="Redis AUTH string (Memorystore).")
    redis_ca_cert: str | None = Field(default=None, description="PEM text of the Redis server CA (Memorystore TLS).")
    redis_tls_check_hostname: bool = Field(
        default=False,
        description="Check the Redis server certificate's host name; Memorystore's CA is unique to the "
        "instance, so the chain check alone already pins the server.",
    )
    redis_timeout_s: float = Field(default=0.25, gt=0, description="Connect and command timeout for Redis calls.")
    redis_retry_interval_s: float = Field(
        default=1.0, gt=0, description="While Redis is down, how often it is probed to reconnect."
    )

    cache_enabled: bool = Field(default=True, description="Cache embeddings per input.")
    cache_ttl_s: int = Field(default=86400, ge=1, description="Lifetime of a cached embedding.")
    cache_max_entries: int = Field(
        default=10000, ge=1, description="Entries the in-process cache keeps (used when REDIS_URL is unset)."
    )

    rate_limit: str = Field(
        default="600/minute", description="Per-key limit in the `limits` notation, e.g. 600/minute; empty: no limit."
    )
    rate_limit_fail_open: bool = Field(
        default=True, description="When Redis is unreachable, let requests through (true) or refuse them (false)."
    )

    database_url: str | None = Field(
        default=None, description="postgresql:// URL of the usage log; unset: a SQLite file (SQLITE_PATH)."
    )
    database_password: SecretStr | None = Field(default=None, description="PostgreSQL password (Secret Manager).")
    sqlite_path: Path = Field(
        default=Path(tempfile.gettempdir()) / "embedding-usage.sqlite3",
        description="Usage log file without PostgreSQL.",
    )
    database_pool_size: int = Field(default=2, ge=1, le=10, description="Connections each instance holds at most.")
    usage_queue_size: int = Field(default=10000, ge=1, description="Usage rows held in memory; beyond: dropped.")
    usage_batch_rows: int = Field(default=500, ge=1, description="Rows written per batch at most.")
    usage_flush_interval_ms: float = Field(default=500.0, gt=0, description="Longest a row waits before a write.")
    usage_retry_interval_s: float = Field(default=1.0, gt=0, description="Pause after a failed write.")
    shutdown_flush_timeout_s: float = Field(default=10.0, ge=0, description="Time given to flush usage at shutdown.")

    @field_validator("api_keys", "admin_api_keys", mode="before")
    @classmethod
    def _split_comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError("REDIS_URL must start with redis:// or rediss://")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("DATABASE_URL must start with postgresql://")
        return value or None

    @field_validator("max_batch_tokens")
    @classmethod
    def _room_for_one_full_input(cls, value: int) -> int:
        if 0 < value < MIN_BATCH_TOKENS:
            raise ValueError(
                f"MAX_BATCH_TOKENS={value} is below {MIN_BATCH_TOKENS}, one input of the model's full window: "
                "set 0 (the backend's best) or at least that"
            )
        return value

    @model_validator(mode="after")
    def _a_full_request_fits_in_the_queue(self) -> Self:
        if self.max_inputs_per_request > self.max_queued_inputs:
            raise ValueError(
                f"MAX_INPUTS_PER_REQUEST ({self.max_inputs_per_request}) exceeds MAX_QUEUED_INPUTS "
                f"({self.max_queued_inputs}): such a request could never be queued"
            )
        return self

    @model_validator(mode="after")
    def _a_backend_and_precision_that_exist(self) -> Self:
        check_combination(self.model_backend, self.model_precision, self.model_device)
        return self

    @model_validator(mode="after")
    def _keys_unless_auth_disabled(self) -> Self:
        if not self.auth_disabled and not self.api_keys:
            raise ValueError("API_KEYS is empty: set it, or set AUTH_DISABLED=true for a local run")
        return self
