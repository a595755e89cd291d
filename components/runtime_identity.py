"""The one IAM shape of a workload: its own service account, allowed to read exactly the secrets it is given.

Not a component: the account and its bindings are children of the consumer (the Cloud Run service, the Kubernetes
workload), which is what they belong to and what must wait for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from components.app_runtime import SecretEnv
from components.naming import fit_name
from facts.gcp import SERVICE_ACCOUNT_DISPLAY_NAME, SERVICE_ACCOUNT_ID_NAME

SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"  # noqa: S105 - a role name, not a secret


@dataclass(frozen=True, kw_only=True)
class RuntimeIdentityArgs:
    """The service account a workload runs as."""

    account_id: str
    """The service account's id (the part before `@`), fitted to GCP's rule."""
    display_name: str
    """What the console shows for the account, fitted to GCP's rule."""
    description: str
    """What the account is for."""


@dataclass(frozen=True)
class RuntimeIdentity:
    """A workload's service account and its secret bindings."""

    account: gcp.serviceaccount.Account
    """The service account the workload runs as."""
    secret_access: list[pulumi.Resource]
    """One secretAccessor binding per secret: the workload depends on them so it never starts unable to read."""


def runtime_identity(
    name: str,
    args: RuntimeIdentityArgs,
    secrets: Iterable[SecretEnv],
    parent: pulumi.ComponentResource,
    opts: pulumi.ResourceOptions | None,
) -> RuntimeIdentity:
    """The account `name` and a binding `<name>-<secret>-accessor` per secret, all children of `parent`."""
    account = gcp.serviceaccount.Account(
        name,
        account_id=fit_name(args.account_id, SERVICE_ACCOUNT_ID_NAME),
        display_name=fit_name(args.display_name, SERVICE_ACCOUNT_DISPLAY_NAME),
        description=args.description,
        opts=child_options(parent, opts),
    )
    bindings: list[pulumi.Resource] = [
        gcp.secretmanager.SecretIamMember(
            f"{name}-{secret.name}-accessor",
            secret_id=secret.secret_id,
            role=SECRET_ACCESSOR_ROLE,
            member=account.member,
            # The bindings were children of the component that stores the secret before they moved to their
            # consumer; the alias keeps each existing binding instead of deleting and recreating it.
            opts=child_options(parent, opts).merge(
                pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=secret.stored_in)])
            ),
        )
        for secret in secrets
    ]
    return RuntimeIdentity(account=account, secret_access=bindings)
