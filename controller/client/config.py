"""Where the client finds the API: server, token and organisation.

Each comes from the first of: a flag, the environment (BERTH_SERVER, BERTH_TOKEN,
BERTH_ORG or BERTH_ORGANISATION), the config file ($BERTH_CONFIG, else
$XDG_CONFIG_HOME/berth/config.toml, else ~/.config/berth/config.toml), the sandbox.
The organisation has one spelling family everywhere: `--org`, `--organisation` and
`--organization`; `org`, `organisation` and `organization` in the file.

The sandbox (`berth up`) keeps its token in <data-dir>/token. When that file exists it
supplies what nothing else did: the server http://127.0.0.1:8080, and — only for a
server on this machine, so the token never leaves it — the token and the organisation
`demo`.
"""

import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from controller.client.outcomes import BadInput

SANDBOX_SERVER = "http://127.0.0.1:8080"
SANDBOX_ORGANISATION = "demo"
CONFIG_KEYS = ("server", "token", "organisation")
# The first variable set wins; BERTH_ORGANISATION is the older spelling, still read.
ENVIRONMENT = {"server": ("BERTH_SERVER",), "token": ("BERTH_TOKEN",), "organisation": ("BERTH_ORG", "BERTH_ORGANISATION")}
FLAGS = {"server": "--server", "token": "--token", "organisation": "--org"}
# The config file's spellings of a key, as the flags'.
FILE_SPELLINGS = {"org": "organisation", "organization": "organisation"}

NO_SERVER = "no server: pass --server, set BERTH_SERVER, write it in {path}, or start the sandbox with `berth up`"
NO_TOKEN = "no token: pass --token, set BERTH_TOKEN, or write it in {path}"
NO_ORGANISATION = "no organisation: pass --org, set BERTH_ORG, or write org = \"…\" in {path}"
BAD_CONFIG = "the config file {path} is not valid TOML: {error}"
BAD_CONFIG_KEY = "the config file {path}: {key!r} must be a string"
UNKNOWN_CONFIG_KEYS = "the config file {path}: unknown keys {keys} (known: server, token, org)"
BAD_SERVER = "the server {server!r} is not an http:// or https:// address"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    server: str
    token: str = field(repr=False)
    organisation: str
    # Where each value came from ("--token", "BERTH_TOKEN", the file, "the sandbox"), for errors.
    sources: Mapping[str, str]


def config_path(environ: Mapping[str, str]) -> Path:
    if environ.get("BERTH_CONFIG"):
        return Path(environ["BERTH_CONFIG"])
    base = Path(environ["XDG_CONFIG_HOME"]) if environ.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "berth" / "config.toml"


def read_config_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        found = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise BadInput(BAD_CONFIG.format(path=path, error=error)) from None
    found = {FILE_SPELLINGS.get(key, key): value for key, value in found.items()}
    if unknown := sorted(set(found) - set(CONFIG_KEYS)):
        raise BadInput(UNKNOWN_CONFIG_KEYS.format(path=path, keys=", ".join(unknown)))
    for key, value in found.items():
        if not isinstance(value, str):
            raise BadInput(BAD_CONFIG_KEY.format(path=path, key=key))
    return found


def on_this_machine(server: str) -> bool:
    host = urlsplit(server).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _candidates(key: str, flag: str | None, environ: Mapping[str, str], path: Path, from_file: Mapping[str, str]):
    """(source, value) in precedence order: the flag, the environment, the config file."""
    yield FLAGS[key], flag
    for variable in ENVIRONMENT[key]:
        yield variable, environ.get(variable)
    yield str(path), from_file.get(key)


def first_given(key: str, flag: str | None, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """`key`'s (value, source) from a flag, the environment or the config file; None if none."""
    path = config_path(environ)
    for source, value in _candidates(key, flag, environ, path, read_config_file(path)):
        if value and value.strip():
            return value.strip(), source
    return None


def resolve(
    flags: Mapping[str, str | None], environ: Mapping[str, str], data_dir: Path
) -> ClientConfig:
    """The configuration from `flags` (server, token, organisation; None when not given)."""
    path = config_path(environ)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key in CONFIG_KEYS:
        if found := first_given(key, flags.get(key), environ):
            values[key], sources[key] = found
    sandbox_token = data_dir / "token"
    if sandbox_token.is_file():
        sandbox = f"the sandbox ({data_dir})"
        if "server" not in values:
            values["server"], sources["server"] = SANDBOX_SERVER, sandbox
        if "token" not in values and on_this_machine(values["server"]):
            values["token"], sources["token"] = sandbox_token.read_text().strip(), sandbox
            if "organisation" not in values:
                values["organisation"], sources["organisation"] = SANDBOX_ORGANISATION, sandbox
    if "server" not in values:
        raise BadInput(NO_SERVER.format(path=path))
    if urlsplit(values["server"]).scheme not in ("http", "https"):
        raise BadInput(BAD_SERVER.format(server=values["server"]))
    if "token" not in values:
        raise BadInput(NO_TOKEN.format(path=path))
    if "organisation" not in values:
        raise BadInput(NO_ORGANISATION.format(path=path))
    return ClientConfig(values["server"].rstrip("/"), values["token"], values["organisation"], sources)
