"""The EntryPoint component, planned inside a whole stack (Pulumi.prod.yaml with an entry point and public: true):
what it creates, how the pieces are wired, and the Cloud Armor policy it writes from the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from facts.entry import CLOUD_ARMOR_DEFAULT_RULE_PRIORITY, HSTS_HEADER
from lifecycle.data import load_lifecycle
from plan import Plan, PlannedResource
from tests.entry_stacks import ENTRY, copy_project, plan_entry_stack

NEG = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
BACKEND = "gcp:compute/backendService:BackendService"
POLICY = "gcp:compute/securityPolicy:SecurityPolicy"
URL_MAP = "gcp:compute/uRLMap:URLMap"
HTTPS_PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
HTTP_PROXY = "gcp:compute/targetHttpProxy:TargetHttpProxy"
FORWARDING_RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
ADDRESS = "gcp:compute/globalAddress:GlobalAddress"
CERTIFICATE = "gcp:compute/managedSslCertificate:ManagedSslCertificate"
SSL_POLICY = "gcp:compute/sSLPolicy:SSLPolicy"
RECORD = "gcp:dns/recordSet:RecordSet"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"

ENTRY_INVENTORY = {
    "inference:entry:EntryPoint": 1,
    NEG: 1,
    POLICY: 1,
    BACKEND: 1,
    URL_MAP: 2,
    CERTIFICATE: 1,
    SSL_POLICY: 1,
    HTTPS_PROXY: 1,
    HTTP_PROXY: 1,
    FORWARDING_RULE: 2,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("entry"))


@pytest.fixture(scope="module")
def entry_plan(project: Path) -> Plan:
    return plan_entry_stack(project, "prod-entry")


def entry_children(plan: Plan) -> list[str]:
    (component,) = plan.of_type("inference:entry:EntryPoint")
    return sorted(child.type for child in plan.children_of(component))


def by_name(plan: Plan, resource_type: str, suffix: str) -> PlannedResource:
    (found,) = [resource for resource in plan.of_type(resource_type) if resource.name.endswith(suffix)]
    return found


def test_the_entry_point_creates_the_load_balancer_inventory(entry_plan: Plan) -> None:
    counts = entry_plan.type_counts()
    assert {resource_type: counts.get(resource_type, 0) for resource_type in ENTRY_INVENTORY} == ENTRY_INVENTORY
    external = [address for address in entry_plan.of_type(ADDRESS) if address.inputs.get("addressType") == "EXTERNAL"]
    assert len(external) == 1
    assert RECORD not in counts, "no dnsZone: the record is an output, not a resource"
    children = entry_children(entry_plan)
    assert children.count(FORWARDING_RULE) == 2 and ADDRESS in children


def test_the_cloud_run_service_is_reachable_only_through_the_load_balancer(entry_plan: Plan) -> None:
    assert entry_plan.one(CLOUD_RUN).inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    neg = entry_plan.one(NEG)
    assert neg.inputs["networkEndpointType"] == "SERVERLESS"
    assert neg.inputs["cloudRun"]["service"] == entry_plan.one(CLOUD_RUN).name
    assert neg.inputs["region"] == "us-central1"


def test_https_serves_the_domain_with_a_managed_certificate_and_tls_1_2(entry_plan: Plan) -> None:
    certificate = entry_plan.one(CERTIFICATE)
    assert certificate.inputs["managed"]["domains"] == [ENTRY["domain"]]
    proxy = entry_plan.one(HTTPS_PROXY)
    assert proxy.inputs["sslCertificates"] == [f"projects/my-inference-prod/global/sslCertificates/{certificate.name}"]
    assert entry_plan.one(SSL_POLICY).inputs["minTlsVersion"] == "TLS_1_2"
    https_rule = by_name(entry_plan, FORWARDING_RULE, "-https-rule")
    assert https_rule.inputs["portRange"] == "443"
    assert https_rule.inputs["target"] == f"{proxy.name}-id"
    assert https_rule.inputs["loadBalancingScheme"] == "EXTERNAL_MANAGED"


def test_http_only_redirects_to_https_on_the_same_address(entry_plan: Plan) -> None:
    redirect = by_name(entry_plan, URL_MAP, "-redirect")
    assert redirect.inputs["defaultUrlRedirect"]["httpsRedirect"] is True
    assert "defaultService" not in redirect.inputs
    assert entry_plan.one(HTTP_PROXY).inputs["urlMap"] == f"{redirect.name}-id"
    http_rule = by_name(entry_plan, FORWARDING_RULE, "-http-rule")
    https_rule = by_name(entry_plan, FORWARDING_RULE, "-https-rule")
    assert http_rule.inputs["portRange"] == "80"
    assert http_rule.inputs["ipAddress"] == https_rule.inputs["ipAddress"]


def test_the_backend_carries_the_security_policy_logging_and_security_headers(entry_plan: Plan) -> None:
    backend = entry_plan.one(BACKEND)
    policy_name = entry_plan.one(POLICY).name
    assert backend.inputs["securityPolicy"] == f"projects/my-inference-prod/global/securityPolicies/{policy_name}"
    assert backend.inputs["backends"] == [{"group": f"{entry_plan.one(NEG).name}-id"}]
    assert backend.inputs["logConfig"]["enable"] is True
    headers = [header.split(":", 1)[0] for header in backend.inputs["customResponseHeaders"]]
    assert headers == [HSTS_HEADER, "X-Content-Type-Options", "Referrer-Policy"]
    assert by_name(entry_plan, URL_MAP, "-urls").inputs["defaultService"] == f"{backend.name}-id"


def test_cloud_armor_throttles_each_ip_to_429_after_the_waf_rules(entry_plan: Plan) -> None:
    rules = sorted(entry_plan.one(POLICY).inputs["rules"], key=lambda rule: rule["priority"])
    waf, throttle, default = rules[:2], rules[2], rules[3]
    assert [rule["match"]["expr"]["expression"] for rule in waf] == [
        "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})",
        "evaluatePreconfiguredWaf('xss-v33-stable', {'sensitivity': 1})",
    ]
    assert all(rule["action"] == "deny(403)" for rule in waf)
    assert throttle["action"] == "throttle"
    assert throttle["rateLimitOptions"]["exceedAction"] == "deny(429)"
    assert throttle["rateLimitOptions"]["enforceOnKey"] == "IP"
    assert throttle["rateLimitOptions"]["rateLimitThreshold"] == {"count": 600, "intervalSec": 60}
    assert throttle["match"]["config"]["srcIpRanges"] == ["*"]
    assert default["priority"] == CLOUD_ARMOR_DEFAULT_RULE_PRIORITY and default["action"] == "allow"


def test_an_allow_list_is_the_throttled_range_and_everyone_else_is_denied(project: Path) -> None:
    entry = {**ENTRY, "armor": {"requestsPerMinutePerIp": 60, "allowCidrs": ["203.0.113.0/24"]}}
    plan = plan_entry_stack(project, "prod-allow", entry)
    rules = sorted(plan.one(POLICY).inputs["rules"], key=lambda rule: rule["priority"])
    assert [rule["action"] for rule in rules] == ["throttle", "deny(403)"]
    assert rules[0]["match"]["config"]["srcIpRanges"] == ["203.0.113.0/24"]


def test_a_dns_zone_gets_the_a_record_and_its_api(project: Path) -> None:
    plan = plan_entry_stack(project, "prod-zone", {**ENTRY, "dnsZone": "example-com"})
    record = plan.one(RECORD)
    address = next(address for address in plan.of_type(ADDRESS) if address.inputs.get("addressType") == "EXTERNAL")
    assert record.inputs["managedZone"] == "example-com"
    assert record.inputs["name"] == "api.example.com."
    assert record.inputs["type"] == "A"
    assert address.urn in record.dependencies
    services = {api.inputs["service"] for api in plan.of_type("gcp:projects/service:Service")}
    assert "dns.googleapis.com" in services
    assert "entry_dns_record" not in plan.outputs


def test_a_new_domain_keeps_the_reserved_address(project: Path, entry_plan: Plan) -> None:
    """A domain change replaces the certificate (a new one must be issued) but not the address: its IP is what
    DNS points at, and on GKE the controller still holds the old one on a forwarding rule when Pulumi deletes it."""
    moved = plan_entry_stack(project, "prod-moved", {**ENTRY, "domain": "api2.example.com"})
    forcing = [key for key in load_lifecycle().types[ADDRESS].replace_on if key != "name"]

    def external_address(plan: Plan) -> dict[str, object]:
        (address,) = [item for item in plan.of_type(ADDRESS) if item.inputs.get("addressType") == "EXTERNAL"]
        return {key: address.inputs.get(key) for key in forcing}

    assert external_address(moved) == external_address(entry_plan)
    assert moved.one(CERTIFICATE).inputs["managed"] != entry_plan.one(CERTIFICATE).inputs["managed"]


def test_the_stack_outputs_the_entry_url_ip_and_the_record_to_create(entry_plan: Plan) -> None:
    outputs = entry_plan.outputs
    assert outputs["entry_url"] == "https://api.example.com"
    assert outputs["entry_ip"].startswith("203.0.113.")
    assert outputs["entry_dns_record"] == {
        "name": "api.example.com.",
        "type": "A",
        "ttl": 300,
        "rrdatas": [outputs["entry_ip"]],
    }


def test_every_entry_resource_that_takes_labels_carries_the_stack_labels(entry_plan: Plan) -> None:
    for resource_type in (ADDRESS, POLICY, FORWARDING_RULE):
        for resource in entry_plan.of_type(resource_type):
            assert resource.inputs["labels"]["environment"] == "prod", resource.name
