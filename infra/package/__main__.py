"""The plugin Pulumi runs for `pulumi package add` and for every program that uses the package: a gRPC provider
that prints its port and serves GetSchema and Construct (what `component_provider_host` does, with our provider)."""

import os
import sys
from pathlib import Path

# Pulumi runs this folder with the plugin's directory as the script's; the project root holds the packages the
# components import (infra, components, facts), and the image's build context is relative to it.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(_PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(_PROJECT_ROOT))
os.chdir(_PROJECT_ROOT)

from pulumi.provider import main  # noqa: E402

from infra.package.provider import package_provider  # noqa: E402

if __name__ == "__main__":
    main(package_provider(), sys.argv[1:])
