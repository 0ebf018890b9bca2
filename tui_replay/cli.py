"""Command line: arguments -> the run's settings -> a headless command or the app; nothing else.

The settings (config files, environment, flags) are resolved here once, with
`Config.from_args`; every command that has settings takes the resulting Config (`explain` and
`check` have none and read no config).

Headless commands (`list`, `show`, `compare`, `export`) must not import Textual: the app
module is imported only when the app runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tui_replay.config import Config

T = TypeVar("T")
SAVE_TO_CAPTURE_DIR = ""  # `--save` without a path: the capture folder

SUBCOMMANDS = ("list", "show", "compare", "export", "explain", "check", "diff", "serve")
# The keys of tui_replay.export.FORMATS, named here so that parsing a command line does not
# import the exporters (a test keeps the two the same).
EXPORT_FORMATS = ("curl", "python", "markdown", "rerecord")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:  # argparse would say "invalid _positive_float value"
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text}")
    return value


def _timeout(text: str) -> float:
    """Seconds: more than 0, at most a day (inf would overflow the timers)."""
    from tui_replay.config import parse_timeout

    return _as_argument(parse_timeout, text)


def _size(text: str) -> int:
    """A byte count such as 256M, 1G or 4096."""
    from tui_replay.config import parse_size

    return _as_argument(parse_size, text)


def _as_argument(parse: Callable[[str], T], text: str) -> T:
    """`parse(text)`, its ValueError (a one-line reason) as argparse's usage error."""
    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _env_name(text: str) -> str:
    """An environment variable name (it is written into shell code as `$NAME`)."""
    from tui_replay.quoting import is_env_name

    if not is_env_name(text):
        raise argparse.ArgumentTypeError(f"not an environment variable name (letters, digits, _): {text!r}")
    return text


def _add_max_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-size", type=_size, metavar="SIZE", help="refuse files larger than this (default 32M)"
    )


def _add_filter(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filter",
        metavar="EXPR",
        help="only recordings matching EXPR, in the app's filter language (e.g. 'model:gpt-4o text:experts')",
    )


def _add_api_key_env(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-key-env",
        type=_env_name,
        metavar="VAR",
        help="environment variable holding the API key (default OPENAI_API_KEY)",
    )


def _add_live_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="OpenAI-compatible base URL (else $OPENAI_BASE_URL, else config)")
    parser.add_argument("--model", help="model name sent instead of the recorded one")
    _add_api_key_env(parser)
    parser.add_argument(
        "--timeout",
        type=_timeout,
        metavar="S",
        help="seconds a re-issue may take (compare: the whole command, download to saved file)",
    )
    parser.add_argument(
        "--max-answer",
        type=_size,
        metavar="SIZE",
        help="refuse a live answer larger than this (default 8M)",
    )


def build_app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-replay",
        description="Browse and replay recorded LLM API conversations. "
        f"Subcommands: {', '.join(SUBCOMMANDS)} (see `tui-replay SUBCOMMAND --help`).",
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


def build_command_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The subcommands' parser; with `command`, only that subcommand's (each parser costs
    argparse's gettext look-ups: building all of them was a tenth of a warm `list`)."""
    parser = argparse.ArgumentParser(prog="tui-replay")
    # (The usage line names every subcommand either way.)
    metavar = "{" + ",".join(_SUBCOMMAND_PARSERS) + "}" if command else None
    sub = parser.add_subparsers(dest="command", required=True, metavar=metavar)
    for name, add_subcommand in _SUBCOMMAND_PARSERS.items():
        if command is None or name == command:
            add_subcommand(sub)
    return parser


def _add_list_parser(sub: argparse._SubParsersAction) -> None:
    listing = sub.add_parser("list", help="list recordings (a table, or JSON Lines with --json)")
    listing.add_argument("paths", nargs="+", metavar="PATH")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--no-cache", action="store_true", help="ignore and do not write the summary cache")
    _add_max_size(listing)
    listing.add_argument(
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="processes that read files the cache does not know (default: one per core; 1: no helpers)",
    )
    listing.add_argument("--watch", action="store_true", help="keep running and print changes as they happen")
    _add_filter(listing)


def _add_show_parser(sub: argparse._SubParsersAction) -> None:
    show = sub.add_parser("show", help="print assembled conversations")
    show.add_argument("paths", nargs="+", metavar="PATH")
    show.add_argument("--json", action="store_true", help="one JSON object per line")
    _add_max_size(show)
    _add_filter(show)


def _add_compare_parser(sub: argparse._SubParsersAction) -> None:
    compare = sub.add_parser("compare", help="re-issue a stored request live and compare the answers")
    compare.add_argument("file", metavar="FILE")
    _add_live_target(compare)
    compare.add_argument(
        "--save",
        nargs="?",
        const=SAVE_TO_CAPTURE_DIR,
        metavar="PATH",
        help="write the live exchange as a new recording: to PATH, or without PATH to the capture "
        "folder (--save-dir, TUI_REPLAY_SAVE_DIR, [live] save_dir, else <user data dir>/tui-replay/"
        "captures); put it after FILE",
    )
    compare.add_argument("--save-dir", metavar="DIR", help="save the capture into DIR (implies --save)")
    compare.add_argument(
        "--force", action="store_true", help="allow saving a capture inside a recordings/ folder"
    )
    compare.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="re-issue N times and report stability"
    )
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.add_argument("--config", metavar="FILE", help="read this TOML config file too")


def _add_export_parser(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export", help="print a recording as curl, Python, Markdown or its re-record command"
    )
    export.add_argument("paths", nargs="+", metavar="FILE")
    export.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="what to write")
    export.add_argument("--out", metavar="PATH", help="write to this new file (never over one), not stdout")
    export.add_argument("--base-url", help="base URL of the requests (else $OPENAI_BASE_URL, else config)")
    _add_api_key_env(export)
    _add_max_size(export)
    export.add_argument("--config", metavar="FILE", help="read this TOML config file too")


def _add_explain_parser(sub: argparse._SubParsersAction) -> None:
    explain = sub.add_parser(
        "explain", help="which recording a request would match, or what the nearest differs in"
    )
    explain.add_argument("paths", nargs="+", metavar="PATH", help="the recordings tree(s) to look in")
    explain.add_argument("--body", metavar="FILE", help="a JSON request body as the SDK sends it")
    explain.add_argument("--recording", metavar="FILE", help="a recording file whose request is explained")
    explain.add_argument(
        "--log", metavar="FILE", help="a pytest or CI log: every `Recording not found` in it"
    )
    explain.add_argument("--test-id", metavar="ID", help="the pytest node id the request was made under")
    explain.add_argument("--url", metavar="URL", help="the request URL (with --body)")
    explain.add_argument("--json", action="store_true", help="one JSON object per request")


def _add_check_parser(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check", help="key hygiene: names that do not match the request, duplicates, orphans"
    )
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--collected", metavar="FILE", help="the output of `pytest --collect-only -q`")
    check.add_argument("--json", action="store_true", help="one JSON object per file")
    check.add_argument(
        "--fix",
        action="store_true",
        help="plan renaming mis-keyed and older-keyed files to their expected names",
    )
    check.add_argument(
        "--apply",
        action="store_true",
        help="with --fix: rename them (git mv when tracked), never over a file",
    )


def _add_diff_parser(sub: argparse._SubParsersAction) -> None:
    diff = sub.add_parser(
        "diff",
        help="what changed in meaning between two recordings, two folders or two git revisions",
        description="tui-replay diff A B | tui-replay diff --git REV [REV2] [PATH...] "
        "(REV2 defaults to the work tree). Exit 0: nothing differs beyond same-answer; "
        "1: something differs; 2: an error.",
    )
    diff.add_argument("paths", nargs="*", metavar="A B | REV [REV2] [PATH]")
    diff.add_argument(
        "--git",
        action="store_true",
        help="compare git revisions (read with git, never checked out; "
        "with no PATH, the *.json, *.yaml and *.yml files)",
    )
    diff.add_argument("--json", action="store_true", help="print one JSON object")
    diff.add_argument(
        "--format", choices=("text", "markdown"), default="text", help="markdown: a summary for a PR comment"
    )
    diff.add_argument(
        "--max-chars",
        type=int,
        default=60_000,
        metavar="N",
        help="markdown: at most N characters (default 60000; a GitHub comment holds 65536)",
    )
    diff.add_argument(
        "--step-summary",
        action="store_true",
        help="also append the markdown summary to the file $GITHUB_STEP_SUMMARY names (within its 1 MiB)",
    )
    _add_max_size(diff)


def _add_serve_parser(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="answer requests from the recordings, an OpenAI-compatible endpoint")
    serve.add_argument("paths", nargs="+", metavar="PATH")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8321, help="port (default 8321; 0: a free one, printed)")
    serve.add_argument("--timing", default="recorded", metavar="recorded|none|fixed:MS", help="stream pace")
    # `pace`: the server's stream pace, not the app's replay `speed` setting
    serve.add_argument(
        "--speed", dest="pace", type=_positive_float, default=1.0, help="multiply the recorded pace"
    )
    serve.add_argument("--upstream", metavar="URL", help="send a miss to this server, record its answer")
    serve.add_argument("--record-dir", metavar="DIR", help="where recorded answers go (with --upstream)")
    _add_api_key_env(serve)
    serve.add_argument("--no-cache", action="store_true", help="ignore and do not write the summary cache")
    serve.add_argument("--tui", action="store_true", help="show the traffic screen instead of log lines")


_SUBCOMMAND_PARSERS = {
    "list": _add_list_parser,
    "show": _add_show_parser,
    "compare": _add_compare_parser,
    "export": _add_export_parser,
    "explain": _add_explain_parser,
    "check": _add_check_parser,
    "diff": _add_diff_parser,
    "serve": _add_serve_parser,
}


def _exit_now(status: int) -> None:
    """End a finished `list` process without the interpreter's tear-down (freeing every module
    and object: ~15 ms, a tenth of a warm listing of 3,000 files). Its output is flushed here;
    the cache was saved and closed, its writer thread and any worker processes were ended."""
    import os

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # a reader gone away: the caller's handler
        raise
    except OSError:  # (a full disk, say) the interpreter's own exit reports it, as before
        return
    os._exit(status)


def _settings(args: argparse.Namespace, *, notices: bool) -> Config | None:
    """The run's settings (config files, environment, flags), resolved here once; None after
    one line on stderr when a config source is broken (exit status 2)."""
    from tui_replay.config import Config, ConfigError, print_notices

    try:
        config = Config.from_args(args)
    except ConfigError as exc:
        from tui_replay.textsafe import message_line  # (Rich: only on this path)

        print(f"tui-replay: {message_line(str(exc))}", file=sys.stderr)
        return None
    if notices:
        print_notices(config)
    return config


def main(argv: Sequence[str] | None = None) -> int:
    # Without `argv` this is the process itself (`tui-replay`, `python -m tui_replay`), not a
    # caller that goes on after it returns.
    whole_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            parser = build_command_parser(argv[0])
            args, extra = parser.parse_known_args(argv)
            # `diff --git REV --format markdown PATH`: argparse stops taking `diff`'s positionals at
            # the first option; what comes after an option is still a revision or a path.
            if args.command == "diff" and extra and not any(word.startswith("-") for word in extra):
                args.paths += extra
            elif extra:
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
            if args.command == "explain":  # explain and check have no settings: no config read
                from tui_replay.commands.explain import run_explain

                return run_explain(args)
            if args.command == "check":
                from tui_replay.commands.check import run_check

                return run_check(args)
            config = _settings(args, notices=not (args.command == "serve" and args.tui))
            if config is None:
                return 2
            if args.command == "list":
                from tui_replay.commands.listing import run_list

                status = run_list(args, config)
                if whole_process and not args.watch:
                    _exit_now(status)
                return status
            if args.command == "show":
                from tui_replay.commands.show import run_show

                return run_show(args, config)
            if args.command == "export":
                from tui_replay.commands.export import run_export

                return run_export(args, config)
            if args.command == "diff":
                from tui_replay.commands.diffing import run_diff

                return run_diff(args, config)
            if args.command == "serve":
                from tui_replay.serve.server import run_serve

                if args.tui:  # the traffic screen: the app, and so Textual, only then
                    from tui_replay.app.screens.traffic import run_traffic_app

                    return run_serve(args, config, present=run_traffic_app)
                return run_serve(args, config)
            from tui_replay.live.command import run_compare

            return run_compare(args, config)

        args = build_app_parser().parse_args(argv)
        if args.version:
            from tui_replay import __version__

            print(f"tui-replay {__version__}")
            return 0
        config = _settings(args, notices=False)  # the app shows the notices itself
        if config is None:
            return 2
        from tui_replay.app.app import run_app

        return run_app(args, config)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return exc.code if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tui-replay list --json | head`: the reader went away; not an error.
        sys.stderr.close()
        return 0
