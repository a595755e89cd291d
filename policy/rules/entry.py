"""Rules for the public entry point: a public prod service is reached through a load balancer with TLS and Cloud
Armor, its run.app URL closed, and every response carries HSTS.

Registered in the pack by policy/rules/__init__.py, like every other domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from facts.types import CLOUD_RUN_SERVICE
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


def _of_type(resources: Sequence[Declared], resource_type: str) -> list[Declared]:
    return [resource for resource in resources if resource.resource_type == resource_type]


def _has_tls(proxy: Declared) -> bool:
    return any(proxy.props.get(key) for key in CERTIFICATE_INPUTS)


def _armored(backend: Declared) -> bool:
    return bool(backend.props.get("securityPolicy"))


@RULES.stack_rule(
    "entry-point-for-public-prod",
    Level.MANDATORY,
    "A public prod Cloud Run service is reached through an entry point: an HTTPS proxy with a certificate and a "
    "backend service with a Cloud Armor policy.",
    "issue 15: public entry point; CIS GCP 3.9 (TLS), security baseline: edge rate limit and WAF",
)
def entry_point_for_public_prod(resources: Sequence[Declared]) -> list[tuple[str, str]]:
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
    if not hsts:
        return ["customResponseHeaders has no Strict-Transport-Security header"]
    if any("max-age=0" in value.replace(" ", "") for value in hsts):
        return ["Strict-Transport-Security has max-age=0, which turns HSTS off"]
    return []


@RULES.stack_rule(
    "entry-point-hsts",
    Level.ADVISORY,
    "An internet-facing backend service adds Strict-Transport-Security to every response.",
    "OWASP Secure Headers (HSTS); issue 15: security headers",
)
def entry_point_hsts(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    return [
        (backend.name, problem)
        for backend in _of_type(resources, BACKEND_SERVICE)
        for problem in hsts_problems(backend.props)
    ]
