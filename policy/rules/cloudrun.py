"""Cloud Run: its own service account, secrets by reference, no public invoker, explicit ingress."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from facts.types import CLOUD_RUN_IAM_BINDING, CLOUD_RUN_IAM_MEMBER, CLOUD_RUN_SERVICE
from plan import SECRET_PLACEHOLDER, lookup
from policy.rules.registry import Level, RuleSet, is_default_compute_account, items

RULES = RuleSet()

PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
SECRET_LIKE_ENV_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIAL)S?$")


@RULES.rule(
    "cloudrun-dedicated-service-account",
    Level.MANDATORY,
    "The Cloud Run service runs as its own service account.",
    "security baseline: Cloud Run dedicated runtime service account",
).on(CLOUD_RUN_SERVICE)
def cloudrun_dedicated_service_account(props: Mapping[str, Any]) -> list[str]:
    account = lookup(props, "template.serviceAccount")
    if not is_default_compute_account(account):
        return []
    return [f"template.serviceAccount is {account!r}: the default compute service account"]


@RULES.rule(
    "cloudrun-secrets-from-secret-manager",
    Level.MANDATORY,
    "Cloud Run reads secrets as Secret Manager references, never as plain environment values.",
    "security baseline: secrets as Secret Manager references",
).on(CLOUD_RUN_SERVICE)
def cloudrun_secrets_from_secret_manager(props: Mapping[str, Any]) -> list[str]:
    problems = []
    for index, container in enumerate(items(lookup(props, "template.containers"))):
        for env in items(lookup(container, "envs")):
            if not isinstance(env, Mapping) or env.get("value") is None:
                continue
            name = str(env.get("name", ""))
            where = f"template.containers[{index}].envs {name}"
            if env.get("value") == SECRET_PLACEHOLDER:
                problems.append(f"{where} holds a secret as a plain value: use valueSource.secretKeyRef")
            elif SECRET_LIKE_ENV_NAME.search(name.upper()):
                problems.append(f"{where} is named like a secret but is a plain value: use valueSource.secretKeyRef")
    return problems


public_invoker = RULES.rule(
    "cloudrun-no-public-invoker",
    Level.MANDATORY,
    "The Cloud Run service is not invocable by allUsers or allAuthenticatedUsers.",
    "security baseline: public invocation only when the stack says so",
)


@public_invoker.on(CLOUD_RUN_SERVICE)
def service_keeps_invoker_iam(props: Mapping[str, Any]) -> list[str]:
    disabled = props.get("invokerIamDisabled") is True
    return ["invokerIamDisabled is true: anyone can invoke the service"] if disabled else []


@public_invoker.on(CLOUD_RUN_IAM_MEMBER)
def member_is_not_public(props: Mapping[str, Any]) -> list[str]:
    member = props.get("member")
    return [f"member is '{member}' (role {props.get('role')})"] if member in PUBLIC_MEMBERS else []


@public_invoker.on(CLOUD_RUN_IAM_BINDING)
def binding_has_no_public_member(props: Mapping[str, Any]) -> list[str]:
    public = [member for member in items(props.get("members")) if member in PUBLIC_MEMBERS]
    return [f"members include '{member}' (role {props.get('role')})" for member in public]


@RULES.rule(
    "cloudrun-explicit-ingress",
    Level.ADVISORY,
    "The Cloud Run service sets its ingress explicitly.",
    "security baseline: ingress setting explicit",
).on(CLOUD_RUN_SERVICE)
def cloudrun_explicit_ingress(props: Mapping[str, Any]) -> list[str]:
    return [] if props.get("ingress") else ["ingress is not set (the API default admits all traffic)"]
