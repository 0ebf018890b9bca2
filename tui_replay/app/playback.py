"""The replay model: what is on screen after the first `p` chunks, and where the transport is.

It lives next to the replay screen, its one user, and stays headless: no Textual, no Rich (an
import-linter contract in pyproject.toml). `ReplayPlan` is built once from a `Recording` and
answers "what does position p show" cheaply; `Player` is the transport (position, speed,
play/pause, a replay clock). The screen owns the timer and only asks these two.

Position `p` is the number of stream chunks played, 0..n. Chunk `i` is the i-th item
of the recorded stream (a non-streamed body is one chunk), so "chunk i/n" on screen
is the stream the model really sent, empty chunks (role-only, usage-only, Azure
filter metadata) included.

When each chunk plays is `tui_replay.recording.pacing` (shared with `serve`, which paces a
served stream the same way). Speed multiplies the clock (0.25x .. 32x); "instant" plays every
chunk as fast as the screen can draw them.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from tui_replay.recording.model import Citation, EventKind, Recording, ToolCall, ToolSpec
from tui_replay.recording.pacing import chunk_events, schedule

SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
INSTANT = math.inf
SEEK_FRACTION = 0.10  # `[` / `]` jump this share of the chunks


def format_speed(speed: float) -> str:
    if math.isinf(speed):
        return "instant"
    return f"{speed:g}x"


# --- the answer as display runs -------------------------------------------------------------

# Run keys, mapped to styles by the answer widget.
RUN_TEXT = "text"
RUN_REASONING = "reasoning"
RUN_LABEL = "label"


def cite_key(number: int, resolved: bool) -> str:
    """Run key of a compact citation marker: "cite:3", or "cite!:3" when it cites nothing retrieved."""
    return f"{'cite' if resolved else 'cite!'}:{number}"


def parse_cite_key(key: str) -> tuple[int, bool] | None:
    """(number, resolved) for a citation run key, else None."""
    if not key.startswith("cite"):
        return None
    head, _, number = key.partition(":")
    return int(number), head == "cite"


Run = tuple[str, str]  # (text, key)


@dataclass(slots=True)
class CitedDocument:
    """One cited document id, numbered by first appearance in the answer."""

    number: int
    document_id: str
    citations: list[int]  # indexes into Recording.citations, in answer order
    resolved: bool
    filename: str | None
    score: float | None
    played_at: int  # chunk index whose end completes its first marker
    via: str | None = None  # a marker resolved other than by its document id (Citation.via)


@dataclass(slots=True)
class ToolFragment:
    chunk: int
    tool_id: str | None
    name: str | None
    text: str


@dataclass(slots=True)
class LiveToolCall:
    """A response tool call as far as it has been played."""

    index: int
    id: str | None
    name: str
    arguments: str
    complete: bool  # every fragment of this call has been played

    def as_tool_call(self) -> ToolCall:
        return ToolCall(index=self.index, id=self.id, name=self.name, arguments=self.arguments)


@dataclass(slots=True)
class ReplayPlan:
    """Everything the screen needs per position, precomputed from one Recording."""

    chunk_count: int
    times: list[float]  # times[i]: replay time (s at 1x) at which chunk i has played
    measured: bool  # times come from the recording, not the pacing model
    runs: list[list[Run]]  # display runs each chunk appends to the answer
    documents: list[CitedDocument] = field(default_factory=list)
    tool_fragments: dict[int, list[ToolFragment]] = field(default_factory=dict)
    _texts: list[str] = field(init=False, repr=False, compare=False)
    _keys: list[str] = field(init=False, repr=False, compare=False)
    _first_run: list[int] = field(init=False, repr=False, compare=False)
    _merge_starts: list[int] = field(init=False, repr=False, compare=False)
    _merged: list[str] = field(init=False, repr=False, compare=False)

    @property
    def total_time(self) -> float:
        return self.times[-1] if self.times else 0.0

    def time_at(self, position: int) -> float:
        """Replay time when `position` chunks have played."""
        if position <= 0 or not self.times:
            return 0.0
        return self.times[min(position, len(self.times)) - 1]

    def position_at(self, clock: float) -> int:
        """How many chunks have played at replay time `clock`."""
        return bisect.bisect_right(self.times, clock + 1e-9)  # float sums of delays

    def __post_init__(self) -> None:
        # Every chunk's runs in one flat list, where each chunk's runs start in it, and where
        # a merged run starts (the key changes, or a citation marker, which is never merged):
        # a range of chunks is a slice, and each merged run one join.
        self._texts: list[str] = []
        self._keys: list[str] = []
        self._first_run: list[int] = [0]
        self._merge_starts: list[int] = []
        previous = None
        for chunk_runs in self.runs:
            for text, key in chunk_runs:
                if key != previous or key.startswith("cite"):
                    self._merge_starts.append(len(self._texts))
                previous = key
                self._texts.append(text)
                self._keys.append(key)
            self._first_run.append(len(self._texts))
        # Each merged run's text joined once (in the loading worker): a seek over whole runs
        # (End: the answer so far) takes them as they are instead of joining 200,000 pieces.
        bounds = [*self._merge_starts, len(self._texts)]
        self._merged = ["".join(self._texts[a:b]) for a, b in itertools.pairwise(bounds)]

    def runs_between(self, start: int, end: int) -> list[Run]:
        """The runs chunks start..end-1 append, adjacent runs of one key merged (citations never)."""
        start = max(0, min(start, self.chunk_count))
        end = max(start, min(end, self.chunk_count))
        first, stop = self._first_run[start], self._first_run[end]
        if first == stop:
            return []
        merges = self._merge_starts
        after = bisect.bisect_right(merges, first)  # merges[after - 1] <= first < merges[after]
        bounds = [first, *merges[after : bisect.bisect_left(merges, stop)], stop]
        texts, keys, merged = self._texts, self._keys, self._merged
        runs = []
        index = after - 1  # the merged run that holds texts[first]
        for a, b in itertools.pairwise(bounds):
            run_start = merges[index]
            run_end = merges[index + 1] if index + 1 < len(merges) else len(texts)
            if (a - run_start) + (run_end - b) < b - a:
                # Most of a merged run (End after a few chunks played): cut its joined text
                # rather than joining the pieces again.
                before = sum(map(len, texts[run_start:a]))
                after = sum(map(len, texts[b:run_end]))
                text = merged[index][before : len(merged[index]) - after]
            else:
                text = "".join(texts[a:b])
            runs.append((text, keys[a]))
            index += 1
        return runs

    def documents_at(self, position: int) -> list[CitedDocument]:
        """Cited documents whose first marker has fully played, in answer order."""
        return [doc for doc in self.documents if doc.played_at < position]

    def tool_calls_at(self, position: int) -> list[LiveToolCall]:
        """Response tool calls, names and arguments grown from the fragments played so far."""
        calls = []
        for index in sorted(self.tool_fragments):
            fragments = self.tool_fragments[index]
            played = [f for f in fragments if f.chunk < position]
            if not played:
                continue
            tool_id = next((f.tool_id for f in played if f.tool_id), None)
            name = next((f.name for f in played if f.name), "")
            arguments = "".join(f.text for f in played)
            complete = len(played) == len(fragments)
            calls.append(LiveToolCall(index, tool_id, name, arguments, complete=complete))
        return calls


def _number_documents(citations: list[Citation]) -> tuple[dict[str, int], list[CitedDocument]]:
    numbers: dict[str, int] = {}
    documents: list[CitedDocument] = []
    for citation in sorted(range(len(citations)), key=lambda i: citations[i].start):
        item = citations[citation]
        if item.document_id not in numbers:
            numbers[item.document_id] = len(documents) + 1
            documents.append(
                CitedDocument(
                    number=len(documents) + 1,
                    document_id=item.document_id,
                    citations=[],
                    resolved=item.resolved,
                    filename=item.filename,
                    score=item.score,
                    played_at=-1,
                )
            )
        document = documents[numbers[item.document_id] - 1]
        document.citations.append(citation)
        document.via = document.via or item.via
    return numbers, documents


def build_plan(recording: Recording) -> ReplayPlan:
    """Precompute runs, citation numbering and tool fragments for every chunk."""
    grouped = chunk_events(recording)
    count = len(grouped)
    times, measured = schedule(recording, grouped)
    numbers, documents = _number_documents(recording.citations)
    # Citation spans in answer order; text inside a span is held back until the span ends,
    # then shown as its compact "[n]".
    spans = sorted(
        ((c.start, c.end, numbers[c.document_id], c.resolved) for c in recording.citations),
        key=lambda span: span[0],
    )
    first_marker_of = {doc.citations[0]: doc for doc in documents}
    span_doc = {}
    for citation_index, citation in enumerate(recording.citations):
        if citation_index in first_marker_of:
            span_doc[(citation.start, citation.end)] = first_marker_of[citation_index]
    span_cursor = 0
    text_offset = 0
    in_reasoning = False
    seen_text = False
    last_shown = ""  # the last run shown so far (a note starts on a line of its own)
    runs: list[list[Run]] = []
    tool_fragments: dict[int, list[ToolFragment]] = {}
    for chunk, events in enumerate(grouped):
        chunk_runs: list[Run] = []
        for event in events:
            if event.kind is EventKind.REASONING and event.text:
                if not in_reasoning:
                    chunk_runs.append(("\n\n" if seen_text else "", RUN_LABEL))
                    chunk_runs.append(("thinking: ", RUN_LABEL))
                    in_reasoning = True
                chunk_runs.append((event.text, RUN_REASONING))
            elif event.kind is EventKind.TEXT and event.text:
                if in_reasoning:
                    chunk_runs.append(("\n\n", RUN_TEXT))
                    in_reasoning = False
                seen_text = True
                delta = event.text
                position = 0
                while position < len(delta):
                    absolute = text_offset + position
                    span = spans[span_cursor] if span_cursor < len(spans) else None
                    if span is None or absolute < span[0]:
                        stop = len(delta) if span is None else min(len(delta), span[0] - text_offset)
                        chunk_runs.append((delta[position:stop], RUN_TEXT))
                        position = stop
                        continue
                    if absolute >= span[1]:  # an empty or overlapping span: drop it
                        span_cursor += 1
                        continue
                    # Inside a marker: hold its text back until the marker is complete.
                    position = min(len(delta), span[1] - text_offset)
                    if text_offset + position >= span[1]:
                        chunk_runs.append((f"[{span[2]}]", cite_key(span[2], span[3])))
                        doc = span_doc.get((span[0], span[1]))
                        if doc is not None and doc.played_at < 0:
                            doc.played_at = chunk
                        span_cursor += 1
                text_offset += len(delta)
            elif event.kind is EventKind.NOTE and event.text:
                # A session event (realtime): a line of its own, between the answer's text.
                before = chunk_runs[-1][0] if chunk_runs else last_shown
                fresh_line = not before or before.endswith("\n")
                chunk_runs.append((("" if fresh_line else "\n") + f"· {event.text}\n", RUN_LABEL))
                in_reasoning = False
            elif event.kind is EventKind.TOOL_CALL:
                index = event.tool_index if event.tool_index is not None else 0
                tool_fragments.setdefault(index, []).append(
                    ToolFragment(chunk, event.tool_id, event.tool_name, event.text)
                )
        runs.append([run for run in chunk_runs if run[0]])
        if runs[-1]:
            last_shown = runs[-1][-1][0]
    for doc in documents:
        if doc.played_at < 0:  # marker never reached by the timeline: show it at the end
            doc.played_at = max(count - 1, 0)
    return ReplayPlan(count, times, measured, runs, documents, tool_fragments)


# --- the transport -----------------------------------------------------------------------------


class Player:
    """Position, speed and play state over a plan's schedule; no clock of its own.

    The caller feeds wall-clock seconds to `due(elapsed)`, which returns the position
    that should be on screen now; the caller applies it (possibly in batches) with `seek`
    or `advance_to`.
    """

    def __init__(self, plan: ReplayPlan, speed: float = 1.0) -> None:
        self.plan = plan
        self.position = 0
        self.playing = False
        self.speed = speed if speed > 0 else 1.0
        self.clock = 0.0  # replay seconds at 1x

    @property
    def count(self) -> int:
        return self.plan.chunk_count

    @property
    def at_end(self) -> bool:
        return self.position >= self.count

    @property
    def instant(self) -> bool:
        return math.isinf(self.speed)

    @property
    def elapsed(self) -> float:
        """Replay time of the chunk on screen (deterministic for a given position)."""
        return self.plan.time_at(self.position)

    def play(self) -> None:
        if self.at_end:
            self.seek(0)
        self.playing = self.count > 0

    def pause(self) -> None:
        self.playing = False

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def seek(self, position: int) -> int:
        self.position = max(0, min(self.count, position))
        self.clock = self.plan.time_at(self.position)
        if self.at_end:
            self.playing = False
        return self.position

    def step(self, delta: int) -> int:
        self.pause()
        return self.seek(self.position + delta)

    def jump_target(self, direction: int) -> int:
        """The position a `[` (-1) or `]` (+1) jump of SEEK_FRACTION of the chunks lands on."""
        offset = max(1, round(self.count * SEEK_FRACTION))
        return max(0, min(self.count, self.position + direction * offset))

    def due(self, elapsed: float) -> int:
        """Advance the replay clock by `elapsed` wall seconds; the position due now."""
        if not self.playing:
            return self.position
        if self.instant:
            return self.count
        self.clock += elapsed * self.speed
        return max(self.position, min(self.count, self.plan.position_at(self.clock)))

    def advance_to(self, position: int) -> None:
        """Record that `position` chunks are now on screen (the clock keeps running)."""
        self.position = max(0, min(self.count, position))
        if self.at_end:
            self.playing = False

    def faster(self) -> float:
        if self.instant:
            return self.speed
        higher = [s for s in SPEEDS if s > self.speed + 1e-9]
        self.speed = higher[0] if higher else INSTANT
        return self.speed

    def slower(self) -> float:
        if self.instant:
            self.speed = SPEEDS[-1]
            return self.speed
        lower = [s for s in SPEEDS if s < self.speed - 1e-9]
        self.speed = lower[-1] if lower else SPEEDS[0]
        return self.speed


# --- tool-call arguments against the declared parameters ---------------------------------------

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _type_ok(value: Any, declared: Any) -> bool:
    names = declared if isinstance(declared, list) else [declared]
    known = [name for name in names if isinstance(name, str) and name in _JSON_TYPES]
    if not known:
        return True  # a type we do not check
    for name in known:
        if isinstance(value, bool) and name in ("number", "integer"):
            continue
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return True
        if isinstance(value, _JSON_TYPES[name]):
            return True
    return False


def check_arguments(call: ToolCall, spec: ToolSpec | None, *, tools_offered: bool = True) -> list[str]:
    """One-line problems of a complete call's arguments: JSON, required keys, types, enums.

    `tools_offered`: whether the request declared any tools; a call to an undeclared tool is
    flagged only then (follow-up turns often repeat earlier calls without the tool list).
    """
    value, error = call.parsed_arguments()
    if error is not None:
        return [error]
    if spec is None:
        if call.name and tools_offered:
            return [f"no tool named {call.name!r} was offered in the request"]
        return []
    schema = spec.parameters if isinstance(spec.parameters, dict) else {}
    if not schema:
        return []
    if not isinstance(value, dict):
        return [f"arguments are a JSON {type(value).__name__}, not an object"]
    problems = []
    required = schema.get("required")
    for key in required if isinstance(required, list) else []:
        if isinstance(key, str) and key not in value:
            problems.append(f"missing required key {key!r}")
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    for key, item in value.items():
        prop = properties.get(key)
        if not isinstance(prop, dict):
            if schema.get("additionalProperties") is False:
                problems.append(f"unexpected key {key!r}")
            continue
        if "type" in prop and not _type_ok(item, prop["type"]):
            problems.append(f"{key!r} should be {prop['type']}, got {_json_type_name(item)}")
        enum = prop.get("enum")
        if isinstance(enum, list) and item not in enum:
            problems.append(f"{key!r} is not one of {enum}")
    return problems


def _json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def tool_spec(recording: Recording, name: str) -> ToolSpec | None:
    return next((spec for spec in recording.tools if spec.name == name), None)
