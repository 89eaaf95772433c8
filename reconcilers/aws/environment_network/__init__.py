"""kind `environment-network`: an environment's security groups and service discovery
(`reconciler`), planned from its compose (`plan`, `rules`), applied (`apply`), judged
(`status`), its resync drift (`drift`)."""

from reconcilers.aws.environment_network.reconciler import EnvironmentNetworkReconciler

__all__ = ["EnvironmentNetworkReconciler"]
