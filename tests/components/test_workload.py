"""The KubernetesWorkload component alone: GPU placement, restricted pods, secrets, entry point, scaling, policies."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as kubernetes
import pytest

from components.app_runtime import AppRuntime
from components.secrets import Secrets, SecretsArgs
from components.workload import KubernetesWorkload, KubernetesWorkloadArgs
from facts import types
from facts.app import LIVENESS_PATH, READINESS_PATH
from facts.gcp import SERVICE_ACCOUNT_ID
from infra.offline import run_program
from plan import SECRET_PLACEHOLDER, Plan

NAMESPACE = types.K8S_NAMESPACE
DEPLOYMENT = types.K8S_DEPLOYMENT
SERVICE = types.K8S_SERVICE
SECRET = types.K8S_SECRET
SERVICE_ACCOUNT = types.K8S_SERVICE_ACCOUNT
AUTOSCALER = types.K8S_HORIZONTAL_POD_AUTOSCALER
DISRUPTION_BUDGET = types.K8S_POD_DISRUPTION_BUDGET
NETWORK_POLICY = types.K8S_NETWORK_POLICY
GOOGLE_ACCOUNT = types.SERVICE_ACCOUNT
WORKLOAD_IDENTITY = types.SERVICE_ACCOUNT_IAM_MEMBER
ACCESSOR = types.SECRET_IAM_MEMBER
LABELS = {"team": "ml-platform", "environment": "dev", "stack": "cmp-gke"}
PROJECT = "my-project"
IMAGE = "us-central1-docker.pkg.dev/my-project/inference/inference-app@sha256:" + "c" * 64
REDIS_IP = "10.100.0.3"
DATABASE_IP = "10.100.16.5"


def plan_workload(**choices: Any) -> Plan:
    """The workload with one plain and one secret variable; `choices` override the args."""

    def program() -> None:
        secrets = Secrets("app", SecretsArgs(generated={"db-password": 32}, labels=LABELS))
        cluster = gcp.container.Cluster(
            "cluster",
            location="us-central1-a",
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{PROJECT}.svc.id.goog"
            ),
        )
        provider = kubernetes.Provider("cluster", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
        settings: dict[str, Any] = {
            "cpu": 3,
            "memory": "12Gi",
            "gpu_type": "nvidia-l4",
            "min_replicas": 1,
            "max_replicas": 3,
            "target_cpu_utilization": 70,
            "max_surge": 1,
            "max_unavailable": 0,
            "public": False,
            **choices,
        }
        KubernetesWorkload(
            "inference-cmp-gke",
            KubernetesWorkloadArgs(
                provider=provider,
                cluster=cluster,
                workload_pool=f"{PROJECT}.svc.id.goog",
                runtime=AppRuntime(
                    image=IMAGE,
                    env={"MODEL_DEVICE": "cuda", "REDIS_URL": f"rediss://{REDIS_IP}:6378/0"},
                    secret_env={"DATABASE_PASSWORD": secrets.secret_env("db-password")},
                ),
                internal_client_cidrs=["10.10.0.0/20", "10.20.0.0/16"],
                redis_host=REDIS_IP,
                redis_port=6378,
                database_host=DATABASE_IP,
                database_port=5432,
                secrets=[secrets],
                labels=LABELS,
                **settings,
            ),
        )

    return run_program(program, config={"gcp:project": PROJECT})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_workload()


def pod_spec(plan: Plan) -> dict[str, Any]:
    return plan.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]


def app_container(plan: Plan) -> dict[str, Any]:
    (container,) = pod_spec(plan)["containers"]
    return container


def test_every_object_lives_in_the_workloads_own_namespace(plan):
    assert plan.one(NAMESPACE).inputs["metadata"]["name"] == "inference"
    namespaced = [resource for resource in plan.resources if resource.type.startswith("kubernetes:")]
    namespaced = [resource for resource in namespaced if resource.type != NAMESPACE]
    assert len(namespaced) == 9
    assert {resource.inputs["metadata"]["namespace"] for resource in namespaced} == {"inference"}


def test_every_object_carries_the_stack_labels(plan):
    for resource in plan.resources:
        if resource.type.startswith("kubernetes:"):
            assert LABELS.items() <= resource.inputs["metadata"]["labels"].items(), resource.name


def test_gpu_pod_can_land_only_on_gpu_nodes(plan):
    spec = pod_spec(plan)
    assert spec["nodeSelector"] == {"cloud.google.com/gke-accelerator": "nvidia-l4"}
    assert spec["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert app_container(plan)["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_pod_requests_exactly_what_it_is_limited_to(plan):
    resources = app_container(plan)["resources"]
    assert resources["requests"] == resources["limits"] == {"cpu": "3", "memory": "12Gi", "nvidia.com/gpu": "1"}


def test_fractional_cpu_becomes_millicores():
    resources = app_container(plan_workload(cpu=3.5))["resources"]
    assert resources["limits"]["cpu"] == "3500m"


def test_image_is_pinned_by_digest(plan):
    assert app_container(plan)["image"] == IMAGE
    assert "@sha256:" in app_container(plan)["image"]


def test_pod_runs_restricted_as_a_high_uid_with_a_read_only_root_and_tmp_scratch(plan):
    spec = pod_spec(plan)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = app_container(plan)["securityContext"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["readOnlyRootFilesystem"] is True
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert container["runAsUser"] > 10000
    assert app_container(plan)["volumeMounts"] == [{"name": "scratch", "mountPath": "/tmp"}]
    assert spec["volumes"] == [{"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}]


def test_pod_mounts_no_service_account_token(plan):
    assert pod_spec(plan)["automountServiceAccountToken"] is False
    assert plan.one(SERVICE_ACCOUNT).inputs["automountServiceAccountToken"] is False


def test_probes_use_the_apps_routes(plan):
    container = app_container(plan)
    assert container["startupProbe"]["httpGet"] == {"path": READINESS_PATH, "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": READINESS_PATH, "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": LIVENESS_PATH, "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]


def test_environment_has_the_same_names_as_on_cloud_run_with_secrets_from_a_kubernetes_secret(plan):
    env = {variable["name"]: variable for variable in app_container(plan)["env"]}
    assert set(env) == {"MODEL_DEVICE", "REDIS_URL", "DATABASE_PASSWORD"}
    assert env["MODEL_DEVICE"]["value"] == "cuda"
    secret = plan.one(SECRET).inputs
    assert env["DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": secret["metadata"]["name"],
        "key": "DATABASE_PASSWORD",
    }
    assert "value" not in env["DATABASE_PASSWORD"]
    assert secret["stringData"] == SECRET_PLACEHOLDER


def test_kubernetes_service_account_acts_as_a_google_account_that_can_read_the_secrets(plan):
    google_account = plan.one(GOOGLE_ACCOUNT).inputs
    assert SERVICE_ACCOUNT_ID.match(google_account["accountId"])
    email = f"{google_account['accountId']}@{PROJECT}.iam.gserviceaccount.com"
    service_account = plan.one(SERVICE_ACCOUNT).inputs["metadata"]
    assert service_account["annotations"] == {"iam.gke.io/gcp-service-account": email}
    binding = plan.one(WORKLOAD_IDENTITY).inputs
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"] == f"serviceAccount:{PROJECT}.svc.id.goog[inference/{service_account['name']}]"
    assert pod_spec(plan)["serviceAccountName"] == service_account["name"]
    accessor = plan.one(ACCESSOR).inputs
    assert (accessor["role"], accessor["member"]) == ("roles/secretmanager.secretAccessor", f"serviceAccount:{email}")


def test_workload_identity_binding_waits_for_the_cluster_whose_creation_makes_the_identity_pool(plan):
    cluster = plan.one("gcp:container/cluster:Cluster")
    assert cluster.urn in plan.one(WORKLOAD_IDENTITY).dependencies


def test_rollout_takes_the_surge_and_unavailability_asked_for():
    surging = plan_workload(max_surge=1, max_unavailable=0).one(DEPLOYMENT).inputs["spec"]["strategy"]
    replacing = plan_workload(max_surge=0, max_unavailable=1).one(DEPLOYMENT).inputs["spec"]["strategy"]
    assert surging == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    assert replacing == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


def test_a_rollout_that_can_neither_surge_nor_take_a_pod_down_is_refused():
    with pytest.raises(ValueError, match="max_surge or max_unavailable"):
        plan_workload(max_surge=0, max_unavailable=0)


def test_pod_template_names_the_secret_versions_so_a_changed_secret_rolls_the_pods(plan):
    annotations = plan.one(DEPLOYMENT).inputs["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"inference/secret-versions": "DATABASE_PASSWORD=1"}


def test_deployment_waits_for_its_identity_and_secret(plan):
    dependencies = set(plan.one(DEPLOYMENT).dependencies)
    for resource_type in (SERVICE_ACCOUNT, SECRET, WORKLOAD_IDENTITY, ACCESSOR):
        assert plan.one(resource_type).urn in dependencies, resource_type


def test_internal_entry_point_is_an_internal_load_balancer_open_to_the_vpc_only(plan):
    service = plan.one(SERVICE).inputs
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["metadata"]["annotations"] == {"networking.gke.io/load-balancer-type": "Internal"}
    assert service["spec"]["loadBalancerSourceRanges"] == ["10.10.0.0/20", "10.20.0.0/16"]
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "embeddings"}


def test_public_entry_point_is_an_external_load_balancer():
    service = plan_workload(public=True).one(SERVICE).inputs
    assert "annotations" not in service["metadata"]
    assert "loadBalancerSourceRanges" not in service["spec"]


def test_autoscaler_keeps_replicas_between_min_and_max_on_cpu():
    autoscaler = plan_workload(min_replicas=2, max_replicas=5, target_cpu_utilization=60).one(AUTOSCALER).inputs
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    spec = autoscaler["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 5)
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "embeddings"}
    assert spec["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}
    ]


def test_deployment_leaves_the_replica_count_to_the_autoscaler(plan):
    assert "replicas" not in plan.one(DEPLOYMENT).inputs["spec"]


def test_disruption_budget_lets_one_pod_go_at_a_time(plan):
    spec = plan.one(DISRUPTION_BUDGET).inputs["spec"]
    assert spec == {"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "embeddings"}}}


def network_policy(plan: Plan, name: str) -> dict[str, Any]:
    return next(
        resource.inputs["spec"]
        for resource in plan.of_type(NETWORK_POLICY)
        if resource.inputs["metadata"]["name"] == name
    )


def test_namespace_denies_all_traffic_by_default(plan):
    assert network_policy(plan, "default-deny") == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_only_clients_of_the_entry_point_reach_the_app_port():
    internal = network_policy(plan_workload(), "embeddings-ingress")
    assert internal["ingress"] == [
        {
            "from": [{"ipBlock": {"cidr": "10.10.0.0/20"}}, {"ipBlock": {"cidr": "10.20.0.0/16"}}],
            "ports": [{"protocol": "TCP", "port": "http"}],
        }
    ]
    public = network_policy(plan_workload(public=True), "embeddings-ingress")
    assert public["ingress"][0]["from"] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}]


def test_pods_reach_only_dns_redis_the_database_and_google_apis(plan):
    egress = network_policy(plan, "embeddings-egress")["egress"]
    destinations = {
        (peer.get("ipBlock", {}).get("cidr", "kube-dns"), port["port"])
        for rule in egress
        for peer in rule["to"]
        for port in rule["ports"]
    }
    assert destinations == {
        ("kube-dns", 53),
        (f"{REDIS_IP}/32", 6378),
        (f"{DATABASE_IP}/32", 5432),
        ("169.254.169.254/32", 80),
        ("169.254.169.252/32", 988),
        ("199.36.153.8/30", 443),
    }
    assert egress[0]["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
