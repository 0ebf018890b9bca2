"""`tui-replay list --watch [--json] PATH...`: the listing, then one line per change until stopped.

With --json every line is `{"event": ..., **Summary.to_json()}`: "listed" for the initial
rows, then "added", "changed" or "removed" (a removed row carries its last known fields).
Without --json, one readable line per row (recorded text shown literally).
Every line is flushed at once, so a pipe reader sees it immediately. SIGINT and SIGTERM
stop it cleanly with exit status 0. Imports no Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_replay.catalog.session import ListingSession
from tui_replay.commands.output import dumps_line
from tui_replay.recording.model import Summary

if TYPE_CHECKING:
    from tui_replay.config import Config

LISTED = "listed"


def run_watch(args: argparse.Namespace, config: Config) -> int:
    write = _json_writer() if args.json else _text_writer()
    try:
        return asyncio.run(_watch(args, config, write))
    except BrokenPipeError:
        # `... | head`: the reader went away, which is how a pipeline ends.
        # Point stdout at /dev/null so the interpreter's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


async def _watch(
    args: argparse.Namespace, config: Config, write: Callable[[str, Summary | None, str], None]
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    session = ListingSession(args.paths, max_size=config.max_size, use_cache=not args.no_cache)
    listing = asyncio.ensure_future(asyncio.to_thread(session.load_all))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({listing, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if stop.is_set():
        listing.cancel()
        return 0
    stopped.cancel()
    # What changes from now on is indexed as it comes: an index a `text:` query built stays
    # current (the listing itself neither reads nor indexes the text).
    session.keep_index_current()
    for summary in listing.result():
        write(LISTED, summary, summary.path)

    async for batch in session.watch(stop):
        session.apply_changes(batch)
        for change in batch:
            write(change.event, change.summary, change.path)
    return 0


def _json_writer() -> Callable[[str, Summary | None, str], None]:
    out = sys.stdout.buffer

    def write(event: str, summary: Summary | None, path: str) -> None:
        fields = summary.to_json() if summary is not None else dict.fromkeys(Summary.JSON_FIELDS)
        fields["path"] = path
        out.write(dumps_line({"event": event, **fields}))
        out.flush()

    return write


def _text_writer() -> Callable[[str, Summary | None, str], None]:
    from rich.console import Console
    from rich.text import Text

    from tui_replay.commands.output import literal, tolerant_stdout

    tolerant_stdout()
    console = Console(highlight=False, soft_wrap=True)
    styles = {LISTED: "dim", "added": "green", "changed": "yellow", "removed": "red"}

    def write(event: str, summary: Summary | None, path: str) -> None:
        line = Text(f"{event:<8} ", style=styles.get(event, ""))
        line.append_text(literal(path, single_line=True))
        if summary is not None and event != "removed":
            details = [summary.kind or "", summary.model or ""]
            line.append("  " + "  ".join(d for d in details if d), style="cyan")
            if summary.status == "error":
                line.append("  ")
                line.append_text(literal(summary.error or "error", "red"))
            elif summary.exception:
                line.append("  exception", style="yellow")
        console.print(line)
        sys.stdout.flush()

    return write
