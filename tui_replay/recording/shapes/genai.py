"""Google genai `generate_content(_stream)`: plain dicts (not wrapped), `None` fields left out."""

from __future__ import annotations

from typing import Any

from tui_replay.recording.model import ContentPart, Kind, Message, ToolCall, Usage
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    ItemTimeline,
    RequestParts,
    as_dict,
    as_int,
    as_list,
    as_str,
    chunk_time,
    compact_json,
    image_placeholder,
    join_parts,
    message_from_text,
    new_tool_call,
    nonempty_str,
    tool_spec,
    usage_or_none,
)

KIND = Kind.GEMINI


def _role(raw: Any) -> str:
    role = as_str(raw) or "user"
    return "assistant" if role == "model" else role


def _content_message(content: Any) -> list[Message]:
    """One genai Content; function responses become their own role=tool messages."""
    content = as_dict(content)
    role = _role(content.get("role"))
    parts: list[ContentPart] = []
    calls: list[ToolCall] = []
    reasoning: list[str] = []
    results: list[Message] = []
    for part in as_list(content.get("parts")):
        part = as_dict(part)
        if "function_call" in part:
            call = as_dict(part.get("function_call"))
            calls.append(
                new_tool_call(
                    len(calls), call.get("id"), call.get("name"), compact_json(call.get("args", {}))
                )
            )
        elif "function_response" in part:
            result = as_dict(part.get("function_response"))
            text = compact_json(result.get("response"))
            results.append(
                Message(
                    role="tool",
                    text=text,
                    parts=[ContentPart(type="text", text=text)],
                    tool_call_id=nonempty_str(result.get("id")),
                    name=nonempty_str(result.get("name")),
                )
            )
        elif isinstance(part.get("text"), str):
            if part.get("thought") is True:
                reasoning.append(part["text"])
            else:
                parts.append(ContentPart(type="text", text=part["text"]))
        elif "inline_data" in part:
            blob = as_dict(part.get("inline_data"))
            parts.append(
                ContentPart(
                    type="image", text=image_placeholder(blob.get("data"), as_str(blob.get("mime_type")))
                )
            )
        elif "file_data" in part:
            uri = as_str(as_dict(part.get("file_data")).get("file_uri")) or "file"
            parts.append(ContentPart(type="other", text=f"[file: {uri}]"))
        else:
            parts.append(ContentPart(type="other", text=f"[{next(iter(part), 'part')}]"))
    messages = []
    if parts or calls or reasoning or not results:
        messages.append(
            Message(
                role=role,
                text=join_parts(parts),
                parts=parts,
                tool_calls=calls,
                reasoning="".join(reasoning) or None,
            )
        )
    return messages + results


def _system_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return join_parts(
            [ContentPart("text", as_str(as_dict(p).get("text")) or "") for p in as_list(value.get("parts"))]
        )
    if isinstance(value, list):
        return "\n".join(v if isinstance(v, str) else _system_text(v) for v in value)
    return ""


def parse_tools(raw_tools: Any) -> list:
    tools = []
    for tool in as_list(raw_tools):
        for decl in as_list(as_dict(tool).get("function_declarations")):
            decl = as_dict(decl)
            schema = decl.get("parameters_json_schema", decl.get("parameters"))
            tools.append(tool_spec(decl.get("name"), decl.get("description"), schema))
    return tools


def parse_request(body: dict) -> RequestParts:
    config = as_dict(body.get("config"))
    messages: list[Message] = []
    system = _system_text(config.get("system_instruction"))
    if system:
        messages.append(message_from_text("system", system))
    contents = body.get("contents")
    if isinstance(contents, str):
        messages.append(Message(role="user", text=contents, parts=[ContentPart("text", contents)]))
    else:
        for content in as_list(contents):
            if isinstance(content, str):
                messages.append(Message(role="user", text=content, parts=[ContentPart("text", content)]))
            else:
                messages.extend(_content_message(content))
    params = {k: v for k, v in body.items() if k not in ("contents", "model", "config")}
    params.update({k: v for k, v in config.items() if k not in ("tools", "system_instruction")})
    return RequestParts(
        messages=messages,
        tools=parse_tools(config.get("tools")),
        params=params,
        model=nonempty_str(body.get("model")),
    )


def _usage(data: dict) -> Usage | None:
    meta = as_dict(data.get("usage_metadata"))
    prompt = as_int(meta.get("prompt_token_count"))
    completion = as_int(meta.get("candidates_token_count"))
    return usage_or_none(prompt, completion, as_int(meta.get("total_token_count")))


def assemble(ctx: BodyContext) -> Assembled:
    items = [i for i in ctx.items if isinstance(i, dict)]
    got = ItemTimeline()
    for number, data in enumerate(items):
        chunk = number if ctx.is_list else 0
        at = chunk_time(ctx.times, number)
        got.model = got.model or nonempty_str(data.get("model_version"))
        candidate = as_dict(next(iter(as_list(data.get("candidates"))), {}))
        for part in as_list(as_dict(candidate.get("content")).get("parts")):
            part = as_dict(part)
            piece = part.get("text")
            if isinstance(piece, str) and piece:
                got.add_text(chunk, piece, at, thought=part.get("thought") is True)
            if "function_call" in part:
                raw = as_dict(part.get("function_call"))
                got.add_call(chunk, raw.get("id"), raw.get("name"), compact_json(raw.get("args", {})), at)
        reason = nonempty_str(candidate.get("finish_reason"))
        if reason:
            got.set_finish(chunk, reason, at)
        got.set_usage(chunk, _usage(data), at)
    return Assembled(KIND, got.response(len(items) if ctx.is_list else 0), got.events)
