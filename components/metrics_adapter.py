"""The Custom Metrics Stackdriver Adapter: serves Cloud Monitoring series (the app's Managed Prometheus gauges among
them) to the HorizontalPodAutoscaler through the custom.metrics.k8s.io API.

Built as typed objects after Google's production manifest (github.com/GoogleCloudPlatform/k8s-stackdriver,
custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml), hardened like the app's
pods: non-root, read-only root filesystem (its self-signed serving certificate goes to an emptyDir), no
capabilities, a port above 1024, NetworkPolicies that let only the control plane in. It reads Cloud Monitoring as
a Google service account with roles/monitoring.viewer only, through Workload Identity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as kubernetes

from components._options import child_options
from components.naming import fit_name
from components.pod_network import cidr_peers, deny_all, google_api_egress, kube_dns_egress, scratch_volume, tcp
from components.workload import (
    APP_LABEL,
    WORKLOAD_IDENTITY_ANNOTATION,
    restricted_container_security,
    restricted_pod_security,
    workload_identity_binding,
)
from facts.gcp import SERVICE_ACCOUNT_ID_NAME

ADAPTER_IMAGE = "gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.13.1-gke.0"
ADAPTER_NAME = "custom-metrics-stackdriver-adapter"
ADAPTER_UID = 10001
SECURE_PORT = 8443
CERT_DIR = "/tmp/certs"  # noqa: S108 - an emptyDir of its own
CUSTOM_METRICS_GROUP = "custom.metrics.k8s.io"
# The API versions the HPA may ask for; v1beta2 is preferred (it carries the metric selector).
API_VERSIONS = (("v1beta1", 100), ("v1beta2", 200))
# Google publishes the adapter by tag in gcr.io/gke-release; a digest can be read only where that registry is.
DIGEST_SKIP = (
    "CKV_K8S_43=Google publishes the adapter by tag (gcr.io/gke-release); pin its digest where the registry is "
    "reachable"
)
API_CLIENT_SKIP = "CKV_K8S_38=The adapter is an aggregated API server: it calls the Kubernetes API (auth delegation)"


@dataclass(frozen=True, kw_only=True)
class CustomMetricsAdapterArgs:
    """The adapter in its own namespace, reading Cloud Monitoring for the autoscaler."""

    provider: kubernetes.Provider
    """The cluster's Kubernetes provider."""
    cluster: pulumi.Resource
    """The cluster: its Workload Identity pool exists only once the cluster does."""
    workload_pool: str
    """The cluster's Workload Identity pool (`<project>.svc.id.goog`)."""
    project: str
    """The project whose Cloud Monitoring series the adapter serves."""
    control_plane_cidrs: Sequence[str]
    """Where the API server calls the adapter from, and where the adapter reaches the API server."""
    labels: Mapping[str, str]
    """Labels for every Kubernetes object of the adapter."""
    namespace: str = "custom-metrics"
    """The adapter's own namespace."""


class CustomMetricsAdapter(pulumi.ComponentResource):
    """The adapter, its identity, its RBAC and its APIServices."""

    service_account_email: pulumi.Output[str]

    def __init__(self, name: str, args: CustomMetricsAdapterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:metrics_adapter:CustomMetricsAdapter", name, None, opts)
        child = child_options(self, opts)
        in_cluster = child.merge(pulumi.ResourceOptions(provider=args.provider))
        selector = {APP_LABEL: ADAPTER_NAME}
        labels = {**args.labels, **selector}
        meta = kubernetes.meta.v1

        google_account = gcp.serviceaccount.Account(
            f"{name}-cma",
            account_id=fit_name(f"{name}-cma", SERVICE_ACCOUNT_ID_NAME),
            display_name="Custom Metrics Stackdriver Adapter",
            description="Reads Cloud Monitoring for the HorizontalPodAutoscaler; no other role.",
            opts=child,
        )
        monitoring_viewer = gcp.projects.IAMMember(
            f"{name}-cma-monitoring-viewer",
            project=args.project,
            role="roles/monitoring.viewer",
            member=google_account.member,
            opts=child,
        )
        workload_identity = workload_identity_binding(
            f"{name}-cma-workload-identity",
            google_account,
            args.workload_pool,
            args.namespace,
            ADAPTER_NAME,
            child_options(self, opts, depends_on=[args.cluster]),
        )

        namespace = kubernetes.core.v1.Namespace(
            f"{name}-cma-namespace",
            metadata=meta.ObjectMetaArgs(name=args.namespace, labels=dict(args.labels)),
            opts=in_cluster,
        )
        in_namespace = in_cluster.merge(pulumi.ResourceOptions(depends_on=[namespace]))

        def metadata(
            object_name: str, namespace_name: str | None = args.namespace, annotations: Mapping[str, str] | None = None
        ) -> kubernetes.meta.v1.ObjectMetaArgs:
            return meta.ObjectMetaArgs(
                name=object_name, namespace=namespace_name, labels=labels, annotations=annotations
            )

        service_account = kubernetes.core.v1.ServiceAccount(
            f"{name}-cma-service-account",
            metadata=meta.ObjectMetaArgs(
                name=ADAPTER_NAME,
                namespace=args.namespace,
                labels=labels,
                annotations={WORKLOAD_IDENTITY_ANNOTATION: google_account.email},
            ),
            opts=in_namespace,
        )
        subject = [kubernetes.rbac.v1.SubjectArgs(kind="ServiceAccount", name=ADAPTER_NAME, namespace=args.namespace)]
        rbac = kubernetes.rbac.v1
        bindings = [
            rbac.ClusterRoleBinding(
                f"{name}-cma-auth-delegator",
                metadata=metadata("custom-metrics-system-auth-delegator", None),
                role_ref=rbac.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="system:auth-delegator"
                ),
                subjects=subject,
                opts=in_cluster,
            ),
            rbac.RoleBinding(
                f"{name}-cma-auth-reader",
                metadata=metadata("custom-metrics-auth-reader", "kube-system"),
                role_ref=rbac.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io",
                    kind="Role",
                    name="extension-apiserver-authentication-reader",
                ),
                subjects=subject,
                opts=in_cluster,
            ),
        ]
        resource_reader = rbac.ClusterRole(
            f"{name}-cma-resource-reader",
            metadata=metadata("custom-metrics-resource-reader", None),
            rules=[
                rbac.PolicyRuleArgs(
                    api_groups=[""], resources=["pods", "nodes", "nodes/stats"], verbs=["get", "list", "watch"]
                )
            ],
            opts=in_cluster,
        )
        bindings.append(
            rbac.ClusterRoleBinding(
                f"{name}-cma-resource-reader",
                metadata=metadata("custom-metrics-resource-reader", None),
                role_ref=rbac.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="custom-metrics-resource-reader"
                ),
                subjects=subject,
                opts=in_cluster.merge(pulumi.ResourceOptions(depends_on=[resource_reader])),
            )
        )
        probe = kubernetes.core.v1.ProbeArgs(
            http_get=kubernetes.core.v1.HTTPGetActionArgs(path="/healthz", port="https", scheme="HTTPS"),
            period_seconds=20,
            timeout_seconds=5,
            failure_threshold=3,
        )
        resources = {"cpu": "250m", "memory": "200Mi"}
        certs, certs_mount = scratch_volume("certs", CERT_DIR, "10Mi")
        deployment = kubernetes.apps.v1.Deployment(
            f"{name}-cma-deployment",
            metadata=metadata(
                ADAPTER_NAME, annotations={"checkov.io/skip1": DIGEST_SKIP, "checkov.io/skip2": API_CLIENT_SKIP}
            ),
            spec=kubernetes.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=meta.LabelSelectorArgs(match_labels=selector),
                template=kubernetes.core.v1.PodTemplateSpecArgs(
                    metadata=meta.ObjectMetaArgs(labels=labels),
                    spec=kubernetes.core.v1.PodSpecArgs(
                        service_account_name=ADAPTER_NAME,
                        security_context=restricted_pod_security(ADAPTER_UID),
                        containers=[
                            kubernetes.core.v1.ContainerArgs(
                                name="adapter",
                                image=ADAPTER_IMAGE,
                                image_pull_policy="Always",
                                command=[
                                    "/adapter",
                                    "--use-new-resource-model=true",
                                    "--fallback-for-container-metrics=true",
                                    f"--secure-port={SECURE_PORT}",
                                    f"--cert-dir={CERT_DIR}",
                                ],
                                ports=[kubernetes.core.v1.ContainerPortArgs(name="https", container_port=SECURE_PORT)],
                                resources=kubernetes.core.v1.ResourceRequirementsArgs(
                                    requests=resources, limits=resources
                                ),
                                liveness_probe=probe,
                                readiness_probe=probe,
                                security_context=restricted_container_security(ADAPTER_UID),
                                volume_mounts=[certs_mount],
                            )
                        ],
                        volumes=[certs],
                    ),
                ),
            ),
            opts=in_namespace.merge(
                pulumi.ResourceOptions(depends_on=[service_account, workload_identity, monitoring_viewer, *bindings])
            ),
        )
        service = kubernetes.core.v1.Service(
            f"{name}-cma-service",
            metadata=metadata(ADAPTER_NAME),
            spec=kubernetes.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=selector,
                ports=[kubernetes.core.v1.ServicePortArgs(name="https", protocol="TCP", port=443, target_port="https")],
            ),
            opts=in_namespace,
        )
        for version, priority in API_VERSIONS:
            kubernetes.apiregistration.v1.APIService(
                f"{name}-cma-{version}",
                metadata=metadata(f"{version}.{CUSTOM_METRICS_GROUP}", None),
                spec=kubernetes.apiregistration.v1.APIServiceSpecArgs(
                    group=CUSTOM_METRICS_GROUP,
                    version=version,
                    group_priority_minimum=100,
                    version_priority=priority,
                    service=kubernetes.apiregistration.v1.ServiceReferenceArgs(
                        name=ADAPTER_NAME, namespace=args.namespace, port=443
                    ),
                    # The adapter serves a self-signed certificate it makes at start (Google's manifest does the
                    # same); the API server reaches it only inside the cluster, through the NetworkPolicy below.
                    insecure_skip_tls_verify=True,
                ),
                opts=in_cluster.merge(pulumi.ResourceOptions(depends_on=[service, deployment])),
            )
        kubernetes.policy.v1.PodDisruptionBudget(
            f"{name}-cma-disruption-budget",
            metadata=metadata(ADAPTER_NAME),
            spec=kubernetes.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1, selector=meta.LabelSelectorArgs(match_labels=selector)
            ),
            opts=in_namespace,
        )
        self._network_policies(name, args, metadata, selector, in_namespace)

        self.service_account_email = google_account.email
        self.register_outputs({"service_account_email": self.service_account_email})

    @staticmethod
    def _network_policies(
        name: str,
        args: CustomMetricsAdapterArgs,
        make_metadata: Callable[[str], kubernetes.meta.v1.ObjectMetaArgs],
        selector: Mapping[str, str],
        opts: pulumi.ResourceOptions,
    ) -> None:
        """Deny everything, then let the API server in and the adapter reach DNS, the API server and Google APIs."""
        networking = kubernetes.networking.v1
        pods = kubernetes.meta.v1.LabelSelectorArgs(match_labels=dict(selector))
        deny_all(f"{name}-cma-deny-all", make_metadata, opts)
        networking.NetworkPolicy(
            f"{name}-cma-allow-api-server",
            metadata=make_metadata(f"{ADAPTER_NAME}-ingress"),
            spec=networking.NetworkPolicySpecArgs(
                pod_selector=pods,
                policy_types=["Ingress"],
                ingress=[
                    networking.NetworkPolicyIngressRuleArgs(
                        from_=cidr_peers(args.control_plane_cidrs), ports=[tcp("https")]
                    )
                ],
            ),
            opts=opts,
        )
        egress = [
            kube_dns_egress(),
            networking.NetworkPolicyEgressRuleArgs(to=cidr_peers(args.control_plane_cidrs), ports=[tcp(443)]),
            *google_api_egress(),
        ]
        networking.NetworkPolicy(
            f"{name}-cma-allow-egress",
            metadata=make_metadata(f"{ADAPTER_NAME}-egress"),
            spec=networking.NetworkPolicySpecArgs(pod_selector=pods, policy_types=["Egress"], egress=egress),
            opts=opts,
        )
