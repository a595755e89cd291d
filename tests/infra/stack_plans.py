"""What the whole-stack tests share: the inventories (data files in inventories/) and the mocks' secret values."""

from __future__ import annotations

from pathlib import Path

import yaml

from facts.types import RANDOM_PASSWORD, REDIS_INSTANCE
from plan import Plan
from tests.engine_values import engine_output

INVENTORY_DIR = Path(__file__).resolve().parent / "inventories"


def inventory(platform: str) -> dict[str, int]:
    """What `pulumi up` creates for a stack on this platform (cloudrun, gke), by type: common.yaml plus its own."""
    common = yaml.safe_load((INVENTORY_DIR / "common.yaml").read_text())
    own = yaml.safe_load((INVENTORY_DIR / f"{platform}.yaml").read_text())
    assert not common.keys() & own.keys(), f"{platform}.yaml repeats types of common.yaml"
    return {**common, **own}


def mock_secret_values(plan: Plan, project: str) -> list[str]:
    """The values the offline engine gives every generated password and every Redis AUTH string in this plan."""
    generated = [(resource, "result") for resource in plan.of_type(RANDOM_PASSWORD)]
    auth_strings = [(resource, "authString") for resource in plan.of_type(REDIS_INSTANCE)]
    return [engine_output(resource, output, project) for resource, output in [*generated, *auth_strings]]
