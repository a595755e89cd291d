"""Offline manifests: every Kubernetes object a GKE stack would apply, valid for Kubernetes 1.33 and checkov-clean."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from infra.offline import plan_stack
from manifests import ManifestError, kubernetes_objects, write_manifests
from manifests.validation import validate_manifest
from plan import SECRET_PLACEHOLDER, Plan, PlannedResource
from tests.manifests.checkov import checkov_report, failed_checks

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_VERSION = "1.33"
GKE_STACKS = ("prod-gke", "cmp-gke")
# The app's namespace, and the Custom Metrics Stackdriver Adapter's (namespace, RBAC, APIServices) for its autoscaler.
EXPECTED_KINDS = {
    "Namespace": 2,
    "NetworkPolicy": 6,
    "PodDisruptionBudget": 2,
    "ServiceAccount": 2,
    "Secret": 1,
    "Service": 2,
    "Deployment": 2,
    "HorizontalPodAutoscaler": 1,
    "PodMonitoring": 1,
    "ClusterRole": 1,
    "ClusterRoleBinding": 2,
    "RoleBinding": 1,
    "APIService": 2,
}


@pytest.fixture(scope="module", params=GKE_STACKS)
def written(request, tmp_path_factory) -> tuple[Plan, list[Path]]:
    plan = plan_stack(request.param, PROJECT_ROOT, cache=False)
    return plan, write_manifests(plan, tmp_path_factory.mktemp(request.param))


def test_one_file_per_kubernetes_object_in_the_plan(written):
    plan, paths = written
    kubernetes_resources = [resource for resource in plan.resources if resource.type.startswith("kubernetes:")]
    assert len(paths) == len(kubernetes_resources) == sum(EXPECTED_KINDS.values())
    documents = [list(yaml.safe_load_all(path.read_text())) for path in paths]
    assert all(len(document) == 1 for document in documents)
    kinds = [document[0]["kind"] for document in documents]
    assert {kind: kinds.count(kind) for kind in kinds} == EXPECTED_KINDS


def test_every_manifest_names_its_api_version_kind_and_name(written):
    plan, paths = written
    planned = {
        (resource.inputs["apiVersion"], resource.inputs["kind"], resource.inputs["metadata"]["name"])
        for resource in plan.resources
        if resource.type.startswith("kubernetes:")
    }
    written_objects = set()
    for path in paths:
        manifest = yaml.safe_load(path.read_text())
        written_objects.add((manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"]))
        assert manifest["kind"].lower() in path.name
        assert manifest["metadata"]["name"] in path.name
    assert written_objects == planned


def test_every_manifest_is_valid_for_kubernetes_1_33_in_strict_mode(written):
    _plan, paths = written
    for path in paths:
        validate_manifest(yaml.safe_load(path.read_text()), KUBERNETES_VERSION)


def test_strict_validation_catches_a_misspelled_field(written):
    _plan, paths = written
    deployment = next(yaml.safe_load(path.read_text()) for path in paths if "-deployment-inference-" in path.name)
    deployment["spec"]["template"]["spec"]["tolerations"][0]["efect"] = "NoSchedule"
    with pytest.raises(kubernetes_validate.ValidationError, match="efect"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_namespace_comes_first_and_the_autoscaler_after_its_deployment(written):
    _plan, paths = written
    names = [path.name for path in paths]
    assert names[0].startswith("01-namespace-")
    deployment = next(index for index, name in enumerate(names) if "-deployment-" in name)
    autoscaler = next(index for index, name in enumerate(names) if "-horizontalpodautoscaler-" in name)
    assert deployment < autoscaler


def test_secret_values_never_reach_the_files(written):
    plan, paths = written
    secret_path = next(path for path in paths if "-secret-" in path.name)
    text = secret_path.read_text()
    assert text.startswith("# Secret values are not rendered offline")
    assert yaml.safe_load(text)["stringData"] == {}
    generated = [
        resource.name for resource in plan.resources if resource.type == "random:index/randomPassword:RandomPassword"
    ]
    assert generated
    every_file = "".join(path.read_text() for path in paths)
    assert "offline-" not in every_file.replace("offline-plan-placeholder", "")
    assert SECRET_PLACEHOLDER not in every_file


def test_manifests_are_the_same_on_every_run(tmp_path):
    first = write_manifests(plan_stack("cmp-gke", PROJECT_ROOT, cache=False), tmp_path / "first")
    second = write_manifests(plan_stack("cmp-gke", PROJECT_ROOT, cache=False), tmp_path / "second")
    assert [path.name for path in first] == [path.name for path in second]
    assert [path.read_text() for path in first] == [path.read_text() for path in second]


def test_manifests_from_an_earlier_run_are_replaced_and_other_files_kept(tmp_path):
    (tmp_path / "07-deployment-inference-old-name.yaml").write_text("kind: Deployment\n")
    (tmp_path / "notes.md").write_text("mine\n")
    written = write_manifests(plan_stack("cmp-gke", PROJECT_ROOT), tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([*(path.name for path in written), "notes.md"])


def test_a_cloud_run_stack_has_no_kubernetes_objects(tmp_path):
    assert write_manifests(plan_stack("cmp-cloudrun", PROJECT_ROOT), tmp_path) == []


def test_an_object_without_a_name_is_refused_with_the_resource_named():
    plan = Plan(
        stack="test",
        project="inference",
        resources=[
            PlannedResource(
                urn="urn:pulumi:test::inference::kubernetes:core/v1:ConfigMap::settings",
                type="kubernetes:core/v1:ConfigMap",
                name="settings",
                parent=None,
                custom=True,
                inputs={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "inference"}},
                dependencies=(),
            )
        ],
    )
    with pytest.raises(ManifestError, match=r"kubernetes:core/v1:ConfigMap 'settings' has no metadata\.name"):
        kubernetes_objects(plan)


def test_checkov_kubernetes_framework_finds_no_failed_check(written):
    _plan, paths = written
    report = checkov_report(paths[0].parent)
    assert failed_checks(report) == []
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 50
    skipped = {(check["check_id"], check["resource"].split(".")[-1]) for check in report["results"]["skipped_checks"]}
    # The app reads its settings from env (from a Secret); the metrics adapter is published by tag only and, as an
    # aggregated API server, needs its service-account token. Each skip carries its reason in the manifest.
    assert skipped == {
        ("CKV_K8S_35", "embeddings"),
        ("CKV_K8S_43", "custom-metrics-stackdriver-adapter"),
        ("CKV_K8S_38", "custom-metrics-stackdriver-adapter"),
    }
