"""The diff screen: two recordings side by side, with what differs between them in meaning.

Opened from the list: `m` marks a row (side a), `d` on another row diffs it (side b); a
`compare --save` capture against its original works the same way. Both files are read and
compared in a thread worker (a big file must not freeze the app); a file that cannot be read
shows its reason, never a traceback. The result is the typed comparison of
`tui_replay.comparison.model` (the one `tui-replay diff` prints), rendered with the renderables
of `comparison.render`: the verdict, the request's JSON-pointer differences, the answer's word
diff (colours and `[-…-]{+…+}` markers, so a copy or a monochrome terminal reads right),
tool calls, finish reason, usage and chunk counts. Recorded text is data, never markup.
"""

from __future__ import annotations

import os
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from tui_replay.catalog.testids import short_file_name
from tui_replay.catalog.view import FileNames
from tui_replay.comparison.model import (
    TEXT_KINDS,
    RecordingComparison,
    compare_recordings,
    decides,
    error_comparison,
)
from tui_replay.comparison.render import (
    DifferencesView,
    answer_text,
    metric_rows,
    metrics_table,
    verdict_text,
)
from tui_replay.config import Config
from tui_replay.recording.model import Recording, RecordingError
from tui_replay.textsafe import printable, safe_text

LABELS = ("a", "b")


def _load(path: str, max_size: int) -> tuple[Recording | None, str | None]:
    from tui_replay.recording.load import load_recording

    try:
        return load_recording(path, max_size=max_size), None
    except RecordingError as exc:
        return None, exc.reason


def compare_files(path_a: str, path_b: str, max_size: int) -> tuple[RecordingComparison, bool]:
    """The comparison of two recordings and whether both answers are text (shown as text)."""
    a, error_a = _load(path_a, max_size)
    b, error_b = _load(path_b, max_size)
    if a is None or b is None:
        reasons = [
            f"{label}: {reason}" for label, reason in zip(LABELS, (error_a, error_b), strict=True) if reason
        ]
        return error_comparison(path_a, "; ".join(reasons)), False
    comparison = compare_recordings(a, b, path_a)
    comparison.path_b = path_b
    return comparison, a.kind in TEXT_KINDS and b.kind in TEXT_KINDS


def path_tails(path_a: str, path_b: str) -> tuple[str, str]:
    """Short names that tell two paths apart: the file's (`seed.json`), and when both have the
    same, the nearest folder that differs (`head/…/x.json` against `base/…/x.json`)."""
    names = FileNames()
    names.add(path_a)
    names.add(path_b)
    return names.label(path_a), names.label(path_b)


def fit_end(text: str, width: int) -> str:
    """`text` in `width` cells, cut at the start (`…/head/x.json`), so its end stays."""
    if len(text) <= width:
        return text
    return "…" + text[len(text) - max(width - 1, 1) :]


class DiffScreen(Screen[None]):
    """Recording a (the marked row) against recording b."""

    CSS_PATH = "diff.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="diff.back"),
        Binding("x", "swap", "Swap sides", id="diff.swap"),
    ]

    def __init__(self, path_a: str, path_b: str, config: Config | None = None) -> None:
        super().__init__()
        self.path_a = path_a
        self.path_b = path_b
        self.config = config or Config()
        self.comparison: RecordingComparison | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="diff-title")
        yield Static(Text("Reading and comparing…", "dim"), id="diff-verdict")
        with Horizontal(id="diff-sides"):
            for label, path in zip(LABELS, (self.path_a, self.path_b), strict=True):
                with Vertical(id=f"side-{label}", classes="side"):
                    yield Static(self._side_title(label, path), classes="side-title")
                    with VerticalScroll():
                        yield Static(id=f"answer-{label}", classes="answer")
        with VerticalScroll(id="diff-details"):
            yield Static(id="diff-differences")
            yield Static(id="diff-metrics")
        yield Footer()

    def _title(self) -> Text:
        return Text.assemble(("Diff  ", "bold"), ("a ", "bold red"), "→ ", ("b", "bold green"))

    def _side_title(self, label: str, path: str) -> Text:
        style = "bold red" if label == "a" else "bold green"
        tails = dict(zip((self.path_a, self.path_b), path_tails(self.path_a, self.path_b), strict=True))
        return Text.assemble((f"{label}  ", style), safe_text(tails.get(path, path), single_line=True))

    def _show_paths(self) -> None:
        """Each side's whole path under it, cut at the start when it must be: the end (the folder
        and file that tell the two apart) stays in view."""
        tails = path_tails(self.path_a, self.path_b)
        for label, path, tail in zip(LABELS, (self.path_a, self.path_b), tails, strict=True):
            side = self.query_one(f"#side-{label}")
            room = side.size.width - 6 if side.size.width else 60  # corners, padding, the spaces
            folder, name = os.path.split(path)
            shown = fit_end(os.path.join(folder, short_file_name(name)), room)
            differing = tail.split("/")[0] + "/" if "/" in tail else ""
            if differing not in shown:  # cut away: the part that differs, not the start they share
                shown = fit_end(tail, room)
            side.border_subtitle = Content(printable(shown, single_line=True))
            side.tooltip = Content(printable(path, single_line=True))  # whole; a str would be read as markup

    def on_mount(self) -> None:
        self._show_paths()
        self.call_after_refresh(self._show_paths)  # again once the sides have their width
        self.run_comparison()

    def on_resize(self) -> None:
        self.call_after_refresh(self._show_paths)

    @work(thread=True, exclusive=True, group="diff", exit_on_error=False)
    def run_comparison(self) -> tuple[RecordingComparison, bool]:
        return compare_files(self.path_a, self.path_b, self.config.max_size)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "diff":
            return
        if event.state == WorkerState.SUCCESS:
            comparison, text_like = event.worker.result
            self.show(comparison, text_like)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            self.show(
                error_comparison(self.path_a, f"internal error: {type(error).__name__}: {error}"), False
            )

    def show(self, comparison: RecordingComparison, text_like: bool) -> None:
        self.comparison = comparison
        verdict = Text.assemble(("verdict  ", "bold"), verdict_text(comparison.verdict))
        if comparison.error:
            verdict.append("  ")
            verdict.append_text(safe_text(comparison.error, "red"))
        elif comparison.differences:
            count = len(comparison.differences)
            meaningful = sum(decides(d) for d in comparison.differences)
            verdict.append(
                f"  ·  {count} difference{'' if count == 1 else 's'}, {meaningful} meaningful", "dim"
            )
        self.query_one("#diff-verdict", Static).update(verdict)
        for label, side in zip(LABELS, (comparison.a, comparison.b), strict=True):
            shown = (
                answer_text(side, summary_only=not text_like and bool(side.summary))
                if side is not None
                else Text("(not read)", "dim")
            )
            self.query_one(f"#answer-{label}", Static).update(shown)
        lines = list(DifferencesView(comparison, labels=LABELS).lines())
        heading = Text("Differences", "bold underline")
        body = Text("\n").join(lines) if lines else Text("no differences: the files are identical", "green")
        self.query_one("#diff-differences", Static).update(Group(heading, body))
        metrics = self.query_one("#diff-metrics", Static)
        if comparison.a is not None and comparison.b is not None:
            rows = metric_rows(comparison.a, comparison.b, text_like=text_like)
            metrics.update(metrics_table(rows, LABELS))
        else:
            metrics.update("")

    def action_swap(self) -> None:
        """Compare the other way round (b becomes the side the differences start from)."""
        self.path_a, self.path_b = self.path_b, self.path_a
        for label, path in zip(LABELS, (self.path_a, self.path_b), strict=True):
            side = self.query_one(f"#side-{label}")
            side.query_one(".side-title", Static).update(self._side_title(label, path))
        self._show_paths()
        self.query_one("#diff-verdict", Static).update(Text("Reading and comparing…", "dim"))
        self.run_comparison()

    def action_back(self) -> None:
        self.workers.cancel_group(self, "diff")
        self.app.pop_screen()
