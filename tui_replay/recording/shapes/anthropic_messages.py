"""Anthropic Messages API via raw HTTP (`payload`): JSON body, or SSE lines when streamed."""

from __future__ import annotations

from typing import Any

from tui_replay.recording.model import ContentPart, Event, EventKind, Kind, Message, Response, ToolCall, Usage
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    RequestParts,
    as_dict,
    as_int,
    as_list,
    as_str,
    compact_json,
    error_assembled,
    error_from_body,
    first_item,
    fix_surrogates,
    image_placeholder,
    join_parts,
    message_from_text,
    new_tool_call,
    nonempty_str,
    parse_sse,
    single_timeline,
    tool_spec,
)

KIND = Kind.MESSAGES


def _block_text(content: Any) -> str:
    """tool_result content: a string or a list of blocks."""
    if isinstance(content, str):
        return content
    return join_parts(_blocks(content)[0])


def _is_tool_use(block_type: Any) -> bool:
    """A call block: the caller's `tool_use`, or a server-side one (`server_tool_use`, `mcp_tool_use`)."""
    return isinstance(block_type, str) and block_type.endswith("tool_use")


def _blocks(content: Any) -> tuple[list[ContentPart], list[ToolCall], list[Message], list[str]]:
    """Content blocks as (parts, tool calls, tool-result messages, thinking texts)."""
    if isinstance(content, str):
        return [ContentPart("text", content)] if content else [], [], [], []
    parts: list[ContentPart] = []
    calls: list[ToolCall] = []
    results: list[Message] = []
    thinking: list[str] = []
    for block in as_list(content):
        block = as_dict(block)
        block_type = as_str(block.get("type")) or ""
        if block_type == "text":
            parts.append(ContentPart("text", as_str(block.get("text")) or ""))
        elif block_type == "thinking":
            thinking.append(as_str(block.get("thinking")) or "")
        elif block_type == "redacted_thinking":
            thinking.append("[redacted thinking]")
        elif _is_tool_use(block_type):
            calls.append(
                new_tool_call(
                    len(calls), block.get("id"), block.get("name"), compact_json(block.get("input", {}))
                )
            )
        elif block_type.endswith("tool_result"):  # also server-side: mcp_, web_search_, ...
            text = _block_text(block.get("content"))
            results.append(
                Message(
                    role="tool",
                    text=text,
                    parts=[ContentPart("tool_result", text)],
                    tool_call_id=nonempty_str(block.get("tool_use_id")),
                )
            )
        elif block_type == "image":
            source = as_dict(block.get("source"))
            data = source.get("data") if source.get("type") == "base64" else source.get("url")
            parts.append(ContentPart("image", image_placeholder(data, as_str(source.get("media_type")))))
        else:
            parts.append(ContentPart("other", f"[{block_type or 'block'}]"))
    return parts, calls, results, thinking


def parse_message(raw: Any) -> list[Message]:
    raw = as_dict(raw)
    role = as_str(raw.get("role")) or "unknown"
    parts, calls, results, thinking = _blocks(raw.get("content"))
    messages = results  # tool results answer the previous assistant turn: show them first
    if parts or calls or thinking or not results:
        messages = [
            *results,
            Message(
                role=role,
                text=join_parts(parts),
                parts=parts,
                tool_calls=calls,
                reasoning="".join(thinking) or None,
            ),
        ]
    return messages


def parse_request(payload: dict) -> RequestParts:
    messages: list[Message] = []
    system = payload.get("system")
    system_text = system if isinstance(system, str) else join_parts(_blocks(system)[0])
    if system_text:
        messages.append(message_from_text("system", system_text))
    for raw in as_list(payload.get("messages")):
        messages.extend(parse_message(raw))
    tools = [
        tool_spec(as_dict(t).get("name"), as_dict(t).get("description"), as_dict(t).get("input_schema"))
        for t in as_list(payload.get("tools"))
    ]
    return RequestParts(
        messages=messages,
        tools=tools,
        params={k: v for k, v in payload.items() if k not in ("messages", "system", "tools", "model")},
        model=nonempty_str(payload.get("model")),
    )


def _usage(raw: Any, previous: Usage | None = None) -> Usage | None:
    usage = as_dict(raw)
    prompt = as_int(usage.get("input_tokens"))
    completion = as_int(usage.get("output_tokens"))
    if prompt is None and completion is None:
        return None
    if previous is not None:  # message_delta may report output only
        prompt = prompt if prompt is not None else previous.prompt_tokens
    total = prompt + completion if prompt is not None and completion is not None else None
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)


def _assemble_body(data: dict, status: int | None) -> Assembled:
    if data.get("type") == "error" or (status is not None and status >= 400):
        return error_assembled(KIND, data, status)
    parts, calls, _, thinking = _blocks(data.get("content"))
    response = Response(
        text=fix_surrogates("".join(p.text for p in parts if p.type == "text")),
        reasoning=fix_surrogates("".join(thinking)),
        tool_calls=calls,
        finish_reason=nonempty_str(data.get("stop_reason")),
        usage=_usage(data.get("usage")),
        status=status,
        model=nonempty_str(data.get("model")),
    )
    return Assembled(KIND, response, single_timeline(response))


def _assemble_sse(lines: list) -> Assembled:
    items = parse_sse(lines)
    text: list[str] = []
    thinking: list[str] = []
    calls: dict[int, ToolCall] = {}  # by block index
    pieces: dict[int, list[str]] = {}
    start_input: dict[int, Any] = {}
    events: list[Event] = []
    finish = usage = model = exception = None
    for number, (_, data) in enumerate(items):
        data = as_dict(data)
        kind = data.get("type")
        if kind == "message_start":
            message = as_dict(data.get("message"))
            model = nonempty_str(message.get("model"))
            start_usage = _usage(message.get("usage"))
            if start_usage is not None:
                usage = start_usage
                events.append(Event(number, EventKind.USAGE, usage=start_usage))
        elif kind == "content_block_start":
            block = as_dict(data.get("content_block"))
            index = as_int(data.get("index")) or 0
            if _is_tool_use(block.get("type")):
                call = calls[index] = ToolCall(
                    index=len(calls),
                    id=nonempty_str(block.get("id")),
                    name=as_str(block.get("name")) or "",
                    arguments="",
                )
                pieces[index] = []
                start_input[index] = block.get("input")
                events.append(
                    Event(
                        number,
                        EventKind.TOOL_CALL,
                        "",
                        tool_index=call.index,
                        tool_id=call.id,
                        tool_name=call.name,
                    )
                )
            elif isinstance(block.get("text"), str) and block["text"]:
                text.append(block["text"])
                events.append(Event(number, EventKind.TEXT, block["text"]))
        elif kind == "content_block_delta":
            delta = as_dict(data.get("delta"))
            delta_type = delta.get("type")
            index = as_int(data.get("index")) or 0
            if delta_type == "text_delta" and isinstance(delta.get("text"), str):
                text.append(delta["text"])
                events.append(Event(number, EventKind.TEXT, delta["text"]))
            elif delta_type == "thinking_delta" and isinstance(delta.get("thinking"), str):
                thinking.append(delta["thinking"])
                events.append(Event(number, EventKind.REASONING, delta["thinking"]))
            elif delta_type == "input_json_delta" and isinstance(delta.get("partial_json"), str):
                if index not in calls:  # a delta with no start: open the call anyway
                    calls[index] = ToolCall(index=len(calls), id=None, name="", arguments="")
                    pieces[index] = []
                pieces[index].append(delta["partial_json"])
                events.append(
                    Event(number, EventKind.TOOL_CALL, delta["partial_json"], tool_index=calls[index].index)
                )
        elif kind == "message_delta":
            reason = nonempty_str(as_dict(data.get("delta")).get("stop_reason"))
            if reason:
                finish = reason
                events.append(Event(number, EventKind.FINISH, finish_reason=reason))
            delta_usage = _usage(data.get("usage"), usage)
            if delta_usage is not None:
                usage = delta_usage
                events.append(Event(number, EventKind.USAGE, usage=delta_usage))
        elif kind == "error":
            exception = error_from_body(data, None)
    for index, call in calls.items():
        joined = "".join(pieces[index])
        initial = start_input.get(index)
        # Input given whole in the start block (no deltas) is the input, even `{}`.
        call.arguments = joined if joined or initial is None else compact_json(initial)
    response = Response(
        text=fix_surrogates("".join(text)),
        reasoning=fix_surrogates("".join(thinking)),
        tool_calls=[calls[i] for i in sorted(calls)],
        finish_reason=finish,
        usage=usage,
        chunks=len(items),
        exception=exception,
        model=model,
    )
    return Assembled(KIND, response, events)


def assemble(ctx: BodyContext) -> Assembled:
    if ctx.is_list:
        return _assemble_sse(ctx.items)
    return _assemble_body(first_item(ctx), ctx.status)
