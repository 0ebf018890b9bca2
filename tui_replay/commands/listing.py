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

from tui_replay.catalog.scan import unreachable_paths
from tui_replay.recording.model import Summary

if TYPE_CHECKING:
    from rich.text import Text

PROG = "tui-replay"


def report_missing(command: str, paths: Iterable[str]) -> int:
    """Print one line per missing path on stderr; 2 when any is missing, else 0."""
    missing = unreachable_paths(paths)
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


WIDE = 140  # from this console width on, the file name and the endpoint get their own columns


def print_table(summaries: list[Summary]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from tui_replay.catalog.testids import NO_TEST_ID, short_test_id

    console = Console(highlight=False)
    wide = console.width >= WIDE
    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False, collapse_padding=True)
    if wide:
        table.add_column("File", no_wrap=True, style="dim")
    table.add_column("Test", overflow="fold", ratio=1, min_width=22)
    table.add_column("Kind", no_wrap=True, overflow="ellipsis", max_width=12)
    if wide:
        table.add_column("Endpoint", overflow="fold", max_width=26)
    table.add_column("Model", overflow="fold", max_width=28 if wide else 12)
    table.add_column("S", no_wrap=True, justify="center")
    table.add_column("Chunks" if wide else "Chk", justify="right", no_wrap=True)
    table.add_column("Tools" if wide else "Tls", justify="right", no_wrap=True)
    table.add_column("Cites" if wide else "Cit", justify="right", no_wrap=True)
    table.add_column("Tokens", justify="right", no_wrap=True)
    table.add_column("Status", overflow="fold", min_width=4, max_width=60)
    # About the room the Test column gets (the others at their usual widths), so an id
    # fits on one line in a wide console, on two in a narrow one, parameters visible.
    test_room = max(40, console.width - 150) if wide else 44
    errors = 0
    for summary in summaries:
        if summary.status == "error":
            errors += 1
            status = literal(summary.error or "error", "red")
        elif summary.exception:
            status = Text("exception", style="yellow")
        else:
            status = Text("ok", style="green")
        cells: list[Text | str] = []
        if wide:
            cells.append(literal(_short_file(summary.path)))
        if summary.test_id:
            cells.append(literal(short_test_id(summary.test_id, test_room)))
        elif wide:
            cells.append(literal(NO_TEST_ID, "dim"))
        else:  # no File column: the file name is what tells such rows apart
            cells.append(literal(f"{NO_TEST_ID} {_short_file(summary.path)}", "dim"))
        cells.append(literal(summary.kind or ""))
        if wide:
            cells.append(literal(summary.endpoint or ""))
        cells += [
            literal(summary.model or ""),
            {True: "●", False: "", None: "" if summary.status == "error" else "?"}[summary.streaming],
            str(summary.chunks) if summary.chunks else "",
            str(summary.tool_calls) if summary.tool_calls else "",
            str(summary.citations) if summary.citations else "",
            _tokens_cell(summary),
            status,
        ]
        table.add_row(*cells)
    console.print(table)
    noun = "recording" if len(summaries) == 1 else "recordings"
    console.print(Text(f"{len(summaries)} {noun}, {errors} unreadable", style="dim"))
