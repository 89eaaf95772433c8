"""Quant Cloud's contract, read from the reference in shared/ beside the repository.

The reference is for reading and is not copied into the repository; every machine
and CI lay shared/ out beside the checkout.
"""

import copy
import datetime
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "quant-cloud-applications.openapi.yaml"


@cache
def _schemas() -> dict[str, Any]:
    return yaml.safe_load(REFERENCE.read_text())["components"]["schemas"]


def schema(name: str) -> dict[str, Any]:
    return copy.deepcopy(_schemas()[name])


def schema_names() -> list[str]:
    return list(_schemas())


def _json(value: Any) -> Any:
    """YAML reads `2000-01-23 04:56:07+00:00` as a datetime; the wire has ISO 8601 text, as pydantic writes it."""
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(type(value))


def example(name: str) -> dict[str, Any]:
    """The contract's own example body for `name`, as JSON would carry it."""
    return json.loads(json.dumps(_schemas()[name]["example"], default=_json))


def properties(name: str) -> dict[str, Any]:
    return schema(name)["properties"]


def required(name: str) -> set[str]:
    return set(schema(name).get("required", ()))
