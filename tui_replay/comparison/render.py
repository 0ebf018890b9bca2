"""The Rich renderables (and the Markdown text) of a comparison, used by `diff`, `compare` and the
app's compare and diff screens.

Recorded text is data: it goes through `safe_text` / `printable`, never markup. Word diffs
carry `[-…-]` / `{+…+}` markers besides colour, so a copy or a monochrome terminal reads right.
No Textual here.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from tui_replay.comparison.model import (
    AB,
    ADDED,
    DELETE,
    DIFFERENT,
    EQUAL,
    ERROR,
    REMOVED,
    SAME,
    SAME_ANSWER,
    VERDICTS,
    AnswerSide,
    CosineDifference,
    Labels,
    ModelListDifference,
    RecordingComparison,
    RequestDifference,
    TextDifference,
    Timings,
    ToolCallDifference,
    ValueDifference,
    decides,
)
from tui_replay.textsafe import printable, safe_text

VERDICT_STYLE = {
    SAME: "green",
    SAME_ANSWER: "green",
    DIFFERENT: "bold red",
    ADDED: "bold cyan",
    REMOVED: "bold magenta",
    ERROR: "bold red",
}


def word_diff_text(runs: Iterable[tuple[str, str]], *, markers: bool = True) -> Text:
    """The word diff: removed words red and struck, added words green; with `markers` also
    wrapped in [-…-] and {+…+} (readable without colour)."""
    result = Text()
    for op, piece in runs:
        if op == EQUAL:
            result.append_text(safe_text(piece))
            continue
        style, opening, closing = ("red strike", "[-", "-]") if op == DELETE else ("bold green", "{+", "+}")
        if markers:
            result.append(opening, "red" if op == DELETE else "green")
        result.append_text(safe_text(piece, style))
        if markers:
            result.append(closing, "red" if op == DELETE else "green")
    return result


def verdict_text(verdict: str) -> Text:
    return Text(verdict, VERDICT_STYLE.get(verdict, ""))


def summary_line(comparison: RecordingComparison) -> Text:
    """`verdict  path  (+n -m)  what differs`, one line."""
    line = Text()
    line.append(f"{comparison.verdict:<11}", VERDICT_STYLE.get(comparison.verdict, ""))
    line.append(" ")
    line.append_text(safe_text(path_label(comparison), single_line=True))
    if comparison.untracked:
        line.append("  (untracked)", "dim")
    if comparison.lines_added is not None:
        line.append(f"  (+{comparison.lines_added} -{comparison.lines_removed})", "dim")
    if comparison.verdict in (DIFFERENT, SAME_ANSWER, ERROR):
        line.append("  ")
        line.append_text(safe_text(comparison.describe(), "dim" if comparison.verdict == SAME_ANSWER else ""))
    return line


def path_label(comparison: RecordingComparison) -> str:
    if comparison.path_b and comparison.path_b != comparison.path:
        return f"{comparison.path} → {comparison.path_b}"
    return comparison.path


@dataclass(frozen=True, slots=True)
class OtherFiles:
    """With `--git`: the changed files that are not recordings (counted as git counts them,
    never compared), and the untracked files that are not recordings."""

    changed: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    untracked: int = 0


def changed_count(comparisons: list[RecordingComparison], other: OtherFiles | None = None) -> int:
    """Files changed as `git diff --stat` counts them: with `--git` every file git lists (a
    renamed recording with the same bytes too) and the other files; between folders the
    files whose bytes differ. Untracked files are counted apart, as `git status` does."""
    if other is None:
        return sum(c.verdict != SAME for c in comparisons)
    return sum(not c.untracked for c in comparisons) + other.changed


def counts_line(comparisons: list[RecordingComparison], other: OtherFiles | None = None) -> Text:
    """`N files changed, …: R recordings (…), M other files changed, not recordings`."""
    tracked = [c for c in comparisons if not c.untracked]
    counts = Counter(c.verdict for c in tracked)
    changed = changed_count(comparisons, other)
    shown = [v for v in VERDICTS if counts[v] and (v != SAME or other is not None)]
    parts = [f"{counts[v]} {v}" for v in shown]
    text = f"{changed} file{'' if changed == 1 else 's'} changed"
    lines = [c for c in tracked if c.lines_added is not None]
    if lines or (other and other.changed):
        added = sum(c.lines_added or 0 for c in lines) + (other.lines_added if other else 0)
        removed = sum(c.lines_removed or 0 for c in lines) + (other.lines_removed if other else 0)
        text += f", {added} insertions(+), {removed} deletions(-)"
    if other is None:
        return Text(text + (": " + ", ".join(parts) if parts else ""), "bold")
    groups = []
    if tracked:
        recordings = f"{len(tracked)} recording{'' if len(tracked) == 1 else 's'}"
        groups.append(f"{recordings} ({', '.join(parts)})")
    if other.changed:
        groups.append(
            f"{other.changed} other file{'' if other.changed == 1 else 's'} changed, not recordings"
        )
    text += ": " + ", ".join(groups) if groups else ""
    untracked_recordings = len(comparisons) - len(tracked)
    untracked = [
        f"{count} {what}{'' if count == 1 else 's'}"
        for count, what in ((untracked_recordings, "recording"), (other.untracked, "other file"))
        if count
    ]
    if untracked:
        text += "; untracked: " + ", ".join(untracked)
    return Text(text, "bold")


class DifferencesView:
    """Every difference of one comparison, one block per kind of difference."""

    def __init__(
        self,
        comparison: RecordingComparison,
        *,
        labels: Labels = AB,
        deciding_only: bool = False,
        windowed: bool = False,
    ) -> None:
        self.comparison = comparison
        self.labels = labels
        self.deciding_only = deciding_only
        self.windowed = windowed  # word diffs: long unchanged text shortened around each change

    def lines(self) -> Iterator[Text]:
        comparison = self.comparison
        if comparison.error:
            yield Text.assemble(("error: ", "bold red"), safe_text(comparison.error))
            return
        for difference in comparison.differences:
            if decides(difference) or not self.deciding_only:
                yield from difference_lines(difference, self.labels, windowed=self.windowed)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines()


def difference_lines(difference: Any, labels: Labels = AB, *, windowed: bool = False) -> Iterator[Text]:
    if isinstance(difference, TextDifference):
        yield Text.assemble((f"{difference.field}: ", "bold"), difference.describe())
        yield word_diff_text(window_runs(difference.runs) if windowed else difference.runs)
    elif isinstance(difference, ToolCallDifference):
        yield Text.assemble(("tool call: ", "bold"), safe_text(difference.describe()))
        for label, name, arguments in (
            (labels[0], difference.name_a, difference.arguments_a),
            (labels[1], difference.name_b, difference.arguments_b),
        ):
            if name is not None:
                shown = arguments if isinstance(arguments, str) else _json(arguments)
                yield Text.assemble(f"  {label}: ", safe_text(f"{name} {shown}"))
    elif isinstance(difference, RequestDifference):
        style = "" if difference.decides else "dim"  # recorder metadata: reported, not meaningful
        what = difference.describe().removeprefix("request ")
        yield Text.assemble(("request ", "bold"), safe_text(what, style))
    elif isinstance(difference, ValueDifference):
        style = "" if difference.decides else "dim"
        yield safe_text(difference.describe(), style)
    elif isinstance(difference, ModelListDifference):
        yield safe_text(difference.describe())
        for label, ids in (("appeared", difference.appeared), ("vanished", difference.vanished)):
            if ids:
                yield Text.assemble(f"  {label}: ", safe_text(", ".join(ids)))
    elif isinstance(difference, CosineDifference):
        yield safe_text(difference.describe())


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


class ComparisonView:
    """One pair in full: the summary line, then the differences."""

    def __init__(self, comparison: RecordingComparison, *, labels: Labels = AB) -> None:
        self.comparison = comparison
        self.labels = labels

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield summary_line(self.comparison)
        if self.comparison.verdict in (DIFFERENT, SAME_ANSWER, ERROR):
            for line in DifferencesView(self.comparison, labels=self.labels).lines():
                yield Text("    ") + line


# --- one side, and the numbers of both ---------------------------------------------------


def arguments_text(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else _json(arguments)


def answer_text(side: AnswerSide, *, summary_only: bool = False) -> Text:
    """One side's final answer as literal text: a recorded error, the text (or, for embeddings
    and model lists, the summary), then the tool calls."""
    result = Text()
    if side.error:
        result.append("recorded error: ", "bold red")
        result.append_text(safe_text(side.error))
        result.append("\n")
    if summary_only:
        for key, value in side.summary.items():
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            result.append(f"{key}: ", "bold")
            result.append_text(safe_text(shown))
            result.append("\n")
        return result
    if side.reasoning:
        result.append("reasoning: ", "bold dim")
        result.append_text(safe_text(side.reasoning, "dim"))
        result.append("\n\n")
    result.append_text(safe_text(side.text) if side.text else Text("(no text)", "dim"))
    for call in side.tool_calls:
        result.append("\n\ntool call ", "bold")
        result.append_text(safe_text(call.name, "bold cyan"))
        result.append("\n")
        result.append_text(safe_text(call.arguments_text()))
    return result


@dataclass(frozen=True, slots=True)
class MetricRow:
    label: str
    a: Any
    b: Any
    differs: bool = False  # shown in red: a value that decides the verdict differs


def _seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f} s"


def metric_rows(
    a: AnswerSide,
    b: AnswerSide | None,
    *,
    timings: Timings | None = None,
    text_like: bool = True,
    usage: bool = True,
) -> list[MetricRow]:
    """Finish reason, usage, chunk counts (and, for a live side, its timings): the table under
    both compare views and the diff screen."""
    other = b or AnswerSide()
    rows: list[MetricRow] = []
    if text_like:
        rows.append(
            MetricRow(
                "finish reason", a.finish_reason, other.finish_reason, a.finish_reason != other.finish_reason
            )
        )
    if usage:
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            rows.append(
                MetricRow(key.replace("_", " "), (a.usage or {}).get(key), (other.usage or {}).get(key))
            )
    if timings is not None:
        if timings.streamed:
            rows.append(MetricRow("time to first chunk", None, _seconds(timings.ttft_s)))
        rows.append(MetricRow("total time", None, _seconds(timings.total_s)))
    if text_like:
        rows.append(MetricRow("chunks", a.chunks, timings.chunks if timings is not None else other.chunks))
    if timings is not None and timings.tokens_per_s is not None:
        basis = "" if timings.tokens_basis == "usage" else f" (estimated from {timings.tokens_basis})"
        rows.append(MetricRow("tokens per second", None, f"{timings.tokens_per_s:.1f}{basis}"))
    return rows


def metric_cell(value: Any, differs: bool = False) -> Text:
    return safe_text("-" if value is None or value == "" else str(value), "bold red" if differs else "")


def metrics_table(rows: list[MetricRow], labels: Labels = AB) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("")
    table.add_column(labels[0], header_style="bold")
    table.add_column(labels[1], header_style="bold")
    for row in rows:
        table.add_row(
            Text(row.label, "bold"), metric_cell(row.a, row.differs), metric_cell(row.b, row.differs)
        )
    return table


# --- Markdown (a PR comment) ---------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def markdown_escape(text: str) -> str:
    """Recorded text for a Markdown table cell or <summary>: HTML-escaped, Markdown
    punctuation backslashed, newlines as spaces, control characters as placeholders."""
    text = printable(" ".join(text.split()))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=True))


def _fence(body: str) -> str:
    """A code fence longer than any backtick run in `body` (recorded text cannot close it)."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{body}\n{fence}"


def window_runs(runs: Iterable[tuple[str, str]], context: int = 80) -> list[tuple[str, str]]:
    """A word diff with long unchanged stretches shortened to `context` characters around each
    change (`…` where text is left out)."""
    runs = list(runs)
    shown: list[tuple[str, str]] = []
    for index, (op, piece) in enumerate(runs):
        if op == EQUAL and len(piece) > 2 * context + 1:
            head = piece[:context] if index > 0 else ""  # what follows a change
            tail = piece[-context:] if index < len(runs) - 1 else ""  # what leads to the next
            piece = f"{head} … {tail}"
        shown.append((op, piece))
    return shown


PR_COMMENT_BUDGET = 60_000  # GitHub refuses a comment over 65,536 characters
STEP_SUMMARY_BUDGET = 1 << 20  # $GITHUB_STEP_SUMMARY holds 1 MiB per step
_SIGNIFICANCE = {ERROR: 4, DIFFERENT: 3, REMOVED: 2, ADDED: 1}


def _significance(comparison: RecordingComparison) -> tuple[int, int]:
    """(tier, size): errors, then meaning changes by how much changed, then removed, added."""
    size = 0
    for difference in comparison.differences:
        if not decides(difference):
            continue
        if isinstance(difference, TextDifference):
            size += difference.words_removed + difference.words_added
        elif isinstance(difference, ToolCallDifference | ValueDifference):
            size += 10
        else:
            size += 1
    return _SIGNIFICANCE.get(comparison.verdict, 0), size


def suite_of(path: str) -> str:
    """The folder a recording's suite is: the one holding its `recordings` (or `cassettes`)
    folder, else the file's folder."""
    parts = path.split("/")[:-1]
    for name in ("recordings", "cassettes"):
        if name in parts:
            return "/".join(parts[: len(parts) - parts[::-1].index(name) - 1]) or "."
    return "/".join(parts) or "."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _code_span(text: str) -> str:
    """Inline code that no backtick run in `text` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    return f"{ticks} {text} {ticks}" if longest else f"`{text}`"


def _folded_lines(comparisons: list[RecordingComparison]) -> list[tuple[str, int]]:
    """One line per suite for the changes that keep the meaning (same-answer, same bytes):
    `- suite: 341 recordings: only ids and timestamps`, with the recordings it stands for."""
    suites: dict[str, list[RecordingComparison]] = {}
    for comparison in comparisons:
        suites.setdefault(suite_of(comparison.path_b or comparison.path), []).append(comparison)
    lines = []
    for suite, members in sorted(suites.items()):
        reasons: Counter[str] = Counter()
        for comparison in members:
            for reason in (
                comparison.same_answer_reasons()
                if comparison.verdict == SAME_ANSWER
                else ["same bytes (renamed)"]
            ):
                reasons[reason] += 1
        if len(reasons) == 1:
            what = f"only {next(iter(reasons))}"
        else:
            what = "only " + ", ".join(f"{reason} ({count})" for reason, count in reasons.most_common())
        lines.append(
            (f"- {markdown_escape(suite)}: {_plural(len(members), 'recording')}: {what}", len(members))
        )
    return lines


def _change_block(comparison: RecordingComparison, body_limit: int) -> str:
    """One meaningful change: a line, or with differences to show a <details> (never empty)."""
    verdict = f"{comparison.verdict} (untracked)" if comparison.untracked else comparison.verdict
    headline = f"{verdict}: {markdown_escape(path_label(comparison))}"
    lines = [line.plain for line in DifferencesView(comparison, deciding_only=True, windowed=True).lines()]
    body = printable("\n".join(lines))
    if comparison.verdict in (ADDED, REMOVED) or not body.strip():
        return f"- {headline}\n"
    if comparison.verdict == ERROR or (len(lines) == 1 and len(body) <= 200):
        return f"- {headline} — {markdown_escape(comparison.describe())}\n"
    if len(body) > body_limit:
        body = body[:body_limit].rsplit("\n", 1)[0] + f"\n… ({len(body) - body_limit:,} more characters)"
    count = _plural(len(lines), "line")
    # the blank line after </details> ends the HTML block: a list item after it stays Markdown
    return f"<details>\n<summary>{headline} ({count})</summary>\n\n{_fence(body)}\n\n</details>\n\n"


def _size(text: str) -> int:
    return len(text.encode())  # UTF-8 bytes: never fewer than characters, so both limits hold


def markdown_report(
    comparisons: list[RecordingComparison],
    title: str,
    *,
    other: OtherFiles | None = None,
    max_chars: int = PR_COMMENT_BUDGET,
    rerun: str | None = None,
) -> str:
    """A summary for a PR comment, at most `max_chars` (counted as UTF-8 bytes): the counts;
    the changes that keep the meaning folded to one line per suite; the meaningful changes,
    most significant first, grouped by test; then "… and N more" with the command that shows
    everything (`rerun`). Recorded text is escaped, in code fences longer than its backtick runs."""
    head = f"### {markdown_escape(title)}\n\n{counts_line(comparisons, other).plain}\n"
    kept = [c for c in comparisons if c.verdict in (SAME_ANSWER, SAME)]
    meaningful = [c for c in comparisons if c.verdict not in (SAME_ANSWER, SAME)]
    sections: list[tuple[str, int]] = []  # (markdown, recordings it stands for)
    folded = _folded_lines(kept)
    if folded:
        sections.append((f"\n**Same answer** ({_plural(len(kept), 'recording')}):\n\n", 0))
        sections += [(line + "\n", count) for line, count in folded]
    if meaningful:
        sections.append(
            (f"\n**Changed** ({_plural(len(meaningful), 'recording')}, most significant first):\n", 0)
        )
        groups: dict[str, list[RecordingComparison]] = {}
        for comparison in sorted(meaningful, key=_significance, reverse=True):
            suite = suite_of(comparison.path)
            group = comparison.test_id or ("(no test id)" + ("" if suite == "." else f" {suite}"))
            groups.setdefault(group, []).append(comparison)
        body_limit = max(500, min(6_000, max_chars // 10))
        for group, members in groups.items():
            heading = f"\n**{markdown_escape(group)}**\n\n"
            for number, comparison in enumerate(members):
                block = _change_block(comparison, body_limit)
                sections.append(((heading if number == 0 else "") + block, 1))
    more = "run it locally" if rerun is None else f"run {_code_span(rerun)} locally"
    whole = head + "".join(text for text, _ in sections)
    if _size(whole) <= max_chars:
        return whole
    # Over budget: sections in order while they fit, with room kept for the closing line.
    reserve = _size(f"\n… and {_plural(len(comparisons), 'more recording')} ({more})\n")
    out, used, shown = [head], _size(head), 0
    for text, _ in sections:
        if used + _size(text) + reserve > max_chars:
            break
        out.append(text)
        used += _size(text)
        shown += 1
    left_out = sum(count for _, count in sections[shown:])
    out.append(f"\n… and {_plural(left_out, 'more recording')} ({more})\n")
    return "".join(out)
