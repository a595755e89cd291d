"""What the whole-stack tests share: the inventories (data files in inventories/) and the secret-leak check."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from facts.types import RANDOM_PASSWORD, REDIS_INSTANCE
from plan import Plan
from tests.engine_values import engine_output
from tests.stack_files import stack_config

INVENTORY_DIR = Path(__file__).resolve().parent / "inventories"


@dataclass(frozen=True)
class Inventory:
    """What `pulumi up` creates for a stack: the APIs it enables and its resources by type."""

    apis: frozenset[str]
    resources: dict[str, int]


def inventory(platform: str, stack: str | None = None) -> Inventory:
    """The inventory of a stack on this platform (cloudrun, gke): common.yaml plus the platform's own file, plus
    what the platform file's `stacks:` entry for this stack adds (counts add). Without a stack: every stack's
    additions, so that every type some stack of the platform creates is there."""
    common = yaml.safe_load((INVENTORY_DIR / "common.yaml").read_text())
    own = yaml.safe_load((INVENTORY_DIR / f"{platform}.yaml").read_text())
    assert not common["resources"].keys() & own["resources"].keys(), f"{platform}.yaml repeats common types"
    per_stack = own.get("stacks", {})
    additions = list(per_stack.values()) if stack is None else [per_stack.get(stack, {})]
    apis = set(common["apis"] + own["apis"])
    resources = {**common["resources"], **own["resources"]}
    for addition in additions:
        apis.update(addition.get("apis", []))
        for resource_type, count in addition.get("resources", {}).items():
            resources[resource_type] = resources.get(resource_type, 0) + count
    return Inventory(frozenset(apis), resources)


def expected_labels(plan: Plan) -> dict[str, str]:
    """The labels every labelled resource of the stack carries: the stack file's own plus the three always set."""
    config = stack_config(plan.stack)
    return {
        **config["inference:labels"],
        "environment": config["inference:environment"],
        "stack": plan.stack,
        "managed-by": "pulumi",
    }


def leaked_secrets(plan: Plan) -> list[str]:
    """The generated passwords and Redis AUTH strings (four in every stack) that appear anywhere in the plan."""
    project = stack_config(plan.stack)["gcp:project"]
    generated = [(resource, "result") for resource in plan.of_type(RANDOM_PASSWORD)]
    auth_strings = [(resource, "authString") for resource in plan.of_type(REDIS_INSTANCE)]
    secret_values = [engine_output(resource, output, project) for resource, output in [*generated, *auth_strings]]
    assert len(secret_values) == 4
    whole_plan = json.dumps(plan.to_dict(include_outputs=True))
    return [value for value in secret_values if value in whole_plan]
