"""The PostgresDatabase component alone: private Cloud SQL with the CIS flags, one database and its user."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.database import BackupArgs, MaintenanceWindow, PostgresDatabase, PostgresDatabaseArgs
from components.validation import ArgsError
from facts import types
from infra.offline import run_program
from plan import SECRET_PLACEHOLDER, Plan
from policy.rules import POSTGRES_REQUIRED_FLAGS
from tests.components.private_services import NETWORK_ID, after_api, private_services_connection

INSTANCE = types.SQL_INSTANCE
DATABASE = types.SQL_DATABASE
USER = types.SQL_USER
CONNECTION = types.SERVICE_NETWORKING_CONNECTION
LABELS = {"team": "ml-platform", "environment": "prod"}


def plan_database(gate_on_api: bool = False, password: pulumi.Input[str] | None = None, **choices: Any) -> Plan:
    """One database component on a VPC with its private services connection; `choices` override the args."""

    def program() -> None:
        opts = after_api("sqladmin-api", "sqladmin.googleapis.com") if gate_on_api else None
        connection = private_services_connection()
        settings: dict[str, Any] = {
            "region": "us-central1",
            "version": "POSTGRES_16",
            "edition": "ENTERPRISE",
            "tier": "db-custom-1-3840",
            "availability": "ZONAL",
            "disk_size_gb": 10,
            "deletion_protection": False,
            **choices,
            "backup": BackupArgs(
                enabled=choices.get("backups", True),
                point_in_time_recovery=choices.get("point_in_time_recovery", False),
            ),
            "maintenance": MaintenanceWindow(
                day=choices.get("maintenance_day", 7), hour=choices.get("maintenance_hour", 3)
            ),
        }
        for flat in ("backups", "point_in_time_recovery", "maintenance_day", "maintenance_hour"):
            settings.pop(flat, None)
        database = PostgresDatabase(
            "db",
            PostgresDatabaseArgs(
                network_id=NETWORK_ID,
                private_services_connection=connection,
                password=password if password is not None else pulumi.Output.secret("db-password-value"),
                labels=LABELS,
                **settings,
            ),
            opts=opts,
        )
        pulumi.export("connection_name", database.connection_name)
        pulumi.export("private_ip", database.private_ip)
        pulumi.export("database_name", database.database_name)
        pulumi.export("user_name", database.user_name)

    return run_program(program, config={"gcp:project": "my-project"})


def settings(plan: Plan) -> dict[str, Any]:
    return plan.one(INSTANCE).inputs["settings"]


def test_instance_has_no_public_ip_only_a_private_one_on_the_given_network() -> None:
    ip_configuration = settings(plan_database())["ipConfiguration"]

    assert ip_configuration["ipv4Enabled"] is False
    assert ip_configuration["privateNetwork"] == "projects/p/global/networks/vpc"
    assert "authorizedNetworks" not in ip_configuration


def test_instance_is_created_only_after_the_private_services_connection() -> None:
    plan = plan_database()

    assert plan.one(CONNECTION).urn in plan.one(INSTANCE).dependencies


def test_connections_must_use_ssl() -> None:
    assert settings(plan_database())["ipConfiguration"]["sslMode"] == "ENCRYPTED_ONLY"


def test_version_edition_tier_and_disk_come_from_the_args() -> None:
    plan = plan_database(
        version="POSTGRES_15", edition="ENTERPRISE_PLUS", tier="db-perf-optimized-N-2", disk_size_gb=50
    )

    instance = plan.one(INSTANCE).inputs
    assert instance["databaseVersion"] == "POSTGRES_15"
    assert instance["region"] == "us-central1"
    assert (instance["settings"]["edition"], instance["settings"]["tier"]) == (
        "ENTERPRISE_PLUS",
        "db-perf-optimized-N-2",
    )
    assert instance["settings"]["diskSize"] == 50


@pytest.mark.parametrize("availability", ["ZONAL", "REGIONAL"])
def test_availability_is_what_was_asked(availability: str) -> None:
    assert settings(plan_database(availability=availability))["availabilityType"] == availability


def test_point_in_time_recovery_keeps_seven_days_of_transaction_logs_on_top_of_backups() -> None:
    backup = settings(plan_database(point_in_time_recovery=True))["backupConfiguration"]

    assert backup["enabled"] is True
    assert backup["pointInTimeRecoveryEnabled"] is True
    assert backup["transactionLogRetentionDays"] == 7


def test_without_point_in_time_recovery_no_transaction_log_retention_is_set() -> None:
    backup = settings(plan_database(point_in_time_recovery=False))["backupConfiguration"]

    assert backup["pointInTimeRecoveryEnabled"] is False
    assert "transactionLogRetentionDays" not in backup


@pytest.mark.parametrize("protected", [True, False])
def test_deletion_protection_sets_both_pulumis_and_googles_flag(protected: bool) -> None:
    instance = plan_database(deletion_protection=protected).one(INSTANCE).inputs

    assert instance["deletionProtection"] is protected
    assert instance["settings"]["deletionProtectionEnabled"] is protected


def test_the_user_is_abandoned_on_delete_because_cloud_sql_cannot_drop_a_role_that_owns_tables() -> None:
    for protected in (False, True):
        assert plan_database(deletion_protection=protected).one(USER).inputs["deletionPolicy"] == "ABANDON"


def test_the_database_is_protected_with_the_instance_and_otherwise_left_to_go_with_it() -> None:
    assert plan_database(deletion_protection=True).one(DATABASE).inputs["deletionPolicy"] == "PREVENT"
    assert plan_database(deletion_protection=False).one(DATABASE).inputs["deletionPolicy"] == "ABANDON"


def test_cis_logging_flags_meet_what_the_policy_pack_requires() -> None:
    flags = {flag["name"]: flag["value"] for flag in settings(plan_database())["databaseFlags"]}

    required = POSTGRES_REQUIRED_FLAGS
    unmet = {name: flags.get(name) for name, allowed in required.items() if flags.get(name) not in allowed}
    assert unmet == {}


def test_maintenance_window_is_the_day_and_hour_asked() -> None:
    window = settings(plan_database(maintenance_day=2, maintenance_hour=5))["maintenanceWindow"]

    assert (window["day"], window["hour"]) == (2, 5)


def test_labels_are_the_instances_user_labels() -> None:
    assert settings(plan_database())["userLabels"] == LABELS


def test_database_and_user_are_created_on_the_instance() -> None:
    plan = plan_database()

    instance = plan.one(INSTANCE)
    database = plan.one(DATABASE)
    user = plan.one(USER)
    assert database.inputs["name"] == "inference"
    assert user.inputs["name"] == "inference"
    assert instance.urn in database.dependencies
    assert instance.urn in user.dependencies
    assert database.urn in user.dependencies


def test_user_password_never_reaches_the_plan_in_plain_text() -> None:
    plan = plan_database(password="a-plain-string-password")

    assert plan.one(USER).inputs["password"] == SECRET_PLACEHOLDER
    assert "a-plain-string-password" not in json.dumps(plan.to_dict(include_outputs=True))


def test_outputs_are_what_a_client_needs_to_connect() -> None:
    outputs = plan_database().outputs

    assert outputs["connection_name"].startswith("my-project:us-central1:")
    assert outputs["private_ip"].startswith("10.")
    assert (outputs["database_name"], outputs["user_name"]) == ("inference", "inference")


def test_every_child_waits_for_what_the_component_depends_on() -> None:
    plan = plan_database(gate_on_api=True)

    api_urn = plan.one("gcp:projects/service:Service").urn
    children = plan.children_of(plan.one("inference:database:PostgresDatabase"))
    assert {child.type for child in children} == {INSTANCE, DATABASE, USER}
    assert [child.name for child in children if api_urn not in child.dependencies] == []


def test_point_in_time_recovery_without_backups_is_refused_beside_the_field() -> None:
    with pytest.raises(ArgsError) as refused:
        BackupArgs(enabled=False, point_in_time_recovery=True)
    (problem,) = refused.value.problems
    assert (problem.field, problem.message) == ("point_in_time_recovery", "point-in-time recovery needs backups: true")


@pytest.mark.parametrize(("day", "hour", "message"), [(0, 3, "day 0"), (8, 3, "day 8"), (7, 24, "hour 24")])
def test_a_maintenance_window_outside_the_week_or_the_day_is_refused(day: int, hour: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MaintenanceWindow(day=day, hour=hour)


def test_a_tier_the_edition_does_not_take_is_refused_beside_the_field() -> None:
    with pytest.raises(ArgsError) as refused:
        plan_database(edition="ENTERPRISE_PLUS", tier="db-custom-2-7680", disk_size_gb=5)
    assert [problem.field for problem in refused.value.problems] == ["tier", "disk_size_gb"]
