"""Named SQL blocks from `sql/*.sql`, in the style of procrastinate's queries.sql.

A block starts with `-- name: <identifier>`; the lines after it, up to the next
block, are the query. `QUERIES.claim` is the text of the block named `claim`.
"""

import re
from importlib import resources
from types import SimpleNamespace

_BLOCK = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)
DEFINED_TWICE = "query {name!r} is defined twice"


def parse(text: str) -> dict[str, str]:
    parts = _BLOCK.split(text)
    found: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in found:
            raise ValueError(DEFINED_TWICE.format(name=name))
        found[name] = body.strip()
    return found


def load() -> SimpleNamespace:
    found: dict[str, str] = {}
    for entry in (resources.files("controller.store") / "sql").iterdir():
        if entry.name.endswith(".sql"):
            for name, body in parse(entry.read_text()).items():
                if name in found:
                    raise ValueError(DEFINED_TWICE.format(name=name))
                found[name] = body
    return SimpleNamespace(**found)


QUERIES = load()
