"""The environment's app-secrets store: where container secrets that are not ARNs point.

A container secret whose `valueFrom` is an ARN (Secrets Manager or SSM) is passed
to ECS as it is. Any other `valueFrom` names a key of the environment's store, the
Secrets Manager secret `berth/{organisation}/{application}/{environment}/app-secrets`
(a JSON object), and becomes `{store arn}:{KEY}::` — ECS then injects that key's
value when a task starts.

berth only reads the store: the user owns it (creates it, puts the values, deletes
it). To tell a missing key from a present one the store's value is read; only its
key names are kept — values never leave `observe_app_secrets`, are never logged,
never written to PostgreSQL, and a value that is not a JSON object is reported
without quoting it.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconcilers.aws.calls import call, call_unless_absent
from reconcilers.ports import EnvironmentRecord

APP_SECRETS = "berth/{organisation}/{application}/{environment}/app-secrets"
ABSENT_CODES = ("ResourceNotFoundException",)

NO_STORE = "the app-secrets store {store} does not exist"
NOT_AN_OBJECT = "the app-secrets store {store} does not hold a JSON object"
MISSING_KEY = "container {container!r}: secret {name} refers to key {key!r}, which {store} lacks"


def app_secrets_name(env: EnvironmentRecord) -> str:
    return APP_SECRETS.format(
        organisation=env.organisation, application=env.application, environment=env.name
    )


def is_arn(value_from: str) -> bool:
    return value_from.startswith("arn:")


def store_value_from(store_arn: str, key: str) -> str:
    """ECS's reference to one JSON key of a Secrets Manager secret (current version)."""
    return f"{store_arn}:{key}::"


@dataclass(frozen=True, slots=True)
class StoreReference:
    container: str
    name: str  # the variable the container sees
    key: str  # the store's key it takes its value from


@dataclass(frozen=True, slots=True)
class AppSecretsStore:
    """What berth knows of the store: its ARN and key names — never the values."""

    arn: str
    keys: frozenset[str]
    is_object: bool = True


def store_references(env: EnvironmentRecord) -> tuple[StoreReference, ...]:
    return tuple(
        StoreReference(container.name, secret.name, secret.value_from)
        for container in env.spec.compose.containers
        for secret in container.secrets or ()
        if not is_arn(secret.value_from)
    )


def unresolved(
    references: Sequence[StoreReference], store: AppSecretsStore | None, store_name: str
) -> tuple[str, ...]:
    """One message per problem (pure); empty when every reference resolves."""
    if not references:
        return ()
    if store is None:
        return (NO_STORE.format(store=store_name),)
    if not store.is_object:
        return (NOT_AN_OBJECT.format(store=store_name),)
    return tuple(
        MISSING_KEY.format(container=r.container, name=r.name, key=r.key, store=store_name)
        for r in references
        if r.key not in store.keys
    )


def _key_names(secret_string: Any) -> frozenset[str] | None:
    """The top-level keys of a JSON object; None for anything else. The exception of a
    failed parse carries the document, so it must not escape."""
    try:
        value = json.loads(secret_string)
    except (TypeError, ValueError):
        return None
    return frozenset(value) if isinstance(value, dict) else None


async def observe_app_secrets(secretsmanager: Any, name: str) -> AppSecretsStore | None:
    """None when there is no store (or it is scheduled for deletion)."""
    described = await call_unless_absent(secretsmanager.describe_secret, absent=ABSENT_CODES, SecretId=name)
    if described is None or described.get("DeletedDate"):
        return None
    value = await call_unless_absent(
        secretsmanager.get_secret_value, absent=ABSENT_CODES, SecretId=described["ARN"]
    )
    keys = _key_names(value.get("SecretString")) if value else None
    return AppSecretsStore(arn=described["ARN"], keys=keys or frozenset(), is_object=keys is not None)
