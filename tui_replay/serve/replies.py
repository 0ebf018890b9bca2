"""A recording as the HTTP answer its provider sent: status, media type, and the body or the
stream events with the time each one is due.

Streams are sent event by event exactly as recorded: an SSE body's own lines; typed chunks as
`data: <JSON>` events closed by `data: [DONE]` (OpenAI) or as JSON lines (Ollama). Pacing comes
from the recording's chunk times (our captures store `tui_replay_chunk_times`), else from the
app's pacing model (`playback.build_plan`), so a served stream and a replay on screen keep time
alike.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from tui_replay.recording.model import RecordingError
from tui_replay.serve.index import OLLAMA_APIS, Entry

SSE = "text/event-stream"
NDJSON = "application/x-ndjson"
JSON = "application/json"
DONE = b"data: [DONE]\n\n"


class Timing:
    """--timing: `recorded` (the recording's pace), `none` (all at once) or `fixed:MS` per event."""

    def __init__(self, text: str = "recorded", speed: float = 1.0) -> None:
        self.mode, self.fixed, self.speed = "recorded", 0.0, speed
        if text == "none":
            self.mode = "none"
        elif text.startswith("fixed:"):
            milliseconds = float(text.split(":", 1)[1])  # ValueError: the CLI's usage error
            if milliseconds < 0:
                raise ValueError("fixed:MS needs MS >= 0")
            self.mode, self.fixed = "fixed", milliseconds / 1000
        elif text != "recorded":
            raise ValueError(f"--timing is recorded, none or fixed:MS, not {text!r}")

    def schedule(self, recorded: list[float], count: int) -> list[float]:
        """When each of `count` events is due, in seconds after the first byte."""
        if self.mode == "none":
            return [0.0] * count
        if self.mode == "fixed":
            return [self.fixed * index for index in range(count)]
        return [time / self.speed for time in recorded]


@dataclass(slots=True)
class Reply:
    status: int
    media_type: str
    body: bytes | None = None  # a whole answer
    events: list[bytes] | None = None  # a stream, each item one event as sent
    times: list[float] | None = None  # at 1x: when each event is due (recorded pace)

    @property
    def size(self) -> int:
        return len(self.body or b"") + sum(len(event) for event in self.events or ())


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # e.g. an int beyond 64 bits
        import json

        return json.dumps(value).encode()


def _data(item: Any) -> Any:
    """The provider's JSON of a stored item: a typed wrapper's `__data__`, else the item."""
    if isinstance(item, dict) and "__type__" in item and "__data__" in item:
        return item["__data__"]
    return item


def _is_ollama(api: str, items: list[Any]) -> bool:
    first = items[0] if items else None
    type_name = first.get("__type__", "") if isinstance(first, dict) else ""
    return api in OLLAMA_APIS or str(type_name).startswith("ollama")


def _sse_events(lines: list[Any]) -> list[bytes]:
    """Recorded SSE lines, grouped into events at the blank lines (each event as recorded)."""
    events: list[bytes] = []
    current: list[str] = []
    for line in lines:
        text = line if isinstance(line, str) else str(line)
        if text == "":
            if current:
                events.append(("\n".join(current) + "\n\n").encode())
                current = []
            continue
        current.append(text)
    if current:
        events.append(("\n".join(current) + "\n\n").encode())
    return events


def error_body(response: dict[str, Any]) -> tuple[int, Any]:
    """(status, body) of a recorded error: the provider's body when it was kept."""
    data = response.get("exception_data")
    data = data if isinstance(data, dict) else {}
    status = data.get("status_code") or response.get("status") or 500
    status = status if isinstance(status, int) and 400 <= status <= 599 else 500
    body = data.get("body")
    if isinstance(body, dict | list):
        return status, body
    message = response.get("exception_message") or data.get("message") or ""
    return status, {"error": {"message": str(message), "type": data.get("type"), "code": status}}


def build_reply(entry: Entry, obj: dict[str, Any]) -> Reply:
    """The answer `obj` (a recording object) holds, for the API `entry` is filed under."""
    response = obj.get("response")
    if not isinstance(response, dict):
        raise RecordingError("no response in the recording")
    if response.get("is_exception"):
        status, body = error_body(response)
        return Reply(status, JSON, _dumps(body))
    status = response.get("status")
    status = status if isinstance(status, int) else 200
    body = response.get("body")
    if response.get("is_streaming") and isinstance(body, list):
        if body and all(isinstance(line, str) for line in body):
            return Reply(status, SSE, events=_sse_events(body))
        if _is_ollama(entry.api, body):
            return Reply(status, NDJSON, events=[_dumps(_data(item)) + b"\n" for item in body])
        events = [b"data: " + _dumps(_data(item)) + b"\n\n" for item in body]
        return Reply(status, SSE, events=[*events, DONE])
    if isinstance(body, list):  # a model list
        data = [_data(item) for item in body]
        if entry.api == "ollama_tags":
            return Reply(status, JSON, _dumps({"models": data}))
        return Reply(status, JSON, _dumps({"object": "list", "data": data}))
    return Reply(status, JSON, _dumps(_data(body)))


def merged_model_list(replies: list[Reply], *, ollama: bool) -> Reply:
    """Model lists recorded under one hash (`models-<hash>-<digest>.json`, one per server) as the
    recorder replays them: one list, each id once, ordered by id."""
    items_key, id_key = ("models", "model") if ollama else ("data", "id")
    merged: dict[str, Any] = {}
    for reply in replies:
        body = orjson.loads(reply.body or b"{}")
        for item in body.get(items_key) or [] if isinstance(body, dict) else []:
            if isinstance(item, dict):
                merged.setdefault(str(item.get(id_key)), item)
    items = [merged[ident] for ident in sorted(merged)]
    body = {"models": items} if ollama else {"object": "list", "data": items}
    return Reply(replies[0].status, JSON, _dumps(body))


def read_entry(entry: Entry, max_size: int) -> dict[str, Any]:
    """The recording object of `entry` (a cassette interaction as its llama-stack-shaped object)."""
    from tui_replay.recording.load import apply_id_mapping, parse_json, read_bytes

    data = read_bytes(entry.file, max_size)
    if entry.interaction is None:
        return apply_id_mapping(parse_json(data))
    from tui_replay.recording.cassette import convert_interaction, parse_cassette

    interactions = parse_cassette(data)
    if entry.interaction >= len(interactions):
        raise RecordingError(f"no interaction #{entry.interaction}")
    item = convert_interaction(interactions[entry.interaction], max_size)
    if item.obj is None:
        raise RecordingError("not a known API")
    return item.obj


def recorded_times(entry: Entry, obj: dict[str, Any], events: int, max_size: int) -> list[float]:
    """When each event was sent at 1x: the capture's chunk times, else the app's pacing model."""
    from tui_replay.recording.cassette import parse_cassette
    from tui_replay.recording.load import cassette_recording, chunk_times, read_bytes, recording_from_obj
    from tui_replay.recording.pacing import chunk_events, schedule  # the replay screen's pacing

    measured = chunk_times(obj)
    if measured is not None and len(measured) >= events - 1:
        times = measured[:events]
        return times + [times[-1] if times else 0.0] * (events - len(times))  # the [DONE]
    try:
        if entry.interaction is None:
            recording = recording_from_obj(obj, entry.file)
        else:
            raw = parse_cassette(read_bytes(entry.file, max_size))[entry.interaction]
            recording = cassette_recording(raw, entry.file, entry.interaction, max_size)
        times, _ = schedule(recording, chunk_events(recording))
    except (RecordingError, IndexError):
        return [0.0] * events
    if len(times) >= events:
        return times[:events]
    # The pacing counts chunks, the stream events (an SSE event may carry no text, [DONE]):
    # spread the paced total evenly.
    total = times[-1] if times else 0.0
    return [total * index / max(1, events - 1) for index in range(events)]


class ReplyCache:
    """Prepared answers by recording and version, so a hit costs no file read or encoding; the
    least recently used go beyond `budget` bytes (a long stream is about 1 MB)."""

    def __init__(self, max_size: int, budget: int = 64 << 20) -> None:
        self.max_size = max_size
        self.budget = budget
        self._items: OrderedDict[tuple[str, int, int], Reply] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def cached(self, entry: Entry, version: tuple[int, int]) -> Reply | None:
        """The prepared answer, if it is prepared (no file read)."""
        key = (entry.address, *version)
        with self._lock:
            reply = self._items.get(key)
            if reply is not None:
                self._items.move_to_end(key)
            return reply

    def get(self, entry: Entry, version: tuple[int, int]) -> Reply:
        reply = self.cached(entry, version)
        if reply is not None:
            return reply
        key = (entry.address, *version)
        obj = read_entry(entry, self.max_size)
        reply = build_reply(entry, obj)
        if reply.events is not None:
            reply.times = recorded_times(entry, obj, len(reply.events), self.max_size)
        with self._lock:
            if key not in self._items:
                self._items[key] = reply
                self._bytes += reply.size
            while self._bytes > self.budget and len(self._items) > 1:
                self._bytes -= self._items.popitem(last=False)[1].size
        return reply
