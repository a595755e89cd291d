"""The Google APIs a stack needs, enabled once and left enabled on destroy (other stacks may share them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components._options import child_options


@dataclass(frozen=True, kw_only=True)
class ProjectApisArgs:
    """The APIs to enable."""

    services: Sequence[str]
    """API service names, e.g. `run.googleapis.com`."""


class ProjectApis(pulumi.ComponentResource):
    """Enables APIs; depend on this component to create resources only once their API is on."""

    def __init__(self, name: str, args: ProjectApisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:apis:ProjectApis", name, None, opts)
        for service in args.services:
            gcp.projects.Service(
                f"{name}-{service.split('.', 1)[0]}",
                service=service,
                # Disabling an API on destroy would break every other stack in the same project.
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=child_options(self, opts),
            )
        self.register_outputs({"services": list(args.services)})
