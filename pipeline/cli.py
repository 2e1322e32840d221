"""The ``roadcam`` command line.

Subcommands live in :mod:`pipeline.commands`, one module per group, each with
``register(subparsers)``. Heavy imports happen inside the command functions, so
``roadcam --help`` is instant and works without the optional extras.

Exit codes are those of :mod:`roadcam.errors`: a user error prints one line on
stderr and exits with its code, never a traceback (``--verbose`` adds one).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

from roadcam import __version__
from roadcam.errors import EXIT_INTERNAL, EXIT_USAGE, RoadcamError

log = logging.getLogger("roadcam")


class _Parser(argparse.ArgumentParser):
    """argparse that exits with our usage code and one clear line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"roadcam: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every command module in :mod:`pipeline.commands`."""
    parser = _Parser(
        prog="roadcam", description="Road-condition analytics from fleet vehicle cameras."
    )
    parser.add_argument("--version", action="version", version=f"roadcam {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs and tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    from pipeline import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"pipeline.commands.{info.name}")
        module.register(sub)
    return parser


def print_json(obj: Any) -> None:
    """Write ``obj`` as JSON on stdout (the ``--json`` output of every command)."""
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        for noisy in ("alembic", "urllib3", "ultralytics", "matplotlib", "PIL", "fiona", "pyogrio"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``roadcam`` script. Returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        code = args.func(args)
    except RoadcamError as err:
        if args.verbose:
            log.exception("failed")
        print(f"roadcam: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("roadcam: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: say so, with the traceback only in verbose mode
        if args.verbose:
            log.exception("internal error")
        print(
            f"roadcam: internal error: {type(err).__name__}: {err} (re-run with --verbose)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
