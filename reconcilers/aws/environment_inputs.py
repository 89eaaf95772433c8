"""Before an environment's workload is planned: what it depends on, and what it needs in place.

In order, and stopping at the first that is not there:
1. the outputs of `environment-network` (always), `rds-database` (when the spec
   asks for a database) and `efs-filesystem` (when it requires a file system)
   must be ready — `Blocked` (WaitingForDependencies) says which are not;
2. every container secret that names a key of the app-secrets store must find
   it — `Blocked` (SecretNotFound) names the container and the key, never a value.
   Nothing is changed on AWS then: the revision that would fail to start is not
   registered, and whatever runs now goes on running;
3. the organisation's ECR repository (when a container's image is internal) and
   the environment's log group (unless the pass leaves it alone) are made if missing.
"""

from dataclasses import dataclass
from typing import Any

from reconcilers.aws.app_secrets import app_secrets_name, observe_app_secrets, store_references, unresolved
from reconcilers.aws.batched_describes import LogGroups
from reconcilers.aws.image_repository import ensure_repository
from reconcilers.aws.log_group import ensure_log_group, log_group_name
from reconcilers.aws.naming import ownership_tags
from reconcilers.aws.task_definition import ecr_repository_name, uses_internal_images
from reconcilers.aws.workload_inputs import (
    DATABASE_KIND,
    ENVIRONMENT_NETWORK_KIND,
    FILESYSTEM_KIND,
    Waiting,
    WorkloadInputs,
    needs_database,
    needs_filesystem,
    read_dependencies,
)
from reconcilers.ports import EnvironmentRecord, StateStore

WAITING_FOR_DEPENDENCIES = "WaitingForDependencies"
SECRET_NOT_FOUND = "SecretNotFound"
DEPENDENCY_WAIT_SECONDS = 2.0
SECRET_RECHECK_SECONDS = 30.0

WAITING = "waiting for {what}"
SECRETS_UNRESOLVED = "not rolled out: {problems}"
REPOSITORY_CREATED = "create ECR repository {name}"


@dataclass(frozen=True, slots=True)
class Blocked:
    """The workload cannot be planned yet; `progressing`: it will be by itself (a
    dependency becoming ready), rather than only once the user acts."""

    reason: str
    message: str
    delay: float
    progressing: bool


@dataclass(frozen=True, slots=True)
class Gathered:
    inputs: WorkloadInputs
    actions: tuple[str, ...]  # what was made on the way, for the pass's log and status


async def gather_inputs(
    store: StateStore,
    clients: Any,
    env: EnvironmentRecord,
    log_groups: LogGroups | None = None,
    *,
    check_log_group: bool = True,
) -> Gathered | Blocked:
    """`clients`: an entered `AwsClients` (its `secretsmanager`, `ecr` and `logs`);
    `log_groups`: the reconciler's batched log group describe; `check_log_group`: false
    when this pass leaves the log group alone (`log_group.log_group_check_due`)."""
    key = str(env.id)
    dependencies = read_dependencies(
        env.spec,
        await store.outputs(ENVIRONMENT_NETWORK_KIND, key),
        await store.outputs(DATABASE_KIND, key) if needs_database(env.spec) else None,
        await store.outputs(FILESYSTEM_KIND, key) if needs_filesystem(env.spec) else None,
    )
    if isinstance(dependencies, Waiting):
        message = WAITING.format(what=", ".join(dependencies.on))
        return Blocked(WAITING_FOR_DEPENDENCIES, message, DEPENDENCY_WAIT_SECONDS, progressing=True)

    references = store_references(env)
    store_name = app_secrets_name(env)
    secrets_store = await observe_app_secrets(clients.secretsmanager, store_name) if references else None
    problems = unresolved(references, secrets_store, store_name)
    if problems:
        message = SECRETS_UNRESOLVED.format(problems="; ".join(problems))
        return Blocked(SECRET_NOT_FOUND, message, SECRET_RECHECK_SECONDS, progressing=False)

    actions: list[str] = []
    repository = None
    if uses_internal_images(env):
        name = ecr_repository_name(env.organisation)
        repository, created = await ensure_repository(clients.ecr, name, env.organisation)
        if created:
            actions.append(REPOSITORY_CREATED.format(name=name))
    group = log_group_name(env)
    if check_log_group:
        made = await ensure_log_group(clients.logs, group, ownership_tags(env), log_groups)
        actions.extend(f"{action} {group}" for action in made)
    inputs = WorkloadInputs(
        image_repository=repository,
        app_secrets_arn=secrets_store.arn if secrets_store else None,
        dependencies=dependencies,
    )
    return Gathered(inputs, tuple(actions))
