"""The ONNX backend: exported offline from the packaged model, equal to torch, refused below its floor."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from embedding_service.model import LARGE_BATCH_TOKENS, EmbeddingModel
from embedding_service.onnx_backend import (
    VERIFICATION_SENTENCES,
    ExportMismatchError,
    OnnxEmbeddingModel,
    min_cosine,
    verify,
)
from embedding_service.runtime import load_model, resolve_backend

from .servers import make_settings, run_live_server


@pytest.fixture(scope="session")
def onnx_fp32(onnx_dir: Path) -> OnnxEmbeddingModel:
    return OnnxEmbeddingModel(onnx_dir, "fp32")


def test_the_export_writes_fp32_and_int8_models(onnx_dir: Path):
    assert sorted(path.name for path in onnx_dir.iterdir()) == ["model-fp32.onnx", "model-int8.onnx"]


def test_fp32_embeddings_equal_torchs(onnx_fp32: OnnxEmbeddingModel, embedding_model: EmbeddingModel):
    texts = [*VERIFICATION_SENTENCES, "another sentence, not among the fixed ones"]

    embeddings = onnx_fp32.encode(texts)

    assert embeddings.dtype == np.float32
    assert embeddings.shape == (len(texts), 384)
    np.testing.assert_allclose(embeddings, embedding_model.encode(texts), atol=1e-5)
    assert min_cosine(onnx_fp32, embedding_model) >= 0.9999


def test_token_counts_are_the_same_encodings_either_backend_embeds(
    onnx_fp32: OnnxEmbeddingModel, embedding_model: EmbeddingModel
):
    texts = ["hello world", "word " * 1000]

    assert onnx_fp32.count_tokens(texts) == embedding_model.count_tokens(texts) == [4, 256]


def test_int8_is_close_to_torch_but_refused_under_a_floor_it_does_not_reach(
    onnx_dir: Path, embedding_model: EmbeddingModel
):
    int8 = OnnxEmbeddingModel(onnx_dir, "int8")
    lowest = min_cosine(int8, embedding_model)

    assert 0.95 <= lowest < 0.9999
    with pytest.raises(ExportMismatchError, match=r"min cosine .* < ONNX_INT8_MIN_COSINE=0.9999"):
        verify(int8, embedding_model, 0.9999, "ONNX_INT8_MIN_COSINE")


def _threads() -> set[str]:
    return set(os.listdir("/proc/self/task"))


def _allowed_cpus(thread: str) -> str:
    status = Path(f"/proc/self/task/{thread}/status").read_text()
    return next(line.split(":", 1)[1].strip() for line in status.splitlines() if line.startswith("Cpus_allowed_list"))


def test_onnx_runtimes_threads_may_run_on_every_cpu_and_sleep_when_idle(onnx_dir: Path):
    before = _threads()

    model = OnnxEmbeddingModel(onnx_dir, "fp32", threads=2)

    started = _threads() - before
    assert started, "ONNX Runtime started no worker thread for 2 intra-op threads"
    assert {_allowed_cpus(thread) for thread in started} == {_allowed_cpus(str(threading.get_native_id()))}
    options = model.session_options()
    assert options.intra_op_num_threads == 2
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.get_session_config_entry("session.inter_op.allow_spinning") == "0"


def test_by_default_one_batch_runs_per_cpu_the_process_may_use_each_on_one_thread(onnx_fp32: OnnxEmbeddingModel):
    assert onnx_fp32.parallel_batches == len(os.sched_getaffinity(0))
    assert onnx_fp32.session_options().intra_op_num_threads == 1


def test_one_worker_gets_every_cpu_the_process_may_use(onnx_dir: Path):
    model = OnnxEmbeddingModel(onnx_dir, "fp32", workers=1)

    assert model.parallel_batches == 1
    assert model.session_options().intra_op_num_threads == len(os.sched_getaffinity(0))


def test_a_batch_on_one_thread_is_best_at_512_padded_tokens(onnx_fp32: OnnxEmbeddingModel):
    assert onnx_fp32.session_options().intra_op_num_threads == 1
    assert onnx_fp32.best_batch_tokens == 512


def test_a_batch_on_several_threads_keeps_large_batches(onnx_dir: Path):
    model = OnnxEmbeddingModel(onnx_dir, "fp32", threads=2, workers=1)

    assert model.best_batch_tokens == LARGE_BATCH_TOKENS


@pytest.mark.parametrize(("setting", "expected"), [(0, 512), (4096, 4096)])
def test_the_service_caps_batches_at_the_models_best_unless_max_batch_tokens_is_set(
    onnx_fp32: OnnxEmbeddingModel, setting: int, expected: int
):
    with run_live_server(make_settings(max_batch_tokens=setting), lambda _settings: onnx_fp32) as server:
        batcher = server.app.state.runtime.batcher

    assert batcher.max_batch_tokens == expected


def test_one_session_encodes_batches_from_several_threads_at_once_with_the_same_vectors(
    onnx_fp32: OnnxEmbeddingModel,
):
    batches = [[f"sentence {index} of batch {batch}" for index in range(8)] for batch in range(4)]
    alone = [onnx_fp32.encode(batch) for batch in batches]

    with ThreadPoolExecutor(max_workers=4) as threads:
        together = list(threads.map(onnx_fp32.encode, batches))

    for expected, actual in zip(alone, together, strict=True):
        np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-6)


def test_spinning_is_opt_in(onnx_dir: Path):
    model = OnnxEmbeddingModel(onnx_dir, "fp32", threads=1, spinning=True)

    assert model.session_options().get_session_config_entry("session.intra_op.allow_spinning") == "1"


def test_the_service_feeds_the_loaded_model_as_many_batches_at_once_as_it_allows(onnx_dir: Path):
    model = OnnxEmbeddingModel(onnx_dir, "fp32", workers=3)

    with run_live_server(make_settings(), lambda _settings: model) as server:
        batcher = server.app.state.runtime.batcher

    assert batcher.workers == 3


def test_the_loader_passes_the_worker_and_thread_settings_to_onnx_runtime(onnx_dir: Path):
    settings = make_settings(
        model_backend="onnx", model_onnx_dir=onnx_dir, onnx_workers=3, onnx_threads=1, onnx_spinning=True
    )

    model = load_model(settings)

    assert isinstance(model, OnnxEmbeddingModel)
    assert model.parallel_batches == 3
    options = model.session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "1"


def test_a_missing_export_names_the_setting_and_the_make_target(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"MODEL_ONNX_DIR=.* has no model-fp32.onnx: run `make install-app`"):
        OnnxEmbeddingModel(tmp_path, "fp32")


def test_the_loader_checks_the_onnx_model_before_returning_it(onnx_dir: Path):
    model = load_model(make_settings(model_device="cpu", model_backend="onnx", model_onnx_dir=onnx_dir))

    info = model.device_info()
    assert (info.device, info.backend, info.precision) == ("cpu", "onnx", "fp32")


def test_the_loader_refuses_an_int8_model_below_its_floor(onnx_dir: Path):
    settings = make_settings(
        model_backend="onnx", model_precision="int8", model_onnx_dir=onnx_dir, onnx_int8_min_cosine=0.99999
    )

    with pytest.raises(ExportMismatchError, match=r"ONNX_INT8_MIN_COSINE=0\.99999"):
        load_model(settings)


@pytest.mark.parametrize(
    ("settings", "device", "expected"),
    [
        ({}, "cpu", ("onnx", "fp32")),
        ({}, "cuda", ("torch", "fp16")),
        ({"model_backend": "torch"}, "cpu", ("torch", "fp32")),
        ({"model_precision": "int8"}, "cpu", ("onnx", "int8")),
        ({"model_backend": "torch", "model_precision": "fp32"}, "cuda", ("torch", "fp32")),
    ],
)
def test_auto_means_onnx_fp32_on_cpu_and_torch_fp16_on_cuda(
    settings: dict[str, str], device: str, expected: tuple[str, str]
):
    assert resolve_backend(make_settings(**settings), device) == expected


@pytest.mark.parametrize(
    ("settings", "device", "message"),
    [
        ({"model_precision": "fp16"}, "cpu", "MODEL_PRECISION=fp16 needs"),
        ({"model_backend": "onnx"}, "cuda", "MODEL_BACKEND=onnx runs on CPU only"),
        ({"model_precision": "int8"}, "cuda", "MODEL_PRECISION=int8 needs MODEL_BACKEND=onnx"),
    ],
)
def test_combinations_that_do_not_exist_on_the_device_are_refused_naming_the_setting(
    settings: dict[str, str], device: str, message: str
):
    with pytest.raises(ValueError, match=message):
        resolve_backend(make_settings(**settings), device)
