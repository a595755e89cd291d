"""The embedding pipeline behind the HTTP layer: checks, cache lookup, tokenizing, batched encoding, cache fill.

It raises the core's errors (errors.py) and knows nothing of HTTP.
"""

import asyncio
from dataclasses import dataclass

import numpy as np

from embedding_service.batcher import BatchTimings, MicroBatcher
from embedding_service.cache import EmbeddingCache, cache_key
from embedding_service.errors import InvalidRequestError, ModelNotFoundError
from embedding_service.metrics import Metrics
from embedding_service.model import Embedder
from embedding_service.schemas import EmbeddingRequest
from embedding_service.settings import Settings

# Requests up to this many characters are tokenized on the event loop (about 0.3 ms on one CPU).
INLINE_TOKENIZE_CHARS = 1024


@dataclass(frozen=True)
class EmbeddingResult:
    embeddings: np.ndarray
    tokens: int
    cache_hits: int
    timings: BatchTimings


def served_model_ids(served: str) -> tuple[str, ...]:
    """The names a request may use for the served model: its full id and its last path part."""
    short = served.rsplit("/", 1)[-1]
    return (served,) if short == served else (served, short)


class EmbeddingService:
    def __init__(
        self, model: Embedder, batcher: MicroBatcher, cache: EmbeddingCache | None, metrics: Metrics, settings: Settings
    ) -> None:
        self.model = model
        self._batcher = batcher
        self._cache = cache
        self._metrics = metrics
        self._settings = settings

    def check(self, request: EmbeddingRequest) -> None:
        """Refuses what this server will not embed: too many or too long inputs, another model or size."""
        settings = self._settings
        if len(request.input) > settings.max_inputs_per_request:
            raise InvalidRequestError(
                f"'input' has {len(request.input)} items; at most {settings.max_inputs_per_request} allowed.",
                param="input",
            )
        for index, text in enumerate(request.input):
            if len(text) > settings.max_input_chars:
                raise InvalidRequestError(
                    f"'input[{index}]' has {len(text)} characters; at most {settings.max_input_chars} are allowed.",
                    param="input",
                )
        served = settings.served_model_name
        if request.model not in served_model_ids(served):
            raise ModelNotFoundError(
                f"The model '{request.model}' does not exist; this server serves '{served}'.", param="model"
            )
        if request.dimensions is not None and request.dimensions != self.model.dimensions:
            raise InvalidRequestError(
                f"'dimensions' must be {self.model.dimensions} or omitted: this model's embeddings cannot be "
                "shortened.",
                param="dimensions",
            )

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        """Embeddings in input order; raises QueueFullError when the model's queue has no room."""
        self.check(request)
        texts = request.input
        embeddings = np.empty((len(texts), self.model.dimensions), dtype=np.float32)
        missing = list(range(len(texts)))
        keys: list[str] = []
        if self._cache is not None:
            keys = [cache_key(self._settings.served_model_name, self.model.dimensions, text) for text in texts]
            missing = []
            for index, value in enumerate(await self._cache.get_many(keys)):
                if value is None:
                    missing.append(index)
                else:
                    embeddings[index] = np.frombuffer(value, dtype=np.float32)
        # The counts below come from the same encodings the model embeds. Tokenizing long inputs takes hundreds
        # of milliseconds, so a worker thread does it; a few short inputs take microseconds, less than the hop.
        if sum(map(len, texts)) <= INLINE_TOKENIZE_CHARS:
            encodings = self.model.tokenize(texts)
        else:
            encodings = await asyncio.to_thread(self.model.tokenize, texts)
        tokens = sum(len(encoding.ids) for encoding in encodings)
        timings = BatchTimings(queue_s=0.0, compute_s=0.0)
        if missing:
            computed, timings = await self._batcher.embed([encodings[index] for index in missing])
            embeddings[missing] = computed
            if self._cache is not None:
                await self._cache.put_many({keys[index]: embeddings[index].tobytes() for index in missing})
        cache_hits = len(texts) - len(missing) if self._cache is not None else 0
        self._metrics.inputs.inc(len(texts))
        self._metrics.tokens.inc(tokens)
        if self._cache is not None:
            self._metrics.cache_hits.inc(cache_hits)
            self._metrics.cache_misses.inc(len(missing))
        return EmbeddingResult(embeddings, tokens, cache_hits, timings)
