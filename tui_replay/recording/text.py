"""What a recording says, as one searchable string (the `text:` filter and the full-text index).

Messages, the answer, reasoning, tool names and arguments, tool results and error messages:
the strings under those keys anywhere in the request body (or raw-HTTP payload) and in the
response, never structure (ids, roles, types, model names), tool declarations or base64 data.
A streamed chat answer is joined per channel first (content, reasoning, each tool call's
arguments), so a word split across chunks is still found.

Cheap by design: one walk over what `orjson.loads` gave, no assembly. Both the index and the
search without it use this one function, so they agree on what a recording contains.
"""

from __future__ import annotations

from typing import Any

from tui_replay.recording.limits import loads_nested_json

# A document longer than this is cut (the index and the file scan cut it alike).
MAX_TEXT_CHARS = 4_000_000

# Strings directly or anywhere below these keys are text.
_TEXT_KEYS = frozenset(
    {
        "content",
        "text",
        "arguments",
        "args",
        "name",
        "output",
        "input",
        "instructions",
        "prompt",
        "system",
        "contents",
        "parts",
        "reasoning",
        "reasoning_content",
        "reasoning_text",
        "thinking",
        "refusal",
        "query",
        "queries",
        "message",
        "messages",
        "error",
        "exception_message",
        "result",
        "results",
        "partial_json",
        "function_call",
        "function_response",
        "response",
        "summary",
        "delta",
    }
)
# Never text, wherever they are: structure, declarations, payloads that are not words.
_SKIP_KEYS = frozenset(
    {
        "type",
        "role",
        "id",
        "model",
        "object",
        "index",
        "finish_reason",
        "call_id",
        "tool_call_id",
        "status",
        "created",
        "usage",
        "logprobs",
        "tools",
        "tool_choice",
        "response_format",
        "metadata",
        "image_url",
        "inline_data",
        "file_data",
        "embedding",
        "embeddings",
        "headers",
        "url",
        "__type__",
        "stream",
        "stream_options",
        "system_fingerprint",
        "service_tier",
        "signature",
        "encrypted_content",
        "mime_type",
        "file_id",
        "score",
        "attributes",
    }
)
_STREAM_CHUNK = ".ChatCompletionChunk"


def _collect(value: Any, out: list[str], take: bool) -> None:
    """Append the strings of `value` that are text (`take`: this position is under a text key)."""
    kind = type(value)
    if kind is str:
        if take and value:
            out.append(value)
    elif kind is dict:
        for key, item in value.items():
            if key in _SKIP_KEYS or type(item) in (int, float, bool) or item is None:
                continue
            _collect(item, out, take or key in _TEXT_KEYS)
    elif kind is list:
        for item in value:
            _collect(item, out, take)


def _chat_stream_text(body: list, out: list[str]) -> bool:
    """A ChatCompletionChunk list, joined per channel; False when a chunk is not of that shape."""
    content: list[str] = []
    reasoning: list[str] = []
    calls: dict[Any, list[str]] = {}
    for item in body:
        data = item.get("__data__") if type(item) is dict else None
        if type(data) is not dict:
            return False
        choices = data.get("choices")
        if type(choices) is not list:
            continue
        for choice in choices:
            delta = choice.get("delta") if type(choice) is dict else None
            if type(delta) is not dict:
                continue
            piece = delta.get("content")
            if type(piece) is str:
                content.append(piece)
            for key in ("reasoning_content", "reasoning"):
                piece = delta.get(key)
                if type(piece) is str:
                    reasoning.append(piece)
            tool_calls = delta.get("tool_calls")
            if type(tool_calls) is list:
                for fragment in tool_calls:
                    if type(fragment) is not dict:
                        continue
                    pieces = calls.setdefault(fragment.get("index"), [])
                    function = fragment.get("function")
                    if type(function) is dict:
                        name = function.get("name")
                        if type(name) is str and name:
                            pieces.append(name + " ")
                        arguments = function.get("arguments")
                        if type(arguments) is str:
                            pieces.append(arguments)
    for pieces in (content, reasoning, *calls.values()):
        if pieces:
            out.append("".join(pieces))
    return True


def _sse_text(lines: list, out: list[str]) -> None:
    """A raw server-sent-event stream (a cassette's body): the JSON of each `data:` line."""
    for line in lines:
        if type(line) is str and line.startswith("data:"):
            try:
                event = loads_nested_json(line[5:])
            except ValueError:
                continue
            _collect(event, out, False)


def recording_text(obj: Any) -> str:
    """The searchable text of a parsed recording object (see the module doc); "" for anything else."""
    if type(obj) is not dict:
        return ""
    out: list[str] = []
    request, response = obj.get("request"), obj.get("response")
    if type(request) is dict:
        for key in ("body", "payload"):
            _collect(request.get(key), out, False)
        for key in ("tool_name", "kwargs"):  # a tool invocation (recordings-format §4.3)
            _collect(request.get(key), out, True)
    if type(response) is dict:
        body = response.get("body")
        if type(body) is list and body and type(body[0]) is str:
            _sse_text(body, out)
        elif type(body) is list and body and type(body[0]) is dict:
            type_path = body[0].get("__type__")
            if not (
                type(type_path) is str and type_path.endswith(_STREAM_CHUNK) and _chat_stream_text(body, out)
            ):
                _collect(body, out, False)
        else:
            _collect(body, out, False)
        _collect(response.get("exception_message"), out, True)
        _collect(response.get("exception_data"), out, True)
    text = "\n".join(out)
    return text[:MAX_TEXT_CHARS] if len(text) > MAX_TEXT_CHARS else text
