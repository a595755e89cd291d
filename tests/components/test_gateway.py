"""The GatewayEntryPoint component, planned inside a whole GKE stack (Pulumi.prod-gke.yaml with an entry point and
public: true): the Gateway and its routes and policies, wired to the reserved address, the Cloud Armor policy, the
certificate and the TLS policy; the cluster running the Gateway API; the app's Service reachable only through it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facts.app import READINESS_PATH
from facts.entry import HSTS_HEADER, LOAD_BALANCER_SOURCE_RANGES
from facts.types import (
    GKE_CLUSTER,
    GLOBAL_ADDRESS,
    K8S_GATEWAY,
    K8S_GCP_BACKEND_POLICY,
    K8S_GCP_GATEWAY_POLICY,
    K8S_HEALTH_CHECK_POLICY,
    K8S_HTTP_ROUTE,
    K8S_NETWORK_POLICY,
    K8S_SERVICE,
    MANAGED_SSL_CERTIFICATE,
    PROJECT_SERVICE,
    SECURITY_POLICY,
    SSL_POLICY,
)
from plan import Plan, PlannedResource
from tests.entry_stacks import ENTRY, copy_project, plan_entry_stack

COMPONENT = "inference:gateway:GatewayEntryPoint"
RECORD = "gcp:dns/recordSet:RecordSet"
GATEWAY_INVENTORY = {
    COMPONENT: 1,
    K8S_GATEWAY: 1,
    K8S_HTTP_ROUTE: 2,
    K8S_HEALTH_CHECK_POLICY: 1,
    K8S_GCP_BACKEND_POLICY: 1,
    K8S_GCP_GATEWAY_POLICY: 1,
    SECURITY_POLICY: 1,
    MANAGED_SSL_CERTIFICATE: 1,
    SSL_POLICY: 1,
}
COMPUTE_LOAD_BALANCER_TYPES = (
    "gcp:compute/backendService:BackendService",
    "gcp:compute/uRLMap:URLMap",
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule",
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("gateway"))


@pytest.fixture(scope="module")
def gateway_plan(project: Path) -> Plan:
    return plan_entry_stack(project, "prod-gke-entry", base="prod-gke")


def spec(resource: PlannedResource) -> dict[str, Any]:
    return dict(resource.inputs["spec"])


def named(plan: Plan, resource_type: str, suffix: str) -> PlannedResource:
    (found,) = [resource for resource in plan.of_type(resource_type) if resource.name.endswith(suffix)]
    return found


def app_service(plan: Plan) -> PlannedResource:
    (service,) = [item for item in plan.of_type(K8S_SERVICE) if item.inputs["metadata"]["name"] == "embeddings"]
    return service


def test_the_gke_entry_point_creates_the_gateway_inventory(gateway_plan: Plan) -> None:
    counts = gateway_plan.type_counts()
    assert {resource_type: counts.get(resource_type, 0) for resource_type in GATEWAY_INVENTORY} == GATEWAY_INVENTORY
    (component,) = gateway_plan.of_type(COMPONENT)
    children = {child.type for child in gateway_plan.children_of(component)}
    assert set(GATEWAY_INVENTORY) - {COMPONENT} <= children and GLOBAL_ADDRESS in children
    assert not any(counts.get(resource_type) for resource_type in COMPUTE_LOAD_BALANCER_TYPES), (
        "GKE's Gateway controller builds the load balancer; Pulumi creates none of its pieces"
    )
    assert RECORD not in counts, "no dnsZone: the record is an output, not a resource"


def test_the_cluster_runs_the_standard_gateway_api(gateway_plan: Plan) -> None:
    assert gateway_plan.one(GKE_CLUSTER).inputs["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}


def test_the_gateway_serves_https_for_the_domain_on_the_reserved_address_with_the_managed_certificate(
    gateway_plan: Plan,
) -> None:
    gateway = spec(gateway_plan.one(K8S_GATEWAY))
    (address,) = [item for item in gateway_plan.of_type(GLOBAL_ADDRESS) if item.inputs.get("addressType") == "EXTERNAL"]
    certificate = gateway_plan.one(MANAGED_SSL_CERTIFICATE)

    assert gateway["gatewayClassName"] == "gke-l7-global-external-managed"
    assert gateway["addresses"] == [{"type": "NamedAddress", "value": address.name}]
    https, http = gateway["listeners"]
    assert (https["protocol"], https["port"], https["hostname"]) == ("HTTPS", 443, ENTRY["domain"])
    assert https["tls"] == {"mode": "Terminate", "options": {"networking.gke.io/pre-shared-certs": certificate.name}}
    assert certificate.inputs["managed"]["domains"] == [ENTRY["domain"]]
    assert (http["protocol"], http["port"]) == ("HTTP", 80)


def test_the_route_sends_the_domain_to_the_app_service_with_the_security_headers(gateway_plan: Plan) -> None:
    route = spec(named(gateway_plan, K8S_HTTP_ROUTE, "-entry-route"))
    (rule,) = route["rules"]

    assert route["parentRefs"][0]["sectionName"] == "https"
    assert route["hostnames"] == [ENTRY["domain"]]
    assert rule["backendRefs"] == [{"group": "", "kind": "Service", "name": "embeddings", "port": 80}]
    (headers,) = [item["responseHeaderModifier"]["set"] for item in rule["filters"]]
    assert {header["name"] for header in headers} == {HSTS_HEADER, "X-Content-Type-Options", "Referrer-Policy"}
    (hsts,) = [header["value"] for header in headers if header["name"] == HSTS_HEADER]
    assert "max-age=31536000" in hsts


def test_plain_http_only_redirects_to_https(gateway_plan: Plan) -> None:
    route = spec(named(gateway_plan, K8S_HTTP_ROUTE, "-redirect-route"))
    (rule,) = route["rules"]

    assert route["parentRefs"][0]["sectionName"] == "http"
    assert "backendRefs" not in rule
    assert rule["filters"] == [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]


def test_the_load_balancer_checks_readiness_and_filters_through_cloud_armor_with_tls_1_2(gateway_plan: Plan) -> None:
    health = spec(gateway_plan.one(K8S_HEALTH_CHECK_POLICY))
    backend = spec(gateway_plan.one(K8S_GCP_BACKEND_POLICY))
    gateway_policy = spec(gateway_plan.one(K8S_GCP_GATEWAY_POLICY))
    service_ref = {"group": "", "kind": "Service", "name": "embeddings"}

    assert health["targetRef"] == service_ref
    assert health["default"]["config"]["httpHealthCheck"]["requestPath"] == READINESS_PATH
    assert backend["targetRef"] == service_ref
    assert backend["default"]["securityPolicy"] == gateway_plan.one(SECURITY_POLICY).name
    assert backend["default"]["logging"]["enabled"] is True
    assert gateway_policy["targetRef"]["kind"] == "Gateway"
    assert gateway_policy["default"]["sslPolicy"] == gateway_plan.one(SSL_POLICY).name
    assert gateway_plan.one(SSL_POLICY).inputs["minTlsVersion"] == "TLS_1_2"


def test_the_cloud_armor_policy_is_the_one_cloud_run_gets(gateway_plan: Plan) -> None:
    rules = gateway_plan.one(SECURITY_POLICY).inputs["rules"]
    throttle = next(rule for rule in rules if rule["action"] == "throttle")
    waf = [rule["match"]["expr"]["expression"] for rule in rules if rule["action"] == "deny(403)"]

    assert throttle["rateLimitOptions"]["rateLimitThreshold"] == {"count": 600, "intervalSec": 60}
    assert any("sqli-v33-stable" in expression for expression in waf)


def test_the_app_service_is_cluster_ip_and_admits_only_the_load_balancer(gateway_plan: Plan) -> None:
    service = app_service(gateway_plan)
    (ingress,) = [
        policy
        for policy in gateway_plan.of_type(K8S_NETWORK_POLICY)
        if policy.inputs["metadata"]["name"] == "embeddings-ingress"
    ]
    (rule,) = ingress.inputs["spec"]["ingress"]

    assert service.inputs["spec"]["type"] == "ClusterIP"
    assert "externalTrafficPolicy" not in service.inputs["spec"]
    assert [peer["ipBlock"]["cidr"] for peer in rule["from"]] == list(LOAD_BALANCER_SOURCE_RANGES)
    assert rule["ports"] == [{"protocol": "TCP", "port": "http"}]


def test_the_routes_and_policies_wait_for_the_service(gateway_plan: Plan) -> None:
    service = app_service(gateway_plan)
    for resource_type in (K8S_HTTP_ROUTE, K8S_HEALTH_CHECK_POLICY, K8S_GCP_BACKEND_POLICY):
        for resource in gateway_plan.of_type(resource_type):
            assert service.urn in resource.dependencies, resource.name


def test_a_destroy_deletes_the_gateway_before_what_its_load_balancer_uses(gateway_plan: Plan) -> None:
    """GKE's controller detaches the address, certificate, SSL policy and Cloud Armor policy only while it tears the
    load balancer down (the Gateway's finalizer): each must outlive the Gateway, and the routes and policies go
    before it, or Google refuses the delete as resourceInUseByAnotherResource."""
    gateway = gateway_plan.one(K8S_GATEWAY)
    (address,) = [item for item in gateway_plan.of_type(GLOBAL_ADDRESS) if item.inputs.get("addressType") == "EXTERNAL"]
    used_by_the_load_balancer = [
        address,
        gateway_plan.one(MANAGED_SSL_CERTIFICATE),
        gateway_plan.one(SSL_POLICY),
        gateway_plan.one(SECURITY_POLICY),
    ]

    assert {item.name for item in used_by_the_load_balancer if item.urn not in gateway.dependencies} == set()
    for resource_type in (K8S_HTTP_ROUTE, K8S_HEALTH_CHECK_POLICY, K8S_GCP_BACKEND_POLICY, K8S_GCP_GATEWAY_POLICY):
        for resource in gateway_plan.of_type(resource_type):
            assert gateway.urn in resource.dependencies, resource.name


def test_the_outputs_are_the_same_as_on_cloud_run(gateway_plan: Plan) -> None:
    outputs = gateway_plan.outputs

    assert outputs["entry_url"] == f"https://{ENTRY['domain']}"
    assert str(outputs["entry_ip"]).startswith("203.0.113."), "the reserved external address (TEST-NET-3 offline)"
    assert outputs["entry_dns_record"] == {
        "name": f"{ENTRY['domain']}.",
        "type": "A",
        "ttl": 300,
        "rrdatas": [outputs["entry_ip"]],
    }


def test_with_a_dns_zone_the_a_record_is_created_there(project: Path) -> None:
    plan = plan_entry_stack(project, "prod-gke-zoned", {**ENTRY, "dnsZone": "example-com"}, base="prod-gke")

    record = plan.one(RECORD)
    assert record.inputs["managedZone"] == "example-com"
    assert record.inputs["rrdatas"] == [plan.outputs["entry_ip"]]
    assert "entry_dns_record" not in plan.outputs
    assert "dns.googleapis.com" in {service.inputs["service"] for service in plan.of_type(PROJECT_SERVICE)}
