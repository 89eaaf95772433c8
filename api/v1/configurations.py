"""`/api/v1/configurations/{application_id}`: an application's environment variables
and secrets — list, create, get, patch, delete, bulk import.

A secret's value is sealed before it is stored and never sent back: responses carry
MASK in its place, and nothing here logs a value. Every write bumps the
application's generation and queues `kube-application` in the same statement; the
notifier is poked after the commit.
"""

from uuid import UUID

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation
from api.responses import JSON
from api.v1.access import Caller, caller
from api.v1.errors import bad_field, body, not_found, path_uuid, problem
from controller.store.v1 import configurations as store
from controller.store.v1.applications import APPLICATION_KIND
from controller.store.v1.sealing import NO_KEY, SecretsKeyMissing
from schemas.v1.configurations import (
    MASK,
    BulkConfigurationRequest,
    BulkConfigurationResponse,
    ConfigurationSummary,
    CreateConfigurationRequest,
    OkResponse,
    UpdateConfigurationRequest,
    name_reason,
)
from schemas.v1.dotenv import parse_dotenv

PREFIX = "/api/v1/configurations"
APPLICATION_NOT_FOUND = "Application not found"
CONFIGURATION_NOT_FOUND = "Configuration not found"
NAME_TAKEN = "is taken: this application already has a configuration of that name"
TOO_LONG = "the value is too long"


def configuration_summary(row: asyncpg.Record) -> dict:
    return ConfigurationSummary(
        id=str(row["id"]),
        name=row["name"],
        value=MASK if row["secret"] else row["value"],
        secret=row["secret"],
        buildtime=row["buildtime"],
        created=row["created_at"],
        updated=row["updated_at"],
    ).model_dump(mode="json")


def _secrets_unavailable() -> Exception:
    return problem(503, "Service Unavailable", NO_KEY)


async def _target(request: Request) -> tuple[Caller, UUID]:
    who = await caller(request)
    return who, path_uuid(request, "application_id", APPLICATION_NOT_FOUND)


def _written(request: Request) -> None:
    request.state.notifier.poke(APPLICATION_KIND)


async def list_configurations(request: Request) -> Response:
    who, application_id = await _target(request)
    rows = await store.configurations(request.state.pool, who.token_hash, application_id)
    if isinstance(rows, store.NoApplication):
        raise not_found(APPLICATION_NOT_FOUND)
    return JSON([configuration_summary(r) for r in rows])


async def get_configuration(request: Request) -> Response:
    who, application_id = await _target(request)
    configuration_id = path_uuid(request, "config_id", CONFIGURATION_NOT_FOUND)
    rows = await store.configurations(request.state.pool, who.token_hash, application_id, configuration_id)
    if isinstance(rows, store.NoApplication):
        raise not_found(APPLICATION_NOT_FOUND)
    if not rows:
        raise not_found(CONFIGURATION_NOT_FOUND)
    return JSON(configuration_summary(rows[0]))


async def create_configuration(request: Request) -> Response:
    who, application_id = await _target(request)
    wanted = await body(request, CreateConfigurationRequest)
    try:
        outcome = await store.create_configuration(
            request.state.pool, request.state.sealer, who.token_hash, application_id, wanted.name, wanted.value,
            secret=wanted.secret, buildtime=wanted.buildtime,
        )
    except SecretsKeyMissing:
        raise _secrets_unavailable() from None
    if isinstance(outcome, store.NoApplication):
        raise not_found(APPLICATION_NOT_FOUND)
    if isinstance(outcome, store.NameTaken):
        raise bad_field("name", NAME_TAKEN)
    _written(request)
    return JSON(configuration_summary(outcome), status_code=201)


async def update_configuration(request: Request) -> Response:
    who, application_id = await _target(request)
    configuration_id = path_uuid(request, "config_id", CONFIGURATION_NOT_FOUND)
    wanted = await body(request, UpdateConfigurationRequest)
    try:
        outcome = await store.update_configuration(
            request.state.pool, request.state.sealer, who.token_hash, application_id, configuration_id, wanted.value,
            secret=wanted.secret, buildtime=wanted.buildtime,
        )
    except SecretsKeyMissing:
        raise _secrets_unavailable() from None
    if isinstance(outcome, store.NoApplication):
        raise not_found(APPLICATION_NOT_FOUND)
    if isinstance(outcome, store.NoConfiguration):
        raise not_found(CONFIGURATION_NOT_FOUND)
    _written(request)
    return JSON(configuration_summary(outcome))


async def delete_configuration(request: Request) -> Response:
    who, application_id = await _target(request)
    configuration_id = path_uuid(request, "config_id", CONFIGURATION_NOT_FOUND)
    outcome = await store.delete_configuration(request.state.pool, who.token_hash, application_id, configuration_id)
    if isinstance(outcome, store.NoApplication):
        raise not_found(APPLICATION_NOT_FOUND)
    if not outcome:
        raise not_found(CONFIGURATION_NOT_FOUND)
    _written(request)
    return JSON(OkResponse().model_dump(mode="json"))


def _bulk_entries(wanted: BulkConfigurationRequest) -> tuple[list[tuple[str, str]], list[dict]]:
    """`variables` then `raw` (a name in both: raw's value); errors name the entry, never its value."""
    entries: dict[str, str] = {}
    errors: list[dict] = []
    for name, value in wanted.variables.items():
        if reason := name_reason(name):
            errors.append({"name": name[:255], "message": reason})
        elif len(value) > 65_536:
            errors.append({"name": name, "message": TOO_LONG})
        else:
            entries[name] = value
    if wanted.raw:
        parsed, raw_errors = parse_dotenv(wanted.raw)
        entries.update(parsed)
        errors.extend(raw_errors)
    return list(entries.items()), errors


async def bulk_import(request: Request) -> Response:
    """Creates the names the application does not have yet; names it has are skipped
    (left unchanged); invalid entries are reported in `errors` and the rest still go in."""
    who, application_id = await _target(request)
    wanted = await body(request, BulkConfigurationRequest)
    entries, errors = _bulk_entries(wanted)
    try:
        outcome = await store.import_configurations(
            request.state.pool, request.state.sealer, who.token_hash, application_id, entries,
            secret=wanted.secret, buildtime=wanted.buildtime,
        )
    except SecretsKeyMissing:
        raise _secrets_unavailable() from None
    if isinstance(outcome, store.NoApplication):
        raise not_found(APPLICATION_NOT_FOUND)
    created = {r["name"] for r in outcome.created}
    if created:
        _written(request)
    answer = BulkConfigurationResponse(
        created=[name for name, _ in entries if name in created],
        skipped=[name for name, _ in entries if name not in created],
        errors=errors,
    )
    return JSON(answer.model_dump(mode="json"), status_code=201)


APPLICATION = PREFIX + "/{application_id}"
CONFIGURATION = APPLICATION + "/{config_id}"

APP_NOT_FOUND = (404, ("Application not found", None))
BOTH_NOT_FOUND = (404, ("Application or configuration not found", None))
NO_KEY_503 = (503, ("No secrets key is configured (BERTH_SECRETS_KEY): secrets cannot be written", None))
operations = [
    Operation(APPLICATION + "/bulk", "post", "ApiV1ConfigurationsApplicationIdBulkBulkImport",
              "Import many (variables and/or dotenv `raw`); existing names are skipped", BulkConfigurationRequest,
              dict([(201, ("Created, skipped and invalid entries (by name or line)", BulkConfigurationResponse)),
                    (400, ("The body is invalid", None)), APP_NOT_FOUND, NO_KEY_503]), handler=bulk_import),
    Operation(APPLICATION, "get", "ApiV1ConfigurationsApplicationIdListConfigurations",
              "The application's configurations (secret values masked)", None,
              dict([(200, ("Configurations", [ConfigurationSummary])), APP_NOT_FOUND]), handler=list_configurations),
    Operation(APPLICATION, "post", "ApiV1ConfigurationsApplicationIdCreateConfiguration",
              "Create a configuration (a secret is sealed at rest and never shown again)", CreateConfigurationRequest,
              dict([(201, ("The configuration (secret value masked)", ConfigurationSummary)),
                    (400, ("Invalid, or the name is taken", None)), APP_NOT_FOUND, NO_KEY_503]), handler=create_configuration),
    Operation(CONFIGURATION, "get", "ApiV1ConfigurationsApplicationIdConfigIdGetConfiguration",
              "Get a configuration (secret value masked)", None,
              dict([(200, ("The configuration", ConfigurationSummary)), BOTH_NOT_FOUND]), handler=get_configuration),
    Operation(CONFIGURATION, "patch", "ApiV1ConfigurationsApplicationIdConfigIdUpdateConfiguration",
              "Change a configuration's value (secret/buildtime: null keeps them)", UpdateConfigurationRequest,
              dict([(200, ("The configuration (secret value masked)", ConfigurationSummary)),
                    (400, ("Invalid", None)), BOTH_NOT_FOUND, NO_KEY_503]), handler=update_configuration),
    Operation(CONFIGURATION, "delete", "ApiV1ConfigurationsApplicationIdConfigIdDeleteConfiguration",
              "Delete a configuration", None, dict([(200, ("Deleted", OkResponse)), BOTH_NOT_FOUND]), handler=delete_configuration),
]
