"""How the reconcile loop runs; every figure can be set from the environment."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ENVIRONMENT_NAMES = {
    "lease_seconds": "BERTH_LEASE_SECONDS",
    "poll_seconds": "BERTH_POLL_SECONDS",
    "resync_seconds": "BERTH_RESYNC_SECONDS",
    "resync_cohort_seconds": "BERTH_RESYNC_COHORT_SECONDS",
    "concurrency": "BERTH_CONCURRENCY",
    "shutdown_grace_seconds": "BERTH_SHUTDOWN_GRACE_SECONDS",
}


@dataclass(frozen=True, slots=True)
class RuntimeSettings:
    lease_seconds: float = 30.0
    # A lost NOTIFY costs at most this plus one claim: ≤ 1 s pickup without notifications.
    poll_seconds: float = 0.5
    resync_seconds: float = 300.0
    # Resyncs fall due on multiples of this (0: anywhere), so that they arrive in cohorts.
    resync_cohort_seconds: float = 5.0
    concurrency: int = 16
    shutdown_grace_seconds: float = 20.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RuntimeSettings":
        given: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(ENVIRONMENT_NAMES[field.name])
            if raw is not None:
                given[field.name] = int(raw) if field.type in (int, "int") else float(raw)
        return cls(**given)
