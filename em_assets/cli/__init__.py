"""The `em-assets` command: one sub-command module per concern.

Each module is imported only when its command runs: the parser is declared here so that `em-assets --help` and argument errors import no science stack
(Dagster, pandas, zarr, the portal client); each handler names its module and function.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _handler(module: str, function: str) -> Handler:
    """The function `function` of `em_assets.cli.<module>`, imported when the command runs."""

    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(f"em_assets.cli.{module}"), function)(args)

    return run


def _add_portal(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("portal", help="tomograms from the CryoET Data Portal")
    actions = parser.add_subparsers(dest="portal_command", required=True)
    listing = actions.add_parser("list", help="list a dataset's tomograms")
    listing.add_argument("--dataset", type=int, action="append", default=[], help="dataset id (repeatable)")
    listing.add_argument("--run", action="append", default=[], help="only runs with this name (repeatable)")
    listing.add_argument("--voxel-spacing", type=float, default=None, help="only this voxel spacing (Å)")
    listing.add_argument("--default-only", action="store_true", help="only each run's default tomogram")
    listing.set_defaults(handler=_handler("portal", "run_list"))
    adding = actions.add_parser("add", help="register a tomogram as partition portal-<id>")
    adding.add_argument("tomogram_id", type=int, help="portal tomogram id, e.g. 773")
    adding.add_argument("--materialize", action="store_true", help="also run its pipeline now")
    adding.set_defaults(handler=_handler("portal", "run_add"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="em-assets", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="write the demo data and run the whole pipeline on it")
    demo.set_defaults(handler=_handler("demo", "run_demo"))
    view = commands.add_parser(
        "view",
        help="open a tomogram's stored state in a local Neuroglancer (works offline)",
        description=(
            "Serve the store's zarr folders read-only and open PARTITION's stored Neuroglancer state in the "
            "viewer bundled with the neuroglancer package, served locally: no internet needed for local "
            "tomograms. Without PARTITION, list the partitions that have a state. The store is below "
            "EM_ASSETS_HOME, else the source checkout's data/ folder, never the current folder."
        ),
    )
    view.add_argument("partition", nargs="?", metavar="PARTITION", help="the tomogram partition to view; omit to list them")
    view.add_argument(
        "--method",
        choices=("gmm", "cdf", "percentile"),
        help="show only this contrast method's layer (default: the stored state's visible layer)",
    )
    view.add_argument(
        "--host", default=None, help="address both servers bind to (default: the host of EM_ASSETS_LOCAL_DATA_URL, 127.0.0.1)"
    )
    view.add_argument(
        "--port",
        type=int,
        default=None,
        help="port of the store file server (default: the port of EM_ASSETS_LOCAL_DATA_URL, 8765; 0 picks a free port)",
    )
    view.add_argument(
        "--viewer-port", type=int, default=None, help="port of the local Neuroglancer (default: 8766; 0 picks a free port)"
    )
    view.set_defaults(handler=_handler("view", "run_view"))
    _add_portal(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `em-assets` command line."""
    args = build_parser().parse_args(argv)
    logging.getLogger("dagster").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="dagster")
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
