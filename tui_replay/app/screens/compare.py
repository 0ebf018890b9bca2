"""The compare screen: re-issue the stored request live and put the two answers side by side.

The live answer streams into its pane as it arrives, then the differences appear: the
word-level text diff, the tool-call differences and a table of finish reason, usage and
timings. The request runs in an async worker (`exit_on_error=False`): a dead endpoint or a
rejected request shows its cause in the pane and the app stays usable. `escape` cancels a
running request and goes back; a stored live capture (with chunk times) replays in step
with the live answer; `s` saves the live capture as a new recording in the capture folder
(`live.capture.capture_dir`, never a recordings tree); `n` re-issues several times and shows
how stable the answer is. The result is the typed comparison of `tui_replay.comparison.model`,
rendered by `comparison.render` (the compare command and the diff screen use the same pieces).
Recorded and live text is data: everything is rendered through `safe_text`, never markup.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from tui_replay.comparison.model import AnswerSide, ToolCallDifference
from tui_replay.comparison.render import (
    answer_text,
    difference_lines,
    metric_cell,
    metric_rows,
    word_diff_text,
)
from tui_replay.config import Config
from tui_replay.live.compare import SAME, STORED_LIVE, Stability
from tui_replay.live.plan import CHAT, COMPLETION, EMBEDDINGS, MODELS, LiveCall, plan_call
from tui_replay.live.session import LiveRun, repeat_stability, run_once
from tui_replay.live.target import LiveError, LiveTarget, display_url, redact, redact_open_end
from tui_replay.recording.model import EventKind, Recording
from tui_replay.textsafe import safe_text

REPEAT_COUNT = 3  # `n`: how many times to re-issue for the stability check
RENDER_INTERVAL = 0.05  # seconds between repaints of the streaming live pane


class CompareScreen(Screen[None]):
    """Stored answer against a live re-issue of the same request."""

    CSS_PATH = "compare.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Cancel/Back", id="compare.back"),
        Binding("r", "reissue", "Re-issue", id="compare.reissue"),
        Binding("n", "repeat", f"Re-issue x{REPEAT_COUNT}", id="compare.repeat"),
        Binding("s", "save", "Save live", id="compare.save"),
    ]

    busy: reactive[bool] = reactive(False, bindings=True)

    def __init__(
        self, recording: Recording, config: Config | None = None, *, repeat: int = REPEAT_COUNT
    ) -> None:
        super().__init__()
        self.recording = recording
        self.config = config or Config()
        self.target = LiveTarget.from_config(self.config)
        self.repeat = max(1, repeat)
        self.runs: list[LiveRun] = []
        self.error: str | None = None
        self.saved: Path | None = None
        self.call: LiveCall | None = None
        self._live_buffer: list[str] = []
        self._last_render = 0.0
        self._stored_final = Text()
        self._stored_timer: Timer | None = None
        self._stored_started = 0.0

    # --- composition -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="compare-title")
        yield Static(Text("Preparing…", "dim"), id="compare-status")
        with Horizontal(id="compare-sides"):
            with Vertical(id="stored-side", classes="side"):
                yield Static(Text("Stored", "bold"), classes="side-title")
                with VerticalScroll():
                    yield Static(id="stored-answer")
            with Vertical(id="live-side", classes="side"):
                yield Static(Text("Live", "bold"), classes="side-title", id="live-title")
                with VerticalScroll(id="live-scroll"):
                    yield Static(Text("Waiting to send…", "dim"), id="live-answer")
        with VerticalScroll(id="compare-differences"):
            yield Static(Text("Differences", "bold"), classes="side-title")
            yield Static(id="text-diff")
            yield Static(id="tool-diff")
            yield DataTable(id="metrics", show_cursor=False, zebra_stripes=True)
            yield Static(id="stability")
        yield Footer()

    def _title(self) -> Text:
        title = Text("Compare  ", "bold")
        title.append_text(safe_text(Path(self.recording.path).name or "(recording)", single_line=True))
        title.append("  →  ")
        title.append_text(
            safe_text(display_url(self.target.base_url) if self.target.base_url else "(no base URL)")
        )
        model = self.target.model or self.recording.model
        if model:
            title.append("  model ")
            title.append_text(safe_text(model))
        return title

    def on_mount(self) -> None:
        stored = AnswerSide.of(self.recording.response)
        try:
            self.call = plan_call(self.recording, self.target.model)
            operation = self.call.operation
        except LiveError as exc:
            operation = CHAT
            self._show_error(exc.cause)
        self._stored_final = answer_text(stored, summary_only=operation in (EMBEDDINGS, MODELS))
        self.query_one("#stored-answer", Static).update(self._stored_final)
        table = self.query_one("#metrics", DataTable)
        table.add_columns(Text(""), Text("stored", "bold"), Text("live", "bold"))
        table.display = False  # shown with the first live answer
        if self.call is not None:
            self.action_reissue()

    # --- running -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reissue", "repeat"):
            return None if self.busy or self.call is None else True
        if action == "save":
            return None if self.busy or not self.runs else True
        return True

    def action_reissue(self) -> None:
        self._start(1)

    def action_repeat(self) -> None:
        self._start(self.repeat)

    def _start(self, times: int) -> None:
        if self.busy or self.call is None:
            return
        self.busy = True
        self.error = None
        self.query_one("#stability", Static).update("")
        self._reissue(times)

    @work(exclusive=True, group="live-compare", exit_on_error=False)
    async def _reissue(self, times: int) -> list[LiveRun]:
        assert self.call is not None
        runs: list[LiveRun] = []
        self.runs = runs  # what is on screen is what `s` saves: never an earlier batch
        for number in range(1, times + 1):
            counter = f" ({number}/{times})" if times > 1 else ""
            self._set_status(Text(f"Sending{counter}…", "bold yellow"))
            self._live_buffer = []
            self._replay_stored()
            self.query_one("#live-answer", Static).update(Text("Waiting for the first chunk…", "dim"))
            try:
                run = await run_once(self.recording, self.call, self.target, self._on_chunk)
            except LiveError as exc:
                self._show_error(exc.cause)
                return runs
            runs.append(run)
            self._show_run(run, counter)
        return runs

    def _on_chunk(self, index: int, at: float, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
            piece = delta.get("content") if delta else choice.get("text")
            if isinstance(piece, str):
                self._live_buffer.append(piece)
            for call in (delta or {}).get("tool_calls") or []:
                arguments = (call.get("function") or {}).get("arguments")
                if isinstance(arguments, str):
                    self._live_buffer.append(arguments)
        now = time.monotonic()
        if now - self._last_render >= RENDER_INTERVAL:
            self._last_render = now
            # masked on the joined text: the server may split the key across chunks
            shown = redact_open_end("".join(self._live_buffer), self.target)
            self.query_one("#live-answer", Static).update(safe_text(shown))
            self._set_status(Text(f"Streaming… {index + 1} chunks, {at:.2f} s", "bold yellow"))
            self.query_one("#live-scroll", VerticalScroll).scroll_end(animate=False)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "live-compare":
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self._show_error(f"internal error: {type(error).__name__}: {error}")
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.busy = False
            if event.state == WorkerState.SUCCESS and self.error is None and len(self.runs) > 1:
                self._show_stability(repeat_stability(self.runs))

    # --- showing -----------------------------------------------------------------------------

    @property
    def replays_stored(self) -> bool:
        """Whether the stored answer has real chunk times (a live capture of ours) to replay with."""
        return bool(self.recording.chunk_times) and any(e.at is not None for e in self.recording.timeline)

    def _replay_stored(self) -> None:
        """Replay the stored answer in step with the live one, at its recorded chunk times."""
        if not self.replays_stored:
            return
        if self._stored_timer is not None:
            self._stored_timer.stop()
        self._stored_started = time.monotonic()
        self.query_one("#stored-answer", Static).update(Text("…", "dim"))
        self._stored_timer = self.set_interval(RENDER_INTERVAL, self._tick_stored)

    def _tick_stored(self) -> None:
        elapsed = time.monotonic() - self._stored_started
        events = self.recording.timeline
        if all(e.at is None or e.at <= elapsed for e in events):
            if self._stored_timer is not None:
                self._stored_timer.stop()
                self._stored_timer = None
            self.query_one("#stored-answer", Static).update(self._stored_final)
            return
        shown = "".join(
            e.text for e in events if e.kind == EventKind.TEXT and e.at is not None and e.at <= elapsed
        )
        self.query_one("#stored-answer", Static).update(safe_text(shown) if shown else Text("…", "dim"))

    def _set_status(self, text: Text) -> None:
        self.query_one("#compare-status", Static).update(text)

    def _show_error(self, cause: str) -> None:
        cause = redact(cause, self.target)
        self.error = cause
        # no live answer: no diff or metrics (an empty "stored / live" table, or an earlier run's, misleads)
        self.query_one("#text-diff", Static).update("")
        self.query_one("#tool-diff", Static).update("")
        self.query_one("#metrics", DataTable).display = False
        message = Text("Could not re-issue the request\n", "bold red")
        message.append_text(safe_text(cause))
        self.query_one("#live-answer", Static).update(message)
        self._set_status(Text.assemble(("error: ", "bold red"), safe_text(cause)))

    def _show_run(self, run: LiveRun, counter: str = "") -> None:
        comparison = run.comparison
        operation = comparison.operation
        summary_only = operation in (EMBEDDINGS, MODELS)
        self.query_one("#live-answer", Static).update(answer_text(comparison.live, summary_only=summary_only))
        same = comparison.verdict == SAME
        status = Text.assemble(("same" if same else "different", "bold green" if same else "bold red"))
        count = len(comparison.differences)
        status.append(f"  ·  {count} difference{'' if count == 1 else 's'}")
        status.append(f"  ·  total {run.timings.total_s:.2f} s")
        if counter:
            status.append(f"  ·  run{counter}")
        self._set_status(status)

        diff = self.query_one("#text-diff", Static)
        tool_differences = [d for d in comparison.differences if isinstance(d, ToolCallDifference)]
        others = [d for d in comparison.differences if not isinstance(d, ToolCallDifference)]
        if operation in (CHAT, COMPLETION):
            header = Text("Text: ", "bold")
            header.append(
                "identical" if comparison.stored.text == comparison.live.text else "differs", "italic"
            )
            header.append("\n")
            header.append_text(
                word_diff_text(comparison.text_diff) if comparison.text_diff else Text("(no text)", "dim")
            )
            for difference in others:
                if difference.to_json()["field"] != "text":
                    header.append("\n")
                    header.append_text(Text("\n").join(difference_lines(difference, STORED_LIVE)))
            diff.update(header)
        else:
            lines = [line for d in others for line in difference_lines(d, STORED_LIVE)]
            diff.update(Text("\n").join(lines) if lines else Text("no differences"))

        tools = Text()
        if comparison.stored.tool_calls or comparison.live.tool_calls:
            tools.append("Tool calls: ", "bold")
            tools.append("identical (ids ignored)" if not tool_differences else "differ", "italic")
            for difference in tool_differences:
                tools.append("\n• ")
                tools.append_text(Text("\n  ").join(difference_lines(difference, STORED_LIVE)))
        self.query_one("#tool-diff", Static).update(tools)
        self._fill_metrics(run)

    def _fill_metrics(self, run: LiveRun) -> None:
        table = self.query_one("#metrics", DataTable)
        table.clear()
        table.display = True
        rows = metric_rows(run.comparison.stored, run.comparison.live, timings=run.timings)
        for row in rows:
            table.add_row(
                Text(row.label, "bold"), metric_cell(row.a, row.differs), metric_cell(row.b, row.differs)
            )

    def _show_stability(self, result: Stability) -> None:
        text = Text("Stability: ", "bold")
        style = "green" if result.match_stored == result.runs and result.all_identical else "yellow"
        text.append(result.describe(), style)
        self.query_one("#stability", Static).update(text)

    # --- actions -----------------------------------------------------------------------------

    def action_back(self) -> None:
        # Cancelling the worker closes the HTTP stream, so the server stops generating.
        self.workers.cancel_group(self, "live-compare")
        if self._stored_timer is not None:
            self._stored_timer.stop()
        self.app.pop_screen()

    def action_save(self) -> None:
        if not self.runs:
            self.notify("Nothing to save yet: no live answer.", severity="warning", markup=False)
            return
        from tui_replay.live.capture import capture_dir, default_save_path, save

        try:
            folder = capture_dir(self.config.live.save_dir)
            path = save(
                self.runs[-1].answer, default_save_path(self.recording.path, folder), self.recording.path
            )
        except LiveError as exc:
            self.notify(exc.cause, title="Not saved", severity="error", markup=False)
            return
        self.saved = path
        self.notify(str(path), title="Live capture saved", markup=False)
