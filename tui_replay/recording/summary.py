"""The per-file catalog row: `summarize_file` never raises.

The catalog lists thousands of files cold, so this must add little on top of
`orjson.loads`. Streamed chat completions (most of the bytes) take a lean loop
here; every other shape is cheap and goes through the full assembler. The
test suite checks that both paths agree with `load_recording` on the corpus.
"""

from __future__ import annotations

import os
from typing import Any

from tui_replay.recording.assemble import assemble_response, parse_request, request_variant
from tui_replay.recording.citations import count_markers
from tui_replay.recording.load import (
    DEFAULT_MAX_SIZE,
    apply_id_mapping,
    parse_json,
    pause_gc,
    read_bytes_stat,
    resume_gc,
)
from tui_replay.recording.model import Kind, RecordingError, Summary, Usage
from tui_replay.recording.shapes import openai_chat
from tui_replay.recording.shapes.common import (
    as_dict,
    as_list,
    as_str,
    fix_surrogates,
    nonempty_str,
    openai_usage,
)

PREVIEW_CHARS = 200


class _Unusual(Exception):
    """The lean loop met something it does not handle: use the full assembler."""


# (text, tool-call count, last usage, model) of a streamed chat completion.
_LeanChat = tuple[str, int, Usage | None, str | None]


def _lean_chat_stream(body: list) -> _LeanChat:
    """(text, tool-call count, last usage, model) of a ChatCompletionChunk list, in one tight pass.

    Anything off the common path (a wrong type, a choice that is not index 0) raises
    _Unusual and the caller uses the full assembler instead.
    """
    try:
        return _strict_chat_stream(body)
    except KeyError:  # a chunk without one of the keys the SDK always writes
        return _tolerant_chat_stream(body)


def _strict_chat_stream(body: list) -> _LeanChat:
    # Back to front: the end of the body was parsed last, so it is still in the CPU cache.
    pieces: list[str] = []
    append = pieces.append
    indexes: set | None = None
    usage: Any = None
    try:
        for item in reversed(body):
            data = item["__data__"]
            choices = data["choices"]
            if choices:
                choice = choices[0]
                if choice["index"] != 0:
                    raise _Unusual
                delta = choice["delta"]
                content = delta["content"]
                if content:
                    append(content)
                if delta["tool_calls"]:
                    if indexes is None:
                        indexes = set()
                    for fragment in delta["tool_calls"]:
                        indexes.add(fragment["index"])
            elif type(choices) is not list:
                raise _Unusual
            if usage is None and data["usage"]:
                usage = data["usage"]
        pieces.reverse()
        joined = "".join(pieces)
        model: Any = None
        for item in body:
            model = item["__data__"]["model"]
            if model:
                break
    except (TypeError, AttributeError, IndexError):
        raise _Unusual from None
    return _lean_result(joined, indexes or (), usage, model)


def _lean_result(joined: str, indexes: Any, usage: Any, model: Any) -> _LeanChat:
    if any(type(index) is not int for index in indexes) or (model and type(model) is not str):
        raise _Unusual
    return fix_surrogates(joined), len(indexes), openai_usage(usage) if usage else None, model or None


def _tolerant_chat_stream(body: list) -> _LeanChat:
    text: list[str] = []
    append = text.append
    indexes: set = set()
    usage: Any = None
    model: Any = None
    try:
        for item in body:
            data = item["__data__"]
            choices = data["choices"]
            if choices:
                choice = choices[0]
                if choice["index"] != 0:
                    raise _Unusual
                delta = choice["delta"]
                content = delta.get("content")
                if content:
                    append(content)
                calls = delta.get("tool_calls")
                if calls:
                    for fragment in calls:
                        indexes.add(fragment["index"])
            elif type(choices) is not list:
                raise _Unusual
            chunk_usage = data.get("usage")
            if chunk_usage:
                usage = chunk_usage
            if not model:
                model = data.get("model")
        joined = "".join(text)
    except (KeyError, TypeError, AttributeError, IndexError):
        raise _Unusual from None
    return _lean_result(joined, indexes, usage, model)


def _is_chat_stream(body: Any) -> bool:
    if type(body) is not list or not body:
        return False
    first = body[0]
    type_path = first.get("__type__") if type(first) is dict else None
    return type(type_path) is str and type_path.endswith(".ChatCompletionChunk")


def _first_user(request: dict, kind: Kind) -> str:
    """First user message text; for a tool call or file the thing it acts on."""
    body = request.get("body")
    if request_variant(request) == "inference" and type(body) is dict and type(body.get("messages")) is list:
        for raw in body["messages"]:
            if type(raw) is dict and raw.get("role") == "user":
                content = raw.get("content")
                if type(content) is str and "images" not in raw:  # the common case, as parse_message reads it
                    return content[:PREVIEW_CHARS]
                return openai_chat.parse_message(raw).text[:PREVIEW_CHARS]
        return ""
    parts = parse_request(request, kind)
    for message in parts.messages:
        if message.role == "user":
            return message.text[:PREVIEW_CHARS]
    for message in parts.messages:
        for call in message.tool_calls:
            return f"{call.name} {call.arguments}"[:PREVIEW_CHARS]
    file_id = as_str(request.get("file_id"))
    return file_id or ""


def _request_model(request: dict) -> str | None:
    return (
        nonempty_str(request.get("model"))
        or nonempty_str(as_dict(request.get("body")).get("model"))
        or nonempty_str(as_dict(request.get("payload")).get("model"))
    )


def summarize_obj(obj: dict[str, Any], path: str) -> Summary:
    """The catalog row of a parsed recording; raises only RecordingError."""
    try:
        return _summarize_obj(obj, path)
    except RecordingError:
        raise
    except Exception as exc:
        raise RecordingError(f"malformed recording: {type(exc).__name__}: {exc}") from None


def _summarize_obj(obj: dict[str, Any], path: str) -> Summary:
    if type(obj) is not dict:
        raise RecordingError("top-level JSON is not a recording object")
    request, response = obj.get("request"), obj.get("response")
    if request is None and response is None:
        raise RecordingError("not a recording: no request/response")
    if type(request) is not dict or type(response) is not dict:
        bad = "request" if type(request) is not dict else "response"
        raise RecordingError(f"{bad}: expected an object")
    mapping = obj.get("id_normalization_mapping")
    if mapping and type(mapping) is dict:
        obj = apply_id_mapping(obj)
        request, response = obj["request"], obj["response"]

    body = response.get("body")
    exception = False
    response_model = None
    lean = None
    if _is_chat_stream(body):
        try:
            lean = _lean_chat_stream(body)
        except _Unusual:
            lean = None
    if lean is not None:
        kind = Kind.CHAT
        text, tool_calls, usage, response_model = lean
        chunks = len(body)
        exception = bool(response.get("is_exception") or response.get("exception_data") is not None)
        exception = exception or response.get("exception_message") is not None
    else:
        assembled = assemble_response(request, response)
        kind = assembled.kind
        result = assembled.response
        text, tool_calls, usage, chunks = result.text, len(result.tool_calls), result.usage, result.chunks
        exception = result.exception is not None
        response_model = result.model
    test_id = obj.get("test_id", request.get("test_id"))
    answer = text[:PREVIEW_CHARS]
    return Summary(
        path=path,
        status="ok",
        test_id=test_id if type(test_id) is str else None,
        kind=str(kind),
        endpoint=as_str(request.get("endpoint")),
        model=_request_model(request) or response_model,
        streaming=response.get("is_streaming") is True,
        chunks=chunks,
        tool_calls=tool_calls,
        citations=count_markers(text),
        exception=exception,
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        first_user=_first_user(request, kind),
        answer_start=answer,
    )


def summarize_file(path: str | os.PathLike[str], max_size: int = DEFAULT_MAX_SIZE) -> Summary:
    """The catalog row of one file. Never raises: a bad file is an error row with a one-line reason."""
    name = os.fspath(path)
    size = mtime_ns = 0
    try:
        data, info = read_bytes_stat(name, max_size)
        size, mtime_ns = info.st_size, info.st_mtime_ns
        pause_gc()
        try:
            summary = summarize_obj(parse_json(data), name)
        finally:
            resume_gc()
    except RecordingError as exc:
        info = getattr(exc, "stat", None)
        if info is not None:
            size, mtime_ns = info.st_size, info.st_mtime_ns
        return Summary(path=name, status="error", error=exc.reason, size=size, mtime_ns=mtime_ns)
    except Exception as exc:  # last resort: the catalog must never see a traceback
        reason = " ".join(f"unexpected error: {type(exc).__name__}: {exc}".split())
        return Summary(path=name, status="error", error=reason, size=size, mtime_ns=mtime_ns)
    summary.size, summary.mtime_ns = size, mtime_ns
    return summary


__all__ = ["as_list", "summarize_file", "summarize_obj"]
