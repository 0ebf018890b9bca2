"""When each chunk of a recorded stream plays, in seconds at 1x: the pacing model.

Used by the replay screen's plan (`tui_replay.app.playback`) and by `serve`, which paces a
served stream the same way, so a stream served and the same stream replayed on screen keep
the same rhythm. Pure Python, like the rest of `recording`.

Pacing model (recordings carry no timing):
  * a chunk's size in tokens is estimated from the text it carries (answer text,
    reasoning, tool-call name and argument fragments) as ceil(characters / 4),
    the usual rule of thumb for English BPE tokenizers;
  * at 1x the model produces PACED_TOKENS_PER_SECOND = 40 tokens/s, a typical
    decode rate for hosted chat models, so a chunk plays tokens / 40 s after the
    previous one; chunks without text (role, usage, filter metadata) play at once;
  * a non-streamed body arrives whole at t = 0.
Where a recording carries real arrival times (`Recording.chunk_times`, or
`Event.at` from our live captures) those are replayed instead, and the model
only fills chunks that have no time.
"""

from __future__ import annotations

import math

from tui_replay.recording.model import Event, EventKind, Recording

PACED_TOKENS_PER_SECOND = 40.0
CHARS_PER_TOKEN = 4.0


def estimate_tokens(chars: int) -> int:
    """Tokens for `chars` characters of text (0 for none)."""
    return math.ceil(chars / CHARS_PER_TOKEN) if chars > 0 else 0


def chunk_count_of(recording: Recording) -> int:
    last = max((event.chunk for event in recording.timeline), default=-1)
    count = max(recording.response.chunks, last + 1)
    if count == 0 and (recording.timeline or recording.response.text):
        count = 1
    return count


def chunk_events(recording: Recording) -> list[list[Event]]:
    """The timeline's events grouped by chunk, one list per chunk (empty chunks included)."""
    count = chunk_count_of(recording)
    grouped: list[list[Event]] = [[] for _ in range(count)]
    for event in recording.timeline:
        if 0 <= event.chunk < count:
            grouped[event.chunk].append(event)
    if not recording.timeline and recording.response.text and count:
        # A body without a timeline: its text is the single chunk.
        grouped[0] = [Event(chunk=0, kind=EventKind.TEXT, text=recording.response.text)]
    return grouped


def _event_chars(event: Event) -> int:
    if event.kind in (EventKind.TEXT, EventKind.REASONING):
        return len(event.text)
    if event.kind is EventKind.TOOL_CALL:
        return len(event.text) + len(event.tool_name or "")
    return 0


def schedule(recording: Recording, grouped: list[list[Event]]) -> tuple[list[float], bool]:
    """(times, measured): when each chunk of `grouped` (chunk_events) has played, in seconds at
    1x. See the module docstring."""
    count = len(grouped)
    measured_at: list[float | None] = [None] * count
    if recording.chunk_times:
        for index, value in enumerate(recording.chunk_times[:count]):
            measured_at[index] = float(value)
    for index, events in enumerate(grouped):
        stamps = [event.at for event in events if event.at is not None]
        if stamps and measured_at[index] is None:
            measured_at[index] = max(stamps)
    measured = any(value is not None for value in measured_at)
    if not recording.streaming and count == 1 and not measured:
        return [0.0], False
    times: list[float] = []
    clock = 0.0
    for index, events in enumerate(grouped):
        real = measured_at[index]
        if real is not None:
            clock = max(clock, real)
        else:
            tokens = estimate_tokens(sum(_event_chars(event) for event in events))
            clock += tokens / PACED_TOKENS_PER_SECOND
        times.append(clock)
    return times, measured
