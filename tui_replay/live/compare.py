"""Stored answer against live answer, on the typed comparison model of `tui_replay.comparison.model`.

The verdict is `same` when the text, the reasoning, the tool calls (names and arguments
compared as JSON, ids ignored), the finish reason and a recorded error agree; usage, chunk
counts and timings are reported (as non-deciding differences and typed `Timings`) but never
decide it. Embeddings compare count, dimensions and cosine similarity; model lists compare
which ids appear or vanish.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# One word diff for compare, diff and the app; EQUAL/DELETE/INSERT are its run names.
from tui_replay.comparison.model import (  # noqa: F401
    DELETE,
    DIFFERENT,
    EQUAL,
    INSERT,
    SAME,
    AnswerSide,
    CosineDifference,
    Difference,
    Labels,
    ModelListDifference,
    RecordingComparison,
    TextDifference,
    ValueDifference,
    answer_differences,
    answer_key,
    count_words,
    decides,
    word_diff,
)
from tui_replay.live.plan import EMBEDDINGS, MODELS
from tui_replay.recording.model import Response

STORED_LIVE: Labels = ("stored", "live")
# Embeddings count as the same when every pair of vectors is at least this similar
# (float noise across runs and hardware stays far above it).
COSINE_SAME = 0.999


def side_json(side: AnswerSide) -> dict[str, Any]:
    """One side in the shape `compare --json` prints (stable: text, tool_calls, finish_reason,
    usage; summary and error only when there are some)."""
    data: dict[str, Any] = {
        "text": side.text,
        "tool_calls": [{"name": call.name, "arguments": call.arguments} for call in side.tool_calls],
        "finish_reason": side.finish_reason,
        "usage": side.usage,
    }
    if side.summary:
        data["summary"] = side.summary
    if side.error:
        data["error"] = side.error
    return data


@dataclass(slots=True)
class Comparison:
    """A stored answer against a live one: every difference found, typed."""

    operation: str
    stored: AnswerSide
    live: AnswerSide
    found: list[Difference] = field(default_factory=list)  # usage and chunk counts included

    @property
    def differences(self) -> list[Difference]:
        """The differences that decide the verdict (what `compare --json` lists)."""
        return [d for d in self.found if decides(d)]

    @property
    def verdict(self) -> str:
        return SAME if not self.differences else DIFFERENT

    @property
    def text_diff(self) -> tuple[tuple[str, str], ...]:
        for difference in self.found:
            if isinstance(difference, TextDifference) and difference.field == "text":
                return difference.runs
        return tuple(word_diff(self.stored.text, self.live.text))

    def differences_json(self) -> list[dict[str, Any]]:
        return [d.to_json(STORED_LIVE) for d in self.differences]

    def as_recording_comparison(self, path: str) -> RecordingComparison:
        """The same result as `diff` has it, for the shared renderables."""
        return RecordingComparison(path, self.verdict, self.stored, self.live, answer=list(self.found))


def cosine(a: list[float], b: list[float]) -> float | None:
    if len(a) != len(b) or not a:
        return None
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else None


def embedding_vectors(data: Any) -> list[list[float]]:
    """The vectors of a CreateEmbeddingResponse as plain data (wrapped or not)."""
    if isinstance(data, dict) and "__data__" in data:
        data = data["__data__"]
    if not isinstance(data, dict):
        return []
    vectors = []
    for item in data.get("data") or []:
        vector = item.get("embedding") if isinstance(item, dict) else None
        if isinstance(vector, list) and vector and isinstance(vector[0], list):
            vector = [x for row in vector for x in row]  # per-token vectors (llama.cpp without pooling)
        if isinstance(vector, list) and all(isinstance(x, int | float) for x in vector):
            vectors.append([float(x) for x in vector])
    return vectors


def _summary_dimensions(vectors: list[list[float]]) -> Any:
    dimensions = sorted({len(v) for v in vectors})
    return dimensions[0] if len(dimensions) == 1 else dimensions


def _compare_embeddings(stored: list[list[float]], live: list[list[float]], comparison: Comparison) -> None:
    comparison.stored.summary = {"count": len(stored), "dimensions": _summary_dimensions(stored)}
    comparison.live.summary = {"count": len(live), "dimensions": _summary_dimensions(live)}
    for name in ("count", "dimensions"):
        left, right = comparison.stored.summary[name], comparison.live.summary[name]
        if left != right:
            comparison.found.append(ValueDifference(name, left, right, decides=True))
    if comparison.stored.summary["dimensions"] != comparison.live.summary["dimensions"]:
        return
    similarities = [cosine(a, b) for a, b in zip(stored, live, strict=False)]
    values = [s for s in similarities if s is not None]
    if values:
        low = min(values)
        comparison.live.summary["cosine_min"] = round(low, 6)
        comparison.live.summary["cosine_mean"] = round(sum(values) / len(values), 6)
        if low < COSINE_SAME:
            comparison.found.append(CosineDifference(tuple(similarities), COSINE_SAME))


def _compare_models(stored: Response, live: Response, comparison: Comparison) -> None:
    ids_a = [str(i) for i in stored.summary.get("models", [])]
    ids_b = [str(i) for i in live.summary.get("models", [])]
    vanished = sorted(set(ids_a) - set(ids_b))
    appeared = sorted(set(ids_b) - set(ids_a))
    comparison.stored.summary = {"models": ids_a, "count": len(ids_a)}
    comparison.live.summary = {"models": ids_b, "count": len(ids_b)}
    if vanished or appeared:
        comparison.found.append(ModelListDifference(tuple(appeared), tuple(vanished)))


def compare(
    operation: str,
    stored: Response,
    live: Response,
    *,
    stored_raw_body: Any = None,
    live_raw_body: Any = None,
) -> Comparison:
    """Compare two assembled answers of the same operation (see module doc for the rules)."""
    comparison = Comparison(operation, AnswerSide.of(stored), AnswerSide.of(live))
    if operation == EMBEDDINGS:
        _compare_embeddings(embedding_vectors(stored_raw_body), embedding_vectors(live_raw_body), comparison)
    elif operation == MODELS:
        _compare_models(stored, live, comparison)
    else:
        comparison.found = answer_differences(comparison.stored, comparison.live)
    return comparison


@dataclass(slots=True)
class Stability:
    """How repeated live answers relate to the stored one and to each other."""

    runs: int
    match_stored: int
    distinct: int  # distinct live answers (1 = every run gave the same answer)

    @property
    def all_identical(self) -> bool:
        return self.distinct <= 1

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "match_stored": self.match_stored,
            "distinct_live_answers": self.distinct,
            "live_answers_identical": self.all_identical,
        }

    def describe(self) -> str:
        agree = "all identical" if self.all_identical else f"{self.distinct} different answers"
        return f"{self.match_stored}/{self.runs} live answers match the stored one; live answers: {agree}"


def stability(comparisons: list[Comparison]) -> Stability:
    keys = {answer_key(c.live) for c in comparisons}
    return Stability(
        runs=len(comparisons), match_stored=sum(c.verdict == SAME for c in comparisons), distinct=len(keys)
    )
