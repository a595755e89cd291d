"""The values the offline engine gives a resource's outputs, learnt the way any program learns them.

Tests that prove a generated secret never reaches a plan need the secret itself. They register a resource
like the one in the plan (same type, name and inputs) in a probe program of their own and export the output
in the clear, so they depend on the engine's public behaviour (the same resource gets the same values), not
on how its stand-ins are made.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra.offline import run_program
from plan import PlannedResource


def engine_output(resource: PlannedResource, output: str, project: str) -> Any:
    """What the offline engine returns as `output` of a resource like this one."""

    def probe() -> None:
        twin = pulumi.CustomResource(resource.type, resource.name, {output: None, **resource.inputs})
        pulumi.export(output, pulumi.Output.unsecret(getattr(twin, output)))

    return run_program(probe, config={"gcp:project": project}).outputs[output]
