"""The request conversation, one block per message, rendered by role.

Long tool results sit in a collapsed Collapsible. Images are already placeholders in
the model (`[image: image/png, 312 KB]`). Every recorded string goes through
`safe_text`, so nothing in a recording is parsed as markup; an assistant message's text is
rendered as Markdown through `tui_replay.app.markdown` (literal text, code highlighted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from tui_replay.app.markdown import markdown_renderable
from tui_replay.recording.model import Message
from tui_replay.textsafe import one_line, safe_text

# A message longer than this (characters or lines) starts collapsed.
COLLAPSE_CHARS = 400
COLLAPSE_LINES = 8
# Bodies beyond this are cut for display (the raw view and exports keep everything).
DISPLAY_CHARS = 20_000


def shown_text(text: str, limit: int = DISPLAY_CHARS) -> Text:
    """Literal text, cut at `limit` with a note of how much was left out."""
    if len(text) <= limit:
        return safe_text(text)
    shown = safe_text(text[:limit])
    shown.append(f"\n… {len(text) - limit:,} more characters (see the raw view, key v)", "dim italic")
    return shown


def shown_markdown(text: str, limit: int = DISPLAY_CHARS) -> RenderableType:
    """Recorded Markdown rendered, cut at `limit` like `shown_text`."""
    if len(text) <= limit:
        return markdown_renderable(text)
    more = Text(f"… {len(text) - limit:,} more characters (see the raw view, key v)", "dim italic")
    return Group(markdown_renderable(text[:limit]), more)


def is_long(text: str) -> bool:
    return len(text) > COLLAPSE_CHARS or text.count("\n") >= COLLAPSE_LINES


def _tool_calls_text(message: Message) -> Text:
    out = Text()
    for call in message.tool_calls:
        out.append("→ ", "bold")
        out.append_text(safe_text(call.name or "?", "bold"))
        out.append("(")
        out.append_text(safe_text(one_line(call.arguments, 300)))
        out.append(")\n")
    out.rstrip()
    return out


def _body(message: Message) -> list[Widget]:
    widgets: list[Widget] = []
    if message.reasoning:
        widgets.append(Static(safe_text(message.reasoning, "italic dim"), classes="reasoning"))
    if message.text or not message.tool_calls:
        if not message.text:
            shown: RenderableType = Text("(empty)", "dim")
        elif message.role == "assistant":
            shown = shown_markdown(message.text)
        else:
            shown = shown_text(message.text)
        body = Static(shown, classes="text")
        if message.role == "tool" or is_long(message.text):
            title = f"{len(message.text):,} characters" + (
                f" — {one_line(message.text, 60)}" if message.text else ""
            )
            widgets.append(Collapsible(body, title=Content(title), collapsed=is_long(message.text)))
        else:
            widgets.append(body)
    if message.tool_calls:
        widgets.append(Static(_tool_calls_text(message), classes="calls"))
    return widgets


def _heading(message: Message) -> Text:
    heading = safe_text(message.role, "bold", single_line=True)
    if message.name:
        heading.append(" ")
        heading.append_text(safe_text(message.name))
    if message.tool_call_id:
        heading.append(" ← ", "dim")
        heading.append_text(safe_text(message.tool_call_id, "dim"))
    return heading


# Role -> how its block is built; unknown roles use the default.
RENDERERS: dict[str, Callable[[Message], list[Widget]]] = {}


class MessageBlock(Vertical):
    DEFAULT_CSS = """
    MessageBlock {
        height: auto;
        margin-bottom: 1;
        padding: 0 1;
        border-left: thick $panel;
        &.-system { border-left: thick $secondary; }
        &.-user { border-left: thick $primary; }
        &.-assistant { border-left: thick $success; }
        &.-tool { border-left: thick $warning; }
        & > .heading { color: $text-muted; }
        & Collapsible { padding-bottom: 0; }
    }
    """

    def __init__(self, message: Message) -> None:
        role = message.role if message.role.isidentifier() else "other"
        super().__init__(classes=f"-{role}")
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(_heading(self.message), classes="heading")
        yield from RENDERERS.get(self.message.role, _body)(self.message)


class ConversationView(VerticalScroll):
    """All request messages in order, opened at the end: the last messages are what the model
    answered to. The start is one key away (`g` on the replay screen, or home when focused)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"conversation--match"}
    DEFAULT_CSS = """
    ConversationView {
        scrollbar-gutter: stable;
        & > .conversation--match { background: $warning 60%; text-style: bold; }
    }
    """

    def __init__(self, messages: Iterable[Message], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.messages = list(messages)
        self.terms: list[str] = []
        self._unmarked: dict[Static, Text] = {}  # each message text as drawn before marking

    def highlight(self, terms: Iterable[str]) -> None:
        """Mark every occurrence of `terms` in the messages (case-insensitive: what a `text:`
        filter looked for); no terms clears the marks."""
        self.terms = [term for term in terms if term]
        if self.is_mounted:
            self.call_after_refresh(self._mark)

    def _mark(self) -> None:
        style = self.get_component_rich_style("conversation--match", partial=True)
        for static in self.query("MessageBlock Static").results(Static):
            if static.has_class("heading"):
                continue
            original = self._unmarked.get(static)
            if original is None:
                content = static.content
                if not isinstance(content, Text):
                    continue
                original = self._unmarked[static] = content
            if self.terms:
                marked = original.copy()
                marked.highlight_words(self.terms, style, case_sensitive=False)
                static.update(marked)
            elif static.content is not original:
                static.update(original)

    def compose(self) -> ComposeResult:
        if not self.messages:
            yield Static(Text("No request messages.", "dim"))
        for message in self.messages:
            yield MessageBlock(message)

    def on_mount(self) -> None:
        # Anchored like a chat: it stays at the end while the blocks are laid out, until the user
        # scrolls away (g / home / the mouse release it).
        self.anchor()
        if self.terms:
            self.call_after_refresh(self._mark)

    def show_start(self) -> None:
        self.scroll_home(animate=False)

    def show_end(self) -> None:
        self.scroll_end(animate=False)
