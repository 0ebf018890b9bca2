"""OpenAI legacy text completions (`Completion`, streamed as a list or one body)."""

from __future__ import annotations

from typing import Any

from tui_replay.recording.model import Event, EventKind, Kind, Response
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    RequestParts,
    as_dict,
    as_int,
    as_list,
    chunk_time,
    compact_json,
    fix_surrogates,
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
    text: list[str] = []
    events: list[Event] = []
    finish = usage = model = None
    for number, data in enumerate(items):
        at = chunk_time(ctx.times, number)
        chunk = number if ctx.is_list else 0
        model = model or nonempty_str(data.get("model"))
        choice = _choice_zero(data)
        piece = choice.get("text")
        if isinstance(piece, str) and piece:
            text.append(piece)
            events.append(Event(chunk=chunk, kind=EventKind.TEXT, text=piece, at=at))
        reason = nonempty_str(choice.get("finish_reason"))
        if reason:
            finish = reason
            events.append(Event(chunk=chunk, kind=EventKind.FINISH, finish_reason=reason, at=at))
        chunk_usage = openai_usage(as_dict(data).get("usage"))
        if chunk_usage is not None:
            usage = chunk_usage
            events.append(Event(chunk=chunk, kind=EventKind.USAGE, usage=chunk_usage, at=at))
    response = Response(
        text=fix_surrogates("".join(text)),
        finish_reason=finish,
        usage=usage,
        chunks=len(items) if ctx.is_list else 0,
        model=model,
    )
    return Assembled(KIND, response, events)
