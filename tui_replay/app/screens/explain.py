"""Explain a request: which recording a request would match, or the nearest ones and what differs.

The user pastes a replay-mode miss (`Recording not found for request hash: …`, or a whole CI log
excerpt) or types the path of a request body JSON file (with the test id and URL it was sent
with) or of a recording file. The explanation is `tui-replay explain`'s, computed in a thread
worker over the app's roots and shown with the same lines; Enter on the match or a nearest
recording closes the screen with its path (the app opens it in the replay screen).

Keys: ctrl+r (or enter in a field) explains [explain.run], escape closes [explain.close].
"""

from __future__ import annotations

import argparse
import os
import threading
from dataclasses import dataclass, field
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tui_replay.catalog.keyindex import KeyIndex
from tui_replay.commands.explain import UsageError, explanation_lines, log_footer, probes_for
from tui_replay.config import Config
from tui_replay.recording.load import parse_json, read_bytes
from tui_replay.recording.miss import LogReport, Probe, parse_log, probes_from_log
from tui_replay.textsafe import one_line, safe_text

HINT = (
    "Paste a `Recording not found for request hash: …` message or a CI log excerpt, "
    "or type the path of a request body JSON file (with its test id and URL) or of a recording."
)
NOTHING = "Nothing to explain: paste a `Recording not found …` message, or type a file path."


@dataclass(slots=True)
class ExplainResult:
    """What the worker found: report lines, each with the recording it names (or None)."""

    lines: list[tuple[str, str | None]] = field(default_factory=list)
    summary: str = ""


def probes_for_input(
    text: str, test_id: str, url: str, max_size: int | None = None
) -> tuple[list[Probe], LogReport | None]:
    """The requests the screen's fields name (reads a named file); raises UsageError."""
    report = parse_log(text)
    if report.misses:
        return probes_from_log(report), report
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) != 1:
        raise UsageError(NOTHING)
    path = os.path.expanduser(lines[0].strip("'\""))
    if not os.path.isfile(path):
        raise UsageError(f"no `Recording not found` in the text, and no file {path}")
    args = argparse.Namespace(
        body=None, recording=None, log=None, test_id=test_id.strip() or None, url=url.strip() or None
    )
    if _is_recording(path, max_size):
        args.recording = path
    elif args.url is None:
        raise UsageError(
            "a body file needs the URL it was sent to, e.g. https://api.openai.com/v1/v1/chat/completions"
        )
    else:
        args.body = path
    return probes_for(args)


def _is_recording(path: str, max_size: int | None) -> bool:
    """A recording file (a `request` next to a `response`) rather than a bare request body."""
    try:
        obj = parse_json(read_bytes(path, max_size) if max_size else read_bytes(path))
    except Exception:  # probes_for reads it again and names the problem
        return False
    return isinstance(obj, dict) and isinstance(obj.get("request"), dict) and "response" in obj


class ExplainScreen(ModalScreen[str | None]):
    """Dismissed with the path of the recording to open, or None."""

    CSS_PATH = "explain.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "explain", "Explain", id="explain.run", priority=True),
        Binding("escape", "close", "Close", id="explain.close"),
    ]

    def __init__(self, roots: list[str], config: Config | None = None, text: str = "") -> None:
        super().__init__()
        self.roots = list(roots)
        self.config = config or Config()
        self.initial_text = text
        self.result: ExplainResult | None = None
        self.error: str | None = None
        self._paths: list[str | None] = []  # per option: the recording it opens
        self._index: KeyIndex | None = None
        self._index_lock = threading.Lock()

    def compose(self) -> ComposeResult:
        with Vertical(id="explain-body"):
            yield Static(HINT, id="explain-hint", markup=False)
            yield TextArea(self.initial_text, id="explain-input", soft_wrap=True)
            with Horizontal(id="explain-fields"):
                yield Input(placeholder="test id (for a body file)", id="explain-test-id")
                yield Input(
                    placeholder="URL (for a body file), e.g. http://…/v1/chat/completions", id="explain-url"
                )
                yield Button("Explain", id="explain-run", variant="primary")
            yield Static("", id="explain-status", markup=False)
            yield OptionList(id="explain-result")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#explain-body").border_title = "Explain a request"
        self.query_one("#explain-result", OptionList).display = False
        self.query_one("#explain-input", TextArea).focus()

    # -- running -----------------------------------------------------------------------------

    def action_explain(self) -> None:
        text = self.query_one("#explain-input", TextArea).text
        test_id = self.query_one("#explain-test-id", Input).value
        url = self.query_one("#explain-url", Input).value
        if not text.strip():
            self._show_status(NOTHING, error=True)
            return
        self._show_status("Explaining…")
        self._explain(text, test_id, url)

    @on(Input.Submitted)
    @on(Button.Pressed, "#explain-run")
    def _run(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.action_explain()

    @work(thread=True, exclusive=True, group="explain", exit_on_error=False)
    def _explain(self, text: str, test_id: str, url: str) -> ExplainResult:
        probes, report = probes_for_input(text, test_id, url, self.config.max_size)
        with self._index_lock:  # reading every recording once per screen
            if self._index is None:
                self._index = KeyIndex(self.roots, max_size=self.config.max_size)
            index = self._index
        explanations = [index.explain(probe) for probe in probes]
        result = ExplainResult()
        for number, explanation in enumerate(explanations):
            if number:
                result.lines.append(("", None))
            result.lines += explanation_lines(explanation)
        if report is not None:
            result.lines.append(("", None))
            result.lines += [(line, None) for line in log_footer(report, explanations)]
        misses = sum(1 for explanation in explanations if explanation.verdict == "miss")
        noun = "request" if len(explanations) == 1 else "requests"
        result.summary = f"{len(explanations)} {noun}: {len(explanations) - misses} matched, {misses} missed"
        return result

    @on(Worker.StateChanged)
    def _explained(self, event: Worker.StateChanged) -> None:
        """The one handler of the worker's end: a result, or its failure as one line."""
        if event.worker.group != "explain":
            return
        if event.state == WorkerState.SUCCESS:
            self._show_result(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            reason = str(error) if isinstance(error, UsageError) else f"{type(error).__name__}: {error}"
            self._show_status(one_line(reason, 300), error=True)

    def _show_status(self, message: str, *, error: bool = False) -> None:
        self.error = message if error else None
        status = self.query_one("#explain-status", Static)
        status.set_class(error, "-error")
        status.update(safe_text(message))

    def _show_result(self, result: ExplainResult) -> None:
        self.result = result
        self._show_status(
            result.summary + (" · enter opens a recording" if any(p for _, p in result.lines) else "")
        )
        options = self.query_one("#explain-result", OptionList)
        options.clear_options()
        self._paths = [path for _, path in result.lines]
        options.add_options(
            Option(safe_text(line, "" if path is None else "bold"), disabled=path is None)
            for line, path in result.lines
        )
        options.display = True
        first = next((index for index, path in enumerate(self._paths) if path), None)
        if first is not None:
            options.highlighted = first
            options.focus()

    @on(OptionList.OptionSelected, "#explain-result")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        path = self._paths[event.option_index] if event.option_index < len(self._paths) else None
        if path:
            self.dismiss(path)

    def action_close(self) -> None:
        self.dismiss(None)

    @property
    def shown_text(self) -> str:
        """The report as shown (for tests and copying)."""
        return "\n".join(line for line, _ in self.result.lines) if self.result else ""
