"""AWS calls counted by service, operation and outcome, from botocore's own events.

`count_calls(client)` registers on the client's `needs-retry` event, which botocore
emits after every attempt (a retried throttle counts once per attempt, so throttling
shows even when the SDK's retries hide it from the reconcilers). Outcomes: `success`,
`throttled`, `client_error` (4xx other than throttling), `server_error` (5xx),
`transport_error` (no answer: connection refused, reset, timed out).
"""

from typing import Any

from botocore.retries.standard import ThrottledRetryableChecker
from prometheus_client import Counter

# The codes botocore's standard retry mode treats as throttling, plus the ones berth's
# `calls` module also knows.
THROTTLED_CODES = frozenset(
    ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    + ["ThrottledException", "RequestThrottledException", "TooManyRequestsException", "SlowDown"]
)

AWS_CALLS = Counter(
    "berth_aws_api_calls_total", "AWS API attempts by service, operation and outcome.",
    ["service", "operation", "outcome"],
)


def outcome(response: Any, caught_exception: BaseException | None) -> str:
    if response is None:
        return "transport_error" if caught_exception is not None else "success"
    http, parsed = response
    status = getattr(http, "status_code", 200)
    code = (parsed or {}).get("Error", {}).get("Code", "") if isinstance(parsed, dict) else ""
    if status < 300 and not code:
        return "success"
    if code in THROTTLED_CODES or status == 429:
        return "throttled"
    return "server_error" if status >= 500 else "client_error"


def count_calls(client: Any) -> None:
    service = client.meta.service_model.service_name

    def attempted(response=None, caught_exception=None, operation=None, **_: Any) -> None:
        name = getattr(operation, "name", "unknown")
        AWS_CALLS.labels(service, name, outcome(response, caught_exception)).inc()

    client.meta.events.register(f"needs-retry.{client.meta.service_model.service_id.hyphenize()}", attempted)
