"""The inference service on GKE: one GPU per pod, restricted pods, an entry point, autoscaling and network policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as kubernetes

from components._options import child_options
from components.app_runtime import STARTUP_FAILURE_THRESHOLD, STARTUP_PERIOD_SECONDS, AppRuntime
from components.gke import GPU_TOLERATION_EFFECT
from components.gke_node_pool import GPU_TAINT_VALUE
from components.pod_network import cidr_peers, deny_all, google_api_egress, kube_dns_egress, scratch_volume, tcp
from components.runtime_identity import RuntimeIdentityArgs, runtime_identity
from facts.app import APP_UID, LIVENESS_PATH, METRICS_PATH, QUEUE_DEPTH_METRIC, READINESS_PATH
from facts.entry import LOAD_BALANCER_SOURCE_RANGES
from facts.kubernetes import GKE_ACCELERATOR_NODE_LABEL, GPU_RESOURCE_KEY
from facts.quantities import cpu_quantity

APP_LABEL = "app.kubernetes.io/name"
SCRATCH_PATH = "/tmp"  # noqa: S108 - the app's only writable path, an emptyDir of its own
SCRATCH_SIZE = "1Gi"
SERVICE_PORT = 80
ANYWHERE = "0.0.0.0/0"
# A GPU node scales up from zero and pulls a multi-gigabyte CUDA image before the pod is ready.
ROLLOUT_TIMEOUT = "30m"
SECRET_VERSIONS_ANNOTATION = "inference/secret-versions"  # noqa: S105 - version numbers, not a secret
INTERNAL_LOAD_BALANCER = {"networking.gke.io/load-balancer-type": "Internal"}
SECRETS_AS_ENV_SKIP = (
    "CKV_K8S_35=The app reads its settings from the environment under the same names as on Cloud Run; "
    "the values come from a Kubernetes Secret, never from the manifest"
)


@dataclass(frozen=True, kw_only=True)
class KubernetesWorkloadArgs:
    """The app on a GKE cluster: one GPU per pod, autoscaled on its queue depth."""

    provider: kubernetes.Provider
    """The cluster's Kubernetes provider (GkeCluster.provider)."""
    cluster: pulumi.Resource
    """The cluster (GkeCluster.cluster): its Workload Identity pool exists only once a WI cluster does, so the
    binding of the pod's Kubernetes service account waits for it."""
    workload_pool: str
    """The cluster's Workload Identity pool (`<project>.svc.id.goog`)."""
    runtime: AppRuntime
    """Image, environment, secrets and port of the app container."""
    cpu: float
    """vCPU the pod requests and is limited to."""
    memory: str
    """Memory the pod requests and is limited to (Mi/Gi)."""
    gpu_type: str
    """Accelerator of the GPU pool (the pod's node selector); one GPU per pod."""
    min_replicas: int
    """Fewest pods the autoscaler keeps."""
    max_replicas: int
    """Most pods the autoscaler runs (the GPU pool must have a node for each)."""
    max_surge: int
    """Extra pods a rollout may start (each needs a spare GPU: 0 when max_replicas uses every GPU of the pool)."""
    max_unavailable: int
    """Pods a rollout may take down before their replacements are ready (1 when it cannot surge)."""
    target_queue_depth: int
    """Inputs waiting for the model per pod the autoscaler aims for (the app's queue-depth gauge)."""
    scrape_interval: str = "30s"
    """How often Managed Prometheus scrapes each pod's /metrics (the autoscaler's signal is no fresher)."""
    public: bool
    """An external load balancer open to anyone; otherwise an internal one reachable from `internal_client_cidrs`."""
    behind_gateway: bool = False
    """The public way in is a Gateway (components/gateway.py): the Service stays ClusterIP, and the pods admit only
    the Google load balancer's proxies and health checks, never the internet directly."""
    internal_client_cidrs: Sequence[str]
    """Who may call an internal entry point (the VPC's ranges)."""
    redis_host: pulumi.Input[str]
    """The Redis private IP the pods may reach."""
    redis_port: pulumi.Input[int]
    """The Redis port (TLS)."""
    database_host: pulumi.Input[str]
    """The database private IP the pods may reach."""
    database_port: int
    """The PostgreSQL port."""
    labels: Mapping[str, str]
    """Labels for every Kubernetes object and every Google resource that takes labels."""
    namespace: str = "inference"
    """The namespace everything lives in (never `default`)."""
    app_name: str = "embeddings"
    """Name of the Deployment, Service, autoscaler and service account."""

    def __post_init__(self) -> None:
        if self.max_surge < 0 or self.max_unavailable < 0 or self.max_surge + self.max_unavailable == 0:
            raise ValueError("a rollout needs max_surge or max_unavailable above 0 (Kubernetes refuses both 0)")


def restricted_pod_security(uid: int) -> kubernetes.core.v1.PodSecurityContextArgs:
    """The restricted Pod Security Standard for a pod: every process non-root as `uid`, volumes owned by its group,
    the runtime's default seccomp profile."""
    return kubernetes.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=uid,
        run_as_group=uid,
        fs_group=uid,
        seccomp_profile=kubernetes.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def restricted_container_security(uid: int) -> kubernetes.core.v1.SecurityContextArgs:
    """The restricted Pod Security Standard for one container: non-root as `uid`, a read-only root filesystem,
    no privilege escalation, no capabilities, the runtime's default seccomp profile."""
    return kubernetes.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        run_as_user=uid,
        run_as_group=uid,
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=True,
        capabilities=kubernetes.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=kubernetes.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account"
"""The annotation on a Kubernetes service account that names the Google account its pods act as."""


def workload_identity_binding(
    name: str,
    google_account: gcp.serviceaccount.Account,
    workload_pool: str,
    namespace: str,
    kubernetes_account: str,
    opts: pulumi.ResourceOptions,
) -> gcp.serviceaccount.IAMMember:
    """Lets the Kubernetes service account `namespace/kubernetes_account` act as `google_account` (Workload
    Identity); `opts` should wait for the cluster, whose pool exists only once the cluster does."""
    return gcp.serviceaccount.IAMMember(
        name,
        service_account_id=google_account.name,
        role="roles/iam.workloadIdentityUser",
        member=f"serviceAccount:{workload_pool}[{namespace}/{kubernetes_account}]",
        opts=opts,
    )


class KubernetesWorkload(pulumi.ComponentResource):
    """A namespace with the inference Deployment, its Service, autoscaler, disruption budget and network policies."""

    namespace: pulumi.Output[str]
    service_name: pulumi.Output[str]
    service: kubernetes.core.v1.Service
    """The Service in front of the pods: a Gateway's HTTPRoute and policies name it, so they wait for it."""
    service_port: int
    """The port the Service serves the app on."""
    service_account_email: pulumi.Output[str]
    """The Google identity the pods act as (through Workload Identity)."""

    def __init__(self, name: str, args: KubernetesWorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:workload:KubernetesWorkload", name, None, opts)
        child = child_options(self, opts)
        in_cluster = child.merge(pulumi.ResourceOptions(provider=args.provider))
        selector = {APP_LABEL: args.app_name}
        labels = {**args.labels, **selector}

        identity = runtime_identity(
            f"{name}-pod",
            RuntimeIdentityArgs(
                account_id=f"{name}-pod",
                display_name=f"Pods of {args.app_name} on GKE",
                description="Acts for the Kubernetes service account through Workload Identity; reads the secrets.",
            ),
            args.runtime.secret_env.values(),
            self,
            opts,
        )
        google_account, secret_access = identity.account, identity.secret_access

        namespace = kubernetes.core.v1.Namespace(
            f"{name}-namespace",
            metadata=kubernetes.meta.v1.ObjectMetaArgs(name=args.namespace, labels=dict(args.labels)),
            opts=in_cluster,
        )
        namespace_name = namespace.metadata.apply(lambda metadata: str(metadata.name))

        def metadata(
            object_name: str, annotations: Mapping[str, pulumi.Input[str]] | None = None
        ) -> kubernetes.meta.v1.ObjectMetaArgs:
            return kubernetes.meta.v1.ObjectMetaArgs(
                name=object_name, namespace=namespace_name, labels=labels, annotations=annotations
            )

        service_account = kubernetes.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=metadata(args.app_name, annotations={WORKLOAD_IDENTITY_ANNOTATION: google_account.email}),
            # Workload Identity works through the node's metadata server, so the pod needs no API token.
            automount_service_account_token=False,
            opts=in_cluster,
        )
        workload_identity = workload_identity_binding(
            f"{name}-workload-identity",
            google_account,
            args.workload_pool,
            args.namespace,
            args.app_name,
            child_options(self, opts, depends_on=[args.cluster]),
        )

        secret_name = f"{args.app_name}-secrets"
        secret = kubernetes.core.v1.Secret(
            f"{name}-secrets",
            metadata=metadata(secret_name),
            type="Opaque",
            string_data={
                env_name: pulumi.Output.secret(secret_env.value)
                for env_name, secret_env in args.runtime.secret_env.items()
            },
            opts=in_cluster,
        )

        env = args.runtime.rendered_env(
            lambda env_name, value: kubernetes.core.v1.EnvVarArgs(name=env_name, value=value),
            lambda env_name, _secret: kubernetes.core.v1.EnvVarArgs(
                name=env_name,
                value_from=kubernetes.core.v1.EnvVarSourceArgs(
                    secret_key_ref=kubernetes.core.v1.SecretKeySelectorArgs(name=secret_name, key=env_name)
                ),
            ),
        )
        secret_versions = pulumi.Output.all(
            **{env_name: secret_env.version for env_name, secret_env in args.runtime.secret_env.items()}
        ).apply(lambda versions: ",".join(f"{env_name}={versions[env_name]}" for env_name in sorted(versions)))
        resources = {"cpu": cpu_quantity(args.cpu), "memory": args.memory, GPU_RESOURCE_KEY: "1"}
        scratch, scratch_mount = scratch_volume("scratch", SCRATCH_PATH, SCRATCH_SIZE)

        def http_probe(path: str, period: int, failures: int) -> kubernetes.core.v1.ProbeArgs:
            return kubernetes.core.v1.ProbeArgs(
                http_get=kubernetes.core.v1.HTTPGetActionArgs(path=path, port="http"),
                period_seconds=period,
                timeout_seconds=5,
                failure_threshold=failures,
            )

        pod = kubernetes.core.v1.PodSpecArgs(
            service_account_name=args.app_name,
            automount_service_account_token=False,
            enable_service_links=False,
            node_selector={GKE_ACCELERATOR_NODE_LABEL: args.gpu_type},
            tolerations=[
                kubernetes.core.v1.TolerationArgs(
                    key=GPU_RESOURCE_KEY, operator="Equal", value=GPU_TAINT_VALUE, effect=GPU_TOLERATION_EFFECT
                )
            ],
            security_context=restricted_pod_security(APP_UID),
            containers=[
                kubernetes.core.v1.ContainerArgs(
                    name="app",
                    image=args.runtime.image,
                    # The image is pinned by digest, so Always costs one manifest lookup and never changes the bits.
                    image_pull_policy="Always",
                    ports=[kubernetes.core.v1.ContainerPortArgs(name="http", container_port=args.runtime.port)],
                    env=env,
                    resources=kubernetes.core.v1.ResourceRequirementsArgs(requests=resources, limits=resources),
                    startup_probe=http_probe(READINESS_PATH, STARTUP_PERIOD_SECONDS, STARTUP_FAILURE_THRESHOLD),
                    readiness_probe=http_probe(READINESS_PATH, 10, 3),
                    liveness_probe=http_probe(LIVENESS_PATH, 30, 3),
                    security_context=restricted_container_security(APP_UID),
                    volume_mounts=[scratch_mount],
                )
            ],
            volumes=[scratch],
        )
        deployment = kubernetes.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata(args.app_name, annotations={"checkov.io/skip1": SECRETS_AS_ENV_SKIP}),
            spec=kubernetes.apps.v1.DeploymentSpecArgs(
                selector=kubernetes.meta.v1.LabelSelectorArgs(match_labels=selector),
                # Surge where a spare GPU exists (a new pod is ready before an old one goes); at full GPU capacity a
                # surge pod would wait forever for a node the pool cannot add, so one pod is replaced at a time.
                strategy=kubernetes.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=kubernetes.apps.v1.RollingUpdateDeploymentArgs(
                        max_surge=args.max_surge, max_unavailable=args.max_unavailable
                    ),
                ),
                template=kubernetes.core.v1.PodTemplateSpecArgs(
                    metadata=kubernetes.meta.v1.ObjectMetaArgs(
                        labels=labels,
                        # A changed secret is a new version: naming the versions here rolls the pods, which read
                        # their secrets only at start.
                        annotations={SECRET_VERSIONS_ANNOTATION: secret_versions},
                    ),
                    spec=pod,
                ),
            ),
            opts=in_cluster.merge(
                pulumi.ResourceOptions(
                    depends_on=[service_account, secret, workload_identity, *secret_access],
                    custom_timeouts=pulumi.CustomTimeouts(create=ROLLOUT_TIMEOUT, update=ROLLOUT_TIMEOUT),
                )
            ),
        )

        ports = [kubernetes.core.v1.ServicePortArgs(name="http", protocol="TCP", port=SERVICE_PORT, target_port="http")]
        if args.behind_gateway:
            # The GKE Gateway controller puts the pods of every Service an HTTPRoute names into NEGs of its own
            # (container-native load balancing): the load balancer reaches pod IPs, so no node port and no
            # cloud.google.com/neg annotation are needed.
            service_spec = kubernetes.core.v1.ServiceSpecArgs(type="ClusterIP", selector=selector, ports=ports)
        else:
            service_spec = kubernetes.core.v1.ServiceSpecArgs(
                type="LoadBalancer",
                selector=selector,
                # Local keeps the client's address, which the load balancer's source ranges and the pods'
                # NetworkPolicy both filter on.
                external_traffic_policy="Local",
                load_balancer_source_ranges=None if args.public else list(args.internal_client_cidrs),
                ports=ports,
            )
        service = kubernetes.core.v1.Service(
            f"{name}-service",
            metadata=metadata(
                args.app_name, annotations=None if args.public or args.behind_gateway else INTERNAL_LOAD_BALANCER
            ),
            spec=service_spec,
            opts=in_cluster,
        )
        self.service = service

        kubernetes.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-autoscaler",
            metadata=metadata(args.app_name),
            spec=kubernetes.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=kubernetes.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=args.app_name
                ),
                min_replicas=args.min_replicas,
                max_replicas=args.max_replicas,
                # A GPU pod's CPU says little about its load; the queue in front of the model says it all. The
                # Custom Metrics Stackdriver Adapter serves the app's gauge, scraped by Managed Prometheus.
                metrics=[
                    kubernetes.autoscaling.v2.MetricSpecArgs(
                        type="Pods",
                        pods=kubernetes.autoscaling.v2.PodsMetricSourceArgs(
                            metric=kubernetes.autoscaling.v2.MetricIdentifierArgs(
                                name=f"prometheus.googleapis.com|{QUEUE_DEPTH_METRIC}|gauge"
                            ),
                            target=kubernetes.autoscaling.v2.MetricTargetArgs(
                                type="AverageValue", average_value=str(args.target_queue_depth)
                            ),
                        ),
                    )
                ],
            ),
            opts=in_cluster.merge(pulumi.ResourceOptions(depends_on=[deployment])),
        )
        kubernetes.apiextensions.CustomResource(
            f"{name}-pod-monitoring",
            api_version="monitoring.googleapis.com/v1",
            kind="PodMonitoring",
            metadata=metadata(args.app_name),
            spec={
                "selector": {"matchLabels": dict(selector)},
                "endpoints": [{"port": "http", "path": METRICS_PATH, "interval": args.scrape_interval}],
            },
            opts=in_cluster,
        )
        kubernetes.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=metadata(args.app_name),
            # maxUnavailable, not minAvailable: with one replica, minAvailable 1 would block node upgrades forever.
            spec=kubernetes.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1, selector=kubernetes.meta.v1.LabelSelectorArgs(match_labels=selector)
            ),
            opts=in_cluster,
        )
        self._network_policies(name, args, metadata, selector, in_cluster)

        self.namespace = namespace_name
        self.service_port = SERVICE_PORT
        self.service_name = service.metadata.apply(lambda service_metadata: str(service_metadata.name))
        self.service_account_email = google_account.email
        self.register_outputs(
            {
                "namespace": self.namespace,
                "service_name": self.service_name,
                "service_account_email": self.service_account_email,
            }
        )

    def _network_policies(
        self,
        name: str,
        args: KubernetesWorkloadArgs,
        metadata: Callable[[str], kubernetes.meta.v1.ObjectMetaArgs],
        selector: Mapping[str, str],
        opts: pulumi.ResourceOptions,
    ) -> None:
        """Deny everything, then let clients reach the app port and the pods reach DNS, Redis, the database and
        Google APIs only."""
        networking = kubernetes.networking.v1
        pods = kubernetes.meta.v1.LabelSelectorArgs(match_labels=dict(selector))
        deny_all(f"{name}-deny-all", metadata, opts)
        if args.behind_gateway:
            clients: list[str] = list(LOAD_BALANCER_SOURCE_RANGES)
        else:
            clients = [ANYWHERE] if args.public else list(args.internal_client_cidrs)
        networking.NetworkPolicy(
            f"{name}-allow-clients",
            metadata=metadata(f"{args.app_name}-ingress"),
            spec=networking.NetworkPolicySpecArgs(
                pod_selector=pods,
                policy_types=["Ingress"],
                ingress=[networking.NetworkPolicyIngressRuleArgs(from_=cidr_peers(clients), ports=[tcp("http")])],
            ),
            opts=opts,
        )
        egress = [
            kube_dns_egress(),
            networking.NetworkPolicyEgressRuleArgs(
                to=cidr_peers([pulumi.Output.format("{0}/32", args.redis_host)]), ports=[tcp(args.redis_port)]
            ),
            networking.NetworkPolicyEgressRuleArgs(
                to=cidr_peers([pulumi.Output.format("{0}/32", args.database_host)]), ports=[tcp(args.database_port)]
            ),
            *google_api_egress(),
        ]
        networking.NetworkPolicy(
            f"{name}-allow-egress",
            metadata=metadata(f"{args.app_name}-egress"),
            spec=networking.NetworkPolicySpecArgs(pod_selector=pods, policy_types=["Egress"], egress=egress),
            opts=opts,
        )
