"""The reconcilers' view of PostgreSQL: desired state in, fenced observed state out."""

from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from pydantic import ValidationError

from controller.store.pool import DATABASE_ERRORS
from controller.store.queries import QUERIES
from controller.store.queue import Preload
from reconcilers.ports import (
    DeploymentRecord,
    EnvironmentRecord,
    LeaseLost,
    StatusUpdate,
    parsed_outputs,
    stored_outputs,
)
from reconcilers.results import PermanentError
from schemas.desired import EnvironmentSpec
from schemas.kinds import SHARED_KINDS
from schemas.outputs import Outputs
from schemas.status import Condition

log = structlog.get_logger("berth.controller")

INVALID_STORED_SPEC = "the stored desired state does not validate at: {fields}; write it again"
LEASE_LOST = "the lease on {kind}/{key} is no longer ours; another worker owns the key"


class _SpecCache:
    """Validated specs by (environment, generation): a generation names one spec (every
    write that changes the spec raises it), and the models are frozen, so passes of one
    process can share the result instead of validating the same JSON each pass."""

    def __init__(self, size: int = 8192):
        self._size = size
        self._specs: OrderedDict[tuple[UUID, int], EnvironmentSpec] = OrderedDict()

    def validated(self, environment_id: UUID, generation: int, raw: Any) -> EnvironmentSpec:
        key = (environment_id, generation)
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = EnvironmentSpec.model_validate(raw)
            if len(self._specs) > self._size:
                self._specs.popitem(last=False)
        else:
            self._specs.move_to_end(key)
        return spec


_SPECS = _SpecCache()


def _changed(before: Mapping[str, Any] | None, after: Mapping[str, Any], read: Sequence[str]) -> bool:
    before = before or {}
    return any(before.get(name) != after.get(name) for name in read)


def _name(kind: type[Outputs] | str) -> str:
    return kind if isinstance(kind, str) else kind.kind


def _locations(error: ValidationError) -> str:
    return ", ".join(sorted({".".join(str(part) for part in item["loc"]) or "(root)" for item in error.errors()}))


class FencedStateStore:
    """A `StateStore` bound to one pass's lease: every write first takes a share lock
    on the pass's queue row, so it commits only while the lease is still held.

    With the claim's `Preload`, the pass's first `environment(key)` and first
    `status(kind, key)` are answered from what the claim read under the lease (as
    fresh as a read at pass start); later calls, and other keys, query as before.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        kind: str,
        key: str,
        lease_token: UUID,
        preload: Preload | None = None,
        watchers: Mapping[str, Sequence[str]] | None = None,
    ):
        self._pool = pool
        # kind -> the outputs it reads of this kind for the same key (its `watches`)
        self._watchers = dict(watchers or {})
        self._kind = kind
        self._key = key
        self._lease_token = lease_token
        self._generations: dict[UUID, int] = {}  # as this pass read them
        self._preloaded_status = preload is not None
        self._status_row = preload.status if preload else None
        self._preloaded_environment = preload is not None and preload.has_environment
        self._environment_row = preload.environment if preload else None

    def _take_environment(self, environment_id: UUID) -> tuple[bool, dict[str, Any] | None]:
        if not self._preloaded_environment or str(environment_id) != self._key:
            return False, None
        self._preloaded_environment = False  # answered once
        return True, self._environment_row

    def _take_status(self, kind: str, key: str) -> tuple[bool, Any]:
        if not self._preloaded_status or kind != self._kind or key != self._key:
            return False, None
        self._preloaded_status = False  # answered once
        return True, self._status_row

    @asynccontextmanager
    async def _fenced(self, environment_first: UUID | None = None) -> AsyncIterator[asyncpg.Connection]:
        """`environment_first`: a write that changes the environment's row takes it before
        the lease's queue row, in the order API writes take them (environment, then
        queue), so the two cannot deadlock."""
        async with self._pool.acquire() as connection, connection.transaction():
            if environment_first is not None:
                await connection.execute(QUERIES.lock_environment_row, environment_first)
            held = await connection.fetchval(
                QUERIES.hold_lease, self._kind, self._key, self._lease_token
            )
            if not held:
                raise LeaseLost(LEASE_LOST.format(kind=self._kind, key=self._key))
            yield connection

    async def environment(self, environment_id: UUID) -> EnvironmentRecord | None:
        preloaded, row = self._take_environment(environment_id)
        if not preloaded:
            row = await self._pool.fetchrow(QUERIES.environment_record, environment_id)
        if row is None:
            return None
        try:
            spec = _SPECS.validated(row["id"], row["generation"], row["spec"])
        except ValidationError as error:
            # The stored spec no longer validates (the schema tightened since it was
            # written): say where, never echo the values, and wait for a change.
            raise PermanentError("InvalidStoredSpec", INVALID_STORED_SPEC.format(fields=_locations(error))) from None
        self._generations[environment_id] = row["generation"]
        return EnvironmentRecord(
            id=row["id"],
            application_id=row["application_id"],
            organisation=row["organisation"],
            application=row["application"],
            name=row["name"],
            spec=spec,
            generation=row["generation"],
            deleting=row["deleting"],
            finalizers=tuple(row["finalizers"]),
        )

    async def outputs(self, kind: type[Outputs] | str, key: str) -> Any:
        row = await self._pool.fetchrow(QUERIES.status, _name(kind), key)
        return None if row is None else parsed_outputs(kind, row["outputs"])

    async def status(self, kind: type[Outputs] | str, key: str) -> StatusUpdate | None:
        preloaded, row = self._take_status(_name(kind), key)
        if not preloaded:
            row = await self._pool.fetchrow(QUERIES.status, _name(kind), key)
        if row is None:
            return None
        return StatusUpdate(
            observed_generation=row["observed_generation"],
            conditions=[Condition.model_validate(c) for c in row["conditions"]],
            outputs=parsed_outputs(kind, row["outputs"] or {}),
        )

    async def network_scope_users(self, scope_key: str, *, excluding: UUID) -> int:
        return await self._pool.fetchval(QUERIES.network_scope_users, scope_key, str(excluding))

    async def write_status(self, update: StatusUpdate) -> None:
        self._preloaded_status = False  # this pass's own write makes the preload stale
        outputs = stored_outputs(self._kind, update.outputs)
        async with self._fenced() as connection:
            previous = await connection.fetchval(
                QUERIES.write_status,
                self._kind,
                self._key,
                update.observed_generation,
                [c.to_wire() for c in update.conditions],
                outputs,
            )
        woken = [kind for kind, read in self._watchers.items() if _changed(previous, outputs, read)]
        if woken:
            # After the commit, outside the fence: a wake is a hint (a lost one costs the
            # reader its next poll), and taking other kinds' rows while holding our own
            # would order queue locks against the API's. So it never fails the pass.
            # A shared kind's outputs are read by every key of the kinds that need it.
            try:
                if self._kind in SHARED_KINDS:
                    await self._pool.execute(QUERIES.wake_every_key, woken)
                else:
                    await self._pool.execute(QUERIES.wake, woken, self._key)
            except DATABASE_ERRORS as error:
                log.warning("wake_failed", kind=self._kind, key=self._key, woken=woken, error=str(error))

    async def record_deployment(self, environment_id: UUID, deployment: DeploymentRecord) -> bool:
        async with self._fenced() as connection:
            inserted = await connection.fetchval(
                QUERIES.record_deployment,
                environment_id,
                deployment.deployment_id,
                deployment.task_definition_arn,
                deployment.image_tag,
                deployment.status,
                deployment.reason,
            )
        return bool(inserted)

    async def record_event(
        self, *, reason: str, message: str, warning: bool = False, environment_id: UUID | None = None
    ) -> None:
        async with self._fenced() as connection:
            await connection.execute(
                QUERIES.record_event, environment_id, self._kind, self._key, reason, message, warning
            )

    async def release_environment(self, environment_id: UUID) -> None:
        generation = self._generations.get(environment_id, -1)
        self._preloaded_status = self._preloaded_environment = False  # both change below
        async with self._fenced(environment_first=environment_id) as connection:
            gone = await connection.fetchval(QUERIES.release_environment, environment_id, self._kind, generation)
            if gone:
                await connection.execute(QUERIES.finalize_environment, environment_id)
