"""Highlighted JSON of recorded bodies, with big parts capped so it stays fast.

Long strings (base64 images) and long number lists (embedding vectors) are cut with a
note of what was left out; long lists of items keep their head and tail. The dumped
text goes through `printable` so no control character reaches the terminal.
"""

from __future__ import annotations

import json
from typing import Any

from rich.style import Style
from rich.syntax import Syntax
from textual.widgets import Static

from tui_replay.textsafe import printable

STRING_LIMIT = 2_000
STRING_KEEP = 120
NUMBERS_KEEP = 8
ITEMS_LIMIT = 200
ITEMS_HEAD = 100
ITEMS_TAIL = 20


def capped(value: Any) -> Any:
    """A copy of `value` with long strings, number vectors and item lists shortened."""
    if isinstance(value, str):
        if len(value) <= STRING_LIMIT:
            return value
        return f"{value[:STRING_KEEP]}… [{len(value):,} characters]"
    if isinstance(value, list):
        if len(value) > NUMBERS_KEEP * 2 and all(
            isinstance(item, (int, float)) and not isinstance(item, bool) for item in value
        ):
            return [
                *value[:NUMBERS_KEEP],
                f"… {len(value) - NUMBERS_KEEP:,} more numbers ({len(value):,} in all)",
            ]
        if len(value) > ITEMS_LIMIT:
            left_out = len(value) - ITEMS_HEAD - ITEMS_TAIL
            head = [capped(item) for item in value[:ITEMS_HEAD]]
            tail = [capped(item) for item in value[-ITEMS_TAIL:]]
            return [*head, f"… {left_out:,} more items …", *tail]
        return [capped(item) for item in value]
    if isinstance(value, dict):
        return {str(key): capped(item) for key, item in value.items()}
    return value


def json_text(value: Any) -> str:
    return printable(json.dumps(capped(value), indent=2, ensure_ascii=False, default=repr))


class JsonView(Static):
    """A Static showing `value` as highlighted, capped JSON."""

    DEFAULT_CSS = """
    JsonView { width: 1fr; height: auto; }
    """

    def __init__(self, value: Any, *, id: str | None = None, classes: str | None = None) -> None:
        self.source = json_text(value)
        super().__init__(self._syntax(self.source), id=id, classes=classes)

    @staticmethod
    def _syntax(source: str) -> Syntax:
        return Syntax(source, "json", theme="ansi_dark", word_wrap=True, background_color="default")

    def show(self, value: Any) -> None:
        self.source = json_text(value)
        self.update(self._syntax(self.source))

    def mark(self, term: str, current: int | None = None) -> list[tuple[int, int]]:
        """Mark every occurrence of `term` (case-insensitive), the `current`-th more strongly;
        no term clears the marks. Returns where they are: (line, column), from 0."""
        syntax = self._syntax(self.source)
        matches = find_all(self.source, term)
        for index, (line, column) in enumerate(matches):
            style = CURRENT_MATCH if index == current else MATCH
            syntax.stylize_range(style, (line + 1, column), (line + 1, column + len(term)))
        self.update(syntax)
        return matches

    def rows_before(self, line: int, width: int) -> int:
        """How many screen rows the lines before `line` take at `width` (long lines wrap)."""
        if line <= 0 or width <= 0:
            return 0
        syntax = self._syntax(self.source)
        syntax.line_range = (1, line)
        console = self.app.console
        return len(console.render_lines(syntax, console.options.update_width(width), pad=False))


MATCH = Style(color="black", bgcolor="yellow")
CURRENT_MATCH = Style(color="black", bgcolor="dark_orange", bold=True, underline=True)


def find_all(text: str, term: str) -> list[tuple[int, int]]:
    """Where `term` occurs in `text`, case-insensitive: (line, column), from 0."""
    needle = term.lower()
    if not needle:
        return []
    found: list[tuple[int, int]] = []
    for number, line in enumerate(text.lower().split("\n")):
        at = line.find(needle)
        while at != -1:
            found.append((number, at))
            at = line.find(needle, at + len(needle))
    return found
