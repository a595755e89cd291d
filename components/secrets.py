"""Secrets generated with pulumi-random and kept in Secret Manager; values never leave as plain outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from components._options import child_options
from components.app_runtime import SecretEnv
from components.naming import fit_name
from facts.gcp import SECRET_ID


@dataclass(frozen=True, kw_only=True)
class SecretsArgs:
    """Secret Manager secrets, generated or provided, one version each."""

    generated: Mapping[str, int]
    """Secrets to generate: short name (e.g. `db-password`) → length in characters."""
    labels: Mapping[str, str]
    """Labels for every secret."""
    deletion_protection: bool = False
    """Refuse to delete the secrets (prod): a destroy or a replacement would lose the values."""
    provided: Mapping[str, pulumi.Input[str]] | None = None
    """Secrets whose value another resource produced (e.g. Memorystore's AUTH string): short name → value."""


def _stored_secret(
    name: str,
    secret_id: str,
    value: pulumi.Input[str],
    labels: Mapping[str, str],
    deletion_protection: bool,
    opts: pulumi.ResourceOptions,
) -> tuple[gcp.secretmanager.Secret, gcp.secretmanager.SecretVersion]:
    secret = gcp.secretmanager.Secret(
        f"{name}-secret",
        secret_id=secret_id,
        replication=gcp.secretmanager.SecretReplicationArgs(auto=gcp.secretmanager.SecretReplicationAutoArgs()),
        labels=dict(labels),
        deletion_protection=deletion_protection,
        opts=opts,
    )
    version = gcp.secretmanager.SecretVersion(
        f"{name}-version",
        secret=secret.id,
        secret_data=pulumi.Output.secret(value),
        opts=opts,
    )
    return secret, version


class Secrets(pulumi.ComponentResource):
    """A set of Secret Manager secrets, each with one version; ids are `<component name>-<short name>` (fitted)."""

    secret_ids: dict[str, pulumi.Output[str]]
    """Short name → the secret's id (`projects/<p>/secrets/<id>`), for IAM bindings and references."""
    values: dict[str, pulumi.Output[str]]
    """Short name → the value, always a Pulumi secret (for resources that need the value itself)."""
    versions: dict[str, pulumi.Output[str]]
    """Short name → the number of the version holding the value (a new value is a new version)."""

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:secrets:Secrets", name, None, opts)
        child = child_options(self, opts)
        self.secret_ids = {}
        self.values = {}
        self.versions = {}

        for short_name, length in args.generated.items():
            password = random.RandomPassword(
                f"{name}-{short_name}",
                length=length,
                special=False,
                min_lower=2,
                min_upper=2,
                min_numeric=2,
                opts=child,
            )
            self._store(name, short_name, password.result, args, child)
        for short_name, value in (args.provided or {}).items():
            self._store(name, short_name, value, args, child)

        self.register_outputs({"secret_ids": self.secret_ids})

    def _store(
        self,
        name: str,
        short_name: str,
        value: pulumi.Input[str],
        args: SecretsArgs,
        opts: pulumi.ResourceOptions,
    ) -> None:
        secret_id = fit_name(f"{name}-{short_name}", SECRET_ID)
        secret, version = _stored_secret(
            f"{name}-{short_name}", secret_id, value, args.labels, args.deletion_protection, opts
        )
        self.secret_ids[short_name] = secret.id
        self.versions[short_name] = version.version
        self.values[short_name] = pulumi.Output.secret(value)

    def secret_env(self, short_name: str) -> SecretEnv:
        """The secret as an environment variable's source: its id, its pinned version and its value."""
        return SecretEnv(
            name=short_name,
            stored_in=self,
            secret_id=self.secret_ids[short_name],
            version=self.versions[short_name],
            value=self.values[short_name],
        )
