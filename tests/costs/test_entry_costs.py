"""The entry point's costs: its forwarding rules inside the project's first-five minimum, data processed once,
Cloud Armor per policy, rule and request, the static address, a free certificate; all in one "Entry point" group."""

from __future__ import annotations

from pathlib import Path

import pytest

from costs.catalog import load_catalog
from costs.estimate import StackEstimate, estimate_stack
from costs.usage import Usage
from tests.costs.builders import REGION, cost_of_kind, estimate, resource
from tests.entry_stacks import copy_project, plan_entry_stack

HOURS = 730
ENTRY = "Entry point"
GLOBAL_RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
POLICY = "gcp:compute/securityPolicy:SecurityPolicy"


@pytest.mark.parametrize(
    ("rules", "monthly"), [(1, 0.025 * HOURS), (3, 0.025 * HOURS), (7, (0.025 + 2 * 0.01) * HOURS)]
)
def test_global_forwarding_rules_share_the_first_five_minimum_then_cost_each(rules: int, monthly: float) -> None:
    priced = estimate(*[resource(GLOBAL_RULE, f"rule-{index}", {"portRange": "443"}) for index in range(rules)])
    assert cost_of_kind(priced, ENTRY) == pytest.approx(monthly)


def test_the_minimum_is_one_per_project_across_regional_and_global_rules() -> None:
    regional = [resource("gcp:compute/forwardingRule:ForwardingRule", f"r-{i}", {"region": REGION}) for i in range(4)]
    global_rules = [resource(GLOBAL_RULE, f"g-{i}", {"portRange": "443"}) for i in range(3)]
    priced = estimate(*regional, *global_rules)
    total = cost_of_kind(priced, ENTRY) + cost_of_kind(priced, "Load balancing")
    assert total == pytest.approx((0.025 + 2 * 0.01) * HOURS)


def test_cloud_armor_costs_per_policy_per_rule_and_per_million_requests() -> None:
    rules = [{"priority": priority} for priority in (1000, 2000, 2147483647)]
    priced = estimate(resource(POLICY, "armor", {"rules": rules}), usage=Usage(monthly_requests=4_000_000))
    assert cost_of_kind(priced, ENTRY) == pytest.approx(5.00 + 3 * 1.00 + 4 * 0.75)


@pytest.fixture(scope="module")
def entry_estimate(tmp_path_factory: pytest.TempPathFactory) -> StackEstimate:
    plan = plan_entry_stack(copy_project(tmp_path_factory.mktemp("entry-costs")), "prod-entry")
    return estimate_stack(
        plan, Usage(monthly_requests=10_000_000, load_balancer_processed_gb=100), load_catalog(), False
    )


def test_the_entry_stack_prices_its_entry_point_as_one_group(entry_estimate: StackEstimate) -> None:
    expected = (
        0.025 * HOURS  # the HTTPS and HTTP rules, inside the first-five minimum
        + 100 * 0.008  # data processed, once (the HTTP rule only redirects)
        + 0.005 * HOURS  # the reserved address, in use
        + 5.00  # the Cloud Armor policy
        + 4 * 1.00  # two WAF rules, the throttle, the default rule
        + 10 * 0.75  # ten million requests evaluated
    )
    assert cost_of_kind(entry_estimate, ENTRY) == pytest.approx(expected)
    assert cost_of_kind(entry_estimate, "Static IPs") == 0
    assert cost_of_kind(entry_estimate, "Load balancing") == 0


def test_the_certificate_and_the_routing_pieces_are_free_with_a_reason(entry_estimate: StackEstimate) -> None:
    notes = {item.type: item.note for item in entry_estimate.resources}
    assert "Google-managed certificates are free" in notes["gcp:compute/managedSslCertificate:ManagedSslCertificate"]
    for free in ("gcp:compute/backendService:BackendService", "gcp:compute/uRLMap:URLMap"):
        assert notes[free].startswith("free: billed through the load balancer's forwarding rules"), free
    assert not entry_estimate.unpriced


@pytest.mark.parametrize("base", ["prod", "prod-gke"])
def test_the_cost_command_shows_the_entry_point_row(tmp_path: Path, base: str) -> None:
    from tests.cli_process import run_cli
    from tests.entry_stacks import write_entry_stack

    project = copy_project(tmp_path)
    write_entry_stack(project, "prod-entry", base=base)
    result = run_cli("cost", "--stack", "prod-entry", "--format", "markdown", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "| Entry point |" in result.stdout


GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"


def gateway(name: str, *protocols: str) -> dict[str, object]:
    """A Gateway of the global external class with one listener per protocol."""
    listeners = [{"name": protocol.lower(), "protocol": protocol} for protocol in protocols]
    return resource(
        GATEWAY, name, {"spec": {"gatewayClassName": "gke-l7-global-external-managed", "listeners": listeners}}
    )


@pytest.mark.parametrize(
    ("gateways", "monthly"), [(1, 0.025 * HOURS), (2, 0.025 * HOURS), (4, (0.025 + 3 * 0.01) * HOURS)]
)
def test_a_gateway_costs_one_forwarding_rule_per_listener_inside_the_project_minimum(
    gateways: int, monthly: float
) -> None:
    priced = estimate(*[gateway(f"gateway-{index}", "HTTPS", "HTTP") for index in range(gateways)])
    assert cost_of_kind(priced, ENTRY) == pytest.approx(monthly)


def test_a_gateway_processes_the_data_once_on_https() -> None:
    priced = estimate(gateway("gateway", "HTTPS", "HTTP"), usage=Usage(load_balancer_processed_gb=100))
    assert cost_of_kind(priced, ENTRY) == pytest.approx(0.025 * HOURS + 100 * 0.008)


@pytest.fixture(scope="module")
def gke_entry_estimate(tmp_path_factory: pytest.TempPathFactory) -> StackEstimate:
    plan = plan_entry_stack(copy_project(tmp_path_factory.mktemp("gke-entry-costs")), "gke-entry", base="prod-gke")
    return estimate_stack(
        plan, Usage(monthly_requests=10_000_000, load_balancer_processed_gb=100, egress_gb=50), load_catalog(), False
    )


def test_the_gke_entry_stack_prices_the_load_balancer_its_gateway_implies_as_one_group(
    gke_entry_estimate: StackEstimate,
) -> None:
    expected = (
        0.025 * HOURS  # the HTTPS and HTTP listeners' forwarding rules, inside the first-five minimum
        + 100 * 0.008  # data processed, once (the HTTP listener only redirects)
        + 0.005 * HOURS  # the reserved address, in use
        + 5.00  # the Cloud Armor policy
        + 4 * 1.00  # two WAF rules, the throttle, the default rule
        + 10 * 0.75  # ten million requests evaluated
    )
    assert cost_of_kind(gke_entry_estimate, ENTRY) == pytest.approx(expected)
    assert cost_of_kind(gke_entry_estimate, "Load balancing") == 0, "the Service is ClusterIP: no L4 load balancer"
    assert cost_of_kind(gke_entry_estimate, "Internet egress") > 0, "responses leave through the Gateway"
    assert not gke_entry_estimate.unpriced
    notes = {item.type: item.note for item in gke_entry_estimate.resources}
    for free in (
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        "kubernetes:networking.gke.io/v1:HealthCheckPolicy",
        "kubernetes:networking.gke.io/v1:GCPBackendPolicy",
        "kubernetes:networking.gke.io/v1:GCPGatewayPolicy",
    ):
        assert notes[free].startswith("free: "), free
