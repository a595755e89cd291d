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


def inventory(platform: str) -> Inventory:
    """The inventory of a stack on this platform (cloudrun, gke): common.yaml plus the platform's own file."""
    common = yaml.safe_load((INVENTORY_DIR / "common.yaml").read_text())
    own = yaml.safe_load((INVENTORY_DIR / f"{platform}.yaml").read_text())
    assert not common["resources"].keys() & own["resources"].keys(), f"{platform}.yaml repeats common types"
    return Inventory(frozenset(common["apis"] + own["apis"]), {**common["resources"], **own["resources"]})


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
