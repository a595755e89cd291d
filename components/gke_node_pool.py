"""One GKE node pool, with the node config every pool of ours shares (hardened COS nodes, Workload Identity)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from facts.gcp import GKE_NODE_IMAGE
from facts.kubernetes import GPU_RESOURCE_KEY

GPU_TAINT_VALUE = "present"
GPU_TAINT_EFFECT = "NO_SCHEDULE"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


@dataclass(frozen=True, kw_only=True)
class NodePoolAutoscalingArgs:
    """Bounds of an autoscaled pool, counted across all its zones (so they mean the same zonal or regional)."""

    min_nodes: int
    """Fewest nodes across all zones (0 lets the pool scale to zero)."""
    max_nodes: int
    """Most nodes across all zones."""
    location_policy: str
    """ANY (take capacity wherever it is, for Spot) or BALANCED (spread evenly over the zones)."""


@dataclass(frozen=True, kw_only=True)
class NodePoolGpuArgs:
    """The accelerators on each node; a pool with them is tainted so that only pods asking for a GPU land there."""

    accelerator: str
    """Accelerator type, e.g. nvidia-l4."""
    count: int
    """GPUs per node (fixed by the machine type on G2/A2/A3)."""
    driver_version: str
    """gpu_driver_installation_config.gpu_driver_version: DEFAULT, LATEST, INSTALLATION_DISABLED."""


@dataclass(frozen=True, kw_only=True)
class GkeNodePoolArgs:
    """One node pool of a cluster: fixed-size or autoscaled, with or without GPUs."""

    pool_name: str
    """The pool's name in GKE (`system`, `gpu`); it is also the value of the nodes' `pool` label."""
    cluster_id: pulumi.Input[str]
    """The cluster the pool belongs to."""
    location: str
    """The cluster's location (a zone or a region)."""
    service_account_email: pulumi.Input[str]
    """The nodes' own identity."""
    machine_type: str
    """Machine type of the nodes."""
    labels: Mapping[str, str]
    """Labels for the nodes' Compute Engine resources."""
    node_count: int | None = None
    """A fixed number of nodes per zone; None for an autoscaled pool."""
    autoscaling: NodePoolAutoscalingArgs | None = None
    """Autoscaling bounds; None for a fixed-size pool."""
    node_locations: Sequence[str] | None = None
    """The zones of the nodes; None for the cluster's own zones."""
    gpu: NodePoolGpuArgs | None = None
    """Accelerators per node; None for a CPU-only pool."""
    disk_size_gb: int | None = None
    """Boot disk per node; None for GKE's default."""
    disk_type: str | None = None
    """Boot disk type per node; None for GKE's default."""
    spot: bool | None = None
    """Spot VMs (cheaper, reclaimable at any time); None leaves it to GKE (standard VMs)."""


class GkeNodePool(pulumi.ComponentResource):
    """A node pool with auto-repair and auto-upgrade, shielded COS nodes and the GKE metadata server."""

    node_pool: gcp.container.NodePool
    """The pool itself: what must wait for nodes (the Kubernetes provider) depends on it."""

    def __init__(self, name: str, args: GkeNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:gke_node_pool:GkeNodePool", name, None, opts)
        if (args.node_count is None) == (args.autoscaling is None):
            raise ValueError(f"node pool {args.pool_name!r}: give either node_count or autoscaling, not both or none")
        # The pools were direct children of the cluster component before they had their own; the alias keeps
        # each existing pool (a changed URN alone would mean a delete and a create of every node).
        moved = pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=opts.parent)] if opts and opts.parent else None)
        gpu = args.gpu
        self.node_pool = gcp.container.NodePool(
            name,
            name=args.pool_name,
            cluster=args.cluster_id,
            location=args.location,
            node_count=args.node_count,
            # A regional cluster spreads pools over zones GKE picks; GPU nodes can live only where the
            # accelerator exists, so such a pool names those zones.
            node_locations=list(args.node_locations) if args.node_locations is not None else None,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=args.autoscaling.min_nodes,
                total_max_node_count=args.autoscaling.max_nodes,
                location_policy=args.autoscaling.location_policy,
            )
            if args.autoscaling
            else None,
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=args.machine_type,
                image_type=GKE_NODE_IMAGE,
                disk_size_gb=args.disk_size_gb,
                disk_type=args.disk_type,
                spot=args.spot,
                service_account=args.service_account_email,
                oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
                guest_accelerators=[
                    gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
                        type=gpu.accelerator,
                        count=gpu.count,
                        # Explicit: left out, GKE picks DEFAULT and the provider shows a diff forever.
                        gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                            gpu_driver_version=gpu.driver_version
                        ),
                    )
                ]
                if gpu
                else None,
                taints=[
                    gcp.container.NodePoolNodeConfigTaintArgs(
                        key=GPU_RESOURCE_KEY, value=GPU_TAINT_VALUE, effect=GPU_TAINT_EFFECT
                    )
                ]
                if gpu
                else None,
                resource_labels=dict(args.labels),
                labels={"pool": args.pool_name},
                metadata={"disable-legacy-endpoints": "true"},
            ),
            opts=child_options(self, opts).merge(moved),
        )
        self.register_outputs({"pool_name": self.node_pool.name})
