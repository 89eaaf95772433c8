"""The console in a real headless Chromium against the real API on real PostgreSQL.

The reconcilers are played by writes to `statuses` and `events` — the same rows and the
same statement they use — so the page is seen going Progressing → Ready (converging), then
Degraded with its message, and events arrive on the live stream."""

import json

import httpx
import pytest

from controller.store.queries import QUERIES
from tests.console.browser import chromium_page, find_chromium

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
PULL_FAILURE = "CannotPullContainerError: pull image manifest has been retried 5 time(s): nginx:9.99 not found"
CHROMIUM = find_chromium()

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found (install Debian's `chromium`, or set BERTH_CHROMIUM to a Chromium/Chrome binary)",
)


async def _production(pool, application: str):
    return await pool.fetchrow(
        "SELECT e.id, e.generation FROM environments e JOIN applications a ON a.id = e.application_id"
        " WHERE a.name = $1 AND e.name = 'production'",
        application,
    )


def _condition(kind: str, status: bool, reason: str, message: str = "") -> dict:
    return {"type": kind, "status": status, "reason": reason, "message": message,
            "lastTransitionTime": "2026-01-01T00:00:00Z"}


async def _write_status(pool, environment, conditions: list[dict], outputs: dict) -> None:
    """As the ecs-environment reconciler writes its status row."""
    await pool.execute(
        "INSERT INTO statuses (kind, key, observed_generation, conditions, outputs)"
        " VALUES ('ecs-environment', $1, $2, $3, $4)"
        " ON CONFLICT (kind, key) DO UPDATE SET observed_generation = EXCLUDED.observed_generation,"
        " conditions = EXCLUDED.conditions, outputs = EXCLUDED.outputs",
        str(environment["id"]), environment["generation"], conditions, outputs,
    )


async def _record(pool, environment, reason: str, message: str, warning: bool = False) -> None:
    """As a reconciler records an event (the same statement, without the lease)."""
    env_id = environment["id"]
    await pool.execute(QUERIES.record_event, env_id, "ecs-environment", str(env_id), reason, message, warning)


def _card(application: str) -> str:
    return f"document.querySelector('article[data-application={json.dumps(application)}]')"


async def test_the_page_is_served_with_a_strict_content_security_policy(base_url):
    async with httpx.AsyncClient(base_url=base_url) as client:
        page = await client.get("/console")
        script = await client.get("/console/console.js")
        style = await client.get("/console/console.css")
    assert page.status_code == script.status_code == style.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert script.headers["content-type"].startswith("text/javascript")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    # Nothing from the API is ever parsed as HTML, and nothing is fetched from elsewhere.
    assert "innerHTML" not in script.text and "outerHTML" not in script.text and "insertAdjacentHTML" not in script.text
    assert "http://" not in page.text and "https://" not in page.text


@needs_chromium
async def test_the_console_shows_an_application_converging_then_failing(base_url, tenant, pool, tmp_path):
    body = {"appName": "shop", "composeDefinition": {"containers": [WEB]}}
    assert (await tenant.client.post(tenant.applications, json=body)).status_code == 201
    staging = await tenant.client.post(f"{tenant.applications}/shop/environments", json={"envName": "staging"})
    assert staging.status_code == 201, staging.text
    production = await _production(pool, "shop")
    await _write_status(pool, production, [
        _condition("Ready", False, "RollingOut", "0 of 2 tasks running"),
        _condition("Progressing", True, "RollingOut", "deployment ecs-svc/1 in progress"),
        _condition("Degraded", False, "AsExpected"),
    ], {"desiredCount": 2, "runningCount": 0, "rolloutState": "IN_PROGRESS"})
    await pool.execute(
        "INSERT INTO deployments (environment_id, deployment_id, task_definition_arn, status)"
        " VALUES ($1, 'ecs-svc/1', 'arn:td:1', 'IN_PROGRESS')",
        production["id"],
    )

    async with chromium_page(CHROMIUM) as page:
        await page.navigate(base_url + "/console")
        # Signs in as a person would: organisation and token into the form.
        await page.wait_for("document.getElementById('sign-in-form') !== null")
        await page.evaluate(
            f"document.getElementById('organisation').value = {json.dumps(tenant.slug)};"
            f"document.getElementById('token').value = {json.dumps(tenant.token)};"
            "document.getElementById('sign-in-form').requestSubmit(); true"
        )
        card = _card("shop")

        # Progressing: the application is deploying, its Progressing condition is on show.
        await page.wait_for(f"{card}?.dataset.status === 'deploying'")
        text = await page.evaluate(f"{card}.innerText")
        assert "PROGRESSING" in text.upper() and "deployment ecs-svc/1 in progress" in text
        assert "0 / 2" in text
        deployments = await page.evaluate(f"{card}.querySelector('table.deployments').innerText")
        assert "ecs-svc/1" in deployments and "IN_PROGRESS" in deployments.upper()
        # Every environment has its row; staging has not been seen by a reconciler yet.
        assert await page.evaluate(f"{card}.querySelector('tr[data-environment=\"staging\"]').dataset.status") == "pending"
        await page.wait_for("document.getElementById('stream-state').dataset.state === 'live'")
        await page.screenshot(tmp_path / "progressing.png")

        # Converges: Ready, and the reconciler's event arrives on the live stream.
        await _write_status(pool, production, [
            _condition("Ready", True, "RolloutComplete", "2 of 2 tasks running"),
            _condition("Progressing", False, "RolloutComplete"),
            _condition("Degraded", False, "AsExpected"),
        ], {"desiredCount": 2, "runningCount": 2, "rolloutState": "COMPLETED"})
        await _record(pool, production, "ServiceStable", "service reached 2 running tasks")
        # The event list is filled once at sign-in, then only by the stream: seeing it is seeing the stream.
        await page.wait_for("document.querySelector('#events li[data-reason=\"ServiceStable\"]') !== null")
        await page.wait_for(f"{card}.dataset.status === 'running'")
        text = await page.evaluate(f"{card}.innerText")
        assert "2 / 2" in text and "COMPLETED" in text.upper()
        assert await page.evaluate(f"{card}.querySelector('.failure')") is None
        await page.screenshot(tmp_path / "ready.png")

        # Fails: Degraded with its message, shown on the card; the Warning event live.
        await _write_status(pool, production, [
            _condition("Ready", False, "RolloutFailed", "0 of 2 tasks running"),
            _condition("Progressing", False, "RolloutFailed"),
            _condition("Degraded", True, "RolloutFailed", PULL_FAILURE),
        ], {"desiredCount": 2, "runningCount": 0, "rolloutState": "FAILED"})
        await _record(pool, production, "DeploymentFailed", PULL_FAILURE, warning=True)
        await page.wait_for(
            "document.querySelector('#events li[data-reason=\"DeploymentFailed\"][data-type=\"Warning\"]') !== null"
        )
        await page.wait_for(f"{card}.dataset.status === 'degraded'")
        failure = await page.wait_for(f"{card}.querySelector('.failure')?.innerText")
        assert PULL_FAILURE in failure and "production" in failure
        newest = await page.evaluate("document.querySelector('#events li').dataset.reason")
        assert newest == "DeploymentFailed"
        await page.screenshot(tmp_path / "degraded.png")

        # The long-lived token never went into the page's address; the page reported no errors.
        assert tenant.token not in await page.evaluate("location.href")
        assert page.problems == []


@needs_chromium
async def test_a_refused_token_is_said_plainly_and_signing_out_forgets_it(base_url, tenant):
    async with chromium_page(CHROMIUM) as page:
        await page.navigate(base_url + "/console")
        await page.wait_for("document.getElementById('sign-in-form') !== null")
        await page.evaluate(
            f"document.getElementById('organisation').value = {json.dumps(tenant.slug)};"
            "document.getElementById('token').value = 'not-a-token';"
            "document.getElementById('sign-in-form').requestSubmit(); true"
        )
        message = await page.wait_for("!document.getElementById('problem').hidden"
                                      " && document.getElementById('problem').innerText")
        assert "token was refused" in message
        await page.evaluate("document.getElementById('sign-out').click(); true")
        assert await page.evaluate("sessionStorage.length") == 0
        assert await page.evaluate("document.getElementById('sign-in').hidden") is False
        # The browser logs the refused requests (401) itself; the page's script raised nothing.
        assert not [p for p in page.problems if "401" not in p]
