"""kind `rds-database`: an environment's RDS instance and connection secret (`reconciler`),
named (`names`), observed, planned, applied, judged (`observe`, `plan`, `apply`, `status`),
its secret (`secret`) and its teardown (`teardown`)."""

from reconcilers.aws.database.reconciler import DatabaseReconciler

__all__ = ["DatabaseReconciler"]
