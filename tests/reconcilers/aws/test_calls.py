"""Calling AWS: transient errors retried, rejections permanent, the rest untouched."""

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from reconcilers.aws.calls import call, call_once, call_unless_absent, is_transient
from reconcilers.results import PermanentError, TemporaryError


def client_error(code: str, status: int = 400, message: str = "no") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


class Flaky:
    """An operation that raises the given errors, one per call, then answers."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0
        self.__name__ = "flaky_operation"

    async def __call__(self, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": kwargs}


@pytest.mark.parametrize(
    ("error", "transient", "reason"),
    [
        (client_error("ThrottlingException"), True, "throttling"),
        (client_error("RequestLimitExceeded"), True, "EC2 throttling"),
        (client_error("Whatever", status=503), True, "any 5xx"),
        (EndpointConnectionError(endpoint_url="http://x"), True, "connection refused"),
        (client_error("InvalidParameterException"), False, "a bad request"),
        (client_error("ServiceNotFoundException"), False, "not found"),
        (ValueError("bug"), False, "not an AWS error"),
    ],
)
def test_is_transient(error, transient, reason):
    assert is_transient(error) is transient, reason


async def test_transient_errors_are_retried():
    operation = Flaky(client_error("ThrottlingException"), client_error("ServerException", 500))
    assert await call(operation, a=1) == {"ok": {"a": 1}}
    assert operation.calls == 3


async def test_a_transient_error_that_persists_is_temporary():
    operation = Flaky(*[client_error("ThrottlingException")] * 3)
    with pytest.raises(TemporaryError, match="flaky_operation still failing after 3 attempts"):
        await call(operation)
    assert operation.calls == 3


async def test_a_rejected_request_is_permanent_at_once():
    operation = Flaky(client_error("ClientException", message="Container.image should not be null or empty."))
    with pytest.raises(PermanentError) as raised:
        await call(operation)
    assert raised.value.reason == "ClientException"
    assert "Container.image should not be null" in str(raised.value)
    assert operation.calls == 1


async def test_other_errors_pass_through():
    with pytest.raises(ClientError):
        await call(Flaky(client_error("ServiceNotFoundException")))


async def test_absent_means_none():
    assert (
        await call_unless_absent(
            Flaky(client_error("ServiceNotFoundException")), absent=["ServiceNotFoundException"]
        )
        is None
    )
    assert await call_unless_absent(Flaky(), absent=["ServiceNotFoundException"]) == {"ok": {}}


async def test_call_once_makes_one_attempt():
    operation = Flaky(client_error("ServiceUnavailable", 503))
    with pytest.raises(TemporaryError, match="flaky_operation failed and is not retried"):
        await call_once(operation)
    assert operation.calls == 1


async def test_call_once_classifies_like_call():
    with pytest.raises(PermanentError):
        await call_once(Flaky(client_error("ClientException")))
    with pytest.raises(ClientError):
        await call_once(Flaky(client_error("ServiceNotFoundException")))
    assert await call_once(Flaky(), a=1) == {"ok": {"a": 1}}
