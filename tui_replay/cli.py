"""Command line: arguments -> a headless command or the app; nothing else.

Headless commands (`list`, `show`, `compare`) must not import Textual: the app
module is imported only when the app runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

SUBCOMMANDS = ("list", "show", "compare")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:  # argparse would say "invalid _positive_float value"
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text}")
    return value


def _size(text: str) -> int:
    """A byte count such as 256M, 1G or 4096."""
    from tui_replay.config import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_max_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-size", type=_size, metavar="SIZE", help="refuse files larger than this (default 32M)"
    )


def _add_live_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="OpenAI-compatible base URL (else $OPENAI_BASE_URL, else config)")
    parser.add_argument("--model", help="model name sent instead of the recorded one")
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="environment variable holding the API key (default OPENAI_API_KEY)",
    )
    parser.add_argument("--timeout", type=_positive_float, metavar="S", help="request timeout in seconds")


def build_app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-replay",
        description="Browse and replay recorded LLM API conversations. "
        "Subcommands: list, show, compare (see `tui-replay SUBCOMMAND --help`).",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default ./recordings)")
    parser.add_argument("--speed", type=_positive_float, help="replay speed multiplier (0.25 to 32)")
    parser.add_argument("--no-watch", action="store_true", help="do not follow the folders for changes")
    parser.add_argument("--no-cache", action="store_true", help="ignore and do not write the summary cache")
    _add_max_size(parser)
    parser.add_argument("--config", metavar="FILE", help="read this TOML config file too")
    _add_live_target(parser)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser


def build_command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tui-replay")
    sub = parser.add_subparsers(dest="command", required=True)

    listing = sub.add_parser("list", help="list recordings (a table, or JSON Lines with --json)")
    listing.add_argument("paths", nargs="+", metavar="PATH")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--no-cache", action="store_true", help="ignore and do not write the summary cache")
    _add_max_size(listing)
    listing.add_argument("--watch", action="store_true", help="keep running and print changes as they happen")

    show = sub.add_parser("show", help="print assembled conversations")
    show.add_argument("paths", nargs="+", metavar="PATH")
    show.add_argument("--json", action="store_true", help="one JSON object per line")
    _add_max_size(show)

    compare = sub.add_parser("compare", help="re-issue a stored request live and compare the answers")
    compare.add_argument("file", metavar="FILE")
    _add_live_target(compare)
    compare.add_argument("--save", metavar="PATH", help="write the live exchange as a new recording")
    compare.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="re-issue N times and report stability"
    )
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.add_argument("--config", metavar="FILE", help="read this TOML config file too")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            args = build_command_parser().parse_args(argv)
            if args.command in ("list", "show") and args.max_size is None:
                from tui_replay.config import ConfigError, load_config

                try:
                    args.max_size = load_config().max_size
                except ConfigError as exc:
                    print(f"tui-replay: {exc}", file=sys.stderr)
                    return 2
            if args.command == "list":
                from tui_replay.commands.listing import run_list

                return run_list(args)
            if args.command == "show":
                from tui_replay.commands.show import run_show

                return run_show(args)
            from tui_replay.live.command import run_compare

            return run_compare(args)

        args = build_app_parser().parse_args(argv)
        if args.version:
            from tui_replay import __version__

            print(f"tui-replay {__version__}")
            return 0
        from tui_replay.app.app import run_app

        return run_app(args)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return exc.code if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tui-replay list --json | head`: the reader went away; not an error.
        sys.stderr.close()
        return 0
