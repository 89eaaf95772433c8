"""`/api/v1/integrations`: GitHub webhooks, a health answer, and the two integrations
berth does not offer (docker auth, signing certificate: 501).

`POST …/github/hooks` trusts nothing it has not verified: the `X-Hub-Signature-256`
HMAC-SHA256 of the raw body with BERTH_GITHUB_WEBHOOK_SECRET (read per request, so a
rotated secret needs no restart). Without a configured secret every delivery is refused
(503) — an unsigned hook is never accepted. A verified push to an application's
`auto_deploy_branch` of its `github_repository` starts a full deploy (trigger github,
the pushed commit), once per delivery id; any other event is acknowledged (201) with
nothing done, and the body says so.
"""

import os
from urllib.parse import parse_qs

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation
from api.responses import JSON
from api.v1.errors import bad_field, problem
from api.v1.pipeline import TRIGGER_GITHUB, start_full_deploy
from controller.store import v1_pipeline as store
from schemas.v1.github import NO_REF, NO_REPOSITORY, parse_push, repository_key, signature_valid
from schemas.v1.pipeline import HealthResponse, WebhookResponse

PREFIX = "/api/v1/integrations"
SECRET_VARIABLE = "BERTH_GITHUB_WEBHOOK_SECRET"
SIGNATURE_HEADER = "x-hub-signature-256"
EVENT_HEADER = "x-github-event"
DELIVERY_HEADER = "x-github-delivery"

NOT_CONFIGURED = "GitHub webhooks are not configured on this berth (set BERTH_GITHUB_WEBHOOK_SECRET); nothing was done"
BAD_SIGNATURE = "X-Hub-Signature-256 is missing or does not match the body"
NOT_JSON = "is not a JSON push payload"
PONG = "ping received; nothing to do"
IGNORED = "{event!r} events start nothing; nothing was done"
NOT_DEPLOYABLE = "the push of {ref} is not to an existing branch; nothing was done"
NO_APPLICATION = "no application auto-deploys {branch!r} of {repository}; nothing was done"
STARTED = "started {count} full deploy(s)"
REPEATED = "delivery seen before; the full deploy(s) it started are unchanged"
NOT_IMPLEMENTED = "berth does not offer {what}"
PUSH_FIELDS = {NO_REPOSITORY: "repository.full_name", NO_REF: "ref"}


def _payload(request: Request, raw: bytes):
    """GitHub sends JSON, or a form whose `payload` field holds the JSON."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raw = (parse_qs(raw.decode(errors="replace")).get("payload") or [""])[0].encode()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_field("payload", NOT_JSON) from None


async def github_hooks(request: Request) -> Response:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if not secret:
        raise problem(503, "Service Unavailable", NOT_CONFIGURED)
    raw = await request.body()  # the bytes as sent: the signature covers exactly these
    if not signature_valid(secret.encode(), raw, request.headers.get(SIGNATURE_HEADER)):
        raise problem(401, "Unauthorized", BAD_SIGNATURE)
    event = request.headers.get(EVENT_HEADER, "")
    delivery = request.headers.get(DELIVERY_HEADER) or None
    hook_id = delivery or ""
    if event == "ping":
        return JSON(WebhookResponse(hook_id=hook_id, detail=PONG).to_wire(), status_code=201)
    if event != "push":
        return JSON(WebhookResponse(hook_id=hook_id, detail=IGNORED.format(event=event)).to_wire(), status_code=201)
    try:
        push = parse_push(_payload(request, raw))
    except ValueError as error:
        raise bad_field(PUSH_FIELDS.get(str(error), "payload"), str(error)) from None
    branch = push.deployed_branch
    if branch is None:
        detail = NOT_DEPLOYABLE.format(ref=push.ref)
        return JSON(WebhookResponse(hook_id=hook_id, detail=detail).to_wire(), status_code=201)
    pool = request.state.pool
    matching = [
        row for row in await store.auto_deploy_candidates(pool, branch)
        if repository_key(row["github_repository"]) == push.repository
    ]
    started = []
    for row in matching:
        application = store.Application(row["id"], row["github_repository"], branch)
        deploy = await start_full_deploy(
            pool,
            request.state.notifier,
            application,
            trigger=TRIGGER_GITHUB,
            commit_sha=push.commit_sha,
            github_delivery=delivery,
        )
        if deploy is not None:
            started.append(deploy)
    if not started:
        detail = NO_APPLICATION.format(branch=push.branch, repository=push.repository)
    elif all(deploy.repeated for deploy in started):
        detail = REPEATED
    else:
        detail = STARTED.format(count=len(started))
    answer = WebhookResponse(hook_id=hook_id, detail=detail, pipeline_ids=[str(d.pipeline_id) for d in started])
    return JSON(answer.to_wire(), status_code=201)


async def health(_: Request) -> Response:
    return JSON(HealthResponse().to_wire())


def _not_offered(what: str):
    async def endpoint(_: Request) -> Response:
        raise problem(501, "Not Implemented", NOT_IMPLEMENTED.format(what=what))

    return endpoint


docker_auth = _not_offered("docker registry credentials through this API")
signing_cert = _not_offered("a signing certificate")


operations = [
    Operation(PREFIX + "/github/hooks", "post", "ApiV1IntegrationsGithubHooksGithubHooks",
              "GithubHooks: a signed push to an application's auto_deploy_branch starts a full deploy", None, {
        201: ("Verified; `detail` says what was done (other events: nothing), `pipeline_ids` the deploys started",
              WebhookResponse),
        400: ("A push whose payload is not a push", None),
        401: ("X-Hub-Signature-256 missing or not matching", None),
        503: ("No webhook secret is configured (BERTH_GITHUB_WEBHOOK_SECRET): nothing is accepted", None),
    }, authenticated=False, handler=github_hooks),
    Operation(PREFIX + "/health", "get", "ApiV1IntegrationsHealthHealth", "Health", None, {
        200: ("The integrations answer", HealthResponse),
    }, authenticated=False, handler=health),
    Operation(PREFIX + "/docker/auth", "get", "ApiV1IntegrationsDockerAuthGetDockerAuth",
              "DockerAuth: not offered by berth", None, {501: ("Not offered", None)}, authenticated=False, handler=docker_auth),
    Operation(PREFIX + "/docker/auth", "post", "ApiV1IntegrationsDockerAuthPostDockerAuth",
              "DockerAuth: not offered by berth", None, {501: ("Not offered", None)}, authenticated=False, handler=docker_auth),
    Operation(PREFIX + "/signing-cert", "get", "ApiV1IntegrationsSigningCertSigningCert",
              "SigningCert: not offered by berth", None, {501: ("Not offered", None)}, authenticated=False, handler=signing_cert),
]
