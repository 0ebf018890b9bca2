"""`tui-replay list PATH... [--json] [--no-cache] [--max-size SIZE]`: one row per recording file.

A Rich table by default; with --json, JSON Lines with exactly `Summary.to_json()`.
Exit 0 even when some rows are errors; 2 when a path does not exist.
Imports no Textual (and no Rich at all with --json, for start-up time).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from tui_replay.catalog.scan import missing_paths
from tui_replay.recording.model import Summary

if TYPE_CHECKING:
    from rich.text import Text

PROG = "tui-replay"


def report_missing(command: str, paths: Iterable[str]) -> int:
    """Print one line per missing path on stderr; 2 when any is missing, else 0."""
    missing = missing_paths(paths)
    for path, reason in missing:
        print(f"{PROG} {command}: {reason}: {path}", file=sys.stderr)
    return 2 if missing else 0


def dumps_line(obj: dict[str, Any]) -> bytes:
    """One JSON line; text exactly as recorded (control characters stay escaped)."""
    try:
        return orjson.dumps(obj) + b"\n"
    except orjson.JSONEncodeError:
        # orjson refuses lone surrogates (a recorded "\udc80"); the stdlib escapes them.
        return json.dumps(obj, ensure_ascii=True, allow_nan=False, default=str).encode() + b"\n"


def literal(value: object, style: str = "") -> Text:
    """Recorded text as a Rich Text that shows control characters and never reads markup."""
    from tui_replay.textsafe import safe_text

    return safe_text(str(value), style)


def tolerant_stdout() -> None:
    """Text that cannot be encoded (a lone surrogate, a non-UTF-8 terminal) is escaped, not fatal."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")


def run_list(args: argparse.Namespace) -> int:
    if getattr(args, "watch", False):
        from tui_replay.commands.watching import run_watch

        return run_watch(args)
    if report_missing("list", args.paths):
        return 2
    from tui_replay.catalog.catalog import Catalog

    catalog = Catalog(max_size=args.max_size, use_cache=not args.no_cache)
    summaries = catalog.iter_summaries(args.paths)
    if args.json:
        write_json_lines(summaries, sys.stdout.buffer)
        return 0
    tolerant_stdout()
    print_table(list(summaries))
    return 0


def write_json_lines(summaries: Iterable[Summary], out: BinaryIO) -> None:
    for summary in summaries:
        out.write(dumps_line(summary.to_json()))
    out.flush()


def _tokens_cell(summary: Summary) -> str:
    if summary.prompt_tokens is None and summary.completion_tokens is None:
        return ""
    prompt = "?" if summary.prompt_tokens is None else str(summary.prompt_tokens)
    completion = "?" if summary.completion_tokens is None else str(summary.completion_tokens)
    return f"{prompt}→{completion}"


def _short_file(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name[:-5] if name.lower().endswith(".json") else name
    return f"{stem[:12]}…{name[len(stem) :]}" if len(stem) > 14 else name


def print_table(summaries: list[Summary]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from tui_replay.catalog.testids import short_test_id

    console = Console(highlight=False, soft_wrap=False)
    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
    table.add_column("File", no_wrap=True, style="dim")
    table.add_column("Test", overflow="fold", ratio=3)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Endpoint", overflow="fold", ratio=1)
    table.add_column("Model", overflow="fold", ratio=1)
    table.add_column("S", no_wrap=True, justify="center")
    table.add_column("Chunks", justify="right", no_wrap=True)
    table.add_column("Tools", justify="right", no_wrap=True)
    table.add_column("Cites", justify="right", no_wrap=True)
    table.add_column("Tokens", justify="right", no_wrap=True)
    table.add_column("Status", overflow="fold", ratio=2)
    errors = 0
    for summary in summaries:
        if summary.status == "error":
            errors += 1
            status = literal(summary.error or "error", "red")
        elif summary.exception:
            status = Text("exception", style="yellow")
        else:
            status = Text("ok", style="green")
        streaming = {True: "●", False: "", None: "?"}[summary.streaming]
        table.add_row(
            literal(_short_file(summary.path)),
            literal(short_test_id(summary.test_id)),
            literal(summary.kind or ""),
            literal(summary.endpoint or ""),
            literal(summary.model or ""),
            streaming,
            str(summary.chunks) if summary.chunks else "",
            str(summary.tool_calls) if summary.tool_calls else "",
            str(summary.citations) if summary.citations else "",
            _tokens_cell(summary),
            status,
        )
    console.print(table)
    noun = "recording" if len(summaries) == 1 else "recordings"
    console.print(Text(f"{len(summaries)} {noun}, {errors} unreadable", style="dim"))
