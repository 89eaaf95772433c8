"""One reconcile pass's context: its store, its id and the fields of its log line."""

from typing import Any

import structlog

from reconcilers.kube.ports import KubeContext, KubeStore
from reconcilers.ports import Reconciler

# Every pass's store answers the kube kinds' reads and writes too (`KubeFencedStateStore`),
# so a pass's context is a `KubeContext`, and every kind, the kube ones included, runs on it.
PassReconciler = Reconciler[KubeContext]


class PassContext:
    def __init__(self, kind: str, key: str, reconcile_id: str, store: KubeStore):
        self.kind = kind
        self.key = key
        self.reconcile_id = reconcile_id
        self.store = store
        self.fields: dict[str, Any] = {}
        self._log = structlog.get_logger("berth.reconcile")

    def bind(self, **fields: Any) -> None:
        self.fields.update(fields)

    def log(self, event: str, **fields: Any) -> None:
        self._log.info(
            event, kind=self.kind, key=self.key, reconcile_id=self.reconcile_id, **self.fields, **fields
        )
