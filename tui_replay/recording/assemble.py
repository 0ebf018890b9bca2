"""The response as one final message plus the replay timeline, and the request as a conversation.

`assemble_response` picks a shape for the body (see `shapes`), `parse_request`
reads the request variant. `assemble_openai_stream` / `assemble_openai_response`
take plain SDK dumps so a live answer goes through the same code as a recorded one.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from tui_replay.recording.model import Event, Kind, RecordingError, Response
from tui_replay.recording.shapes import (
    TYPED_SHAPES,
    anthropic_messages,
    class_name,
    embeddings,
    exception,
    file_processor,
    genai,
    interactions,
    models,
    ollama,
    openai_chat,
    openai_completion,
    openai_responses,
    plain_dict_shape,
    rerank,
    sse_shape,
    tool_invocation,
)
from tui_replay.recording.shapes.common import Assembled, BodyContext, RequestParts, as_dict, as_int, as_str

# Request variants (§4, §13.2): decided by keys.
INFERENCE = "inference"
RAW_HTTP = "raw_http"
TOOL = "tool"
FILE = "file"
UNKNOWN_REQUEST = "unknown"


def request_variant(request: dict) -> str:
    if "body" in request:
        return INFERENCE
    if "payload" in request:
        return RAW_HTTP
    if "tool_name" in request:
        return TOOL
    if request.get("api") == "file_processors" or "file_id" in request:
        return FILE
    return UNKNOWN_REQUEST


def request_endpoint(request: dict) -> str | None:
    """The recorded `endpoint`, else what stands for it, so every kind has one to list and filter:
    the URL's path for raw-HTTP requests (`/v1/messages`, `/v1beta/interactions`), and the API
    with the tool or processor for tool and file-processor recordings, which have no URL."""
    endpoint = as_str(request.get("endpoint"))
    if endpoint:
        return endpoint
    url = as_str(request.get("url"))
    if url:
        path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
        return path or endpoint
    variant = request_variant(request)
    if variant == TOOL:
        return f"tool_runtime/{as_str(request.get('tool_name')) or '?'}"
    if variant == FILE:
        return f"{as_str(request.get('api')) or 'file_processors'}/{as_str(request.get('provider')) or '?'}"
    return endpoint


def _type_label(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "bool", int: "int", float: "float"}.get(
        type(value), type(value).__name__
    )


def _raw_http_request_shape(url: str, payload: dict) -> ModuleType | None:
    if url.endswith("/messages"):
        return anthropic_messages
    if "/interactions" in url:
        return interactions
    if url.endswith("/rerank"):
        return rerank
    if url.endswith("/responses"):
        return openai_responses
    return None


def parse_request(request: dict, kind: Kind | None = None) -> RequestParts:
    """Conversation, tools and call parameters of any request variant."""
    variant = request_variant(request)
    url = as_str(request.get("url")) or ""
    if variant == INFERENCE:
        body = as_dict(request.get("body"))
        if "contents" in body:
            return genai.parse_request(body)
        if "messages" in body:
            return openai_chat.parse_request(body)
        if "prompt" in body and (kind == Kind.GENERATE or url.endswith("/api/generate")):
            return ollama.parse_generate_request(body)
        if "prompt" in body:
            return openai_completion.parse_request(body)
        if "input" in body:
            return embeddings.parse_request(body)
        return models.parse_request(body)
    if variant == RAW_HTTP:
        payload = as_dict(request.get("payload"))
        shape = _raw_http_request_shape(url, payload)
        if shape is not None:
            return shape.parse_request(payload)
        if "messages" in payload:
            return openai_chat.parse_request(payload)
        return RequestParts(params=payload)
    if variant == TOOL:
        return tool_invocation.parse_request(request)
    if variant == FILE:
        return file_processor.parse_request(request)
    return RequestParts(params={k: v for k, v in request.items() if k != "test_id"})


def _unknown(raw_type: str) -> Assembled:
    return Assembled(Kind.UNKNOWN, Response(summary={"raw_type": raw_type}), [])


def _unwrap(items: list) -> list:
    return [item.get("__data__") if isinstance(item, dict) and "__type__" in item else item for item in items]


def _empty_list_shape(request: dict) -> Assembled:
    endpoint = (as_str(request.get("endpoint")) or "") + " " + (as_str(request.get("url")) or "")
    if "models" in endpoint or "/api/tags" in endpoint or "/api/ps" in endpoint:
        return Assembled(Kind.MODELS, Response(summary={"models": []}), [])
    if "messages" in as_dict(request.get("body")):
        response, events = openai_chat.assemble_stream([])
        return Assembled(Kind.CHAT, response, events)
    return _unknown("empty list")


def assemble_response(request: dict, response: dict, times: list[float] | None = None) -> Assembled:
    """Pick the shape of `response.body` and assemble it; recorded exceptions attached."""
    body = response.get("body")
    streaming = response.get("is_streaming") is True
    status = as_int(response.get("status"))
    url = as_str(request.get("url")) or ""
    info = exception.exception_info(response)

    if body is None:
        assembled = exception.assemble(response) if info is not None else _unknown("null")
    elif isinstance(body, dict):
        name = class_name(body)
        if name is not None:
            shape = TYPED_SHAPES.get(name)
            data = body.get("__data__")
            if shape is None:
                assembled = _unknown(as_str(body.get("__type__")) or name)
            else:
                ctx = BodyContext(
                    name, [data if isinstance(data, dict) else {}], False, streaming, status, url, times
                )
                assembled = shape.assemble(ctx)
        else:
            shape = plain_dict_shape(url, body)
            if shape is None and status is not None and status >= 400:
                shape = _raw_http_request_shape(url, {}) or rerank
            if shape is None:
                assembled = _unknown("object")
            else:
                assembled = shape.assemble(BodyContext("dict", [body], False, streaming, status, url, times))
    elif isinstance(body, list):
        if not body:
            assembled = _empty_list_shape(request)
        elif all(isinstance(line, str) for line in body):
            shape = sse_shape(url, body)
            if shape is None:
                assembled = _unknown("list of strings")
            else:
                assembled = shape.assemble(BodyContext("sse", body, True, streaming, status, url, times))
        else:
            name = next((n for n in map(class_name, body) if n is not None), None)
            if name is not None:
                shape = TYPED_SHAPES.get(name)
                if shape is None:
                    first = next(i for i in body if class_name(i) == name)
                    assembled = _unknown(as_str(first.get("__type__")) or name)
                else:
                    items = [d for d in _unwrap(body) if isinstance(d, dict)]
                    assembled = shape.assemble(BodyContext(name, items, True, streaming, status, url, times))
            else:
                dicts = [item for item in body if isinstance(item, dict)]
                shape = plain_dict_shape(url, dicts[0]) if dicts else None
                if shape is genai:
                    assembled = genai.assemble(
                        BodyContext("dict", dicts, True, streaming, status, url, times)
                    )
                else:
                    assembled = _unknown("list")
    else:
        raise RecordingError(f"response.body: expected a list or object, got {_type_label(body)}")

    result = assembled.response
    if status is not None and result.status is None:
        result.status = status
    if info is not None and result.exception is None:
        result.exception = info
    return assembled


def assemble_openai_stream(
    chunk_dicts: list[dict], times: list[float] | None = None
) -> tuple[Response, list[Event]]:
    """Plain (un-wrapped) chat or completion chunk dicts, e.g. `chunk.model_dump(mode="json")`."""
    is_completion = any(
        isinstance(c, dict) and (c.get("object") == "text_completion" or _has_text_choice(c))
        for c in chunk_dicts
    )
    if is_completion:
        ctx = BodyContext("Completion", chunk_dicts, True, True, None, "", times)
        assembled = openai_completion.assemble(ctx)
        return assembled.response, assembled.timeline
    return openai_chat.assemble_stream(chunk_dicts, times)


def assemble_openai_response(obj: dict) -> tuple[Response, list[Event]]:
    """A plain non-streamed chat completion or completion dict."""
    name = (
        "Completion" if obj.get("object") == "text_completion" or _has_text_choice(obj) else "ChatCompletion"
    )
    shape = openai_completion if name == "Completion" else openai_chat
    assembled = shape.assemble(BodyContext(name, [obj], False, False, None, "", None))
    return assembled.response, assembled.timeline


def _has_text_choice(chunk: dict) -> bool:
    choices = chunk.get("choices")
    return isinstance(choices, list) and any(
        isinstance(c, dict) and "text" in c and "delta" not in c and "message" not in c for c in choices
    )
