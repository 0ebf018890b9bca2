"""Gemini Interactions API via raw HTTP (`payload`): JSON body, or SSE lines when streamed."""

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
    tool_call_event,
    tool_spec,
    usage_or_none,
)

KIND = Kind.INTERACTIONS


# Where a function call's arguments and a function result's content can be: the Interactions
# names first, then the genai-style ones some clients send (`args`, `response`).
_ARGUMENT_KEYS = ("arguments", "args")
_RESULT_KEYS = ("result", "response", "output", "content")


def _first_present(item: dict, keys: tuple[str, ...]) -> tuple[bool, Any]:
    for key in keys:
        if key in item:
            return True, item[key]
    return False, None


def _function_call(item: dict, index: int) -> ToolCall:
    """A `function_call` input part: flat, or with the call nested under `function_call`."""
    nested = as_dict(item.get("function_call"))
    found, arguments = _first_present(item, _ARGUMENT_KEYS)
    if not found:
        found, arguments = _first_present(nested, _ARGUMENT_KEYS)
    return new_tool_call(
        index,
        item.get("id") or item.get("call_id") or nested.get("id"),
        item.get("name") or nested.get("name"),
        arguments if found else {},
    )


def _function_result(item: dict) -> Message:
    """A `function_result` / `function_response` input part as the role=tool message it answers with."""
    nested = as_dict(item.get("function_response"))
    found, result = _first_present(item, _RESULT_KEYS)
    if not found:
        found, result = _first_present(nested, _RESULT_KEYS)
    text = result if isinstance(result, str) else compact_json(result) if found else ""
    return Message(
        role="tool",
        text=text,
        parts=[ContentPart("tool_result", text)],
        tool_call_id=nonempty_str(item.get("call_id"))
        or nonempty_str(item.get("id"))
        or nonempty_str(nested.get("id")),
        name=nonempty_str(item.get("name")) or nonempty_str(nested.get("name")),
    )


def _contents(content: Any, role: str) -> list[Message]:
    if isinstance(content, str):
        return [message_from_text(role, content)]
    parts: list[ContentPart] = []
    calls: list[ToolCall] = []
    results: list[Message] = []
    for item in as_list(content) if isinstance(content, list) else [content]:
        item = as_dict(item)
        item_type = as_str(item.get("type")) or ""
        if item_type == "text":
            parts.append(ContentPart("text", as_str(item.get("text")) or ""))
        elif item_type == "function_call":
            calls.append(_function_call(item, len(calls)))
        elif item_type in ("function_result", "function_response"):
            results.append(_function_result(item))
        elif item_type == "image":
            data = item.get("data") if "data" in item else item.get("uri")
            parts.append(ContentPart("image", image_placeholder(data, as_str(item.get("mime_type")))))
        elif item_type == "thought":
            continue  # only an opaque signature
        else:
            parts.append(ContentPart("other", f"[{item_type or 'content'}]"))
    messages: list[Message] = []
    if parts or calls or not results:
        messages.append(Message(role=role, text=join_parts(parts), parts=parts, tool_calls=calls))
    return messages + results


def parse_tools(raw_tools: Any) -> list:
    tools = []
    for tool in as_list(raw_tools):
        tool = as_dict(tool)
        if "function_declarations" in tool:
            for decl in as_list(tool.get("function_declarations")):
                decl = as_dict(decl)
                tools.append(tool_spec(decl.get("name"), decl.get("description"), decl.get("parameters")))
        elif isinstance(tool.get("function"), dict):
            function = tool["function"]
            tools.append(
                tool_spec(function.get("name"), function.get("description"), function.get("parameters"))
            )
        else:
            tools.append(
                tool_spec(
                    tool.get("name") or tool.get("type"), tool.get("description"), tool.get("parameters")
                )
            )
    return tools


def parse_request(payload: dict) -> RequestParts:
    messages: list[Message] = []
    system = payload.get("system_instruction")
    if isinstance(system, str) and system:
        messages.append(message_from_text("system", system))
    raw_input = payload.get("input")
    if (
        isinstance(raw_input, list)
        and raw_input
        and all(isinstance(t, dict) and "role" in t for t in raw_input)
    ):
        for turn in raw_input:
            role = as_str(turn.get("role")) or "user"
            messages.extend(_contents(turn.get("content"), "assistant" if role == "model" else role))
    elif raw_input is not None:
        messages.extend(_contents(raw_input, "user"))
    return RequestParts(
        messages=messages,
        tools=parse_tools(payload.get("tools")),
        params={
            k: v for k, v in payload.items() if k not in ("input", "tools", "model", "system_instruction")
        },
        model=nonempty_str(payload.get("model")),
    )


def _usage(raw: Any) -> Usage | None:
    usage = as_dict(raw)
    prompt = as_int(usage.get("total_input_tokens"))
    completion = as_int(usage.get("total_output_tokens"))
    return usage_or_none(prompt, completion, as_int(usage.get("total_tokens")))


def _assemble_body(data: dict, status: int | None) -> Assembled:
    if "error" in data or (status is not None and status >= 400):
        return error_assembled(KIND, data, status)
    text: list[str] = []
    calls: list[ToolCall] = []
    for output in as_list(data.get("outputs")):
        output = as_dict(output)
        if output.get("type") == "text" and isinstance(output.get("text"), str):
            text.append(output["text"])
        elif output.get("type") == "function_call":
            calls.append(
                new_tool_call(len(calls), output.get("id"), output.get("name"), output.get("arguments", {}))
            )
    response = Response(
        text=fix_surrogates("".join(text)),
        tool_calls=calls,
        finish_reason=nonempty_str(data.get("status")),
        usage=_usage(data.get("usage")),
        status=status,
        model=nonempty_str(data.get("model")),
    )
    return Assembled(KIND, response, single_timeline(response))


def _assemble_sse(lines: list) -> Assembled:
    items = parse_sse(lines)
    text_by_index: dict[int, list[str]] = {}
    calls: list[ToolCall] = []
    events: list[Event] = []
    finish = usage = model = exception = None
    for number, (_, data) in enumerate(items):
        if not isinstance(data, dict):
            continue  # "[DONE]"
        event_type = data.get("event_type")
        if event_type == "content.delta":
            delta = as_dict(data.get("delta"))
            index = as_int(data.get("index")) or 0
            if delta.get("type") == "text" and isinstance(delta.get("text"), str):
                text_by_index.setdefault(index, []).append(delta["text"])
                events.append(Event(number, EventKind.TEXT, delta["text"]))
            elif delta.get("type") == "function_call":
                call = new_tool_call(
                    len(calls), delta.get("id"), delta.get("name"), delta.get("arguments", {})
                )
                calls.append(call)
                events.append(tool_call_event(number, call))
        elif event_type in ("interaction.start", "interaction.complete"):
            interaction = as_dict(data.get("interaction"))
            model = nonempty_str(interaction.get("model")) or model
            if event_type == "interaction.complete":
                finish = nonempty_str(interaction.get("status"))
                if finish:
                    events.append(Event(number, EventKind.FINISH, finish_reason=finish))
                usage = _usage(interaction.get("usage"))
                if usage is not None:
                    events.append(Event(number, EventKind.USAGE, usage=usage))
        elif event_type == "error" or "error" in data:
            exception = error_from_body(data, None)
    response = Response(
        text=fix_surrogates("".join("".join(text_by_index[i]) for i in sorted(text_by_index))),
        tool_calls=calls,
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
