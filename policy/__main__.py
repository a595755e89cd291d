"""The CrossGuard policy pack.

Run with `pulumi preview --policy-pack policy --policy-pack-config policy/config/STACK.json`.
"""

import sys
from pathlib import Path

# Pulumi runs this file with policy/ as the working directory; the rules are imported as the `policy`
# package, exactly as `python -m infra.cli check` imports them, so the repository root goes on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.crossguard import PACK_NAME, build_policies

POLICIES = build_policies()

if __name__ == "__main__":
    PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
