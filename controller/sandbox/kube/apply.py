"""Server-side apply and managedFields: who owns which field, conflicts between managers,
and fields a manager stops applying removed when nobody else owns them."""

import copy
import json
from dataclasses import dataclass, field

from controller.sandbox.kube.fields import (
    ITEM, Path, drop_nulls, from_fields_v1, merge_keyed, object_paths, remove_path,
    render, to_fields_v1, value_at,
)
from controller.sandbox.kube.fields import SERVER_FIELDS

CONFLICT_MESSAGE = 'conflict with "{manager}" using {api_version}'
APPLY_FAILED = "Apply failed with {count} conflict{plural}: {details}"


@dataclass
class Entry:
    manager: str
    operation: str  # "Apply" | "Update"
    api_version: str
    time: str
    subresource: str = ""
    paths: set[Path] = field(default_factory=set)

    def same_slot(self, manager: str, operation: str, subresource: str) -> bool:
        return (self.manager, self.operation, self.subresource) == (manager, operation, subresource)

    def body(self) -> dict:
        body = {"manager": self.manager, "operation": self.operation, "apiVersion": self.api_version,
                "time": self.time, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(self.paths)}
        if self.subresource:
            body["subresource"] = self.subresource
        return body


@dataclass
class ApplyConflicts(Exception):
    conflicts: list[tuple[str, str, Path]]  # (manager, its apiVersion, path)

    def message(self) -> str:
        details = "; ".join(f"{CONFLICT_MESSAGE.format(manager=m, api_version=v)}: {render(p)}"
                            for m, v, p in self.conflicts)
        count = len(self.conflicts)
        return APPLY_FAILED.format(count=count, plural="" if count == 1 else "s", details=details)

    def causes(self) -> list[dict]:
        return [{"reason": "FieldManagerConflict", "message": CONFLICT_MESSAGE.format(manager=m, api_version=v),
                 "field": render(p)} for m, v, p in self.conflicts]


def read_entries(obj: dict | None) -> list[Entry]:
    entries = []
    for raw in ((obj or {}).get("metadata") or {}).get("managedFields") or []:
        entries.append(Entry(raw.get("manager", ""), raw.get("operation", "Update"), raw.get("apiVersion", ""),
                             raw.get("time", ""), raw.get("subresource", ""),
                             from_fields_v1(raw.get("fieldsV1") or {})))
    return entries


def _write_entries(obj: dict, entries: list[Entry]) -> None:
    existing = object_paths(obj, include_status=True)
    kept = []
    for entry in entries:
        entry.paths = {p for p in entry.paths if p in existing}
        if entry.paths:
            kept.append(entry.body())
    obj.setdefault("metadata", {})["managedFields"] = kept


def _slot(entries: list[Entry], manager, operation, subresource, api_version, now) -> Entry:
    for entry in entries:
        if entry.same_slot(manager, operation, subresource):
            entry.time, entry.api_version = now, api_version
            return entry
    entry = Entry(manager, operation, api_version, now, subresource)
    entries.append(entry)
    return entry


def _applied_config(config: dict, include_status: bool) -> dict:
    config = drop_nulls(copy.deepcopy(config))
    if not include_status:
        config.pop("status", None)
    metadata = config.get("metadata") or {}
    for key in SERVER_FIELDS - {"name", "namespace"}:
        metadata.pop(key, None)
    return config


def _is_key_field(path: Path) -> bool:
    return len(path) >= 2 and path[-2].startswith("k:") and path[-1][2:] in json.loads(path[-2][2:])


def _still_owned(path: Path, keep: set[Path]) -> bool:
    """Someone still owns the field, or something inside it (owning a parent map is not enough)."""
    inside = path[:-1] if path[-1] == ITEM else path
    return any(q[: len(inside)] == inside for q in keep)


def apply(live: dict | None, config: dict, *, manager: str, force: bool, now: str,
          subresource: str = "") -> dict:
    """The object after `manager` applies `config` to `live` (None: it does not exist yet)."""
    include_status = subresource == "status"
    config = _applied_config(config, include_status)
    entries = read_entries(live)
    applied = object_paths(config, include_status=include_status)
    api_version = config.get("apiVersion", "")
    conflicts = []
    for entry in entries:
        if entry.same_slot(manager, "Apply", subresource):
            continue
        for path in sorted(applied & entry.paths):
            if path[-1] == ITEM:
                continue
            if value_at(live, path) != value_at(config, path):
                conflicts.append((entry, path))
    if conflicts and not force:
        raise ApplyConflicts([(e.manager, e.api_version, p) for e, p in conflicts])
    for entry, path in conflicts:
        entry.paths.discard(path)
    merged = merge_keyed(copy.deepcopy(live) if live else {}, config)
    mine = _slot(entries, manager, "Apply", subresource, api_version, now)
    keep = set(applied)
    for entry in entries:
        if entry is not mine:
            keep |= entry.paths
    for path in sorted(mine.paths - applied, key=len, reverse=True):
        if not _is_key_field(path) and not _still_owned(path, keep):
            remove_path(merged, path)
    mine.paths = applied
    _write_entries(merged, entries)
    return merged


def record_update(old: dict | None, new: dict, *, manager: str, now: str, subresource: str = "") -> None:
    """A non-apply write (create, update, patch): `manager` takes the fields it changed."""
    include_status = subresource == "status"
    entries = read_entries(old)
    changed = set()
    for path in object_paths(new, include_status=include_status):
        if old is None:
            changed.add(path)
        elif path[-1] == ITEM:
            if not value_at(old, path[:-1])[0]:
                changed.add(path)
        elif value_at(old, path) != value_at(new, path):
            changed.add(path)
    mine = None
    if changed:
        mine = _slot(entries, manager, "Update", subresource, new.get("apiVersion", ""), now)
    for entry in entries:
        if entry is not mine:
            entry.paths -= changed
    if mine is not None:
        mine.paths |= changed
    _write_entries(new, entries)
