"""`tui-replay show PATH... [--json] [--max-size SIZE]`: the assembled conversation of each recording.

Folders are expanded like `list` does. Rendered with Rich (text shown literally), or
JSON Lines with --json. Exit 0 when every file was read, 1 when any could not be (its
error row is still printed), 2 when a path does not exist.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui_replay.catalog.scan import Found, iter_found
from tui_replay.commands.listing import dumps_line, literal, make_console, report_missing, tolerant_stdout
from tui_replay.recording.model import Recording, RecordingError, ToolCall

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


def run_show(args: argparse.Namespace) -> int:
    if report_missing("show", args.paths):
        return 2
    from tui_replay.recording.load import DEFAULT_MAX_SIZE

    max_size = DEFAULT_MAX_SIZE if args.max_size is None else args.max_size
    failed = False
    console = None
    if not args.json:
        tolerant_stdout()
        console = make_console()
    for found in iter_found(args.paths):
        recording, error = _load(found, max_size)
        failed = failed or recording is None
        if console is None:
            row = recording_to_json(recording) if recording else error_to_json(found.path, error)
            sys.stdout.buffer.write(dumps_line(row))
        elif recording is not None:
            print_recording(console, recording)
        else:
            print_error(console, found.path, error)
    if console is None:
        sys.stdout.buffer.flush()
    return 1 if failed else 0


def _load(found: Found, max_size: int) -> tuple[Recording | None, str]:
    if found.problem is not None:
        return None, found.problem
    from tui_replay.recording.load import load_recording

    try:
        recording = load_recording(found.path, max_size=max_size)
    except RecordingError as exc:
        return None, exc.reason
    except Exception as exc:  # a parser bug must still be one error row, not a traceback
        return None, " ".join(f"unexpected error: {type(exc).__name__}: {exc}".split())
    recording.path = found.path
    return recording, ""


# -- JSON -----------------------------------------------------------------------------


def _tool_call_json(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "arguments": call.arguments}


def recording_to_json(recording: Recording) -> dict[str, Any]:
    """The `show --json` object: the conversation as assembled, text exactly as recorded."""
    response = recording.response
    exception = response.exception
    return {
        "path": recording.path,
        "status": "ok",
        "error": None,
        "test_id": recording.test_id,
        "kind": str(recording.kind),
        "endpoint": recording.endpoint,
        "model": recording.model,
        "streaming": recording.streaming,
        "messages": [
            {
                "role": message.role,
                "text": message.text,
                "tool_calls": [_tool_call_json(call) for call in message.tool_calls],
                "tool_call_id": message.tool_call_id,
            }
            for message in recording.messages
        ],
        "tools": [tool.name for tool in recording.tools],
        "response": {
            "text": response.text,
            "reasoning": response.reasoning,
            "tool_calls": [_tool_call_json(call) for call in response.tool_calls],
            "finish_reason": response.finish_reason,
            "usage": response.usage.as_dict() if response.usage is not None else None,
            "chunks": response.chunks,
            "exception": None
            if exception is None
            else {"type": exception.type, "status": exception.status, "message": exception.message},
        },
        "citations": [
            {
                "marker": citation.marker,
                "document_id": citation.document_id,
                "filename": citation.filename,
                "score": citation.score,
                "text": citation.text,
            }
            for citation in recording.citations
        ],
    }


def error_to_json(path: str, reason: str) -> dict[str, Any]:
    """An unreadable file: the same keys as a recording, empty."""
    return {
        "path": path,
        "status": "error",
        "error": reason,
        "test_id": None,
        "kind": None,
        "endpoint": None,
        "model": None,
        "streaming": None,
        "messages": [],
        "tools": [],
        "response": None,
        "citations": [],
    }


# -- Rich -----------------------------------------------------------------------------

ROLE_STYLES = {
    "system": "magenta",
    "developer": "magenta",
    "user": "cyan",
    "assistant": "green",
    "tool": "yellow",
}


def print_error(console: Console, path: str, reason: str) -> None:
    from rich.text import Text

    line = Text()
    line.append_text(literal(path, "bold", single_line=True))
    line.append(": ", style="bold")
    line.append_text(literal(reason, "red"))
    console.print(line)


def _tool_calls_text(calls: list[ToolCall]) -> RenderableType:
    from rich.text import Text

    text = Text()
    for call in calls:
        if text:
            text.append("\n")
        text.append("→ ", style="yellow")
        text.append_text(literal(call.name, "bold yellow"))
        text.append("(")
        text.append_text(literal(call.arguments))
        text.append(")")
        if call.id:
            text.append("  ")
            text.append_text(literal(call.id, "dim"))
    return text


def _header(recording: Recording) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    # A grid, so a long test id folds inside its column instead of under its label.
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    streamed = f"yes, {recording.response.chunks} chunks" if recording.streaming else "no"
    rows = [
        ("test", literal(recording.test_id) if recording.test_id else Text("(no test id)", style="dim")),
        ("kind", literal(recording.kind)),
        ("endpoint", literal(recording.endpoint) if recording.endpoint else None),
        ("model", literal(recording.model) if recording.model else None),
        ("streamed", Text(streamed)),
        ("tools", literal(", ".join(tool.name for tool in recording.tools)) if recording.tools else None),
    ]
    for label, value in rows:
        if value is not None:
            grid.add_row(label, value)
    return grid


def _body(text: str, calls: list[ToolCall], reasoning: str | None = None) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    parts: list[RenderableType] = []
    if reasoning:
        parts.append(literal(reasoning, "dim italic"))
    if text:
        parts.append(literal(text))
    if calls:
        parts.append(_tool_calls_text(calls))
    if not parts:
        parts.append(Text("(empty)", style="dim"))
    return Group(*parts)


def _citations_text(recording: Recording) -> RenderableType:
    from rich.text import Text

    from tui_replay.textsafe import one_line

    text = Text("citations", style="bold")
    for citation in recording.citations:
        text.append("\n")
        text.append_text(literal(citation.marker, "cyan"))
        text.append(" → ")
        if not citation.resolved:
            text.append("cites nothing that was retrieved", style="red")
            continue
        text.append_text(literal(citation.document_id))
        details = [citation.filename or ""]
        if citation.score is not None:
            details.append(f"score {citation.score:.3f}")
        details = [detail for detail in details if detail]
        if details:
            text.append_text(literal(f" ({', '.join(details)})", "dim"))
        if citation.text:
            text.append("\n    ")
            text.append_text(literal(one_line(citation.text, 300), "dim"))
    return text


def print_recording(console: Console, recording: Recording) -> None:
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.text import Text

    console.print(Rule(style="dim"))
    # whole (it is what to copy), on one line: a newline in the name is a placeholder
    console.print(literal(recording.path, "bold", single_line=True), overflow="fold")
    console.print(_header(recording))
    for message in recording.messages:
        title = literal(message.role, ROLE_STYLES.get(message.role, "bold"))
        if message.tool_call_id:
            title.append(" ← ")
            title.append_text(literal(message.tool_call_id, "dim"))
        elif message.name:
            title.append(" ")
            title.append_text(literal(message.name, "dim"))
        border = ROLE_STYLES.get(message.role, "white")
        body = _body(message.text, message.tool_calls, message.reasoning)
        console.print(Panel(body, title=title, title_align="left", border_style=border))

    response = recording.response
    details = Text()
    if response.finish_reason:
        details.append("finish: ", style="dim")
        details.append_text(literal(response.finish_reason))
    if response.usage is not None:
        usage = response.usage
        if details:
            details.append("  ")
        details.append("tokens: ", style="dim")
        prompt, completion, total = (
            "?" if count is None else str(count)
            for count in (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
        )
        details.append(f"{prompt} → {completion} (total {total})")
    if response.status is not None:
        if details:
            details.append("  ")
        details.append(f"HTTP {response.status}", style="dim")
    title = Text("response", style="bold green")
    if details:
        title.append("  ")
        title.append_text(details)
    body = _body(response.text, response.tool_calls, response.reasoning)
    if response.summary:
        from rich.console import Group

        digest = Text()
        for key, value in response.summary.items():
            if value is None or value == response.text:
                continue  # nothing to say, or a tool result already shown as the text
            if digest:
                digest.append("\n")
            digest.append(f"{key}: ", style="dim")
            digest.append_text(literal(value))
        if digest:
            body = Group(body, digest) if response.text or response.tool_calls else digest
    console.print(Panel(body, title=title, title_align="left", border_style="green"))

    if response.exception is not None:
        exc = response.exception
        label = " ".join(str(part) for part in (exc.type, exc.status) if part not in (None, ""))
        text = Text()
        if label:
            text.append_text(literal(label, "bold red"))
            text.append("\n")
        text.append_text(literal(exc.message))
        title = Text("exception", style="bold red")
        console.print(Panel(text, title=title, title_align="left", border_style="red"))

    if recording.citations:
        console.print(_citations_text(recording))
    console.print()
