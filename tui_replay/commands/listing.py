"""`tui-replay list PATH... [--json] [--no-cache] [--max-size SIZE]`: one row per recording file.

A table by default, printed row by row (see TableWriter); with --json, JSON Lines with
exactly `Summary.to_json()`.
Exit 0 even when some rows are errors; 2 when a path does not exist.
Imports no Textual (and no Rich at all with --json, for start-up time).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from tui_replay.commands.output import (
    PROG,
    _silence_stdout,
    dumps_line,
    make_console,
    report_missing,
    tolerant_stdout,
)
from tui_replay.recording.model import Summary

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from tui_replay.catalog.view import Column
    from tui_replay.config import Config


def run_list(args: argparse.Namespace, config: Config) -> int:
    expr = getattr(args, "filter", None)
    if getattr(args, "watch", False):
        if expr is not None:
            print(f"{PROG} list: --filter does not work with --watch", file=sys.stderr)
            return 2
        from tui_replay.commands.watching import run_watch

        return run_watch(args, config)
    if report_missing("list", args.paths):
        return 2
    settings = {"max_size": config.max_size, "use_cache": not args.no_cache, "jobs": args.jobs}
    if expr is not None:
        from tui_replay.catalog.session import ListingSession, filter_error

        error = filter_error(expr)
        if error:
            print(f"{PROG} list: {error}", file=sys.stderr)
            return 2
        session = ListingSession(args.paths, **settings)
        catalog = session.catalog
        counted = Counted(session.iter_matching(expr))
        summaries: Iterable[Summary] = counted
    else:
        # The catalog alone: the session's filters and view are a tenth of the start-up.
        from tui_replay.catalog.catalog import Catalog

        catalog = Catalog(**settings)
        summaries = catalog.iter_summaries(args.paths)
    if args.json:
        write_json_lines(summaries, sys.stdout.buffer)
    else:
        tolerant_stdout()
        print_table(summaries)
    if catalog.cache is not None and catalog.cache.refused:
        print(f"{PROG} list: {catalog.cache.refused}", file=sys.stderr)
    if expr is not None and not counted.count:
        print(f"{PROG} list: no recording matches the filter: {expr}", file=sys.stderr)
        return 1
    return 0


class Counted:
    """An iterable that counts what went through it."""

    def __init__(self, items: Iterable[Summary]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[Summary]:
        for item in self.items:
            self.count += 1
            yield item


OUTPUT_CHUNK = 1 << 16  # bytes of JSON lines written together
OUTPUT_SECONDS = 0.05  # ... or once this long has passed: a reader downstream sees rows as they come


def write_json_lines(summaries: Iterable[Summary], out: BinaryIO) -> None:
    # Chunked here, not by the stream: stdout may be unbuffered (PYTHONUNBUFFERED, `python -u`),
    # and a write per line is a system call per row.
    lines: list[bytes] = []
    append = lines.append
    size = 0
    last = time.monotonic()
    for summary in summaries:
        line = dumps_line(summary.to_json())
        append(line)
        size += len(line)
        # (The clock is read every 64 rows: a row is a few microseconds.)
        if size >= OUTPUT_CHUNK or (len(lines) % 64 == 0 and time.monotonic() - last >= OUTPUT_SECONDS):
            out.write(b"".join(lines))
            out.flush()
            lines.clear()
            size, last = 0, time.monotonic()
    out.write(b"".join(lines))
    out.flush()


# -- the table ------------------------------------------------------------------------------------
#
# Rows are printed as the catalog yields them: the column widths come from the first batch
# (FIRST_BATCH rows, or what arrived within FIRST_BATCH_SECONDS), so nothing holds the whole
# table (a Rich Table over 10,000 rows took 40 times as long as --json, and 700 MB at 100,000).
# On a terminal every line fits its width: cells are cut with "…", the Test column takes what
# the others leave. Into a pipe or a file every row is one line at full width, cells never cut
# (full paths and test ids, for grep), only padded to the first batch's widths.

FIRST_BATCH = 200
FIRST_BATCH_SECONDS = 0.25
WIDE = 140  # from this terminal width on, the columns narrow terminals drop first (File, Endpoint) show
TEST_MIN_WIDTH = 22
GAP = " "


def _columns() -> tuple[Column, ...]:
    """The listing's columns (catalog/view.py), the same as the app's: File, Test, Kind, ..."""
    from tui_replay.catalog.view import COLUMNS

    return COLUMNS


_FILE, _TEST, _MODEL, _STATUS = 0, 1, 4, 10
NARROW_MODEL_WIDTH = 12


class TableWriter:
    """Writes rows as they come; the layout is fixed after the first batch."""

    def __init__(self, *, terminal: bool) -> None:
        from tui_replay.catalog.view import FileNames

        self.columns = _columns()
        keys = [self.columns[i].key for i in (_FILE, _TEST, _MODEL, _STATUS)]
        assert keys == ["file", "test", "model", "status"], keys
        self.terminal = terminal
        self.names = FileNames()  # the files seen so far: a repeated name gets its folder
        self.count = 0
        self.errors = 0
        self._batch: list[Summary] = []
        # The first batch's time runs from its first row: a slow start (a cold cache, a busy
        # machine) must not cut the batch the widths come from down to one row.
        self._started: float | None = None
        self._widths: list[int] | None = None
        self._shown = list(range(len(self.columns)))
        self._test_room = 0
        self._console: Console | None = None
        self._fits = False  # on a terminal: the widths fit its width (else Rich crops each line)
        self._ansi: dict[str, tuple[str, str]] = {}
        if terminal:
            self._console = make_console()
            if self._console.width < WIDE:
                self._shown = [i for i, column in enumerate(self.columns) if column.drop_order != 1]

    def add(self, summary: Summary) -> None:
        self.count += 1
        self.errors += summary.status == "error"
        if self._widths is not None:
            self._write_row(summary)
            return
        self._batch.append(summary)
        now = time.monotonic()
        if self._started is None:
            self._started = now
        if len(self._batch) >= FIRST_BATCH or now - self._started > FIRST_BATCH_SECONDS:
            self._start()

    def finish(self) -> None:
        if self._widths is None:
            self._start()
        noun = "recording" if self.count == 1 else "recordings"
        footer = f"{self.count} {noun}, {self.errors} unreadable"
        if self._console is not None:
            from rich.text import Text

            self._console.print(Text(footer, style="dim"))
        else:
            _write_plain(footer + "\n", flush=True)

    @property
    def _narrow(self) -> bool:
        return self._console is not None and self._console.width < WIDE

    def _header(self, index: int) -> str:
        column = self.columns[index]
        return (column.short_label or column.label) if self._narrow else column.label

    def _start(self) -> None:
        """Fix the widths from the batch, print the header and the batch."""
        from rich.cells import cell_len

        from tui_replay.textsafe import printable

        batch, self._batch = self._batch, []
        widths = [len(self._header(i)) for i in range(len(self.columns))]
        for summary in batch:
            for index, cell in enumerate(self._raw_cells(summary)):
                widths[index] = max(widths[index], cell_len(printable(cell, single_line=True)))
        if self._console is not None:
            for index, column in enumerate(self.columns):
                if not self._narrow:  # numbers that come later must still fit
                    widths[index] = max(widths[index], column.min_width)
                if index != _TEST:  # the Test column gets what the others leave
                    widths[index] = min(widths[index], column.max_width)
            if self._console.width < WIDE:
                widths[_MODEL] = min(widths[_MODEL], NARROW_MODEL_WIDTH)

            def others() -> int:
                return sum(widths[i] + len(GAP) for i in self._shown if i != _TEST)

            drop_order = sorted((c.drop_order, i) for i, c in enumerate(self.columns) if c.drop_order > 1)
            for _, index in drop_order:  # a very narrow terminal: the Status column stays in view
                if others() + TEST_MIN_WIDTH <= self._console.width:
                    break
                self._shown.remove(index)
            widths[_TEST] = max(TEST_MIN_WIDTH, self._console.width - others())
            self._test_room = widths[_TEST]
        self._widths = widths
        if self._console is not None:
            self._fits = sum(widths[i] + len(GAP) for i in self._shown) - len(GAP) <= self._console.width
            self._ansi = _ansi_codes(self._console, ("bold", "red", "yellow", "green", "cyan", "dim"))
        self._emit([self._header(i) for i in range(len(self.columns))], header=True)
        for summary in batch:
            self._write_row(summary)

    def _raw_cells(self, summary: Summary) -> list[str]:
        """The raw text of every column (made safe when written). In a pipe, File is the path as
        given and Test the whole id; on a terminal both are shortened to fit."""
        from tui_replay.catalog.testids import NO_TEST_ID, short_test_name

        cells = [column.value(summary) for column in self.columns]
        if self._console is None:
            cells[_FILE] = summary.path
            cells[_TEST] = summary.test_id or NO_TEST_ID
            return cells
        self.names.add(summary.file)
        cells[_FILE] = self.names.label(summary.file)
        if summary.test_id:
            cells[_TEST] = short_test_name(summary.test_id, self._test_room or 10_000)
        elif _FILE not in self._shown:  # no File column: the file name is what tells such rows apart
            cells[_TEST] = f"{cells[_TEST]} {cells[_FILE]}"
        return cells

    def _write_row(self, summary: Summary) -> None:
        self._emit(self._raw_cells(summary), summary=summary)

    def _emit(self, cells: list[str], *, header: bool = False, summary: Summary | None = None) -> None:
        """One line of raw cells, made safe here: placeholders (marked on a terminal), no markup.

        Lines of printable text one cell per character (nearly all) are laid out with str methods and, on a
        terminal, wrapped in precomputed ANSI styles: Rich lays out the others (placeholders,
        wide characters), at ten times the cost per row.
        """
        assert self._widths is not None
        fast = all(_one_cell_per_char(cells[index]) for index in self._shown)
        if self._console is None:
            _write_plain(self._plain_line(cells, fast))
        elif fast and self._fits:
            _write_plain(self._ansi_line(cells, header, summary))
        else:
            self._console.print(
                self._styled_line(cells, header, summary), no_wrap=True, overflow="ellipsis", crop=True
            )

    def _plain_line(self, cells: list[str], fast: bool) -> str:
        """Full width: padded to the first batch's widths, never cut."""
        from rich.cells import cell_len

        from tui_replay.textsafe import printable

        assert self._widths is not None
        parts = []
        for index in self._shown:
            cell, width = cells[index], self._widths[index]
            if not fast:
                cell = printable(cell, single_line=True)
            pad = width - (len(cell) if fast else cell_len(cell))
            if pad > 0:
                cell = " " * pad + cell if self.columns[index].right else cell + " " * pad
            parts.append(cell)
        return GAP.join(parts).rstrip() + "\n"

    def _ansi_line(self, cells: list[str], header: bool, summary: Summary | None) -> str:
        """A terminal line of one-cell-per-character cells: cut with "…" to the widths, then styled."""
        assert self._widths is not None
        parts = []
        for index in self._shown:
            cell, width = cells[index], self._widths[index]
            if len(cell) > width:
                cell = cell[: width - 1] + "…"
            elif self.columns[index].right:
                cell = cell.rjust(width)
            else:
                cell = cell.ljust(width)
            style = "bold" if header else self._cell_style(index, summary)
            if style:
                prefix, suffix = self._ansi[style]
                cell = prefix + cell + suffix
            parts.append(cell)
        return GAP.join(parts) + "\n"

    @staticmethod
    def _cell_style(index: int, summary: Summary | None) -> str:
        if summary is None:
            return ""
        if index == _STATUS:
            if summary.status == "error":
                return "red"
            return "yellow" if summary.exception else "cyan" if summary.capture else "green"
        if index == _TEST and not summary.test_id:
            return "dim"
        return ""

    def _styled_line(self, cells: list[str], header: bool, summary: Summary | None) -> Text:
        from rich.text import Text

        from tui_replay.textsafe import safe_text

        assert self._widths is not None
        line = Text(end="")
        for position, index in enumerate(self._shown):
            if position:
                line.append(GAP)
            style = "bold" if header else self._cell_style(index, summary)
            cell = safe_text(cells[index], style, single_line=True)
            width = self._widths[index]
            cell.truncate(width, overflow="ellipsis", pad=not self.columns[index].right)
            if self.columns[index].right:
                cell.align("right", width)
            line.append_text(cell)
        return line


def _one_cell_per_char(cell: str) -> bool:
    """Printable (no placeholder needed) and as wide as it is long ("…" yes, CJK no)."""
    if cell.isascii():
        return cell.isprintable()
    from rich.cells import cell_len

    return cell.isprintable() and cell_len(cell) == len(cell)


def _ansi_codes(console: Console, styles: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(before, after) escape codes of each style on this console (none with NO_COLOR, say)."""
    from rich.style import Style

    codes = {}
    for name in styles:
        style = Style.parse(name)
        if console.no_color:
            style = style.without_color
        rendered = style.render("\0", color_system=console.color_system)
        before, _, after = rendered.partition("\0")
        codes[name] = (before, after)
    return codes


def _write_plain(text: str, *, flush: bool = False) -> None:
    try:
        sys.stdout.write(text)
        if flush:
            sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise


def print_table(summaries: Iterable[Summary]) -> None:
    """The readable listing, row by row (see TableWriter)."""
    writer = TableWriter(terminal=sys.stdout.isatty())
    for summary in summaries:
        writer.add(summary)
    writer.finish()
