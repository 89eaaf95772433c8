"""Numbers for people: percentiles, process CPU, and plain-text tables."""

import os
from collections.abc import Iterable, Sequence

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (0 when it is empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * p // 100)))
    return sorted_values[int(rank) - 1]


def latency_summary(seconds: Iterable[float], points: Sequence[float] = (50, 90, 99)) -> dict[str, float]:
    """p50/p90/p99 (as asked) and max, in milliseconds."""
    ordered = sorted(seconds)
    summary = {f"p{p:g}_ms": round(percentile(ordered, p) * 1000, 2) for p in points}
    summary["max_ms"] = round((ordered[-1] if ordered else 0.0) * 1000, 2)
    return summary


def cpu_seconds(pids: Iterable[int]) -> float | None:
    """User + system CPU the processes have used so far; None when /proc cannot tell."""
    total = 0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return None
    return total / _TICKS


def cpu_share(before: float | None, after: float | None, elapsed: float) -> float | None:
    """Share of one core used over `elapsed` seconds, as a percentage."""
    if before is None or after is None or elapsed <= 0:
        return None
    return round((after - before) / elapsed * 100, 1)


def number(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """First column left-aligned, the others right-aligned, two spaces between."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        parts = [str(first).ljust(widths[0])] + [str(c).rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def verdict(met: bool) -> str:
    return "ok" if met else "MISSED"
