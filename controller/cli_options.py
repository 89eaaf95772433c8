"""The options every `berth` command takes, accepted before or after the subcommand.

`berth --data-dir D up` and `berth up --data-dir D` mean the same. The top-level parser
holds each option with its real default; every subcommand's parser holds a copy whose
default is SUPPRESS, so a value given before the subcommand is not overwritten by the
copy's default when the subcommand's parser runs.
"""

import argparse
from collections.abc import Callable
from pathlib import Path

AddOptions = Callable[[argparse.ArgumentParser, bool], None]
GLOBAL_GROUP = "global options (before or after the subcommand)"


def default(value: object, below: bool) -> object:
    """The default for an option's copy: the real one at the top, SUPPRESS below it."""
    return argparse.SUPPRESS if below else value


def add_data_dir(parser: argparse.ArgumentParser, below: bool) -> None:
    group = parser.add_argument_group(GLOBAL_GROUP)
    group.add_argument("--data-dir", type=Path, default=default(None, below),
                       help="sandbox data (default ./.berth or BERTH_DATA_DIR)")


def subcommand_parsers(parser: argparse.ArgumentParser):
    """Every parser below `parser`, at any depth (`org`, then `org create`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for below in dict.fromkeys(action.choices.values()):  # aliases share one parser
                yield below
                yield from subcommand_parsers(below)


def add_everywhere(parser: argparse.ArgumentParser, add: AddOptions) -> None:
    """`add` the options to `parser` and, as SUPPRESS-default copies, to every subcommand."""
    add(parser, False)
    for below in subcommand_parsers(parser):
        add(below, True)
