"""The provider that serves the package's components: Pulumi's component provider, which infers the schema from
the components' annotations, with the config's and the Args' refusals answered as bad inputs rather than as a
crash with a traceback."""

import re
from typing import Any

import pulumi
from pulumi.errors import InputPropertiesError
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError

from components.validation import ArgsError
from infra.config import NAMESPACE, ConfigError
from infra.package import PACKAGE_NAME, PACKAGE_VERSION
from infra.package.blocks import BLOCKS
from infra.package.service import PLACEMENT_KEYS, InferenceService

COMPONENTS: list[type[pulumi.ComponentResource]] = [InferenceService, *BLOCKS]


class PackageProvider(ComponentProvider):
    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        try:
            return super().construct(name, resource_type, inputs, options)
        except ComponentInitError as error:
            # The server answers InputPropertiesError with INVALID_ARGUMENT, the message and one error per
            # property; anything else it reports with the component's traceback.
            invalid = error.inner
            if isinstance(invalid, ConfigError):
                raise InputPropertiesError(
                    f"invalid args of {resource_type} {name}:\n{invalid}",
                    [{"property_path": _property_path(problem), "reason": problem} for problem in invalid.messages],
                ) from None
            if isinstance(invalid, ArgsError):
                raise InputPropertiesError(
                    f"invalid args of {resource_type} {name}: {invalid}",
                    [
                        {"property_path": camel_case(problem.field), "reason": f"{problem.value!r}: {problem.message}"}
                        for problem in invalid.problems
                    ],
                ) from None
            raise


# A config problem reads `<where>: <key> = <value>: <rule>` or `<where>: <key>: <rule>` (infra/config/problems.py).
_PROBLEM_KEY = re.compile(r"^[^:]+: (?P<key>[\w.:\[\]-]+)(?: = |: )")


def _property_path(problem: str) -> str:
    """The arg a config problem is about: `inference:service.memory` is `service.memory`, `gcp:project` is
    `project`; empty where the problem names no key (the name, as the stack's name, breaks a naming rule)."""
    match = _PROBLEM_KEY.match(problem)
    if match is None:
        return ""
    key = match["key"]
    placement = {stack_key: arg for arg, stack_key in PLACEMENT_KEYS.items()}
    return placement.get(key, key.removeprefix(f"{NAMESPACE}:"))


def package_provider() -> PackageProvider:
    return PackageProvider(COMPONENTS, PACKAGE_NAME, None, PACKAGE_VERSION)


def component_token(component: type[Any]) -> str:
    return f"{PACKAGE_NAME}:index:{component.__name__}"
