"""Stacks with a public entry point, for tests: Pulumi.prod.yaml (or another shipped stack, Pulumi.prod-gke.yaml for
the GKE path) with `entry` set and `service.public: true`, written into a throwaway copy of the project and planned
there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from infra.offline import plan_stack
from plan import Plan

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENTRY = {
    "domain": "api.example.com",
    "dnsZone": None,
    "armor": {
        "requestsPerMinutePerIp": 600,
        "preconfiguredRules": ["sqli-v33-stable", "xss-v33-stable"],
        "allowCidrs": [],
    },
}
# A public service is invocable by allUsers; the policy config says why, as policy/README.md asks.
PUBLIC_INVOKER_EXCEPTION = {
    "cloudrun-no-public-invoker": {
        "enforcementLevel": "advisory",
        "reason": "reached only through the entry point's load balancer (ingress internal-and-load-balancer); "
        "the app authenticates every call with its API keys",
    }
}


def copy_project(destination: Path) -> Path:
    """The Pulumi program and its stack files in `destination`, to write stack files into and plan them."""
    for folder in ("infra", "components", "facts", "plan"):
        shutil.copytree(PROJECT_ROOT / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for stack_file in PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(stack_file, destination / stack_file.name)
    # The stacks build the image from app/ (its context and Dockerfile must exist); nothing writes to it.
    (destination / "app").symlink_to(PROJECT_ROOT / "app", target_is_directory=True)
    return destination


def write_entry_stack(project: Path, name: str, entry: Any = None, *, base: str = "prod", public: bool = True) -> str:
    """Pulumi.<name>.yaml: the `base` stack with this entry point (default ENTRY; {} for none) and public, and its
    policy config: the base stack's exceptions (for its resources under the new stack's names) and the public
    invoker's."""
    document = yaml.safe_load((project / f"Pulumi.{base}.yaml").read_text())
    document["config"]["inference:service"]["public"] = public
    document["config"]["inference:entry"] = ENTRY if entry is None else entry
    (project / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))
    base_config = PROJECT_ROOT / "policy" / "config" / f"{base}.json"
    inherited = (
        base_config.read_text().replace(f"inference-{base}-", f"inference-{name}-") if base_config.exists() else "{}"
    )
    policy_config = {**json.loads(inherited), **PUBLIC_INVOKER_EXCEPTION}
    (project / "policy-config").mkdir(exist_ok=True)
    (project / "policy-config" / f"{name}.json").write_text(json.dumps(policy_config))
    return name


def plan_entry_stack(project: Path, name: str, entry: Any = None, *, base: str = "prod") -> Plan:
    write_entry_stack(project, name, entry, base=base)
    return plan_stack(name, project, cache=False)
