"""Row versions for conditional writes (If-Match): what a write compares before it writes."""

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg


@dataclass(frozen=True, slots=True)
class Version:
    """An environment's: its id and (generation,); an application's: its id and
    (generation, production environment's generation)."""

    id: UUID
    generations: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PreconditionFailed:
    """The row is not at the version the request named."""


Matches = Callable[[Version], bool]


def locked_environment_matches(row: asyncpg.Record, matches: Matches | None) -> bool:
    """For a write that has locked the environment's row (`id`, `generation`) itself."""
    return matches is None or matches(Version(row["id"], (row["generation"],)))
