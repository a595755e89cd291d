"""The VPC every other component attaches to: a subnet, private services access and optional Cloud NAT."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from components.naming import fit_name
from facts.gcp import COMPUTE_NAME


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """A custom-mode VPC with one subnet, private services access and optional Cloud NAT."""

    region: str
    """Region of the subnet and the Cloud NAT router."""
    subnet_cidr: str
    """Primary range of the subnet (Cloud Run's Direct VPC egress needs a /26 or larger)."""
    labels: Mapping[str, str]
    """Labels for every child that takes labels."""
    secondary_ranges: Mapping[str, str] = field(default_factory=dict)
    """Named secondary ranges (GKE pods and services); none by default."""
    private_services_address: str
    """First address of the range reserved for Google's managed services (Cloud SQL, Memorystore). Fixed, not left
    to Google's allocator, so that the config can prove it overlaps neither the subnet nor the GKE ranges."""
    private_services_prefix_length: int
    """Size of the range reserved for Google's managed services."""
    cloud_nat: bool = False
    """Give instances without external IPs internet egress through Cloud NAT."""


class Network(pulumi.ComponentResource):
    """A custom-mode VPC with Private Google Access and a private services access connection."""

    network_id: pulumi.Output[str]
    network_self_link: pulumi.Output[str]
    subnet_id: pulumi.Output[str]
    subnet_self_link: pulumi.Output[str]
    private_services_connection: gcp.servicenetworking.Connection
    """Resources with a private IP (Cloud SQL, Memorystore) must depend on it explicitly."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:network:Network", name, None, opts)
        child = child_options(self, opts)

        network = gcp.compute.Network(
            fit_name(f"{name}-vpc", COMPUTE_NAME, autonamed=True),
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            description="Inference service network",
            opts=child,
        )
        subnet = gcp.compute.Subnetwork(
            fit_name(f"{name}-subnet", COMPUTE_NAME, autonamed=True),
            network=network.id,
            region=args.region,
            ip_cidr_range=args.subnet_cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=range_name, ip_cidr_range=cidr)
                for range_name, cidr in args.secondary_ranges.items()
            ],
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_10_MIN", flow_sampling=0.5, metadata="INCLUDE_ALL_METADATA"
            ),
            opts=child,
        )
        private_services_range = gcp.compute.GlobalAddress(
            fit_name(f"{name}-private-services", COMPUTE_NAME, autonamed=True),
            network=network.id,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=args.private_services_address,
            prefix_length=args.private_services_prefix_length,
            labels=dict(args.labels),
            opts=child,
        )
        self.private_services_connection = gcp.servicenetworking.Connection(
            f"{name}-private-services",
            network=network.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[private_services_range.name],
            # Cloud SQL and Memorystore keep the connection busy for a while after they are deleted, so a plain
            # delete fails ("producer services still using this connection"). ABANDON would leave the VPC peering
            # behind, which then blocks deleting the network; REMOVE_PEERING removes the peering in that case, so
            # the network goes too.
            deletion_policy="REMOVE_PEERING",
            opts=child,
        )
        if args.cloud_nat:
            router = gcp.compute.Router(
                fit_name(f"{name}-router", COMPUTE_NAME, autonamed=True),
                network=network.id,
                region=args.region,
                opts=child,
            )
            gcp.compute.RouterNat(
                fit_name(f"{name}-nat", COMPUTE_NAME, autonamed=True),
                router=router.name,
                region=args.region,
                nat_ip_allocate_option="AUTO_ONLY",
                source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
                subnetworks=[
                    gcp.compute.RouterNatSubnetworkArgs(name=subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"])
                ],
                log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
                opts=child,
            )

        self.network_id = network.id
        self.network_self_link = network.self_link
        self.subnet_id = subnet.id
        self.subnet_self_link = subnet.self_link
        self.register_outputs(
            {
                "network_id": self.network_id,
                "network_self_link": self.network_self_link,
                "subnet_id": self.subnet_id,
                "subnet_self_link": self.subnet_self_link,
                "private_services_connection": self.private_services_connection.id,
            }
        )
