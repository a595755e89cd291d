"""What a private-IP data component needs around it in a test program: the VPC, its private services connection,
and optionally the API it waits for."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

NETWORK_ID = "projects/p/global/networks/vpc"


def private_services_connection() -> gcp.servicenetworking.Connection:
    return gcp.servicenetworking.Connection(
        "private-services",
        network=NETWORK_ID,
        service="servicenetworking.googleapis.com",
        reserved_peering_ranges=["private-services-range"],
    )


def after_api(name: str, service: str) -> pulumi.ResourceOptions:
    """Options that make a component wait for an enabled API, as the stack's components wait for theirs."""
    return pulumi.ResourceOptions(depends_on=[gcp.projects.Service(name, service=service)])
