"""Realtime (websocket) cassettes: a whole session as one recording, replayed as a timeline.

pydantic-ai records realtime sessions as cassettes whose interactions are websocket frames:
`{kind: message, direction: sent|received, data: {…}}` (and `{kind: close, code, reason}`).
Two wire dialects appear:

  - OpenAI's (also Azure, xAI and gateways speaking it): `data.type` names the event
    (`session.update`, `conversation.item.create`, `response.output_text.delta`, …);
  - Gemini Live's: one top-level key per message (`setup`, `client_content`,
    `realtime_input`, `tool_response`; `setupComplete`, `serverContent`, `toolCall`, …).

Each frame is one chunk of the replay. The assistant's text and spoken transcripts are the
answer (one paragraph per response); function calls go to the tool calls with their
arguments, and their results are tool messages; the user's typed or transcribed turns, the
system instructions, audio (as duration and bytes, never played), session updates, errors
and any event this reader does not know are notes in the timeline, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tui_replay.recording.model import (
    VCR,
    ContentPart,
    Event,
    EventKind,
    Kind,
    Message,
    Recording,
    Response,
    ToolCall,
    ToolSpec,
    Usage,
)
from tui_replay.recording.shapes.common import (
    as_dict,
    as_int,
    as_list,
    as_str,
    base64_size,
    compact_json,
    human_size,
    nonempty_str,
    tool_spec,
)

ENDPOINT = "websocket"
_RATE = re.compile(r"rate=(\d+)")
_DEFAULT_RATE = 24000  # PCM16 mono, the realtime APIs' default
NOTE_CHARS = 160  # a note quotes at most this much of a text


def is_realtime(interactions: list[Any]) -> bool:
    """Websocket frames (`kind` + `direction`/`data`), not vcrpy's request/response pairs (an
    HTTP call among the frames, such as the call setup, is one more event of the session)."""
    return any(
        isinstance(item, dict)
        and "request" not in item
        and "kind" in item
        and ("direction" in item or "data" in item or item.get("kind") == "close")
        for item in interactions
    )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= NOTE_CHARS else text[: NOTE_CHARS - 1] + "…"


@dataclass
class _Audio:
    """Audio frames of one direction, added up until a turn boundary shows them as one note."""

    label: str
    size: int = 0
    seconds: float = 0.0
    last_chunk: int = -1

    def add(self, chunk: int, data: Any, rate: int | None) -> None:
        if isinstance(data, str) and data:
            size = base64_size(data)
            self.size += size
            self.seconds += size / (2 * (rate or _DEFAULT_RATE))  # PCM16: two bytes a sample
        self.last_chunk = chunk


@dataclass
class _Session:
    """What is gathered while the frames are read in order."""

    events: list[Event] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    tools: list[ToolSpec] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    call_by_id: dict[str, ToolCall] = field(default_factory=dict)
    call_pieces: dict[int, list[str]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    turn_text: list[str] = field(default_factory=list)  # the current assistant turn
    turn_calls: list[ToolCall] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish: str | None = None
    errors: int = 0
    user_transcript: list[str] = field(default_factory=list)
    sent_audio: _Audio = field(default_factory=lambda: _Audio("audio sent"))
    received_audio: _Audio = field(default_factory=lambda: _Audio("audio received"))
    input_rate: int | None = None
    output_rate: int | None = None

    def note(self, chunk: int, text: str) -> None:
        self.events.append(Event(chunk, EventKind.NOTE, text))

    def say(self, chunk: int, piece: str) -> None:
        """A piece of the assistant's answer (text, or the transcript of its speech)."""
        if not piece:
            return
        if not self.turn_text and self.text:  # a new turn: its own paragraph
            self.text.append("\n\n")
            self.events.append(Event(chunk, EventKind.TEXT, "\n\n"))
        self.text.append(piece)
        self.turn_text.append(piece)
        self.events.append(Event(chunk, EventKind.TEXT, piece))

    def think(self, chunk: int, piece: str) -> None:
        if piece:
            self.reasoning.append(piece)
            self.events.append(Event(chunk, EventKind.REASONING, piece))

    def call(self, chunk: int, call_id: Any, name: Any, arguments: str | None) -> ToolCall:
        """The call `call_id` (opened here the first time); `arguments` is a fragment to add."""
        key = as_str(call_id) or f"#{len(self.calls)}"
        call = self.call_by_id.get(key)
        if call is None:
            call = ToolCall(len(self.calls), nonempty_str(call_id), as_str(name) or "", "")
            self.call_by_id[key] = call
            self.calls.append(call)
            self.turn_calls.append(call)
            self.call_pieces[call.index] = []
            self.events.append(
                Event(
                    chunk,
                    EventKind.TOOL_CALL,
                    "",
                    tool_index=call.index,
                    tool_id=call.id,
                    tool_name=call.name,
                )
            )
        elif not call.name and as_str(name):
            call.name = as_str(name) or ""
        if arguments:
            self.call_pieces[call.index].append(arguments)
            self.events.append(Event(chunk, EventKind.TOOL_CALL, arguments, tool_index=call.index))
        return call

    def call_done(self, chunk: int, call_id: Any, name: Any, arguments: Any) -> None:
        """The whole arguments, as a `done` event or a call given at once: used when no deltas came."""
        call = self.call(chunk, call_id, name, None)
        if not self.call_pieces[call.index]:
            whole = arguments if isinstance(arguments, str) else compact_json(arguments or {})
            self.call_pieces[call.index].append(whole)
            self.events.append(Event(chunk, EventKind.TOOL_CALL, whole, tool_index=call.index))

    def end_turn(self) -> None:
        """A response ended: its text and calls are one assistant message."""
        self.flush_audio(self.received_audio)
        if self.turn_text or self.turn_calls:
            text = "".join(self.turn_text)
            self.messages.append(
                Message("assistant", text, [ContentPart("text", text)] if text else [], list(self.turn_calls))
            )
        self.turn_text, self.turn_calls = [], []

    def user_turn(self, chunk: int, text: str, how: str = "user") -> None:
        self.messages.append(Message("user", text, [ContentPart("text", text)]))
        self.note(chunk, f"{how}: {_short(text)}")

    def tool_result(self, chunk: int, call_id: Any, output: Any) -> None:
        if self.turn_text or self.turn_calls:  # the result ends the turn that made the call
            self.end_turn()
        text = output if isinstance(output, str) else compact_json(output)
        call = self.call_by_id.get(as_str(call_id) or "")
        self.messages.append(
            Message(
                "tool",
                text,
                [ContentPart("tool_result", text)],
                tool_call_id=nonempty_str(call_id),
                name=call.name if call else None,
            )
        )
        self.note(chunk, f"tool result{f' for {call.name}' if call and call.name else ''}: {_short(text)}")

    def flush_audio(self, audio: _Audio) -> None:
        if audio.last_chunk >= 0:
            self.note(audio.last_chunk, f"{audio.label}: {audio.seconds:.2f} s, {human_size(audio.size)}")
        audio.size, audio.seconds, audio.last_chunk = 0, 0.0, -1

    def add_usage(self, prompt: Any, completion: Any) -> None:
        prompt, completion = as_int(prompt), as_int(completion)
        if prompt is not None:
            self.prompt_tokens = (self.prompt_tokens or 0) + prompt
        if completion is not None:
            self.completion_tokens = (self.completion_tokens or 0) + completion

    def system(self, chunk: int, text: str | None, how: str) -> None:
        if text:
            if self.messages and self.messages[0].role == "system":
                self.messages[0] = Message("system", text, [ContentPart("text", text)])
            else:
                self.messages.insert(0, Message("system", text, [ContentPart("text", text)]))
            self.note(chunk, f"{how}: instructions {_short(text)}")
        else:
            self.note(chunk, how)


def _rate(format_value: Any) -> int | None:
    """The sample rate of an audio format (`{type, rate}` or a MIME type with `rate=`)."""
    if isinstance(format_value, dict):
        return as_int(format_value.get("rate"))
    match = _RATE.search(format_value) if isinstance(format_value, str) else None
    return int(match.group(1)) if match else None


# ------------------------------------------------------------------ OpenAI-style events


def _session_settings(session: _Session, chunk: int, data: dict, how: str) -> None:
    config = as_dict(data.get("session"))
    session.model = nonempty_str(config.get("model")) or session.model
    audio = as_dict(config.get("audio"))
    session.input_rate = _rate(as_dict(as_dict(audio.get("input")).get("format"))) or session.input_rate
    session.output_rate = _rate(as_dict(as_dict(audio.get("output")).get("format"))) or session.output_rate
    tools = [
        tool_spec(as_dict(t).get("name"), as_dict(t).get("description"), as_dict(t).get("parameters"))
        for t in as_list(config.get("tools"))
    ]
    if tools:
        session.tools = tools
    if how == "session.update":  # what the client asked for; the server's echo is a note
        session.system(chunk, nonempty_str(config.get("instructions")), how)
    else:
        model = nonempty_str(config.get("model"))
        session.note(chunk, f"{how}{f' ({model})' if model else ''}")


def _item_text(item: dict) -> str:
    pieces = []
    for part in as_list(item.get("content")):
        part = as_dict(part)
        text = as_str(part.get("text")) or as_str(part.get("transcript"))
        if text:
            pieces.append(text)
        elif as_str(part.get("type")) in ("input_audio", "audio"):
            pieces.append("[audio]")
    return "".join(pieces)


def _openai_sent(session: _Session, chunk: int, kind: str, data: dict) -> None:
    if kind == "input_audio_buffer.append":
        session.sent_audio.add(chunk, data.get("audio"), session.input_rate)
        return
    session.flush_audio(session.sent_audio)
    if kind == "session.update":
        _session_settings(session, chunk, data, kind)
    elif kind == "conversation.item.create":
        item = as_dict(data.get("item"))
        item_type = as_str(item.get("type"))
        if item_type == "function_call_output":
            session.tool_result(chunk, item.get("call_id"), item.get("output"))
        elif item_type == "function_call":
            session.call_done(chunk, item.get("call_id"), item.get("name"), item.get("arguments"))
        else:
            role = as_str(item.get("role")) or "user"
            text = _item_text(item)
            if role == "user":
                session.user_turn(chunk, text)
            elif role == "assistant":
                session.messages.append(Message("assistant", text, [ContentPart("text", text)]))
                session.note(chunk, f"assistant (history): {_short(text)}")
            else:
                session.messages.append(Message(role, text, [ContentPart("text", text)]))
                session.note(chunk, f"{role}: {_short(text)}")
    else:
        session.note(chunk, f"sent {kind}")


def _openai_received(session: _Session, chunk: int, kind: str, data: dict) -> None:
    if kind in ("response.output_audio.delta", "response.audio.delta"):
        session.received_audio.add(chunk, data.get("delta"), session.output_rate)
    elif kind in (
        "response.output_text.delta",
        "response.text.delta",
        "response.output_audio_transcript.delta",
        "response.audio_transcript.delta",
    ):
        session.say(chunk, as_str(data.get("delta")) or "")
    elif kind in ("response.reasoning_text.delta", "response.reasoning_summary_text.delta"):
        session.think(chunk, as_str(data.get("delta")) or "")
    elif kind == "response.function_call_arguments.delta":
        session.call(
            chunk, data.get("call_id") or data.get("item_id"), data.get("name"), as_str(data.get("delta"))
        )
    elif kind == "response.function_call_arguments.done":
        session.call_done(
            chunk, data.get("call_id") or data.get("item_id"), data.get("name"), data.get("arguments")
        )
    elif kind == "response.output_item.added" and as_dict(data.get("item")).get("type") == "function_call":
        item = as_dict(data.get("item"))
        session.call(chunk, item.get("call_id") or item.get("id"), item.get("name"), None)
    elif kind == "conversation.item.input_audio_transcription.delta":
        session.user_transcript.append(as_str(data.get("delta")) or "")
    elif kind == "conversation.item.input_audio_transcription.completed":
        transcript = as_str(data.get("transcript")) or "".join(session.user_transcript)
        session.user_transcript = []
        session.user_turn(chunk, transcript, "user (transcribed)")
    elif kind in ("session.created", "session.updated"):
        _session_settings(session, chunk, data, kind)
    elif kind == "response.done":
        response = as_dict(data.get("response"))
        usage = as_dict(response.get("usage")) or as_dict(data.get("usage"))  # xAI: beside it
        session.add_usage(usage.get("input_tokens"), usage.get("output_tokens"))
        status = nonempty_str(response.get("status"))
        session.finish = status or session.finish
        session.end_turn()
        if status:
            session.events.append(Event(chunk, EventKind.FINISH, finish_reason=status))
        session.note(chunk, f"response.done ({status or 'no status'})")
    elif kind == "error":
        error = as_dict(data.get("error"))
        session.errors += 1
        message = as_str(error.get("message")) or compact_json(error or data)
        session.note(chunk, f"error: {_short(message)}")
    elif kind.endswith(".delta"):  # other deltas (unknown kinds): no note per fragment
        return
    else:
        session.note(chunk, kind)


# ------------------------------------------------------------------ Gemini Live messages


def _parts_text(parts: Any) -> str:
    return "".join(as_str(as_dict(part).get("text")) or "" for part in as_list(parts))


def _live_sent(session: _Session, chunk: int, data: dict) -> None:
    realtime_input = data.get("realtime_input", data.get("realtimeInput"))
    if isinstance(realtime_input, dict):
        audio = as_dict(realtime_input.get("audio"))
        chunks = [audio] if audio else [as_dict(c) for c in as_list(realtime_input.get("media_chunks"))]
        for media in chunks:
            rate = _rate(media.get("mime_type") or media.get("mimeType")) or 16000
            session.sent_audio.add(chunk, media.get("data"), rate)
        if isinstance(realtime_input.get("text"), str):
            session.flush_audio(session.sent_audio)
            session.user_turn(chunk, realtime_input["text"])
        elif not chunks:
            session.note(chunk, f"sent realtime input: {', '.join(realtime_input) or 'empty'}")
        return
    session.flush_audio(session.sent_audio)
    if "setup" in data:
        setup = as_dict(data["setup"])
        session.model = nonempty_str(setup.get("model")) or session.model
        instruction = setup.get("systemInstruction", setup.get("system_instruction"))
        text = instruction if isinstance(instruction, str) else _parts_text(as_dict(instruction).get("parts"))
        tools = []
        for tool in as_list(setup.get("tools")):
            for declared in as_list(
                as_dict(tool).get("functionDeclarations", as_dict(tool).get("function_declarations"))
            ):
                declared = as_dict(declared)
                tools.append(
                    tool_spec(declared.get("name"), declared.get("description"), declared.get("parameters"))
                )
        if tools:
            session.tools = tools
        session.system(chunk, text or None, "setup")
    elif "client_content" in data or "clientContent" in data:
        content = as_dict(data.get("client_content", data.get("clientContent")))
        for turn in as_list(content.get("turns")):
            turn = as_dict(turn)
            role = as_str(turn.get("role")) or "user"
            text = _parts_text(turn.get("parts"))
            if role == "user":
                session.user_turn(chunk, text)
            else:
                session.messages.append(Message("assistant", text, [ContentPart("text", text)]))
                session.note(chunk, f"assistant (history): {_short(text)}")
    elif "tool_response" in data or "toolResponse" in data:
        response = as_dict(data.get("tool_response", data.get("toolResponse")))
        for answer in as_list(response.get("functionResponses", response.get("function_responses"))):
            answer = as_dict(answer)
            session.tool_result(chunk, answer.get("id"), answer.get("response"))
    else:
        session.note(chunk, f"sent {', '.join(map(str, data)) or 'empty message'}")


def _live_received(session: _Session, chunk: int, data: dict) -> None:
    content = data.get("serverContent")
    if isinstance(content, dict):
        for part in as_list(as_dict(content.get("modelTurn")).get("parts")):
            part = as_dict(part)
            inline = as_dict(part.get("inlineData"))
            if inline:
                session.received_audio.add(chunk, inline.get("data"), _rate(inline.get("mimeType")))
            elif isinstance(part.get("text"), str):
                (session.think if part.get("thought") else session.say)(chunk, part["text"])
        session.say(chunk, as_str(as_dict(content.get("outputTranscription")).get("text")) or "")
        heard = as_str(as_dict(content.get("inputTranscription")).get("text"))
        if heard:
            session.user_transcript.append(heard)
        if content.get("interrupted"):
            session.note(chunk, "interrupted")
        if content.get("turnComplete"):
            if session.user_transcript:
                session.user_turn(chunk, "".join(session.user_transcript), "user (transcribed)")
                session.user_transcript = []
            session.end_turn()
            session.finish = "turn complete"
            session.note(chunk, "turn complete")
    usage = data.get("usageMetadata")
    if isinstance(usage, dict):
        completion = usage.get("responseTokenCount", usage.get("candidatesTokenCount"))
        session.add_usage(usage.get("promptTokenCount"), completion)
    if "toolCall" in data:
        for call in as_list(as_dict(data["toolCall"]).get("functionCalls")):
            call = as_dict(call)
            session.call_done(chunk, call.get("id"), call.get("name"), call.get("args"))
    if "setupComplete" in data:
        session.note(chunk, "setup complete")
    others = [
        key for key in data if key not in ("serverContent", "usageMetadata", "toolCall", "setupComplete")
    ]
    if others:
        session.note(chunk, ", ".join(map(str, others)))


# ------------------------------------------------------------------ the session


def _read(session: _Session, chunk: int, frame: Any) -> None:
    frame = as_dict(frame)
    request = frame.get("request")
    if isinstance(request, dict):  # an HTTP call recorded among the frames
        status = as_dict(as_dict(frame.get("response")).get("status")).get("code")
        method = as_str(request.get("method")) or "POST"
        url = as_str(request.get("uri")) or as_str(request.get("url")) or ""
        session.note(chunk, f"HTTP {method} {url}" + (f" ({status})" if status is not None else ""))
        return
    kind = as_str(frame.get("kind")) or "message"
    direction = as_str(frame.get("direction")) or ""
    if kind == "close":
        reason = as_str(frame.get("reason")) or ""
        code = frame.get("code")
        session.note(chunk, f"connection closed ({code}{': ' + reason if reason else ''})")
        return
    data = frame.get("data")
    if kind != "message" or not isinstance(data, dict):
        session.note(
            chunk, f"{direction} {kind}".strip() + ("" if data is None else f": {_short(compact_json(data))}")
        )
        return
    event_type = data.get("type")
    if isinstance(event_type, str):
        (_openai_sent if direction == "sent" else _openai_received)(session, chunk, event_type, data)
    else:
        (_live_sent if direction == "sent" else _live_received)(session, chunk, data)


def realtime_recording(frames: list[Any], file: str, test_id: str | None) -> Recording:
    """A realtime cassette's frames as one recording (see the module doc). Never raises on odd frames."""
    session = _Session()
    for chunk, frame in enumerate(frames):
        _read(session, chunk, frame)
    last = max(len(frames) - 1, 0)
    session.flush_audio(session.sent_audio)
    if session.user_transcript:
        session.user_turn(last, "".join(session.user_transcript), "user (transcribed)")
    session.end_turn()
    for call in session.calls:
        call.arguments = "".join(session.call_pieces[call.index])
    usage = None
    if session.prompt_tokens is not None or session.completion_tokens is not None:
        total = (session.prompt_tokens or 0) + (session.completion_tokens or 0)
        usage = Usage(session.prompt_tokens, session.completion_tokens, total)
    response = Response(
        text="".join(session.text),
        reasoning="".join(session.reasoning),
        tool_calls=session.calls,
        finish_reason=session.finish,
        usage=usage,
        chunks=len(frames),
        model=session.model,
        summary={"events": len(frames), "errors": session.errors},
    )
    return Recording(
        path=file,
        kind=Kind.REALTIME,
        test_id=test_id,
        endpoint=ENDPOINT,
        url=None,
        model=session.model,
        streaming=True,
        messages=session.messages,
        tools=session.tools,
        response=response,
        timeline=sorted(session.events, key=lambda event: event.chunk),
        # The normalized view: what the client sent, then every frame (the chunk on screen is one).
        request_raw={
            "transport": "websocket",
            "sent": [f.get("data") for f in frames if isinstance(f, dict) and f.get("direction") == "sent"],
        },
        response_raw={"body": frames},
        format=VCR,
    )
