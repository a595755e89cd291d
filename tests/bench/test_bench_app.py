"""`make bench-app`'s inputs and figures.

The ceiling encodes what the 32 x 1 clients send, no request repeats another, and each run says where the CPUs went.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from embedding_service.metrics import Metrics
from prometheus_client import generate_latest

from bench.bench_app import (
    SHAPES,
    Counters,
    LoadResult,
    Round,
    batch_totals,
    ceiling_sentences,
    main,
    median_run,
    process_cpu_seconds,
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


def test_with_precisions_a_round_also_pairs_each_precision_with_its_like():
    runs = {
        "service-onnx": {"8x16": result(520)},
        "service-openvino": {"8x16": result(1400)},
        "infinity-optimum": {"8x16": result(400)},
        "infinity-torch-bf16": {"8x16": result(700)},
    }
    precisions = {
        "service-onnx": "fp32",
        "service-openvino": "bf16",
        "infinity-optimum": "fp32",
        "infinity-torch-bf16": "bf16",
    }

    ratios = round_ratios({}, runs, ["8x16"], precisions)

    assert ratios == {
        "service best / infinity best, 8x16": 2.0,
        "service bf16 best / infinity bf16 best, 8x16": 2.0,
        "service fp32 best / infinity fp32 best, 8x16": 1.3,
    }


def test_a_precision_only_one_side_ran_gets_no_ratio_of_its_own():
    runs = {"service-openvino": {"8x16": result(1400)}, "infinity-optimum": {"8x16": result(400)}}

    ratios = round_ratios({}, runs, ["8x16"], {"service-openvino": "bf16", "infinity-optimum": "fp32"})

    assert ratios == {"service best / infinity best, 8x16": 3.5}


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
    assert "--backends: onnx given; choose from torch (with --device cuda: ONNX Runtime and OpenVINO run on CPUs" in (
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


def test_the_batch_totals_come_from_the_services_own_metrics_page():
    metrics = Metrics()
    for size in (4, 6, 14):
        metrics.batch_size.observe(size)

    assert batch_totals(generate_latest(metrics.registry).decode()) == (3, 24)


def test_a_metrics_page_without_the_batch_histogram_has_no_batch_totals():
    page = "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total 7.0\n"

    assert batch_totals(page) is None


def test_a_process_cpu_time_grows_while_it_computes_and_is_unknown_for_a_process_that_does_not_exist():
    before = process_cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    after = process_cpu_seconds(os.getpid())

    assert before is not None and after is not None
    assert after - before >= 0.1
    # Above Linux's largest pid (2**22), so no process can have it.
    assert process_cpu_seconds(2**22 + 1) is None


def test_a_runs_cpus_and_mean_batch_are_taken_between_its_counters():
    before = Counters(wall_s=10.0, server_cpu_s=4.0, client_cpu_s=1.0, batches=(100, 700))
    after = Counters(wall_s=12.0, server_cpu_s=7.6, client_cpu_s=1.2, batches=(140, 1100))

    assert after.since(before) == pytest.approx({"server_cpus": 1.8, "client_cpus": 0.1, "mean_batch_inputs": 10.0})


def test_a_server_without_batch_metrics_or_proc_gets_none_for_those_figures():
    before = Counters(wall_s=10.0, server_cpu_s=None, client_cpu_s=1.0, batches=None)
    after = Counters(wall_s=12.0, server_cpu_s=None, client_cpu_s=1.2, batches=None)

    assert after.since(before) == pytest.approx({"server_cpus": None, "client_cpus": 0.1, "mean_batch_inputs": None})
