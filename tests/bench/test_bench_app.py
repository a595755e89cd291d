"""`make bench-app`'s inputs: the ceiling encodes what the clients send, and no request repeats another."""

from collections.abc import Sequence

from embedding_service.model import PackagedTokenizer

from bench.bench_app import ceiling_sentences, request_sentences

TOKENIZER = PackagedTokenizer(max_tokens=256)


def token_lengths(texts: Sequence[str]) -> set[int]:
    return {len(encoding.ids) for encoding in TOKENIZER.tokenize(texts)}


def test_the_ceiling_encodes_sentences_of_the_token_lengths_the_32x1_clients_send():
    requests = [
        request_sentences(1, "service-onnx-32x1", client, counter) for counter in range(40) for client in range(32)
    ]
    sent = [text for request in requests for text in request]

    assert token_lengths(ceiling_sentences(1024, "ceiling-onnx-32x1")) == token_lengths(sent)


def test_no_two_requests_of_a_run_send_the_same_sentence_so_no_cache_can_answer():
    requests = [request_sentences(16, "run", client, counter) for client in range(8) for counter in range(20)]
    sent = [text for request in requests for text in request]

    assert len(set(sent)) == len(sent) == 8 * 20 * 16
