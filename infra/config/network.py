"""The network section: the VPC, its subnet and secondary ranges, and the private services range."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from components.network import NetworkArgs
from infra.config.scope import GKE_PODS_RANGE, GKE_SERVICES_RANGE, Section, StackScope


class NetworkSettings(Section):
    """The VPC the service, Redis and the database share."""

    subnet_cidr: str = "10.10.0.0/20"
    pods_cidr: str = "10.20.0.0/16"
    """GKE only: the subnet's secondary range for pods."""
    services_cidr: str = "10.30.0.0/20"
    """GKE only: the subnet's secondary range for services."""
    private_services_address: str = "10.40.0.0"
    """First address of the range reserved for private services access (Cloud SQL, Memorystore)."""
    private_services_prefix_length: int = Field(default=20, ge=8, le=24)
    """Size of that range."""
    cloud_nat: bool = False
    """Give private workloads internet egress through Cloud NAT (always on for GKE's private nodes)."""

    @field_validator("subnet_cidr", "pods_cidr", "services_cidr")
    @classmethod
    def _is_a_private_network(cls, value: str) -> str:
        network = ipaddress.ip_network(value, strict=True)
        if not network.is_private:
            raise ValueError(f"{value} is not a private (RFC 1918) range")
        return value

    @field_validator("private_services_address")
    @classmethod
    def _is_a_private_address(cls, value: str) -> str:
        address = ipaddress.ip_address(value)
        if address.version != 4 or not address.is_private:
            raise ValueError(f"{value} is not a private (RFC 1918) IPv4 address")
        return value

    @property
    def private_services_range(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The reserved range as a network (the rules check that the address starts a range of that size)."""
        return ipaddress.ip_network(
            f"{self.private_services_address}/{self.private_services_prefix_length}", strict=False
        )

    def args(self, stack: StackScope) -> NetworkArgs:
        """The VPC; on GKE with the pods' and services' secondary ranges and Cloud NAT for the private nodes."""
        gke = stack.platform == "gke"
        return NetworkArgs(
            region=stack.region,
            subnet_cidr=self.subnet_cidr,
            secondary_ranges={GKE_PODS_RANGE: self.pods_cidr, GKE_SERVICES_RANGE: self.services_cidr} if gke else {},
            private_services_address=self.private_services_address,
            private_services_prefix_length=self.private_services_prefix_length,
            cloud_nat=self.cloud_nat or gke,
            labels=stack.labels,
        )
