"""What a release records beyond its snapshot: the changes since the previous release,
and the configuration as clients may see it (a secret's value never)."""

from typing import Any

# A configuration snapshot: {"NAME": {"value", "secret", "buildtime", "sealed_value"}}.
Snapshot = dict[str, dict[str, Any]]

_COMPARED = ("value", "secret", "buildtime", "sealed_value")


def configuration_changes(previous: Snapshot | None, current: Snapshot) -> dict[str, list[str]]:
    """Names added, removed and changed since the previous release (values are not shown:
    they may be secrets)."""
    before = previous or {}
    changed = [
        name
        for name in current
        if name in before and any(before[name].get(k) != current[name].get(k) for k in _COMPARED)
    ]
    return {
        "added": sorted(set(current) - set(before)),
        "removed": sorted(set(before) - set(current)),
        "changed": sorted(changed),
    }


def image_changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    """{"from": …, "to": …} image summaries when the image moved; {} when it did not."""
    if previous is not None and previous.get("id") == current.get("id"):
        return {}
    return {"from": previous, "to": current}


def visible_configuration(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """The snapshot without sealed values; a secret shows null for its value."""
    return {
        name: {
            "value": None if entry.get("secret") else entry.get("value", ""),
            "secret": bool(entry.get("secret")),
            "buildtime": bool(entry.get("buildtime")),
        }
        for name, entry in snapshot.items()
    }
