"""The `em-assets` command: one sub-command module per concern."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence

from em_assets.cli import demo, portal, view

COMMAND_MODULES = (demo, view, portal)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="em-assets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `em-assets` command line."""
    args = build_parser().parse_args(argv)
    logging.getLogger("dagster").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="dagster")
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
