"""Rules for the public entry point: a public prod service is reached through a load balancer with TLS and Cloud
Armor (on Cloud Run a load balancer built from Compute Engine resources, on GKE a Gateway with GKE's policies),
nothing bypasses it (the run.app URL closed; no LoadBalancer Service beside the Gateway), and every response
carries HSTS.

Registered in the pack by policy/rules/__init__.py, like every other domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from facts.entry import CERTIFICATE_MAP_ANNOTATION, EXTERNAL_GATEWAY_CLASSES, PRE_SHARED_CERTS_OPTION
from facts.types import (
    CLOUD_RUN_SERVICE,
    GKE_CLUSTER,
    K8S_GATEWAY,
    K8S_GCP_BACKEND_POLICY,
    K8S_HTTP_ROUTE,
    K8S_SERVICE,
)
from plan import lookup
from policy.rules.labels import is_prod
from policy.rules.registry import Declared, Level, RuleSet, items

RULES = RuleSet()

BACKEND_SERVICE = "gcp:compute/backendService:BackendService"
HTTPS_PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
SERVERLESS_NEG = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
PRIVATE_INGRESS = "INGRESS_TRAFFIC_INTERNAL_ONLY"
LOAD_BALANCER_INGRESS = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
EXTERNAL_SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED")
HSTS = "strict-transport-security"
CERTIFICATE_INPUTS = ("sslCertificates", "certificateMap", "certificateManagerCertificates")
INTERNAL_LOAD_BALANCER_ANNOTATIONS = ("networking.gke.io/load-balancer-type", "cloud.google.com/load-balancer-type")


def _of_type(resources: Sequence[Declared], resource_type: str) -> list[Declared]:
    return [resource for resource in resources if resource.resource_type == resource_type]


def _has_tls(proxy: Declared) -> bool:
    return any(proxy.props.get(key) for key in CERTIFICATE_INPUTS)


def _armored(backend: Declared) -> bool:
    return bool(backend.props.get("securityPolicy"))


@RULES.stack_rule(
    "entry-point-for-public-prod",
    Level.MANDATORY,
    "A public prod service is reached through an entry point: on Cloud Run an HTTPS proxy with a certificate and a "
    "backend service with a Cloud Armor policy; on GKE a Gateway with an HTTPS listener that has a certificate and "
    "a GCPBackendPolicy with a Cloud Armor policy.",
    "issue 15: public entry point; CIS GCP 3.9 (TLS), security baseline: edge rate limit and WAF",
)
def entry_point_for_public_prod(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    return _cloud_run_entry_point_problems(resources) + _gke_entry_point_problems(resources)


def _cloud_run_entry_point_problems(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    public_prod = [
        service
        for service in _of_type(resources, CLOUD_RUN_SERVICE)
        if is_prod(service.resource_type, service.props) and service.props.get("ingress") != PRIVATE_INGRESS
    ]
    if not public_prod:
        return []
    missing = []
    if not any(_has_tls(proxy) for proxy in _of_type(resources, HTTPS_PROXY)):
        missing.append("an HTTPS proxy with a certificate")
    if not any(_armored(backend) for backend in _of_type(resources, BACKEND_SERVICE)):
        missing.append("a backend service with a Cloud Armor security policy")
    if not missing:
        return []
    return [
        (service.name, f"public in prod (ingress {service.props.get('ingress')}) without {' or '.join(missing)}")
        for service in public_prod
    ]


def _spec(resource: Declared) -> Mapping[str, Any]:
    spec = resource.props.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _external_gateways(resources: Sequence[Declared]) -> list[Declared]:
    return [
        gateway
        for gateway in _of_type(resources, K8S_GATEWAY)
        if _spec(gateway).get("gatewayClassName") in EXTERNAL_GATEWAY_CLASSES
    ]


def _gateway_has_tls(gateway: Declared) -> bool:
    """An HTTPS listener with a certificate: a Secret, a pre-shared certificate, or the Gateway's certificate map."""
    annotations = lookup(gateway.props, "metadata.annotations") or {}
    for listener in items(_spec(gateway).get("listeners")):
        tls = listener.get("tls") or {}
        if listener.get("protocol") != "HTTPS":
            continue
        if tls.get("certificateRefs") or (tls.get("options") or {}).get(PRE_SHARED_CERTS_OPTION):
            return True
        if isinstance(annotations, Mapping) and annotations.get(CERTIFICATE_MAP_ANNOTATION):
            return True
    return False


def _is_external_load_balancer(service: Declared) -> bool:
    annotations = lookup(service.props, "metadata.annotations") or {}
    internal = isinstance(annotations, Mapping) and any(
        annotations.get(key) == "Internal" for key in INTERNAL_LOAD_BALANCER_ANNOTATIONS
    )
    return _spec(service).get("type") == "LoadBalancer" and not internal


def _gke_entry_point_problems(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    """A prod cluster whose app the internet reaches (an external LoadBalancer Service or an external Gateway)."""
    if not any(is_prod(cluster.resource_type, cluster.props) for cluster in _of_type(resources, GKE_CLUSTER)):
        return []
    exposed = [service for service in _of_type(resources, K8S_SERVICE) if _is_external_load_balancer(service)]
    gateways = _external_gateways(resources)
    if not exposed and not gateways:
        return []
    missing = []
    if not any(_gateway_has_tls(gateway) for gateway in gateways):
        missing.append("a Gateway with an HTTPS listener that has a certificate")
    if not any(
        lookup(policy.props, "spec.default.securityPolicy") for policy in _of_type(resources, K8S_GCP_BACKEND_POLICY)
    ):
        missing.append("a GCPBackendPolicy with a Cloud Armor security policy")
    if not missing:
        return []
    return [(resource.name, f"public in prod on GKE without {' or '.join(missing)}") for resource in exposed + gateways]


def _route_backends(resources: Sequence[Declared]) -> set[str]:
    """The names of the Services the HTTPRoutes send traffic to."""
    return {
        str(backend.get("name"))
        for route in _of_type(resources, K8S_HTTP_ROUTE)
        for rule in items(_spec(route).get("rules"))
        for backend in items(rule.get("backendRefs"))
        if backend.get("kind", "Service") == "Service"
    }


@RULES.stack_rule(
    "entry-point-closes-load-balancer-service",
    Level.MANDATORY,
    "Behind a GKE Gateway of an external class, the app's Service is not also of type LoadBalancer (its raw IP "
    "would bypass Cloud Armor and TLS), and no other Service faces the internet with its own load balancer.",
    "issue 15: the GKE analogue of closing run.app; https://cloud.google.com/kubernetes-engine/docs/concepts/gateway-api",
)
def gke_closed_behind_entry_point(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    if not _external_gateways(resources):
        return []
    backends = _route_backends(resources)
    problems = []
    for service in _of_type(resources, K8S_SERVICE):
        if _spec(service).get("type") != "LoadBalancer":
            continue
        service_name = lookup(service.props, "metadata.name")
        if service_name in backends:
            reason = f"Service {service_name} is behind the Gateway but still of type LoadBalancer"
        elif _is_external_load_balancer(service):
            reason = f"Service {service_name} faces the internet with its own load balancer beside the Gateway"
        else:
            continue
        problems.append((service.name, f"{reason}: make it ClusterIP, so the Gateway is the only way in"))
    return problems


def _neg_targets(resources: Sequence[Declared]) -> set[str]:
    return {
        str(target) for neg in _of_type(resources, SERVERLESS_NEG) if (target := lookup(neg.props, "cloudRun.service"))
    }


@RULES.stack_rule(
    "entry-point-closes-run-app",
    Level.MANDATORY,
    "A Cloud Run service behind a load balancer admits only internal and load-balancer traffic, so its run.app "
    "URL does not bypass Cloud Armor.",
    "issue 15: the run.app URL must not stay open; https://cloud.google.com/run/docs/securing/ingress",
)
def cloudrun_closed_behind_entry_point(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    targets = _neg_targets(resources)
    problems = []
    for service in _of_type(resources, CLOUD_RUN_SERVICE):
        names = {service.name, str(service.props.get("name"))}
        ingress = service.props.get("ingress")
        if names & targets and ingress not in (LOAD_BALANCER_INGRESS, PRIVATE_INGRESS):
            problems.append(
                (
                    service.name,
                    f"behind a load balancer, but ingress is {ingress or 'unset (all)'}: set {LOAD_BALANCER_INGRESS}",
                )
            )
    return problems


def hsts_problems(props: Mapping[str, Any]) -> list[str]:
    """What is wrong with one backend service's HSTS header; nothing for a backend the internet does not reach."""
    if props.get("loadBalancingScheme") not in EXTERNAL_SCHEMES:
        return []
    headers = [str(header).split(":", 1) for header in items(props.get("customResponseHeaders"))]
    hsts = [value.strip() for name, *value_part in headers if name.strip().lower() == HSTS for value in value_part]
    return _hsts_value_problems(hsts, "customResponseHeaders")


def _hsts_value_problems(values: Sequence[str], where: str) -> list[str]:
    if not values:
        return [f"{where} has no Strict-Transport-Security header"]
    if any("max-age=0" in value.replace(" ", "") for value in values):
        return ["Strict-Transport-Security has max-age=0, which turns HSTS off"]
    return []


def route_hsts_problems(route: Mapping[str, Any]) -> list[str]:
    """What is wrong with one serving HTTPRoute's HSTS header (a ResponseHeaderModifier that sets or adds it, on
    its rules or their backends); nothing for a route that only redirects."""
    spec = route.get("spec")
    if not isinstance(spec, Mapping):
        return []
    problems = []
    for rule in items(spec.get("rules")):
        backends = items(rule.get("backendRefs"))
        if not backends:
            continue
        filters = [*items(rule.get("filters")), *(f for backend in backends for f in items(backend.get("filters")))]
        values = [
            str(header.get("value", ""))
            for route_filter in filters
            if route_filter.get("type") == "ResponseHeaderModifier"
            for operation in ("set", "add")
            for header in items((route_filter.get("responseHeaderModifier") or {}).get(operation))
            if str(header.get("name", "")).lower() == HSTS
        ]
        problems += _hsts_value_problems(values, "the rule's ResponseHeaderModifier")
    return problems


def _routes_of_external_gateways(resources: Sequence[Declared]) -> list[Declared]:
    gateway_names = {lookup(gateway.props, "metadata.name") for gateway in _external_gateways(resources)}
    return [
        route
        for route in _of_type(resources, K8S_HTTP_ROUTE)
        if any(parent.get("name") in gateway_names for parent in items(_spec(route).get("parentRefs")))
    ]


@RULES.stack_rule(
    "entry-point-hsts",
    Level.ADVISORY,
    "An internet-facing backend service (or, on GKE, an HTTPRoute of an external Gateway) adds "
    "Strict-Transport-Security to every response.",
    "OWASP Secure Headers (HSTS); issue 15: security headers",
)
def entry_point_hsts(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    return [
        (backend.name, problem)
        for backend in _of_type(resources, BACKEND_SERVICE)
        for problem in hsts_problems(backend.props)
    ] + [
        (route.name, problem)
        for route in _routes_of_external_gateways(resources)
        for problem in route_hsts_problems(route.props)
    ]
