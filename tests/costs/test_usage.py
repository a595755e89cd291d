"""Usage files: defaults for every stack, per-stack overrides, and clear errors for bad keys and values."""

from __future__ import annotations

from pathlib import Path

import pytest

from costs.usage import DEFAULT_USAGE_PATH, Usage, UsageError, load_usage, record_measured_throughput


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "usage.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_stack_overrides_sit_on_top_of_the_defaults(tmp_path):
    usage_file = load_usage(
        write(
            tmp_path,
            "defaults:\n  monthly_requests: 1000\n  egress_gb: 5\nstacks:\n  prod:\n    monthly_requests: 9000\n",
        )
    )
    prod = usage_file.for_stack("prod")
    assert (prod.monthly_requests, prod.egress_gb) == (9000, 5)
    assert usage_file.for_stack("dev").monthly_requests == 1000


def test_unset_values_take_the_documented_defaults():
    usage = Usage()
    assert usage.monthly_requests == 0
    assert usage.request_seconds == 0.05
    assert usage.concurrency is None
    assert usage.artifact_registry_storage_gb == 10


def test_an_unknown_key_is_refused_naming_the_section_and_key(tmp_path):
    path = write(tmp_path, "stacks:\n  prod:\n    montly_requests: 5\n")
    with pytest.raises(UsageError, match=r"usage.yml: stacks\.prod\.montly_requests: Extra inputs"):
        load_usage(path)


def test_a_negative_value_is_refused_naming_the_key(tmp_path):
    path = write(tmp_path, "defaults:\n  egress_gb: -1\n")
    with pytest.raises(UsageError, match=r"defaults\.egress_gb: Input should be greater than or equal to 0"):
        load_usage(path)


def test_a_missing_usage_file_is_named(tmp_path):
    with pytest.raises(UsageError, match=r"nowhere\.yml: cannot read"):
        load_usage(tmp_path / "nowhere.yml")


def test_with_values_replaces_one_value_and_keeps_the_rest():
    usage = Usage(monthly_requests=5, egress_gb=3).with_values(monthly_requests=7)
    assert (usage.monthly_requests, usage.egress_gb) == (7, 3)


def test_the_shipped_usage_file_is_valid_and_gives_dev_less_traffic_than_the_default():
    usage_file = load_usage(DEFAULT_USAGE_PATH)
    assert usage_file.for_stack("dev").monthly_requests < usage_file.for_stack("prod").monthly_requests


def test_the_shipped_usage_has_a_measured_cpu_figure_and_a_cited_l4_figure():
    throughput = load_usage().for_stack("prod").throughput
    cpu, l4 = throughput["cpu-2"], throughput["nvidia-l4"]
    assert cpu.kind == "measured" and cpu.requests_per_second > 0
    assert cpu.machine and "backend" in cpu.machine and cpu.date
    assert l4.kind == "cited" and l4.source and l4.source.startswith("https://")


def test_recording_a_measured_figure_replaces_the_shape_in_place_and_keeps_comments_and_order(tmp_path):
    path = tmp_path / "usage.yaml"
    path.write_text(DEFAULT_USAGE_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    before = path.read_text(encoding="utf-8").splitlines()
    record_measured_throughput("cpu-2", 212.5, "GitHub runner, 2 vCPU", "2026-12-02", path)
    after = path.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before)
    assert [line for line in after if "cpu-2" not in line] == [line for line in before if "cpu-2" not in line]
    figure = load_usage(path).for_stack("dev").throughput["cpu-2"]
    assert (figure.requests_per_second, figure.kind, figure.machine, figure.date) == (
        212.5,
        "measured",
        "GitHub runner, 2 vCPU",
        "2026-12-02",
    )


def test_recording_replaces_a_figure_written_over_several_lines(tmp_path):
    path = tmp_path / "usage.yaml"
    path.write_text(DEFAULT_USAGE_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    cpu_before = load_usage(path).throughput["cpu-2"]
    record_measured_throughput("nvidia-l4", 900, "g2-standard-4", "2026-12-02", path)
    usage_file = load_usage(path)
    assert usage_file.throughput["nvidia-l4"].kind == "measured"
    assert usage_file.throughput["cpu-2"] == cpu_before
    assert "stacks:" in path.read_text(encoding="utf-8")


def test_recording_a_new_shape_appends_it_to_the_throughput_block(tmp_path):
    path = write(
        tmp_path,
        "version: 1\n# figures\nthroughput:\n  cpu-2: {requests_per_second: 1, kind: assumed, date: d}\n"
        "\ndefaults: {}\n",
    )
    record_measured_throughput("cpu-4", 300, "laptop", "2026-12-02", path)
    text = path.read_text(encoding="utf-8")
    assert text.index("cpu-4") < text.index("defaults")
    assert "# figures" in text
    assert load_usage(path).throughput["cpu-4"].requests_per_second == 300


def test_recording_into_a_file_without_a_throughput_block_adds_one(tmp_path):
    path = write(tmp_path, "version: 1\ndefaults:\n  monthly_requests: 5\n")
    record_measured_throughput("cpu-2", 10, "m", "2026-12-02", path)
    assert load_usage(path).throughput["cpu-2"].machine == "m"


def test_recording_a_non_positive_figure_is_refused_naming_the_file_and_key(tmp_path):
    path = write(tmp_path, "version: 1\n")
    with pytest.raises(UsageError, match=r"usage\.yml: throughput\.cpu-2: requests a second must be above 0"):
        record_measured_throughput("cpu-2", 0, "m", "d", path)
