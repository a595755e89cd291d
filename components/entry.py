"""A public entry point for the Cloud Run service: a global external Application Load Balancer on a reserved
address, with a Google-managed certificate, Cloud Armor, security response headers and an HTTP → HTTPS redirect.

The shape follows cloud-foundation-fabric's `net-lb-app-ext` with a serverless NEG backend: NEG → backend
service (security policy, logging, headers) → URL map → HTTPS proxy (certificate, SSL policy) → forwarding rule
on :443; a second URL map that only redirects → HTTP proxy → forwarding rule on :80, on the same address.

The pieces both platforms' entry points share (the reserved address, the Cloud Armor policy, the Google-managed
certificate, the TLS policy and the A record) are made by `entry_edge`; components/gateway.py builds the GKE one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from components.naming import fit_name
from facts.entry import (
    CLOUD_ARMOR_DEFAULT_RULE_PRIORITY,
    CLOUD_ARMOR_THROTTLE_STATUS,
    SECURITY_RESPONSE_HEADERS,
)
from facts.gcp import COMPUTE_NAME

WAF_RULE_FIRST_PRIORITY = 1000
THROTTLE_RULE_PRIORITY = 2000
RATE_LIMIT_INTERVAL_SECONDS = 60
# The lowest sensitivity (OWASP paranoia level 1): the signatures with the fewest false positives
# (cloud.google.com/armor/docs/rule-tuning#choose_a_sensitivity_level).
WAF_SENSITIVITY = 1
DNS_RECORD_TTL_SECONDS = 300
EVERYONE = "*"


@dataclass(frozen=True, kw_only=True)
class ArmorArgs:
    """The Cloud Armor policy in front of an entry point: a per-IP throttle, WAF rules and an optional allow-list."""

    requests_per_minute_per_ip: int
    """Requests a minute per client IP; beyond it: 429."""
    preconfigured_rules: Sequence[str] = ()
    """Preconfigured WAF rule names (sqli-v33-stable, ...), each denying a match with 403."""
    allow_cidrs: Sequence[str] = ()
    """Only these client ranges get in (everyone else 403); empty: everyone."""

    def __post_init__(self) -> None:
        if self.requests_per_minute_per_ip <= 0:
            raise ValueError("requests_per_minute_per_ip must be above 0")


@dataclass(frozen=True, kw_only=True)
class EntryPointArgs:
    """A global external Application Load Balancer for `domain` in front of a Cloud Run service, with a
    Google-managed certificate, Cloud Armor and security response headers."""

    region: str
    """Where the Cloud Run service runs (its serverless NEG is regional)."""
    cloud_run_service: pulumi.Input[str]
    """The Cloud Run service's name; its ingress should be INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."""
    domain: str
    """The host name; the Google-managed certificate is issued for it once its A record points at the address."""
    armor: ArmorArgs
    """The Cloud Armor policy on the load balancer's backend."""
    dns_zone: str | None = None
    """A Cloud DNS managed zone to create the A record in; None: the caller creates it (see `dns_record`)."""
    response_headers: Sequence[str] = field(default=SECURITY_RESPONSE_HEADERS)
    """`Header: value` lines the load balancer adds to every response."""
    labels: Mapping[str, str]
    """Labels for the address, the Cloud Armor policy and the forwarding rules."""


class EntryPoint(pulumi.ComponentResource):
    """The way in from the internet: HTTPS for `domain`, throttled and filtered by Cloud Armor."""

    url: pulumi.Output[str]
    ip_address: pulumi.Output[str]
    dns_record: pulumi.Output[dict[str, object]]
    """The A record that makes `domain` resolve to the address (created in `dns_zone` when one is given)."""
    security_policy_id: pulumi.Output[str]

    def __init__(self, name: str, args: EntryPointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:entry:EntryPoint", name, None, opts)
        child = child_options(self, opts)
        labels = dict(args.labels)

        def logical(suffix: str) -> str:
            return edge_name(name, suffix)

        edge = entry_edge(name, args.domain, args.armor, args.dns_zone, labels, child)

        def listen(suffix: str, proxy: gcp.compute.TargetHttpsProxy | gcp.compute.TargetHttpProxy, port: str) -> None:
            """A forwarding rule from `port` of the entry's address to `proxy`."""
            gcp.compute.GlobalForwardingRule(
                logical(suffix),
                target=proxy.id,
                ip_address=edge.address.address,
                ip_protocol="TCP",
                port_range=port,
                load_balancing_scheme="EXTERNAL_MANAGED",
                labels=labels,
                opts=child,
            )

        endpoint_group = gcp.compute.RegionNetworkEndpointGroup(
            logical("neg"),
            region=args.region,
            network_endpoint_type="SERVERLESS",
            cloud_run=gcp.compute.RegionNetworkEndpointGroupCloudRunArgs(service=args.cloud_run_service),
            opts=child,
        )
        backend = gcp.compute.BackendService(
            logical("backend"),
            load_balancing_scheme="EXTERNAL_MANAGED",
            protocol="HTTPS",
            backends=[gcp.compute.BackendServiceBackendArgs(group=endpoint_group.id)],
            security_policy=edge.security_policy.id,
            log_config=gcp.compute.BackendServiceLogConfigArgs(enable=True, sample_rate=1.0),
            custom_response_headers=list(args.response_headers),
            opts=child,
        )
        url_map = gcp.compute.URLMap(logical("urls"), default_service=backend.id, opts=child)
        https_proxy = gcp.compute.TargetHttpsProxy(
            logical("https"),
            url_map=url_map.id,
            ssl_certificates=[edge.certificate.id],
            ssl_policy=edge.tls_policy.id,
            opts=child,
        )
        listen("https-rule", https_proxy, "443")
        redirect_map = gcp.compute.URLMap(
            logical("redirect"),
            default_url_redirect=gcp.compute.URLMapDefaultUrlRedirectArgs(
                https_redirect=True, redirect_response_code="MOVED_PERMANENTLY_DEFAULT", strip_query=False
            ),
            opts=child,
        )
        http_proxy = gcp.compute.TargetHttpProxy(logical("http"), url_map=redirect_map.id, opts=child)
        listen("http-rule", http_proxy, "80")

        self.url = edge.url
        self.ip_address = edge.address.address
        self.dns_record = edge.dns_record
        self.security_policy_id = edge.security_policy.id
        self.register_outputs(edge.outputs())


def edge_name(name: str, suffix: str) -> str:
    """The logical name of a Compute Engine child of the entry point `name` (autonamed, so it fits with Pulumi's
    suffix)."""
    return fit_name(f"{name}-{suffix}", COMPUTE_NAME, autonamed=True)


@dataclass(frozen=True)
class EntryEdge:
    """What every entry point has, whatever serves behind it."""

    address: gcp.compute.GlobalAddress
    """The reserved global IPv4 address the load balancer's forwarding rules listen on."""
    security_policy: gcp.compute.SecurityPolicy
    """The Cloud Armor policy of the backend: WAF rules, the per-IP throttle, the allow-list."""
    certificate: gcp.compute.ManagedSslCertificate
    """The Google-managed certificate for the domain (ACTIVE once the A record points at the address)."""
    tls_policy: gcp.compute.SSLPolicy
    """TLS 1.2 or later, with the MODERN cipher profile."""
    url: pulumi.Output[str]
    """`https://<domain>`, where clients reach the service."""
    dns_record: pulumi.Output[dict[str, object]]
    """The A record that makes the domain resolve to the address (created in the zone when one is given)."""

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        """What an entry point component registers: its URL, address, A record and Cloud Armor policy."""
        return {
            "url": self.url,
            "ip_address": self.address.address,
            "dns_record": self.dns_record,
            "security_policy_id": self.security_policy.id,
        }


def entry_edge(
    name: str,
    domain: str,
    armor: ArmorArgs,
    dns_zone: str | None,
    labels: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> EntryEdge:
    """The address, Cloud Armor policy, certificate, TLS policy and optional A record of the entry point `name`,
    children of whichever component `opts` parents them to. Cloud Run's load balancer and GKE's Gateway both
    use these, so a domain, a rate or a WAF rule means the same on either platform."""

    def logical(suffix: str) -> str:
        return edge_name(name, suffix)

    address = gcp.compute.GlobalAddress(
        logical("ip"),
        address_type="EXTERNAL",
        ip_version="IPV4",
        # Not the domain: an address's description forces a new address, and its IP is what DNS points at.
        description="The public address of the entry point",
        labels=dict(labels),
        opts=opts,
    )
    policy = gcp.compute.SecurityPolicy(
        logical("armor"),
        type="CLOUD_ARMOR",
        description=f"Throttle, WAF and allow-list for {domain}",
        rules=_armor_rules(armor),
        labels=dict(labels),
        opts=opts,
    )
    certificate = gcp.compute.ManagedSslCertificate(
        logical("cert"),
        type="MANAGED",
        managed=gcp.compute.ManagedSslCertificateManagedArgs(domains=[domain]),
        opts=opts,
    )
    tls_policy = gcp.compute.SSLPolicy(logical("tls"), min_tls_version="TLS_1_2", profile="MODERN", opts=opts)
    record_name = f"{domain}."
    if dns_zone is not None:
        gcp.dns.RecordSet(
            f"{name}-a-record",
            managed_zone=dns_zone,
            name=record_name,
            type="A",
            ttl=DNS_RECORD_TTL_SECONDS,
            rrdatas=[address.address],
            opts=opts,
        )
    return EntryEdge(
        address=address,
        security_policy=policy,
        certificate=certificate,
        tls_policy=tls_policy,
        url=pulumi.Output.from_input(f"https://{domain}"),
        dns_record=address.address.apply(
            lambda ip: {"name": record_name, "type": "A", "ttl": DNS_RECORD_TTL_SECONDS, "rrdatas": [ip]}
        ),
    )


def waf_expression(rule_name: str) -> str:
    """The match expression of a preconfigured WAF rule: CRS 3.3 and 4.22 rules take a sensitivity, the CRS 3.0
    and single-signature rules (cve-canary, json-sqli-canary) are evaluated whole."""
    if "-v" in rule_name:
        return f"evaluatePreconfiguredWaf('{rule_name}', {{'sensitivity': {WAF_SENSITIVITY}}})"
    return f"evaluatePreconfiguredExpr('{rule_name}')"


def _armor_rules(armor: ArmorArgs) -> list[gcp.compute.SecurityPolicyRuleArgs]:
    """WAF rules first (a match is denied 403 and never counted), then the per-IP throttle over the allowed
    ranges (over the rate: 429), then the default: allow, or deny 403 when an allow-list is set."""
    rules = [
        gcp.compute.SecurityPolicyRuleArgs(
            priority=WAF_RULE_FIRST_PRIORITY + index,
            action="deny(403)",
            description=f"preconfigured WAF rule {rule_name}",
            match=gcp.compute.SecurityPolicyRuleMatchArgs(
                expr=gcp.compute.SecurityPolicyRuleMatchExprArgs(expression=waf_expression(rule_name))
            ),
        )
        for index, rule_name in enumerate(armor.preconfigured_rules)
    ]
    rules.append(
        gcp.compute.SecurityPolicyRuleArgs(
            priority=THROTTLE_RULE_PRIORITY,
            action="throttle",
            description=f"at most {armor.requests_per_minute_per_ip} requests a minute per client IP",
            match=_source_ranges(list(armor.allow_cidrs) or [EVERYONE]),
            rate_limit_options=gcp.compute.SecurityPolicyRuleRateLimitOptionsArgs(
                conform_action="allow",
                exceed_action=f"deny({CLOUD_ARMOR_THROTTLE_STATUS})",
                enforce_on_key="IP",
                rate_limit_threshold=gcp.compute.SecurityPolicyRuleRateLimitOptionsRateLimitThresholdArgs(
                    count=armor.requests_per_minute_per_ip, interval_sec=RATE_LIMIT_INTERVAL_SECONDS
                ),
            ),
        )
    )
    rules.append(
        gcp.compute.SecurityPolicyRuleArgs(
            priority=CLOUD_ARMOR_DEFAULT_RULE_PRIORITY,
            action="deny(403)" if armor.allow_cidrs else "allow",
            description="default: " + ("only the allow-list gets in" if armor.allow_cidrs else "allow"),
            match=_source_ranges([EVERYONE]),
        )
    )
    return rules


def _source_ranges(ranges: list[str]) -> gcp.compute.SecurityPolicyRuleMatchArgs:
    return gcp.compute.SecurityPolicyRuleMatchArgs(
        versioned_expr="SRC_IPS_V1",
        config=gcp.compute.SecurityPolicyRuleMatchConfigArgs(src_ip_ranges=ranges),
    )
