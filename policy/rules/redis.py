"""Memorystore for Redis: AUTH, TLS, and the stack's own network."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facts.types import REDIS_INSTANCE
from policy.rules.registry import Level, RuleSet

RULES = RuleSet()


@RULES.rule("redis-auth", Level.MANDATORY, "Memorystore Redis requires AUTH.", "CKV_GCP_95").on(REDIS_INSTANCE)
def redis_auth(props: Mapping[str, Any]) -> list[str]:
    return [] if props.get("authEnabled") is True else ["authEnabled must be true"]


@RULES.rule(
    "redis-tls",
    Level.MANDATORY,
    "Memorystore Redis encrypts traffic in transit.",
    "CKV_GCP_97",
).on(REDIS_INSTANCE)
def redis_tls(props: Mapping[str, Any]) -> list[str]:
    mode = props.get("transitEncryptionMode")
    if mode == "SERVER_AUTHENTICATION":
        return []
    return [f"transitEncryptionMode is {mode!r}; expected 'SERVER_AUTHENTICATION'"]


@RULES.rule(
    "redis-private-network",
    Level.ADVISORY,
    "Memorystore Redis is attached to the stack's own VPC, not the default network.",
    "security baseline: Memorystore private connectivity",
).on(REDIS_INSTANCE)
def redis_private_network(props: Mapping[str, Any]) -> list[str]:
    network = props.get("authorizedNetwork")
    if network and not str(network).endswith("/default") and network != "default":
        return []
    return [f"authorizedNetwork is {network!r}: attach the instance to the stack's VPC"]
