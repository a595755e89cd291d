"""Continuous batching: tokenized inputs from concurrent requests share model batches.

One worker feeds the model, up to `workers` batches at once, each in its own thread. It waits for more
inputs (max_wait_s) only when the model was idle and the queue is short; when a batch finishes it goes
straight on with whatever queued meanwhile. A new batch is cut only when a thread is free, so that inputs
arriving while every thread is busy join the next batch rather than make small ones. A batch holds at most
max_batch_size inputs and max_batch_tokens padded tokens (inputs x longest input). A request's inputs are
queued shortest first, and each batch takes the oldest queued input and fills up with the queued inputs
nearest its length, from any request, so that a batch pads little.
"""

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from tokenizers import Encoding

from embedding_service.errors import QueueFullError
from embedding_service.model import LARGE_BATCH_TOKENS

TokenizedEncoder = Callable[[Sequence[Encoding]], np.ndarray]


@dataclass
class _Pending:
    encoding: Encoding
    result: asyncio.Future[tuple[np.ndarray, int, float]] = field(repr=False)

    @property
    def tokens(self) -> int:
        return len(self.encoding.ids)


@dataclass(frozen=True)
class BatchTimings:
    """What one request spent: queue_s waiting, compute_s in the model (the sum over its batches)."""

    queue_s: float
    compute_s: float


@dataclass
class MicroBatcher:
    """Feeds one model from a bounded queue; the model runs in `workers` threads, off the event loop."""

    encode: TokenizedEncoder
    max_batch_size: int
    max_wait_s: float
    max_queued_inputs: int
    max_batch_tokens: int = LARGE_BATCH_TOKENS
    on_batch: Callable[[int], None] = lambda _size: None
    workers: int = 1
    _queue: deque[_Pending] = field(default_factory=deque, init=False)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _executor: ThreadPoolExecutor = field(init=False)
    _free_threads: asyncio.Semaphore = field(init=False)
    _in_flight: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _worker: asyncio.Task[None] | None = field(default=None, init=False)
    _stopping: bool = field(default=False, init=False)
    _batch_ids: "itertools.count[int]" = field(default_factory=itertools.count, init=False)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="model")
        self._free_threads = asyncio.Semaphore(self.workers)

    @property
    def queued_inputs(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        self._stopping = False
        self._worker = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Encode what is queued, then stop the worker."""
        self._stopping = True
        self._arrived.set()
        if self._worker:
            await self._worker
            self._worker = None
        await asyncio.gather(*self._in_flight)
        self._executor.shutdown(wait=True)

    async def embed(self, encodings: Sequence[Encoding]) -> tuple[np.ndarray, BatchTimings]:
        """Embeddings in input order; raises QueueFullError rather than waiting for room."""
        if len(self._queue) + len(encodings) > self.max_queued_inputs:
            raise QueueFullError(f"The server is overloaded ({len(self._queue)} inputs already queued); retry later.")
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        pending = [_Pending(encoding, loop.create_future()) for encoding in encodings]
        self._queue.extend(sorted(pending, key=lambda item: item.tokens))
        self._arrived.set()
        results = await asyncio.gather(*(item.result for item in pending))
        elapsed = time.perf_counter() - started
        compute_s = sum(dict((batch, seconds) for _row, batch, seconds in results).values())
        rows = np.stack([row for row, _batch, _seconds in results])
        return rows, BatchTimings(queue_s=max(0.0, elapsed - compute_s), compute_s=compute_s)

    def _next_batch(self) -> list[_Pending]:
        """The oldest input, and the queued inputs nearest its length that fit max_batch_size and max_batch_tokens.

        The oldest always goes, so an input is passed over at most once per input queued before it. The rest are
        chosen by length (the older first among equals), so alike inputs of different requests share a batch and
        pad little.
        """
        oldest = self._queue.popleft()
        batch = [oldest]
        queued = list(self._queue)
        nearest = sorted(range(len(queued)), key=lambda index: (abs(queued[index].tokens - oldest.tokens), index))
        longest = oldest.tokens
        taken: set[int] = set()
        for index in nearest:
            if len(batch) == self.max_batch_size:
                break
            candidate_longest = max(longest, queued[index].tokens)
            if candidate_longest * (len(batch) + 1) > self.max_batch_tokens:
                continue  # too long to join; a shorter one further down may still fit
            longest = candidate_longest
            batch.append(queued[index])
            taken.add(index)
        self._queue = deque(item for index, item in enumerate(queued) if index not in taken)
        return batch

    async def _run(self) -> None:
        while True:
            was_idle = not self._queue and not self._in_flight
            while not self._queue:
                if self._stopping:
                    return
                self._arrived.clear()
                await self._arrived.wait()
            if was_idle and not self._stopping and self.max_wait_s > 0 and len(self._queue) < self.max_batch_size:
                await asyncio.sleep(self.max_wait_s)
            await self._free_threads.acquire()
            live = [item for item in self._next_batch() if not item.result.done()]
            if not live:
                self._free_threads.release()
                continue
            task = asyncio.create_task(self._encode(live))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _encode(self, live: list[_Pending]) -> None:
        """Encodes one batch in a model thread and answers its inputs; frees the thread however it ends."""
        loop = asyncio.get_running_loop()
        batch_id = next(self._batch_ids)
        started = time.perf_counter()
        # Whatever fails here fails this batch's requests only: the worker must live on for the next ones.
        try:
            self.on_batch(len(live))
            embeddings = await loop.run_in_executor(self._executor, self.encode, [i.encoding for i in live])
        except Exception as error:
            for item in live:
                if not item.result.done():
                    item.result.set_exception(error)
            return
        finally:
            self._free_threads.release()
        compute_s = time.perf_counter() - started
        for item, row in zip(live, embeddings, strict=True):
            if not item.result.done():
                item.result.set_result((row, batch_id, compute_s))
