"""Dynamic micro-batching: inputs from concurrent requests are coalesced into model batches."""

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

Encoder = Callable[[list[str]], np.ndarray]


class QueueFullError(Exception):
    """The bounded input queue cannot take a request's inputs now."""


@dataclass
class _Pending:
    text: str
    enqueued_at: float
    result: asyncio.Future[np.ndarray] = field(repr=False)
    compute_s: float = 0.0


@dataclass(frozen=True)
class BatchTimings:
    """What one request spent waiting in the queue and in the model (seconds, the slowest input)."""

    queue_s: float
    compute_s: float


@dataclass
class MicroBatcher:
    """Feeds one model from a bounded queue, in batches of at most max_batch_size inputs.

    The model runs in a single worker thread, so the event loop keeps accepting requests while a batch is
    computed; inputs that arrive meanwhile form the next batch.
    """

    encode: Encoder
    max_batch_size: int
    max_wait_s: float
    max_queued_inputs: int
    on_batch: Callable[[int], None] = lambda _size: None
    _queue: deque[_Pending] = field(default_factory=deque, init=False)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="model"), init=False
    )
    _worker: asyncio.Task[None] | None = field(default=None, init=False)

    @property
    def queued_inputs(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Encode what is queued, then stop the worker."""
        while self._queue:
            await asyncio.sleep(0.005)
        if self._worker:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        self._executor.shutdown(wait=True)

    async def embed(self, texts: list[str]) -> tuple[np.ndarray, BatchTimings]:
        """Embeddings of texts in order; raises QueueFullError rather than waiting for room."""
        if len(self._queue) + len(texts) > self.max_queued_inputs:
            raise QueueFullError(f"{len(self._queue)} inputs already queued")
        loop = asyncio.get_running_loop()
        now = time.perf_counter()
        pending = [_Pending(text, now, loop.create_future()) for text in texts]
        self._queue.extend(pending)
        self._arrived.set()
        rows = await asyncio.gather(*(item.result for item in pending))
        finished = time.perf_counter()
        compute_s = max(item.compute_s for item in pending)
        return np.stack(rows), BatchTimings(queue_s=finished - now - compute_s, compute_s=compute_s)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
            if len(self._queue) < self.max_batch_size and self.max_wait_s > 0:
                await asyncio.sleep(self.max_wait_s)
            batch = [self._queue.popleft() for _ in range(min(self.max_batch_size, len(self._queue)))]
            live = [item for item in batch if not item.result.done()]
            if not live:
                continue
            self.on_batch(len(live))
            started = time.perf_counter()
            try:
                embeddings = await loop.run_in_executor(self._executor, self.encode, [i.text for i in live])
            except Exception as error:
                for item in live:
                    if not item.result.done():
                        item.result.set_exception(error)
                continue
            compute_s = time.perf_counter() - started
            for item, row in zip(live, embeddings, strict=True):
                if not item.result.done():
                    item.compute_s = compute_s
                    item.result.set_result(row)
