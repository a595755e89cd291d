"""What the whole-stack tests share: the inventories (data files in inventories/) and the mocks' secret values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from facts.types import RANDOM_PASSWORD, REDIS_INSTANCE
from plan import Plan
from tests.engine_values import engine_output

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


def mock_secret_values(plan: Plan, project: str) -> list[str]:
    """The values the offline engine gives every generated password and every Redis AUTH string in this plan."""
    generated = [(resource, "result") for resource in plan.of_type(RANDOM_PASSWORD)]
    auth_strings = [(resource, "authString") for resource in plan.of_type(REDIS_INSTANCE)]
    return [engine_output(resource, output, project) for resource, output in [*generated, *auth_strings]]
