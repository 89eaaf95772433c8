"""One way to call AWS: transient failures retried with jittered backoff, the rest classified.

- transient (throttling, 5xx, connection trouble): a few more attempts, then
  `TemporaryError` so the runtime backs the key off;
- the request itself is wrong (validation, access): `PermanentError` with the
  AWS error code as its reason — retrying cannot help until something changes;
- anything else propagates unchanged for the caller (or the runtime) to judge.

`call_once` is for what must not be sent twice: an operation that is not
idempotent and takes no client token (RegisterTaskDefinition). A lost answer
cannot be told from a failure, so it is never retried here (and must go through a
client whose botocore makes one attempt): it becomes `TemporaryError`, and the
next pass observes what AWS holds before deciding again.
"""

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

import aiohttp
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from reconcilers.aws.rate_limits import THROTTLE_CODES
from reconcilers.results import PermanentError, TemporaryError

STILL_FAILING = "{operation} still failing after {attempts} attempts: {error}"
NOT_RETRIED = "{operation} failed and is not retried (not idempotent); the next pass looks again: {error}"
REJECTED = "AWS rejected {operation}: {message}"

TRANSIENT_CODES = THROTTLE_CODES | frozenset(
    {
        "ServerException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
    }
)
REJECTION_CODES = frozenset(
    {
        "ClientException",
        "InvalidParameterException",
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "InvalidParameter",
        "MissingParameter",
        "ValidationException",
        "ValidationError",
        "UnsupportedFeatureException",
        "PlatformUnknownException",
        "PlatformTaskDefinitionIncompatibilityException",
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthFailure",
    }
)
CONNECTION_ERRORS = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
    aiohttp.ClientConnectionError,
    asyncio.TimeoutError,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    initial_wait: float = 0.2
    max_wait: float = 3.0
    backoff_after_exhaustion: float = 5.0


TRANSIENT_RETRY = RetryPolicy()


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error_code(exc) in TRANSIENT_CODES or status >= 500
    return False


def _name(operation: Callable[..., Any]) -> str:
    return getattr(operation, "__name__", repr(operation))


def _reject_if_rejected(operation: Callable[..., Any], exc: Exception) -> None:
    code = error_code(exc)
    if code in REJECTION_CODES:
        message = exc.response.get("Error", {}).get("Message", str(exc))  # type: ignore[attr-defined]
        raise PermanentError(code, REJECTED.format(operation=_name(operation), message=message)) from exc


async def call(operation: Callable[..., Awaitable[dict]], /, **kwargs: Any) -> dict:
    """`await call(clients.ecs.describe_services, cluster=…, services=[…])`."""
    policy = TRANSIENT_RETRY
    retrying = AsyncRetrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(policy.attempts),
        wait=wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await operation(**kwargs)
    except Exception as exc:
        if is_transient(exc):
            message = STILL_FAILING.format(operation=_name(operation), attempts=policy.attempts, error=exc)
            raise TemporaryError(message, delay=policy.backoff_after_exhaustion) from exc
        _reject_if_rejected(operation, exc)
        raise
    raise AssertionError("unreachable: tenacity either returns or raises")


async def call_once(operation: Callable[..., Awaitable[dict]], /, **kwargs: Any) -> dict:
    """`await call_once(clients.ecs_once.register_task_definition, **request)`: one attempt."""
    try:
        return await operation(**kwargs)
    except Exception as exc:
        if is_transient(exc):
            message = NOT_RETRIED.format(operation=_name(operation), error=exc)
            raise TemporaryError(message, delay=TRANSIENT_RETRY.backoff_after_exhaustion) from exc
        _reject_if_rejected(operation, exc)
        raise


async def call_unless_absent(
    operation: Callable[..., Awaitable[dict]], /, *, absent: Collection[str], **kwargs: Any
) -> dict | None:
    """Like `call`, but an error whose code is in `absent` means "not there": None."""
    try:
        return await call(operation, **kwargs)
    except ClientError as exc:
        if error_code(exc) in absent:
            return None
        raise
