"""The connection secret: the master password and how to reach the database, in Secrets Manager.

The value is AWS's RDS secret format (`engine`, `host`, `port`, `username`,
`password`, `dbname`, `dbInstanceIdentifier`), so the workload injects its keys as
`{arn}:host::` and RDS-aware tools read it as they would a secret RDS made.

The password is generated here and only ever travels between Secrets Manager and
RDS: it is never returned to the caller, logged, put in an action or written to
PostgreSQL. `observe_secret` reports only whether there is one.

Deleting the secret out of band with a recovery window keeps the password
(`restore_secret`). Force-deleted, or its value edited without a password, it is
gone: a new one is generated, marked `berth:master-password=pending` on the secret
until the instance has it (a pass dying in between sets it on the next pass).
"""

import json
import secrets
import string
from collections.abc import Mapping
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from botocore.exceptions import ClientError

from reconcilers.aws.calls import call, call_unless_absent, error_code
from reconcilers.aws.database.plan import ObservedSecret, SecretState

PASSWORD_LENGTH = 32  # within both engines' limits (MySQL 41, PostgreSQL 128)
# RDS refuses `/`, `"`, `@` and spaces in a master password; letters and digits are safe everywhere.
PASSWORD_ALPHABET = string.ascii_letters + string.digits
PENDING_KEY = "berth:master-password"
PENDING = "pending"
SECRET_ABSENT = ("ResourceNotFoundException",)
MARKED_DELETED = "InvalidRequestException"
ALREADY_EXISTS = "ResourceExistsException"
RECOVERY_WINDOW_DAYS = 7
CURRENT = "AWSCURRENT"
SECRET_TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "berth:secretsmanager:CreateSecret")


def generate_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def secret_tags(tags: Mapping[str, str], *, pending: bool = False) -> list[dict[str, str]]:
    every = {**tags, **({PENDING_KEY: PENDING} if pending else {})}
    return [{"Key": key, "Value": value} for key, value in sorted(every.items())]


def create_token(name: str, owner: str) -> str:
    """The same for a replayed create, so Secrets Manager makes one secret of it."""
    return str(uuid5(SECRET_TOKEN_NAMESPACE, f"{name}\n{owner}"))


def _value(fields: Mapping[str, Any], password: str) -> str:
    return json.dumps({**fields, "password": password}, sort_keys=True)


def _parse(text: str | None) -> tuple[dict[str, Any], bool]:
    """The value's fields without the password, and whether it holds one."""
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}, False
    if not isinstance(value, dict):
        return {}, False
    password = value.pop("password", None)
    return value, isinstance(password, str) and bool(password)


async def observe_secret(client: Any, name: str, known: tuple[str, str] | None = None) -> ObservedSecret:
    """`known`: (version, fields digest) of a complete value an earlier pass read. When
    that version is still the current one, the value is not read again: a version never
    changes, a new value is a new version."""
    described = await call_unless_absent(client.describe_secret, absent=SECRET_ABSENT, SecretId=name)
    if described is None:
        return ObservedSecret()
    arn = described["ARN"]
    if described.get("DeletedDate"):
        return ObservedSecret(SecretState.DELETED, arn)
    pending = any(t.get("Key") == PENDING_KEY for t in described.get("Tags") or ())
    current = next(
        (v for v, stages in (described.get("VersionIdsToStages") or {}).items() if CURRENT in stages), ""
    )
    if known is not None and current and known[0] == current and not pending:
        return ObservedSecret(SecretState.PRESENT, arn, {}, True, False, version=current, known_digest=known[1])
    value = await call_unless_absent(client.get_secret_value, absent=SECRET_ABSENT, SecretId=name)
    fields, has_password = _parse(value.get("SecretString") if value else None)
    version = (value or {}).get("VersionId") or ""
    return ObservedSecret(SecretState.PRESENT, arn, fields, has_password, pending, version=version)


async def read_password(client: Any, name: str) -> str:
    value = await call(client.get_secret_value, SecretId=name)
    _, has_password = _parse(value.get("SecretString"))
    if not has_password:
        raise LookupError(f"the secret {name} holds no password")
    return json.loads(value["SecretString"])["password"]


async def create_secret(
    client: Any, name: str, fields: Mapping[str, Any], tags: Mapping[str, str], *, pending: bool
) -> None:
    try:
        await call(
            client.create_secret,
            Name=name,
            Description="berth: how to reach the environment's database, and its master password",
            SecretString=_value(fields, generate_password()),
            ClientRequestToken=create_token(name, tags.get("berth:environment-id", "")),
            Tags=secret_tags(tags, pending=pending),
        )
    except ClientError as exc:
        if error_code(exc) != ALREADY_EXISTS:
            raise
        # Made by an earlier attempt whose answer was lost: the next round reads it back.


async def restore_secret(client: Any, name: str) -> None:
    await call(client.restore_secret, SecretId=name)


async def write_fields(client: Any, name: str, fields: Mapping[str, Any]) -> None:
    password = await read_password(client, name)
    await call(client.put_secret_value, SecretId=name, SecretString=_value(fields, password))


async def replace_password(client: Any, name: str, fields: Mapping[str, Any], *, pending: bool) -> None:
    if pending:  # marked first: a pass dying after the new value still sets it on the instance
        await call(client.tag_resource, SecretId=name, Tags=secret_tags({}, pending=True))
    await call(client.put_secret_value, SecretId=name, SecretString=_value(fields, generate_password()))


async def clear_pending(client: Any, name: str) -> None:
    await call(client.untag_resource, SecretId=name, TagKeys=[PENDING_KEY])


async def delete_secret(client: Any, name: str) -> bool:
    """Scheduled for deletion with a recovery window (restorable meanwhile); False when absent."""
    answer = await call_unless_absent(
        client.delete_secret, absent=SECRET_ABSENT, SecretId=name, RecoveryWindowInDays=RECOVERY_WINDOW_DAYS
    )
    return answer is not None
