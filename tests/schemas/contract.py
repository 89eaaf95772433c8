"""Quant Cloud's contract, read from the reference in shared/ beside the repository.

The reference is for reading and is not copied into the repository. Where it is not
beside the checkout, a test that reads it skips (tests/reference.py), and
tests/schemas/test_sdk_contract.py checks the same against the published SDK's models.
"""

import copy
import datetime
import json
from functools import cache
from typing import Any

import yaml

from tests import reference


@cache
def _document() -> dict[str, Any]:
    return yaml.safe_load(reference.path(reference.QUANT_CLOUD).read_text())


def _schemas() -> dict[str, Any]:
    """The contract's schemas; without the reference, the test asking skips."""
    return _document()["components"]["schemas"]


def text() -> str:
    """The contract's text, for what a parsed schema cannot show (a test skips without it)."""
    return reference.text(reference.QUANT_CLOUD)


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
