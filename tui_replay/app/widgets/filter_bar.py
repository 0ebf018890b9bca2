"""The `/` filter: words and field filters (model:gpt-4o kind:chat has:tools ...), applied as you type."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input, Label, Static

PLACEHOLDER = "filter: words, model:gpt-4o kind:chat has:tools has:citations status:error test:name, -word"


class FilterInput(Input):
    """The filter box. Its width is set by the layout, never by what is typed: a key changes the
    text's width (Input's `virtual_size`), which would lay out the whole screen before the filter
    runs: at 100,000 rows a frame costing much more than the key's own echo."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self) -> None:
        self.scroll_x = self.validate_scroll_x(self.scroll_x)  # shorter text: not scrolled past it


class FilterBar(Vertical):
    """An Input and, when part of the query cannot be understood, the reason on the line below,
    whole (it wraps rather than being cut: it names the values that would be understood)."""

    _shown_error = ""
    _shown_note = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-row"):
            yield Label("/", id="filter-prompt")
            yield FilterInput(placeholder=PLACEHOLDER, id="filter-input", select_on_focus=False)
        yield Static("", id="filter-error")
        yield Static("", id="filter-note")

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def show_error(self, message: str | None) -> None:
        if self.has_class("-invalid") == bool(message) and self._shown_error == (message or ""):
            return  # unchanged: no layout pass on a keystroke
        self._shown_error = message or ""
        self.set_class(bool(message), "-invalid")
        # Text, not markup: the message can quote what was typed.
        self.query_one("#filter-error", Static).update(Text(message or ""))

    def show_note(self, message: str | None) -> None:
        """A passing word below the box (not an error): e.g. that the full-text index is built."""
        if self._shown_note == (message or ""):
            return
        self._shown_note = message or ""
        self.set_class(bool(message), "-noting")
        self.query_one("#filter-note", Static).update(Text(message or ""))
