"""One comparison model for `diff`, `compare` and the app: two answers (or two recordings)
as typed differences and a verdict.

Verdicts: `same` (nothing differs), `same-answer` (only chunking, ids, timestamps or usage
differ), `different` (the request or the answer differs), `added` / `removed` (one side
only), `error` (a side could not be read). Pure data: no I/O, no Textual.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui_replay.recording.jsondiff import MISSING, json_pointer_differences
from tui_replay.recording.model import Kind, Recording, Response, ToolCall

SAME = "same"
SAME_ANSWER = "same-answer"
DIFFERENT = "different"
ADDED = "added"
REMOVED = "removed"
ERROR = "error"
VERDICTS = (SAME, SAME_ANSWER, DIFFERENT, ADDED, REMOVED, ERROR)

EQUAL, DELETE, INSERT = "equal", "delete", "insert"
_WORDS = re.compile(r"\s+|\S+")

# How the two sides are named: `diff` says a / b, `compare` stored / live.
Labels = tuple[str, str]
AB: Labels = ("a", "b")

# Response keys that change on every recording without changing the answer.
VOLATILE_KEYS = frozenset(
    {
        "id",
        "created",
        "created_at",
        "system_fingerprint",
        "usage",
        "total_duration",
        "load_duration",
        "prompt_eval_duration",
        "eval_duration",
        "prompt_eval_count",
        "eval_count",
    }
)
# Keys a re-record changes without changing anything asked or answered: counted as "ids and
# timestamps" (a pointer's last token; `*_id`, `*_at` and `*duration` too).
_IDENTIFIER_KEYS = frozenset({"id", "created", "created_at", "system_fingerprint", "timestamp"})


def is_id_or_timestamp(pointer: str) -> bool:
    last = pointer.rsplit("/", 1)[-1]
    return last in _IDENTIFIER_KEYS or last.endswith(("_id", "_at", "duration"))


# Kinds whose answer is assembled text, reasoning and tool calls (chunking does not matter).
TEXT_KINDS = frozenset(
    {Kind.CHAT, Kind.COMPLETION, Kind.GENERATE, Kind.GEMINI, Kind.MESSAGES, Kind.INTERACTIONS}
)


# Longer texts (both together, in characters) are diffed as common start, changed middle, common
# end: a word diff holds ~60 bytes a word (a 32 MB answer took diff past 1 GiB) and takes
# quadratic time. Real answers are far shorter.
WORD_DIFF_MAX_CHARS = 1_000_000


def word_diff(a: str, b: str) -> list[tuple[str, str]]:
    """(op, text) runs, op in equal/delete/insert; whitespace runs are tokens too, so
    a whitespace-only change is visible and joining the equal+delete runs gives `a` back."""
    if len(a) + len(b) > WORD_DIFF_MAX_CHARS:
        return _ends_diff(a, b)
    left, right = _WORDS.findall(a), _WORDS.findall(b)
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append((EQUAL, "".join(left[i1:i2])))
            continue
        if i2 > i1:
            runs.append((DELETE, "".join(left[i1:i2])))
        if j2 > j1:
            runs.append((INSERT, "".join(right[j1:j2])))
    return runs


def _ends_diff(a: str, b: str) -> list[tuple[str, str]]:
    """The runs of `word_diff` for texts too long to split into words: what both start and
    end with is equal, the rest of each is deleted / inserted."""
    start = _common_length(min(len(a), len(b)), lambda n: a[:n] == b[:n])
    end = _common_length(min(len(a), len(b)) - start, lambda n: a[len(a) - n :] == b[len(b) - n :])
    middle_a, middle_b = a[start : len(a) - end], b[start : len(b) - end]
    runs = [(EQUAL, a[:start]), (DELETE, middle_a), (INSERT, middle_b), (EQUAL, a[len(a) - end :])]
    return [(op, text) for op, text in runs if text]


def _common_length(limit: int, same: Callable[[int], bool]) -> int:
    """The largest n <= `limit` for which `same(n)` holds (it holds for every smaller n): a
    binary search of string comparisons, each at C speed."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if same(middle):
            low = middle
        else:
            high = middle - 1
    return low


def count_words(text: str) -> int:
    return len(text.split())


def _json_text(value: Any) -> str:
    return "(none)" if value is MISSING else json.dumps(value, ensure_ascii=False, default=str)


def short_json(value: Any, limit: int = 80) -> str:
    """A value for a one-line message: JSON, cut at `limit` characters; MISSING as (none).
    (A difference shows both sides with `changed_window`, which keeps the change in view.)"""
    text = _json_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def changed_window(a: Any, b: Any, limit: int = 80, context: int = 30) -> tuple[str, str]:
    """Both values as JSON for a one-line message. Short ones whole; long ones as a window
    around where they differ (`context` characters each side, `…` where text is left out), so
    a change deep in a long message shows instead of two identical cut-off beginnings."""
    left, right = _json_text(a), _json_text(b)
    if len(left) <= limit and len(right) <= limit:
        return left, right
    prefix = 0
    shortest = min(len(left), len(right))
    while prefix < shortest and left[prefix] == right[prefix]:
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix and left[-1 - suffix] == right[-1 - suffix]:
        suffix += 1
    start = max(0, prefix - context)

    def window(text: str) -> str:
        changed_end = len(text) - suffix
        end = min(len(text), changed_end + context)
        if changed_end - prefix > limit:  # a long change: its beginning, then its end
            middle = text[prefix : prefix + limit // 2] + "…" + text[changed_end - limit // 2 : end]
        else:
            middle = text[prefix:end]
        return ("…" if start > 0 else "") + text[start:prefix] + middle + ("…" if end < len(text) else "")

    return window(left), window(right)


def pointer_label(pointer: str) -> str:
    """A JSON pointer as printed: RFC 6901 as is; `""` (the whole value) as `""`, since `/`
    would be the pointer to the key named ""."""
    return pointer if pointer else '""'


# --- differences --------------------------------------------------------------------------


# Request fields the recorder adds about itself (the SDK and server versions), not what was sent:
# reported, but a re-record that only bumps them keeps its meaning.
RECORDER_METADATA = "/provider_metadata"


@dataclass(frozen=True, slots=True)
class RequestDifference:
    """A request field that differs, by JSON pointer into the stored request."""

    pointer: str
    a: Any
    b: Any

    @property
    def decides(self) -> bool:
        return not (self.pointer == RECORDER_METADATA or self.pointer.startswith(RECORDER_METADATA + "/"))

    def describe(self) -> str:
        a, b = changed_window(self.a, self.b)
        return f"request {pointer_label(self.pointer)}: {a} → {b}"

    def to_json(self, labels: Labels = AB) -> dict[str, Any]:
        return {
            "field": "request",
            "pointer": self.pointer,
            "decides": self.decides,
            **_sides(self.a, self.b, labels),
        }


@dataclass(frozen=True, slots=True)
class TextDifference:
    """The answer text (or the reasoning) differs: a word diff."""

    field: str  # "text" or "reasoning"
    runs: tuple[tuple[str, str], ...]

    @property
    def words_removed(self) -> int:
        return sum(count_words(text) for op, text in self.runs if op == DELETE)

    @property
    def words_added(self) -> int:
        return sum(count_words(text) for op, text in self.runs if op == INSERT)

    def describe(self) -> str:
        return f"{self.field} differs: {self.words_removed} words removed, {self.words_added} added"

    def to_json(self, labels: Labels = AB) -> dict[str, Any]:
        return {"field": self.field, "message": self.describe(), "diff": [list(run) for run in self.runs]}


@dataclass(frozen=True, slots=True)
class ToolCallDifference:
    """A tool call that appeared, vanished, changed name or changed arguments (compared as JSON)."""

    index: int
    name_a: str | None  # None: no such call on that side
    name_b: str | None
    arguments: tuple[tuple[str, Any, Any], ...] = ()  # (pointer, a, b) inside the arguments
    arguments_a: Any = None
    arguments_b: Any = None

    def describe(self) -> str:
        if self.name_a is None:
            return f"tool call {self.index}: {self.name_b} added"
        if self.name_b is None:
            return f"tool call {self.index}: {self.name_a} removed"
        if self.name_a != self.name_b:
            return f"tool call {self.index}: {self.name_a} became {self.name_b}"
        changes = "; ".join(
            "argument {} {} → {}".format(pointer_label(pointer), *changed_window(a, b))
            for pointer, a, b in self.arguments
        )
        return f"tool call {self.index} ({self.name_a}) arguments differ: {changes}"

    def call(self, side: int) -> dict[str, Any] | None:
        """One side's call as {"name", "arguments"} (None when that side has no such call)."""
        name = (self.name_a, self.name_b)[side]
        arguments = (self.arguments_a, self.arguments_b)[side]
        return None if name is None else {"name": name, "arguments": arguments}

    def to_json(self, labels: Labels = AB) -> dict[str, Any]:
        return {
            "field": "tool_calls",
            "index": self.index,
            "message": self.describe(),
            "name": _sides(self.name_a, self.name_b, labels),
            "arguments": [{"pointer": p, **_sides(a, b, labels)} for p, a, b in self.arguments],
            labels[0]: self.call(0),
            labels[1]: self.call(1),
        }


@dataclass(frozen=True, slots=True)
class ValueDifference:
    """A single answer value: finish reason and error decide the verdict; usage, chunk count,
    model and the rest of a non-text body (ids, timestamps excepted) are reported. A value
    inside the response body has field `body` and its JSON pointer."""

    field: str
    a: Any
    b: Any
    decides: bool
    pointer: str | None = None

    def describe(self) -> str:
        a, b = changed_window(self.a, self.b)
        if self.pointer is not None:  # a pointer is printed exactly (RFC 6901), never prettified
            return f"{self.field} {pointer_label(self.pointer)}: {a} → {b}"
        return f"{self.field.replace('_', ' ')}: {a} → {b}"

    def to_json(self, labels: Labels = AB) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field}
        if self.pointer is not None:
            data["pointer"] = self.pointer
        return {**data, "message": self.describe(), "decides": self.decides, **_sides(self.a, self.b, labels)}


@dataclass(frozen=True, slots=True)
class CosineDifference:
    """Embedding vectors that point elsewhere: the lowest pairwise cosine similarity is below
    the threshold (float noise across runs and hardware stays far above it)."""

    similarities: tuple[float | None, ...]
    threshold: float

    @property
    def lowest(self) -> float:
        return min(s for s in self.similarities if s is not None)

    def describe(self) -> str:
        return f"lowest cosine similarity {self.lowest:.4f} (below {self.threshold})"

    def to_json(self, labels: Labels = AB) -> dict[str, Any]:
        return {
            "field": "cosine",
            "message": self.describe(),
            "cosine": [None if s is None else round(s, 6) for s in self.similarities],
        }


@dataclass(frozen=True, slots=True)
class ModelListDifference:
    """Model ids that appeared in, or vanished from, a model list."""

    appeared: tuple[str, ...]
    vanished: tuple[str, ...]

    def describe(self) -> str:
        return f"{len(self.appeared)} model ids appeared, {len(self.vanished)} vanished"

    def to_json(self, labels: Labels = AB) -> dict[str, Any]:
        return {
            "field": "models",
            "message": self.describe(),
            "appeared": list(self.appeared),
            "vanished": list(self.vanished),
        }


Difference = (
    RequestDifference
    | TextDifference
    | ToolCallDifference
    | ValueDifference
    | CosineDifference
    | ModelListDifference
)


def _sides(a: Any, b: Any, labels: Labels = AB) -> dict[str, Any]:
    return {labels[0]: None if a is MISSING else a, labels[1]: None if b is MISSING else b}


# --- one side -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolCallView:
    name: str
    arguments: Any  # parsed JSON, or the raw string when it does not parse

    @classmethod
    def of(cls, call: ToolCall) -> ToolCallView:
        value, error = call.parsed_arguments()
        return cls(call.name, call.arguments if error else value)

    def arguments_text(self) -> str:
        return (
            self.arguments
            if isinstance(self.arguments, str)
            else json.dumps(self.arguments, ensure_ascii=False)
        )


@dataclass(slots=True)
class AnswerSide:
    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCallView] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    chunks: int = 0
    error: str | None = None  # a recorded exception
    summary: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, response: Response) -> AnswerSide:
        error = None
        if response.exception is not None:
            status = f"HTTP {response.exception.status}: " if response.exception.status else ""
            error = f"{status}{response.exception.message}"
        return cls(
            text=response.text,
            reasoning=response.reasoning,
            tool_calls=[ToolCallView.of(call) for call in response.tool_calls],
            finish_reason=response.finish_reason,
            usage=response.usage.as_dict() if response.usage is not None else None,
            chunks=response.chunks,
            error=error,
            summary=dict(response.summary),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "reasoning": self.reasoning,
            "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in self.tool_calls],
            "finish_reason": self.finish_reason,
            "usage": self.usage,
            "chunks": self.chunks,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Timings:
    """How a live answer arrived (the stored side has none)."""

    ttft_s: float | None
    total_s: float
    chunks: int
    tokens: int | None
    tokens_basis: str  # "usage", "chunks" (an estimate) or "none"
    tokens_per_s: float | None
    streamed: bool = True  # no time to first chunk without a stream

    def to_json(self) -> dict[str, Any]:
        return {
            "ttft_s": self.ttft_s,
            "total_s": self.total_s,
            "chunks": self.chunks,
            "tokens": self.tokens,
            "tokens_basis": self.tokens_basis,
            "tokens_per_s": self.tokens_per_s,
        }


# --- comparing ----------------------------------------------------------------------------


def tool_call_differences(a: list[ToolCallView], b: list[ToolCallView]) -> list[ToolCallDifference]:
    """Calls by position; names compared, arguments compared as JSON (ids ignored)."""
    found: list[ToolCallDifference] = []
    for index in range(max(len(a), len(b))):
        left = a[index] if index < len(a) else None
        right = b[index] if index < len(b) else None
        if left is None or right is None or left.name != right.name:
            found.append(
                ToolCallDifference(
                    index,
                    left.name if left else None,
                    right.name if right else None,
                    arguments_a=left.arguments if left else None,
                    arguments_b=right.arguments if right else None,
                )
            )
            continue
        changes = json_pointer_differences(left.arguments, right.arguments)
        if changes:
            found.append(
                ToolCallDifference(
                    index, left.name, right.name, tuple(changes), left.arguments, right.arguments
                )
            )
    return found


def answer_differences(
    a: AnswerSide, b: AnswerSide, *, text_like: bool = True, raw_a: Any = None, raw_b: Any = None
) -> list[Difference]:
    """Every difference between two answers; `decides` / the type says which count for the verdict."""
    found: list[Difference] = []
    if text_like:
        if a.text != b.text:
            found.append(TextDifference("text", tuple(word_diff(a.text, b.text))))
        if a.reasoning != b.reasoning:
            found.append(TextDifference("reasoning", tuple(word_diff(a.reasoning, b.reasoning))))
        found.extend(tool_call_differences(a.tool_calls, b.tool_calls))
    else:
        for pointer, left, right in json_pointer_differences(raw_a, raw_b):
            volatile = any(token in VOLATILE_KEYS for token in pointer.split("/"))
            found.append(ValueDifference("body", left, right, decides=not volatile, pointer=pointer))
    for name, decides in (("finish_reason", True), ("error", True), ("usage", False), ("chunks", False)):
        left, right = getattr(a, name), getattr(b, name)
        if left != right:
            found.append(ValueDifference(name, left, right, decides=decides))
    return found


def answer_key(side: AnswerSide) -> tuple[Any, ...]:
    """What decides a verdict about one answer, hashable (for grouping repeated answers)."""
    calls = tuple((call.name, repr(call.arguments)) for call in side.tool_calls)
    return (side.text, side.reasoning, calls, side.finish_reason, repr(sorted(side.summary.items())))


def decides(difference: Difference) -> bool:
    return not isinstance(difference, ValueDifference | RequestDifference) or difference.decides


@dataclass(slots=True)
class RecordingComparison:
    """Two versions of one recording (by relative path, or A against B)."""

    path: str
    verdict: str
    a: AnswerSide | None = None
    b: AnswerSide | None = None
    request: list[RequestDifference] = field(default_factory=list)
    answer: list[Difference] = field(default_factory=list)
    error: str | None = None
    path_b: str | None = None  # when the two sides have different names (a rename, or A B)
    lines_added: int | None = None  # from git, when diffing revisions
    lines_removed: int | None = None
    ids_and_timestamps: int = 0  # values that differ only as ids and times do on every re-record
    untracked: bool = False  # a work-tree file git does not track yet (`git status`: untracked)
    test_id: str | None = None  # the test that recorded it (side b's, else a's)

    @property
    def differences(self) -> list[Difference]:
        return [*self.request, *self.answer]

    def describe(self) -> str:
        """The one-line summary: verdict and what differs."""
        if self.error:
            return self.error
        if self.verdict in (ADDED, REMOVED, SAME):
            return self.verdict
        if self.verdict == SAME_ANSWER:
            reasons = self.same_answer_reasons()
            if self.ids_and_timestamps:  # reported as a count: they change on every re-record
                reasons[0] += (
                    f" ({self.ids_and_timestamps} value{'' if self.ids_and_timestamps == 1 else 's'})"
                )
            return "only " + " and ".join(reasons)
        meaningful = [d for d in self.differences if decides(d)]
        shown = meaningful or self.differences
        return "; ".join(d.describe() for d in shown[:3]) + (
            f"; +{len(shown) - 3} more" if len(shown) > 3 else ""
        )

    def same_answer_reasons(self) -> list[str]:
        """What a `same-answer` pair differs in, coarsely: ids and timestamps, usage, chunking,
        recorder metadata, other reported values; "layout" when only the bytes differ."""
        reasons = ["ids and timestamps"] if self.ids_and_timestamps else []
        for difference in self.differences:
            if isinstance(difference, RequestDifference):
                reason = "recorder metadata"
            elif isinstance(difference, ValueDifference) and difference.field in ("usage", "chunks"):
                reason = "usage" if difference.field == "usage" else "chunking"
            elif isinstance(difference, ValueDifference) and is_id_or_timestamp(difference.pointer or ""):
                reason = "ids and timestamps"
            else:
                reason = "other reported values"
            if reason not in reasons:
                reasons.append(reason)
        return reasons or ["layout"]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "verdict": self.verdict}
        if self.path_b and self.path_b != self.path:
            data["path_b"] = self.path_b
        if self.untracked:
            data["untracked"] = True
        if self.error:
            data["error"] = self.error
        if self.lines_added is not None:
            data["lines"] = {"added": self.lines_added, "removed": self.lines_removed}
        data["ids_and_timestamps"] = self.ids_and_timestamps
        data["differences"] = [d.to_json() for d in self.differences]
        data["a"] = self.a.to_json() if self.a else None
        data["b"] = self.b.to_json() if self.b else None
        return data


def _request_of(recording: Recording) -> Any:
    return recording.request_raw


def compare_recordings(a: Recording | None, b: Recording | None, path: str) -> RecordingComparison:
    """Compare two versions of a recording (None: that side does not exist)."""
    if a is None and b is None:
        raise ValueError("nothing to compare")
    if a is None:
        assert b is not None
        return RecordingComparison(path, ADDED, b=AnswerSide.of(b.response), test_id=b.test_id)
    if b is None:
        return RecordingComparison(path, REMOVED, a=AnswerSide.of(a.response), test_id=a.test_id)
    side_a, side_b = AnswerSide.of(a.response), AnswerSide.of(b.response)
    request = [
        RequestDifference(*change) for change in json_pointer_differences(_request_of(a), _request_of(b))
    ]
    text_like = a.kind in TEXT_KINDS and b.kind in TEXT_KINDS
    answer = answer_differences(
        side_a,
        side_b,
        text_like=text_like,
        raw_a=a.response_raw.get("body"),
        raw_b=b.response_raw.get("body"),
    )
    if a.kind != b.kind:
        answer.insert(0, ValueDifference("kind", str(a.kind), str(b.kind), decides=True))
    if any(decides(d) for d in [*request, *answer]):
        verdict = DIFFERENT
    elif answer or a.response_raw != b.response_raw or a.request_raw != b.request_raw:
        verdict = SAME_ANSWER
    else:
        verdict = SAME
    comparison = RecordingComparison(
        path, verdict, side_a, side_b, request, answer, test_id=b.test_id or a.test_id
    )
    if verdict != SAME:
        comparison.ids_and_timestamps = sum(
            is_id_or_timestamp(pointer)
            for raw_a, raw_b in ((a.request_raw, b.request_raw), (a.response_raw, b.response_raw))
            for pointer, _, _ in json_pointer_differences(raw_a, raw_b)
        )
    return comparison


def error_comparison(path: str, reason: str) -> RecordingComparison:
    return RecordingComparison(path, ERROR, error=reason)
