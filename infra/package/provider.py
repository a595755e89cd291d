"""The provider that serves the package's components: Pulumi's component provider, which infers the schema from
the components' annotations, with config errors answered as bad inputs rather than as a crash with a traceback."""

from typing import Any

import pulumi
from pulumi.errors import InputPropertiesError
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError

from infra.config import ConfigError
from infra.package import PACKAGE_NAME, PACKAGE_VERSION
from infra.package.service import InferenceService

COMPONENTS: list[type[pulumi.ComponentResource]] = [InferenceService]


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
            if isinstance(error.inner, ConfigError):
                # The server turns this into INVALID_ARGUMENT with the message alone; anything else it reports with
                # the component's traceback.
                raise InputPropertiesError(f"invalid args of {resource_type} {name}:\n{error.inner}") from None
            raise


def package_provider() -> PackageProvider:
    return PackageProvider(COMPONENTS, PACKAGE_NAME, None, PACKAGE_VERSION)


def component_token(component: type[Any]) -> str:
    return f"{PACKAGE_NAME}:index:{component.__name__}"
