"""One re-issue end to end: send, assemble like a stored file, compare. Shared by CLI and app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_replay.comparison.model import Timings
from tui_replay.live.capture import LiveAnswer, assemble_live, timings
from tui_replay.live.compare import Comparison, Stability, compare, side_json, stability
from tui_replay.live.issue import ChunkCallback, issue
from tui_replay.live.plan import LiveCall
from tui_replay.live.target import LiveTarget, display_url
from tui_replay.recording.model import Recording


@dataclass(slots=True)
class LiveRun:
    answer: LiveAnswer
    comparison: Comparison
    timings: Timings

    @property
    def verdict(self) -> str:
        return self.comparison.verdict

    def live_json(self, target: LiveTarget) -> dict[str, Any]:
        exchange = self.answer.exchange
        data = side_json(self.comparison.live)
        data.update(self.timings.to_json())
        data["model"] = self.answer.response.model or exchange.call.model
        data["base_url"] = display_url(exchange.base_url)
        return data


def stored_raw_body(recording: Recording) -> Any:
    raw = recording.response_raw
    if isinstance(raw.get("response"), dict):  # tolerate a whole-file dict
        raw = raw["response"]
    return raw.get("body") if isinstance(raw, dict) else None


async def run_once(
    stored: Recording, call: LiveCall, target: LiveTarget, on_chunk: ChunkCallback | None = None
) -> LiveRun:
    """Re-issue once; LiveError (one-line cause) when the call cannot be completed."""
    exchange = await issue(target, call, on_chunk)
    answer = assemble_live(stored, exchange, target)
    comparison = compare(
        call.operation,
        stored.response,
        answer.response,
        stored_raw_body=stored_raw_body(stored),
        live_raw_body=answer.raw_body,
    )
    return LiveRun(answer, comparison, timings(answer))


def report_json(path: str, runs: list[LiveRun], target: LiveTarget) -> dict[str, Any]:
    """The one object `compare --json` prints (first run in detail, stability when repeated)."""
    first = runs[0]
    verdict = "same" if all(run.verdict == "same" for run in runs) else "different"
    data: dict[str, Any] = {
        "path": path,
        "verdict": verdict,
        "operation": first.comparison.operation,
        "stored": side_json(first.comparison.stored),
        "live": first.live_json(target),
        "differences": first.comparison.differences_json(),
    }
    if len(runs) > 1:
        data["repeat"] = repeat_stability(runs).to_json()
        data["repeat"]["verdicts"] = [run.verdict for run in runs]
    return data


def repeat_stability(runs: list[LiveRun]) -> Stability:
    return stability([run.comparison for run in runs])
