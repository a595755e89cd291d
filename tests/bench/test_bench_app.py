"""`make bench-app`'s inputs: the ceiling encodes what the 32 x 1 clients send, and no request repeats another."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.bench_app import (
    SHAPES,
    LoadResult,
    Round,
    ceiling_sentences,
    main,
    median_run,
    request_sentences,
    round_ratios,
    run_name,
    summarise,
)

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_app.py"


def result(sentences_per_s: float, p99_ms: float = 100.0) -> LoadResult:
    return LoadResult(sentences_per_s=sentences_per_s, p50_ms=50.0, p99_ms=p99_ms, requests=100, errors=0)


def run_main(monkeypatch: pytest.MonkeyPatch, *arguments: str) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_app.py", *arguments])
    main()


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


def test_a_rounds_ratios_pair_the_service_with_the_ceiling_and_the_infinity_measured_in_that_round():
    runs = {
        "service-onnx": {"32x1": result(400), "8x16": result(520)},
        "service-torch": {"32x1": result(200), "8x16": result(600)},
        "infinity-torch": {"32x1": result(150), "8x16": result(300)},
        "infinity-optimum": {"32x1": result(320), "8x16": result(400)},
    }

    ratios = round_ratios({"onnx": 500.0, "torch": 250.0}, runs, ["32x1", "8x16"])

    assert ratios == {
        "service-onnx 32x1 / ceiling onnx": 0.8,
        "service-torch 32x1 / ceiling torch": 0.8,
        "service best / infinity best, 32x1": 1.25,
        "service best / infinity best, 8x16": 1.5,
    }


def test_without_infinity_or_ceilings_a_round_has_only_the_ratios_it_can_compute():
    runs = {"service-onnx": {"8x16": result(520)}}

    assert round_ratios({}, runs, ["8x16"]) == {}
    assert round_ratios({"onnx": 500.0}, runs, ["8x16"]) == {}


def test_the_median_run_is_one_rounds_own_figures_and_the_lower_middle_of_an_even_count():
    slow, middle, fast = result(100, p99_ms=900), result(200, p99_ms=70), result(300, p99_ms=60)

    assert median_run([fast, slow, middle]) is middle
    assert median_run([fast, slow]) is slow
    assert median_run([middle]) is middle


def test_the_summary_takes_each_figures_median_over_the_rounds_not_one_rounds_luck():
    rounds = [
        Round({"onnx": 600.0}, {"service-onnx": {"32x1": result(420)}}, {"service-onnx 32x1 / ceiling onnx": 0.70}),
        Round({"onnx": 500.0}, {"service-onnx": {"32x1": result(450)}}, {"service-onnx 32x1 / ceiling onnx": 0.90}),
        Round({"onnx": 550.0}, {"service-onnx": {"32x1": result(440)}}, {"service-onnx 32x1 / ceiling onnx": 0.80}),
    ]

    ceilings, runs, ratios = summarise(rounds)

    assert ceilings == {"onnx": 550.0}
    assert runs == {"service-onnx": {"32x1": result(440)}}
    assert ratios == {"service-onnx 32x1 / ceiling onnx": 0.80}


def test_on_cuda_the_onnx_backend_is_refused_naming_the_option_and_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(SystemExit) as exit_info:
        run_main(monkeypatch, "--device", "cuda", "--backends", "onnx", "--skip-infinity")

    assert exit_info.value.code == 2
    assert "--backends: onnx given; choose from torch (with --device cuda: ONNX Runtime runs on CPUs" in (
        capsys.readouterr().err
    )


def test_asking_for_cuda_where_torch_sees_no_gpu_exits_with_the_models_own_message():
    # An empty CUDA_VISIBLE_DEVICES hides every GPU from torch, so this holds on any machine.
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--device", "cuda", "--skip-infinity"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 1
    assert finished.stderr.strip().splitlines()[-1] == "--device cuda: MODEL_DEVICE=cuda but torch sees no CUDA device"
