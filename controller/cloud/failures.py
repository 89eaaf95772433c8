"""How a failed cloud read reaches the API: rejected (the client's to fix, 422) or
unavailable (retry later, 503). Only the error code is logged: AWS's messages may
quote the request (a filter pattern)."""

import aiohttp
import structlog
from botocore.exceptions import BotoCoreError, ClientError

from api.cloud_reads import CloudRejected, CloudUnavailable

log = structlog.get_logger("berth.cloud_reads")

REJECTION_CODES = frozenset(
    {
        "InvalidParameterException",
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "InvalidNextToken",
        "ValidationException",
        "ValidationError",
    }
)
REJECTED = "AWS rejected {operation}: {message}"
# Everything that can go wrong on the way to AWS and back, short of an answer.
TRANSPORT_ERRORS = (BotoCoreError, aiohttp.ClientError, TimeoutError, OSError)
FAILURES = (ClientError, *TRANSPORT_ERRORS)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def failure(operation: str, error: Exception) -> Exception:
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in REJECTION_CODES:
            message = error.response.get("Error", {}).get("Message", code)
            return CloudRejected(REJECTED.format(operation=operation, message=message))
        log.warning("cloud_read_failed", operation=operation, code=code)
    else:
        log.warning("cloud_read_failed", operation=operation, error=type(error).__name__)
    return CloudUnavailable(operation)
