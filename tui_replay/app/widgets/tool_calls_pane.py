"""Every tool call of the conversation: earlier ones with their results, and the response's as they stream.

Complete arguments are pretty-printed and checked against the tool's declared JSON
schema (`playback.check_arguments`); problems are flagged on the card. Response calls
grow fragment by fragment as the replay position moves.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Collapsible, Static

from tui_replay.app.playback import LiveToolCall, check_arguments, tool_spec
from tui_replay.app.widgets.conversation import is_long, shown_text
from tui_replay.recording.limits import pretty_arguments
from tui_replay.recording.model import Message, Recording, ToolCall
from tui_replay.textsafe import one_line, safe_text


def _header(call: ToolCall | LiveToolCall, origin: str) -> Text:
    header = Text()
    header.append_text(safe_text(call.name or "…", "bold"))
    header.append(f"  {origin}", "dim")
    if call.id:
        header.append("  ")
        header.append_text(safe_text(call.id, "dim"))
    return header


class ToolCallCard(Vertical):
    """One call: header, arguments, flags and (for earlier calls) the result."""

    DEFAULT_CSS = """
    ToolCallCard {
        height: auto;
        border: round $panel;
        padding: 0 1;
        margin-bottom: 1;
        &.-flagged { border: round $error; }
        &.-streaming { border: round $accent; }
        & > .flags { color: $error; text-style: bold; }
        & > .arguments { color: $text; }
        & Collapsible { padding-bottom: 0; }
    }
    """

    def __init__(
        self,
        recording: Recording,
        call: ToolCall | LiveToolCall,
        origin: str,
        result: Message | None = None,
    ) -> None:
        super().__init__()
        self.result = result
        self.recording = recording
        self.origin = origin
        self.state: tuple | None = None
        self._header = Static(classes="header")
        self._arguments = Static(classes="arguments")
        self._flags = Static(classes="flags")
        self._call = call

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._arguments
        yield self._flags
        if self.result is not None:
            yield _result_widget(self.result)

    def on_mount(self) -> None:
        self.show(self._call)

    def show(self, call: ToolCall | LiveToolCall) -> None:
        complete = call.complete if isinstance(call, LiveToolCall) else True
        state = (call.name, call.id, call.arguments, complete)
        if state == self.state:
            return
        self.state = state
        self._call = call
        self._header.update(_header(call, self.origin))
        if complete:
            plain = call.as_tool_call() if isinstance(call, LiveToolCall) else call
            spec = tool_spec(self.recording, call.name)
            problems = check_arguments(plain, spec, tools_offered=bool(self.recording.tools))
            self._arguments.update(safe_text(pretty_arguments(call.arguments) or "{}"))
        else:
            problems = []
            streaming = safe_text(call.arguments)
            streaming.append("▌", "blink")
            streaming.append("  (arguments streaming)", "dim italic")
            self._arguments.update(streaming)
        flags = Text()
        for problem in problems:
            flags.append("⚠ ")
            flags.append_text(safe_text(problem))
            flags.append("\n")
        flags.rstrip()
        self._flags.update(flags)
        self._flags.display = bool(problems)
        self.set_class(bool(problems), "-flagged")
        self.set_class(not complete, "-streaming")

    @property
    def problems_text(self) -> str:
        return str(self._flags.render()) if self._flags.display else ""


def _result_widget(result: Message) -> Collapsible:
    title = f"result: {len(result.text):,} characters — {one_line(result.text, 50)}"
    return Collapsible(
        Static(shown_text(result.text)),
        title=Content(title),
        collapsed=is_long(result.text),
        classes="result",
    )


class ToolCallsPane(VerticalScroll):
    """Earlier calls (static) above, the response's calls (growing) below."""

    DEFAULT_CSS = """
    ToolCallsPane {
        scrollbar-gutter: stable;
        & > .section { color: $text-muted; text-style: bold; margin-bottom: 1; }
    }
    """

    def __init__(self, recording: Recording, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.recording = recording
        self.response_cards: dict[int, ToolCallCard] = {}
        self._response_heading = Static(Text("In the response"), classes="section")
        any_calls = recording.response.tool_calls or any(m.tool_calls for m in recording.messages)
        empty = "No tool calls yet." if any_calls else "No tool calls."
        self._empty = Static(Text(empty, "dim"), classes="empty")

    def compose(self) -> ComposeResult:
        results = {m.tool_call_id: m for m in self.recording.messages if m.role == "tool" and m.tool_call_id}
        earlier = [(turn, call) for turn, m in enumerate(self.recording.messages) for call in m.tool_calls]
        if earlier:
            yield Static(Text("In the conversation"), classes="section")
        for turn, call in earlier:
            result = results.get(call.id) if call.id else None
            yield ToolCallCard(self.recording, call, f"message {turn + 1}", result)
        self._response_heading.display = False
        yield self._response_heading
        self._empty.display = not earlier
        yield self._empty

    def show_response_calls(self, calls: list[LiveToolCall]) -> None:
        """Mount, update or remove response cards so they match `calls`."""
        wanted = {call.index for call in calls}
        for index in [i for i in self.response_cards if i not in wanted]:
            self.response_cards.pop(index).remove()
        for call in calls:
            card = self.response_cards.get(call.index)
            if card is None:
                card = ToolCallCard(self.recording, call, "response")
                self.response_cards[call.index] = card
                self.mount(card)
            else:
                card.show(call)
        self._response_heading.display = bool(calls)
        has_earlier = any(m.tool_calls for m in self.recording.messages)
        self._empty.display = not calls and not has_earlier
