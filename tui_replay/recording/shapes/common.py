"""Small type-guarded helpers shared by the shape modules.

Recordings are untrusted JSON: every accessor here tolerates a wrong type and
returns a neutral default, so a shape module degrades instead of crashing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tui_replay.recording.limits import loads_nested_json
from tui_replay.recording.model import (
    ContentPart,
    Event,
    EventKind,
    ExceptionInfo,
    Kind,
    Message,
    Response,
    ToolCall,
    ToolSpec,
    Usage,
)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(slots=True)
class Assembled:
    """What a response-side shape produces."""

    kind: Kind
    response: Response
    timeline: list[Event] = field(default_factory=list)
    # (index, response, timeline) of every answer when there are several (n > 1), 0 first.
    choices: list[tuple[int, Response, list[Event]]] = field(default_factory=list)


@dataclass(slots=True)
class BodyContext:
    """The response body handed to a shape, already unwrapped.

    `items` are the `__data__` dicts of typed wrappers, or the plain dicts / SSE
    strings as stored; `is_list` says whether the body was a list.
    """

    type_name: str
    items: list
    is_list: bool
    streaming: bool
    status: int | None = None
    url: str = ""
    times: list[float] | None = None


@dataclass(slots=True)
class RequestParts:
    """What a request-side parser produces."""

    messages: list[Message] = field(default_factory=list)
    tools: list[ToolSpec] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    model: str | None = None


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def nonempty_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


# What json.dumps(value, ensure_ascii=False, separators=(",", ":")) builds on every call.
_COMPACT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_json(value: Any) -> str:
    """A compact JSON string of an already-parsed value (Gemini args, Anthropic input)."""
    try:
        return _COMPACT_ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def arguments_text(value: Any) -> str:
    """Tool-call arguments as a string: strings as sent, objects as compact JSON, null as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return compact_json(value)


def fix_surrogates(text: str) -> str:
    """Join UTF-16 surrogate halves that were split across chunks (stdlib JSON fallback only)."""
    if text.isascii() or not _LONE_SURROGATE.search(text):  # isascii is O(1): skips the scan
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def human_size(n_bytes: int) -> str:
    if n_bytes < 1024:
        return f"{n_bytes} B"
    if n_bytes < 1024 * 1024:
        return f"{round(n_bytes / 1024)} KB"
    return f"{n_bytes / (1024 * 1024):.1f} MB"


def base64_size(data: str) -> int:
    """Decoded size of a base64 string, without decoding it."""
    padding = 2 if data.endswith("==") else 1 if data.endswith("=") else 0
    return max(len(data) * 3 // 4 - padding, 0)


def image_placeholder(url_or_data: Any, media_type: str | None = None) -> str:
    """Placeholder text for an image: never the base64 itself."""
    if not isinstance(url_or_data, str):
        return "[image]"
    if url_or_data.startswith("data:"):
        header, _, payload = url_or_data.partition(",")
        mime = header[5:].split(";", 1)[0] or media_type or "image"
        return f"[image: {mime}, {human_size(base64_size(payload))}]"
    if url_or_data.startswith(("http://", "https://", "gs://", "file:")):
        url = url_or_data if len(url_or_data) <= 200 else url_or_data[:199] + "…"
        return f"[image: {url}]"
    # Bare base64 (Ollama images, Anthropic/Gemini inline data).
    label = media_type or "image"
    return f"[image: {label}, {human_size(base64_size(url_or_data))}]"


def join_parts(parts: list[ContentPart]) -> str:
    """Join part texts; a newline separates parts unless the previous one already ends a line."""
    out: list[str] = []
    for part in parts:
        if out and not out[-1].endswith("\n") and part.text:
            out.append("\n")
        out.append(part.text)
    return "".join(out)


def usage_or_none(prompt: int | None, completion: int | None, total: int | None) -> Usage | None:
    """Token counts as Usage, or None when the body reported none of them."""
    if prompt is None and completion is None and total is None:
        return None
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)


def openai_usage(value: Any) -> Usage | None:
    usage = as_dict(value)
    if not usage:
        return None
    prompt = as_int(usage.get("prompt_tokens"))
    if prompt is None:
        prompt = as_int(usage.get("input_tokens"))
    completion = as_int(usage.get("completion_tokens"))
    if completion is None:
        completion = as_int(usage.get("output_tokens"))
    total = as_int(usage.get("total_tokens"))
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion
    return usage_or_none(prompt, completion, total)


def error_from_body(body: Any, status: int | None) -> ExceptionInfo:
    """An HTTP error body ({"error": {...}} in its several flavours) as ExceptionInfo."""
    data = as_dict(body)
    error = data.get("error")
    err_type: str | None = None
    message = ""
    if isinstance(error, dict):
        err_type = nonempty_str(error.get("type")) or nonempty_str(error.get("code"))
        if err_type is None and as_int(error.get("code")) is not None:
            err_type = str(error.get("code"))
        message = as_str(error.get("message")) or ""
        if not message:
            message = compact_json(error)
    elif isinstance(error, str):
        message = error
    else:
        message = as_str(data.get("message")) or as_str(data.get("detail")) or compact_json(body)
    return ExceptionInfo(type=err_type, status=status, message=message)  # exactly as recorded


def error_assembled(kind: Kind, data: dict, status: int | None) -> Assembled:
    """An HTTP error body (raw-HTTP shapes) as a response carrying only the exception."""
    response = Response(
        exception=error_from_body(data, status), status=status, model=nonempty_str(data.get("model"))
    )
    return Assembled(kind, response, [])


def first_item(ctx: BodyContext) -> dict:
    """The one body of a non-streamed response ({} when there is none or it is not an object)."""
    return as_dict(ctx.items[0] if ctx.items else {})


def chunk_time(times: list[float] | None, number: int) -> float | None:
    """When stream item `number` arrived, when that was measured."""
    return times[number] if times is not None and number < len(times) else None


def message_from_text(role: str, text: str) -> Message:
    return Message(role=role, text=text, parts=[ContentPart(type="text", text=text)] if text else [])


def tool_spec(name: Any, description: Any, parameters: Any) -> ToolSpec:
    return ToolSpec(
        name=as_str(name) or "",
        description=as_str(description) or "",
        parameters=parameters if isinstance(parameters, dict) else None,
    )


def single_timeline(response: Response) -> list[Event]:
    """Timeline of a non-streamed body: everything arrives in chunk 0."""
    events: list[Event] = []
    if response.reasoning:
        events.append(Event(chunk=0, kind=EventKind.REASONING, text=response.reasoning))
    if response.text:
        events.append(Event(chunk=0, kind=EventKind.TEXT, text=response.text))
    for call in response.tool_calls:
        events.append(tool_call_event(0, call))
    if response.finish_reason is not None:
        events.append(Event(chunk=0, kind=EventKind.FINISH, finish_reason=response.finish_reason))
    if response.usage is not None:
        events.append(Event(chunk=0, kind=EventKind.USAGE, usage=response.usage))
    return events


def tool_call_event(chunk: int, call: ToolCall, at: float | None = None) -> Event:
    """The timeline event of a tool call that arrived whole (arguments, id and name at once)."""
    return Event(
        chunk=chunk,
        kind=EventKind.TOOL_CALL,
        text=call.arguments,
        tool_index=call.index,
        tool_id=call.id,
        tool_name=call.name,
        at=at,
    )


def new_tool_call(index: int, call_id: Any, name: Any, arguments: Any) -> ToolCall:
    return ToolCall(
        index=index, id=nonempty_str(call_id), name=as_str(name) or "", arguments=arguments_text(arguments)
    )


@dataclass(slots=True)
class ItemTimeline:
    """What a shape whose every item is a whole body (Gemini, Ollama, legacy completions) collects,
    item by item: the answer's pieces and the replay timeline, in arrival order."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    finish: str | None = None
    usage: Usage | None = None
    model: str | None = None

    def add_text(self, chunk: int, piece: str, at: float | None, *, thought: bool = False) -> None:
        (self.reasoning if thought else self.text).append(piece)
        kind = EventKind.REASONING if thought else EventKind.TEXT
        self.events.append(Event(chunk=chunk, kind=kind, text=piece, at=at))

    def add_call(self, chunk: int, call_id: Any, name: Any, arguments: Any, at: float | None) -> None:
        call = new_tool_call(len(self.calls), call_id, name, arguments)
        self.calls.append(call)
        self.events.append(tool_call_event(chunk, call, at))

    def set_finish(self, chunk: int, reason: str, at: float | None) -> None:
        self.finish = reason
        self.events.append(Event(chunk=chunk, kind=EventKind.FINISH, finish_reason=reason, at=at))

    def set_usage(self, chunk: int, usage: Usage | None, at: float | None) -> None:
        """The latest usage wins; an item without one changes nothing."""
        if usage is not None:
            self.usage = usage
            self.events.append(Event(chunk=chunk, kind=EventKind.USAGE, usage=usage, at=at))

    def response(self, chunks: int) -> Response:
        return Response(
            text=fix_surrogates("".join(self.text)),
            reasoning=fix_surrogates("".join(self.reasoning)),
            tool_calls=self.calls,
            finish_reason=self.finish,
            usage=self.usage,
            chunks=chunks,
            model=self.model,
        )


def parse_sse(lines: list) -> list[tuple[str | None, Any]]:
    """SSE lines (one string per line, endings stripped) as (event name, data) pairs.

    `data` is the parsed JSON object, or the raw string when it is not JSON
    (`[DONE]`). Each `data:` line is one item; comments and blank lines are skipped.
    """
    items: list[tuple[str | None, Any]] = []
    event: str | None = None
    for line in lines:
        if not isinstance(line, str):
            continue
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            raw = line[5:].strip()
            try:
                data: Any = loads_nested_json(raw)
            except ValueError:
                data = raw
            items.append((event, data))
            event = None
    return items
