"""The Network component alone: a custom-mode VPC, its subnet, private services access and optional Cloud NAT."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.network import Network, NetworkArgs
from facts import types
from infra.offline import run_program
from plan import Plan

VPC = types.VPC_NETWORK
SUBNET = types.SUBNETWORK
RANGE = types.GLOBAL_ADDRESS
CONNECTION = types.SERVICE_NETWORKING_CONNECTION
ROUTER = types.ROUTER
NAT = types.ROUTER_NAT
LABELS = {"team": "ml-platform", "environment": "dev"}


def network_args(**choices: Any) -> NetworkArgs:
    """The private services range the config defaults to; `choices` give or override the other fields."""
    fields: dict[str, Any] = {"private_services_address": "10.40.0.0", "private_services_prefix_length": 20, **choices}
    return NetworkArgs(**fields)


def plan_network(args: NetworkArgs) -> Plan:
    def program() -> None:
        network = Network("net", args)
        pulumi.export("network_id", network.network_id)
        pulumi.export("subnet_id", network.subnet_id)

    return run_program(program)


def test_vpc_creates_no_subnets_of_its_own() -> None:
    plan = plan_network(network_args(region="us-central1", subnet_cidr="10.10.0.0/20", labels=LABELS))

    vpc = plan.one(VPC)
    assert vpc.inputs["autoCreateSubnetworks"] is False
    assert vpc.name == "net-vpc"


def test_subnet_has_private_google_access_in_the_given_region_and_range() -> None:
    plan = plan_network(network_args(region="europe-west4", subnet_cidr="10.40.0.0/24", labels=LABELS))

    subnet = plan.one(SUBNET)
    assert subnet.inputs["privateIpGoogleAccess"] is True
    assert subnet.inputs["region"] == "europe-west4"
    assert subnet.inputs["ipCidrRange"] == "10.40.0.0/24"
    assert subnet.inputs["network"] == plan.outputs["network_id"]


def test_subnet_has_no_secondary_ranges_unless_asked() -> None:
    plan = plan_network(network_args(region="us-central1", subnet_cidr="10.10.0.0/20", labels=LABELS))

    assert plan.one(SUBNET).inputs.get("secondaryIpRanges", []) == []


def test_subnet_carries_the_named_secondary_ranges_asked_for() -> None:
    plan = plan_network(
        network_args(
            region="us-central1",
            subnet_cidr="10.10.0.0/20",
            secondary_ranges={"pods": "10.20.0.0/16", "services": "10.30.0.0/20"},
            labels=LABELS,
        )
    )

    ranges = {item["rangeName"]: item["ipCidrRange"] for item in plan.one(SUBNET).inputs["secondaryIpRanges"]}
    assert ranges == {"pods": "10.20.0.0/16", "services": "10.30.0.0/20"}


def test_private_services_range_is_an_internal_peering_range_of_the_requested_size_with_labels() -> None:
    plan = plan_network(
        network_args(region="us-central1", subnet_cidr="10.10.0.0/20", private_services_prefix_length=16, labels=LABELS)
    )

    reserved = plan.one(RANGE)
    assert reserved.inputs["purpose"] == "VPC_PEERING"
    assert reserved.inputs["addressType"] == "INTERNAL"
    assert reserved.inputs["prefixLength"] == 16
    assert reserved.inputs["network"] == plan.outputs["network_id"]
    assert reserved.inputs["labels"] == LABELS


def test_private_services_connection_peers_the_reserved_range() -> None:
    plan = plan_network(network_args(region="us-central1", subnet_cidr="10.10.0.0/20", labels=LABELS))

    connection = plan.one(CONNECTION)
    reserved = plan.one(RANGE)
    assert connection.inputs["service"] == "servicenetworking.googleapis.com"
    assert connection.inputs["reservedPeeringRanges"] == [reserved.name]
    assert reserved.urn in connection.dependencies


def test_destroying_the_connection_removes_the_peering_so_the_network_can_be_deleted() -> None:
    plan = plan_network(network_args(region="us-central1", subnet_cidr="10.10.0.0/20", labels=LABELS))

    # ABANDON would leave the peering in place, and the peering blocks deleting the VPC.
    assert plan.one(CONNECTION).inputs["deletionPolicy"] == "REMOVE_PEERING"


def test_private_services_range_is_a_fixed_range_not_left_to_googles_allocator() -> None:
    plan = plan_network(
        network_args(
            region="us-central1",
            subnet_cidr="10.10.0.0/20",
            private_services_address="10.50.0.0",
            private_services_prefix_length=20,
            labels=LABELS,
        )
    )

    reserved = plan.one(RANGE).inputs
    assert (reserved["address"], reserved["prefixLength"]) == ("10.50.0.0", 20)


def test_exposes_the_private_services_connection_that_private_ip_resources_wait_for() -> None:
    def program() -> None:
        network = Network("net", network_args(region="us-central1", subnet_cidr="10.10.0.0/20", labels=LABELS))
        gcp.compute.GlobalAddress(
            "consumer",
            network=network.network_id,
            opts=pulumi.ResourceOptions(depends_on=[network.private_services_connection]),
        )

    plan = run_program(program)

    consumer = next(resource for resource in plan.of_type(RANGE) if resource.name == "consumer")
    assert plan.one(CONNECTION).urn in consumer.dependencies


def test_cloud_nat_is_off_by_default() -> None:
    plan = plan_network(network_args(region="us-central1", subnet_cidr="10.10.0.0/20", labels=LABELS))

    assert plan.of_type(ROUTER) == []
    assert plan.of_type(NAT) == []


def test_cloud_nat_gives_the_subnet_egress_through_a_router_in_its_region() -> None:
    plan = plan_network(network_args(region="us-east4", subnet_cidr="10.10.0.0/20", cloud_nat=True, labels=LABELS))

    router = plan.one(ROUTER)
    nat = plan.one(NAT)
    assert router.inputs["region"] == nat.inputs["region"] == "us-east4"
    assert nat.inputs["router"] == router.name
    assert nat.inputs["natIpAllocateOption"] == "AUTO_ONLY"
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert [subnet["name"] for subnet in nat.inputs["subnetworks"]] == [plan.outputs["subnet_id"]]


def test_every_child_waits_for_what_the_network_depends_on() -> None:
    def program() -> None:
        api = gcp.projects.Service("compute-api", service="compute.googleapis.com")
        Network(
            "net",
            network_args(region="us-central1", subnet_cidr="10.10.0.0/20", cloud_nat=True, labels=LABELS),
            opts=pulumi.ResourceOptions(depends_on=[api]),
        )

    plan = run_program(program)

    api_urn = plan.one("gcp:projects/service:Service").urn
    children = plan.children_of(plan.one("inference:network:Network"))
    assert {child.type for child in children} == {VPC, SUBNET, RANGE, CONNECTION, ROUTER, NAT}
    assert [child.name for child in children if api_urn not in child.dependencies] == []
