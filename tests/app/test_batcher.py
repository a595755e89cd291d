"""Continuous batching: concurrent inputs share bounded batches; a full queue refuses at once."""

import asyncio
import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest
from embedding_service.batcher import MicroBatcher
from embedding_service.errors import QueueFullError
from embedding_service.model import PackagedTokenizer
from tokenizers import Encoding

pytestmark = pytest.mark.anyio

TOKENIZER = PackagedTokenizer(max_tokens=256)


def words(count: int) -> Encoding:
    """An encoding of count words: count + 2 tokens with [CLS] and [SEP]."""
    return TOKENIZER.tokenize([" ".join(["word"] * count)])[0]


class RecordingEncoder:
    """Encodes each input as [its token count, its position in the batch] and records the batches it saw."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.batches: list[list[int]] = []
        self.delay_s = delay_s
        self.most_at_once = 0
        self._running = 0
        self._lock = threading.Lock()

    def __call__(self, encodings: Sequence[Encoding]) -> np.ndarray:
        with self._lock:
            self.batches.append([len(encoding.ids) for encoding in encodings])
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
        time.sleep(self.delay_s)
        with self._lock:
            self._running -= 1
        return np.array([[len(encoding.ids), index] for index, encoding in enumerate(encodings)], dtype=np.float32)


def batcher_of(encoder: RecordingEncoder, **options: float) -> MicroBatcher:
    values: dict[str, float] = {"max_batch_size": 64, "max_wait_s": 0.0, "max_queued_inputs": 1000}
    values.update(options)
    batcher = MicroBatcher(
        encoder,
        max_batch_size=int(values["max_batch_size"]),
        max_wait_s=values["max_wait_s"],
        max_queued_inputs=int(values["max_queued_inputs"]),
        max_batch_tokens=int(values.get("max_batch_tokens", 16384)),
        workers=int(values.get("workers", 1)),
    )
    batcher.start()
    return batcher


async def test_concurrent_requests_arriving_at_an_idle_model_are_coalesced_into_one_batch():
    encoder = RecordingEncoder()
    batcher = batcher_of(encoder, max_wait_s=0.02)

    results = await asyncio.gather(*(batcher.embed([words(n)]) for n in range(1, 11)))
    await batcher.stop()

    assert [len(batch) for batch in encoder.batches] == [10]
    assert [int(embeddings[0, 0]) for embeddings, _timings in results] == [n + 2 for n in range(1, 11)]


async def test_batches_never_exceed_the_maximum_size_and_results_keep_input_order():
    encoder = RecordingEncoder()
    batcher = batcher_of(encoder, max_batch_size=16)
    encodings = [words(n) for n in range(100, 0, -1)]

    embeddings, _timings = await batcher.embed(encodings)
    await batcher.stop()

    assert max(len(batch) for batch in encoder.batches) == 16
    assert sum(len(batch) for batch in encoder.batches) == 100
    assert embeddings[:, 0].astype(int).tolist() == [n + 2 for n in range(100, 0, -1)]


async def test_a_request_is_cut_into_batches_of_similar_lengths_shortest_first():
    encoder = RecordingEncoder()
    batcher = batcher_of(encoder, max_batch_size=4)
    lengths = [50, 1, 30, 2, 40, 3, 20, 4]

    await batcher.embed([words(n) for n in lengths])
    await batcher.stop()

    assert encoder.batches == [[3, 4, 5, 6], [22, 32, 42, 52]]


async def test_alike_inputs_of_different_requests_share_a_batch_with_the_oldest_input():
    encoder = RecordingEncoder(delay_s=0.2)
    batcher = batcher_of(encoder, max_batch_size=2)

    busy = asyncio.create_task(batcher.embed([words(1)]))
    await asyncio.sleep(0.02)  # the worker encodes this one; the two requests below queue behind it
    await asyncio.gather(batcher.embed([words(8), words(98)]), batcher.embed([words(10), words(100)]))
    await busy
    await batcher.stop()

    # In arrival order the batches would be [10, 100] and [12, 102], each padded to 100 tokens or more.
    assert encoder.batches == [[3], [10, 12], [100, 102]]


async def test_the_oldest_input_goes_into_the_next_batch_however_its_length_compares():
    encoder = RecordingEncoder(delay_s=0.1)
    batcher = batcher_of(encoder, max_batch_size=2)

    busy = asyncio.create_task(batcher.embed([words(1)]))
    await asyncio.sleep(0.02)
    await asyncio.gather(batcher.embed([words(48)]), batcher.embed([words(1)] * 5))
    await busy
    await batcher.stop()

    assert encoder.batches == [[3], [50, 3], [3, 3], [3, 3]]


async def test_batches_are_capped_by_padded_tokens_as_well_as_by_inputs():
    encoder = RecordingEncoder()
    batcher = batcher_of(encoder, max_batch_size=64, max_batch_tokens=1000)

    await batcher.embed([words(248)] * 10)
    await batcher.stop()

    # 250 tokens each: four fit in 1,000 padded tokens, a fifth would not.
    assert [len(batch) for batch in encoder.batches] == [4, 4, 2]
    assert all(len(batch) * max(batch) <= 1000 for batch in encoder.batches)


async def test_inputs_arriving_during_a_batch_form_the_next_one_without_waiting_again():
    encoder = RecordingEncoder(delay_s=0.2)
    batcher = batcher_of(encoder, max_wait_s=1.0)

    first = asyncio.create_task(batcher.embed([words(1)]))
    await asyncio.sleep(1.05)  # the idle model waited max_wait_s, and is now computing the first batch
    arrived = time.perf_counter()
    rest = await asyncio.gather(*(batcher.embed([words(3)]) for _ in range(8)))
    waited_s = time.perf_counter() - arrived
    await first
    await batcher.stop()

    assert encoder.batches == [[3], [5] * 8]
    # Another max_wait_s (1 s) after the first batch would make this at least 1.15 s.
    assert waited_s < 0.9
    assert all(timings.compute_s >= 0.2 for _embeddings, timings in rest)


async def test_a_multi_batch_request_reports_the_compute_of_all_its_batches():
    encoder = RecordingEncoder(delay_s=0.1)
    batcher = batcher_of(encoder, max_batch_size=2)

    _embeddings, timings = await batcher.embed([words(n) for n in range(1, 7)])
    await batcher.stop()

    assert len(encoder.batches) == 3
    assert timings.compute_s >= 0.3
    assert timings.queue_s >= 0


async def test_a_full_queue_refuses_immediately_instead_of_waiting():
    encoder = RecordingEncoder(delay_s=0.2)
    batcher = batcher_of(encoder, max_batch_size=4, max_queued_inputs=4)
    running = asyncio.create_task(batcher.embed([words(1)] * 4))
    await asyncio.sleep(0.05)
    queued = asyncio.create_task(batcher.embed([words(2)] * 3))
    await asyncio.sleep(0)

    refused_at = time.perf_counter()
    with pytest.raises(QueueFullError, match="3 inputs already queued"):
        await batcher.embed([words(3)] * 2)
    refusal_s = time.perf_counter() - refused_at

    await asyncio.gather(running, queued)
    await batcher.stop()
    assert refusal_s < 0.05


async def test_an_encoder_error_reaches_the_waiting_requests_and_the_batcher_keeps_working():
    calls = 0

    def flaky(encodings: Sequence[Encoding]) -> np.ndarray:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("CUDA out of memory")
        return np.ones((len(encodings), 2), dtype=np.float32)

    batcher = MicroBatcher(flaky, max_batch_size=8, max_wait_s=0.0, max_queued_inputs=10)
    batcher.start()

    with pytest.raises(RuntimeError, match="out of memory"):
        await batcher.embed([words(1)])
    embeddings, _timings = await batcher.embed([words(2)])
    await batcher.stop()

    assert embeddings.shape == (1, 2)


async def test_a_failing_metrics_callback_fails_its_batch_but_not_the_worker():
    calls = 0

    def broken_metrics(_size: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("metrics registry closed")

    batcher = MicroBatcher(
        RecordingEncoder(), max_batch_size=8, max_wait_s=0.0, max_queued_inputs=10, on_batch=broken_metrics
    )
    batcher.start()

    # Bounded waits: a dead worker would leave these requests waiting forever.
    with pytest.raises(ValueError, match="registry closed"):
        await asyncio.wait_for(batcher.embed([words(1)]), timeout=5)
    embeddings, _timings = await asyncio.wait_for(batcher.embed([words(2)]), timeout=5)
    await batcher.stop()

    assert int(embeddings[0, 0]) == 4


async def test_stopping_encodes_what_is_queued_before_the_worker_ends():
    encoder = RecordingEncoder(delay_s=0.02)
    batcher = batcher_of(encoder, max_batch_size=1)

    requests = [asyncio.create_task(batcher.embed([words(n)])) for n in range(1, 6)]
    await asyncio.sleep(0)  # all five are queued
    await batcher.stop()
    batches_when_stopped = len(encoder.batches)
    done, _still_waiting = await asyncio.wait(requests, timeout=5)

    assert batches_when_stopped == 5
    assert len(done) == 5
    assert [int(request.result()[0][0, 0]) for request in requests] == [n + 2 for n in range(1, 6)]


async def test_batch_sizes_are_reported_to_the_metrics_callback():
    sizes: list[int] = []
    batcher = MicroBatcher(
        RecordingEncoder(), max_batch_size=8, max_wait_s=0.01, max_queued_inputs=100, on_batch=sizes.append
    )
    batcher.start()

    await asyncio.gather(*(batcher.embed([words(i)]) for i in range(12)))
    await batcher.stop()

    assert sizes == [8, 4]


@pytest.mark.parametrize("workers", [1, 2, 3])
async def test_the_model_encodes_as_many_batches_at_once_as_it_has_workers_and_never_more(workers: int):
    encoder = RecordingEncoder(delay_s=0.05)
    batcher = batcher_of(encoder, max_batch_size=2, workers=workers)

    embeddings, _timings = await batcher.embed([words(n) for n in range(1, 13)])
    await batcher.stop()

    assert len(encoder.batches) == 6
    assert encoder.most_at_once == workers
    assert embeddings[:, 0].astype(int).tolist() == [n + 2 for n in range(1, 13)]


async def test_inputs_arriving_while_every_worker_is_busy_wait_for_a_free_one_and_share_its_batch():
    encoder = RecordingEncoder(delay_s=0.2)
    batcher = batcher_of(encoder, workers=2)

    busy = []
    for _ in range(2):
        busy.append(asyncio.create_task(batcher.embed([words(1)])))
        await asyncio.sleep(0.02)  # a worker takes this input as its own batch
    await asyncio.gather(*(batcher.embed([words(3)]) for _ in range(8)))
    await asyncio.gather(*busy)
    await batcher.stop()

    assert sorted(encoder.batches) == [[3], [3], [5] * 8]


async def test_stopping_waits_for_the_batches_still_being_encoded():
    encoder = RecordingEncoder(delay_s=0.1)
    batcher = batcher_of(encoder, max_batch_size=1, workers=2)

    requests = [asyncio.create_task(batcher.embed([words(n)])) for n in range(1, 5)]
    await asyncio.sleep(0.02)  # two batches are being encoded, two are queued
    await batcher.stop()

    assert all(request.done() for request in requests)
    assert [int(request.result()[0][0, 0]) for request in requests] == [n + 2 for n in range(1, 5)]


async def test_a_batcher_without_workers_is_refused():
    with pytest.raises(ValueError, match="workers must be at least 1, not 0"):
        MicroBatcher(RecordingEncoder(), max_batch_size=1, max_wait_s=0, max_queued_inputs=1, workers=0)


async def test_idle_workers_woken_together_cut_one_batch_and_both_live_on():
    encoder = RecordingEncoder(delay_s=0.05)
    batcher = batcher_of(encoder, max_batch_size=2, max_wait_s=0.02, workers=2)

    await asyncio.gather(*(batcher.embed([words(1)]) for _ in range(2)))
    together = encoder.most_at_once
    embeddings, _timings = await asyncio.wait_for(batcher.embed([words(n) for n in range(1, 9)]), timeout=5)
    await batcher.stop()

    assert encoder.batches[0] == [3, 3]
    assert together == 1
    assert encoder.most_at_once == 2
    assert embeddings[:, 0].astype(int).tolist() == [n + 2 for n in range(1, 9)]


async def test_a_stopped_batcher_refuses_new_inputs_instead_of_keeping_them_forever():
    batcher = batcher_of(RecordingEncoder())
    await batcher.stop()

    with pytest.raises(QueueFullError, match="shutting down"):
        await asyncio.wait_for(batcher.embed([words(1)]), timeout=5)


async def test_a_free_thread_takes_its_next_batch_without_waiting_for_the_event_loop():
    encoder = RecordingEncoder(delay_s=0.05)
    batcher = batcher_of(encoder, max_batch_size=1)

    request = asyncio.create_task(batcher.embed([words(n) for n in range(1, 4)]))
    await asyncio.sleep(0.01)  # the thread is woken and encodes the first batch
    time.sleep(0.4)  # the event loop is blocked: nothing on it can cut or submit a batch meanwhile
    batches_while_blocked = len(encoder.batches)
    await request
    await batcher.stop()

    assert batches_while_blocked == 3
