"""A simulated AWS account: moto's server in this process, plus simulated ECS rollouts."""

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer  # sandbox dependency: imported when started

SIMULATED_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "berth-sandbox",
    "AWS_SECRET_ACCESS_KEY": "berth-sandbox",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


def aws_is_configured(environ: Mapping[str, str]) -> bool:
    """True when the environment names a real (or user-chosen) AWS: an endpoint or credentials."""
    return bool(environ.get("AWS_ENDPOINT_URL")) or any(environ.get(v) for v in CREDENTIAL_VARIABLES)


@dataclass
class SimulatedAws:
    endpoint: str
    _server: "ThreadedMotoServer"

    def stop(self) -> None:
        self._server.stop()


def start_simulated_aws(host: str = "127.0.0.1", port: int = 0) -> SimulatedAws:
    """Start moto in server mode and point this process's AWS SDK variables at it."""
    from moto.server import ThreadedMotoServer  # sandbox dependency

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # Services start with no running task; the rollout simulator brings them up.
    os.environ["MOTO_ECS_SERVICE_RUNNING"] = "0"
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    endpoint = f"http://{bound_host}:{bound_port}"
    os.environ.update(SIMULATED_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    # Simulated rollouts take about a second; look again as often, unless told otherwise.
    os.environ.setdefault("BERTH_ROLLOUT_POLL_SECONDS", "1")
    return SimulatedAws(endpoint, server)
