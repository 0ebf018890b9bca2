"""What a running server shares with its listeners: the state the request handlers read and the
`Traffic` record of each request (the log line, the traffic screen). No web framework here, so the
recorder (upstream) and the screens can name these types without importing the server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui_replay.serve.index import ClientRequest, ServeIndex
from tui_replay.serve.replies import ReplyCache, Timing


@dataclass(slots=True)
class Traffic:
    """One request, as the log line and the traffic screen show it."""

    at: float  # time.time() when it arrived
    method: str
    path: str
    model: str | None
    verdict: str  # hit | ambiguous | miss | recorded | error
    status: int
    latency_ms: float  # to the first byte
    recording: str | None = None  # the file that answered (hit, ambiguous, recorded)
    request: ClientRequest | None = None  # kept for the explain screen
    note: str = ""
    nearest: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ServeState:
    index: ServeIndex
    timing: Timing
    host: str = "127.0.0.1"
    upstream: str | None = None
    record_dir: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    listeners: list[Callable[[Traffic], None]] = field(default_factory=list)
    replies: ReplyCache | None = None

    def __post_init__(self) -> None:
        if self.replies is None:
            self.replies = ReplyCache(self.index.max_size)

    def publish(self, traffic: Traffic) -> None:
        for listener in list(self.listeners):
            listener(traffic)
