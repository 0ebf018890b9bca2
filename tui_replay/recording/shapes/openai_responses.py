"""OpenAI Responses API (`/v1/responses`): a JSON `response` object, or its streamed SSE events.

The answer is the `output_text` of the message items, the reasoning the summary (or
reasoning text) of the reasoning items, the tool calls the `function_call` items (arguments
joined from `response.function_call_arguments.delta` events when streamed). Responses have
no finish reason: the response's `status` stands for it, or the reason it is incomplete.
"""

from __future__ import annotations

from typing import Any

from tui_replay.recording.model import ContentPart, Event, EventKind, Kind, Message, Response, ToolCall
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    RequestParts,
    as_dict,
    as_int,
    as_list,
    as_str,
    error_assembled,
    error_from_body,
    first_item,
    fix_surrogates,
    join_parts,
    message_from_text,
    new_tool_call,
    nonempty_str,
    openai_usage,
    parse_sse,
    single_timeline,
)
from tui_replay.recording.shapes.openai_chat import content_parts, parse_tools

KIND = Kind.RESPONSES
_CALL_ITEMS = ("function_call", "custom_tool_call")
_NOT_PARAMS = {"input", "instructions", "tools", "model"}


# ---------------------------------------------------------------- request side


def _call_arguments(item: dict) -> Any:
    return item.get("arguments") if item.get("type") == "function_call" else item.get("input")


def _input_messages(raw_input: Any) -> list[Message]:
    """`input`: a string, or items (messages, function calls and their outputs, reasoning)."""
    if isinstance(raw_input, str):
        return [message_from_text("user", raw_input)]
    messages: list[Message] = []
    for item in as_list(raw_input):
        item = as_dict(item)
        item_type = as_str(item.get("type")) or "message"
        if item_type in _CALL_ITEMS:
            # Calls follow the assistant turn that made them: merge into it.
            if not messages or messages[-1].role != "assistant":
                messages.append(Message(role="assistant", text=""))
            calls = messages[-1].tool_calls
            calls.append(
                new_tool_call(len(calls), item.get("call_id"), item.get("name"), _call_arguments(item))
            )
        elif item_type in ("function_call_output", "custom_tool_call_output"):
            output = item.get("output")
            parts = content_parts(output) if isinstance(output, list) else content_parts(str(output or ""))
            text = join_parts(parts)
            messages.append(
                Message(
                    role="tool",
                    text=text,
                    parts=[ContentPart("tool_result", text)],
                    tool_call_id=nonempty_str(item.get("call_id")),
                )
            )
        elif item_type == "reasoning":
            reasoning = _reasoning_text(item)
            if reasoning:
                messages.append(Message(role="assistant", text="", reasoning=reasoning))
        elif item_type == "message":
            parts = content_parts(item.get("content"))
            messages.append(
                Message(role=as_str(item.get("role")) or "user", text=join_parts(parts), parts=parts)
            )
        else:  # a built-in tool's call or result (web search, file search, ...)
            messages.append(message_from_text("tool", f"[{item_type}]"))
    return messages


def parse_request(payload: dict) -> RequestParts:
    messages: list[Message] = []
    instructions = payload.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.append(message_from_text("system", instructions))
    messages.extend(_input_messages(payload.get("input")))
    return RequestParts(
        messages=messages,
        tools=parse_tools(payload.get("tools")),
        params={k: v for k, v in payload.items() if k not in _NOT_PARAMS},
        model=nonempty_str(payload.get("model")),
    )


# --------------------------------------------------------------- response side


def _reasoning_text(item: dict) -> str:
    pieces = [as_str(as_dict(part).get("text")) or "" for part in as_list(item.get("summary"))]
    if not any(pieces):
        pieces = [as_str(as_dict(part).get("text")) or "" for part in as_list(item.get("content"))]
    return "".join(pieces)


def _message_text(item: dict) -> str:
    pieces = []
    for part in as_list(item.get("content")):
        part = as_dict(part)
        if part.get("type") == "output_text":
            pieces.append(as_str(part.get("text")) or "")
        elif part.get("type") == "refusal":
            pieces.append(as_str(part.get("refusal")) or "")
    return "".join(pieces)


def _finish(response: dict) -> str | None:
    reason = nonempty_str(as_dict(response.get("incomplete_details")).get("reason"))
    return reason or nonempty_str(response.get("status"))


def _assemble_body(data: dict, status: int | None) -> Assembled:
    if (status is not None and status >= 400) or (
        isinstance(data.get("error"), dict) and not data.get("output")
    ):
        return error_assembled(KIND, data, status)
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    for item in as_list(data.get("output")):
        item = as_dict(item)
        item_type = item.get("type")
        if item_type == "message":
            text.append(_message_text(item))
        elif item_type == "reasoning":
            reasoning.append(_reasoning_text(item))
        elif item_type in _CALL_ITEMS:
            calls.append(
                new_tool_call(len(calls), item.get("call_id"), item.get("name"), _call_arguments(item))
            )
    response = Response(
        text=fix_surrogates("".join(text)),
        reasoning=fix_surrogates("".join(reasoning)),
        tool_calls=calls,
        finish_reason=_finish(data),
        usage=openai_usage(data.get("usage")),
        status=status,
        model=nonempty_str(data.get("model")),
    )
    return Assembled(KIND, response, single_timeline(response))


_TEXT_DELTAS = {
    "response.output_text.delta": EventKind.TEXT,
    "response.refusal.delta": EventKind.TEXT,
    "response.reasoning_summary_text.delta": EventKind.REASONING,
    "response.reasoning_text.delta": EventKind.REASONING,
}
_ENDS = ("response.completed", "response.incomplete", "response.failed")


def _assemble_sse(lines: list) -> Assembled:
    items = parse_sse(lines)
    pieces: dict[EventKind, list[str]] = {EventKind.TEXT: [], EventKind.REASONING: []}
    calls: dict[Any, ToolCall] = {}  # by output_index (item id when there is none)
    arguments: dict[Any, list[str]] = {}
    events: list[Event] = []
    finish = usage = model = exception = None
    for number, (name, data) in enumerate(items):
        data = as_dict(data)
        kind = as_str(data.get("type")) or name
        item = as_dict(data.get("item"))
        key = as_int(data.get("output_index"))
        if key is None:
            key = as_str(data.get("item_id")) or as_str(item.get("id"))
        if kind in _TEXT_DELTAS:
            delta = data.get("delta")
            if isinstance(delta, str) and delta:
                pieces[_TEXT_DELTAS[kind]].append(delta)
                events.append(Event(number, _TEXT_DELTAS[kind], delta))
        elif kind == "response.output_item.added" and item.get("type") in _CALL_ITEMS:
            call = calls[key] = ToolCall(
                index=len(calls),
                id=nonempty_str(item.get("call_id")),
                name=as_str(item.get("name")) or "",
                arguments="",
            )
            arguments[key] = []
            start = as_str(_call_arguments(item)) or ""
            if start:
                arguments[key].append(start)
            events.append(
                Event(
                    number,
                    EventKind.TOOL_CALL,
                    start,
                    tool_index=call.index,
                    tool_id=call.id,
                    tool_name=call.name,
                )
            )
        elif kind in ("response.function_call_arguments.delta", "response.custom_tool_call_input.delta"):
            delta = as_str(data.get("delta")) or ""
            if key not in calls:  # a delta with no item: open the call anyway
                calls[key] = ToolCall(index=len(calls), id=None, name="", arguments="")
                arguments[key] = []
            if delta:
                arguments[key].append(delta)
                events.append(Event(number, EventKind.TOOL_CALL, delta, tool_index=calls[key].index))
        elif kind == "response.output_item.done" and item.get("type") in _CALL_ITEMS and key in calls:
            final = as_str(_call_arguments(item))
            if final and not "".join(arguments[key]):  # no deltas: the whole arguments arrive here
                arguments[key].append(final)
                events.append(Event(number, EventKind.TOOL_CALL, final, tool_index=calls[key].index))
        elif kind in ("response.created", "response.in_progress") or kind in _ENDS:
            response = as_dict(data.get("response"))
            model = nonempty_str(response.get("model")) or model
            if kind in _ENDS:
                finish = _finish(response) or finish
                if finish:
                    events.append(Event(number, EventKind.FINISH, finish_reason=finish))
                found = openai_usage(response.get("usage"))
                if found is not None:
                    usage = found
                    events.append(Event(number, EventKind.USAGE, usage=found))
                if isinstance(response.get("error"), dict):
                    exception = error_from_body(response, None)
        elif kind == "error":
            exception = error_from_body(data, None)
    for key, call in calls.items():
        call.arguments = "".join(arguments[key])
    response = Response(
        text=fix_surrogates("".join(pieces[EventKind.TEXT])),
        reasoning=fix_surrogates("".join(pieces[EventKind.REASONING])),
        tool_calls=sorted(calls.values(), key=lambda call: call.index),
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
