"""Facts about Google's global external Application Load Balancer, Cloud Armor and Cloud DNS for the entry point."""

from __future__ import annotations

import re

from facts.gcp import RFC1035, NameRule

# cloud.google.com/armor/docs/waf-rules: the preconfigured WAF rule names a security policy's
# evaluatePreconfiguredWaf() accepts, for OWASP CRS 4.22, 3.3 and 3.0 (each stable and canary).
_CRS_422_AND_33_CATEGORIES = (
    "sqli",
    "xss",
    "lfi",
    "rfi",
    "rce",
    "methodenforcement",
    "scannerdetection",
    "protocolattack",
    "php",
    "sessionfixation",
    "java",
    "nodejs",
)
_CRS_30_CATEGORIES = _CRS_422_AND_33_CATEGORIES[:10]
CLOUD_ARMOR_PRECONFIGURED_WAF_RULES = frozenset(
    {
        *(
            f"{category}-{version}-{track}"
            for category in _CRS_422_AND_33_CATEGORIES
            for version in ("v422", "v33")
            for track in ("stable", "canary")
        ),
        *(f"{category}-{track}" for category in _CRS_30_CATEGORIES for track in ("stable", "canary")),
        "cve-canary",
        "json-sqli-canary",
    }
)
CLOUD_ARMOR_WAF_RULES_SOURCE = "https://cloud.google.com/armor/docs/waf-rules (CRS 4.22, 3.3 and 3.0 rule names)"
# cloud.google.com/armor/docs/security-policy-overview: a basic match condition lists at most 10 source ranges.
CLOUD_ARMOR_MAX_SOURCE_RANGES_PER_RULE = 10
# The default rule of every security policy sits at the lowest priority (pulumi_gcp compute.SecurityPolicy rules).
CLOUD_ARMOR_DEFAULT_RULE_PRIORITY = 2147483647
# cloud.google.com/armor/docs/rate-limiting-overview: rate_limit_threshold.interval_sec takes one of these.
CLOUD_ARMOR_RATE_LIMIT_INTERVALS_SECONDS = (10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600)
CLOUD_ARMOR_THROTTLE_STATUS = 429

# cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges and
# cloud.google.com/load-balancing/docs/https#firewall-rules: where Google Front End proxies and health checks
# reach backends of a global external Application Load Balancer from.
LOAD_BALANCER_SOURCE_RANGES = ("130.211.0.0/22", "35.191.0.0/16")

# The Cloud Run ingress that admits only internal traffic and Google Cloud load balancers
# (cloud.google.com/run/docs/securing/ingress): the run.app URL answers 404 from the internet.
CLOUD_RUN_LOAD_BALANCER_INGRESS = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
CLOUD_RUN_OPEN_INGRESS = "INGRESS_TRAFFIC_ALL"

# A fully qualified host name (RFC 1123 labels, at most 253 characters, a letter in the top-level label);
# Google-managed certificates take no wildcard
# (cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs).
DNS_NAME_MAX = 253
DNS_NAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# cloud.google.com/dns/docs/reference/rest/v1/managedZones: name 1-63 lowercase letters, digits, dashes, from a letter.
CLOUD_DNS_ZONE_NAME = NameRule(
    63, RFC1035, "cloud.google.com/dns/docs/reference/rest/v1/managedZones: 1-63 [a-z0-9-], from a letter"
)
# cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs: a certificate with at most 100 domains.
MANAGED_CERTIFICATE_MAX_DOMAINS = 100

# The headers the backend service adds to every response (cloud.google.com/load-balancing/docs/https/custom-headers):
# HSTS for a year (the preload list's minimum), no MIME sniffing, no referrer sent from an API.
HSTS_HEADER = "Strict-Transport-Security"
SECURITY_RESPONSE_HEADERS = (
    f"{HSTS_HEADER}: max-age=31536000; includeSubDomains",
    "X-Content-Type-Options: nosniff",
    "Referrer-Policy: no-referrer",
)

# GKE's Gateway API (cloud.google.com/kubernetes-engine/docs/concepts/gateway-api): the channel the cluster's
# gateway_api_config installs the standard Gateway API CRDs and GKE's policy CRDs with, and the GatewayClass of a
# global external Application Load Balancer (the same load balancer Cloud Run's entry point builds by hand).
GATEWAY_API_CHANNEL = "CHANNEL_STANDARD"
GATEWAY_CLASS = "gke-l7-global-external-managed"
# cloud.google.com/kubernetes-engine/docs/concepts/gateway-api#gatewayclass: the GatewayClasses whose load balancer
# faces the internet.
EXTERNAL_GATEWAY_CLASSES = frozenset(
    {
        "gke-l7-global-external-managed",
        "gke-l7-regional-external-managed",
        "gke-l7-gxlb",
        "gke-l7-global-external-managed-mc",
    }
)
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
GATEWAY_API_VERSION = f"{GATEWAY_API_GROUP}/v1"
GKE_NETWORKING_API_VERSION = "networking.gke.io/v1"
# cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway: a listener's TLS option naming Compute Engine SSL
# certificates (Google-managed ones included) that already exist in the project.
PRE_SHARED_CERTS_OPTION = "networking.gke.io/pre-shared-certs"
# The Gateway annotation naming a Certificate Manager certificate map (the other way GKE gives a listener a
# certificate besides tls.certificateRefs and pre-shared certificates).
CERTIFICATE_MAP_ANNOTATION = "networking.gke.io/certmap"
# GCPBackendPolicy logging.sampleRate is a fraction in millionths (0 to 1,000,000): all requests.
BACKEND_LOG_ALL_REQUESTS = 1_000_000
