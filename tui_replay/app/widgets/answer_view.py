"""The streamed answer: a Line-API view that appends text without re-rendering what is there.

Text arrives as (text, key) runs from `tui_replay.app.playback`. Each logical line keeps its
plain text and its runs; wrapped rows are (line, start, end) offsets, and an append only
re-wraps the last row of the last line, so the cost of a chunk is the size of the chunk,
not of the answer. `render_line` builds one visible row on demand.

Recorded text is data: control characters become visible placeholders (textsafe), tabs
are expanded, and nothing is parsed as markup.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_replay.app.playback import RUN_LABEL, RUN_REASONING, RUN_TEXT, Run, parse_cite_key
from tui_replay.textsafe import printable, safe_text

RUN_PLACEHOLDER = "placeholder"
TAB = "    "


def _wrap(text: str, start: int, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of text[start:] into rows of at most `width` cells: [(start, end), ...]."""
    rows: list[tuple[int, int]] = []
    width = max(1, width)
    end_of_text = len(text)
    if start >= end_of_text:
        return [(start, start)]
    if text.isascii():
        position = start
        while end_of_text - position > width:
            limit = position + width
            if text[limit] == " ":
                rows.append((position, limit))
                position = limit + 1
                continue
            space = text.rfind(" ", position + 1, limit)
            if space > position:
                rows.append((position, space))
                position = space + 1
            else:
                rows.append((position, limit))
                position = limit
        rows.append((position, end_of_text))
        return rows
    position = start
    cells = 0
    space = -1
    index = start
    while index < end_of_text:
        char = text[index]
        char_cells = cell_len(char)
        if cells + char_cells > width and index > position:
            if char == " ":
                rows.append((position, index))
                position = index + 1
                cells = 0
                space = -1
                index += 1
                continue
            if space > position:
                rows.append((position, space))
                position = space + 1
            else:
                rows.append((position, index))
                position = index
            # cells counted one character at a time, as the scan counts them (a string's cell_len
            # measures grapheme clusters): `_break_index` repeats this count for a cut
            cells = sum(map(cell_len, text[position:index]))
            space = -1
            continue
        if char == " ":
            space = index
        cells += char_cells
        index += 1
    rows.append((position, end_of_text))
    return rows


def _break_index(text: str, start: int, width: int) -> int:
    """The index of the character that ended the row `_wrap` starts at `start` (the first one that
    did not fit), or len(text) when the rest fits: that row is decided by text[start:index + 1]."""
    width = max(1, width)
    cells = 0
    for index in range(start, len(text)):
        cells += cell_len(text[index])
        if cells > width and index > start:
            return index
    return len(text)


def match_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for `terms`, the longest first; the spaces of a phrase match
    any run of white space (a line break where the renderer wrapped it)."""
    words = sorted({term for term in terms if term.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = (r"\s+".join(map(re.escape, word.split())) for word in words)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def split_marked(
    segments: list[Segment],
    text: str,
    a: int,
    b: int,
    style: Style,
    marked: Style,
    spans: list[tuple[int, int]],
) -> None:
    """Append text[a:b] in `style` to `segments`, the parts inside `spans` (sorted) in `marked`."""
    position = a
    for start, end in spans[max(0, bisect.bisect_right(spans, (a, a)) - 1) :]:
        if start >= b:
            break
        if end <= position:
            continue
        start, end = max(start, position), min(end, b)
        if start > position:
            segments.append(Segment(text[position:start], style))
        segments.append(Segment(text[start:end], marked))
        position = end
    if position < b:
        segments.append(Segment(text[position:b], style))


class AnswerBase(ScrollView, can_focus=True):
    """What the raw and the rendered answer views share: styles, the selected marker, clicks."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "answer--reasoning",
        "answer--label",
        "answer--cite",
        "answer--cite-unresolved",
        "answer--cite-selected",
        "answer--placeholder",
        "answer--match",
    }
    DEFAULT_CSS = """
    AnswerBase {
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .answer--reasoning { color: $text-muted; text-style: italic; }
        & > .answer--label { color: $text-muted; text-style: bold; }
        & > .answer--cite { color: $accent; text-style: bold; }
        & > .answer--cite-unresolved { color: $error; text-style: bold underline; }
        & > .answer--cite-selected { background: $warning; color: $background; text-style: bold; }
        & > .answer--placeholder { text-style: reverse dim; }
        & > .answer--match { background: $warning 60%; text-style: bold; }
    }
    """

    selected_citation: reactive[int | None] = reactive(None)
    """The citation number whose markers are highlighted."""
    placeholder: reactive[str] = reactive("(no answer text yet)")
    """Shown while nothing has been appended."""

    class CitationClicked(Message):
        """A compact marker such as [2] was clicked."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    match_pattern: re.Pattern[str] | None = None
    """What `highlight` marks (None: nothing)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # Runs that arrived while hidden (the raw and the Markdown view are fed the same runs, one
        # is shown): kept as they came and added when the view is shown, so a seek to the end of
        # a long answer lays out one view, not two.
        self._pending: list[Run] = []

    # --- content: what both views take, deferred while hidden ---------------------------------

    def append(self, runs: list[Run]) -> None:
        """Add runs at the end (newlines in run text start new lines)."""
        if not runs:
            return
        if not self.display:
            self._pending.extend(runs)
            return
        self.catch_up()
        self._add(runs)

    def remove(self, runs: list[Run]) -> None:
        """Take away the end these runs appended (a backward seek), in the time of their size."""
        excess = sum(len(text) for text, _ in runs)
        if not excess:
            return
        if excess <= sum(len(text) for text, _ in self._pending):
            self._drop_pending(excess)
            return
        self.catch_up()
        self._remove(runs)

    def clear(self) -> None:
        self._pending.clear()
        self._clear()

    def catch_up(self) -> None:
        """Add what arrived while the view was hidden (its text is then complete)."""
        if self._pending:
            runs, self._pending = self._pending, []
            self._add(runs)

    def on_show(self) -> None:
        self.catch_up()

    def _drop_pending(self, excess: int) -> None:
        """Cut the last `excess` characters off the runs not added yet."""
        pending = self._pending
        while excess and excess >= len(pending[-1][0]):
            excess -= len(pending.pop()[0])
        if excess:
            text, key = pending[-1]
            pending[-1] = (text[: len(text) - excess], key)

    def _add(self, runs: list[Run]) -> None:
        raise NotImplementedError

    def _remove(self, runs: list[Run]) -> None:
        raise NotImplementedError

    def _clear(self) -> None:
        raise NotImplementedError

    def watch_selected_citation(self) -> None:
        self.refresh()

    def highlight(self, terms: Iterable[str]) -> None:
        """Mark every occurrence of `terms` (case-insensitive: what a `text:` filter looked for),
        text that arrives later included; no terms clears the marks."""
        self.match_pattern = match_pattern(terms)
        self.forget_matches()
        self.refresh()

    def forget_matches(self) -> None:
        """The pattern changed: drop the matches found so far."""

    def match_style(self) -> Style:
        return self.get_component_rich_style("answer--match", partial=True)

    def cite_style(self, number: int, resolved: bool) -> Style:
        """The style of a marker: selected, or citing something retrieved, or nothing."""
        if number == self.selected_citation:
            return self.get_component_rich_style("answer--cite-selected", partial=True)
        name = "answer--cite" if resolved else "answer--cite-unresolved"
        return self.get_component_rich_style(name, partial=True)

    def placeholder_strip(self, width: int) -> Strip:
        base = self.rich_style
        style = base + self.get_component_rich_style("answer--label", partial=True)
        return Strip([Segment(self.placeholder, style)]).crop_extend(0, width, base)

    def citation_at(self, x: int, y: int) -> int | None:
        raise NotImplementedError

    def on_click(self, event: events.Click) -> None:
        number = self.citation_at(event.x, event.y)
        if number is not None:
            event.stop()
            self.post_message(self.CitationClicked(number))


class AnswerView(AnswerBase):
    """Append-only styled text with word wrap, rendered line by line."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[str] = [""]
        self._runs: list[list[tuple[int, int, str]]] = [[]]
        self._run_starts: list[list[int]] = [[]]
        self._rows: list[tuple[int, int, int]] = [(0, 0, 0)]
        self._wrap_width = 0
        self.follow = True  # keep the end in view while text arrives
        self._match_spans: dict[int, tuple[str, list[tuple[int, int]]]] = {}  # line: (text, spans)

    # --- content -----------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """Everything shown so far, as plain text (placeholders included)."""
        self.catch_up()
        return "\n".join(self._lines)

    @property
    def row_count(self) -> int:
        self.catch_up()
        return len(self._rows)

    def forget_matches(self) -> None:
        self._match_spans.clear()

    def match_spans(self, line: int) -> list[tuple[int, int]]:
        """(start, end) of each highlighted match in line `line`: in the whole line, so a match
        wrapped over two rows is marked on both."""
        pattern = self.match_pattern
        if pattern is None:
            return []
        text = self._lines[line]
        cached = self._match_spans.get(line)
        if cached is None or cached[0] is not text:  # the line grew or was cut since
            cached = self._match_spans[line] = (text, [m.span() for m in pattern.finditer(text)])
        return cached[1]

    def _clear(self) -> None:
        self._match_spans.clear()
        self._lines = [""]
        self._runs = [[]]
        self._run_starts = [[]]
        self._rows = [(0, 0, 0)]
        self._update_virtual_size()
        if self.size.height:
            self.scroll_to(y=0, animate=False, immediate=True, force=True)
        self.refresh()

    def _add(self, runs: list[Run]) -> None:
        was_at_end = self.follow and (self.is_vertical_scroll_end or self.max_scroll_y == 0)
        first_line = len(self._lines) - 1
        pieces: list[str] = [self._lines[-1]]
        length = len(self._lines[-1])
        line_runs = self._runs[-1]
        line_starts = self._run_starts[-1]
        for text, key in self._sanitized(runs):
            parts = text.split("\n")
            for number, part in enumerate(parts):
                if number:
                    self._lines[-1] = "".join(pieces)
                    self._lines.append("")
                    line_runs, line_starts = [], []
                    self._runs.append(line_runs)
                    self._run_starts.append(line_starts)
                    pieces, length = [], 0
                if not part:
                    continue
                if line_runs and line_runs[-1][2] == key and not key.startswith("cite"):
                    start, _, _ = line_runs[-1]
                    line_runs[-1] = (start, length + len(part), key)
                else:
                    line_runs.append((length, length + len(part), key))
                    line_starts.append(length)
                pieces.append(part)
                length += len(part)
        self._lines[-1] = "".join(pieces)
        self._rewrap_from(first_line)
        self._update_virtual_size()
        if was_at_end and self.size.height:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.refresh()

    def _remove(self, runs: list[Run]) -> None:
        self._cut_end(sum(len(text) for text, _ in self._sanitized(runs)))

    def truncate(self, length: int) -> None:
        """Keep the first `length` characters of `text`."""
        self.catch_up()
        self._cut_end(len(self.text) - max(0, length))

    def _cut_end(self, excess: int) -> None:
        """Remove the last `excess` characters; rows before the cut are kept, not re-wrapped."""
        if excess <= 0:
            return
        lines, runs, starts = self._lines, self._runs, self._run_starts
        while excess > len(lines[-1]) and len(lines) > 1:
            excess -= len(lines.pop()) + 1  # the line and the newline before it
            runs.pop()
            starts.pop()
        cut = max(0, len(lines[-1]) - excess)
        line = len(lines) - 1
        lines[line] = lines[line][:cut]
        line_runs = runs[line]
        while line_runs and line_runs[-1][0] >= cut:
            line_runs.pop()
            starts[line].pop()
        if line_runs and line_runs[-1][1] > cut:
            run_start, _, key = line_runs[-1]
            line_runs[-1] = (run_start, cut, key)
        # A row wraps the same in the shorter text when the character that ended it lies before
        # the cut (counted in characters, not cells: zero-width marks make a row longer than its
        # width); rows are final up to the last such row, since break indexes never go back.
        width = self._wrap_width or self._width()
        rows = self._rows
        first = bisect.bisect_left(rows, (line, 0, 0))
        keep = bisect.bisect_left(rows, (line, cut, 0), first)  # rows starting at the cut or after
        while keep > first and _break_index(lines[line], rows[keep - 1][1], width) >= cut:
            keep -= 1
        restart = rows[keep][1] if keep < len(rows) else 0
        del rows[keep:]
        rows.extend((line, a, b) for a, b in _wrap(lines[line], restart, width))
        self._update_virtual_size()
        if self.follow and self.size.height:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.refresh()

    @staticmethod
    def _sanitized(runs: list[Run]) -> list[Run]:
        clean: list[Run] = []
        for text, key in runs:
            if "\t" in text:
                # a fixed width per tab, not tab stops: the same text shows the same whether it
                # arrives in one run or many, so a removal can count what an append added
                text = text.replace("\t", TAB)
            if printable(text) == text:
                clean.append((text, key))
                continue
            shown = safe_text(text)
            position = 0
            for span in shown.spans:
                if span.start > position:
                    clean.append((shown.plain[position : span.start], key))
                clean.append((shown.plain[span.start : span.end], RUN_PLACEHOLDER))
                position = span.end
            if position < len(shown.plain):
                clean.append((shown.plain[position:], key))
        return clean

    # --- wrapping ----------------------------------------------------------------------------

    def _width(self) -> int:
        width = self.scrollable_content_region.width
        return width if width > 0 else 80

    def _rewrap_from(self, line: int) -> None:
        """Re-wrap from the last row of `line` to the end (earlier rows cannot change)."""
        width = self._width()
        if width != self._wrap_width:
            self._wrap_width = width
            self._rows = []
            line = 0
        keep = len(self._rows)
        while keep and self._rows[keep - 1][0] >= line:
            keep -= 1
        start = 0
        if keep < len(self._rows):
            # `line` is the last line: its rows before the last one are final
            keep = len(self._rows) - 1
            start = self._rows[keep][1]
        del self._rows[keep:]
        rows = self._rows
        for index in range(line, len(self._lines)):
            text = self._lines[index]
            rows.extend((index, a, b) for a, b in _wrap(text, start if index == line else 0, width))

    def on_resize(self) -> None:
        if self._width() != self._wrap_width:
            self._rewrap_from(0)
            self._update_virtual_size()
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        else:
            self.scroll_to(y=min(self.scroll_y, self.max_scroll_y), animate=False, immediate=True, force=True)
        self.refresh()

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._wrap_width or self._width(), len(self._rows))

    # --- rendering ---------------------------------------------------------------------------

    def _style_for(self, key: str) -> Style:
        if key == RUN_TEXT:
            return Style()
        if key == RUN_REASONING:
            return self.get_component_rich_style("answer--reasoning", partial=True)
        if key == RUN_LABEL:
            return self.get_component_rich_style("answer--label", partial=True)
        if key == RUN_PLACEHOLDER:
            return self.get_component_rich_style("answer--placeholder", partial=True)
        cite = parse_cite_key(key)
        if cite is None:
            return Style()
        return self.cite_style(*cite)

    def render_line(self, y: int) -> Strip:
        scroll_y = self.scroll_offset.y
        width = self.size.width
        base = self.rich_style
        row_index = scroll_y + y
        if row_index == 0 and len(self._rows) == 1 and not self._lines[0]:
            return self.placeholder_strip(width)
        if row_index >= len(self._rows):
            return Strip.blank(width, base)
        line, start, end = self._rows[row_index]
        text = self._lines[line]
        runs = self._runs[line]
        first = max(0, bisect.bisect_right(self._run_starts[line], start) - 1)
        segments: list[Segment] = []
        spans = self.match_spans(line)
        marked = self.match_style() if spans else None
        for run_start, run_end, key in runs[first:]:
            if run_start >= end:
                break
            a, b = max(run_start, start), min(run_end, end)
            if a >= b:
                continue
            style = base + self._style_for(key)
            if marked is not None:
                split_marked(segments, text, a, b, style, style + marked, spans)
            else:
                segments.append(Segment(text[a:b], style))
        strip = Strip(segments)
        return strip.crop_extend(0, width, base).apply_offsets(0, row_index)

    def citation_at(self, x: int, y: int) -> int | None:
        """The citation number of the marker at widget cell (x, y), if any."""
        row_index = self.scroll_offset.y + y
        if not 0 <= row_index < len(self._rows) or x < 0:
            return None
        line, start, end = self._rows[row_index]
        text = self._lines[line]
        cells = 0
        offset = start
        while offset < end:  # walk cells so wide characters count twice
            cells += cell_len(text[offset])
            if cells > x:
                break
            offset += 1
        if offset >= end:
            return None
        first = max(0, bisect.bisect_right(self._run_starts[line], offset) - 1)
        for run_start, run_end, key in self._runs[line][first:]:
            if run_start <= offset < run_end:
                cite = parse_cite_key(key)
                return cite[0] if cite else None
        return None

    def row_of_citation(self, number: int) -> int | None:
        """The wrapped row holding the first marker of citation `number`, if it is shown."""
        self.catch_up()
        for line, runs in enumerate(self._runs):
            for start, _, key in runs:
                cite = parse_cite_key(key)
                if cite is not None and cite[0] == number:
                    return bisect.bisect_right(self._rows, (line, start, len(self._lines[line]) + 1)) - 1
        return None

    def scroll_to_citation(self, number: int) -> None:
        """Bring the first marker of citation `number` into view (centred when it was off screen)."""
        row = self.row_of_citation(number)
        if row is None:
            return
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if not top <= row < top + height:
            self.scroll_to(y=max(0, row - height // 2), animate=False, force=True)

    def row_text(self, row: int) -> str:
        """The plain text of wrapped row `row` (for tests)."""
        self.catch_up()
        line, start, end = self._rows[row]
        return self._lines[line][start:end]
