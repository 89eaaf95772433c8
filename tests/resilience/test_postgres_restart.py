"""PostgreSQL restarted under write load: nothing acknowledged is lost, the API answers
503 while the database is down and recovers on its own, the controller reconnects.

`berth api` and `berth controller` run as real processes against a PostgreSQL server of
this test's own (tests/resilience/private_postgres.py) and moto behind a proxy. Writers
create applications (POST) and replace the desired state of others (PUT, a new `SEQ`
variable each time), recording every answer. In the middle of the load the server is
stopped — a fast shutdown, then an immediate one (a crash: nothing flushed but the WAL) —
the writers keep going, and it is started again; then one of its processes is SIGKILLed,
and PostgreSQL restarts itself. No berth process is restarted. Then:

- every write the API acknowledged (2xx) is stored as acknowledged: its spec, and the
  generation its ETag named (a later write that answered 503 or timed out may have
  committed too: the stored value is then that later one, never an older one);
- while the database was down the API answered 503 problem+json, never 500, never hung
  past the client's bound, and /readyz answered 503; after the start the API answered
  2xx again and /readyz 200, and no request sent after the first 2xx failed (no stale
  pooled connection). A deadlock victim's 503 (a write racing the controller's lease
  renewals, undone whole by PostgreSQL) is counted apart: it is not the outage;
- a create with an Idempotency-Key that answered 503 during the outage, retried after
  it, is created exactly once (the retry's retry is the kept answer, replayed);
- the controller's LISTEN connection is back after each start (its `listening` log line,
  and a LISTEN session on the server) and an application written after the restarts
  converges on moto.

How long each recovery took is printed (`pytest -s`) for docs/operations.md; the test
asserts no figure, only bounded waits.
"""

import asyncio
import contextlib
import json
import os
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.problems import CONFLICTED
from controller.store.databases import create_database, migrate_database
from controller.store.organisations import add_token, create_organisation, new_token
from controller.store.pool import DATABASE_ERRORS
from tests.e2e.conftest import AWS_ENVIRONMENT, FAST
from tests.e2e.test_lifecycle import running
from tests.processes import berth_processes, free_port
from tests.resilience.private_postgres import PrivatePostgres
from tests.serving import serve

ORGANISATION = "acme"
APPLICATIONS = f"/api/v3/organizations/{ORGANISATION}/applications"
CONTAINER = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
COMPOSE = {"containers": [CONTAINER], "taskCpu": 256, "taskMemory": 512, "minCapacity": 1, "maxCapacity": 1}
UPDATED = ("steady-a", "steady-b")  # replaced again and again (PUT)
REQUEST_TIMEOUT_SECONDS = 10.0  # no answer within this is a hang
STARTUP_SECONDS = 45.0
RECOVERY_SECONDS = 30.0
CONVERGE_SECONDS = 90.0
LOAD_BEFORE_SECONDS = 2.0
OUTAGE_SECONDS = 3.0
LOAD_BETWEEN_SECONDS = 2.0
CREATE_EVERY_SECONDS = 1.0  # each create is a service on moto: few, so the final one converges soon
WRITE_PAUSE_SECONDS = 0.02
IDEMPOTENCY_KEY = "restart-idempotent-create"


def body(name: str, seq: int) -> dict:
    return {"appName": name, "composeDefinition": COMPOSE, "environment": [{"name": "SEQ", "value": str(seq)}]}


def generation_of(etag: str) -> int:
    """An environment's ETag: `"<id>.<generation>"` (api/etags.py)."""
    return int(etag.strip('"').split(".")[1])


@dataclass(frozen=True)
class Ack:
    seq: int  # the SEQ the last 2xx stored
    generation: int | None  # the production environment's generation it named (its ETag), if it did
    count: int  # 2xx answers so far, each a change of the spec


@dataclass
class Ledger:
    """Every answer the writers got, and what each 2xx acknowledged."""

    statuses: list[tuple[float, float, int]] = field(default_factory=list)  # (sent, answered: monotonic; status)
    unexpected: list[str] = field(default_factory=list)  # anything but 2xx or 503 problem+json
    conflicts: int = 0  # 503s for a transaction PostgreSQL undid to break a deadlock
    created: dict[str, int] = field(default_factory=dict)  # name → SEQ acknowledged by a 2xx POST
    sent: dict[str, set[int]] = field(default_factory=dict)  # name → every SEQ sent (answered or not)
    acknowledged: dict[str, Ack] = field(default_factory=dict)  # PUTs: name → the last one acknowledged

    def answered(self, method: str, name: str, sent: float, response: httpx.Response) -> bool:
        if response.status_code == 503:
            if not response.headers.get("content-type", "").startswith("application/problem+json"):
                self.unexpected.append(f"{method} {name}: 503 without problem+json: {response.text[:200]}")
            elif response.json()["detail"] == CONFLICTED:
                # A deadlock victim, rolled back whole: not the outage, and nothing stored.
                self.conflicts += 1
                return False
        self.statuses.append((sent, time.monotonic(), response.status_code))
        if response.status_code == 503:
            return False
        if not 200 <= response.status_code < 300:
            self.unexpected.append(f"{method} {name}: {response.status_code} {response.text[:300]}")
            return False
        return True

    def first_success_after(self, moment: float) -> float | None:
        return next((t for _, t, status in self.statuses if t >= moment and 200 <= status < 300), None)

    def sent_after(self, moment: float) -> list[int]:
        return [status for sent, _, status in self.statuses if sent >= moment]

    def count(self, predicate) -> int:
        return sum(1 for _, _, status in self.statuses if predicate(status))


async def replace_forever(api: httpx.AsyncClient, name: str, ledger: Ledger, stop: asyncio.Event) -> None:
    """`steady-a`: the declarative PUT of the whole application each time. `steady-b`: one
    PUT, then the production environment's `SEQ` variable set alone (an answer with the
    ETag, hence the generation, of what it stored)."""
    seq, by_variable = 0, name == UPDATED[1]
    while not stop.is_set():
        seq += 1
        ledger.sent.setdefault(name, set()).add(seq)
        first = name not in ledger.acknowledged
        sent = time.monotonic()
        try:
            if by_variable and not first:
                response = await api.put(f"{APPLICATIONS}/{name}/environments/production/variables/SEQ",
                                         json={"value": str(seq)})
            else:
                response = await api.put(f"{APPLICATIONS}/{name}", json=body(name, seq))
        except httpx.HTTPError as error:
            ledger.unexpected.append(f"PUT {name} #{seq}: {type(error).__name__} {error}")
            continue
        if ledger.answered("PUT", name, sent, response):
            tag = response.headers.get("etag")
            count = ledger.acknowledged[name].count + 1 if name in ledger.acknowledged else 1
            ledger.acknowledged[name] = Ack(seq, generation_of(tag) if tag else None, count)
        await asyncio.sleep(WRITE_PAUSE_SECONDS if response.status_code != 503 else 0.1)


async def create_now_and_then(api: httpx.AsyncClient, ledger: Ledger, stop: asyncio.Event) -> None:
    number = 0
    while not stop.is_set():
        number += 1
        name = f"created-{number}"
        ledger.sent[name] = {number}
        sent = time.monotonic()
        try:
            response = await api.post(APPLICATIONS, json=body(name, number))
        except httpx.HTTPError as error:
            ledger.unexpected.append(f"POST {name}: {type(error).__name__} {error}")
            continue
        if ledger.answered("POST", name, sent, response):
            ledger.created[name] = number
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CREATE_EVERY_SECONDS)


def logged(path: Path, event: str) -> list[dict]:
    found = []
    for line in path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and entry.get("event") == event:
                found.append(entry)
    return found


async def until(check, seconds: float, what: str):
    try:
        async with asyncio.timeout(seconds):
            while not (answer := await check()):
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {seconds} s: {what}") from None
    return answer


@pytest.fixture
async def private_postgres(tmp_path):
    server = await asyncio.to_thread(PrivatePostgres)
    await asyncio.to_thread(server.start)
    yield server
    with contextlib.suppress(OSError):  # the server's log, next to berth's, for a failure's details
        shutil.copy(server.log, tmp_path / "postgres.log")
    await asyncio.to_thread(server.remove)


@pytest.mark.slow
async def test_postgres_restarted_under_write_load_loses_nothing(private_postgres, aws_proxy, rollouts, tmp_path):
    server = private_postgres
    dsn = await create_database(server.dsn, "berth")
    await migrate_database(dsn)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        organisation = await create_organisation(pool, ORGANISATION, 100)
        token = new_token()
        await add_token(pool, organisation, token)
    finally:
        await pool.close()

    began = time.monotonic()
    port = free_port()
    environ = {**AWS_ENVIRONMENT, **FAST, "AWS_ENDPOINT_URL": aws_proxy.url, "DATABASE_URL": dsn,
               "BERTH_RATE_LIMIT": "0"}
    ledger, figures = Ledger(), {}
    headers = {"Authorization": f"Bearer {token}"}
    with berth_processes(tmp_path, environ, port, "INFO") as logs:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers,
                                     timeout=REQUEST_TIMEOUT_SECONDS) as api:
            async def ready() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    return (await api.get("/readyz")).status_code == 200
                return False

            await until(ready, STARTUP_SECONDS, "the API is ready")
            await until(lambda: _async(bool(logged(logs["controller"], "listening"))), STARTUP_SECONDS,
                        "the controller listens")

            figures["processes_ready_s"] = round(time.monotonic() - began, 2)
            stop_load = asyncio.Event()
            writers = [asyncio.create_task(replace_forever(api, name, ledger, stop_load)) for name in UPDATED]
            writers.append(asyncio.create_task(create_now_and_then(api, ledger, stop_load)))
            try:
                await asyncio.sleep(LOAD_BEFORE_SECONDS)
                idempotent = body("idempotent", 1)
                for mode in ("fast", "immediate", "backend killed"):
                    if mode == "backend killed":
                        figures[mode], recovered = await crash(dsn, ledger, logs["controller"])
                    else:
                        figures[mode], recovered = await outage(server, mode, api, ledger, logs["controller"],
                                                                idempotent)
                    await asyncio.sleep(LOAD_BETWEEN_SECONDS)
                    # The pool recovers at once: no stale connection fails a request sent later.
                    later = ledger.sent_after(recovered)
                    assert later and 503 not in later, (mode, later)
            finally:
                stop_load.set()
                await asyncio.gather(*writers)

            assert not ledger.unexpected, ledger.unexpected[:20]

            # The 503'd create, retried now, runs once; its retry is the kept answer.
            retried = await api.post(APPLICATIONS, json=idempotent, headers={"Idempotency-Key": IDEMPOTENCY_KEY})
            assert retried.status_code == 201, retried.text
            replayed = await api.post(APPLICATIONS, json=idempotent, headers={"Idempotency-Key": IDEMPOTENCY_KEY})
            assert replayed.status_code == 201 and replayed.headers.get("idempotent-replayed") == "true"

            await check_acknowledged(dsn, ledger)

            # The controller: listening again after every outage, and converging what is written now.
            async with connected(dsn) as connection:
                listening = await connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'berth' AND query ILIKE 'LISTEN %'")
            assert listening == 1, f"{listening} LISTEN sessions on the server after the restarts, not the controller's one"
            written_after = await api.post(APPLICATIONS, json=body("after-restart", 1))
            assert written_after.status_code == 201, written_after.text
            started = time.monotonic()

            async def converged() -> bool:
                return running(await api.get(f"{APPLICATIONS}/after-restart"))

            await until(converged, CONVERGE_SECONDS, "the application written after the restarts converges")
            figures["converged_after_write_s"] = round(time.monotonic() - started, 2)
            async with connected(dsn) as connection:
                conditions = await connection.fetchval(
                    "SELECT s.conditions FROM statuses s JOIN environments e ON s.key = e.id::text"
                    " JOIN applications a ON a.id = e.application_id WHERE a.name = 'after-restart'"
                    " AND s.kind = 'ecs-environment'")
            assert {c["type"]: c["status"] for c in json.loads(conditions)}["Ready"] is True

    figures["acknowledged"] = ledger.count(lambda s: 200 <= s < 300)
    figures["unavailable_503"] = ledger.count(lambda s: s == 503)
    figures["deadlock_victims_503"] = ledger.conflicts
    print("\npostgres restart:", json.dumps(figures))


async def outage(server: PrivatePostgres, mode: str, api: httpx.AsyncClient, ledger: Ledger, controller_log: Path,
                 idempotent: dict) -> tuple[dict, float]:
    """Stop the server (`mode`), check what the API answers meanwhile, start it, wait for
    recovery; return what was measured, and when writes succeeded again."""
    listened_before = len(logged(controller_log, "listening"))
    await asyncio.to_thread(server.stop, mode)
    stopped = time.monotonic()

    readyz = await api.get("/readyz")
    assert readyz.status_code == 503, readyz.text
    assert readyz.headers["content-type"].startswith("application/problem+json")
    if mode == "fast":  # once is enough: the key is claimed after recovery, exactly once
        refused = await api.post(APPLICATIONS, json=idempotent, headers={"Idempotency-Key": IDEMPOTENCY_KEY})
        assert refused.status_code == 503, refused.text
    await asyncio.sleep(OUTAGE_SECONDS)
    down_503 = ledger.count(lambda s: s == 503)
    first_503 = next((t for _, t, s in ledger.statuses if t >= stopped and s == 503), None)
    assert first_503 is not None, "no write answered 503 while the database was down"

    await asyncio.to_thread(server.start)
    started = time.monotonic()
    started_wall = time.time()

    async def answering() -> bool:
        return ledger.first_success_after(started) is not None

    await until(answering, RECOVERY_SECONDS, f"writes succeed again after the {mode} stop")

    async def ready() -> bool:
        return (await api.get("/readyz")).status_code == 200

    await until(ready, RECOVERY_SECONDS, f"/readyz answers 200 after the {mode} stop")
    ready_at = time.monotonic()

    async def relistening() -> bool:
        return len(logged(controller_log, "listening")) > listened_before

    await until(relistening, RECOVERY_SECONDS, f"the controller listens again after the {mode} stop")
    listened = logged(controller_log, "listening")[-1]
    listened_wall = datetime_seconds(listened["timestamp"])
    recovered = ledger.first_success_after(started)
    return {
        "down_s": round(started - stopped, 2),
        "first_503_after_stop_s": round(first_503 - stopped, 3),
        "writes_503_so_far": down_503,
        "api_write_ok_after_start_s": round(recovered - started, 3),
        "readyz_200_after_start_s": round(ready_at - started, 3),
        "controller_listening_after_start_s": round(listened_wall - started_wall, 3),
    }, recovered


async def crash(dsn: str, ledger: Ledger, controller_log: Path) -> tuple[dict, float]:
    """SIGKILL one server process: PostgreSQL ends every session ("terminating connection
    because of crash of another server process"), replays the WAL and takes connections
    again by itself. Nobody starts anything; the API and the controller must notice alone."""
    listened_before = len(logged(controller_log, "listening"))
    async with connected(dsn) as connection:
        victim = await connection.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE datname = 'berth' AND backend_type = 'client backend'"
            " AND pid <> pg_backend_pid() ORDER BY backend_start LIMIT 1")
    answers_before = len(ledger.statuses)
    os.kill(victim, signal.SIGKILL)
    killed, killed_wall = time.monotonic(), time.time()

    # Other sessions serve a few more queries before the server ends them: recovery is
    # counted from the moment a new session is refused until one is accepted again.
    async def accepting() -> bool:
        with contextlib.suppress(*DATABASE_ERRORS):
            async with connected(dsn) as probe:
                return await probe.fetchval("SELECT true")
        return False

    await until(lambda: _async_not(accepting()), RECOVERY_SECONDS, "the server restarts after the crash")
    await until(accepting, RECOVERY_SECONDS, "the server takes sessions again after the crash")
    back = time.monotonic()

    async def answering() -> bool:
        return ledger.first_success_after(back) is not None

    await until(answering, RECOVERY_SECONDS, "writes succeed again after a server process was killed")

    async def relistening() -> bool:
        return len(logged(controller_log, "listening")) > listened_before

    await until(relistening, RECOVERY_SECONDS, "the controller listens again after the crash")
    recovered = ledger.first_success_after(back)
    listened_wall = datetime_seconds(logged(controller_log, "listening")[-1]["timestamp"])
    return {
        "writes_503": sum(1 for _, _, status in ledger.statuses[answers_before:] if status == 503),
        "server_back_after_kill_s": round(back - killed, 3),
        "api_write_ok_after_server_back_s": round(recovered - back, 3),
        "controller_listening_after_kill_s": round(listened_wall - killed_wall, 3),
    }, recovered


def datetime_seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def _async(value):
    return value


async def _async_not(answer) -> bool:
    return not await answer


@contextlib.asynccontextmanager
async def connected(dsn: str):
    connection = await asyncpg.connect(dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def check_acknowledged(dsn: str, ledger: Ledger) -> None:
    """Every acknowledged write is stored as acknowledged (or as a later write of the same writer)."""
    async with connected(dsn) as connection:
        rows = await connection.fetch(
            "SELECT a.name, e.spec::text, e.generation FROM applications a"
            " JOIN environments e ON e.application_id = a.id AND e.name = 'production' WHERE a.deleted_at IS NULL")
    stored = {row["name"]: (seq_of(json.loads(row["spec"])), row["generation"]) for row in rows}

    assert ledger.created, "no create was acknowledged"
    for name, seq in ledger.created.items():
        assert name in stored, f"acknowledged create {name} is not stored"
        assert stored[name][0] == seq, (name, stored[name], seq)
    assert set(ledger.acknowledged) == set(UPDATED), "a replacing writer never got a 2xx"
    assert ledger.acknowledged[UPDATED[1]].generation is not None, "the variable writes answered no ETag"
    for name, ack in ledger.acknowledged.items():
        kept, generation = stored[name]
        assert kept in ledger.sent[name] and kept >= ack.seq, f"{name}: stored SEQ {kept}, acknowledged {ack.seq}"
        # Each acknowledged write changed the spec, so moved the generation once.
        assert generation >= ack.count, (name, generation, ack)
        if ack.generation is not None:
            if kept == ack.seq:
                assert generation == ack.generation, (name, generation, ack)
            else:  # a later write committed though its answer was a 503 or never came
                assert generation > ack.generation, (name, generation, ack)
    assert "idempotent" in stored


def seq_of(environment_spec: dict) -> int:
    return int({v["name"]: v["value"] for v in environment_spec["variables"]}["SEQ"])


SHUT_DOWN_WHEN_KEPT = """
CREATE FUNCTION shut_down() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = '57P01';
END $$;
CREATE TRIGGER shut_down_when_kept BEFORE UPDATE ON idempotency_keys
    FOR EACH ROW WHEN (NEW.completed) EXECUTE FUNCTION shut_down();
"""


async def test_a_create_whose_kept_answer_meets_a_shutdown_answers_201(database_url, pool):
    """The create commits, then keeping its answer fails as a shutdown fails a statement
    (SQLSTATE 57P01, raised here by a trigger): the client gets its 201, not a 503 that
    would send it to retry a create that happened."""
    await pool.execute(SHUT_DOWN_WHEN_KEPT)
    organisation = await create_organisation(pool, ORGANISATION, 10)
    token = new_token()
    await add_token(pool, organisation, token)
    async with serve(create_app(database_url)) as url, \
            httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api:
        created = await api.post(APPLICATIONS, json=body("kept", 1), headers={"Idempotency-Key": "kept-1"})
    assert created.status_code == 201, created.text
    assert await pool.fetchval("SELECT count(*) FROM applications WHERE name = 'kept'") == 1
    assert await pool.fetchval("SELECT completed FROM idempotency_keys WHERE key = 'kept-1'") is False


UNDONE_AS_A_DEADLOCK = """
CREATE FUNCTION undo_as_a_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01';
END $$;
CREATE TRIGGER undone_as_a_deadlock BEFORE INSERT ON applications
    FOR EACH ROW EXECUTE FUNCTION undo_as_a_deadlock();
"""


async def test_a_deadlock_victim_answers_503_and_writes_nothing(database_url, pool):
    """PostgreSQL undoes a deadlock's victim whole (SQLSTATE 40P01, raised here by a
    trigger): a 503 saying so, which a client may retry whatever it sent, not a 500."""
    await pool.execute(UNDONE_AS_A_DEADLOCK)
    organisation = await create_organisation(pool, ORGANISATION, 10)
    token = new_token()
    await add_token(pool, organisation, token)
    async with serve(create_app(database_url)) as url, \
            httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api:
        refused = await api.post(APPLICATIONS, json=body("undone", 1))
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["detail"] == CONFLICTED
    assert await pool.fetchval("SELECT count(*) FROM applications") == 0
    assert await pool.fetchval("SELECT application_count FROM organisations WHERE slug = $1", ORGANISATION) == 0
