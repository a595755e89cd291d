"""The runtime identity helper: a consumer's own account, reading exactly the secrets it is given, as its children."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from components.runtime_identity import SECRET_ACCESSOR_ROLE, RuntimeIdentityArgs, runtime_identity
from components.secrets import Secrets, SecretsArgs
from facts import types
from infra.offline import run_program
from plan import Plan

ACCESSOR = types.SECRET_IAM_MEMBER
ACCOUNT = types.SERVICE_ACCOUNT
CONSUMER = "test:index:Consumer"
LABELS = {"team": "ml-platform"}
IDENTITY = RuntimeIdentityArgs(account_id="app-run", display_name="Runtime identity of app", description="Reads.")


def plan_identity(*short_names: str, gate_on_api: bool = False) -> Plan:
    def program() -> None:
        api = gcp.projects.Service("secretmanager-api", service="secretmanager.googleapis.com") if gate_on_api else None
        secrets = Secrets("app", SecretsArgs(generated={"db-password": 32, "api-key": 40}, labels=LABELS))
        consumer = pulumi.ComponentResource(CONSUMER, "consumer")
        opts = pulumi.ResourceOptions(depends_on=[api]) if api else None
        identity = runtime_identity(
            "runtime", IDENTITY, [secrets.secret_env(short) for short in short_names], consumer, opts
        )
        gcp.serviceaccount.Account(
            "workload", account_id="workload", opts=pulumi.ResourceOptions(depends_on=identity.secret_access)
        )

    return run_program(program, config={"gcp:project": "my-project"})


def test_the_account_reads_exactly_the_secrets_it_is_given_and_nothing_more() -> None:
    plan = plan_identity("db-password")

    account = next(r for r in plan.of_type(ACCOUNT) if r.name == "runtime")
    assert account.inputs["accountId"] == "app-run"
    [binding] = plan.of_type(ACCESSOR)
    assert binding.name == "runtime-db-password-accessor"
    assert (binding.inputs["secretId"], binding.inputs["role"], binding.inputs["member"]) == (
        "projects/my-project/secrets/app-db-password",
        SECRET_ACCESSOR_ROLE,
        "serviceAccount:app-run@my-project.iam.gserviceaccount.com",
    )


def test_the_account_and_bindings_are_children_of_the_consumer_and_the_bindings_keep_their_former_urns() -> None:
    plan = plan_identity("db-password", "api-key")

    consumer = plan.one(CONSUMER).urn
    identity = [r for r in plan.resources if r.name.startswith("runtime")]
    assert {r.parent for r in identity} == {consumer}
    assert {r.name: r.aliases for r in plan.of_type(ACCESSOR)} == {
        name: (f"urn:pulumi:test::inference::inference:secrets:Secrets${ACCESSOR}::{name}",)
        for name in ("runtime-db-password-accessor", "runtime-api-key-accessor")
    }


def test_what_depends_on_the_access_waits_for_every_binding_and_the_bindings_for_what_the_consumer_waits_for() -> None:
    plan = plan_identity("db-password", "api-key", gate_on_api=True)

    workload = next(r for r in plan.of_type(ACCOUNT) if r.name == "workload")
    bindings = plan.of_type(ACCESSOR)
    assert {binding.urn for binding in bindings} <= set(workload.dependencies)
    api_urn = plan.one("gcp:projects/service:Service").urn
    assert all(api_urn in binding.dependencies for binding in bindings)
