"""Pure parts: the SSE parser, the phases read from API answers, the live display on a terminal."""

import io

from rich.console import Console

from controller.client.progress import Phase, environment_phase, observation
from controller.client.render import LiveProgress, Output
from controller.client.sse import server_events
from tests.client.reconciling import FAILED, READY


async def lines(*items: str):
    for item in items:
        yield item


async def test_server_events_follow_the_format():
    found = [e async for e in server_events(lines(
        "retry: 2000", "", ": keep-alive", "", "id: 7", "data: {\"a\":", "data: 1}", "",
        "event: custom", "data: x", "", "id: 9", "",
    ))]
    assert [(e.event, e.data, e.id) for e in found] == [("message", '{"a":\n1}', "7"), ("custom", "x", "7")]


def test_environment_phases():
    base = {"status": "deploying", "generation": 2, "desiredCount": 2, "runningCount": 1}
    cases = [
        ({"observedGeneration": None}, Phase.PENDING, "waiting for the reconciler"),
        ({"observedGeneration": 1, "conditions": FAILED}, Phase.CONVERGING,
         "generation 2 not yet observed (at 1) · 1/2 running"),
        ({"observedGeneration": 2, "conditions": FAILED}, Phase.FAILED,
         "RolloutFailed: the circuit breaker rolled the deployment back"),
        ({"observedGeneration": 2, "conditions": READY, "runningCount": 2}, Phase.READY, "2/2 running"),
        ({"status": "deleting"}, Phase.DELETING, ""),
        ({"generation": None, "status": "running"}, Phase.READY, "1/2 running"),  # a server without generations
    ]
    for change, phase, detail in cases:
        assert environment_phase({**base, **change}) == (phase, detail), change


def test_the_live_display_draws_on_a_terminal():
    stream = io.StringIO()
    output = Output(stream, io.StringIO())
    output.console = Console(file=stream, force_terminal=True, width=120)
    application = {"appName": "shop", "status": "deploying", "imageReference": {"identifier": "nginx:1.28"},
                   "database": {"rdsInstanceStatus": "creating", "rdsInstanceEngine": "postgres"}}
    seen = observation(application, {"status": "deploying", "generation": 1, "observedGeneration": 0})
    with LiveProgress(output, lambda: 3.0) as live:
        live({"shop": seen})
    drawn = stream.getvalue()
    assert "shop" in drawn and "environment shop/production" in drawn and "creating" in drawn
    assert "\x1b[" in drawn  # drawn with terminal codes
