"""A route is declared once: what a handler reads is what its operation declares."""

import ast
import pathlib

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from api.app import OPERATIONS
from api.bodies import query_flag
from api.etags import if_match
from api.hardening import Hardening
from api.operations import Operation, Undeclared
from api.responses import JSON

API = pathlib.Path(__file__).resolve().parents[2] / "api"
# The only readers of raw query parameters and If-Match: they check the declaration.
CHECKING_READERS = {API / "operations.py", API / "etags.py"}


async def _reads_flags(request: Request):
    return JSON({"dryRun": query_flag(request, "dryRun")})


async def _reads_if_match(request: Request):
    return JSON({"conditional": if_match(request) is not None})


def _client(*operations: Operation) -> httpx.AsyncClient:
    app = Starlette(routes=Hardening(rate=0).routes(operations))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://berth")


def _operation(handler, **declared) -> Operation:
    return Operation("/probe", "post", "probe", "A probe", None, {}, handler=handler, **declared)


async def test_a_declared_query_parameter_is_read():
    declared = _operation(_reads_flags, query={"dryRun": ("", {"type": "boolean"})})
    async with _client(declared) as client:
        assert (await client.post("/probe?dryRun=true")).json() == {"dryRun": True}


async def test_reading_an_undeclared_query_parameter_is_a_programming_error():
    async with _client(_operation(_reads_flags)) as client:
        with pytest.raises(Undeclared, match="probe reads query parameters it does not declare: dryRun"):
            await client.post("/probe")


async def test_if_match_is_read_only_where_declared():
    async with _client(_operation(_reads_if_match, if_match=True)) as client:
        assert (await client.post("/probe", headers={"If-Match": '"a"'})).json() == {"conditional": True}
    async with _client(_operation(_reads_if_match)) as client:
        with pytest.raises(Undeclared, match="If-Match"):
            await client.post("/probe")


def _raw_reads(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = [f"{path.name}:{node.lineno} query_params" for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr == "query_params"]
    found += [f"{path.name}:{node.lineno} If-Match" for node in ast.walk(tree)
              if _reads_if_match_header(node) or (isinstance(node, ast.Name) and node.id == "IF_MATCH")]
    return found


def _reads_if_match_header(node: ast.AST) -> bool:
    """`….headers.get("if-match")` or `….headers["if-match"]`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        target, key = node.func.value, node.args[0] if node.args else None
    elif isinstance(node, ast.Subscript):
        target, key = node.value, node.slice
    else:
        return False
    named = isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.lower() == "if-match"
    return named and isinstance(target, ast.Attribute) and target.attr == "headers"


def test_handlers_read_query_parameters_and_if_match_only_through_the_declaration():
    raw = [read for path in sorted(API.rglob("*.py")) if path not in CHECKING_READERS for read in _raw_reads(path)]
    assert raw == []


def test_skip_final_snapshot_is_declared_by_the_deletes_that_read_it():
    declaring = {op.operation_id for op in OPERATIONS if "skipFinalSnapshot" in op.query}
    assert declaring == {"deleteApplication", "deleteEnvironment"}
