"""Reconcile events as operators read them: pages of an organisation's or application's
events, newest first, and the catch-up of a stream after its last event id."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from controller.store.queries import QUERIES


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    created_at: datetime
    organisation_id: int | None
    application_id: UUID | None
    environment_id: UUID | None
    application: str | None  # None once the application's rows are gone
    environment: str | None
    kind: str  # the reconciler that recorded it
    key: str
    reason: str
    message: str
    warning: bool

    @classmethod
    def of(cls, row: asyncpg.Record, organisation_id: int | None = None) -> "Event":
        return cls(
            id=row["id"],
            created_at=row["created_at"],
            organisation_id=row.get("organisation_id", organisation_id),
            application_id=row["application_id"],
            environment_id=row["environment_id"],
            application=row["application"],
            environment=row["environment"],
            kind=row["kind"],
            key=row["key"],
            reason=row["reason"],
            message=row["message"],
            warning=row["warning"],
        )

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "time": self.created_at.isoformat(),
            "type": "Warning" if self.warning else "Normal",
            "reason": self.reason,
            "message": self.message,
            "controller": self.kind,
            "key": self.key,
            "application": self.application,
            "environment": self.environment,
            "environmentId": str(self.environment_id) if self.environment_id else None,
        }


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What a list or a stream keeps; None keeps everything."""

    application_id: UUID | None = None
    environment: str | None = None
    reasons: tuple[str, ...] | None = None
    warning: bool | None = None
    since: datetime | None = None

    def keeps(self, event: Event) -> bool:
        return (
            (self.application_id is None or event.application_id == self.application_id)
            and (self.environment is None or event.environment == self.environment)
            and (self.reasons is None or event.reason in self.reasons)
            and (self.warning is None or event.warning == self.warning)
            and (self.since is None or event.created_at >= self.since)
        )


async def application_id(pool: asyncpg.Pool, organisation_id: int, name: str) -> UUID | None:
    return await pool.fetchval(QUERIES.application_id, organisation_id, name)


async def list_events(
    pool: asyncpg.Pool, organisation_id: int, wanted: EventFilter, *, before: int | None, limit: int
) -> list[Event]:
    rows = await pool.fetch(
        QUERIES.list_events,
        organisation_id,
        wanted.application_id,
        wanted.environment,
        list(wanted.reasons) if wanted.reasons is not None else None,
        wanted.warning,
        wanted.since,
        before,
        limit,
    )
    return [Event.of(row, organisation_id) for row in rows]


async def events_after(
    pool: asyncpg.Pool, organisation_id: int, application: UUID | None, after: int, limit: int
) -> list[Event]:
    rows = await pool.fetch(QUERIES.events_after, organisation_id, application, after, limit)
    return [Event.of(row) for row in rows]
