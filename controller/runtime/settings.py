"""How the reconcile loop runs; every figure can be set from the environment."""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuntimeSettings:
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    resync_seconds: float = 300.0
    concurrency: int = 16
    shutdown_grace_seconds: float = 20.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RuntimeSettings":
        def number(name: str, default: float) -> float:
            return float(environ.get(name, default))

        return cls(
            lease_seconds=number("BERTH_LEASE_SECONDS", cls.lease_seconds),
            poll_seconds=number("BERTH_POLL_SECONDS", cls.poll_seconds),
            resync_seconds=number("BERTH_RESYNC_SECONDS", cls.resync_seconds),
            concurrency=int(number("BERTH_CONCURRENCY", cls.concurrency)),
            shutdown_grace_seconds=number("BERTH_SHUTDOWN_GRACE_SECONDS", cls.shutdown_grace_seconds),
        )
