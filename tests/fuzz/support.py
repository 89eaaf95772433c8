"""Shared by the contract fuzzing and the security tests: berth served over real HTTP from
its own thread (schemathesis and the isolation sweep send blocking requests, so the server
cannot share the test's event loop), and an organisation seeded with one of every resource.
"""

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import uvicorn

from api.app import create_app
from api.hardening import Hardening

# Fuzzing drives one token far above any sane rate; the limiter is tested elsewhere.
UNLIMITED = Hardening(rate=0)
V3 = "/api/v3/organizations/{slug}/applications"
WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
STARTUP_SECONDS = 30


@contextlib.contextmanager
def served(database_url: str, secrets_key: str, cloud=None, hardening: Hardening = UNLIMITED) -> Iterator[str]:
    """berth under uvicorn on a free loopback port, in a thread with its own event loop."""
    app = create_app(database_url, secrets_key=secrets_key, cloud=cloud, hardening=hardening)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(STARTUP_SECONDS * 100):
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("berth did not start")
        threading.Event().wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)


@dataclass
class Seeded:
    """An organisation's token and the names/ids of one of each of its resources: the
    values the path parameters of every operation take to reach something that exists."""

    slug: str
    token: str
    path_values: dict[str, str] = field(default_factory=dict)

    def headers(self, path: str) -> dict[str, str]:
        if path.startswith("/api/v1/"):
            return {"X-API-Key": self.token}
        return {"Authorization": f"Bearer {self.token}"}


def _ok(answer: httpx.Response) -> dict:
    assert answer.status_code < 300, (answer.request.method, answer.request.url, answer.status_code, answer.text)
    return answer.json() if answer.content else {}


def seed(base_url: str, slug: str, token: str, *, secret_value: str = "s3cr3t-config-value") -> Seeded:
    """One v3 application (production + staging, a container secret reference, a variable)
    and one v1 project/application with a plain and a secret configuration."""
    seeded = Seeded(slug, token)
    v3 = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    v1 = httpx.Client(base_url=base_url, headers={"X-API-Key": token}, timeout=30)
    with v3, v1:
        applications = V3.format(slug=slug)
        web = {**WEB, "secrets": [{"name": "API_TOKEN",
                                   "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:berth/x"}]}
        _ok(v3.post(applications, json={"appName": "shop", "composeDefinition": {"containers": [web]},
                                        "environment": [{"name": "MODE", "value": "prod"}]}))
        environments = f"{applications}/shop/environments"
        _ok(v3.post(environments, json={"envName": "staging", "minCapacity": 1, "maxCapacity": 2}))
        seeded.path_values.update(organisation=slug, application="shop", environment="staging", container="web",
                                  variable="MODE")
        project = _ok(v1.post("/api/v1/projects", json={"name": "Store", "slug": "store", "organization_id": slug}))
        app = _ok(v1.post("/api/v1/applications", json={"name": "Api", "slug": "api", "project_id": project["id"]}))
        config = _ok(v1.post(f"/api/v1/configurations/{app['id']}",
                             json={"name": "PLAIN", "value": "visible", "secret": False}))
        _ok(v1.post(f"/api/v1/configurations/{app['id']}", json={"name": "SECRET", "value": secret_value,
                                                                  "secret": True}))
        seeded.path_values.update(org_slug=slug, project_slug="store", app_slug="api", application_id=app["id"],
                                  project_id=project["id"],
                                  config_id=str(config["id"]))
    return seeded
