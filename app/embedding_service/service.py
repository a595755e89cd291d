"""The embedding pipeline behind the HTTP layer: cache lookup, micro-batched encoding, cache fill."""

from dataclasses import dataclass

import numpy as np

from embedding_service.batcher import BatchTimings, MicroBatcher
from embedding_service.cache import EmbeddingCache, cache_key
from embedding_service.metrics import Metrics
from embedding_service.model import EmbeddingModel


@dataclass(frozen=True)
class EmbeddingResult:
    embeddings: np.ndarray
    tokens: int
    cache_hits: int
    timings: BatchTimings


class EmbeddingService:
    def __init__(
        self,
        model: EmbeddingModel,
        batcher: MicroBatcher,
        cache: EmbeddingCache | None,
        metrics: Metrics,
        model_name: str,
    ) -> None:
        self.model = model
        self._batcher = batcher
        self._cache = cache
        self._metrics = metrics
        self._model_name = model_name

    async def embed(self, texts: list[str]) -> EmbeddingResult:
        """Embeddings in input order; raises QueueFullError when the model's queue has no room."""
        embeddings = np.empty((len(texts), self.model.dimensions), dtype=np.float32)
        missing = list(range(len(texts)))
        keys: list[str] = []
        if self._cache is not None:
            keys = [cache_key(self._model_name, self.model.dimensions, text) for text in texts]
            missing = []
            for index, value in enumerate(await self._cache.get_many(keys)):
                if value is None:
                    missing.append(index)
                else:
                    embeddings[index] = np.frombuffer(value, dtype=np.float32)
        timings = BatchTimings(queue_s=0.0, compute_s=0.0)
        if missing:
            computed, timings = await self._batcher.embed([texts[index] for index in missing])
            embeddings[missing] = computed
            if self._cache is not None:
                await self._cache.put_many({keys[index]: embeddings[index].tobytes() for index in missing})
        tokens = sum(self.model.count_tokens(texts))
        cache_hits = len(texts) - len(missing) if self._cache is not None else 0
        self._metrics.inputs.inc(len(texts))
        self._metrics.tokens.inc(tokens)
        if self._cache is not None:
            self._metrics.cache_hits.inc(cache_hits)
            self._metrics.cache_misses.inc(len(missing))
        return EmbeddingResult(embeddings, tokens, cache_hits, timings)
