"""The raw view: the recorded request, response and the current chunk as highlighted JSON.

Long strings (base64 images), number vectors and long chunk lists are capped by
`JsonView`, so even the largest recordings open at once.

A cassette interaction opens on the cassette's own YAML for it (as written in the file, read
in a worker); `n` shows the normalized request/response it was read as, `y` the YAML again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from tui_replay.app.widgets.json_view import JsonView
from tui_replay.app.widgets.search_bar import SearchBar, SearchSteps
from tui_replay.recording.cassette_source import interaction_source
from tui_replay.recording.limits import loads_nested_json
from tui_replay.recording.load import read_bytes
from tui_replay.recording.model import VCR, Recording, RecordingError, address_file
from tui_replay.textsafe import safe_text


def sse_events(lines: list[Any]) -> list[dict[str, Any]]:
    """SSE lines (`event: …`, `data: …`, "") grouped into one dict per event, data parsed when JSON."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in lines:
        if not isinstance(line, str) or line == "":
            if current:
                events.append(current)
            current = {}
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            try:
                current["data"] = loads_nested_json(value)
            except ValueError:
                current["data"] = value
        else:
            current[field] = value
    if current:
        events.append(current)
    return events


def current_chunk(recording: Recording, position: int) -> Any | None:
    """The stream item on screen at `position` (the last one played), or None.

    For SSE bodies (a list of lines) a chunk is one event, as the parser counts them.
    """
    body = recording.response_raw.get("body") if isinstance(recording.response_raw, dict) else None
    if not recording.streaming or not isinstance(body, list) or position <= 0:
        return None
    if body and all(isinstance(item, str) for item in body):
        body = sse_events(body)
    return body[min(position, len(body)) - 1] if body else None


class RawScreen(SearchSteps, Screen[None]):
    CSS_PATH = "raw.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,v", "back", "Back", id="raw.back"),
        Binding("1", "show_tab('raw-request')", "Request", id="raw.request", show=False),
        Binding("2", "show_tab('raw-response')", "Response", id="raw.response", show=False),
        Binding("3", "show_tab('raw-chunk')", "Current chunk", id="raw.chunk", show=False),
        Binding("y", "show_tab('raw-cassette')", "Cassette YAML", id="raw.cassette"),
        # `n`: the next match of a search; without one, a cassette's normalized view (raw.search_next)
        Binding("slash", "search", "Search", id="raw.search"),
        Binding("n", "search_next", "Next match", id="raw.search_next"),
        Binding("N", "search_previous", "Previous match", id="raw.search_previous"),
    ]

    def __init__(self, recording: Recording, position: int = 0) -> None:
        super().__init__()
        self.recording = recording
        self.position = position
        self.source_text: str | None = None  # the cassette's YAML once read (tests wait on it)
        self.search_term = ""  # `/`: what is looked for in the JSON of the tab shown
        self.search_matches: list[tuple[int, int]] = []
        self.search_at = 0

    def compose(self) -> ComposeResult:
        chunk = current_chunk(self.recording, self.position)
        initial = "raw-chunk" if chunk is not None else "raw-request"
        if self.recording.format == VCR:
            initial = "raw-cassette"
        with TabbedContent(initial=initial, id="raw-tabs"):
            if self.recording.format == VCR:
                with TabPane("Cassette YAML", id="raw-cassette"), VerticalScroll():
                    yield Static(Text("Reading the cassette…", "dim"), id="raw-cassette-yaml")
            with TabPane("Request", id="raw-request"), VerticalScroll():
                yield JsonView(self.recording.request_raw, id="raw-request-json")
            with TabPane("Response", id="raw-response"), VerticalScroll():
                yield JsonView(self.recording.response_raw, id="raw-response-json")
            with TabPane(f"Current chunk ({self.position})", id="raw-chunk"), VerticalScroll():
                if chunk is None:
                    yield Static(Text("No stream chunk on screen (not streamed, or at the start).", "dim"))
                else:
                    yield JsonView(chunk, id="raw-chunk-json")
        yield SearchBar(id="search")
        yield Footer()

    def on_mount(self) -> None:
        if self.recording.format == VCR:
            self._read_cassette()

    @work(thread=True, exclusive=True, group="raw-cassette")
    def _read_cassette(self) -> None:
        recording = self.recording
        try:
            data = read_bytes(address_file(recording.path, recording.interaction))
            shown = safe_text(interaction_source(data, recording.interaction))
        except (RecordingError, OSError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, RecordingError) else str(exc)
            shown = safe_text(f"The cassette cannot be read now: {reason}", "dim")
        self.app.call_from_thread(self._show_cassette, shown)

    def _show_cassette(self, shown: Text) -> None:
        self.source_text = shown.plain
        self.query_one("#raw-cassette-yaml", Static).update(shown)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "normalized" or (action == "show_tab" and parameters == ("raw-cassette",)):
            return self.recording.format == VCR
        if action == "search_next" and not self.search_term:
            return self.recording.format == VCR  # `n` without a search: the normalized view
        if action in ("search_next", "search_previous"):
            return bool(self.search_matches)
        return True

    def action_normalized(self) -> None:
        """The request/response as read (the chunk on screen first, when there is one)."""
        chunk = current_chunk(self.recording, self.position)
        self.action_show_tab("raw-chunk" if chunk is not None else "raw-request")

    def action_show_tab(self, pane: str) -> None:
        self.query_one("#raw-tabs", TabbedContent).active = pane

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- searching the JSON shown ------------------------------------------------------------------

    async def action_search(self) -> None:
        await self.query_one(SearchBar).open()

    @on(SearchBar.Submitted)
    def _search_submitted(self, event: SearchBar.Submitted) -> None:
        self.search_term = event.term.strip()
        self._search()

    @on(TabbedContent.TabActivated, "#raw-tabs")
    def _tab_changed(self) -> None:
        for view in self.query(JsonView):  # the marks go with the search to the tab shown
            view.mark("")
        if self.search_term:
            self._search()

    def _shown_json(self) -> JsonView | None:
        active = self.query_one("#raw-tabs", TabbedContent).active
        views = self.query(f"#{active} JsonView") if active else None
        return views.first(JsonView) if views else None

    def _search(self) -> None:
        view = self._shown_json()
        term = self.search_term
        self.search_matches = view.mark(term) if view is not None and term else []
        self.search_at = 0
        if view is not None and self.search_matches:
            self._show_match()
        elif term:
            self.query_one(SearchBar).show_status(f"no match for {term} in this tab", found=False)
        else:
            self.query_one(SearchBar).show_status("")
        self.refresh_bindings()

    def action_search_next(self) -> None:
        if not self.search_term and self.recording.format == VCR:
            self.action_normalized()  # `n` without a search: a cassette's normalized view
            return
        super().action_search_next()

    def _show_match(self) -> None:
        view = self._shown_json()
        if view is None:
            return
        view.mark(self.search_term, self.search_at)
        line, _ = self.search_matches[self.search_at]
        scroll = view.parent
        if isinstance(scroll, VerticalScroll):
            # A few lines of context above; the rows of wrapped long lines are counted.
            scroll.scroll_to(y=max(0, view.rows_before(line, view.size.width) - 3), animate=False)
        count = len(self.search_matches)
        self.query_one(SearchBar).show_status(f"{self.search_at + 1} of {count}: line {line + 1}")
