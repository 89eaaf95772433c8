"""schemathesis against berth's own /openapi.json: every /api/v3 and /api/v1 operation,
authenticated with a real token, over real HTTP on real PostgreSQL.

Each operation gets generated requests two ways: with only the organisation fixed (so
names and ids are mostly absent: the 404 and 400 paths) and with every path parameter set
to a seeded resource (so the happy paths and the writes run too). Every answer must be
no server error and documented: its status, its content type and its body's schema.

BERTH_FUZZ_EXAMPLES sets the examples per operation and way (default: a CI-sized run);
`BERTH_FUZZ_EXAMPLES=85 pytest tests/fuzz -s` is the full run (over 5,000 requests) recorded in
docs/benchmarks.md.
"""

import os
import time
from collections import Counter

import hypothesis
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from controller.cloud.reads import AwsCloudReads
from controller.store.organisations import add_token, create_organisation, new_token
from controller.store.v1.sealing import new_key
from reconcilers.aws.config import AwsConfig
from schemathesis.core.failures import FailureGroup
from tests.fakes.aws import AWS_REGION
from tests.fuzz.support import seed, served

EXAMPLES = int(os.environ.get("BERTH_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Live event streams hold their connection open until the stream's end; the page form of
# the same events is fuzzed through the non-stream operations.
SKIPPED_PATH_ENDINGS = ("/stream",)
# Both contracts: Quant Cloud's (v3) and Ancla's (v1).
CONTRACT_PREFIXES = ("/api/v3/", "/api/v1/")
REQUEST_SECONDS = 30


@pytest.fixture
async def organisation_token(pool):
    organisation = await create_organisation(pool, "acme", 100)
    token = new_token()
    await add_token(pool, organisation, token)
    return token


def fuzz(base_url: str, seeded) -> tuple[int, Counter, list[str]]:
    """Send the generated requests; (requests sent, answers by status, failures)."""
    schema = schemathesis.openapi.from_dict(httpx.get(f"{base_url}/openapi.json").json())
    sent, statuses, failures = 0, Counter(), []
    session = __import__("requests").Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(CONTRACT_PREFIXES) or operation.path.endswith(SKIPPED_PATH_ENDINGS):
            continue
        names = [p.name for p in operation.path_parameters]
        known = {n: v for n, v in seeded.path_values.items() if n in names}
        only_org = {n: v for n, v in known.items() if n in ("organisation", "org_slug")}
        strategy = st.one_of(operation.as_strategy(path_parameters=only_org), operation.as_strategy(path_parameters=known))
        headers = seeded.headers(operation.path)
        # A documented 501 is the contract's answer for what berth deliberately does not offer.
        checks = [c for c in CHECKS if c is not not_a_server_error or "501" not in operation.definition.raw["responses"]]

        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
        def run(case):
            nonlocal sent
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=REQUEST_SECONDS)
            sent += 1
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except (FailureGroup, AssertionError) as failure:  # collected: one run reports every finding
                failures.append(f"{operation.method.upper()} {operation.path} → {response.status_code}: "
                                f"{str(failure)[:600]}")

        run()
    return sent, statuses, failures


@pytest.fixture
def cloud(moto_server):
    """The logs, metrics and registry reads against moto (an empty account)."""
    moto_server.reset()
    config = AwsConfig(region=AWS_REGION, endpoint_url=moto_server.endpoint,
                       ecr_registry="123456789012.dkr.ecr.us-east-1.amazonaws.com")
    return lambda: AwsCloudReads(config)


def test_every_generated_request_is_answered_as_documented(database_url, organisation_token, cloud, monkeypatch):
    monkeypatch.setenv("BERTH_GITHUB_WEBHOOK_SECRET", "fuzz-hook-secret")
    with served(database_url, new_key(), cloud) as base_url:
        seeded = seed(base_url, "acme", organisation_token)
        started = time.monotonic()
        sent, statuses, failures = fuzz(base_url, seeded)
        elapsed = time.monotonic() - started
    print(f"\nschemathesis: {sent} requests in {elapsed:.1f} s, statuses {dict(sorted(statuses.items()))}, "
          f"{len(failures)} failures")
    if failures and os.environ.get("BERTH_FUZZ_REPORT"):
        with open(os.environ["BERTH_FUZZ_REPORT"], "w") as report:
            report.write("\n\n".join(failures))
    assert not failures, "\n\n".join(failures[:40])
    assert statuses[500] == 0
