"""`Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) on the create and deploy routes.

A request with the header claims the key for its organisation before it runs:
- the key is new (or its record expired): the request runs; a 2xx answer is kept for
  24 hours (status, headers, body) and any other answer frees the key again, so a
  corrected retry may reuse it (nothing was created; as Stripe does);
- the same request (method, path, query and body: its fingerprint) already answered:
  that answer is replayed, with `Idempotent-Replayed: true`, and nothing runs;
- the key answered or is running a different request: 422;
- the same key is still running: 409 (retry later). A holder that died holds it only
  for its lease (60 s); then a retry of the same request runs.

Operations opt in (`Operation.idempotent`) only once it is known that their answer
holds no secret value, since answers are kept in PostgreSQL as sent.
The handler's write and the kept answer are two transactions: if the process dies
between them the retry after the lease runs the request again, and the create answers
as a repeated create does (409, name taken). If the database goes away between them the
client still gets the handler's answer (not a 503 for a write that committed); only its
replay is not kept. A request refused 503 before its key was claimed runs on its retry.
"""

import hashlib
import time
from collections.abc import Awaitable, Callable

import structlog
from starlette.requests import Request
from starlette.responses import Response

from api.auth import api_key
from api.problems import Problem
from controller.store import idempotency as store
from controller.store.pool import CONNECTION_ERRORS

log = structlog.get_logger("berth.api")

HEADER = "idempotency-key"
REPLAYED = "Idempotent-Replayed"
KEEP_SECONDS = 24 * 3600.0
LEASE_SECONDS = 60.0
PURGE_EVERY_SECONDS = 60.0
MAX_KEY_LENGTH = 255
# Replayed as sent but for these, which belong to the connection or are recomputed.
NOT_KEPT = frozenset({"content-length", "date", "server", "connection", "transfer-encoding"})

BAD_KEY = f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."
KEY_REUSED = "This Idempotency-Key was used for a different request; use a new key for a new request."
IN_FLIGHT = "A request with this Idempotency-Key is still being processed; retry shortly."



def _key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    # A structured-field string arrives quoted; a bare token is accepted as well.
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        errors = [{"field": "Idempotency-Key", "pointer": "header:Idempotency-Key", "message": BAD_KEY}]
        raise Problem(400, "Bad Request", BAD_KEY, errors=errors)
    return key


def fingerprint(method: str, path: str, query: str, body: bytes) -> bytes:
    """What makes two requests the same one: SHA-256 of method, path, query and body."""
    digest = hashlib.sha256()
    for part in (method, path, query):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(body)
    return digest.digest()


class Idempotency:
    """Wraps endpoints: `idempotent(endpoint)`."""

    def __init__(self, *, lease_seconds: float = LEASE_SECONDS, keep_seconds: float = KEEP_SECONDS, clock=time.monotonic):
        self._lease = lease_seconds
        self._keep = keep_seconds
        self._clock = clock
        self._next_purge = 0.0

    def idempotent(self, endpoint: Callable[[Request], Awaitable[Response]]):
        async def answer(request: Request) -> Response:
            key = _key(request)
            if key is None:
                return await endpoint(request)
            try:
                token = api_key(request)
            except Problem:  # the endpoint refuses it alike
                return await endpoint(request)
            state = request.state
            organisation = await state.tokens.organisation(state.pool, token)
            if organisation is None:
                return await endpoint(request)
            await self._purge_now_and_then(state.pool)
            claimed = await store.claim(
                state.pool, organisation.id, key,
                fingerprint(request.method, request.url.path, request.url.query, await request.body()),
                lease_seconds=self._lease, keep_seconds=self._keep,
            )  # fmt: skip
            match claimed:
                case store.Mismatch():
                    raise Problem(422, "Unprocessable Content", KEY_REUSED)
                case store.InFlight():
                    raise Problem(409, "Conflict", IN_FLIGHT)
                case store.Answered(status=status, headers=headers, body=body):
                    replay = Response(body, status_code=status)
                    replay.raw_headers = [
                        *((n.encode("latin-1"), v.encode("latin-1")) for n, v in headers),
                        (b"content-length", str(len(body)).encode()),
                        (REPLAYED.lower().encode(), b"true"),
                    ]
                    return replay
            return await self._run(endpoint, request, organisation.id, key, claimed)

        return answer

    async def _run(self, endpoint, request: Request, organisation_id: int, key: str, claimed) -> Response:
        pool = request.state.pool
        try:
            response = await endpoint(request)
        except BaseException:
            await _quietly(store.release(pool, organisation_id, key, claimed))
            raise
        if not 200 <= response.status_code < 300 or not hasattr(response, "body"):
            await store.release(pool, organisation_id, key, claimed)
            return response
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.raw_headers
            if name.decode("latin-1").lower() not in NOT_KEPT
        ]
        try:
            await store.complete(
                pool, organisation_id, key, claimed, store.Answered(response.status_code, headers, bytes(response.body))
            )
        except CONNECTION_ERRORS as error:
            # The write committed; a 503 now would send the client to retry a create that
            # happened (and, past the lease, to a 409 "name taken"). It gets the answer; only
            # the replay is lost, and the lease frees the key.
            log.warning("idempotency_answer_not_kept", error=str(error))
        return response

    async def _purge_now_and_then(self, pool) -> None:
        """Expired records go in small batches, at most once a minute per process."""
        now = self._clock()
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY_SECONDS
        await store.purge(pool)


async def _quietly(release: Awaitable[None]) -> None:
    """Free the key after a failure; when the database is what failed, the lease frees it."""
    try:
        await release
    except Exception as error:  # noqa: BLE001 — the original failure is the one to report
        log.warning("idempotency_release_failed", error=str(error))
