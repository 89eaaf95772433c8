"""Every line a berth process logs is one JSON object, libraries' records included."""

import subprocess
import sys

import orjson

_PROGRAM = """
import logging
import structlog
from controller.logging import configure

configure("INFO", json=True)
try:
    raise ConnectionResetError("server closed the connection")
except ConnectionResetError:
    logging.getLogger("asyncpg.pool").exception("Failed to restore the pool connection floor")
logging.getLogger("uvicorn.error").warning("worker %s died", 7)
logging.getLogger("some.library").info("below the library threshold")
structlog.get_logger("berth.controller").info("controller_started", kinds=["ecs-environment"])
"""


def test_standard_logging_records_are_rendered_as_json_lines_like_berths_own():
    done = subprocess.run([sys.executable, "-c", _PROGRAM], capture_output=True, check=True, timeout=60)
    lines = [orjson.loads(line) for line in done.stderr.splitlines()]

    assert [(line["logger"] if "logger" in line else "berth", line["event"]) for line in lines] == [
        ("asyncpg.pool", "Failed to restore the pool connection floor"),
        ("uvicorn.error", "worker 7 died"),
        ("berth", "controller_started"),
    ]
    assert lines[0]["level"] == "error"
    assert "ConnectionResetError: server closed the connection" in lines[0]["exception"]
    assert all("timestamp" in line for line in lines)


_AFTER_A_CLOSED_CAPTURE = """
import io
import logging
import sys
import structlog
from controller.logging import configure

real = sys.stderr
sys.stderr = captured = io.TextIOWrapper(io.BytesIO())  # a test runner's capture, say
configure("INFO", json=True)
structlog.get_logger("berth.controller").info("while_captured")
sys.stderr = real
captured.close()
structlog.get_logger("berth.controller").warning("renew_failed", error="boom")
logging.getLogger("asyncpg.pool").warning("after the capture closed")
"""


def test_logging_configured_under_a_replaced_stderr_writes_to_the_current_one_after_it_closes():
    done = subprocess.run([sys.executable, "-c", _AFTER_A_CLOSED_CAPTURE], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert [orjson.loads(line)["event"] for line in done.stderr.splitlines()] == [
        "renew_failed",
        "after the capture closed",
    ]
