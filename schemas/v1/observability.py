"""`GET …/observability?range=`: which samples a range covers and how they are bucketed."""

from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_RANGE = "1h"
UNKNOWN_RANGE = "must be one of {ranges}"


@dataclass(frozen=True, slots=True)
class Window:
    range: str
    start: datetime
    end: datetime
    bucket_seconds: int  # samples are averaged per bucket: at most a few hundred points


# range → (span, bucket): 60, 72, 96 and 168 points at most.
RANGES: dict[str, tuple[timedelta, int]] = {
    "1h": (timedelta(hours=1), 60),
    "6h": (timedelta(hours=6), 300),
    "24h": (timedelta(hours=24), 900),
    "7d": (timedelta(days=7), 3600),
}


def window(range_text: str | None, now: datetime) -> Window:
    """The window ending at `now`; ValueError(UNKNOWN_RANGE) for a range not listed."""
    name = DEFAULT_RANGE if range_text is None or range_text == "" else range_text
    if name not in RANGES:
        raise ValueError(UNKNOWN_RANGE.format(ranges=", ".join(RANGES)))
    span, bucket = RANGES[name]
    return Window(name, now - span, now, bucket)
