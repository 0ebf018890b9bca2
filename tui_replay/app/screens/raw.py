"""The raw view: the recorded request, response and the current chunk as highlighted JSON.

Long strings (base64 images), number vectors and long chunk lists are capped by
`JsonView`, so even the largest recordings open at once.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from tui_replay.app.widgets.json_view import JsonView
from tui_replay.recording.limits import loads_nested_json
from tui_replay.recording.model import Recording


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


class RawScreen(Screen[None]):
    CSS_PATH = "raw.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,v", "back", "Back", id="raw.back"),
        Binding("1", "show_tab('raw-request')", "Request", id="raw.request", show=False),
        Binding("2", "show_tab('raw-response')", "Response", id="raw.response", show=False),
        Binding("3", "show_tab('raw-chunk')", "Current chunk", id="raw.chunk", show=False),
    ]

    def __init__(self, recording: Recording, position: int = 0) -> None:
        super().__init__()
        self.recording = recording
        self.position = position

    def compose(self) -> ComposeResult:
        chunk = current_chunk(self.recording, self.position)
        initial = "raw-chunk" if chunk is not None else "raw-request"
        with TabbedContent(initial=initial, id="raw-tabs"):
            with TabPane("Request", id="raw-request"), VerticalScroll():
                yield JsonView(self.recording.request_raw, id="raw-request-json")
            with TabPane("Response", id="raw-response"), VerticalScroll():
                yield JsonView(self.recording.response_raw, id="raw-response-json")
            with TabPane(f"Current chunk ({self.position})", id="raw-chunk"), VerticalScroll():
                if chunk is None:
                    yield Static(Text("No stream chunk on screen (not streamed, or at the start).", "dim"))
                else:
                    yield JsonView(chunk, id="raw-chunk-json")
        yield Footer()

    def action_show_tab(self, pane: str) -> None:
        self.query_one("#raw-tabs", TabbedContent).active = pane

    def action_back(self) -> None:
        self.app.pop_screen()
