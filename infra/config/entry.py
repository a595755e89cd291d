"""The entry point section: the public load balancer (Cloud Run) or Gateway (GKE), with Cloud Armor."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_kubernetes as kubernetes
from pydantic import Field, field_validator

from components.entry import ArmorArgs, EntryPointArgs
from components.gateway import GatewayEntryPointArgs
from facts import entry as entry_facts
from infra.config.scope import KUBERNETES_APP_NAME, Section, StackScope


class ArmorSettings(Section):
    """The Cloud Armor security policy in front of the entry point."""

    requests_per_minute_per_ip: int = Field(default=600, gt=0)
    """Requests a minute one client IP may send; beyond it the load balancer answers 429."""
    preconfigured_rules: list[str] = Field(default_factory=list)
    """Preconfigured WAF rules (e.g. sqli-v33-stable), each denying what it matches with 403."""
    allow_cidrs: list[str] = Field(default_factory=list)
    """Only these client ranges may reach the entry point; empty: everyone."""

    @field_validator("preconfigured_rules")
    @classmethod
    def _known_waf_rules(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in entry_facts.CLOUD_ARMOR_PRECONFIGURED_WAF_RULES]
        if unknown:
            raise ValueError(
                f"unknown preconfigured WAF rule(s) {', '.join(unknown)}: names like sqli-v33-stable or "
                f"xss-v422-canary ({entry_facts.CLOUD_ARMOR_WAF_RULES_SOURCE})"
            )
        if len(set(value)) != len(value):
            raise ValueError("each rule at most once")
        return value

    @field_validator("allow_cidrs")
    @classmethod
    def _are_networks(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=True)
        limit = entry_facts.CLOUD_ARMOR_MAX_SOURCE_RANGES_PER_RULE
        if len(value) > limit:
            raise ValueError(f"{len(value)} ranges; one Cloud Armor rule matches at most {limit}")
        return value

    def args(self) -> ArmorArgs:
        return ArmorArgs(
            requests_per_minute_per_ip=self.requests_per_minute_per_ip,
            preconfigured_rules=self.preconfigured_rules,
            allow_cidrs=self.allow_cidrs,
        )


class EntrySettings(Section):
    """A public entry point: a global external Application Load Balancer for `domain`, with a Google-managed
    certificate, Cloud Armor and security response headers. Needs service.public: true."""

    domain: str
    """The host name clients use (e.g. api.example.com); the managed certificate is issued for it."""
    dns_zone: str | None = None
    """A Cloud DNS managed zone (its name) to create the A record in; null: create the record yourself."""
    armor: ArmorSettings = ArmorSettings()

    @field_validator("domain")
    @classmethod
    def _is_a_dns_name(cls, value: str) -> str:
        if not entry_facts.DNS_NAME.match(value):
            raise ValueError(
                "not a DNS name: lowercase labels of letters, digits and hyphens joined by dots, like "
                f"api.example.com, at most {entry_facts.DNS_NAME_MAX} characters (no wildcard, no trailing dot)"
            )
        return value

    @field_validator("dns_zone")
    @classmethod
    def _is_a_zone_name(cls, value: str | None) -> str | None:
        if value is not None and not entry_facts.CLOUD_DNS_ZONE_NAME.accepts(value):
            raise ValueError(f"not a Cloud DNS managed zone name ({entry_facts.CLOUD_DNS_ZONE_NAME.source})")
        return value

    def args(self, stack: StackScope, *, cloud_run_service: pulumi.Input[str]) -> EntryPointArgs:
        """The load balancer for `domain` in front of the Cloud Run service named `cloud_run_service`."""
        return EntryPointArgs(
            region=stack.region,
            cloud_run_service=cloud_run_service,
            domain=self.domain,
            dns_zone=self.dns_zone,
            armor=self.armor.args(),
            labels=stack.labels,
        )

    def gateway_args(
        self,
        stack: StackScope,
        *,
        provider: kubernetes.Provider,
        namespace: pulumi.Input[str],
        service: pulumi.Resource,
        service_port: int,
    ) -> GatewayEntryPointArgs:
        """The Gateway for `domain` in front of the app's Service on GKE (the same address, certificate and Cloud
        Armor policy as on Cloud Run)."""
        return GatewayEntryPointArgs(
            provider=provider,
            namespace=namespace,
            service=service,
            service_name=KUBERNETES_APP_NAME,
            service_port=service_port,
            domain=self.domain,
            dns_zone=self.dns_zone,
            armor=self.armor.args(),
            labels=stack.labels,
        )
