"""berth's OpenAPI document describes exactly the routes it serves."""

import re

import httpx
from starlette.routing import Route

from api.app import OPERATIONS, create_app


def _served() -> set[tuple[str, str]]:
    return {
        (route.path, method.lower())
        for route in create_app("postgresql://unused/unused").routes
        if isinstance(route, Route) and route.path != "/openapi.json"
        for method in route.methods or ()
        if method != "HEAD"
    }


def test_every_route_is_described_and_every_description_is_served():
    described = {(op.path, op.method) for op in OPERATIONS}
    assert described == _served()


def test_operation_ids_are_unique_and_name_the_routes():
    ids = [op.operation_id for op in OPERATIONS]
    assert len(ids) == len(set(ids))
    named = {route.name for route in create_app("postgresql://unused/unused").routes if isinstance(route, Route)}
    assert set(ids) <= named


def test_the_document_references_only_schemas_it_defines():
    document = create_app("postgresql://unused/unused").state.openapi
    defined = set(document["components"]["schemas"])
    text = str(document)
    referenced = set(re.findall(r"#/components/schemas/([A-Za-z0-9_]+)", text))
    assert referenced <= defined


async def test_answers_that_are_not_json_are_documented_as_what_they_are():
    app = create_app("postgresql://unused/unused")
    document = app.state.openapi
    # /metrics and the console need no database: served without the app's lifespan.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://berth") as client:
        for path in ("/metrics", "/console", "/console/console.js", "/console/console.css"):
            documented = set(document["paths"][path]["get"]["responses"]["200"]["content"])
            served = (await client.get(path)).headers["content-type"].partition(";")[0]
            assert documented == {served}, path
    assert served != "application/json"


def test_the_request_headers_operations_honour_are_declared():
    document = create_app("postgresql://unused/unused").state.openapi
    declared = {
        (entry["operationId"], parameter["name"])
        for methods in document["paths"].values()
        for entry in methods.values()
        for parameter in entry["parameters"]
        if parameter["in"] == "header"
    }
    expected = (
        {(op.operation_id, "If-Match") for op in OPERATIONS if op.if_match}
        | {(op.operation_id, "If-None-Match") for op in OPERATIONS if op.tagged and op.tagged.not_modified}
        | {(op.operation_id, "Idempotency-Key") for op in OPERATIONS if op.idempotent}
    )
    assert declared == expected
    for name, header in declared:
        if header == "If-None-Match":
            assert "304" in _operation(document, name)["responses"]
        if header == "If-Match":
            assert "412" in _operation(document, name)["responses"]


def _operation(document: dict, operation_id: str) -> dict:
    return next(entry for methods in document["paths"].values() for entry in methods.values()
                if entry["operationId"] == operation_id)
