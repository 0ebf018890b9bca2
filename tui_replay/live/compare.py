"""Stored answer against live answer: verdict, differences and a word-level text diff.

The verdict is `same` when the text, the tool calls (names and parsed arguments,
ids ignored) and the finish reason are equal; usage and timings are reported but
never decide it. Embeddings compare count, dimensions and cosine similarity; model
lists compare which ids appear or vanish.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# One word diff for compare, diff and the app; EQUAL/DELETE/INSERT are its run names.
from tui_replay.comparison import DELETE, EQUAL, INSERT, count_words, word_diff  # noqa: F401
from tui_replay.live.plan import EMBEDDINGS, MODELS
from tui_replay.recording.model import Response, ToolCall

SAME = "same"
DIFFERENT = "different"
# Embeddings count as the same when every pair of vectors is at least this similar
# (float noise across runs and hardware stays far above it).
COSINE_SAME = 0.999


def tool_call_view(call: ToolCall) -> dict[str, Any]:
    value, error = call.parsed_arguments()
    return {"name": call.name, "arguments": call.arguments if error else value}


@dataclass(slots=True)
class AnswerView:
    """One side of the comparison, in the shape `--json` prints."""

    text: str
    tool_calls: list[dict[str, Any]]
    finish_reason: str | None
    usage: dict[str, Any] | None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # a recorded exception on the stored side

    @classmethod
    def of(cls, response: Response) -> AnswerView:
        error = None
        if response.exception is not None:
            status = f"HTTP {response.exception.status}: " if response.exception.status else ""
            error = f"{status}{response.exception.message}"
        return cls(
            text=response.text,
            tool_calls=[tool_call_view(call) for call in response.tool_calls],
            finish_reason=response.finish_reason,
            usage=response.usage.as_dict() if response.usage is not None else None,
            summary=dict(response.summary),
            error=error,
        )

    def key(self) -> tuple[Any, ...]:
        """What decides the verdict, hashable (for grouping repeated answers)."""
        calls = tuple((c["name"], repr(c["arguments"])) for c in self.tool_calls)
        return (self.text, calls, self.finish_reason, repr(sorted(self.summary.items())))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "tool_calls": self.tool_calls,
            "finish_reason": self.finish_reason,
            "usage": self.usage,
        }
        if self.summary:
            data["summary"] = self.summary
        if self.error:
            data["error"] = self.error
        return data


@dataclass(slots=True)
class Comparison:
    operation: str
    stored: AnswerView
    live: AnswerView
    differences: list[dict[str, Any]] = field(default_factory=list)
    text_diff: list[tuple[str, str]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return SAME if not self.differences else DIFFERENT


def _compare_tool_calls(stored: list[dict[str, Any]], live: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for index in range(max(len(stored), len(live))):
        a = stored[index] if index < len(stored) else None
        b = live[index] if index < len(live) else None
        if a is None and b is not None:
            message = f"tool call {index}: live calls {b['name']} that the stored answer does not"
        elif b is None and a is not None:
            message = f"tool call {index}: the stored answer calls {a['name']}, the live one does not"
        elif a is not None and b is not None and a["name"] != b["name"]:
            message = f"tool call {index}: stored calls {a['name']}, live calls {b['name']}"
        elif a is not None and b is not None and a["arguments"] != b["arguments"]:
            message = f"tool call {index} ({a['name']}): the arguments differ"
        else:
            continue
        found.append({"field": "tool_calls", "index": index, "message": message, "stored": a, "live": b})
    return found


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


def _compare_embeddings(stored: list[list[float]], live: list[list[float]], comparison: Comparison) -> None:
    count_a, count_b = len(stored), len(live)
    dims_a = sorted({len(v) for v in stored})
    dims_b = sorted({len(v) for v in live})
    comparison.stored.summary = {"count": count_a, "dimensions": dims_a[0] if len(dims_a) == 1 else dims_a}
    comparison.live.summary = {"count": count_b, "dimensions": dims_b[0] if len(dims_b) == 1 else dims_b}
    if count_a != count_b:
        comparison.differences.append(
            {
                "field": "count",
                "message": f"{count_a} stored vectors, {count_b} live",
                "stored": count_a,
                "live": count_b,
            }
        )
    if dims_a != dims_b:
        comparison.differences.append(
            {
                "field": "dimensions",
                "message": f"dimensions {comparison.stored.summary['dimensions']} stored, "
                f"{comparison.live.summary['dimensions']} live",
                "stored": comparison.stored.summary["dimensions"],
                "live": comparison.live.summary["dimensions"],
            }
        )
        return
    similarities = [cosine(a, b) for a, b in zip(stored, live, strict=False)]
    values = [s for s in similarities if s is not None]
    if values:
        low = min(values)
        comparison.live.summary["cosine_min"] = round(low, 6)
        comparison.live.summary["cosine_mean"] = round(sum(values) / len(values), 6)
        if low < COSINE_SAME:
            comparison.differences.append(
                {
                    "field": "cosine",
                    "message": f"lowest cosine similarity {low:.4f} (below {COSINE_SAME})",
                    "cosine": [round(s, 6) if s is not None else None for s in similarities],
                }
            )


def _compare_models(stored: Response, live: Response, comparison: Comparison) -> None:
    ids_a = [str(i) for i in stored.summary.get("models", [])]
    ids_b = [str(i) for i in live.summary.get("models", [])]
    vanished = sorted(set(ids_a) - set(ids_b))
    appeared = sorted(set(ids_b) - set(ids_a))
    comparison.stored.summary = {"models": ids_a, "count": len(ids_a)}
    comparison.live.summary = {"models": ids_b, "count": len(ids_b)}
    if vanished or appeared:
        comparison.differences.append(
            {
                "field": "models",
                "message": f"{len(appeared)} model ids appeared, {len(vanished)} vanished",
                "appeared": appeared,
                "vanished": vanished,
            }
        )


def compare(
    operation: str,
    stored: Response,
    live: Response,
    *,
    stored_raw_body: Any = None,
    live_raw_body: Any = None,
) -> Comparison:
    """Compare two assembled answers of the same operation (see module doc for the rules)."""
    comparison = Comparison(operation, AnswerView.of(stored), AnswerView.of(live))
    if operation == EMBEDDINGS:
        _compare_embeddings(embedding_vectors(stored_raw_body), embedding_vectors(live_raw_body), comparison)
        return comparison
    if operation == MODELS:
        _compare_models(stored, live, comparison)
        return comparison
    a, b = comparison.stored, comparison.live
    comparison.text_diff = word_diff(a.text, b.text)
    if a.text != b.text:
        removed = sum(count_words(t) for op, t in comparison.text_diff if op == DELETE)
        added = sum(count_words(t) for op, t in comparison.text_diff if op == INSERT)
        comparison.differences.append(
            {
                "field": "text",
                "message": f"text differs: {removed} words only in stored, {added} only in live",
                "diff": [list(run) for run in comparison.text_diff],
            }
        )
    comparison.differences.extend(_compare_tool_calls(a.tool_calls, b.tool_calls))
    if a.finish_reason != b.finish_reason:
        comparison.differences.append(
            {
                "field": "finish_reason",
                "message": f"finish reason {a.finish_reason} stored, {b.finish_reason} live",
                "stored": a.finish_reason,
                "live": b.finish_reason,
            }
        )
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
    keys = {c.live.key() for c in comparisons}
    return Stability(
        runs=len(comparisons), match_stored=sum(c.verdict == SAME for c in comparisons), distinct=len(keys)
    )
