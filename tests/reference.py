"""The reference documents in shared/reference/ beside the checkout, where they are.

They are for reading and are not copied into the repository. A fresh clone on its own
has none: the tests that compare berth with them then skip, each with one line saying
why, and the same behaviour is checked against the published SDK's models
(tests/schemas/test_sdk_contract.py). Nothing here reads a document at import time.
"""

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

DIRECTORY = Path(__file__).resolve().parents[2] / "shared" / "reference"
QUANT_CLOUD = "quant-cloud-applications.openapi.yaml"
ANCLA = "ancla-applications.openapi.json"
MISSING = "reference document {path} is not beside the checkout (../shared/reference/); the SDK tests cover this"
LAZY_MARK = "reference_parametrize"


def path(name: str) -> Path:
    """The document's path; where it is not beside the checkout, the test asking skips."""
    found = DIRECTORY / name
    if not found.is_file():
        pytest.skip(MISSING.format(path=found))
    return found


def text(name: str) -> str:
    return path(name).read_text()


def parametrize(argnames: str, values: Callable[[], Iterable], ids: Callable[[object], str] | None = None):
    """`pytest.mark.parametrize` whose values are read from a reference document at collection,
    not at import; where the document is missing, the test is collected once, skipped.
    `ids`, when given, names one whole value (every argument of one case)."""
    return getattr(pytest.mark, LAZY_MARK)(argnames, values, ids)


def generate(metafunc: pytest.Metafunc) -> None:
    """The conftest's `pytest_generate_tests`: expand every `parametrize` mark of the test."""
    for mark in metafunc.definition.iter_markers(LAZY_MARK):
        argnames, values, ids = mark.args
        names = [name.strip() for name in argnames.split(",")]
        try:
            found = list(values())
        except pytest.skip.Exception as missing:
            skipped = pytest.param(*[None] * len(names), marks=pytest.mark.skip(reason=missing.msg), id="no-reference")
            metafunc.parametrize(argnames, [skipped])
            continue
        metafunc.parametrize(argnames, found, ids=[ids(value) for value in found] if ids else None)
