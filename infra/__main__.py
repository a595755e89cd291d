"""The program `pulumi up` runs: validate this stack's config, compose its components, export the outputs."""

import sys
from pathlib import Path

# The Pulumi host runs this folder with runpy from a script of its own, so the project root (which holds the
# infra and components packages) is not on sys.path unless we put it there.
_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
if _PROJECT_ROOT not in sys.path:
    sys.path.insert(0, _PROJECT_ROOT)

import pulumi  # noqa: E402

from infra.config import ConfigError, load_from_pulumi  # noqa: E402
from infra.stack import build_stack  # noqa: E402

try:
    stack_config = load_from_pulumi()
except ConfigError as error:
    raise pulumi.RunError(f"invalid stack configuration:\n{error}") from None

for output_name, value in build_stack(stack_config).items():
    pulumi.export(output_name, value)
