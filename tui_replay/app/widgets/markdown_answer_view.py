"""The streamed answer rendered as Markdown, block by block, with the Line API.

Text arrives as (text, key) runs from `tui_replay.app.playback`, like the raw `AnswerView`.
Consecutive runs of one family make a section: answer text (with its citation markers) is
Markdown, reasoning is shown as muted literal text. A section is cut into top-level blocks
(`tui_replay.app.markdown.block_starts`); only the last block of the last section is still
open, so an append re-parses that block alone. Blocks are rendered by Rich when they are
first shown (or when the end is followed), at the current width, and cached; a block not yet
rendered counts an estimated height. So a seek to the end of a 200,000-chunk answer renders
one screenful, not the answer.

Why not Textual's `Markdown` widget with `MarkdownStream`: it mounts one widget per block, and
its appends grow with the number of blocks (measured: 230-600 ms per append after 40,000
chunks), while the instant replay of 200,000 chunks must keep every frame under 100 ms.
"""

from __future__ import annotations

import bisect
import re

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip

from tui_replay.app.markdown import (
    CITE_CLOSE,
    CITE_CLOSE_UNRESOLVED,
    CITE_OPEN,
    CITE_OPEN_UNRESOLVED,
    BlockStart,
    SafeMarkdown,
    _fence_marker,
    block_starts,
    cite_source,
    safe_source,
)
from tui_replay.app.playback import RUN_LABEL, RUN_REASONING, Run, parse_cite_key
from tui_replay.app.widgets.answer_view import AnswerBase

MARKDOWN = "markdown"
REASONING = "reasoning"
_MARKER = re.compile("([\ue000\ue002])([0-9]+)[\ue001\ue003]")
# What textsafe.placeholder draws for a control character: a Control Picture or <U+XXXX>.
_PLACEHOLDER = re.compile("[\u2400-\u2421]|<U\\+[0-9A-F]{4}>")
_BRACKET_SENTINELS = (CITE_OPEN, CITE_CLOSE, CITE_OPEN_UNRESOLVED, CITE_CLOSE_UNRESOLVED)
_BRACKETS = str.maketrans({"\ue000": "[", "\ue001": "]", "\ue002": "[", "\ue003": "]"})

# An append that leaves more than LAZY_FROM characters to cut into blocks (End on a long answer)
# cuts only about its last LAZY_TAIL: what comes before stays one uncut block, estimated, until
# it is scrolled to (or searched for a citation marker). So End costs the last screenfuls.
LAZY_FROM = 100_000
LAZY_TAIL = 20_000
_AFTER_BLANK = re.compile(r"\n(?: *\n)+(?=[^ \n])")  # ends at a line not indented after blank lines
_FENCE_LINE = re.compile(r"\n(?= {0,3}(?:```|~~~))")  # the break before a line a fence may open or close


def lazy_split(text: str, start: BlockStart, tail: int) -> int | None:
    """A place in the last `tail` characters of `text` where block_starts(text, start) begins a
    block whatever the lines before it hold: a line not indented after a blank line, outside any
    code fence. None when there is none (a code block runs to the end)."""
    found = _AFTER_BLANK.search(text, max(start.position, len(text) - tail))
    if found is None:
        return None
    split = found.end()
    # Whether a fence is open at `split`: only lines with a fence run can open or close one.
    fence = _fence_marker(start.fence.lstrip(" ")) if start.fence else None
    lines = [start.position, *(m.start() + 1 for m in _FENCE_LINE.finditer(text, start.position, split))]
    for position in lines:
        line = text[position : text.find("\n", position)]  # every line before `split` is whole
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) >= 4:
            continue
        if fence is None:
            fence = _fence_marker(stripped)
        else:
            closing = stripped.rstrip(" ")
            if len(closing) >= len(fence) and closing == fence[0] * len(closing):
                fence = None
    return split if fence is None else None


class _Block:
    """Characters start..end of one section, and its rendered rows once drawn."""

    __slots__ = ("end", "height", "lazy", "lines", "marks", "section", "start")

    def __init__(self, section: int, start: BlockStart, end: int) -> None:
        self.section = section
        self.start = start  # .position, .cut (no blank row before it), .fence (code it continues)
        self.end = end
        self.lines: list[Strip] | None = None
        self.height = -1  # rows drawn, or estimated while `lines` is None; -1: not known yet
        self.marks: list[list[tuple[int, int]]] | None = None  # highlighted spans of each drawn row
        self.lazy = False  # not cut into its blocks yet (see LAZY_FROM): never drawn as it is


class MarkdownAnswerView(AnswerBase):
    """Append-only Markdown, rendered block by block on demand."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._sections: list[list[str]] = []  # [family, source]
        self._blocks: list[_Block] = []
        self._tops: list[int] = [0]  # first row of each block, then the total
        self._stale_from = 0  # tops[:_stale_from + 1] are right; later ones are recomputed
        self._render_width = 0
        self.follow = True

    # --- content -----------------------------------------------------------------------------

    @property
    def source(self) -> str:
        """The Markdown source so far (markers as "[n]", placeholders for control characters)."""
        self.catch_up()
        return "".join(text for _, text in self._sections).translate(_BRACKETS)

    @property
    def block_count(self) -> int:
        self.catch_up()
        return len(self._blocks)

    def _clear(self) -> None:
        self._sections = []
        self._blocks = []
        self._mark_stale(0)
        self._after_change(to_top=True)

    def _add(self, runs: list[Run]) -> None:
        """Only the open block and new blocks are parsed again."""
        was_at_end = self.follow and (self.is_vertical_scroll_end or self.max_scroll_y == 0)
        touched: list[int] = []
        for text, key in runs:
            family = REASONING if key in (RUN_REASONING, RUN_LABEL) else MARKDOWN
            cite = parse_cite_key(key)
            source = cite_source(text, cite[1]) if cite else safe_source(text)
            if self._sections and self._sections[-1][0] == family:
                self._sections[-1][1] += source
            else:
                self._sections.append([family, source])
            if not touched or touched[-1] != len(self._sections) - 1:
                touched.append(len(self._sections) - 1)
        for section in touched:
            self._split_open_block(section)
        self._after_change(to_end=was_at_end)

    def _remove(self, runs: list[Run]) -> None:
        excess = 0
        for text, key in runs:
            cite = parse_cite_key(key)
            excess += len(cite_source(text, cite[1]) if cite else safe_source(text))
        while excess and self._sections:
            text = self._sections[-1][1]
            if len(text) <= excess:
                excess -= len(text)
                self._sections.pop()
                while self._blocks and self._blocks[-1].section == len(self._sections):
                    self._blocks.pop()
                continue
            self._sections[-1][1] = text[: len(text) - excess]
            excess = 0
            length = len(self._sections[-1][1])
            section = len(self._sections) - 1
            while self._blocks[-1].section == section and self._blocks[-1].start.position >= length:
                self._blocks.pop()
            # The cut may fall in the line that began the last block (a fence that is now
            # half a line): re-cut from the block before it, whose first line is untouched
            # (and whose drawing is kept when it comes out the same).
            before = None
            if len(self._blocks) > 1 and self._blocks[-2].section == section:
                before = self._blocks.pop(-2)
                self._mark_stale(len(self._blocks) - 1)
                self._blocks[-1].start = before.start
            self._split_open_block(section, before)
        self._after_change(to_end=self.follow)

    def _split_open_block(self, section: int, keep: _Block | None = None) -> None:
        """Re-cut section `section` from its last block on (earlier blocks never change).

        `keep`: a drawn block whose drawing is reused if the re-cut gives it back unchanged.
        """
        blocks = self._blocks
        first = len(blocks)
        while first and blocks[first - 1].section == section:
            first -= 1
        start = None
        if first < len(blocks):
            start = blocks.pop().start
        self._mark_stale(len(blocks))
        text = self._sections[section][1]
        start = start or BlockStart(0)
        split = lazy_split(text, start, LAZY_TAIL) if len(text) - start.position > LAZY_FROM else None
        if split is not None:
            uncut = _Block(section, start, split)
            uncut.lazy = True
            blocks.append(uncut)
            start = BlockStart(split)
        starts = block_starts(text, start)
        ends = [begin.position for begin in starts[1:]] + [len(text)]
        for begin, end in zip(starts, ends, strict=True):
            block = _Block(section, begin, end)
            if (
                keep is not None
                and not keep.lazy
                and (keep.start, keep.end) == (begin, end)
                and end < len(text)
            ):
                block.lines, block.height, block.marks = keep.lines, keep.height, keep.marks
            blocks.append(block)

    # --- heights and rendering ---------------------------------------------------------------

    def _width(self) -> int:
        width = self.scrollable_content_region.width
        return width if width > 0 else 80

    # --- highlighted matches -----------------------------------------------------------------

    def forget_matches(self) -> None:
        for block in self._blocks:
            block.marks = None

    def _marks(self, block: _Block) -> list[list[tuple[int, int]]]:
        """The matches in each drawn row of `block`, found in the block's rows joined by line
        breaks: a phrase the renderer wrapped is marked on both rows."""
        if block.marks is None:
            lines = [line.text.translate(_BRACKETS) for line in block.lines or []]
            marks: list[list[tuple[int, int]]] = [[] for _ in lines]
            pattern = self.match_pattern
            if pattern is not None and lines:
                starts = [0]
                for line in lines:
                    starts.append(starts[-1] + len(line) + 1)
                for match in pattern.finditer("\n".join(lines)):
                    first = bisect.bisect_right(starts, match.start()) - 1
                    for row in range(first, len(lines)):
                        a, b = (
                            max(match.start(), starts[row]),
                            min(match.end(), starts[row] + len(lines[row])),
                        )
                        if starts[row] >= match.end():
                            break
                        if a < b:
                            marks[row].append((a - starts[row], b - starts[row]))
            block.marks = marks
        return block.marks

    def _gap(self, index: int) -> int:
        return 1 if index and not self._blocks[index].start.cut else 0

    def _estimate(self, index: int, width: int) -> int:
        block = self._blocks[index]
        text = self._sections[block.section][1][block.start.position : block.end].strip("\n")
        rows = sum(len(line) // width + 1 for line in text.split("\n")) if text else 0
        return rows + self._gap(index)

    @property
    def _tops_stale(self) -> bool:
        return self._stale_from < len(self._blocks) or len(self._tops) != len(self._blocks) + 1

    def _mark_stale(self, index: int) -> None:
        """Block `index` changed height or was replaced: the tops after it are recomputed."""
        self._stale_from = min(self._stale_from, index)

    def _update_tops(self) -> None:
        """Recompute the block tops from the first stale block (an append touches the last ones)."""
        width = self._width()
        if width != self._render_width:
            self._render_width = width
            for block in self._blocks:
                block.lines = block.marks = None
                block.height = -1
            self._stale_from = 0
        start = min(self._stale_from, len(self._blocks))
        tops = self._tops
        del tops[start + 1 :]
        if not tops:
            tops.append(0)
        for index in range(start, len(self._blocks)):
            block = self._blocks[index]
            if block.height < 0:  # estimated once per width, not on every append
                block.height = self._estimate(index, width)
            tops.append(tops[-1] + block.height)
        self._stale_from = len(self._blocks)

    def _cut_lazy(self, index: int) -> None:
        """Cut the uncut block `index` into its blocks (estimated until drawn)."""
        block = self._blocks[index]
        text = self._sections[block.section][1]
        starts = block_starts(text[: block.end], block.start)
        ends = [begin.position for begin in starts[1:]] + [block.end]
        self._blocks[index : index + 1] = [
            _Block(block.section, begin, end) for begin, end in zip(starts, ends, strict=True)
        ]
        self._mark_stale(index)
        self._update_tops()

    def cut_all(self) -> None:
        """Cut every uncut block (what a search through all blocks needs)."""
        for index in range(len(self._blocks) - 1, -1, -1):
            if self._blocks[index].lazy:
                self._cut_lazy(index)

    def _render_block(self, index: int) -> bool:
        """Draw block `index` if it is not drawn yet; True when its height changed."""
        block = self._blocks[index]
        if block.lazy:
            self._cut_lazy(index)
            block = self._blocks[index]
        if block.lines is not None:
            return False
        width = self._render_width or self._width()
        family, text = self._sections[block.section]
        source = text[block.start.position : block.end]
        if block.start.fence:  # a piece of a long code block: render it as code
            source = f"{block.start.fence}\n{source}"
        if family == MARKDOWN:
            renderable: SafeMarkdown | Text = SafeMarkdown(source)
        else:
            style = self.get_component_rich_style("answer--reasoning", partial=True)
            renderable = Text(source.strip("\n"), style=style, end="")
        console = self.app.console
        options = console.options.update(width=width, height=None, highlight=False)
        rendered = console.render_lines(renderable, options, pad=False)
        while rendered and not rendered[0]:
            rendered.pop(0)
        while rendered and not rendered[-1]:
            rendered.pop()
        lines = [Strip(line) for line in rendered]
        if self._gap(index):
            lines.insert(0, Strip.blank(0))
        block.lines, block.marks = lines, None
        changed = len(lines) != block.height
        block.height = len(lines)
        if changed:
            self._mark_stale(index)  # the blocks after it move
        return changed

    def _settle(self, first_row: int, last_row: int) -> bool:
        """Draw the blocks covering rows first_row..last_row; True when a height changed."""
        if self._tops_stale:
            self._update_tops()
        changed = False
        index = max(0, bisect.bisect_right(self._tops, first_row) - 1)
        while index < len(self._blocks) and self._tops[index] <= last_row:
            if self._blocks[index].lazy:  # cut it, then look again where the rows fall
                self._cut_lazy(index)
                index = max(0, bisect.bisect_right(self._tops, first_row) - 1)
                changed = True
                continue
            changed |= self._render_block(index)
            index += 1
        if changed:
            self._update_tops()
        return changed

    def _settle_end(self) -> None:
        """Draw the blocks of the last screenful (the view follows the end)."""
        if self._tops_stale:
            self._update_tops()
        height = max(1, self.scrollable_content_region.height)
        for _ in range(4):  # drawn heights can differ from the estimates; converge
            total = self._tops[-1]
            if not self._settle(max(0, total - height), total):
                break

    def _after_change(self, *, to_end: bool = False, to_top: bool = False) -> None:
        if not self.is_mounted:
            return
        if self.display and to_end and self.size.height:
            self._settle_end()
        elif self._tops_stale:
            self._update_tops()
        self.virtual_size = Size(self._render_width or self._width(), self._tops[-1])
        if self.size.height:
            if to_top:
                self.scroll_to(y=0, animate=False, immediate=True, force=True)
            elif to_end:
                self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.refresh()

    def on_resize(self) -> None:
        self._after_change(to_end=self.follow)  # a new width re-estimates every block

    def on_show(self) -> None:
        self.catch_up()
        self._after_change(to_end=self.follow)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Draw the visible blocks before their rows are asked for, so rows and heights agree.
        if self._blocks:
            top = self.scroll_offset.y
            if self._settle(top + crop.y, top + crop.bottom):
                self.virtual_size = Size(self._render_width, self._tops[-1])
        return super().render_lines(crop)

    def _row(self, row: int) -> Strip | None:
        """The drawn strip of virtual row `row` (markers still as sentinels), None past the end."""
        found = self._locate(row)
        return None if found is None else found[0].lines[found[1]]  # type: ignore[index]

    def _locate(self, row: int) -> tuple[_Block, int] | None:
        """The drawn block holding virtual row `row` and the row's place in it, None past the end."""
        if self._tops_stale:
            self._update_tops()
        if not 0 <= row < self._tops[-1]:
            return None
        index = bisect.bisect_right(self._tops, row) - 1
        if self._blocks[index].lazy:
            self._cut_lazy(index)
            index = bisect.bisect_right(self._tops, row) - 1
        self._render_block(index)
        block = self._blocks[index]
        offset = row - self._tops[index]
        return (block, offset) if offset < len(block.lines or []) else None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        row = self.scroll_offset.y + y
        if not self._blocks:
            return self.placeholder_strip(width) if y == 0 else Strip.blank(width, base)
        found = self._locate(row)
        if found is None:
            return Strip.blank(width, base)
        block, offset = found
        assert block.lines is not None
        marks = self._marks(block)[offset] if self.match_pattern is not None else []
        strip = Strip(self._with_markers(block.lines[offset], marks))
        return strip.apply_style(base).crop_extend(0, width, base).apply_offsets(0, row)

    def _with_markers(self, strip: Strip, marks: list[tuple[int, int]] | None = None) -> list[Segment]:
        """The strip's segments with sentinels drawn as "[n]" in the marker styles, the
        placeholders of control characters marked as in the raw view, and `marks` (highlighted
        matches) in the match style."""
        segments = list(strip)
        plain = "".join(segment.text for segment in segments)
        spans: list[tuple[int, int, Style]] = []
        if any(char in plain for char in _BRACKET_SENTINELS):
            spans += [
                (m.start(), m.end(), self.cite_style(int(m.group(2)), m.group(1) != CITE_OPEN_UNRESOLVED))
                for m in _MARKER.finditer(plain)
            ]
        if _PLACEHOLDER.search(plain):
            style = self.get_component_rich_style("answer--placeholder", partial=True)
            spans += [(m.start(), m.end(), style) for m in _PLACEHOLDER.finditer(plain)]
        if marks:
            style = self.match_style()
            spans += [(start, end, style) for start, end in marks]
        if not spans:
            return segments
        spans.sort(key=lambda span: span[0])
        out: list[Segment] = []
        position = 0
        for segment in segments:
            text, style = segment.text, segment.style
            end = position + len(text)
            cursor = position
            for start, stop, span_style in spans:
                if stop <= cursor or start >= end:
                    continue
                if start > cursor:
                    out.append(Segment(plain[cursor:start].translate(_BRACKETS), style))
                a, b = max(start, cursor), min(stop, end)
                shown = style + span_style if style else span_style
                out.append(Segment(plain[a:b].translate(_BRACKETS), shown))
                cursor = b
            if cursor < end:
                out.append(Segment(plain[cursor:end].translate(_BRACKETS), style))
            position = end
        return out

    # --- citations ---------------------------------------------------------------------------

    def citation_at(self, x: int, y: int) -> int | None:
        """The citation number of the marker at widget cell (x, y), if any."""
        strip = self._row(self.scroll_offset.y + y)
        if strip is None or x < 0:
            return None
        plain = strip.text
        cells = 0
        offset = 0
        while offset < len(plain):
            cells += cell_len(plain[offset])
            if cells > x:
                break
            offset += 1
        for match in _MARKER.finditer(plain):
            if match.start() <= offset < match.end():
                return int(match.group(2))
        return None

    def row_of_citation(self, number: int) -> int | None:
        """The virtual row holding the first marker of citation `number`, if it is shown."""
        self.catch_up()
        self.cut_all()
        markers = (cite_source(f"[{number}]", True), cite_source(f"[{number}]", False))
        for index, block in enumerate(self._blocks):
            text = self._sections[block.section][1][block.start.position : block.end]
            if not any(marker in text for marker in markers):
                continue
            if self._render_block(index) or self._tops_stale:
                self._update_tops()
            for offset, line in enumerate(block.lines or []):
                if any(match.group(2) == str(number) for match in _MARKER.finditer(line.text)):
                    return self._tops[index] + offset
        return None

    def scroll_to_citation(self, number: int) -> None:
        """Bring the first marker of citation `number` into view (centred when it was off screen)."""
        row = self.row_of_citation(number)
        if row is None:
            return
        self.virtual_size = Size(self._render_width or self._width(), self._tops[-1])
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if not top <= row < top + height:
            self.scroll_to(y=max(0, row - height // 2), animate=False, force=True, immediate=True)

    def row_text(self, row: int) -> str:
        """The drawn text of virtual row `row`, markers as "[n]" (for tests)."""
        self.catch_up()
        strip = self._row(row)
        return strip.text.translate(_BRACKETS) if strip is not None else ""
