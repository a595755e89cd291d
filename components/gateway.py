"""The public entry point on GKE: a Gateway of class gke-l7-global-external-managed, so GKE's Gateway controller
builds the same global external Application Load Balancer that components/entry.py builds for Cloud Run.

Pulumi owns what the load balancer is given (the reserved address, the Cloud Armor policy, the Google-managed
certificate and the TLS policy, from `entry_edge`, shared with Cloud Run); the Gateway controller owns the
forwarding rules, proxies, URL maps, backend service, health check and NEGs it derives from these objects:
- a Gateway with an HTTPS listener for the domain on the reserved address, and an HTTP listener;
- an HTTPRoute from the HTTPS listener to the app's Service, adding the security response headers;
- an HTTPRoute on the HTTP listener that only redirects to HTTPS (301);
- a HealthCheckPolicy: the load balancer checks the app's readiness path on the serving port;
- a GCPBackendPolicy: the Cloud Armor policy and request logging on the backend service;
- a GCPGatewayPolicy: the TLS policy on the HTTPS proxy.

The certificate is a pre-shared Compute Engine Google-managed certificate rather than Certificate Manager's: it is
the very resource Cloud Run's entry point uses (one certificate type, one lifecycle record, free, no extra API),
and like a Certificate Manager certificate with load-balancer authorization it turns ACTIVE once the domain's A
record points at the address. Certificate Manager would add value only with DNS authorization (a certificate
before the cutover) or beyond 15 certificates per proxy, neither of which one domain needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from components._options import child_options
from components.entry import ArmorArgs, entry_edge
from facts.app import READINESS_PATH
from facts.entry import (
    BACKEND_LOG_ALL_REQUESTS,
    GATEWAY_API_GROUP,
    GATEWAY_API_VERSION,
    GATEWAY_CLASS,
    GKE_NETWORKING_API_VERSION,
    PRE_SHARED_CERTS_OPTION,
    SECURITY_RESPONSE_HEADERS,
)

HTTPS_LISTENER = "https"
HTTP_LISTENER = "http"
HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTH_CHECK_TIMEOUT_SECONDS = 5
HEALTHY_THRESHOLD = 1
UNHEALTHY_THRESHOLD = 3
# Long enough for one embedding batch on a cold GPU; the backend service's default is 30 s.
BACKEND_TIMEOUT_SECONDS = 60


@dataclass(frozen=True, kw_only=True)
class GatewayEntryPointArgs:
    """A GKE Gateway for `domain` in front of the app's Service, with the same address, certificate, Cloud Armor
    policy and response headers as the Cloud Run entry point."""

    provider: kubernetes.Provider
    """The cluster's Kubernetes provider; the cluster must run the Gateway API (GkeClusterArgs.gateway_api)."""
    namespace: pulumi.Input[str]
    """The namespace of the app's Service; the Gateway, routes and policies live beside it."""
    service: pulumi.Resource
    """The app's Service (ClusterIP): the routes and policies name it, so they wait for it."""
    service_name: str
    """The Service's metadata.name."""
    service_port: int
    """The port the Service serves the app on."""
    domain: str
    """The host name the HTTPS listener serves and the Google-managed certificate is issued for."""
    armor: ArmorArgs
    """The Cloud Armor policy the GCPBackendPolicy attaches to the Service's backend."""
    dns_zone: str | None = None
    """A Cloud DNS managed zone to create the A record in; None: the caller creates it (see `dns_record`)."""
    response_headers: Sequence[str] = field(default=SECURITY_RESPONSE_HEADERS)
    """`Header: value` lines added to every response (the HTTPRoute's ResponseHeaderModifier)."""
    labels: Mapping[str, str]
    """Labels for every Kubernetes object and every Google resource that takes labels."""
    gateway_name: str = "embeddings"
    """metadata.name of the Gateway, the routes and the policies."""


class GatewayEntryPoint(pulumi.ComponentResource):
    """The way in from the internet on GKE: HTTPS for `domain` through a Gateway, throttled and filtered by
    Cloud Armor."""

    url: pulumi.Output[str]
    ip_address: pulumi.Output[str]
    dns_record: pulumi.Output[dict[str, object]]
    """The A record that makes `domain` resolve to the address (created in `dns_zone` when one is given)."""
    security_policy_id: pulumi.Output[str]

    def __init__(self, name: str, args: GatewayEntryPointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:gateway:GatewayEntryPoint", name, None, opts)
        child = child_options(self, opts)
        labels = dict(args.labels)
        edge = entry_edge(name, args.domain, args.armor, args.dns_zone, labels, child)
        # GKE's controller attaches the address, certificate, SSL policy and Cloud Armor policy to load balancer
        # pieces it owns, and detaches them only while it tears the load balancer down, which a Gateway's delete
        # waits for (its finalizer). So the Gateway depends on all four, and the routes and policies on the
        # Gateway: a destroy deletes them, then the Gateway, and only then what Google refuses to delete while
        # a proxy or backend service still uses it (resourceInUseByAnotherResource).
        gateway_options = child.merge(
            pulumi.ResourceOptions(
                provider=args.provider,
                depends_on=[args.service, edge.address, edge.certificate, edge.tls_policy, edge.security_policy],
            )
        )

        def metadata(object_name: str) -> dict[str, Any]:
            return {"name": object_name, "namespace": args.namespace, "labels": labels}

        def custom_resource(
            suffix: str, api_version: str, kind: str, object_name: str, spec: Any, opts: pulumi.ResourceOptions
        ) -> kubernetes.apiextensions.CustomResource:
            return kubernetes.apiextensions.CustomResource(
                f"{name}-{suffix}",
                api_version=api_version,
                kind=kind,
                metadata=metadata(object_name),
                spec=spec,
                opts=opts,
            )

        same_namespace = {"namespaces": {"from": "Same"}}
        gateway = custom_resource(
            "gateway",
            GATEWAY_API_VERSION,
            "Gateway",
            args.gateway_name,
            {
                "gatewayClassName": GATEWAY_CLASS,
                "addresses": [{"type": "NamedAddress", "value": edge.address.name}],
                "listeners": [
                    {
                        "name": HTTPS_LISTENER,
                        "protocol": "HTTPS",
                        "port": 443,
                        "hostname": args.domain,
                        "tls": {"mode": "Terminate", "options": {PRE_SHARED_CERTS_OPTION: edge.certificate.name}},
                        "allowedRoutes": same_namespace,
                    },
                    {"name": HTTP_LISTENER, "protocol": "HTTP", "port": 80, "allowedRoutes": same_namespace},
                ],
            },
            gateway_options,
        )
        on_the_gateway = child.merge(pulumi.ResourceOptions(provider=args.provider, depends_on=[args.service, gateway]))

        def listener(section: str) -> dict[str, str]:
            return {"group": GATEWAY_API_GROUP, "kind": "Gateway", "name": args.gateway_name, "sectionName": section}

        service_ref = {"group": "", "kind": "Service", "name": args.service_name}
        custom_resource(
            "route",
            GATEWAY_API_VERSION,
            "HTTPRoute",
            args.gateway_name,
            {
                "parentRefs": [listener(HTTPS_LISTENER)],
                "hostnames": [args.domain],
                "rules": [
                    {
                        "filters": [
                            {
                                "type": "ResponseHeaderModifier",
                                "responseHeaderModifier": {"set": _header_values(args.response_headers)},
                            }
                        ],
                        "backendRefs": [{**service_ref, "port": args.service_port}],
                    }
                ],
            },
            on_the_gateway,
        )
        custom_resource(
            "redirect-route",
            GATEWAY_API_VERSION,
            "HTTPRoute",
            f"{args.gateway_name}-https-redirect",
            {
                "parentRefs": [listener(HTTP_LISTENER)],
                "rules": [
                    {
                        "filters": [
                            {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
                        ]
                    }
                ],
            },
            on_the_gateway,
        )
        custom_resource(
            "health-check",
            GKE_NETWORKING_API_VERSION,
            "HealthCheckPolicy",
            args.gateway_name,
            {
                "default": {
                    "checkIntervalSec": HEALTH_CHECK_INTERVAL_SECONDS,
                    "timeoutSec": HEALTH_CHECK_TIMEOUT_SECONDS,
                    "healthyThreshold": HEALTHY_THRESHOLD,
                    "unhealthyThreshold": UNHEALTHY_THRESHOLD,
                    "config": {
                        "type": "HTTP",
                        "httpHealthCheck": {"portSpecification": "USE_SERVING_PORT", "requestPath": READINESS_PATH},
                    },
                },
                "targetRef": service_ref,
            },
            on_the_gateway,
        )
        custom_resource(
            "backend-policy",
            GKE_NETWORKING_API_VERSION,
            "GCPBackendPolicy",
            args.gateway_name,
            {
                "default": {
                    "securityPolicy": edge.security_policy.name,
                    "logging": {"enabled": True, "sampleRate": BACKEND_LOG_ALL_REQUESTS},
                    "timeoutSec": BACKEND_TIMEOUT_SECONDS,
                },
                "targetRef": service_ref,
            },
            on_the_gateway,
        )
        custom_resource(
            "gateway-policy",
            GKE_NETWORKING_API_VERSION,
            "GCPGatewayPolicy",
            args.gateway_name,
            {
                "default": {"sslPolicy": edge.tls_policy.name},
                "targetRef": {"group": GATEWAY_API_GROUP, "kind": "Gateway", "name": args.gateway_name},
            },
            on_the_gateway,
        )

        self.url = edge.url
        self.ip_address = edge.address.address
        self.dns_record = edge.dns_record
        self.security_policy_id = edge.security_policy.id
        self.register_outputs(edge.outputs())


def _header_values(lines: Sequence[str]) -> list[dict[str, str]]:
    """`Name: value` lines as the Gateway API's header list."""
    headers = []
    for line in lines:
        header_name, separator, value = line.partition(":")
        if not separator or not header_name.strip():
            raise ValueError(f"a response header is `Name: value`, got {line!r}")
        headers.append({"name": header_name.strip(), "value": value.strip()})
    return headers
