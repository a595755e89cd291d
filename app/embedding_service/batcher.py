"""Continuous batching: tokenized inputs from concurrent requests share model batches.

The model runs in `workers` threads, each encoding one batch at a time, off the event loop. A thread cuts its next
batch from the queue itself as soon as it is free, so the model never waits for the event loop between batches;
the loop only queues inputs and hands back the results. A thread waits for more inputs (max_wait_s) only when the
model was idle and the queue is short; when a batch finishes it goes straight on with whatever queued meanwhile.
Inputs arriving while every thread is busy join the next batch rather than make small ones. A batch holds at most
max_batch_size inputs and max_batch_tokens padded tokens (inputs x longest input). A request's inputs are
queued shortest first, and each batch takes the oldest queued input and fills up with the queued inputs
nearest its length, from any request, so that a batch pads little.
"""

import asyncio
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
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
    # The queue and the count of threads encoding are shared by the loop and the model threads, under _changed.
    _queue: deque[_Pending] = field(default_factory=deque, init=False)
    _encoding: int = field(default=0, init=False)
    _changed: threading.Condition = field(default_factory=threading.Condition, init=False)
    _stopping: bool = field(default=False, init=False)
    _threads: list[threading.Thread] = field(default_factory=list, init=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)
    _wake_scheduled: bool = field(default=False, init=False)
    _requests: int = field(default=0, init=False)
    _answered: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _batch_ids: "itertools.count[int]" = field(default_factory=itertools.count, init=False)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}")

    @property
    def queued_inputs(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        """Starts the model threads; call it on the event loop that will await embed()."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._work, name=f"model_{index}", daemon=True) for index in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    async def stop(self) -> None:
        """Encode what is queued, answer every request taken, then stop the threads."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        threads, self._threads = self._threads, []
        await asyncio.to_thread(_join_all, threads)
        while self._requests:
            self._answered.clear()
            await self._answered.wait()

    async def embed(self, encodings: Sequence[Encoding]) -> tuple[np.ndarray, BatchTimings]:
        """Embeddings in input order; raises QueueFullError rather than waiting for room."""
        if self._stopping:
            raise QueueFullError("The server is shutting down; retry later.")
        if len(self._queue) + len(encodings) > self.max_queued_inputs:
            raise QueueFullError(f"The server is overloaded ({len(self._queue)} inputs already queued); retry later.")
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        pending = [_Pending(encoding, loop.create_future()) for encoding in encodings]
        self._requests += 1
        try:
            with self._changed:
                self._queue.extend(sorted(pending, key=lambda item: item.tokens))
            if not self._wake_scheduled:
                # The threads are woken once the loop has run what is ready, so that requests arriving together
                # are queued together and an idle model sees them all.
                self._wake_scheduled = True
                loop.call_soon(self._wake)
            results = await asyncio.gather(*(item.result for item in pending))
        finally:
            self._requests -= 1
            self._answered.set()
        elapsed = time.perf_counter() - started
        compute_s = sum(dict((batch, seconds) for _row, batch, seconds in results).values())
        rows = np.stack([row for row, _batch, _seconds in results])
        return rows, BatchTimings(queue_s=max(0.0, elapsed - compute_s), compute_s=compute_s)

    def _wake(self) -> None:
        self._wake_scheduled = False
        with self._changed:
            self._changed.notify_all()

    def _next_batch(self) -> list[_Pending]:
        """The oldest input, and the queued inputs nearest its length that fit max_batch_size and max_batch_tokens.

        The oldest always goes, so an input is passed over at most once per input queued before it. The rest are
        chosen by length (the older first among equals), so alike inputs of different requests share a batch and
        pad little. The caller holds _changed.
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

    def _take_batch(self) -> list[_Pending] | None:
        """The next batch for this thread, once there is one; None when stopping with nothing queued."""
        with self._changed:
            waited_for_inputs = False
            while True:
                while not self._queue:
                    if self._stopping:
                        return None
                    waited_for_inputs = True
                    self._changed.wait()
                if waited_for_inputs and not self._encoding and not self._stopping and self.max_wait_s > 0:
                    self._wait_for_more_inputs()
                if self._queue:  # another idle thread may have taken them while this one waited
                    self._encoding += 1
                    return self._next_batch()

    def _wait_for_more_inputs(self) -> None:
        """Up to max_wait_s for a full batch to queue; the caller holds _changed (the wait releases it)."""
        deadline = time.monotonic() + self.max_wait_s
        while len(self._queue) < self.max_batch_size and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._changed.wait(remaining)

    def _work(self) -> None:
        """One model thread: cut a batch, encode it, hand the results to the loop; until stopped and drained."""
        assert self._loop is not None
        while (batch := self._take_batch()) is not None:
            # A request whose caller went away has a cancelled future; reading done() from here is a benign race,
            # since _answer checks again on the loop.
            live = [item for item in batch if not item.result.done()]
            batch_id = next(self._batch_ids)
            started = time.perf_counter()
            # Whatever fails here fails this batch's requests only: the thread must live on for the next ones.
            try:
                if live:
                    self.on_batch(len(live))
                    embeddings = self.encode([item.encoding for item in live])
                    self._loop.call_soon_threadsafe(_answer, live, embeddings, batch_id, time.perf_counter() - started)
            except Exception as error:
                self._loop.call_soon_threadsafe(_fail, live, error)
            finally:
                with self._changed:
                    self._encoding -= 1


def _join_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join()


def _answer(live: list[_Pending], embeddings: np.ndarray, batch_id: int, compute_s: float) -> None:
    for item, row in zip(live, embeddings, strict=True):
        if not item.result.done():
            item.result.set_result((row, batch_id, compute_s))


def _fail(live: list[_Pending], error: Exception) -> None:
    for item in live:
        if not item.result.done():
            item.result.set_exception(error)
