"""OpenAI legacy text completions (`Completion`, streamed as a list or one body)."""

from __future__ import annotations

from typing import Any

from tui_replay.recording.model import Kind
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    ItemTimeline,
    RequestParts,
    as_dict,
    as_int,
    as_list,
    chunk_time,
    compact_json,
    message_from_text,
    nonempty_str,
    openai_usage,
)

KIND = Kind.COMPLETION
TYPE_NAMES = ("Completion",)


def prompt_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return "\n".join(prompt)
    return "" if prompt is None else compact_json(prompt)


def parse_request(body: dict) -> RequestParts:
    messages = []
    system = nonempty_str(body.get("system"))
    if system:
        messages.append(message_from_text("system", system))
    text = prompt_text(body.get("prompt"))
    if text or "prompt" in body:
        messages.append(message_from_text("user", text))
    return RequestParts(
        messages=messages,
        params={k: v for k, v in body.items() if k not in ("prompt", "model", "system")},
        model=nonempty_str(body.get("model")),
    )


def _choice_zero(data: dict) -> dict:
    for choice in as_list(data.get("choices")):
        if isinstance(choice, dict) and as_int(choice.get("index")) in (0, None):
            return choice
    return {}


def assemble(ctx: BodyContext) -> Assembled:
    items = [i for i in ctx.items if isinstance(i, dict)]
    got = ItemTimeline()
    for number, data in enumerate(items):
        at = chunk_time(ctx.times, number)
        chunk = number if ctx.is_list else 0
        got.model = got.model or nonempty_str(data.get("model"))
        choice = _choice_zero(data)
        piece = choice.get("text")
        if isinstance(piece, str) and piece:
            got.add_text(chunk, piece, at)
        reason = nonempty_str(choice.get("finish_reason"))
        if reason:
            got.set_finish(chunk, reason, at)
        got.set_usage(chunk, openai_usage(as_dict(data).get("usage")), at)
    return Assembled(KIND, got.response(len(items) if ctx.is_list else 0), got.events)
