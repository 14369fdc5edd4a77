"""`em-assets demo`."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `demo` sub-command."""
    parser = commands.add_parser("demo", help="not yet available")
    parser.set_defaults(handler=lambda args: print("demo: not yet available") or 1)
