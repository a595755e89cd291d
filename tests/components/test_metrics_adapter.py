"""The Custom Metrics Stackdriver Adapter alone: a least-privilege identity, its RBAC, the custom.metrics APIServices
and a hardened pod that only the control plane may call."""

from __future__ import annotations

import pulumi_gcp as gcp
import pulumi_kubernetes as kubernetes

from components.metrics_adapter import CustomMetricsAdapter, CustomMetricsAdapterArgs
from infra.offline import run_program
from plan import Plan

PROJECT = "my-project"
LABELS = {"environment": "prod", "stack": "prod-gke", "managed-by": "pulumi"}


def plan_adapter() -> Plan:
    def program() -> None:
        cluster = gcp.container.Cluster("cluster", location="us-central1", initial_node_count=1)
        provider = kubernetes.Provider("k8s", kubeconfig="{}")
        CustomMetricsAdapter(
            "inference-prod-gke",
            CustomMetricsAdapterArgs(
                provider=provider,
                cluster=cluster,
                workload_pool=f"{PROJECT}.svc.id.goog",
                project=PROJECT,
                control_plane_cidrs=["172.16.0.0/28"],
                labels=LABELS,
            ),
        )

    return run_program(program, config={"gcp:project": PROJECT})


def test_the_adapter_reads_cloud_monitoring_as_a_viewer_through_workload_identity():
    plan = plan_adapter()
    (grant,) = plan.of_type("gcp:projects/iAMMember:IAMMember")
    assert grant.inputs["role"] == "roles/monitoring.viewer"
    (binding,) = plan.of_type("gcp:serviceaccount/iAMMember:IAMMember")
    assert binding.inputs["member"] == (
        f"serviceAccount:{PROJECT}.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]"
    )
    assert plan.one("gcp:container/cluster:Cluster").urn in binding.dependencies


def test_it_serves_both_custom_metrics_api_versions_from_its_service():
    services = plan_adapter().of_type("kubernetes:apiregistration.k8s.io/v1:APIService")
    assert sorted(service.inputs["metadata"]["name"] for service in services) == [
        "v1beta1.custom.metrics.k8s.io",
        "v1beta2.custom.metrics.k8s.io",
    ]
    for service in services:
        assert service.inputs["spec"]["service"] == {
            "name": "custom-metrics-stackdriver-adapter",
            "namespace": "custom-metrics",
            "port": 443,
        }


def test_rbac_delegates_auth_and_reads_only_pods_and_nodes():
    plan = plan_adapter()
    (role,) = plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
    assert role.inputs["rules"] == [
        {"apiGroups": [""], "resources": ["pods", "nodes", "nodes/stats"], "verbs": ["get", "list", "watch"]}
    ]
    roles = {
        b.inputs["roleRef"]["name"] for b in plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
    }
    assert roles == {"system:auth-delegator", "custom-metrics-resource-reader"}
    (reader,) = plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert (reader.inputs["metadata"]["namespace"], reader.inputs["roleRef"]["name"]) == (
        "kube-system",
        "extension-apiserver-authentication-reader",
    )


def test_the_pod_runs_restricted_on_a_high_port_with_a_writable_cert_dir_only():
    pod = plan_adapter().one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "--secure-port=8443" in container["command"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["runAsNonRoot"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert container["volumeMounts"] == [{"name": "certs", "mountPath": "/tmp/certs"}]


def test_only_the_control_plane_may_call_it():
    policies = plan_adapter().of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    ingress = next(policy for policy in policies if policy.inputs["metadata"]["name"].endswith("-ingress"))
    assert ingress.inputs["spec"]["ingress"][0]["from"] == [{"ipBlock": {"cidr": "172.16.0.0/28"}}]
