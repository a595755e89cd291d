"""The rules as CrossGuard policies: one Resource- or StackValidationPolicy per rule, running the same function."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.rules import RULES, STACK_RULES, Declared, Rule, StackRule
from policy.stack_policy import EXEMPT_RESOURCES_KEY, REASON_KEY, exempt_resources

PACK_NAME = "inference-security-baseline"

CONFIG_SCHEMA_PROPERTIES: dict[str, dict[str, Any]] = {
    EXEMPT_RESOURCES_KEY: {"type": "array", "items": {"type": "string"}},
    REASON_KEY: {"type": "string"},
}


def _validation(rule: Rule) -> ResourceValidation:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.name in exempt_resources(args.get_config()):
            return
        for message in rule.check(args.resource_type, args.props):
            report_violation(message, None)

    return validate


def _stack_validation(rule: StackRule) -> StackValidation:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        exempt = exempt_resources(args.get_config())
        urns = {resource.name: resource.urn for resource in args.resources}
        declared = [Declared(resource.resource_type, resource.name, resource.props) for resource in args.resources]
        for name, message in rule.check(declared):
            if name not in exempt:
                report_violation(message, urns[name])

    return validate


def _policy_fields(rule: Rule | StackRule) -> dict[str, Any]:
    """What a CrossGuard policy says of a rule, resource and stack rules alike."""
    return {
        "name": rule.name,
        "description": f"{rule.description} ({rule.reference})",
        "enforcement_level": EnforcementLevel(rule.level.value),
        "config_schema": PolicyConfigSchema(properties=CONFIG_SCHEMA_PROPERTIES),
    }


def to_stack_policy(rule: StackRule) -> StackValidationPolicy:
    return StackValidationPolicy(validate=_stack_validation(rule), **_policy_fields(rule))


def to_policy(rule: Rule) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(validate=_validation(rule), **_policy_fields(rule))


def build_policies(rules: Iterable[Rule] = RULES, stack_rules: Iterable[StackRule] = STACK_RULES) -> list[Policy]:
    return [*map(to_policy, rules), *map(to_stack_policy, stack_rules)]
