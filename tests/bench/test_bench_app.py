"""`make bench-app`'s inputs: the ceiling encodes what the 32 x 1 clients send, and no request repeats another."""

from bench.bench_app import SHAPES, ceiling_sentences, request_sentences, run_name


def test_the_ceiling_encodes_the_first_sentences_the_32x1_clients_send():
    clients, per_request = SHAPES["32x1"]
    run = run_name("service-onnx", "32x1")
    first_two_rounds = [
        text
        for counter in range(2)
        for client in range(clients)
        for text in request_sentences(per_request, run, client, counter)
    ]

    assert ceiling_sentences(2 * clients, run, clients) == first_two_rounds


def test_no_two_requests_of_a_run_send_the_same_sentence_so_no_cache_can_answer():
    requests = [request_sentences(16, "run", client, counter) for client in range(8) for counter in range(20)]
    sent = [text for request in requests for text in request]

    assert len(set(sent)) == len(sent) == 8 * 20 * 16
