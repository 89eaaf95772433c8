"""The simulated AWS account of `berth bench resync`, run as its own process.

moto's server and the sandbox's ECS rollout simulator (`controller.sandbox.ecs_rollout`,
which steps moto's in-memory backend, so it must live in moto's process) on their own
core, away from the controller being measured. Prints the endpoint once serving; stops
when its stdin closes.
"""

import argparse
import asyncio
import logging
import os
import sys

from controller.sandbox.aws import SIMULATED_CREDENTIALS

STEP_SECONDS = 1.0


async def _serve(host: str, region: str) -> None:
    from moto.server import ThreadedMotoServer  # sandbox dependency

    from controller.sandbox.ecs_rollout import EcsRolloutSimulator

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # Services start with no running task; the simulator brings them up as ECS would.
    os.environ["MOTO_ECS_SERVICE_RUNNING"] = "0"
    os.environ.update(SIMULATED_CREDENTIALS)
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    try:
        bound_host, bound_port = server.get_host_and_port()
        print(f"http://{bound_host}:{bound_port}", flush=True)
        stop = asyncio.Event()
        simulator = asyncio.create_task(EcsRolloutSimulator(region=region).run(STEP_SECONDS, stop))
        await asyncio.to_thread(sys.stdin.read)  # until the bench closes our stdin
        stop.set()
        await simulator
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--region", default=SIMULATED_CREDENTIALS["AWS_REGION"])
    args = parser.parse_args()
    asyncio.run(_serve(args.host, args.region))


if __name__ == "__main__":
    main()
