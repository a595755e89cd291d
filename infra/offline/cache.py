"""The plan cache: a plan is reused while nothing it depends on has changed.

The key is cheap by design, so that a hit costs little more than reading the cached JSON: the bytes of the
project and stack files and of the program's sources (infra, components, facts, plan), the Python version, and
the versions of the SDKs the program runs on, read from their wheels' `.dist-info` folder names (one directory
listing) rather than through `importlib.metadata`. Nothing of pulumi, pydantic or YAML is imported to compute it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from plan import Plan

PLAN_CACHE_DIR = Path(".cache") / "plans"
PROGRAM_PACKAGES = ("infra", "components", "facts", "plan")
# The distributions whose code runs while planning, by the module each installs.
SDK_DISTRIBUTIONS = {
    "pulumi": "pulumi",
    "pulumi_gcp": "pulumi_gcp",
    "pulumi_docker": "pulumi_docker",
    "pulumi_kubernetes": "pulumi_kubernetes",
    "pulumi_random": "pulumi_random",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic_core",
}


def sdk_versions() -> dict[str, str]:
    """Each SDK distribution's installed version ("absent" when it is not installed)."""
    listings: dict[Path, list[str]] = {}
    versions: dict[str, str] = {}
    for module, distribution in SDK_DISTRIBUTIONS.items():
        spec = importlib.util.find_spec(module)
        versions[distribution] = "absent"
        if spec is None or spec.origin is None:
            continue
        site_packages = Path(spec.origin).parent.parent
        if site_packages not in listings:
            listings[site_packages] = os.listdir(site_packages)
        prefix = f"{distribution}-"
        for entry in listings[site_packages]:
            if entry.endswith(".dist-info") and entry.lower().startswith(prefix):
                version = entry[len(prefix) : -len(".dist-info")]
                if "-" not in version:
                    versions[distribution] = version
    return versions


def program_sources(project_dir: Path) -> list[Path]:
    sources: list[Path] = []
    for package in PROGRAM_PACKAGES:
        for directory, folders, files in os.walk(project_dir / package):
            folders[:] = sorted(folder for folder in folders if folder != "__pycache__")
            sources.extend(Path(directory, name) for name in sorted(files) if name.endswith(".py"))
    return sources


def cache_key(stack: str, project_dir: Path) -> str:
    """Everything a plan depends on: the program's source, the project and stack files, the SDK versions."""
    digest = hashlib.sha256(sys.version.encode())
    digest.update(json.dumps(sdk_versions(), sort_keys=True).encode())
    for source in [project_dir / "Pulumi.yaml", project_dir / f"Pulumi.{stack}.yaml", *program_sources(project_dir)]:
        digest.update(str(source.relative_to(project_dir)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:20]


def cache_file(stack: str, project_dir: Path) -> Path | None:
    """Where this stack's plan is cached under the current key; None when its files cannot be read."""
    try:
        key = cache_key(stack, project_dir)
    except OSError:
        return None
    return project_dir / PLAN_CACHE_DIR / f"{stack}-{key}.json"


def cached_plan(path: Path) -> Plan | None:
    try:
        return Plan.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None  # a cache file cut short or from another layout: plan afresh and overwrite it


def store_plan(path: Path, stack: str, plan: Plan) -> None:
    """Write the plan under its key and drop the stack's older plans."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{stack}-*.json"):
        stale.unlink()
    path.write_text(json.dumps(plan.to_dict(include_outputs=True)))
