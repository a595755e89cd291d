"""The OpenVINO backend: the ONNX export (onnx_backend.export) under OpenVINO's CPU runtime.

Its reason to exist is bfloat16. On CPUs that compute it natively (AMX or AVX512_BF16, as OpenVINO's CPU plugin
reports in OPTIMIZATION_CAPABILITIES; measured on an Intel Xeon with AMX) OpenVINO runs the matrix products in
bfloat16 and keeps the sensitive operators (normalisation, softmax, pooling) in fp32, which gives embeddings within
0.9999 cosine of torch fp32 at about three times the speed. fp32 is plain fp32, asked for explicitly, because
OpenVINO would otherwise pick bfloat16 by itself on such CPUs.
"""

import logging
import queue
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import openvino
from tokenizers import Encoding

from embedding_service.backends import BACKEND_PRECISIONS, MODEL_MAX_TOKENS, Precision
from embedding_service.model import (
    MODEL_DIMENSIONS,
    WARM_UP_TEXT,
    DeviceInfo,
    PackagedTokenizer,
    pad,
)
from embedding_service.onnx_backend import ThreadPlan, exported_model

logger = logging.getLogger(__name__)

OPENVINO_PRECISIONS = BACKEND_PRECISIONS["openvino"]
# OpenVINO's names for them, as its INFERENCE_PRECISION_HINT takes and reports them.
_INFERENCE_PRECISIONS = {"fp32": "f32", "bf16": "bf16"}


class Bf16UnavailableError(ValueError):
    """MODEL_PRECISION=bf16 on a CPU that has no native bfloat16 instructions."""


def cpu_capabilities(core: openvino.Core) -> tuple[str, ...]:
    """What OpenVINO's CPU plugin can run natively here: FP32, BF16, INT8, ..."""
    return tuple(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


def native_bf16() -> bool:
    return "BF16" in cpu_capabilities(openvino.Core())


class OpenVinoEmbeddingModel(PackagedTokenizer):
    """The exported fp32 graph, compiled by OpenVINO for this CPU in fp32 or bfloat16."""

    backend = "openvino"
    device = "cpu"

    def __init__(self, directory: Path, precision: Precision, threads: int = 0, workers: int = 0) -> None:
        if precision not in OPENVINO_PRECISIONS:
            raise ValueError(f"MODEL_PRECISION={precision} is not available with MODEL_BACKEND=openvino (fp32, bf16)")
        # bfloat16 is a way of running the fp32 export, not a file of its own.
        path = exported_model(directory, "fp32")
        core = openvino.Core()
        capabilities = cpu_capabilities(core)
        if precision == "bf16" and "BF16" not in capabilities:
            raise Bf16UnavailableError(
                "MODEL_PRECISION=bf16 needs a CPU with native bfloat16 (AMX or AVX512_BF16); this one offers "
                f"{', '.join(capabilities)}: use MODEL_PRECISION=fp32"
            )
        super().__init__(MODEL_MAX_TOKENS)
        self.precision: str = precision
        self.dimensions = MODEL_DIMENSIONS
        # As with ONNX Runtime; each batch in flight is a stream, in OpenVINO's words.
        plan = ThreadPlan.resolve(workers, threads)
        self.parallel_batches = plan.parallel_batches
        self.threads = plan.threads_per_batch
        self.best_batch_tokens = plan.best_batch_tokens
        self._compiled = core.compile_model(
            str(path),
            "CPU",
            {
                "INFERENCE_PRECISION_HINT": _INFERENCE_PRECISIONS[precision],
                "PERFORMANCE_HINT": "THROUGHPUT",
                "NUM_STREAMS": self.parallel_batches,
                "INFERENCE_NUM_THREADS": self.parallel_batches * self.threads,
                # Pinned threads cannot move off a core the event loop or a neighbour is using (see
                # onnx_backend.session_options): the same starvation, the same cure.
                "ENABLE_CPU_PINNING": False,
            },
        )
        if self.inference_precision() != _INFERENCE_PRECISIONS[precision]:
            raise RuntimeError(
                f"OpenVINO compiled the model for {self.inference_precision()}, not MODEL_PRECISION={precision}"
            )
        # One infer request per batch in flight: a request is not thread-safe, the compiled model is.
        self._idle_requests: queue.SimpleQueue[openvino.InferRequest] = queue.SimpleQueue()
        for _ in range(self.parallel_batches):
            self._idle_requests.put(self._compiled.create_infer_request())
        self.encode([WARM_UP_TEXT])
        logger.info(
            "model loaded: openvino %s from %s (%d batches at once, %d threads each, best batch %d tokens)",
            self.inference_precision(),
            path,
            self.parallel_batches,
            self.threads,
            self.best_batch_tokens,
        )

    def inference_precision(self) -> str:
        """The precision OpenVINO compiled the model for (f32 or bf16), as it reports it."""
        return str(self._compiled.get_property("INFERENCE_PRECISION_HINT").to_string())

    def compiled_property(self, name: str) -> object:
        return self._compiled.get_property(name)

    def encode_tokenized(self, encodings: Sequence[Encoding]) -> np.ndarray:
        inputs = pad(encodings).inputs()
        request = self._idle_requests.get()
        try:
            request.infer(inputs)
            return np.array(request.get_output_tensor(0).data, dtype=np.float32)
        finally:
            self._idle_requests.put(request)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_tokenized(self.tokenize(texts))

    def device_info(self) -> DeviceInfo:
        return DeviceInfo(self.device, self.backend, self.precision, None, None, None)
