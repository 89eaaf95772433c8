"""Which reconciler kinds act on an environment, from its stored (wire) spec.

Works on the wire dict the API is about to store, so the write path pays no model
validation for it. The kinds are named here, not imported from the reconcilers: the
store and the API must not depend on them, and the controller registers a reconciler
under each name.
"""

from collections.abc import Mapping
from typing import Any

WORKLOAD_KIND = "ecs-environment"
NETWORK_KIND = "environment-network"
AUTOSCALING_KIND = "ecs-autoscaling"
DATABASE_KIND = "rds-database"
FILESYSTEM_KIND = "efs-filesystem"

# Every kind that may act on an environment, for the notifier's pokes.
ENVIRONMENT_KINDS = (WORKLOAD_KIND, NETWORK_KIND, AUTOSCALING_KIND, DATABASE_KIND, FILESYSTEM_KIND)
ALWAYS = (WORKLOAD_KIND, NETWORK_KIND, AUTOSCALING_KIND)


def kinds_for(spec: Mapping[str, Any]) -> list[str]:
    """The kinds the spec needs; a kind that is no longer needed stays a finalizer until
    it has torn its resources down."""
    kinds = list(ALWAYS)
    if spec.get("database"):
        kinds.append(DATABASE_KIND)
    filesystem = spec.get("filesystem")
    if filesystem and filesystem.get("required", True):
        kinds.append(FILESYSTEM_KIND)
    return kinds
