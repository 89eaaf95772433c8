"""The applications `-f` names: files, directories and stdin, in YAML or JSON.

A file holds one application or many: YAML documents separated by `---`, or a list. Each
is a Quant Cloud `CreateApplicationRequest` and must name itself with `appName` (the
declarative PUT's path). The API validates the rest; here only what is needed to send it.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from controller.client.outcomes import BadInput

SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"

NOT_FOUND = "{path}: no such file or directory"
EMPTY_DIRECTORY = "{path}: no .yaml, .yml or .json files in it"
UNREADABLE = "{path}: {error}"
NOT_YAML = "{source}: not valid YAML: {error}"
NOT_JSON = "{source}: not valid JSON: {error}"
NOT_AN_OBJECT = "{source}: an application must be a mapping (an object), not {kind}"
NO_NAME = "{source}: appName is missing (it names the application to create or replace)"
BAD_NAME = "{source}: appName must be a string"
DUPLICATE = "{source}: the application {name!r} is also in {other}"
NOTHING = "no applications in {paths}"


@dataclass(frozen=True, slots=True)
class Manifest:
    name: str
    body: dict[str, Any]
    source: str  # "app.yaml", "app.yaml#2" (the second document or item)


def _documents(text: str, source: str, as_json: bool) -> list[Any]:
    if as_json:
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as error:
            raise BadInput(NOT_JSON.format(source=source, error=error)) from None
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise BadInput(NOT_YAML.format(source=source, error=" ".join(str(error).split()))) from None


def parse(text: str, source: str, as_json: bool = False) -> list[Manifest]:
    items: list[Any] = []
    for document in _documents(text, source, as_json):
        if document is None:  # an empty document, such as a trailing `---`
            continue
        items.extend(document if isinstance(document, list) else [document])
    several = len(items) > 1
    found = []
    for number, item in enumerate(items, start=1):
        here = f"{source}#{number}" if several else source
        if not isinstance(item, dict):
            raise BadInput(NOT_AN_OBJECT.format(source=here, kind=type(item).__name__))
        name = item.get("appName")
        if name is None:
            raise BadInput(NO_NAME.format(source=here))
        if not isinstance(name, str):
            raise BadInput(BAD_NAME.format(source=here))
        found.append(Manifest(name, item, here))
    return found


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in SUFFIXES)
        if not files:
            raise BadInput(EMPTY_DIRECTORY.format(path=path))
        return files
    if not path.exists():
        raise BadInput(NOT_FOUND.format(path=path))
    return [path]


def load(paths: Iterable[str], stdin: TextIO) -> list[Manifest]:
    """Every application in `paths` (`-` is stdin), in order; names must be unique."""
    paths = list(paths)
    found: list[Manifest] = []
    for name in paths:
        if name == STDIN:
            found += parse(stdin.read(), "<stdin>")
            continue
        for path in _files(Path(name)):
            try:
                text = path.read_text()
            except (OSError, UnicodeDecodeError) as error:
                raise BadInput(UNREADABLE.format(path=path, error=error)) from None
            found += parse(text, str(path), as_json=path.suffix == ".json")
    seen: dict[str, str] = {}
    for manifest in found:
        if manifest.name in seen:
            raise BadInput(DUPLICATE.format(source=manifest.source, name=manifest.name, other=seen[manifest.name]))
        seen[manifest.name] = manifest.source
    if not found:
        raise BadInput(NOTHING.format(paths=", ".join(paths)))
    return found
