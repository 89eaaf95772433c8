"""berth's OpenAPI document describes exactly the routes it serves."""

import re

from starlette.routing import Route

from api.app import ROUTE_MODULES, create_app


def _served() -> set[tuple[str, str]]:
    return {
        (route.path, method.lower())
        for module in ROUTE_MODULES
        for route in module.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }


def test_every_route_is_described_and_every_description_is_served():
    described = {(op.path, op.method) for module in ROUTE_MODULES for op in module.operations}
    assert described == _served()


def test_operation_ids_are_unique_and_name_the_routes():
    ids = [op.operation_id for module in ROUTE_MODULES for op in module.operations]
    assert len(ids) == len(set(ids))
    named = {route.name for module in ROUTE_MODULES for route in module.routes if isinstance(route, Route)}
    assert {i for i in ids if i not in ("healthz", "readyz")} <= named


def test_the_document_references_only_schemas_it_defines():
    document = create_app("postgresql://unused/unused").state.openapi
    defined = set(document["components"]["schemas"])
    text = str(document)
    referenced = set(re.findall(r"#/components/schemas/([A-Za-z0-9_]+)", text))
    assert referenced <= defined
