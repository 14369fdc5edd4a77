"""`em-assets portal`."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `portal` sub-command."""
    parser = commands.add_parser("portal", help="not yet available")
    parser.set_defaults(handler=lambda args: print("portal: not yet available") or 1)
