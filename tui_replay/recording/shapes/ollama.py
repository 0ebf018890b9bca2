"""Ollama native API: /api/generate (`GenerateResponse`), /api/chat (`ChatResponse`), /api/pull."""

from __future__ import annotations

from tui_replay.recording.model import ContentPart, Kind, Response, Usage
from tui_replay.recording.shapes import openai_completion
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
    image_placeholder,
    join_parts,
    nonempty_str,
    usage_or_none,
)

TYPE_NAMES = ("GenerateResponse", "ChatResponse", "ProgressResponse")


def parse_generate_request(body: dict) -> RequestParts:
    parts = openai_completion.parse_request(body)
    images = [ContentPart(type="image", text=image_placeholder(i)) for i in as_list(body.get("images"))]
    if images:
        user = next((m for m in parts.messages if m.role == "user"), None)
        if user is not None:
            user.parts.extend(images)
            user.text = join_parts(user.parts)
    parts.params.pop("images", None)
    return parts


def _usage(data: dict) -> Usage | None:
    prompt = as_int(data.get("prompt_eval_count"))
    completion = as_int(data.get("eval_count"))
    total = prompt + completion if prompt is not None and completion is not None else None
    return usage_or_none(prompt, completion, total)


def assemble(ctx: BodyContext) -> Assembled:
    items = [i for i in ctx.items if isinstance(i, dict)]
    if ctx.type_name == "ProgressResponse":
        last = items[-1] if items else {}
        summary = {
            "status": as_str(last.get("status")),
            "completed": last.get("completed"),
            "total": last.get("total"),
        }
        return Assembled(Kind.MODELS, Response(summary=summary, chunks=len(items) if ctx.is_list else 0), [])
    chat = ctx.type_name == "ChatResponse"
    got = ItemTimeline()
    for number, data in enumerate(items):
        chunk = number if ctx.is_list else 0
        at = chunk_time(ctx.times, number)
        got.model = got.model or nonempty_str(data.get("model"))
        source = as_dict(data.get("message")) if chat else data
        piece = source.get("content") if chat else source.get("response")
        thought = source.get("thinking")
        if isinstance(thought, str) and thought:
            got.add_text(chunk, thought, at, thought=True)
        if isinstance(piece, str) and piece:
            got.add_text(chunk, piece, at)
        for raw in as_list(source.get("tool_calls")):
            function = as_dict(as_dict(raw).get("function"))
            got.add_call(chunk, as_dict(raw).get("id"), function.get("name"), function.get("arguments"), at)
        reason = nonempty_str(data.get("done_reason"))
        if reason and data.get("done") is not False:
            got.set_finish(chunk, reason, at)
        got.set_usage(chunk, _usage(data), at)
    response = got.response(len(items) if ctx.is_list else 0)
    return Assembled(Kind.CHAT if chat else Kind.GENERATE, response, got.events)
