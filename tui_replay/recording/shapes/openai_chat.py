"""OpenAI chat completions: `ChatCompletionChunk` streams and `ChatCompletion` bodies.

Also the request side shared by every OpenAI-style `messages` list (Ollama
/api/chat messages are the same shape plus `images`).
"""

from __future__ import annotations

from typing import Any

from tui_replay.recording.model import (
    ContentPart,
    Event,
    EventKind,
    Kind,
    Message,
    Response,
    ToolCall,
)
from tui_replay.recording.shapes.common import (
    Assembled,
    BodyContext,
    RequestParts,
    arguments_text,
    as_dict,
    as_int,
    as_list,
    as_str,
    chunk_time,
    compact_json,
    fix_surrogates,
    image_placeholder,
    join_parts,
    new_tool_call,
    nonempty_str,
    openai_usage,
    single_timeline,
    tool_spec,
)

KIND = Kind.CHAT
TYPE_NAMES = ("ChatCompletionChunk", "ChatCompletion")

# Body keys that are the conversation or the tool list, not call parameters.
_NOT_PARAMS = {"messages", "tools", "model", "functions"}


# ---------------------------------------------------------------- request side


def content_parts(content: Any) -> list[ContentPart]:
    """OpenAI message content (string, list of parts, or null) as ContentParts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [ContentPart(type="text", text=content)] if content else []
    if not isinstance(content, list):
        return [ContentPart(type="other", text=compact_json(content))]
    parts: list[ContentPart] = []
    for item in content:
        if isinstance(item, str):
            parts.append(ContentPart(type="text", text=item))
            continue
        item = as_dict(item)
        part_type = as_str(item.get("type")) or ""
        if part_type in ("text", "input_text", "output_text") or (not part_type and "text" in item):
            parts.append(ContentPart(type="text", text=as_str(item.get("text")) or ""))
        elif part_type in ("image_url", "input_image"):
            image = item.get("image_url")
            url = as_dict(image).get("url") if isinstance(image, dict) else image
            parts.append(ContentPart(type="image", text=image_placeholder(url)))
        elif part_type == "input_audio":
            fmt = as_str(as_dict(item.get("input_audio")).get("format")) or "audio"
            parts.append(ContentPart(type="other", text=f"[audio: {fmt}]"))
        elif part_type == "file":
            name = as_str(as_dict(item.get("file")).get("filename")) or "file"
            parts.append(ContentPart(type="other", text=f"[file: {name}]"))
        elif part_type == "refusal":
            parts.append(ContentPart(type="text", text=as_str(item.get("refusal")) or ""))
        elif part_type == "thinking":  # Mistral (Magistral): reasoning as a content part
            parts.append(ContentPart(type="thinking", text=_thinking_text(item.get("thinking"))))
        else:
            parts.append(ContentPart(type="other", text=f"[{part_type or 'part'}]"))
    return parts


def _thinking_text(value: Any) -> str:
    """A Mistral thinking part's text: a string, or a list of `{type: text, text}` chunks."""
    if isinstance(value, str):
        return value
    return "".join(as_str(as_dict(item).get("text")) or "" for item in as_list(value))


def split_thinking(parts: list[ContentPart]) -> tuple[str, str]:
    """(answer text, reasoning) of content parts: thinking parts are reasoning, not text."""
    thinking = "".join(part.text for part in parts if part.type == "thinking")
    return join_parts([part for part in parts if part.type != "thinking"]), thinking


def message_tool_calls(raw_calls: Any) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for position, raw in enumerate(as_list(raw_calls)):
        raw = as_dict(raw)
        function = as_dict(raw.get("function"))
        index = as_int(raw.get("index"))
        if index is None:
            index = as_int(function.get("index"))
        calls.append(
            new_tool_call(
                position if index is None else index,
                raw.get("id"),
                function.get("name"),
                function.get("arguments"),
            )
        )
    return calls


def parse_message(raw: Any) -> Message:
    raw = as_dict(raw)
    parts = content_parts(raw.get("content"))
    # Ollama /api/chat: images as bare base64, often with no content at all.
    for image in as_list(raw.get("images")):
        parts.append(ContentPart(type="image", text=image_placeholder(image)))
    reasoning = nonempty_str(raw.get("reasoning")) or nonempty_str(raw.get("reasoning_content"))
    reasoning = reasoning or nonempty_str(raw.get("thinking"))
    text, thinking = split_thinking(parts)
    return Message(
        role=as_str(raw.get("role")) or "unknown",
        text=text,
        parts=parts,
        tool_calls=message_tool_calls(raw.get("tool_calls")),
        tool_call_id=nonempty_str(raw.get("tool_call_id")),
        name=nonempty_str(raw.get("name")),
        reasoning=reasoning or thinking or None,
    )


def parse_tools(raw_tools: Any) -> list:
    tools = []
    for raw in as_list(raw_tools):
        raw = as_dict(raw)
        function = raw.get("function")
        if isinstance(function, dict):
            tools.append(
                tool_spec(function.get("name"), function.get("description"), function.get("parameters"))
            )
        else:
            tools.append(
                tool_spec(raw.get("name") or raw.get("type"), raw.get("description"), raw.get("parameters"))
            )
    return tools


def parse_request(body: dict) -> RequestParts:
    return RequestParts(
        messages=[parse_message(m) for m in as_list(body.get("messages"))],
        tools=parse_tools(body.get("tools")) + parse_tools(body.get("functions")),
        params={k: v for k, v in body.items() if k not in _NOT_PARAMS},
        model=nonempty_str(body.get("model")),
    )


# --------------------------------------------------------------- response side


def _choice_zero(choices: Any) -> dict | None:
    """The choice with index 0 (never `choices[0]` blindly: Azure and usage chunks have none)."""
    return _choice(choices, 0)


def _choice(choices: Any, wanted: int) -> dict | None:
    """The choice with index `wanted`; a choice without an index counts as 0."""
    if not isinstance(choices, list):
        return None
    for choice in choices:
        if isinstance(choice, dict):
            index = as_int(choice.get("index"))
            if index == wanted or (index is None and wanted == 0):
                return choice
    return None


def choice_indexes(items: list) -> list[int]:
    """The choice indexes the chunks or completions carry, in order (several when n > 1)."""
    seen: set[int] = set()
    for item in items:
        if isinstance(item, dict):
            for choice in as_list(item.get("choices")):
                if isinstance(choice, dict):
                    index = as_int(choice.get("index"))
                    seen.add(0 if index is None else index)
    return sorted(seen)


def assemble_stream(
    chunks: list, times: list[float] | None = None, choice_index: int = 0
) -> tuple[Response, list[Event]]:
    """Rebuild the final message and the replay timeline from plain chunk dicts (§6.3).

    `choice_index` picks which answer of an `n > 1` stream; usage chunks count for each.
    """
    text: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, ToolCall] = {}
    arguments: dict[int, list[str]] = {}
    finish: str | None = None
    usage = None
    model: str | None = None
    events: list[Event] = []
    last_index: int | None = None

    for number, chunk in enumerate(chunks):
        if not isinstance(chunk, dict):
            continue
        at = chunk_time(times, number)
        if model is None:
            model = nonempty_str(chunk.get("model"))
        choice = _choice(chunk.get("choices"), choice_index)
        if choice is not None:
            delta = choice.get("delta")
            if isinstance(delta, dict):
                piece = delta.get("reasoning")
                if not isinstance(piece, str):
                    piece = delta.get("reasoning_content")
                if isinstance(piece, str) and piece:
                    reasoning.append(piece)
                    events.append(Event(chunk=number, kind=EventKind.REASONING, text=piece, at=at))
                piece = delta.get("content")
                if isinstance(piece, list):  # Mistral: content parts, thinking among them
                    piece, thought = split_thinking(content_parts(piece))
                    if thought:
                        reasoning.append(thought)
                        events.append(Event(chunk=number, kind=EventKind.REASONING, text=thought, at=at))
                if isinstance(piece, str) and piece:
                    text.append(piece)
                    events.append(Event(chunk=number, kind=EventKind.TEXT, text=piece, at=at))
                for fragment in as_list(delta.get("tool_calls")):
                    if not isinstance(fragment, dict):
                        continue
                    function = as_dict(fragment.get("function"))
                    call_id = nonempty_str(fragment.get("id"))
                    name = nonempty_str(function.get("name"))
                    piece = arguments_text(function.get("arguments"))
                    index = as_int(fragment.get("index"))
                    if index is None:
                        # No index: a new id starts a new call, anything else continues the last one.
                        known_ids = {c.id for c in calls.values()}
                        if last_index is None or (call_id is not None and call_id not in known_ids):
                            index = len(calls)
                        else:
                            index = last_index
                    last_index = index
                    call = calls.get(index)
                    new_id = new_name = None
                    if call is None:
                        call = calls[index] = ToolCall(index=index, id=call_id, name=name or "", arguments="")
                        arguments[index] = []
                        new_id, new_name = call_id, name
                    else:
                        # llama.cpp repeats id/name on every fragment: take them once.
                        if call.id is None and call_id is not None:
                            call.id = new_id = call_id
                        if not call.name and name is not None:
                            call.name = new_name = name
                    if piece:
                        arguments[index].append(piece)
                    if piece or new_id is not None or new_name is not None:
                        events.append(
                            Event(
                                chunk=number,
                                kind=EventKind.TOOL_CALL,
                                text=piece,
                                tool_index=index,
                                tool_id=new_id,
                                tool_name=new_name,
                                at=at,
                            )
                        )
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                finish = reason
                events.append(Event(chunk=number, kind=EventKind.FINISH, finish_reason=reason, at=at))
        chunk_usage = openai_usage(chunk.get("usage"))
        if chunk_usage is not None:
            usage = chunk_usage
            events.append(Event(chunk=number, kind=EventKind.USAGE, usage=chunk_usage, at=at))

    for index, call in calls.items():
        call.arguments = "".join(arguments[index])
    response = Response(
        text=fix_surrogates("".join(text)),
        reasoning=fix_surrogates("".join(reasoning)),
        tool_calls=[calls[i] for i in sorted(calls)],
        finish_reason=finish,
        usage=usage,
        chunks=len(chunks),
        model=model,
    )
    return response, events


def assemble_completion(data: dict, choice_index: int = 0) -> Response:
    """A non-streamed `ChatCompletion` (plain dict); `choice_index` picks an answer of n > 1."""
    choice = _choice(data.get("choices"), choice_index) or {}
    message = as_dict(choice.get("message"))
    content = message.get("content")
    thinking = ""
    if isinstance(content, list):
        content, thinking = split_thinking(content_parts(content))
    reasoning = message.get("reasoning")
    if not isinstance(reasoning, str):
        reasoning = message.get("reasoning_content")
    if not isinstance(reasoning, str) or not reasoning:
        reasoning = thinking
    return Response(
        text=fix_surrogates(as_str(content) or ""),
        reasoning=fix_surrogates(as_str(reasoning) or ""),
        tool_calls=message_tool_calls(message.get("tool_calls")),
        finish_reason=nonempty_str(choice.get("finish_reason")),
        usage=openai_usage(data.get("usage")),
        model=nonempty_str(data.get("model")),
    )


def assemble(ctx: BodyContext) -> Assembled:
    items = [i for i in ctx.items if isinstance(i, dict)]
    if ctx.type_name == "ChatCompletionChunk":
        indexes = choice_indexes(items)
        response, events = assemble_stream(items, ctx.times)
        assembled = Assembled(KIND, response, events)
        if len(indexes) > 1:
            assembled.choices = [
                (index, *((response, events) if index == 0 else assemble_stream(items, ctx.times, index)))
                for index in indexes
            ]
        return assembled
    # ChatCompletion: one body, or (never seen) a list of them: read the last with choices.
    data = next((i for i in reversed(items) if as_list(i.get("choices"))), items[-1] if items else {})
    responses = {index: assemble_completion(data, index) for index in choice_indexes([data]) or [0]}
    if ctx.is_list:
        for answer in responses.values():
            answer.chunks = len(items)
    response = responses.get(0) or assemble_completion(data)
    assembled = Assembled(KIND, response, single_timeline(response))
    if len(responses) > 1:
        assembled.choices = [
            (index, answer, assembled.timeline if answer is response else single_timeline(answer))
            for index, answer in sorted(responses.items())
        ]
    return assembled
