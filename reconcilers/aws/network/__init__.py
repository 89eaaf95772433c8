"""`aws-network` (key `default`): the ECS cluster and the network every environment's
tasks use; `observe`, `plan` (pure) and `apply`, run by `NetworkReconciler`."""

from reconcilers.aws.network.reconciler import NetworkReconciler, utc_now
from schemas.kinds import SHARED_KEY, Kind

# For the kinds that still name the network by these (until they move onto `Kind`).
NETWORK_KIND = Kind.AWS_NETWORK
NETWORK_KEY = SHARED_KEY

__all__ = ["NETWORK_KEY", "NETWORK_KIND", "NetworkReconciler", "utc_now"]
