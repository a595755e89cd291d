"""The embedding pipeline: where a request is tokenized, and that the counts are the model's own."""

import copy
import threading
from collections.abc import Sequence

import numpy as np
import pytest
from embedding_service.batcher import MicroBatcher
from embedding_service.metrics import Metrics
from embedding_service.model import EmbeddingModel
from embedding_service.schemas import EmbeddingRequest
from embedding_service.service import INLINE_TOKENIZE_CHARS, EmbeddingService
from tokenizers import Encoding

from .servers import MODEL_NAME, make_settings

pytestmark = pytest.mark.anyio


class ThreadRecordingModel:
    """The real model; each tokenize call notes the thread it ran on."""

    def __init__(self, model: EmbeddingModel) -> None:
        self._model = copy.copy(model)
        self.dimensions = model.dimensions
        self.tokenized_on: list[str] = []

    def tokenize(self, texts: Sequence[str]) -> list[Encoding]:
        self.tokenized_on.append(threading.current_thread().name)
        return self._model.tokenize(texts)

    def encode_tokenized(self, encodings: Sequence[Encoding]) -> np.ndarray:
        return self._model.encode_tokenized(encodings)


async def embed_on(model: ThreadRecordingModel, texts: list[str]) -> int:
    settings = make_settings(cache_enabled=False)
    batcher = MicroBatcher(model.encode_tokenized, max_batch_size=64, max_wait_s=0.0, max_queued_inputs=1000)
    batcher.start()
    service = EmbeddingService(model, batcher, None, Metrics(), settings)  # type: ignore[arg-type]
    try:
        result = await service.embed(EmbeddingRequest(input=texts, model=MODEL_NAME))
    finally:
        await batcher.stop()
    return result.tokens


async def test_a_request_of_a_few_short_inputs_is_tokenized_on_the_event_loop(embedding_model: EmbeddingModel):
    model = ThreadRecordingModel(embedding_model)

    tokens = await embed_on(model, ["a short sentence", "and another one"])

    assert model.tokenized_on == [threading.current_thread().name]
    assert tokens == sum(embedding_model.count_tokens(["a short sentence", "and another one"]))


async def test_a_request_over_the_inline_limit_is_tokenized_in_a_worker_thread(embedding_model: EmbeddingModel):
    model = ThreadRecordingModel(embedding_model)
    texts = ["word " * (INLINE_TOKENIZE_CHARS // 10)] * 3

    tokens = await embed_on(model, texts)

    assert len(model.tokenized_on) == 1
    assert model.tokenized_on[0] != threading.current_thread().name
    assert tokens == sum(embedding_model.count_tokens(texts))
