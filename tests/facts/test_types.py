"""facts.types spells every resource type the program creates, and only the few more the policy pack reads."""

from __future__ import annotations

from facts import types
from tests.infra.stack_plans import inventory

TOKENS = {value for name, value in vars(types).items() if name.isupper() and not value.endswith(":")}


def test_every_resource_type_a_stack_creates_has_its_token() -> None:
    created = {token for platform in ("cloudrun", "gke") for token in inventory(platform).resources}
    components = {token for token in created if token.startswith("inference:")}

    assert created - components <= TOKENS


def test_the_tokens_no_stack_creates_are_those_the_policy_pack_checks_or_the_pricers_price() -> None:
    created = {token for platform in ("cloudrun", "gke") for token in inventory(platform).resources}

    assert TOKENS - created == {
        types.CLOUD_RUN_IAM_MEMBER,
        types.CLOUD_RUN_IAM_BINDING,
        types.K8S_POD,
        types.K8S_STATEFUL_SET,
        types.K8S_DAEMON_SET,
        types.K8S_JOB,
        types.K8S_CRON_JOB,
        types.ADDRESS,
        types.FORWARDING_RULE,
        types.GLOBAL_FORWARDING_RULE,
        types.VPC_ACCESS_CONNECTOR,
        types.MONITORING_UPTIME_CHECK,  # only a public service has one; no shipped stack is public
        # Only a stack with an entry point creates these (tests/entry_stacks.py); no shipped stack has one.
        types.MANAGED_SSL_CERTIFICATE,
        types.SECURITY_POLICY,
        types.SSL_POLICY,
        types.K8S_GATEWAY,
        types.K8S_HTTP_ROUTE,
        types.K8S_HEALTH_CHECK_POLICY,
        types.K8S_GCP_BACKEND_POLICY,
        types.K8S_GCP_GATEWAY_POLICY,
    }
