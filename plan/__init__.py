"""The one plan model every consumer reads, and its readers.

A plan is what one run of the program registers: each resource's URN, type, name, parent, inputs (in the
engine's camelCase form) and dependencies. The offline engine (infra/offline) produces it; `pulumi preview
--json` and `pulumi stack export` files are read into the same shape. costs/, policy/, lifecycle, changes and
the manifests code take a Plan and never import the engine.
"""

from plan.model import Plan, PlannedResource, StackPlanner, lookup
from plan.readers import PlanFormatError, plan_from_dict, plan_from_preview, plan_from_state, read_json, read_plan_file
from plan.wire import SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER

__all__ = [
    "SECRET_PLACEHOLDER",
    "UNKNOWN_PLACEHOLDER",
    "Plan",
    "PlanFormatError",
    "PlannedResource",
    "StackPlanner",
    "lookup",
    "plan_from_dict",
    "plan_from_preview",
    "plan_from_state",
    "read_json",
    "read_plan_file",
]
