"""The traffic of `tui-replay serve`: each request as it arrives (time, endpoint, model, hit / miss /
recorded / ambiguous, latency). Enter on a hit replays its recording; Enter on a miss opens the
explain screen for that request (its body in a private temporary file, with its test id and URL).

The server (uvicorn) runs in a thread worker with its own event loop; each request reaches the
screen as a message (posting is thread-safe). Recorded text is data: every cell is a literal Text.

Keys: enter opens [traffic.open], c clears [traffic.clear], escape/q leaves [traffic.back].
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import tempfile
import time
from functools import partial
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState

from tui_replay.config import Config
from tui_replay.serve.index import AMBIGUOUS, HIT, MISS, RECORDED
from tui_replay.serve.state import ServeState, Traffic
from tui_replay.textsafe import one_line, safe_text

COLUMNS = ("time", "method", "endpoint", "model", "result", "status", "latency", "recording")
VERDICT_STYLES = {HIT: "green", AMBIGUOUS: "yellow", MISS: "red", RECORDED: "cyan"}
MAX_ROWS = 5_000  # the oldest rows go beyond this


class TrafficArrived(Message):
    def __init__(self, traffic: Traffic) -> None:
        super().__init__()
        self.traffic = traffic


class TrafficScreen(Screen[None]):
    CSS_PATH = "traffic.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="traffic.open"),
        Binding("c", "clear", "Clear", id="traffic.clear"),
        Binding("escape,q", "back", "Back", id="traffic.back"),
    ]

    def __init__(
        self,
        state: ServeState | None = None,
        sock: socket.socket | None = None,
        *,
        roots: list[str] | None = None,
        config: Config | None = None,
        clock: bool = True,
    ) -> None:
        """With a `state` and a bound `sock` (`serve --tui`), or `roots` to serve on 127.0.0.1
        (port 8321, else a free one): the index is then built in the worker."""
        super().__init__()
        self.state = state
        self.sock = sock
        self.roots = list(roots or [])
        self.config = config or Config()
        self.clock = clock  # False: times shown as +seconds since start (stable screenshots)
        self.started = time.time()
        self.rows: list[Traffic] = []
        self.serving = None
        self._body_folder: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="traffic-status", markup=False)
        yield DataTable(id="traffic-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self._show_status()
        self._serve()
        table.focus()

    def _show_status(self) -> None:
        counts = {verdict: 0 for verdict in (HIT, AMBIGUOUS, MISS, RECORDED)}
        for row in self.rows:
            if row.verdict in counts:
                counts[row.verdict] += 1
        if self.serving is None:
            text = "indexing the recordings…"
        else:
            url = self.serving.url if self.clock else self.serving.url.rsplit(":", 1)[0] + ":PORT"
            text = f"serving {len(self.serving.state.index.entries)} recordings on {url} · " + " · ".join(
                f"{count} {verdict}" for verdict, count in counts.items()
            )
        self.query_one("#traffic-status", Static).update(safe_text(text))

    # -- the server ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="serve", exit_on_error=False)
    def _serve(self) -> None:
        from tui_replay.serve.index import ServeIndex
        from tui_replay.serve.replies import Timing
        from tui_replay.serve.server import DEFAULT_PORT, Serving, bind

        if self.state is None:
            index = ServeIndex(self.roots, max_size=self.config.max_size)
            index.build()
            self.state = ServeState(index, Timing("recorded", self.config.speed))
        if self.sock is None:
            try:
                self.sock = bind("127.0.0.1", DEFAULT_PORT)
            except OSError:  # taken (another serve): any free port, shown on the status line
                self.sock = bind("127.0.0.1", 0)
        self.serving = Serving(self.state, self.sock)
        self.state.listeners.append(self._arrived)
        self.app.call_from_thread(self._show_status)
        asyncio.run(self.serving.run())

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed server is reported: a notification, never a crash."""
        if event.worker.group == "serve" and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                one_line(f"The server stopped: {type(error).__name__}: {error}", 300),
                severity="error",
                markup=False,
            )

    def _arrived(self, traffic: Traffic) -> None:
        self.post_message(TrafficArrived(traffic))  # from the server's thread

    @on(TrafficArrived)
    def _add_row(self, message: TrafficArrived) -> None:
        traffic = message.traffic
        table = self.query_one(DataTable)
        self.rows.append(traffic)
        # Without the clock (screenshots): the row number, so the picture never changes.
        stamp = time.strftime("%H:%M:%S", time.localtime(traffic.at)) if self.clock else f"#{len(self.rows)}"
        style = VERDICT_STYLES.get(traffic.verdict, "")
        cells = (
            safe_text(stamp),
            safe_text(traffic.method),
            safe_text(one_line(traffic.path, 60, fold=False)),
            safe_text(one_line(traffic.model or "-", 40)),
            safe_text(traffic.verdict, style),
            safe_text(str(traffic.status) if traffic.status else "-"),
            safe_text(f"{traffic.latency_ms:.1f} ms" if self.clock else "-"),
            safe_text(one_line(os.path.basename(traffic.recording or "") or traffic.note, 80)),
        )
        table.add_row(*cells, key=str(len(self.rows) - 1))
        if len(self.rows) > MAX_ROWS:
            gone = len(self.rows) - 1 - MAX_ROWS
            table.remove_row(str(gone))
            self.rows[gone].request = None  # its body is not needed any more
        if table.cursor_row >= table.row_count - 2:
            table.move_cursor(row=table.row_count - 1)
        self._show_status()

    # -- actions ---------------------------------------------------------------------------

    def highlighted(self) -> Traffic | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.rows[int(key)] if key is not None else None

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        traffic = self.highlighted()
        if traffic is None:
            return
        if traffic.recording and traffic.verdict in (HIT, AMBIGUOUS, RECORDED):
            from tui_replay.app.screens.replay import ReplayScreen

            self.app.push_screen(ReplayScreen(traffic.recording, speed=self.config.speed, config=self.config))
        elif traffic.verdict == MISS and traffic.request is not None:
            self._explain(traffic)

    @work(exclusive=True, group="explain-open")
    async def _explain(self, traffic: Traffic) -> None:
        from tui_replay.app.screens.explain import ExplainScreen
        from tui_replay.serve.web import probe_for

        request = traffic.request
        assert request is not None
        assert self.state is not None
        probe = probe_for(self.state, request)
        if self._body_folder is None:
            self._body_folder = tempfile.mkdtemp(prefix="tui-replay-serve-")
        body_file = os.path.join(self._body_folder, f"request-{self.rows.index(traffic)}.json")
        with open(body_file, "w", encoding="utf-8") as handle:
            json.dump(request.body if request.body is not None else {}, handle)
        screen = ExplainScreen(list(self.state.index.roots), self.config, body_file)
        await self.app.push_screen(screen, self._open_picked)
        screen.query_one("#explain-test-id", Input).value = request.test_id or ""
        screen.query_one("#explain-url", Input).value = probe.url or ""
        screen.action_explain()

    def _open_picked(self, path: str | None) -> None:
        if path:
            from tui_replay.app.screens.replay import ReplayScreen

            self.app.push_screen(ReplayScreen(path, speed=self.config.speed, config=self.config))

    def action_clear(self) -> None:
        self.rows.clear()
        self.query_one(DataTable).clear()
        self._show_status()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1 and self.app.screen_stack[0] is not self:
            self.app.pop_screen()
        else:
            self.app.exit(0)

    def on_unmount(self) -> None:
        with contextlib.suppress(ValueError, AttributeError):
            self.state.listeners.remove(self._arrived)
        if self.serving is not None:
            self.serving.stop()
        if self._body_folder is not None:
            shutil.rmtree(self._body_folder, ignore_errors=True)


class TrafficApp(App[int]):
    """`tui-replay serve --tui`: the traffic screen alone."""

    TITLE = "tui-replay serve"

    def __init__(self, state: ServeState, sock: socket.socket, config: Config, *, clock: bool = True) -> None:
        super().__init__()
        self.add_mode("traffic", partial(TrafficScreen, state, sock, config=config, clock=clock))
        self.theme = config.theme

    def on_mount(self) -> None:
        self.switch_mode("traffic")


def run_traffic_app(state: ServeState, sock: socket.socket, config: Config) -> int:
    result = TrafficApp(state, sock, config).run()
    return result if isinstance(result, int) else 0
