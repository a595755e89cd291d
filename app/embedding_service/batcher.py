"""Continuous batching: tokenized inputs from concurrent requests share model batches.

A dedicated model thread feeds the model. It takes each next batch from the queue itself, so the model
goes straight on to the next batch without a round trip through the event loop, and results go back to
the loop with call_soon_threadsafe. The thread waits for more inputs (max_wait_s) only when the model was
idle and the queue is short. A batch holds at most max_batch_size inputs and max_batch_tokens padded tokens
(inputs x longest input), and a request's inputs are queued shortest first, so a large request is cut into
batches of similar lengths and pads little.
"""

import asyncio
import contextlib
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from tokenizers import Encoding

from embedding_service.errors import QueueFullError

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
    """Feeds one model from a bounded queue; the model runs in its own thread, off the event loop.

    on_batch is called from the model thread with each batch's size (prometheus-client metrics are
    thread-safe).
    """

    encode: TokenizedEncoder
    max_batch_size: int
    max_wait_s: float
    max_queued_inputs: int
    max_batch_tokens: int = 16384
    on_batch: Callable[[int], None] = lambda _size: None
    _queue: deque[_Pending] = field(default_factory=deque, init=False)
    _changed: threading.Condition = field(default_factory=threading.Condition, init=False)
    _stopping: bool = field(default=False, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)
    _batch_ids: "itertools.count[int]" = field(default_factory=itertools.count, init=False)

    @property
    def queued_inputs(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        """Starts the model thread; call it from the event loop whose requests it will serve."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._thread = threading.Thread(target=self._feed_model, name="model", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Encode what is queued, then stop the model thread."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread:
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    async def embed(self, encodings: Sequence[Encoding]) -> tuple[np.ndarray, BatchTimings]:
        """Embeddings in input order; raises QueueFullError rather than waiting for room."""
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        pending = [_Pending(encoding, loop.create_future()) for encoding in encodings]
        with self._changed:
            if len(self._queue) + len(pending) > self.max_queued_inputs:
                raise QueueFullError(
                    f"The server is overloaded ({len(self._queue)} inputs already queued); retry later."
                )
            self._queue.extend(sorted(pending, key=lambda item: item.tokens))
            self._changed.notify()
        results = await asyncio.gather(*(item.result for item in pending))
        elapsed = time.perf_counter() - started
        compute_s = sum(dict((batch, seconds) for _row, batch, seconds in results).values())
        rows = np.stack([row for row, _batch, _seconds in results])
        return rows, BatchTimings(queue_s=max(0.0, elapsed - compute_s), compute_s=compute_s)

    def _next_batch(self) -> list[_Pending]:
        """The oldest inputs that fit max_batch_size and max_batch_tokens (always at least one)."""
        batch = [self._queue.popleft()]
        longest = batch[0].tokens
        while self._queue and len(batch) < self.max_batch_size:
            candidate_longest = max(longest, self._queue[0].tokens)
            if candidate_longest * (len(batch) + 1) > self.max_batch_tokens:
                break
            longest = candidate_longest
            batch.append(self._queue.popleft())
        return batch

    def _take_batch(self) -> list[_Pending] | None:
        """The next batch, after waiting for work; None once stopping and the queue is empty."""
        with self._changed:
            was_idle = not self._queue
            while not self._queue:
                if self._stopping:
                    return None
                self._changed.wait()
            if was_idle and self.max_wait_s > 0 and not self._stopping:
                self._changed.wait_for(
                    lambda: self._stopping or len(self._queue) >= self.max_batch_size, timeout=self.max_wait_s
                )
            return self._next_batch()

    def _feed_model(self) -> None:
        while (batch := self._take_batch()) is not None:
            # A cancelled request's inputs are skipped; the loop thread re-checks when it delivers.
            live = [item for item in batch if not item.result.done()]
            if not live:
                continue
            self.on_batch(len(live))
            batch_id = next(self._batch_ids)
            started = time.perf_counter()
            try:
                embeddings = self.encode([item.encoding for item in live])
            except Exception as error:
                self._hand_back(live, _fail, error)
                continue
            compute_s = time.perf_counter() - started
            self._hand_back(live, _deliver, embeddings, batch_id, compute_s)

    def _hand_back(self, live: list[_Pending], callback: Callable[..., None], *args: object) -> None:
        """Runs callback on the event loop, which owns the requests' futures."""
        assert self._loop is not None, "start() sets the loop"
        # A closed loop raises RuntimeError: nobody is waiting for these results any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, live, *args)


def _deliver(live: list[_Pending], embeddings: np.ndarray, batch_id: int, compute_s: float) -> None:
    for item, row in zip(live, embeddings, strict=True):
        if not item.result.done():
            item.result.set_result((row, batch_id, compute_s))


def _fail(live: list[_Pending], error: Exception) -> None:
    for item in live:
        if not item.result.done():
            item.result.set_exception(error)
