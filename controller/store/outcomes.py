"""What a desired-state write can come to, shared by every store module."""

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Written:
    """Stored, with its reconcile queued; `generation` is the one now wanted."""

    id: UUID
    generation: int


@dataclass(frozen=True, slots=True)
class LimitReached:
    count: int
    limit: int


@dataclass(frozen=True, slots=True)
class NameTaken:
    pass


@dataclass(frozen=True, slots=True)
class NoApplication:
    """The application named is not there (or is another organisation's)."""
