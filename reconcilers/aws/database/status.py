"""What a database's status says: outputs and conditions, from one pass's observation.

Pure; the clock is a parameter. `ready` means the instance serves (available, or
backing up, modifying, optimising storage: it still accepts connections) and the
connection secret holds its endpoint and a password the instance has.
"""

import json
from collections.abc import Sequence
from typing import Any

from reconcilers.aws.database.plan import (
    SERVING_STATES,
    DatabaseObservation,
    DesiredDatabase,
    ObservedSecret,
    Refusal,
    SecretState,
    connection_fields,
    fields_digest,
)
from reconcilers.status import AS_DESIRED, Verdict
from schemas.outputs.aws import DatabaseOutputs, InjectedSecret

# The injected variable, and the key of the connection secret it comes from.
INJECTED_KEYS = (
    ("DB_HOST", "host"),
    ("DB_PORT", "port"),
    ("DB_DATABASE", "dbname"),
    ("DB_USERNAME", "username"),
    ("DB_PASSWORD", "password"),
)
# RDS's PendingModifiedValues, in the contract's words where it has them.
PENDING_NAMES = {
    "DBInstanceClass": "instanceClass",
    "AllocatedStorage": "storageGb",
    "MultiAZ": "multiAz",
    "EngineVersion": "engineVersion",
}

AVAILABLE = "{identifier} ({engine}) serves at {host}:{port}"
CREATING = "creating {identifier}: {actions}"
WAITING = "{identifier} is {status}"
SECRET_INCOMPLETE = "{identifier} is {status}; the connection secret is being completed"
PENDING = "pending until the maintenance window: {changes}"
APPLIED = "applied: {actions}"


def injected_secrets(secret_arn: str | None) -> list[InjectedSecret]:
    if not secret_arn:
        return []
    return [InjectedSecret(name=name, value_from=f"{secret_arn}:{key}::") for name, key in INJECTED_KEYS]


def pending_modifications(observed: DatabaseObservation) -> dict[str, Any]:
    pending = observed.instance.pending if observed.instance else {}
    named = {PENDING_NAMES.get(key, key[:1].lower() + key[1:]): value for key, value in pending.items()}
    return json.loads(json.dumps(named, default=str))  # JSON-safe for the status row


def is_ready(desired: DesiredDatabase, observed: DatabaseObservation) -> bool:
    instance, secret = observed.instance, observed.secret
    return (
        instance is not None
        and instance.owner == desired.owner
        and instance.status in SERVING_STATES
        and bool(instance.host)
        and secret.state is SecretState.PRESENT
        and secret.has_password
        and not secret.password_pending
        and secret.digest == fields_digest(connection_fields(desired, instance))
    )


def known_secret_output(secret: ObservedSecret) -> dict[str, str | None]:
    """The `connection_secret_version` and `_digest` of a value this pass found complete."""
    complete = secret.state is SecretState.PRESENT and secret.has_password and not secret.password_pending
    return {
        "connection_secret_version": (secret.version or None) if complete else None,
        "connection_secret_digest": secret.digest if complete and secret.version else None,
    }


def known_secret(outputs: DatabaseOutputs | None) -> tuple[str, str] | None:
    """(version, digest) of the value an earlier pass read, if it recorded them."""
    if outputs is None:
        return None
    version, digest = outputs.connection_secret_version, outputs.connection_secret_digest
    return (version, digest) if version is not None and digest is not None else None


def outputs(desired: DesiredDatabase, observed: DatabaseObservation) -> DatabaseOutputs:
    instance = observed.instance if observed.instance and observed.instance.owner == desired.owner else None
    arn = observed.secret.arn if observed.secret.state is SecretState.PRESENT else None
    return DatabaseOutputs(
        ready=is_ready(desired, observed),
        rds_instance_identifier=desired.identifier,
        rds_instance_endpoint=instance.host if instance else None,
        rds_instance_port=instance.port if instance else None,
        rds_instance_engine=instance.engine if instance else desired.engine,
        rds_instance_status=instance.status if instance else None,
        pending_modifications=pending_modifications(observed) if instance else {},
        connection_secret_arn=arn,
        # The version of the secret's value this pass found complete (or wrote), and its
        # fields' digest: a later pass that finds the same version current need not read it.
        **known_secret_output(observed.secret),
        injected_secrets=injected_secrets(arn),
    )


def judge(
    desired: DesiredDatabase, observed: DatabaseObservation, refusals: Sequence[Refusal], done: Sequence[str]
) -> Verdict:
    degraded = (
        (True, refusals[0].reason, "; ".join(r.message for r in refusals))
        if refusals
        else AS_DESIRED
    )
    instance = observed.instance
    if any(r.reason == "NameOwnedElsewhere" for r in refusals):
        return Verdict((False, refusals[0].reason, degraded[2]), (False, "Refused", degraded[2]), degraded)
    if instance is None:
        message = CREATING.format(identifier=desired.identifier, actions=", ".join(done) or "waiting")
        return Verdict((False, "Creating", message), (True, "Creating", message), degraded)
    if not is_ready(desired, observed):
        template = WAITING if instance.status not in SERVING_STATES else SECRET_INCOMPLETE
        message = template.format(identifier=instance.identifier, status=instance.status)
        reason = "Creating" if instance.status == "creating" else "InstanceNotReady"
        return Verdict((False, reason, message), (True, reason, message), degraded)
    ready = (
        True,
        "Available",
        AVAILABLE.format(
            identifier=instance.identifier, engine=instance.engine, host=instance.host, port=instance.port
        ),
    )
    if done or instance.status != "available":
        message = (
            APPLIED.format(actions=", ".join(done))
            if done
            else WAITING.format(identifier=instance.identifier, status=instance.status)
        )
        return Verdict(ready, (True, "Modifying", message), degraded)
    pending = pending_modifications(observed)
    if pending:
        message = PENDING.format(changes=", ".join(f"{k}={v}" for k, v in sorted(pending.items())))
        return Verdict(ready, (True, "ModificationsPending", message), degraded)
    return Verdict(ready, (False, "AsDesired", ready[2]), degraded)
