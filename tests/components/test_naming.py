"""fit_name: names that fit are kept as they are; longer ones become a readable prefix and a stable hash."""

from __future__ import annotations

import re

import pytest

from components.naming import HASH_LENGTH, fit_name
from facts.gcp import (
    AUTONAME_SUFFIX_LENGTH,
    DOCKER_TAG,
    GCP_LABEL_VALUE,
    GKE_CLUSTER_NAME,
    REDIS_INSTANCE_NAME,
    SECRET_ID,
    SERVICE_ACCOUNT_ID_NAME,
    NameRule,
)


@pytest.mark.parametrize(
    ("wanted", "rule", "autonamed"),
    [
        ("inference-dev-run", SERVICE_ACCOUNT_ID_NAME, False),
        ("inference-cmp-cloudrun-run", SERVICE_ACCOUNT_ID_NAME, False),
        ("inference-prod-gke-redis", REDIS_INSTANCE_NAME, True),
        ("inference-cmp-gke", GKE_CLUSTER_NAME, False),
        ("inference-prod-db-password", SECRET_ID, False),
        ("cmp-cloudrun", GCP_LABEL_VALUE, False),
    ],
)
def test_a_name_its_rule_accepts_comes_out_unchanged(wanted: str, rule: NameRule, autonamed: bool) -> None:
    assert fit_name(wanted, rule, autonamed=autonamed) == wanted


def test_a_long_service_account_id_keeps_a_readable_prefix_and_ends_in_a_hash() -> None:
    fitted = fit_name("inference-staging-europe-west4-run", SERVICE_ACCOUNT_ID_NAME)
    assert len(fitted) == SERVICE_ACCOUNT_ID_NAME.max_length
    assert re.fullmatch(rf"inference-staging-europ-[0-9a-f]{{{HASH_LENGTH}}}", fitted)
    assert SERVICE_ACCOUNT_ID_NAME.accepts(fitted)


def test_the_hash_is_stable_and_tells_apart_names_that_share_a_prefix() -> None:
    run = fit_name("inference-staging-europe-west4-run", SERVICE_ACCOUNT_ID_NAME)
    pod = fit_name("inference-staging-europe-west4-pod", SERVICE_ACCOUNT_ID_NAME)
    assert run == fit_name("inference-staging-europe-west4-run", SERVICE_ACCOUNT_ID_NAME)
    assert run != pod
    assert run[:-HASH_LENGTH] == pod[:-HASH_LENGTH]


def test_an_auto_named_logical_name_leaves_room_for_pulumis_suffix() -> None:
    wanted = "inference-staging-europe-west4-redis"
    assert len(wanted) < REDIS_INSTANCE_NAME.max_length
    fitted = fit_name(wanted, REDIS_INSTANCE_NAME, autonamed=True)
    assert fitted != wanted
    assert REDIS_INSTANCE_NAME.max_length - 1 <= len(fitted) + AUTONAME_SUFFIX_LENGTH <= REDIS_INSTANCE_NAME.max_length


def test_a_name_that_ends_in_a_hyphen_where_it_is_cut_loses_the_hyphen() -> None:
    fitted = fit_name("inference-" + "a" * 12 + "-" + "b" * 20, SERVICE_ACCOUNT_ID_NAME)
    assert "--" not in fitted
    assert SERVICE_ACCOUNT_ID_NAME.accepts(fitted)


def test_characters_a_rule_refuses_are_replaced_and_the_hash_keeps_the_original_apart() -> None:
    label = fit_name("Feature_GPU.test", GCP_LABEL_VALUE)
    assert label.startswith("feature_gpu-test-")
    assert GCP_LABEL_VALUE.accepts(label)
    assert label != fit_name("feature_gpu-test", GCP_LABEL_VALUE)
    assert fit_name("Feature_GPU.test", DOCKER_TAG) == "Feature_GPU.test"


def test_a_name_no_derivation_can_make_valid_is_refused_with_the_rule() -> None:
    with pytest.raises(ValueError, match=r"no name derived from '1-cluster-.*' fits: at most 40 characters"):
        fit_name("1-cluster-" + "x" * 40, GKE_CLUSTER_NAME)
