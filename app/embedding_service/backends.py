"""Which model backends exist, what precisions each runs, and on which devices: the one table of it."""

from typing import Literal, get_args

# all-MiniLM-L6-v2's window in tokens (its max_seq_length): longer inputs are truncated to it.
MODEL_MAX_TOKENS = 256

Backend = Literal["torch", "onnx", "openvino"]
Precision = Literal["fp32", "fp16", "int8", "bf16"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
# What each backend can run: torch on CPU or CUDA, the ONNX export under ONNX Runtime or OpenVINO on CPU only.
BACKEND_PRECISIONS: dict[str, tuple[Precision, ...]] = {
    "torch": ("fp32", "fp16"),
    "onnx": ("fp32", "int8"),
    "openvino": ("fp32", "bf16"),
}
CPU_ONLY_BACKENDS = ("onnx", "openvino")


def check_combination(backend: str, precision: str, device: str) -> None:
    """Refuses a backend, precision and device that do not go together; `auto` parts are not checked."""
    if backend in CPU_ONLY_BACKENDS and device == "cuda":
        raise ValueError(f"MODEL_BACKEND={backend} runs on CPU only: use MODEL_BACKEND=torch with MODEL_DEVICE=cuda")
    if backend in BACKEND_PRECISIONS and precision in PRECISIONS and precision not in BACKEND_PRECISIONS[backend]:
        owners = " or ".join(name for name, precisions in BACKEND_PRECISIONS.items() if precision in precisions)
        raise ValueError(
            f"MODEL_PRECISION={precision} needs MODEL_BACKEND={owners} "
            f"({backend} takes {' or '.join(BACKEND_PRECISIONS[backend])})"
        )
    if precision == "fp16" and device == "cpu":
        raise ValueError("MODEL_PRECISION=fp16 needs a GPU: on a CPU use fp32, int8 (onnx) or bf16 (openvino)")
