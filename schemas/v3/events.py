"""The operators' routes: reconcile events (list and stream), an immediate reconcile,
and an application's drift policy."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator

from schemas.desired import DriftPolicy
from schemas.wire import CamelModel

DEFAULT_EVENT_LIMIT = 50
MAX_EVENT_LIMIT = 500
NAIVE_SINCE = "give a time zone (2026-01-01T00:00:00Z)"


class EventType(StrEnum):
    NORMAL = "Normal"
    WARNING = "Warning"


NO_NUL = r"^[^\x00]*$"


class EventsQuery(CamelModel):
    """`?limit&cursor&environment&reason&warning&since`: `cursor` is the `nextCursor` of
    the page before (events older than it); `reason` may list several, comma-separated."""

    limit: Annotated[int, Field(ge=1, le=MAX_EVENT_LIMIT)] = DEFAULT_EVENT_LIMIT
    cursor: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None  # an event id: PostgreSQL bigint
    # No NUL: PostgreSQL text cannot hold it (the query would fail, not match nothing).
    environment: Annotated[str, Field(min_length=1, max_length=63, pattern=NO_NUL)] | None = None
    reason: Annotated[str, Field(min_length=1, max_length=1000, pattern=NO_NUL)] | None = None
    warning: bool | None = None
    since: datetime | None = None

    @field_validator("since")
    @classmethod
    def _zoned(cls, since: datetime | None) -> datetime | None:
        if since is not None and since.tzinfo is None:
            raise ValueError(NAIVE_SINCE)
        return since

    @property
    def reasons(self) -> tuple[str, ...] | None:
        if self.reason is None:
            return None
        return tuple(r.strip() for r in self.reason.split(",") if r.strip()) or None


class EventView(CamelModel):
    """One thing a reconciler did or found: `reason` says what kind of thing (a
    CamelCase word, as Kubernetes events), `message` what changed and why; a pass's
    `ReconcileCompleted` / `ReconcileFailed` event gives its outcome and duration."""

    id: str  # also the stream's `id:`, so Last-Event-ID resumes after it
    time: datetime
    type: EventType
    reason: str
    message: str
    controller: str  # the reconciler kind that recorded it
    key: str
    application: str | None = None  # absent once the application's rows are gone
    environment: str | None = None
    environment_id: str | None = None


class EventPage(CamelModel):
    events: list[EventView]
    next_cursor: str | None = None  # absent on the last page


class ReconcileAccepted(CamelModel):
    """`POST …/reconcile`: the passes queued, one per kind per environment."""

    application: str
    queued: list[str]  # "{kind}/{environment}"


class DriftPolicyRequest(CamelModel):
    policy: DriftPolicy


class DriftPolicyView(CamelModel):
    application: str
    policy: DriftPolicy
    environments: list[str] = []  # the environments it applies to (a PUT's answer; GET leaves it out)
