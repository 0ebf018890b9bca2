"""`tui-replay show PATH... [--json] [--max-size SIZE]`: the assembled conversation of each recording.

Folders are expanded like `list` does, a cassette into its interactions; `cassette.yaml#N`
names interaction N alone. Rendered with Rich (text shown literally), or
JSON Lines with --json. Exit 0 when every file was read, 1 when any could not be (its
error row is still printed), 2 when a path does not exist.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tui_replay.catalog.scan import Found, iter_found
from tui_replay.commands.output import dumps_line, literal, make_console, report_missing, tolerant_stdout
from tui_replay.recording.model import Citation, Recording, RecordingError, Response, ToolCall

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from tui_replay.config import Config


def run_show(args: argparse.Namespace, config: Config) -> int:
    from tui_replay.recording.load import resolve_address

    # `cassette.yaml#N` exists when its file does.
    if report_missing("show", [resolve_address(path)[0] for path in args.paths]):
        return 2
    max_size = config.max_size
    expr = getattr(args, "filter", None)
    wanted: set[str] | None = None
    if expr is not None:
        wanted = _matching_addresses(args.paths, expr, max_size)
        if wanted is None:
            return 2
        if not wanted:
            print(f"tui-replay show: no recording matches the filter: {expr}", file=sys.stderr)
            return 1
    failed = False
    console = None
    if not args.json:
        tolerant_stdout()
        console = make_console()
        if not console.is_terminal:
            unwrapped(console)
    for path, recording, error in iter_recordings(args.paths, max_size):
        if wanted is not None and path not in wanted:
            continue
        failed = failed or recording is None
        if console is None:
            row = recording_to_json(recording) if recording else error_to_json(path, error)
            sys.stdout.buffer.write(dumps_line(row))
        elif recording is not None:
            print_recording(console, recording)
        else:
            print_error(console, path, error)
    if console is None:
        sys.stdout.buffer.flush()
    return 1 if failed else 0


PIPE_MIN_WIDTH = 80  # into a pipe: panels and rules at least this wide, wider when a line is
PIPE_MAX_WIDTH = 1 << 20


def unwrapped(console: Console) -> None:
    """Into a pipe or a file, like `list`: nothing is wrapped at the terminal's width (no path
    or line split for grep); each renderable is printed at its own widest line, rules and
    short panels at PIPE_MIN_WIDTH."""
    from rich.rule import Rule

    print_at = console.print
    console.width = PIPE_MAX_WIDTH  # print's `width` is capped at the console's
    unlimited = console.options  # (after the width changed: measured against PIPE_MAX_WIDTH)

    def print_unwrapped(*objects: Any, **kwargs: Any) -> None:
        if len(objects) == 1 and kwargs.get("width") is None:
            renderable = objects[0]
            rule = isinstance(renderable, Rule)  # as wide as it is allowed: kept at the minimum
            widest = 0 if rule else console.measure(renderable, options=unlimited).maximum
            kwargs["width"] = max(PIPE_MIN_WIDTH, widest)
        print_at(*objects, **kwargs)

    console.print = print_unwrapped  # type: ignore[method-assign]


def _matching_addresses(paths: list[str], expr: str, max_size: int) -> set[str] | None:
    """The addresses (`file`, `file#N`) under `paths` whose rows match the filter; None (after a
    message) when the filter cannot be understood."""
    from tui_replay.catalog.session import ListingSession, filter_error
    from tui_replay.recording.load import resolve_address

    error = filter_error(expr)
    if error:
        print(f"tui-replay show: {error}", file=sys.stderr)
        return None
    roots = list(dict.fromkeys(resolve_address(path)[0] for path in paths))
    return {row.path for row in ListingSession(roots, max_size=max_size).iter_matching(expr)}


_Loaded = tuple[str, "Recording | None", str]


def iter_recordings(paths: list[str], max_size: int) -> Iterator[_Loaded]:
    """(path, recording or None, error) for every recording the arguments name, in order:
    files, folders (scanned once: a file reached twice is shown once), cassettes expanded
    into their interactions, and `cassette.yaml#N` addresses."""
    from tui_replay.recording.load import resolve_address

    addresses = {path: resolve_address(path) for path in paths}
    plain = [path for path in paths if addresses[path][1] is None]
    found_by_root: dict[str, list[Found]] = {}
    for found in iter_found(plain):
        found_by_root.setdefault(found.root, []).append(found)
    for path in paths:
        if addresses[path][1] is not None:
            yield path, *_load(path, max_size)
            continue
        for found in found_by_root.pop(path, []):
            yield from _load_found(found, max_size)


def _load_found(found: Found, max_size: int) -> Iterator[_Loaded]:
    from tui_replay.recording.cassette import is_cassette_name

    if found.problem is not None:
        yield found.path, None, found.problem
    elif is_cassette_name(found.path):
        yield from _load_cassette(found.path, max_size)
    else:
        yield found.path, *_load(found.path, max_size)


def _load_cassette(file: str, max_size: int) -> Iterator[_Loaded]:
    """Every interaction of a cassette; one error row when the file is not a readable cassette."""
    from tui_replay.recording.cassette import cassette_test_id, parse_cassette, whole_cassette_recording
    from tui_replay.recording.limits import ReadBudget
    from tui_replay.recording.load import cassette_recording, read_bytes
    from tui_replay.recording.model import interaction_address

    budget = ReadBudget(max_size)  # the file's, shared by its interactions
    try:
        interactions = parse_cassette(read_bytes(file, max_size), budget)
        whole = whole_cassette_recording(interactions, file, cassette_test_id(file))
    except RecordingError as exc:
        yield file, None, exc.reason
        return
    if whole is not None:  # a realtime session or an empty cassette: one recording
        yield file, whole, ""
        return
    for index, raw in enumerate(interactions):
        address = interaction_address(file, index)
        try:
            yield address, cassette_recording(raw, file, index, max_size, budget), ""
        except RecordingError as exc:
            yield address, None, exc.reason


def _load(path: str, max_size: int) -> tuple[Recording | None, str]:
    from tui_replay.recording.load import load_recording

    try:
        recording = load_recording(path, max_size=max_size)
    except RecordingError as exc:
        return None, exc.reason
    except Exception as exc:  # a parser bug must still be one error row, not a traceback
        return None, " ".join(f"unexpected error: {type(exc).__name__}: {exc}".split())
    recording.path = path
    return recording, ""


# -- JSON -----------------------------------------------------------------------------


def _tool_call_json(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "arguments": call.arguments}


def _response_json(response: Response) -> dict[str, Any]:
    exception = response.exception
    return {
        "text": response.text,
        "reasoning": response.reasoning,
        "tool_calls": [_tool_call_json(call) for call in response.tool_calls],
        "finish_reason": response.finish_reason,
        "usage": response.usage.as_dict() if response.usage is not None else None,
        "chunks": response.chunks,
        "exception": None
        if exception is None
        else {"type": exception.type, "status": exception.status, "message": exception.message},
    }


def _citations_json(citations: list[Citation]) -> list[dict[str, Any]]:
    return [
        {
            "marker": citation.marker,
            "document_id": citation.document_id,
            "filename": citation.filename,
            "score": citation.score,
            "text": citation.text,
            "via": citation.via,
        }
        for citation in citations
    ]


def recording_details(recording: Recording) -> dict[str, Any]:
    """The kind-specific digest the data layer computes (embeddings count and dimensions, model ids,
    file-processor chunks and pages, tool errors); {} for kinds whose answer is the message."""
    response = recording.response
    details = {
        key: value
        for key, value in response.summary.items()
        if not (key == "result" and value == response.text)  # a tool result: already response.text
    }
    if isinstance(details.get("models"), list):
        details["model_count"] = len(details["models"])
    return details


def recording_to_json(recording: Recording) -> dict[str, Any]:
    """The `show --json` object: the conversation as assembled, text exactly as recorded."""
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
        "response": _response_json(recording.response),
        "citations": _citations_json(recording.citations),
        "choices": recording.choice_count,
        # The answers after the first of an n > 1 request, each as `response` plus its citations.
        "other_choices": [
            {
                "index": choice.index,
                **_response_json(choice.response),
                "citations": _citations_json(choice.citations),
            }
            for choice in recording.choices[1:]
        ],
        "details": recording_details(recording),
        "format": recording.format,
        "interaction": recording.interaction,
    }


def error_to_json(path: str, reason: str) -> dict[str, Any]:
    """An unreadable file: the same keys as a recording, empty."""
    from tui_replay.recording.cassette import is_cassette_name
    from tui_replay.recording.model import LLAMA_STACK, VCR, split_address

    file, interaction = split_address(path)
    cassette = is_cassette_name(file)
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
        "choices": None,
        "other_choices": [],
        "details": None,
        "format": VCR if cassette else LLAMA_STACK,
        "interaction": interaction if cassette else None,
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
        ("choices", Text(str(recording.choice_count)) if recording.choices else None),
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
        if citation.via:
            details.append(f"resolved through {citation.via}")
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
        title = literal(message.role, ROLE_STYLES.get(message.role, "bold"), single_line=True)
        if message.tool_call_id:
            title.append(" ← ")
            title.append_text(literal(message.tool_call_id, "dim", single_line=True))
        elif message.name:
            title.append(" ")
            title.append_text(literal(message.name, "dim", single_line=True))
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
    for position, choice in enumerate(recording.choices[1:], start=1):  # the other answers (n > 1)
        shown = recording.for_choice(position)
        heading = Text(f"response, choice {choice.index} of {recording.choice_count}", style="bold green")
        if choice.response.finish_reason:
            heading.append("  finish: ", style="dim")
            heading.append_text(literal(choice.response.finish_reason))
        body = _body(choice.response.text, choice.response.tool_calls, choice.response.reasoning)
        console.print(Panel(body, title=heading, title_align="left", border_style="green"))
        if shown.citations:
            console.print(_citations_text(shown))
    console.print()
