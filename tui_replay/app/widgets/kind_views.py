"""Views for recordings that are not a streamed answer: embeddings, model lists, tool and
file-processor results, recorded errors, and unknown shapes (raw body).

`view_for(recording)` picks the view through the KIND_VIEWS registry; a recorded
exception wins over the kind. All recorded text is shown literally.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui_replay.app.widgets.conversation import ConversationView, shown_text
from tui_replay.app.widgets.json_view import JsonView
from tui_replay.export import request_body
from tui_replay.recording.limits import loads_nested_json
from tui_replay.recording.model import Kind, Recording
from tui_replay.textsafe import one_line, safe_text


def _facts(rows: list[tuple[str, Any]]) -> Text:
    out = Text()
    for name, value in rows:
        if value is None or value == "":
            continue
        out.append(f"{name:<12}", "bold")
        out.append_text(safe_text(str(value)))
        out.append("\n")
    out.rstrip()
    return out


def _items(recording: Recording) -> list[dict[str, Any]]:
    """`__data__` of each typed item of a list body, or the dict items as stored."""
    body = recording.response_raw.get("body") if isinstance(recording.response_raw, dict) else None
    if isinstance(body, dict):
        data = body.get("__data__", body)
        models = data.get("models") if isinstance(data, dict) else None
        return [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []
    items = []
    for item in body if isinstance(body, list) else []:
        data = item.get("__data__", item) if isinstance(item, dict) else None
        if isinstance(data, dict):
            items.append(data)
    return items


class KindView(VerticalScroll):
    DEFAULT_CSS = """
    KindView {
        padding: 0 1;
        & > .title { text-style: bold; color: $accent; margin-bottom: 1; }
        & > .facts { margin-bottom: 1; }
        & > .section { text-style: bold; color: $text-muted; margin-top: 1; }
        & > DataTable { height: auto; max-height: 30; }
        & > ConversationView { height: auto; max-height: 20; }
        &.-error > .title { color: $error; }
    }
    """

    def __init__(self, recording: Recording, title: str, *, classes: str = "") -> None:
        super().__init__(id="kind-view", classes=classes)
        self.recording = recording
        self.title_text = title

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text), classes="title")
        yield from self.body()

    def body(self) -> ComposeResult:
        yield from ()


class EmbeddingsView(KindView):
    def body(self) -> ComposeResult:
        summary = self.recording.response.summary
        inputs = request_body(self.recording).get("input")
        inputs = [inputs] if isinstance(inputs, str) else inputs if isinstance(inputs, list) else []
        usage = self.recording.response.usage
        yield Static(
            _facts(
                [
                    ("model", self.recording.model),
                    ("count", summary.get("count")),
                    ("dimensions", summary.get("dimensions")),
                    ("tokens", usage.prompt_tokens if usage else None),
                ]
            ),
            classes="facts",
        )
        if inputs:
            yield Static(Text("Inputs"), classes="section")
            yield Static(
                Text("\n").join(safe_text(f"{n}. {one_line(str(v), 200)}") for n, v in enumerate(inputs, 1))
            )


class ModelsView(KindView):
    def body(self) -> ComposeResult:
        items = _items(self.recording)
        yield Static(_facts([("models", len(items))]), classes="facts")
        table: DataTable = DataTable(id="models-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("id", "owned by")
        for item in items:
            model_id = item.get("id") or item.get("model") or item.get("name") or ""
            details = item.get("details")
            owner = item.get("owned_by") or (details.get("family") if isinstance(details, dict) else "")
            table.add_row(safe_text(str(model_id)), safe_text(str(owner or "")))
        if not items:
            for name in self.recording.response.summary.get("models", []):
                table.add_row(safe_text(str(name)), Text(""))
        yield table


class ResultView(KindView):
    """Tool invocations and file processors: what was asked and the result."""

    def body(self) -> ComposeResult:
        raw = self.recording.request_raw
        summary = self.recording.response.summary
        asked = {k: v for k, v in raw.items() if k in ("provider", "tool_name", "api", "file_id")}
        yield Static(_facts(list(asked.items())), classes="facts")
        if isinstance(raw.get("kwargs"), dict):
            yield Static(Text("Arguments"), classes="section")
            yield JsonView(raw["kwargs"])
        facts = [(k, v) for k, v in summary.items() if k != "result" and v not in (None, "None")]
        if facts:
            yield Static(_facts(facts), classes="facts")
        yield Static(Text("Result"), classes="section")
        result = summary.get("result")
        if isinstance(result, str):
            try:
                yield JsonView(loads_nested_json(result))
            except ValueError:
                yield Static(shown_text(result))
        else:
            body = self.recording.response_raw.get("body")
            yield JsonView(body.get("__data__", body) if isinstance(body, dict) else body)


class ErrorView(KindView):
    """A recorded error: type, status, message and the request that caused it."""

    def body(self) -> ComposeResult:
        exc = self.recording.response.exception
        yield Static(
            _facts(
                [
                    ("type", exc.type if exc else None),
                    ("status", (exc.status if exc else None) or self.recording.response.status),
                    ("endpoint", self.recording.endpoint or self.recording.url),
                    ("model", self.recording.model),
                ]
            ),
            classes="facts",
        )
        yield Static(Text("Message"), classes="section")
        yield Static(shown_text(exc.message if exc else ""), id="error-message")
        yield Static(Text("The request that caused it"), classes="section")
        if self.recording.messages:
            yield ConversationView(self.recording.messages)
        body = request_body(self.recording)
        params = {k: v for k, v in body.items() if k not in ("messages", "contents", "input")}
        yield JsonView(params or self.recording.request_raw, id="error-request")


class RawBodyView(KindView):
    def body(self) -> ComposeResult:
        yield Static(Text("This shape is not known; here is the raw body.", "dim"), classes="facts")
        yield JsonView(self.recording.response_raw.get("body", self.recording.response_raw))


class EmptyView(KindView):
    """A cassette with no interactions: nothing was recorded, which is worth saying plainly."""

    def body(self) -> ComposeResult:
        note = self.recording.response.summary.get("note") or "no interactions"
        yield Static(safe_text(str(note)), classes="facts", id="empty-note")
        facts = [("test", self.recording.test_id), ("file", self.recording.path)]
        yield Static(_facts(facts), classes="facts")


def _titled(cls: type[KindView], title: str, classes: str = "") -> Callable[[Recording], Widget]:
    return lambda recording: cls(recording, title, classes=classes)


KIND_VIEWS: dict[Kind, Callable[[Recording], Widget]] = {
    Kind.EMBEDDINGS: _titled(EmbeddingsView, "Embeddings"),
    Kind.MODELS: _titled(ModelsView, "Model list"),
    Kind.TOOL: _titled(ResultView, "Tool invocation"),
    Kind.FILE: _titled(ResultView, "File processor"),
    Kind.ERROR: _titled(ErrorView, "Recorded error", "-error"),
    Kind.RERANK: _titled(RawBodyView, "Rerank"),
    Kind.UNKNOWN: _titled(RawBodyView, "Unknown recording"),
    Kind.EMPTY: _titled(EmptyView, "Empty cassette"),
}

# Kinds replayed as a streamed answer (conversation, answer, tool calls, citations).
ANSWER_KINDS = frozenset(
    {
        Kind.CHAT,
        Kind.COMPLETION,
        Kind.GENERATE,
        Kind.GEMINI,
        Kind.MESSAGES,
        Kind.INTERACTIONS,
        Kind.RESPONSES,
        Kind.REALTIME,  # the session's events replayed one by one
    }
)


def view_for(recording: Recording) -> Widget | None:
    """The view of a recording that has no answer to replay; None when it does."""
    if recording.response.exception is not None:
        return KIND_VIEWS[Kind.ERROR](recording)
    if recording.kind in ANSWER_KINDS:
        return None
    return KIND_VIEWS.get(recording.kind, KIND_VIEWS[Kind.UNKNOWN])(recording)
