"""The Secrets component alone: generated and provided values kept in Secret Manager, never in plain text."""

from __future__ import annotations

import json

import pulumi
import pulumi_gcp as gcp

from components.secrets import Secrets, SecretsArgs
from facts import types
from infra.offline import run_program
from plan import SECRET_PLACEHOLDER, Plan
from tests.engine_values import engine_output

PASSWORD = types.RANDOM_PASSWORD
SECRET = types.SECRET
VERSION = types.SECRET_VERSION
ACCESSOR = types.SECRET_IAM_MEMBER
LABELS = {"team": "ml-platform", "environment": "prod"}
RUNTIME = "serviceAccount:runtime@my-project.iam.gserviceaccount.com"


def plan_secrets(args: SecretsArgs) -> Plan:
    def program() -> None:
        Secrets("app", args)

    return run_program(program)


def by_name(plan: Plan, resource_type: str) -> dict[str, dict]:
    return {resource.name: resource.inputs for resource in plan.of_type(resource_type)}


def test_each_generated_secret_is_a_random_password_of_the_requested_length_without_special_characters() -> None:
    plan = plan_secrets(SecretsArgs(generated={"db-password": 32, "api-key": 40}, labels=LABELS))

    passwords = by_name(plan, PASSWORD)
    assert {name: inputs["length"] for name, inputs in passwords.items()} == {"app-db-password": 32, "app-api-key": 40}
    assert all(inputs["special"] is False for inputs in passwords.values())


def test_each_secret_is_stored_under_the_component_name_with_automatic_replication_and_the_labels() -> None:
    plan = plan_secrets(SecretsArgs(generated={"db-password": 32}, labels=LABELS))

    secret = plan.one(SECRET)
    assert secret.inputs["secretId"] == "app-db-password"
    assert secret.inputs["replication"] == {"auto": {}}
    assert secret.inputs["labels"] == LABELS


def test_each_secret_gets_one_version_holding_the_generated_value_as_a_pulumi_secret() -> None:
    plan = plan_secrets(SecretsArgs(generated={"db-password": 32}, labels=LABELS))

    version = plan.one(VERSION)
    assert version.inputs["secretData"] == SECRET_PLACEHOLDER
    assert plan.one(PASSWORD).urn in version.dependencies
    assert plan.one(SECRET).urn in version.dependencies


def test_a_provided_value_is_stored_without_generating_a_password() -> None:
    plan = plan_secrets(SecretsArgs(generated={}, provided={"auth": "provided-auth-value"}, labels=LABELS))

    assert plan.of_type(PASSWORD) == []
    assert plan.one(SECRET).inputs["secretId"] == "app-auth"
    assert plan.one(VERSION).inputs["secretData"] == SECRET_PLACEHOLDER
    assert "provided-auth-value" not in json.dumps(plan.to_dict(include_outputs=True))


def test_values_leave_the_component_only_as_pulumi_secrets_and_ids_as_plain_references() -> None:
    def program() -> None:
        secrets = Secrets("app", SecretsArgs(generated={"db-password": 32}, labels=LABELS))
        pulumi.export("values", secrets.values)
        pulumi.export("secret_ids", secrets.secret_ids)

    plan = run_program(program, config={"gcp:project": "my-project"})

    password = plan.one(PASSWORD)
    generated = engine_output(password, "result", "my-project")
    assert plan.outputs["values"] == {"db-password": SECRET_PLACEHOLDER}
    assert plan.outputs["secret_ids"] == {"db-password": "projects/my-project/secrets/app-db-password"}
    assert generated not in json.dumps(plan.to_dict(include_outputs=True))


def test_grant_access_gives_the_member_secret_accessor_on_every_secret_and_nothing_more() -> None:
    def program() -> None:
        secrets = Secrets("app", SecretsArgs(generated={"db-password": 32, "api-key": 40}, labels=LABELS))
        secrets.grant_access("runtime", RUNTIME)

    plan = run_program(program, config={"gcp:project": "my-project"})

    bindings = by_name(plan, ACCESSOR)
    assert {name: (inputs["secretId"], inputs["role"], inputs["member"]) for name, inputs in bindings.items()} == {
        "runtime-db-password-accessor": (
            "projects/my-project/secrets/app-db-password",
            "roles/secretmanager.secretAccessor",
            RUNTIME,
        ),
        "runtime-api-key-accessor": (
            "projects/my-project/secrets/app-api-key",
            "roles/secretmanager.secretAccessor",
            RUNTIME,
        ),
    }


def test_a_workload_depending_on_grant_access_waits_for_every_binding_and_every_version() -> None:
    def program() -> None:
        secrets = Secrets("app", SecretsArgs(generated={"db-password": 32, "api-key": 40}, labels=LABELS))
        before_workload = secrets.grant_access("runtime", RUNTIME)
        gcp.serviceaccount.Account(
            "workload", account_id="workload", opts=pulumi.ResourceOptions(depends_on=before_workload)
        )

    plan = run_program(program)

    workload = plan.one("gcp:serviceaccount/account:Account")
    awaited = {resource.urn for resource in [*plan.of_type(ACCESSOR), *plan.of_type(VERSION)]}
    assert len(awaited) == 4
    assert awaited <= set(workload.dependencies)


def test_every_secret_and_password_waits_for_what_the_component_depends_on() -> None:
    def program() -> None:
        api = gcp.projects.Service("secretmanager-api", service="secretmanager.googleapis.com")
        Secrets(
            "app",
            SecretsArgs(generated={"db-password": 32}, provided={"auth": "value"}, labels=LABELS),
            opts=pulumi.ResourceOptions(depends_on=[api]),
        )

    plan = run_program(program)

    api_urn = plan.one("gcp:projects/service:Service").urn
    children = plan.children_of(plan.one("inference:secrets:Secrets"))
    assert {child.type for child in children} == {PASSWORD, SECRET, VERSION}
    assert [child.name for child in children if api_urn not in child.dependencies] == []


def test_accessor_bindings_wait_for_what_the_component_depends_on() -> None:
    def program() -> None:
        api = gcp.projects.Service("secretmanager-api", service="secretmanager.googleapis.com")
        secrets = Secrets(
            "app",
            SecretsArgs(generated={"db-password": 32}, labels=LABELS),
            opts=pulumi.ResourceOptions(depends_on=[api]),
        )
        secrets.grant_access("runtime", RUNTIME)

    plan = run_program(program)

    api_urn = plan.one("gcp:projects/service:Service").urn
    binding = plan.one(ACCESSOR)
    assert binding.parent == plan.one("inference:secrets:Secrets").urn
    assert api_urn in binding.dependencies, "grant_access() registers its bindings without the component's depends_on"


def test_secrets_are_deletable_unless_protected_and_then_refuse_deletion() -> None:
    unprotected = plan_secrets(SecretsArgs(generated={"db-password": 32}, labels=LABELS))
    protected = plan_secrets(SecretsArgs(generated={"db-password": 32}, labels=LABELS, deletion_protection=True))

    assert unprotected.one(SECRET).inputs["deletionProtection"] is False
    assert protected.one(SECRET).inputs["deletionProtection"] is True


def test_a_secret_as_an_environment_source_names_its_stored_version() -> None:
    captured: dict[str, str] = {}

    def program() -> None:
        secrets = Secrets("app", SecretsArgs(generated={"db-password": 32}, labels=LABELS))
        source = secrets.secret_env("db-password")
        pulumi.Output.all(source.secret_id, source.version).apply(
            lambda parts: captured.update(secret_id=str(parts[0]), version=str(parts[1]))
        )

    plan = run_program(program)

    version = plan.one(VERSION)
    assert captured["secret_id"].endswith("/secrets/app-db-password")
    assert captured["version"] == engine_output(version, "version", "p")
