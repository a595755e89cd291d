"""Cloud SQL: private IP only, encrypted connections, backups, the CIS flags; in prod, protection and PITR."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facts.types import SQL_INSTANCE
from plan import lookup
from policy.rules.labels import is_prod
from policy.rules.registry import Level, RuleSet, items

RULES = RuleSet()

POSTGRES_REQUIRED_FLAGS: Mapping[str, tuple[str, ...]] = {
    "log_connections": ("on",),
    "log_disconnections": ("on",),
    "log_min_messages": ("warning", "error", "log", "fatal", "panic"),
    "log_min_error_statement": ("error", "log", "fatal", "panic"),
    "log_min_duration_statement": ("-1",),
    "log_error_verbosity": ("default", "terse"),
    "cloudsql.enable_pgaudit": ("on",),
}
"""CIS GCP 6.2.1-6.2.8: each flag and the values that meet it (severities at or above the required one)."""

SQL_SSL_MODES = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")


@RULES.rule(
    "cloudsql-no-public-ip",
    Level.MANDATORY,
    "Cloud SQL has no public IP and is reached over private service access.",
    "CIS GCP 6.6, 6.2.9; CKV_GCP_60",
).on(SQL_INSTANCE)
def cloudsql_no_public_ip(props: Mapping[str, Any]) -> list[str]:
    ip = lookup(props, "settings.ipConfiguration") or {}
    problems = []
    if ip.get("ipv4Enabled") is not False:
        problems.append("settings.ipConfiguration.ipv4Enabled must be false (unset means a public IP)")
    if not ip.get("privateNetwork"):
        problems.append("settings.ipConfiguration.privateNetwork is not set: no private IP")
    return problems


@RULES.rule(
    "cloudsql-require-ssl",
    Level.MANDATORY,
    "Cloud SQL accepts only encrypted connections.",
    "CIS GCP 6.4; CKV_GCP_6",
).on(SQL_INSTANCE)
def cloudsql_require_ssl(props: Mapping[str, Any]) -> list[str]:
    mode = lookup(props, "settings.ipConfiguration.sslMode")
    if mode in SQL_SSL_MODES:
        return []
    return [f"settings.ipConfiguration.sslMode is {mode!r}; allowed: {', '.join(SQL_SSL_MODES)}"]


@RULES.rule(
    "cloudsql-automated-backups",
    Level.MANDATORY,
    "Cloud SQL takes automated backups.",
    "CIS GCP 6.7; CKV_GCP_14",
).on(SQL_INSTANCE)
def cloudsql_automated_backups(props: Mapping[str, Any]) -> list[str]:
    if lookup(props, "settings.backupConfiguration.enabled") is True:
        return []
    return ["settings.backupConfiguration.enabled must be true"]


@RULES.rule(
    "cloudsql-postgres-flags",
    Level.MANDATORY,
    "Cloud SQL for PostgreSQL sets the CIS logging and pgaudit flags.",
    "CIS GCP 6.2.1-6.2.8; CKV_GCP_51-57, 108-111",
).on(SQL_INSTANCE)
def cloudsql_postgres_flags(props: Mapping[str, Any]) -> list[str]:
    if not str(props.get("databaseVersion", "")).startswith("POSTGRES"):
        return []
    flags = {
        str(flag.get("name")): str(flag.get("value")).lower()
        for flag in items(lookup(props, "settings.databaseFlags"))
        if isinstance(flag, Mapping)
    }
    problems = []
    for name, allowed in POSTGRES_REQUIRED_FLAGS.items():
        if name not in flags:
            problems.append(f"settings.databaseFlags has no '{name}' (expected {' or '.join(allowed)})")
        elif flags[name] not in allowed:
            expected = " or ".join(allowed)
            problems.append(f"settings.databaseFlags '{name}' is '{flags[name]}'; expected {expected}")
    return problems


@RULES.rule(
    "cloudsql-prod-deletion-protection",
    Level.MANDATORY,
    "A prod Cloud SQL instance has both Pulumi's and GCP's deletion protection.",
    "security baseline: deletion protection in prod; pulumi/pulumi#13988",
).on(SQL_INSTANCE)
def cloudsql_prod_deletion_protection(props: Mapping[str, Any]) -> list[str]:
    if not is_prod(SQL_INSTANCE, props):
        return []
    problems = []
    # pulumi-gcp defaults deletionProtection to true, so only an explicit false turns it off.
    if props.get("deletionProtection") is False:
        problems.append("deletionProtection (Pulumi's) is false in prod")
    if lookup(props, "settings.deletionProtectionEnabled") is not True:
        problems.append("settings.deletionProtectionEnabled (GCP's) must be true in prod")
    return problems


@RULES.rule(
    "cloudsql-prod-point-in-time-recovery",
    Level.MANDATORY,
    "A prod Cloud SQL instance has point-in-time recovery.",
    "security baseline: PITR in prod",
).on(SQL_INSTANCE)
def cloudsql_prod_point_in_time_recovery(props: Mapping[str, Any]) -> list[str]:
    if not is_prod(SQL_INSTANCE, props):
        return []
    if lookup(props, "settings.backupConfiguration.pointInTimeRecoveryEnabled") is True:
        return []
    return ["settings.backupConfiguration.pointInTimeRecoveryEnabled must be true in prod"]
