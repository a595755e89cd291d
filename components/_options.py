"""Resource options shared by every component."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi


def child_options(
    parent: pulumi.ComponentResource,
    opts: pulumi.ResourceOptions | None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> pulumi.ResourceOptions:
    """Options for a component's child: parented to it, and waiting for whatever the component waits for.

    Pulumi does not pass a component's `depends_on` down to its children, so without this a Cloud SQL instance
    inside a component that depends on the enabled APIs would still race the API enablement.
    """
    inherited = pulumi.ResourceOptions(depends_on=opts.depends_on if opts else None)
    return pulumi.ResourceOptions.merge(inherited, pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)))
