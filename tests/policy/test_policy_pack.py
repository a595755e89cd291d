"""The pack as Pulumi runs it (policy/__main__.py under `python -m pulumi.policy`), spoken to over gRPC."""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policy.rules import DEFAULT_LEVELS
from tests.plugin_process import plugin_channel
from tests.policy.resources import changed, good_inputs

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def test_the_pack_module_lists_every_rule_without_starting_the_server() -> None:
    pack_globals = runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="imported_by_a_test")

    assert [policy.name for policy in pack_globals["POLICIES"]] == list(DEFAULT_LEVELS)


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Any]:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # The pack writes its port to stdout without flushing; Pulumi's Python host runs it unbuffered.
    environment["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-c", "import runpy; runpy.run_path('.', run_name='__main__')"]
    with plugin_channel(command, POLICY_DIR, environment, "the pack") as channel:
        yield analyzer_pb2_grpc.AnalyzerStub(channel)


def analyze(analyzer: Any, resource_type: str, props: dict[str, Any], name: str = "res") -> list[Any]:
    properties = struct_pb2.Struct()
    properties.update(props)
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type, properties=properties, urn=f"urn:pulumi:prod::inference::{resource_type}::{name}", name=name
    )
    return list(analyzer.Analyze(request, timeout=30).diagnostics)


def test_the_running_pack_announces_every_rule_at_its_level(analyzer: Any) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)

    levels = {policy.name: analyzer_pb2.EnforcementLevel.Name(policy.enforcementLevel) for policy in info.policies}
    assert levels == {name: level.value.upper() for name, level in DEFAULT_LEVELS.items()}


def test_the_running_pack_blocks_a_public_cloud_sql_instance(analyzer: Any) -> None:
    public_sql = changed(good_inputs()[SQL], ("settings", "ipConfiguration", "ipv4Enabled"), True)

    diagnostics = analyze(analyzer, SQL, public_sql)

    assert [(d.policyName, analyzer_pb2.EnforcementLevel.Name(d.enforcementLevel)) for d in diagnostics] == [
        ("cloudsql-no-public-ip", "MANDATORY")
    ]
    assert "ipv4Enabled must be false" in diagnostics[0].message


def test_the_running_pack_passes_compliant_resources_with_numbers_sent_as_floats(analyzer: Any) -> None:
    for resource_type in (SQL, DEPLOYMENT):
        assert analyze(analyzer, resource_type, good_inputs()[resource_type]) == [], resource_type


def test_the_running_pack_honours_an_exemption_from_the_policy_config(analyzer: Any) -> None:
    public_sql = changed(good_inputs()[SQL], ("settings", "ipConfiguration", "ipv4Enabled"), True)
    properties = struct_pb2.Struct()
    properties.update({"exemptResources": ["legacy-db"], "reason": "being migrated"})
    analyzer.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                "cloudsql-no-public-ip": analyzer_pb2.PolicyConfig(
                    enforcementLevel=analyzer_pb2.MANDATORY, properties=properties
                )
            }
        ),
        timeout=30,
    )

    assert analyze(analyzer, SQL, public_sql, name="legacy-db") == []
    assert [d.policyName for d in analyze(analyzer, SQL, public_sql, name="other-db")] == ["cloudsql-no-public-ip"]


def test_the_running_pack_reports_a_workload_without_a_network_policy_on_the_workload(analyzer: Any) -> None:
    properties = struct_pb2.Struct()
    properties.update(good_inputs()[DEPLOYMENT])
    urn = f"urn:pulumi:prod::inference::{DEPLOYMENT}::embeddings"
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[analyzer_pb2.AnalyzerResource(type=DEPLOYMENT, properties=properties, urn=urn, name="embeddings")]
    )

    diagnostics = analyzer.AnalyzeStack(request, timeout=30).diagnostics

    assert {(d.policyName, d.urn) for d in diagnostics} == {
        ("k8s-network-policy", urn),
        ("k8s-pod-disruption-budget", urn),
    }
