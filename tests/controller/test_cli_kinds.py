"""`berth kinds` prints the dependency graph the worker's watches come from, the same one
docs/architecture.md shows; `berth --version` says which berth this is."""

import pathlib
from importlib.metadata import version

import pytest

from controller.cli import main
from schemas.kind_graph import graph_lines
from schemas.kinds import Kind

ARCHITECTURE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_berth_kinds_prints_every_kind_and_what_it_needs(capsys):
    main(["kinds"])
    printed = capsys.readouterr().out.splitlines()
    assert printed == graph_lines()
    assert {line for line in printed if not line.startswith(" ")} == {kind.value for kind in Kind}
    assert "  needs ecs-environment: serviceName, clusterArn, serviceArn" in printed


def test_the_architecture_document_shows_the_graph_as_it_is():
    assert "\n".join(graph_lines()) in ARCHITECTURE.read_text()


def test_berth_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"berth {version('berth')}"
