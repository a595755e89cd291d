"""The plan cache: a plan is reused while nothing it depends on has changed.

The key is cheap by design, so that a hit costs little more than reading the cached JSON: the bytes of the
project and stack files and of the program's sources (infra, components, facts, plan), the Python version, and
the versions of the SDKs the program runs on, read from their wheels' `.dist-info` folder names (one directory
listing) rather than through `importlib.metadata`. Nothing of pulumi, pydantic or YAML is imported to compute it.

Validation also reads the disk beyond those files: a built image's `context` folder and Dockerfile must exist.
Their paths come from the stack file, which a hit does not parse, so each cached plan records the paths its
validation checked, and the key is completed on a hit by whether they still exist and the Dockerfile's bytes:
a plan whose Dockerfile was deleted or edited is planned (and validated) afresh.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import NamedTuple

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


class BuildPaths(NamedTuple):
    """The image's build context and Dockerfile, relative to the project folder."""

    context: str
    dockerfile: str


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
            # A virtualenv inside a package (the one Pulumi creates for infra/package) is not the program's source.
            folders[:] = sorted(
                folder
                for folder in folders
                if folder != "__pycache__" and not Path(directory, folder, "pyvenv.cfg").is_file()
            )
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


def build_inputs_digest(project_dir: Path, build_paths: BuildPaths | None) -> str:
    """What of the disk the validation checked: the image's context folder and Dockerfile (none for a prebuilt)."""
    digest = hashlib.sha256()
    if build_paths is not None:
        context, dockerfile = project_dir / build_paths.context, project_dir / build_paths.dockerfile
        digest.update(json.dumps([build_paths.context, context.is_dir(), build_paths.dockerfile]).encode())
        digest.update(dockerfile.read_bytes() if dockerfile.is_file() else b"\0no Dockerfile")
    return digest.hexdigest()[:20]


def cache_file(stack: str, project_dir: Path) -> Path | None:
    """Where this stack's plan is cached under the current key; None when its files cannot be read."""
    try:
        key = cache_key(stack, project_dir)
    except OSError:
        return None
    return project_dir / PLAN_CACHE_DIR / f"{stack}-{key}.json"


def cached_plan(path: Path, project_dir: Path) -> Plan | None:
    try:
        entry = json.loads(path.read_text())
        paths = entry["build_paths"]
        build_paths = None if paths is None else BuildPaths(paths["context"], paths["dockerfile"])
        if entry["build_inputs"] != build_inputs_digest(project_dir, build_paths):
            return None
        return Plan.from_dict(entry["plan"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None  # a cache file cut short or from another layout: plan afresh and overwrite it


def store_plan(path: Path, stack: str, plan: Plan, project_dir: Path, build_paths: BuildPaths | None) -> None:
    """Write the plan under its key, with the build paths its validation checked; drop the stack's older plans."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{stack}-*.json"):
        stale.unlink()
    entry = {
        "build_paths": None if build_paths is None else build_paths._asdict(),
        "build_inputs": build_inputs_digest(project_dir, build_paths),
        "plan": plan.to_dict(include_outputs=True),
    }
    path.write_text(json.dumps(entry))
