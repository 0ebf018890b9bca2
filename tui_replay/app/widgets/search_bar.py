"""The search box of the replay and raw views: `/` opens it, Enter searches, `n` / `N` move.

It only collects the words and shows where the search stands ("2 of 5: user message 3");
the screen finds and shows the matches. Escape closes the box and keeps the search.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static


class SearchBar(Horizontal):
    DEFAULT_CSS = """
    SearchBar {
        display: none;
        &.-open { display: block; }
        height: 1;
        background: $panel;
        & > Input { width: 1fr; height: 1; border: none; padding: 0 1; background: $panel; }
        & > #search-status { width: auto; max-width: 60%; height: 1; padding: 0 1; color: $text-muted; }
        & > #search-status.-none { color: $warning; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close search", id="search.close"),
    ]

    class Submitted(Message):
        def __init__(self, term: str) -> None:
            super().__init__()
            self.term = term

    def compose(self) -> ComposeResult:
        # The box itself comes with the first `/`: a hidden Input would be the screen's first focus.
        yield Static(id="search-status")

    @property
    def input(self) -> Input:
        return self.query_one("#search-input", Input)

    async def open(self) -> None:
        if not self.query("#search-input"):
            placeholder = "search (enter: find · n/N: next/previous · escape: close)"
            await self.mount(Input(placeholder=placeholder, id="search-input"), before=0)
        self.add_class("-open")
        self.input.focus()

    def action_close(self) -> None:
        self.screen.set_focus(None)
        self.set_class(bool(self.input.value), "-open")  # a search in force stays in view, with its status

    def show_status(self, text: str, *, found: bool = True) -> None:
        status = self.query_one("#search-status", Static)
        status.update(Content(text))  # recorded words: never markup
        status.set_class(not found, "-none")

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))
        self.screen.set_focus(None)


class SearchSteps:
    """`n` / `N` over a screen's matches, the same in replay and the raw view: the screen fills
    `search_matches` and shows the current one in `_show_match`."""

    search_matches: list[Any]
    search_at: int

    def action_search_next(self) -> None:
        self._step_match(1)

    def action_search_previous(self) -> None:
        self._step_match(-1)

    def _step_match(self, step: int) -> None:
        if self.search_matches:
            self.search_at = (self.search_at + step) % len(self.search_matches)
            self._show_match()

    def _show_match(self) -> None:
        raise NotImplementedError
