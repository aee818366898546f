"""What the gcp program's ComponentResources share."""

from __future__ import annotations

import pulumi


def children_of(
    component: pulumi.ComponentResource, opts: pulumi.ResourceOptions
) -> pulumi.ResourceOptions:
    """Options for `component`'s children: parented to it, and aliased to their former parent
    (the component's own parent, the stack's GcpEnvironment), where they lived before each
    deployable piece had its own component: a stack deployed earlier keeps its database,
    buckets and cluster instead of replacing them."""
    aliases = [pulumi.Alias(parent=opts.parent)] if opts.parent is not None else []
    return pulumi.ResourceOptions(parent=component, aliases=aliases)
