"""Plan a stack offline: the program `pulumi up` runs, under recording mocks, with a plan cache in front.

- `infra.offline.engine`: the recording monitor and `run_program` (imports pulumi);
- `infra.offline.mocks`: the provider stand-ins (deterministic computed outputs);
- `infra.offline.cache`: the plan cache and its cheap key.

A cache hit reads the stack's files and the cached plan, and imports none of pulumi, the config schema or YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.offline.cache import PLAN_CACHE_DIR, BuildPaths, cache_file, cached_plan, store_plan
from infra.stack_file import read_stack_file
from plan import Plan

if TYPE_CHECKING:
    from infra.config import StackConfig
    from infra.offline.engine import run_main, run_program

__all__ = ["PLAN_CACHE_DIR", "plan_stack", "read_stack_file", "run_main", "run_program", "validate_stack"]


def __getattr__(name: str) -> Any:
    # The engine's names load pulumi, so they are imported on first use only.
    if name in ("run_program", "run_main"):
        from infra.offline import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def validate_stack(stack: str, project_dir: Path | None = None) -> StackConfig:
    """Validate a stack file without running anything: raises ConfigError listing every problem."""
    from infra.config import load_stack_config

    project_dir = project_dir or Path.cwd()
    _project, engine_config, _secret_keys = read_stack_file(stack, project_dir)
    return load_stack_config(engine_config, stack_file=f"Pulumi.{stack}.yaml", stack=stack, project_dir=project_dir)


def plan_stack(stack: str, project_dir: Path | None = None, *, cache: bool = True) -> Plan:
    """Validate Pulumi.<stack>.yaml, then run infra/ under recording mocks and return the plan.

    With `cache`, a plan is reused while nothing it depends on has changed (see `cache.cache_key`): importing
    pulumi-gcp's compute module alone takes seconds, and CI plans every stack several times (plan, check, cost).
    A plan is only ever cached after its stack validated, from exactly the inputs in the key (the files, and the
    build paths the validation found on disk), so a hit needs neither the validation nor the engine.
    """
    project_dir = (project_dir or Path.cwd()).resolve()
    stored_at = cache_file(stack, project_dir) if cache else None
    if stored_at is not None and (hit := cached_plan(stored_at, project_dir)) is not None:
        return hit
    from infra.config import load_stack_config
    from infra.offline import engine

    project, engine_config, secret_keys = read_stack_file(stack, project_dir)
    image = load_stack_config(
        engine_config, stack_file=f"Pulumi.{stack}.yaml", stack=stack, project_dir=project_dir
    ).image
    plan = engine.run_program(
        lambda: engine.run_main(project_dir),
        project=project,
        stack=stack,
        config=engine_config,
        secret_keys=secret_keys,
    )
    if stored_at is not None:
        build_paths = None if image.prebuilt is not None else BuildPaths(image.context, image.dockerfile)
        store_plan(stored_at, stack, plan, project_dir, build_paths)
    return plan
