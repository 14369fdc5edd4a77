"""`em-assets view`."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `view` sub-command."""
    parser = commands.add_parser("view", help="not yet available")
    parser.set_defaults(handler=lambda args: print("view: not yet available") or 1)
