"""`/fake/…`: steering the simulated cluster over HTTP (the sandbox, other processes).
Tests in this process call the same `Cluster` methods directly."""

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from controller.sandbox.kube import errors
from controller.sandbox.kube.cluster import Cluster


async def _json(request: Request) -> dict:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise errors.bad_request(f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise errors.bad_request("the body must be a JSON object")
    return body


def control_routes(cluster: Cluster) -> list[Route]:
    def handler(action):
        async def endpoint(request: Request) -> Response:
            try:
                answer = await action(request, **request.path_params)
            except errors.KubeError as error:
                return JSONResponse(error.status(), status_code=error.code)
            return JSONResponse(answer if answer is not None else {"ok": True})
        return endpoint

    async def tick(request: Request):
        cluster.tick(int((await _json(request)).get("steps", 1)))

    async def reset(request: Request):
        cluster.reset()

    async def deployment_behaviour(request: Request, namespace: str, name: str, behaviour: str):
        cluster.set_deployment_behaviour(namespace, name, behaviour)

    async def finish_job(request: Request, namespace: str, name: str, outcome: str):
        cluster.finish_job(namespace, name, outcome, (await _json(request)).get("log"))

    async def job_default(request: Request):
        cluster.set_job_default((await _json(request)).get("outcome", ""))

    async def pod_log(request: Request, namespace: str, name: str):
        body = await _json(request)
        cluster.append_log(namespace, name, body.get("text", ""), body.get("container"))

    async def pod_usage(request: Request, namespace: str, name: str):
        body = await _json(request)
        cluster.set_usage(namespace, name, body["cpu_m"], body["memory_bytes"], body.get("container"))

    async def deployment_usage(request: Request, namespace: str, name: str):
        body = await _json(request)
        cluster.set_deployment_usage(namespace, name, body["cpu_m"], body["memory_bytes"])

    async def restart(request: Request, namespace: str, name: str):
        body = await _json(request)
        return cluster.restart(namespace, name, int(body.get("times", 1)), body.get("container"))

    return [
        Route("/fake/tick", handler(tick), methods=["POST"]),
        Route("/fake/reset", handler(reset), methods=["POST"]),
        Route("/fake/jobs/default", handler(job_default), methods=["PUT"]),
        Route("/fake/deployments/{namespace}/{name}/usage", handler(deployment_usage), methods=["PUT"]),
        Route("/fake/deployments/{namespace}/{name}/{behaviour}", handler(deployment_behaviour), methods=["POST"]),
        Route("/fake/jobs/{namespace}/{name}/{outcome}", handler(finish_job), methods=["POST"]),
        Route("/fake/pods/{namespace}/{name}/log", handler(pod_log), methods=["POST"]),
        Route("/fake/pods/{namespace}/{name}/usage", handler(pod_usage), methods=["PUT"]),
        Route("/fake/pods/{namespace}/{name}/restart", handler(restart), methods=["POST"]),
    ]
