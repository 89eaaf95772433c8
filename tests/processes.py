"""`berth api` and `berth controller` as real processes for the tests that need them so."""

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def berth_processes(tmp_path: Path, environ: dict[str, str], port: int, log_level: str) -> Iterator[dict[str, Path]]:
    """`berth api` on `port` and `berth controller`, each logging at `log_level` to a file
    (yielded by name); stopped with SIGTERM, killed if they take longer than 15 s."""
    env = {**os.environ, **environ, "BERTH_LOG_LEVEL": log_level}
    processes, logs = [], {}
    for name, argv in (("api", ["api", "--host", "127.0.0.1", "--port", str(port)]), ("controller", ["controller"])):
        logs[name] = tmp_path / f"{name}.log"
        with open(logs[name], "wb") as log:
            processes.append(subprocess.Popen([sys.executable, "-m", "controller.cli", *argv], env=env,
                                              stdout=log, stderr=log))
    try:
        yield logs
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
