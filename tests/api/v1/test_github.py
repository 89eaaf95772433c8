"""POST /api/v1/integrations/github/hooks on PostgreSQL: only signed deliveries count;
a push to an application's auto-deploy branch starts one full deploy per delivery."""

from uuid import UUID

import httpx
import orjson
import pytest

from schemas.v1.github import signature_of
from tests.api.v1.pipeline_helpers import application_with_repository, queued

HOOKS = "/api/v1/integrations/github/hooks"
SECRET = "webhook-secret"
SHA = "c0ffee" + "0" * 34


def push(branch: str = "main", repository: str = "Acme/Shop", **extra) -> dict:
    return {"ref": f"refs/heads/{branch}", "after": SHA, "deleted": False,
            "repository": {"full_name": repository}, **extra}


async def deliver(base_url: str, payload, *, event: str = "push", delivery: str = "d-1", secret: str = SECRET,
                  signature: str | None = None) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
               "X-Hub-Signature-256": signature if signature is not None else signature_of(secret.encode(), body)}
    async with httpx.AsyncClient(base_url=base_url) as client:  # GitHub sends no API key
        return await client.post(HOOKS, content=body, headers=headers)


@pytest.fixture
def webhook_secret(monkeypatch):
    monkeypatch.setenv("BERTH_GITHUB_WEBHOOK_SECRET", SECRET)


async def test_without_a_configured_secret_nothing_is_accepted(tenant, pool, base_url, monkeypatch):
    monkeypatch.delenv("BERTH_GITHUB_WEBHOOK_SECRET", raising=False)
    await application_with_repository(tenant, pool)
    answer = await deliver(base_url, push(), secret="")
    assert answer.status_code == 503 and answer.json()["status_code"] == 503
    assert await pool.fetchval("SELECT count(*) FROM pipelines") == 0


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc"])
async def test_unsigned_or_badly_signed_deliveries_are_refused(tenant, pool, base_url, webhook_secret, signature):
    await application_with_repository(tenant, pool)
    answer = await deliver(base_url, push(), signature=signature)
    assert answer.status_code == 401 and "X-Hub-Signature-256" in answer.json()["detail"]
    assert await pool.fetchval("SELECT count(*) FROM pipelines") == 0


async def test_a_signature_with_another_secret_is_refused(tenant, pool, base_url, webhook_secret):
    await application_with_repository(tenant, pool)
    assert (await deliver(base_url, push(), secret="guess")).status_code == 401
    assert await pool.fetchval("SELECT count(*) FROM images") == 0


async def test_a_push_to_the_auto_deploy_branch_starts_a_full_deploy(tenant, pool, base_url, webhook_secret):
    app = await application_with_repository(tenant, pool, repository="https://github.com/acme/shop.git")
    other = await application_with_repository(tenant, pool, slug="api", project="api", branch="develop")
    answer = await deliver(base_url, push())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["ok"] is True and body["hook_id"] == "d-1" and len(body["pipeline_ids"]) == 1
    pipeline = await pool.fetchrow("SELECT * FROM pipelines WHERE id = $1", UUID(body["pipeline_ids"][0]))
    assert str(pipeline["application_id"]) == app["id"]
    assert (pipeline["trigger"], pipeline["commit_sha"], pipeline["branch"], pipeline["github_delivery"]) == (
        "github", SHA, "main", "d-1",
    )
    image = await pool.fetchrow("SELECT * FROM images WHERE id = $1", pipeline["image_id"])
    assert (image["commit_sha"], image["build_ref"], image["built"]) == (SHA, "main", False)
    assert await queued(pool, "kube-build", image["id"]) and await queued(pool, "kube-pipeline", pipeline["id"])
    assert await pool.fetchval("SELECT count(*) FROM pipelines WHERE application_id = $1", UUID(other["id"])) == 0


async def test_a_redelivery_starts_nothing_new(tenant, pool, base_url, webhook_secret):
    await application_with_repository(tenant, pool)
    first = (await deliver(base_url, push())).json()
    again = (await deliver(base_url, push())).json()
    assert again["pipeline_ids"] == first["pipeline_ids"] and "seen before" in again["detail"]
    assert await pool.fetchval("SELECT count(*) FROM pipelines") == 1
    assert await pool.fetchval("SELECT count(*) FROM images") == 1
    await deliver(base_url, push(), delivery="d-2")  # a new push is a new deploy
    assert await pool.fetchval("SELECT count(*) FROM pipelines") == 2


@pytest.mark.parametrize(
    ("reason", "event", "payload", "says"),
    [
        ("another branch", "push", push(branch="feature"), "no application"),
        ("another repository", "push", push(repository="acme/other"), "no application"),
        ("a tag", "push", {**push(), "ref": "refs/tags/v1"}, "not to an existing branch"),
        ("a deleted branch", "push", push(deleted=True, after="0" * 40), "not to an existing branch"),
        ("a ping", "ping", {"zen": "Keep it logically awesome."}, "ping"),
        ("another event", "issues", {"action": "opened"}, "'issues' events start nothing"),
    ],
)
async def test_other_deliveries_are_acknowledged_with_nothing_done(
    tenant, pool, base_url, webhook_secret, reason, event, payload, says
):
    await application_with_repository(tenant, pool)
    answer = await deliver(base_url, payload, event=event)
    assert answer.status_code == 201, reason
    assert says in answer.json()["detail"] and answer.json()["pipeline_ids"] == [], reason
    assert await pool.fetchval("SELECT count(*) FROM pipelines") == 0, reason


async def test_a_signed_push_that_is_not_a_push_is_400_naming_the_field(tenant, pool, base_url, webhook_secret):
    answer = await deliver(base_url, {"ref": "refs/heads/main"})
    assert answer.status_code == 400 and answer.json()["extra"][0]["key"] == "repository.full_name"
    answer = await deliver(base_url, b"not json")
    assert answer.status_code == 400 and answer.json()["extra"][0]["key"] == "payload"


async def test_a_form_encoded_push_is_verified_over_the_raw_body(tenant, pool, base_url, webhook_secret):
    await application_with_repository(tenant, pool)
    body = httpx.QueryParams({"payload": orjson.dumps(push()).decode()}).__str__().encode()
    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-9",
               "Content-Type": "application/x-www-form-urlencoded",
               "X-Hub-Signature-256": signature_of(SECRET.encode(), body)}
    async with httpx.AsyncClient(base_url=base_url) as client:
        answer = await client.post(HOOKS, content=body, headers=headers)
    assert answer.status_code == 201 and len(answer.json()["pipeline_ids"]) == 1


async def test_integrations_health_and_what_berth_does_not_offer(base_url):
    async with httpx.AsyncClient(base_url=base_url) as client:
        assert (await client.get("/api/v1/integrations/health")).json() == {"status": "ok"}
        for method, path in (("GET", "/docker/auth"), ("POST", "/docker/auth"), ("GET", "/signing-cert")):
            answer = await client.request(method, "/api/v1/integrations" + path)
            assert answer.status_code == 501 and answer.json()["status_code"] == 501
            assert answer.headers["content-type"].startswith("application/problem+json")
