"""The cheap preview under the table: what the highlighted recording is, without opening it.

Built only from the Summary (first user message, start of the answer), always through
`safe_text`, so a recording cannot restyle or break the view.
"""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual import on, work
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from tui_replay.app.widgets.key_status import summary_key_text
from tui_replay.app.widgets.recording_table import TableRow, flat
from tui_replay.recording.model import Summary
from tui_replay.recording.summary import key_pending, summary_key
from tui_replay.textsafe import safe_text


def _facts(summary: Summary) -> list[str]:
    facts = [part for part in (summary.kind, summary.endpoint, summary.model) if part]
    if summary.streaming:
        facts.append(f"streamed, {summary.chunks} chunk{'' if summary.chunks == 1 else 's'}")
    if summary.tool_calls:
        facts.append(f"{summary.tool_calls} tool call{'s' if summary.tool_calls != 1 else ''}")
    if summary.citations:
        facts.append(f"{summary.citations} citation{'s' if summary.citations != 1 else ''}")
    if summary.choices > 1:  # n > 1: the replay offers each answer
        facts.append(f"{summary.choices} choices")
    tokens = summary.tokens_label()
    if tokens:
        facts.append(f"{tokens} tokens")
    return [flat(fact) for fact in facts]


def recording_preview(summary: Summary) -> Text:
    text = Text(end="")
    # The key status first: the row is cut at the preview's width, and a mis-keyed file's
    # expected name matters more than the end of its path.
    key = summary_key_text(summary.key)
    if key is not None:
        text.append_text(key)
        text.append("  ")
    text.append_text(safe_text(summary.path, "dim", single_line=True))  # a name: every character shown
    text.append("\n")
    if summary.test_id:
        text.append("test  ", "bold")
        text.append_text(safe_text(flat(summary.test_id)))
        text.append("\n")
    if summary.status == "error":
        text.append("error ", "bold red")
        text.append_text(safe_text(flat(summary.error) or "unreadable", "red"))
        return text
    text.append_text(safe_text(" · ".join(_facts(summary)), "italic"))
    if summary.exception:
        text.append("  (recorded exception)", "yellow")
    if summary.first_user:
        text.append("\nuser  ", "bold")
        text.append_text(safe_text(flat(summary.first_user)))
    if summary.answer_start:
        text.append("\nanswer ", "bold")
        text.append_text(safe_text(flat(summary.answer_start)))
    return text


def group_preview(row: TableRow) -> Text:
    text = Text(end="")
    text.append_text(safe_text(flat(row.label), "bold"))
    text.append(f"\n{row.count} recording{'' if row.count == 1 else 's'}")
    if row.detail:
        text.append(f" in {row.detail}")
    errors = sum(1 for summary in row.children if summary.status == "error")
    if errors:
        text.append(f", {errors} unreadable", "red")
    for title, values in (
        ("kinds", Counter(s.kind for s in row.children if s.kind)),
        ("models", Counter(s.model for s in row.children if s.model)),
    ):
        if values:
            text.append(f"\n{title}  ", "bold")
            shown = ", ".join(f"{flat(name)} ({count})" for name, count in values.most_common(6))
            more = len(values) - 6
            text.append_text(safe_text(shown + (f", and {more} more" if more > 0 else "")))
    return text


class RecordingPreview(Static):
    """Shows a recording row or a group row; empty when nothing is highlighted."""

    # One row per line, cut with an ellipsis: a long test id or path must not wrap and push the
    # first user message and the answer start out of the preview's few rows.
    DEFAULT_CSS = """
    RecordingPreview { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    empty_message = "No recording highlighted."
    _row: TableRow | None = None

    def show_row(self, row: TableRow | None) -> None:
        if row is not None and row is self._row:
            return  # shown already (a filter shows it at once, the table's Highlighted follows)
        self._row = row
        if row is None:
            content = Text(self.empty_message, style="dim")
        elif row.summary is not None:
            content = recording_preview(row.summary)
        else:
            content = group_preview(row)
        # The preview has a fixed height: no layout pass is needed on every cursor move.
        self.update(content, layout=False)
        if row is not None and row.summary is not None and key_pending(row.summary):
            self._find_key(row.summary)

    # The listing does not compute key statuses (they cost twice the rest of a row): the
    # highlighted row's is read from its file here, off the UI thread, and kept on the row.
    @work(thread=True, exclusive=True, group="preview-key", exit_on_error=False)
    def _find_key(self, summary: Summary) -> Summary | None:
        if get_current_worker().is_cancelled:  # the cursor moved on before this thread started
            return None
        return summary if summary_key(summary) is not None else None

    @on(Worker.StateChanged)
    def _key_found(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "preview-key" or event.state != WorkerState.SUCCESS:
            return
        summary = event.worker.result
        if summary is not None and self._row is not None and self._row.summary is summary:
            self.update(recording_preview(summary), layout=False)
