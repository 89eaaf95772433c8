"""Cross-organisation isolation: every operation of /openapi.json, aimed at organisation
A's resources with organisation B's token, answers exactly what the same request for a
name that exists nowhere answers (so not even existence leaks), and A is unchanged.
"""

import json
from collections import Counter
import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from controller.store.organisations import add_token, create_organisation, new_token
from controller.store.v1.sealing import new_key
from tests.fuzz.support import seed, served

ABSENT_UUID = str(uuid.UUID(int=7))
ABSENT = {"organisation": "no-such-org", "org_slug": "no-such-org", "application": "no-such-app",
          "environment": "no-such-env", "container": "no-such-container", "variable": "NO_SUCH_VARIABLE",
          "project_slug": "no-such-project", "app_slug": "no-such-app", "config_id": ABSENT_UUID}
# Ids no seeded resource has: A's request and the absent one are then the same request.
UNSEEDED_IDS = ("image_id", "release_id", "deployment_id", "user_id")
# Bodies naming an owner: A's owner in one request, an absent one in the other.
OWNED_BODIES = {
    "ApiV1ProjectsCreateProject": lambda owner: {"name": "Probe", "slug": "probe", "organization_id": owner["org_slug"]},
    "ApiV1ApplicationsCreateApplication": lambda owner: {"name": "Probe", "slug": "probe",
                                                         "project_id": owner["project_id"]},
}
# Reads of A whose answers change on their own (time series, streams): left out of the
# before/after comparison; they are still probed with B's token.
VOLATILE = ("/events", "/stream", "/logs", "/metrics", "/pipeline-metrics", "/observability", "/pipeline-status")
STREAM_SECONDS = 5


@pytest.fixture
async def tokens(pool):
    made = {}
    for slug in ("acme", "globex"):
        organisation = await create_organisation(pool, slug, 100)
        made[slug] = new_token()
        await add_token(pool, organisation, made[slug])
    return made


def _example_body(operation) -> object:
    """One valid-looking body for the operation (the same for both requests)."""
    found = []

    @given(case=operation.as_strategy())
    @settings(max_examples=1, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def take(case):
        found.append(case.body)

    take()
    return found[0]


def _request(client: httpx.Client, operation, values: dict, headers: dict, body) -> httpx.Response:
    path = operation.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    kwargs = {"headers": headers, "timeout": STREAM_SECONDS}
    if body is not None:
        kwargs["json"] = body
    if path.endswith("/stream"):
        # A stream answers its status and headers at once: compare those, not the endless body.
        with client.stream(operation.method.upper(), path, **kwargs) as answer:
            return httpx.Response(answer.status_code, headers=answer.headers, content=b"")
    return client.request(operation.method.upper(), path, **kwargs)


def _normalised(answer: httpx.Response, values: dict) -> tuple[int, str, object]:
    text = answer.text
    for name, value in sorted(values.items(), key=lambda item: -len(str(item[1]))):
        text = text.replace(str(value), "{" + name + "}")
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = text
    return answer.status_code, answer.headers.get("content-type", ""), body


def _snapshot(client: httpx.Client, operations, values: dict, headers_for) -> dict:
    """A's own view of everything it can read (its token, its names)."""
    seen = {}
    for operation in operations:
        if operation.method != "get" or any(part in operation.path for part in VOLATILE):
            continue
        names = [p.name for p in operation.path_parameters]
        if not all(n in values for n in names):
            continue
        answer = _request(client, operation, {n: values[n] for n in names}, headers_for(operation.path), None)
        seen[operation.path] = (answer.status_code, answer.text)
    return seen


def test_another_organisations_token_learns_nothing(database_url, tokens):
    with served(database_url, new_key()) as base_url:
        a = seed(base_url, "acme", tokens["acme"])
        b = seed(base_url, "globex", tokens["globex"])
        document = httpx.get(f"{base_url}/openapi.json").json()
        schema = schemathesis.openapi.from_dict(document)
        operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith(("/api/v3/", "/api/v1/"))]
        absent = {**ABSENT, "application_id": ABSENT_UUID, "project_id": ABSENT_UUID}
        leaks, probed, statuses = [], 0, Counter()
        with httpx.Client(base_url=base_url) as client:
            before = _snapshot(client, operations, a.path_values, a.headers)
            for operation in operations:
                names = [p.name for p in operation.path_parameters]
                if not names and operation.definition.raw["operationId"] not in OWNED_BODIES:
                    # Nothing of A's named: B's answer must simply not mention A.
                    answer = _request(client, operation, {}, b.headers(operation.path),
                                      _example_body(operation) if operation.body else None)
                    if any(str(a.path_values[k]) in answer.text for k in ("application_id", "project_id")) or \
                            '"acme"' in answer.text:
                        leaks.append(f"{operation.method.upper()} {operation.path}: {answer.text[:300]}")
                    probed += 1
                    continue
                a_values = {n: a.path_values.get(n, ABSENT_UUID if n in UNSEEDED_IDS else None) for n in names}
                absent_values = {n: absent.get(n, ABSENT_UUID) for n in names}
                if operation.definition.raw["operationId"] in OWNED_BODIES:
                    make = OWNED_BODIES[operation.definition.raw["operationId"]]
                    a_body, absent_body = make(a.path_values), make(absent)
                    a_values["owner"], absent_values["owner"] = a_body, absent_body
                else:
                    a_body = absent_body = _example_body(operation) if operation.body else None
                as_b = _request(client, operation, {n: a_values[n] for n in names}, b.headers(operation.path), a_body)
                nowhere = _request(client, operation, {n: absent_values[n] for n in names},
                                   b.headers(operation.path), absent_body)
                probed += 1
                statuses[as_b.status_code] += 1
                placeholders_a = {n: v for n, v in a_values.items() if n != "owner"}
                placeholders_absent = {n: v for n, v in absent_values.items() if n != "owner"}
                for body_key in ("organization_id", "project_id"):
                    if isinstance(a_body, dict) and body_key in a_body and a_body is not absent_body:
                        placeholders_a[body_key] = a_body[body_key]
                        placeholders_absent[body_key] = absent_body[body_key]
                if _normalised(as_b, placeholders_a) != _normalised(nowhere, placeholders_absent) or \
                        as_b.status_code in (200, 201, 202, 204, 403):
                    leaks.append(f"{operation.method.upper()} {operation.path}: A's → {as_b.status_code} "
                                 f"{as_b.text[:300]} | absent → {nowhere.status_code} {nowhere.text[:300]}")
            after = _snapshot(client, operations, a.path_values, a.headers)
    changed = [path for path in before if before[path] != after.get(path)]
    print(f"\nisolation: {probed} operations probed with another organisation's token, "
          f"{len(before)} reads of A compared; B's answers {dict(statuses)}")
    assert not leaks, "\n".join(leaks)
    assert not changed, changed
    assert probed >= len(operations)
