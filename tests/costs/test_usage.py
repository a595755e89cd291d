"""Usage files: defaults for every stack, per-stack overrides, and clear errors for bad keys and values."""

from __future__ import annotations

from pathlib import Path

import pytest

from costs.usage import DEFAULT_USAGE_PATH, Usage, UsageError, load_usage


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
