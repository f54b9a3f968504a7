"""The ``metanas`` command. Each sub-command lives in its own module with a ``register``
function; adding one means one module and one line in `_COMMANDS`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from metanas import __version__
from metanas.exceptions import MetanasError

__all__ = ["build_parser", "main"]

#: Sub-command modules, in the order ``--help`` lists them.
_COMMANDS = (
    "metanas.cli._demo",
    "metanas.cli._db",
    "metanas.cli._warm_start",
    "metanas.cli._search",
    "metanas.cli._bench",
    "metanas.cli._train",
    "metanas.cli._optuna",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="metanas",
        description="Warm-started neural architecture search from a database of past experiments.",
    )
    parser.add_argument("--version", action="version", version=f"metanas {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 bad input or failure)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MetanasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
