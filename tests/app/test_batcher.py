"""Micro-batching: concurrent inputs coalesce into bounded batches; a full queue refuses at once."""

import asyncio
import time

import numpy as np
import pytest
from embedding_service.batcher import MicroBatcher, QueueFullError

pytestmark = pytest.mark.anyio


class RecordingEncoder:
    """Encodes each text as [len(text), position in its batch] and records the batch sizes it saw."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.batches: list[list[str]] = []
        self.delay_s = delay_s

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        time.sleep(self.delay_s)
        return np.array([[len(text), index] for index, text in enumerate(texts)], dtype=np.float32)


async def started(batcher: MicroBatcher) -> MicroBatcher:
    batcher.start()
    return batcher


async def test_concurrent_requests_are_coalesced_into_one_batch():
    encoder = RecordingEncoder()
    batcher = await started(MicroBatcher(encoder, max_batch_size=64, max_wait_s=0.02, max_queued_inputs=100))

    results = await asyncio.gather(*(batcher.embed(["x" * n]) for n in range(1, 11)))
    await batcher.stop()

    assert [len(batch) for batch in encoder.batches] == [10]
    assert [int(embeddings[0, 0]) for embeddings, _timings in results] == list(range(1, 11))


async def test_batches_never_exceed_the_maximum_size_and_keep_input_order():
    encoder = RecordingEncoder()
    batcher = await started(MicroBatcher(encoder, max_batch_size=16, max_wait_s=0.0, max_queued_inputs=1000))
    texts = ["y" * n for n in range(1, 101)]

    embeddings, _timings = await batcher.embed(texts)
    await batcher.stop()

    assert max(len(batch) for batch in encoder.batches) == 16
    assert sum(len(batch) for batch in encoder.batches) == 100
    assert embeddings[:, 0].astype(int).tolist() == list(range(1, 101))


async def test_inputs_arriving_during_a_batch_form_the_next_one():
    encoder = RecordingEncoder(delay_s=0.05)
    batcher = await started(MicroBatcher(encoder, max_batch_size=64, max_wait_s=0.0, max_queued_inputs=100))

    first = asyncio.create_task(batcher.embed(["first"]))
    await asyncio.sleep(0.01)
    rest = await asyncio.gather(*(batcher.embed([f"later {i}"]) for i in range(8)))
    await first
    await batcher.stop()

    assert [len(batch) for batch in encoder.batches] == [1, 8]
    assert all(timings.compute_s >= 0.05 for _embeddings, timings in rest)


async def test_a_full_queue_refuses_immediately_instead_of_waiting():
    encoder = RecordingEncoder(delay_s=0.2)
    batcher = await started(MicroBatcher(encoder, max_batch_size=4, max_wait_s=0.0, max_queued_inputs=4))
    running = asyncio.create_task(batcher.embed(["a", "b", "c", "d"]))
    await asyncio.sleep(0.05)
    queued = asyncio.create_task(batcher.embed(["e", "f", "g"]))
    await asyncio.sleep(0)

    refused_at = time.perf_counter()
    with pytest.raises(QueueFullError, match="3 inputs already queued"):
        await batcher.embed(["h", "i"])
    refusal_s = time.perf_counter() - refused_at

    await asyncio.gather(running, queued)
    await batcher.stop()
    assert refusal_s < 0.05


async def test_an_encoder_error_reaches_the_waiting_requests_and_the_batcher_keeps_working():
    calls = 0

    def flaky(texts: list[str]) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("CUDA out of memory")
        return np.ones((len(texts), 2), dtype=np.float32)

    batcher = await started(MicroBatcher(flaky, max_batch_size=8, max_wait_s=0.0, max_queued_inputs=10))

    with pytest.raises(RuntimeError, match="out of memory"):
        await batcher.embed(["boom"])
    embeddings, _timings = await batcher.embed(["fine"])
    await batcher.stop()

    assert embeddings.shape == (1, 2)


async def test_batch_sizes_are_reported_to_the_metrics_callback():
    sizes: list[int] = []
    batcher = MicroBatcher(
        RecordingEncoder(), max_batch_size=8, max_wait_s=0.01, max_queued_inputs=100, on_batch=sizes.append
    )
    batcher.start()

    await asyncio.gather(*(batcher.embed([str(i)]) for i in range(12)))
    await batcher.stop()

    assert sizes == [8, 4]
