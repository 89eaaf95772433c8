"""The client commands run in this loop against the real API (on real PostgreSQL, under
uvicorn), as `berth …` runs them: the same parser, the same `run`."""

import argparse
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.app import create_app
from controller.cli import _parser as cli_parser
from controller.client.commands import run
from controller.store.organisations import add_token, create_organisation, new_token
from tests.serving import serve

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}


def shop(image: str = "nginx:1.27", name: str = "shop") -> dict:
    return {"appName": name, "composeDefinition": {
        "containers": [{**WEB, "imageReference": {"type": "external", "identifier": image}}],
        "minCapacity": 1, "maxCapacity": 2,
    }}


def parser() -> argparse.ArgumentParser:
    return cli_parser()


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


async def berth(*argv: str, environ: dict | None = None, data_dir: Path | None = None, stdin: str = "",
                transport=None) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit:
        return Ran(int(exit.code), "", "")
    code = await run(args, environ=environ or {}, data_dir=data_dir or Path("/nonexistent/berth"),
                     stdin=io.StringIO(stdin), stdout=out, stderr=err, transport=transport)
    return Ran(code, out.getvalue(), err.getvalue())


@dataclass
class Connection:
    server: str
    token: str
    organisation: str

    @property
    def environ(self) -> dict[str, str]:
        return {"BERTH_SERVER": self.server, "BERTH_TOKEN": self.token, "BERTH_ORGANISATION": self.organisation}

    async def __call__(self, *argv: str, **kwargs) -> Ran:
        return await berth(*argv, environ={**self.environ, **kwargs.pop("environ", {})}, **kwargs)


@pytest.fixture
async def api_url(database_url):
    async with serve(create_app(database_url)) as url:
        yield url


@pytest.fixture
async def cli(pool, api_url) -> Connection:
    """`await cli("apply", "-f", path)`: berth's client pointed at organisation acme."""
    organisation = await create_organisation(pool, "acme", 10)
    token = new_token()
    await add_token(pool, organisation, token)
    return Connection(api_url, token, "acme")


def write(path: Path, *documents: dict | list, as_json: bool = False) -> Path:
    import yaml

    if as_json:
        path.write_text(json.dumps(documents[0]))
    else:
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return path
