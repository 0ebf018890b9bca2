"""Recorded Markdown made safe to render, cut into top-level blocks as it streams, drawn by Rich.

Shared by the answer pane (which renders block by block on demand, so a 200,000-chunk answer
never renders as a whole) and the conversation pane (whole messages).

Safety: recorded text is data. Control characters become their visible placeholders
(textsafe), tabs a fixed four spaces, and raw HTML is shown as text (Rich would drop it).
Rich's Markdown builds `Text` from the parsed tokens, so `[bold]` in a recording is never
Rich markup; links show their address as text instead of becoming terminal hyperlinks.

Citation markers travel through the parser as private-use characters of the same length as
`[` and `]` (so wrapping is unchanged and no `[1]` can turn into a link); the widget puts the
brackets back when it draws a row and knows which cells are markers.
"""

from __future__ import annotations

from typing import NamedTuple

from markdown_it import MarkdownIt
from rich.markdown import Markdown

from tui_replay.textsafe import placeholder, printable

TAB = "    "
CODE_THEME = "monokai"
# "[" and "]" of a citation marker, resolved and citing nothing retrieved.
CITE_OPEN, CITE_CLOSE = "\ue000", "\ue001"
CITE_OPEN_UNRESOLVED, CITE_CLOSE_UNRESOLVED = "\ue002", "\ue003"
SENTINELS = frozenset(CITE_OPEN + CITE_CLOSE + CITE_OPEN_UNRESOLVED + CITE_CLOSE_UNRESOLVED)
_SENTINEL_TABLE = {ord(char): placeholder(char) for char in SENTINELS}
_RESOLVED_TABLE = str.maketrans({"[": CITE_OPEN, "]": CITE_CLOSE})
_UNRESOLVED_TABLE = str.maketrans({"[": CITE_OPEN_UNRESOLVED, "]": CITE_CLOSE_UNRESOLVED})

# An open block longer than this (outside a code fence) is cut at its last line break, so a
# huge paragraph without blank lines is not re-rendered whole on every streamed chunk.
OPEN_BLOCK_LIMIT = 4000


def safe_source(text: str) -> str:
    """Recorded text as Markdown source: placeholders for control characters, tabs as spaces.

    Every character maps to a fixed string, so the source of a text is the sources of its
    pieces joined (a streamed answer and the same answer in one piece give the same source).
    """
    text = printable(text)
    if "\t" in text:
        text = text.replace("\t", TAB)
    if any(char in text for char in SENTINELS):
        text = text.translate(_SENTINEL_TABLE)
    return text


def cite_source(marker: str, resolved: bool) -> str:
    """A compact marker such as "[2]" with its brackets as the sentinels the view draws back."""
    return marker.translate(_RESOLVED_TABLE if resolved else _UNRESOLVED_TABLE)


class SafeMarkdown(Markdown):
    """Rich's Markdown with raw HTML shown as text and links shown with their address."""

    def __init__(self, source: str, *, code_theme: str = CODE_THEME) -> None:
        super().__init__("", code_theme=code_theme, hyperlinks=False)
        parser = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")
        self.markup = source
        self.parsed = parser.parse(source)


def markdown_renderable(text: str) -> SafeMarkdown:
    """A recorded Markdown text as a Rich renderable (for whole messages)."""
    return SafeMarkdown(safe_source(text))


def _fence_marker(stripped: str) -> str | None:
    """The opening run of a code fence line ("```", "~~~~"), else None."""
    char = stripped[:1]
    if char not in ("`", "~"):
        return None
    run = len(stripped) - len(stripped.lstrip(char))
    if run < 3 or (char == "`" and "`" in stripped[run:]):
        return None
    return char * run


class BlockStart(NamedTuple):
    position: int
    cut: bool = False  # cut from a block that grew past OPEN_BLOCK_LIMIT: no gap before it
    fence: str = ""  # for a cut inside a code fence: the fence's opening line, to render it


def block_starts(text: str, start: BlockStart | None = None) -> list[BlockStart]:
    """Where top-level blocks begin in text from `start` (a block start; default: the beginning).

    A block begins at a line that is not indented after a blank line, at a code fence, and
    after a closing fence; nothing else inside a fence starts a block. Indented lines after a
    blank line stay with their block (list items' paragraphs, indented code). A block longer
    than OPEN_BLOCK_LIMIT is cut at a line start, inside a code fence too (the piece carries the
    fence's opening line), so no streamed block is ever re-rendered whole at a large size.
    """
    start = start or BlockStart(0)
    starts = [start]
    fence_line = start.fence
    fence = _fence_marker(fence_line.lstrip(" ")) if fence_line else None
    after_blank = False
    position = start.position
    length = len(text)
    while position < length:
        newline = text.find("\n", position)
        end = length if newline < 0 else newline
        line = text[position:end]
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        long_block = position - starts[-1].position > OPEN_BLOCK_LIMIT
        if fence is not None:
            closing = stripped.rstrip(" ")
            if indent < 4 and len(closing) >= len(fence) and closing == fence[0] * len(closing):
                fence = None
                fence_line = ""
                after_blank = True  # what follows a closing fence is a new block
            elif long_block:
                starts.append(BlockStart(position, True, fence_line))
        elif not stripped.strip(" "):
            after_blank = True
        else:
            # a fence is only known once its line is complete ("```x`" is inline code)
            marker = _fence_marker(stripped) if indent < 4 and newline >= 0 else None
            if position > starts[-1].position and (marker is not None or (after_blank and not indent)):
                starts.append(BlockStart(position))
            elif position > starts[-1].position and long_block:
                starts.append(BlockStart(position, True))
            fence = marker
            fence_line = line if marker is not None else ""
            after_blank = False
        if newline < 0:
            break
        position = newline + 1
    return starts
