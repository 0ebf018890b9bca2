"""The last step between what the app draws and the terminal: no raw control character passes.

Every widget shows recorded text through `textsafe`, as visible placeholders. This line filter
is the one place that holds whatever a widget missed (a new view, a Textual widget given a
recorded string, a notification): Textual runs every line of every widget through the app's
line filters just before writing it, so an escape sequence in a recording (a terminal title,
an OSC 52 clipboard write, a screen clear) can never reach the terminal raw.

A line's width is fixed by then, so an unsafe character is not turned into a placeholder
here: one with no width (ESC, BEL, bidi and other format characters) is dropped, one with a
width (a lone surrogate) becomes U+FFFD of the same width. A hyperlink whose address holds
such a character loses the link (its text stays). `cleaned` counts the lines that needed it:
the tests expect 0 from the app's own widgets, whatever the recording holds.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from tui_replay.textsafe import UNSAFE_IN_LINE

REPLACEMENT = "\ufffd"


def _replace(match: re.Match[str]) -> str:
    return REPLACEMENT * cell_len(match.group())


class TerminalGuard(LineFilter):
    """Drops raw control and format characters from drawn lines (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.cleaned = 0

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        search = UNSAFE_IN_LINE.search
        if not any(
            not control and (search(text) or (style is not None and style.link and search(style.link)))
            for text, style, control in segments
        ):
            return segments
        self.cleaned += 1
        cleaned = []
        for text, style, control in segments:
            if not control:
                text = UNSAFE_IN_LINE.sub(_replace, text)
                if style is not None and style.link and search(style.link):
                    style = style.update_link(None)
            if text or control:
                cleaned.append(Segment(text, style, control))
        return cleaned
