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

from tui_replay.comparison import (
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


def counts_line(comparisons: list[RecordingComparison]) -> Text:
    """`N files changed: …` where changed means the bytes differ (as `git diff --stat` counts)."""
    counts = Counter(c.verdict for c in comparisons)
    changed = sum(counts[v] for v in (ADDED, REMOVED, DIFFERENT, SAME_ANSWER, ERROR))
    parts = [f"{counts[v]} {v}" for v in VERDICTS if counts[v] and v != SAME]
    text = f"{changed} file{'' if changed == 1 else 's'} changed"
    lines = [c for c in comparisons if c.lines_added is not None]
    if lines:
        text += f", {sum(c.lines_added or 0 for c in lines)} insertions(+), "
        text += f"{sum(c.lines_removed or 0 for c in lines)} deletions(-)"
    return Text(text + (": " + ", ".join(parts) if parts else ""), "bold")


class DifferencesView:
    """Every difference of one comparison, one block per kind of difference."""

    def __init__(
        self, comparison: RecordingComparison, *, labels: Labels = AB, deciding_only: bool = False
    ) -> None:
        self.comparison = comparison
        self.labels = labels
        self.deciding_only = deciding_only

    def lines(self) -> Iterator[Text]:
        comparison = self.comparison
        if comparison.error:
            yield Text.assemble(("error: ", "bold red"), safe_text(comparison.error))
            return
        for difference in comparison.differences:
            if decides(difference) or not self.deciding_only:
                yield from difference_lines(difference, self.labels)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines()


def difference_lines(difference: Any, labels: Labels = AB) -> Iterator[Text]:
    if isinstance(difference, TextDifference):
        yield Text.assemble((f"{difference.field}: ", "bold"), difference.describe())
        yield word_diff_text(difference.runs)
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


def markdown_report(comparisons: list[RecordingComparison], title: str) -> str:
    """A summary table and one collapsible <details> per changed file."""
    out = [f"### {markdown_escape(title)}", "", counts_line(comparisons).plain, ""]
    changed = [c for c in comparisons if c.verdict != SAME]
    if changed:
        out += ["| verdict | file | what differs |", "| --- | --- | --- |"]
        for comparison in changed:
            what = comparison.describe() if comparison.verdict not in (ADDED, REMOVED) else ""
            label = markdown_escape(path_label(comparison))
            out.append(f"| {comparison.verdict} | {label} | {markdown_escape(what)} |")
        out.append("")
    for comparison in changed:
        if comparison.verdict in (ADDED, REMOVED):
            continue
        body = "\n".join(line.plain for line in DifferencesView(comparison).lines())
        meaningful = sum(decides(d) for d in comparison.differences)
        out += [
            "<details>",
            f"<summary>{markdown_escape(path_label(comparison))} — {comparison.verdict}"
            f" ({meaningful} meaningful differences)</summary>",
            "",
            _fence(printable(body)),
            "",
            "</details>",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"
