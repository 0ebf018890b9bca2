"""`tui-replay list PATH... [--json] [--no-cache] [--max-size SIZE]`: one row per recording file.

A Rich table by default; with --json, JSON Lines with exactly `Summary.to_json()`.
Exit 0 even when some rows are errors; 2 when a path does not exist.
Imports no Textual (and no Rich at all with --json, for start-up time).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from tui_replay.catalog.scan import unreachable_paths
from tui_replay.recording.model import Summary

if TYPE_CHECKING:
    from rich.console import Console
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
        text = json.dumps(_finite(obj), ensure_ascii=True, separators=(",", ":"), default=str)
        return text.encode() + b"\n"


def _finite(value: Any) -> Any:
    """NaN and infinities as null, as orjson writes them (the stdlib would write NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def literal(value: object, style: str = "") -> Text:
    """Recorded text as a Rich Text that shows control characters and never reads markup."""
    from tui_replay.textsafe import safe_text

    text = safe_text(str(value), style)
    text.end = "\n"  # stacked in a Group, each piece on its own line
    return text


def make_console() -> Console:
    """A Rich console on stdout for the headless commands.

    Rich turns a closed pipe (`tui-replay list | head`) into SystemExit(1); the reader going
    away is not an error here, so it becomes the BrokenPipeError the CLI answers with 0.
    """
    import os

    from rich.console import Console

    console = Console(highlight=False)

    def on_broken_pipe() -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more reaches the closed pipe at exit
        raise BrokenPipeError

    console.on_broken_pipe = on_broken_pipe  # type: ignore[method-assign]
    return console


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


def _short_file(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name[:-5] if name.lower().endswith(".json") else name
    return f"{stem[:12]}…{name[len(stem) :]}" if len(stem) > 14 else name


WIDE = 140  # from this console width on, the file name and the endpoint get their own columns
TEST_MIN_WIDTH = 22


def _status_cell(summary: Summary) -> Text:
    from rich.text import Text

    if summary.status == "error":
        return literal(summary.error or "error", "red")
    if summary.exception:
        return Text("exception", style="yellow")
    if summary.capture:  # a live capture of ours (compare --save), not a test recording
        return Text("capture", style="cyan")
    return Text("ok", style="green")


def print_table(summaries: list[Summary]) -> None:
    from rich.table import Table
    from rich.text import Text

    from tui_replay.catalog.testids import NO_TEST_ID, short_test_id

    console = make_console()
    wide = console.width >= WIDE
    # (header, max width or None, justify, no_wrap); the Test column is inserted after File.
    columns: list[tuple[str, int | None, str, bool]] = []
    if wide:
        columns.append(("File", None, "left", True))
    columns.append(("Kind", 12, "left", True))
    if wide:
        columns.append(("Endpoint", 26, "left", False))
    columns += [
        ("Model", 28 if wide else 12, "left", False),
        ("S", None, "center", True),
        ("Chunks" if wide else "Chk", None, "right", True),
        ("Tools" if wide else "Tls", None, "right", True),
        ("Cites" if wide else "Cit", None, "right", True),
        ("Tokens", None, "right", True),
        ("Status", 60, "left", False),
    ]
    rows: list[list[Text | str]] = []
    for summary in summaries:
        cells: list[Text | str] = []
        if wide:
            cells.append(literal(_short_file(summary.path)))
        cells.append(literal(summary.kind or ""))
        if wide:
            cells.append(literal(summary.endpoint or ""))
        cells += [
            literal(summary.model or ""),
            {True: "●", False: "", None: "" if summary.status == "error" else "?"}[summary.streaming],
            str(summary.chunks) if summary.chunks else "",
            str(summary.tool_calls) if summary.tool_calls else "",
            str(summary.citations) if summary.citations else "",
            summary.tokens_label(),
            _status_cell(summary),
        ]
        rows.append(cells)

    # The Test column gets what the others leave (one space between columns); test ids are
    # shortened to fit on one line, or two when that leaves too little.
    used = len(columns)
    for index, (header, max_width, _, _) in enumerate(columns):
        widest = max([len(header)] + [len(str(row[index])) for row in rows])
        used += min(widest, max_width) if max_width else widest
    test_width = max(TEST_MIN_WIDTH, console.width - used)
    test_room = test_width if test_width >= 40 else 2 * test_width

    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False, collapse_padding=True)
    test_at = 1 if wide else 0
    for index, (header, max_width, justify, no_wrap) in enumerate(columns):
        if index == test_at:
            table.add_column("Test", overflow="fold", ratio=1, min_width=TEST_MIN_WIDTH)
        overflow = "ellipsis" if header == "Kind" else "fold"
        table.add_column(header, justify=justify, no_wrap=no_wrap, max_width=max_width, overflow=overflow)
    for summary, cells in zip(summaries, rows, strict=True):
        if summary.test_id:
            test = literal(short_test_id(summary.test_id, test_room))
        elif wide:
            test = literal(NO_TEST_ID, "dim")
        else:  # no File column: the file name is what tells such rows apart
            test = literal(f"{NO_TEST_ID} {_short_file(summary.path)}", "dim")
        table.add_row(*cells[:test_at], test, *cells[test_at:])
    console.print(table)
    errors = sum(1 for summary in summaries if summary.status == "error")
    noun = "recording" if len(summaries) == 1 else "recordings"
    console.print(Text(f"{len(summaries)} {noun}, {errors} unreadable", style="dim"))
