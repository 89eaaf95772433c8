"""kind `efs-filesystem`: an environment's EFS file system, access point, mount targets
and NFS group (`reconciler`), observed, planned, applied and judged (`observe`, `plan`,
`apply`, `status`)."""

from reconcilers.aws.filesystem.reconciler import FilesystemReconciler

__all__ = ["FilesystemReconciler"]
