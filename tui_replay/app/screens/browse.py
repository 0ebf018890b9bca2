"""The browse screen: every recording under the given paths, filtered, sorted, grouped, previewed.

Loading runs in a thread worker that posts rows in batches (the first after a few dozen
files), so the table fills while the rest is read and the app never stops answering keys.
Watching runs in an exclusive async worker (group "watch") once loading is done; each
batch of changes is applied without moving the highlighted row on screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from time import monotonic
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState, get_current_worker

from tui_replay.app.widgets.filter_bar import FilterBar
from tui_replay.app.widgets.preview import RecordingPreview
from tui_replay.app.widgets.recording_table import SORTABLE, RecordingTable, TableRow
from tui_replay.app.widgets.status_bar import BrowseStatus, StatusBar
from tui_replay.catalog.catalog import Catalog
from tui_replay.catalog.filters import (
    Predicate,
    QueryError,
    TextSearch,
    group_by_test,
    has_text_filter,
    parse_query,
    sort_summaries,
    text_terms,
)
from tui_replay.catalog.scan import iter_found
from tui_replay.catalog.testids import NO_TEST_ID
from tui_replay.config import Config
from tui_replay.recording.model import Summary

if TYPE_CHECKING:
    from tui_replay.catalog.watch import Change

FIRST_BATCH = 40  # rows in the first post: something on screen as early as possible
FIRST_FRAME_WAIT = 0.5  # seconds the loader waits for the first rows to be drawn
BATCH_ROWS = 500
BATCH_SECONDS = 0.1
SMALL_TEST_GROUP = 3  # tests with this many recordings or fewer start unfolded
SMALL_ORPHAN_GROUP = 20

SORT_LABELS = {
    "test": "test",
    "kind": "kind",
    "endpoint": "endpoint",
    "model": "model",
    "streaming": "streamed",
    "chunks": "chunks",
    "tool_calls": "tool calls",
    "citations": "citations",
    "tokens": "tokens",
    "status": "status",
}


def display_test_file(file_part: str) -> str:
    """Test files as the user knows them: without the `tests/integration/` every id starts with."""
    return file_part.removeprefix("tests/integration/")


class BrowseScreen(Screen[None]):
    CSS_PATH = "browse.tcss"
    AUTO_FOCUS = "RecordingTable"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="browse.quit"),
        Binding("escape", "back", "Back", show=False, id="browse.back"),
        # A priority binding runs as the key arrives, before the keys typed after it are
        # queued to the table: `/model:gpt` typed fast (or pasted) all lands in the box.
        Binding("slash", "filter", "Filter", id="browse.filter", priority=True),
        Binding("g", "toggle_group", "Group", id="browse.group"),
        Binding("s", "sort_next", "Sort", id="browse.sort"),
        Binding("S", "sort_reverse", "Reverse sort", show=False, id="browse.reverse"),
        Binding("w", "toggle_watch", "Watch", id="browse.watch"),
        Binding("F", "toggle_follow", "Follow", id="browse.follow"),
    ]

    class SummariesLoaded(Message):
        """A batch from the loading thread."""

        def __init__(
            self,
            summaries: list[Summary],
            done: int,
            total: int,
            finished: bool,
            shown: threading.Event | None = None,
        ) -> None:
            super().__init__()
            self.summaries = summaries
            self.done = done
            self.total = total
            self.finished = finished
            self.shown = shown  # set once the rows are on screen

    def __init__(self, roots: list[str], config: Config, *, use_cache: bool = True) -> None:
        super().__init__()
        self.roots = list(roots)
        self.config = config
        self.use_cache = use_cache
        self.summaries: dict[str, Summary] = {}
        self.new_paths: set[str] = set()
        self.query_text = ""
        self.predicate: Predicate | None = None
        self.sort_column: str | None = None
        self.descending = False
        self.grouped = False
        self.group_open: dict[str, bool] = {}
        self.load_progress: tuple[int, int] | None = (0, 0)
        self.loaded = False
        self.watch_wanted = config.watch
        self.watch_state = "after loading" if config.watch else "off"
        self.following = False
        self._stop_watch: asyncio.Event | None = None
        self._follow_screen: Screen | None = None
        self._shown = 0
        # Once loaded: the catalog (the watcher keeps its cache and index current) and how it
        # answers `text:` filters (its full-text index, built on the first such filter).
        self.catalog: Catalog | None = None
        self.text_search: TextSearch | None = None

    # -- layout --------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield FilterBar(id="filter-bar")
        yield RecordingTable(id="recordings")
        yield RecordingPreview(id="preview")
        yield StatusBar(id="status")
        yield Footer()

    @property
    def table(self) -> RecordingTable:
        return self.query_one(RecordingTable)

    def on_mount(self) -> None:
        self.table.new_paths = self.new_paths
        self.refresh_status()
        self.load_summaries()

    # -- loading -------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_summaries(self) -> None:
        self._load(get_current_worker())

    def _load(self, worker: Worker) -> None:
        catalog = Catalog(max_size=self.config.max_size, use_cache=self.use_cache)
        found = list(iter_found(self.roots))
        total = len(found)
        self.post_message(self.SummariesLoaded([], 0, total, total == 0))
        batch: list[Summary] = []
        done = files = 0  # files summarized (posted, and in this batch); a cassette gives several rows
        last = monotonic()
        first = True
        for item in found:
            if worker.is_cancelled:
                return
            batch.extend(catalog.summarize_found(item))
            files += 1
            now = monotonic()
            if len(batch) >= (FIRST_BATCH if first else BATCH_ROWS) or now - last >= BATCH_SECONDS:
                done += files
                shown = threading.Event() if first else None
                self.post_message(self.SummariesLoaded(batch, done, total, done == total, shown))
                if shown is not None:
                    # Let the first rows reach the screen before parsing on: they are what the
                    # user waits for, and this thread would otherwise slow that frame down.
                    shown.wait(FIRST_FRAME_WAIT)
                batch, files, last, first = [], 0, monotonic(), False
        if batch or files:
            done += files
            self.post_message(self.SummariesLoaded(batch, done, total, True))
        catalog.save(self.roots)
        self.text_search = catalog.text_search(self.roots)
        self.catalog = catalog

    @on(SummariesLoaded)
    def _add_batch(self, message: SummariesLoaded) -> None:
        appendable = not self.grouped and self.sort_column is None
        fresh = [summary for summary in message.summaries if summary.path not in self.summaries]
        for summary in message.summaries:
            self.summaries[summary.path] = summary
        self.load_progress = None if message.finished else (message.done, message.total)
        if appendable and len(fresh) == len(message.summaries):
            # Unsorted and ungrouped, new rows only go at the end: no rebuild of what is shown.
            shown = [s for s in fresh if self.predicate is None or self.predicate(s)]
            self._shown += len(shown)
            self.table.append_rows([TableRow(summary.path, summary) for summary in shown])
        elif message.summaries or message.finished:
            self.refresh_rows()
        if message.shown is not None:
            self.call_after_refresh(message.shown.set)
        if message.finished and not self.loaded:
            self.loaded = True
            if not self.summaries:
                preview = self.query_one(RecordingPreview)
                preview.empty_message = f"No recording files (*.json, *.yaml) under: {', '.join(self.roots)}"
                preview.show_row(None)
            if self.watch_wanted:
                self.start_watching()
        self.refresh_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker is reported: a notification, never a crash."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        reason = " ".join(str(error).split()) or type(error).__name__
        if event.worker.group == "watch":
            self.watch_state = "failed"
            self.refresh_status()
            self.notify(f"Watching stopped: {reason}", severity="error", markup=False)
        elif event.worker.group == "load":
            self.load_progress = None
            self.loaded = True
            self.refresh_status()
            self.notify(f"Loading failed: {reason}", severity="error", markup=False)

    # -- the view ------------------------------------------------------------------------------------

    def visible_summaries(self) -> list[Summary]:
        items: list[Summary] = list(self.summaries.values())
        if self.predicate is not None:
            items = [summary for summary in items if self.predicate(summary)]
        if self.sort_column:
            items = sort_summaries(items, self.sort_column, descending=self.descending)
        return items

    def _is_open(self, key: str, default: bool) -> bool:
        return self.group_open.get(key, default)

    def build_rows(self, visible: list[Summary]) -> list[TableRow]:
        if not self.grouped:
            return [TableRow(summary.path, summary) for summary in visible]
        rows: list[TableRow] = []
        for file_part, tests in group_by_test(visible).items():
            children = [summary for recordings in tests.values() for summary in recordings]
            file_key = f"file:{file_part}"
            if file_part == NO_TEST_ID:
                is_open = self._is_open(file_key, len(children) <= SMALL_ORPHAN_GROUP)
                rows.append(TableRow(file_key, None, 0, NO_TEST_ID, len(children), "", is_open, children))
                if is_open:
                    rows.extend(TableRow(summary.path, summary, 1) for summary in children)
                continue
            detail = f"{len(tests)} test{'' if len(tests) == 1 else 's'}"
            is_open = self._is_open(file_key, True)
            label = display_test_file(file_part)
            rows.append(TableRow(file_key, None, 0, label, len(children), detail, is_open, children))
            if not is_open:
                continue
            for test_part, recordings in tests.items():
                test_key = f"test:{file_part}::{test_part}"
                test_open = self._is_open(test_key, len(recordings) <= SMALL_TEST_GROUP)
                rows.append(
                    TableRow(
                        test_key, None, 1, test_part or label, len(recordings), "", test_open, recordings
                    )
                )
                if test_open:
                    rows.extend(TableRow(summary.path, summary, 2) for summary in recordings)
        return rows

    def refresh_rows(self, keep: str = "row") -> None:
        visible = self.visible_summaries()
        self._shown = len(visible)
        table = self.table
        table.sort_column = self.sort_column
        table.descending = self.descending
        table.grouped = self.grouped
        table.set_rows(self.build_rows(visible), keep=keep)
        self.refresh_status()

    def refresh_status(self) -> None:
        status = BrowseStatus(
            total=len(self.summaries),
            shown=self._shown,
            errors=sum(1 for summary in self.summaries.values() if summary.status == "error"),
            new=len(self.new_paths),
            loading=self.load_progress,
            sort=SORT_LABELS.get(self.sort_column or ""),
            descending=self.descending,
            grouped=self.grouped,
            filtered=self.predicate is not None,
            watch=self.watch_state,
            follow=self.following,
        )
        self.query_one(StatusBar).show_status(status)

    @on(RecordingTable.Highlighted)
    def _preview(self, message: RecordingTable.Highlighted) -> None:
        preview = self.query_one(RecordingPreview)
        if message.row is None and self.summaries:
            preview.empty_message = "No recording matches the filter."
        preview.show_row(message.row)

    @on(RecordingTable.Selected)
    def _selected(self, message: RecordingTable.Selected) -> None:
        row = message.row
        if row.summary is not None:
            self.open_recording(row.summary.path)
        else:
            self._toggle_group(row, not row.expanded)

    @on(RecordingTable.GroupToggled)
    def _group_toggled(self, message: RecordingTable.GroupToggled) -> None:
        self._toggle_group(message.row, message.expand)

    def _toggle_group(self, row: TableRow, expand: bool) -> None:
        self.group_open[row.key] = expand
        self.refresh_rows()

    @on(RecordingTable.HeaderClicked)
    def _header_clicked(self, message: RecordingTable.HeaderClicked) -> None:
        if message.column == self.sort_column:
            self.set_sort(self.sort_column, descending=not self.descending)
        else:
            self.set_sort(message.column)

    # -- filtering -----------------------------------------------------------------------------------

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, message: Input.Changed) -> None:
        self.apply_filter(message.value)

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def apply_filter(self, text: str) -> None:
        bar = self.query_one(FilterBar)
        catalog = self.catalog
        if catalog is not None and catalog.index_pending() and has_text_filter(text):
            # The first `text:` filter: the index is brought up to date in a thread, then the
            # filter applies (the rows stay as they are meanwhile).
            try:
                parse_query(text, text_search=lambda needle: lambda summary: True)
            except QueryError as exc:
                bar.show_error(str(exc))
                return
            bar.show_error(None)
            self.prepare_index()
            return
        try:
            predicate = parse_query(text, text_search=self.text_search) if text.strip() else None
        except QueryError as exc:
            bar.show_error(str(exc))
            return
        bar.show_error(None)
        self.query_text = text
        self.predicate = predicate
        self.refresh_rows()

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def prepare_index(self) -> None:
        catalog = self.catalog
        if catalog is None:
            return
        self.app.call_from_thread(self.notify, "Indexing what the recordings say…", timeout=3)
        catalog.prepare_index(self.roots)
        self.app.call_from_thread(self._index_prepared)

    def _index_prepared(self) -> None:
        self.apply_filter(self.query_one(FilterBar).input.value)

    def set_filter(self, text: str) -> None:
        """Set the filter box (and so the filter) from code: the palette, tests."""
        filter_input = self.query_one(FilterBar).input
        if filter_input.value == text:
            self.apply_filter(text)
        else:
            filter_input.value = text  # Input.Changed applies it

    # -- sorting and grouping ------------------------------------------------------------------------

    def set_sort(self, column: str | None, *, descending: bool = False) -> None:
        if column is not None and column not in SORTABLE:
            raise ValueError(f"not a sortable column: {column}")
        self.sort_column = column
        self.descending = descending if column else False
        self.refresh_rows()

    def set_grouped(self, grouped: bool) -> None:
        self.grouped = grouped
        self.refresh_rows()

    def fold_all(self, expand: bool) -> None:
        """Unfold (or fold) every test file and test of the grouped view."""
        for summary in self.visible_summaries():
            if summary.test_id:
                file_part, _, test_part = summary.test_id.partition("::")
                self.group_open[f"file:{file_part}"] = expand
                self.group_open[f"test:{file_part}::{test_part}"] = expand
            else:
                self.group_open[f"file:{NO_TEST_ID}"] = expand
        if not self.grouped:
            self.grouped = True
        self.refresh_rows()

    def hidden_by_filter(self, path: str) -> bool:
        summary = self.summaries.get(path)
        return summary is not None and self.predicate is not None and not self.predicate(summary)

    def jump_to(self, path: str) -> None:
        """Highlight one recording; the filter stays unless it hides it (then cleared, and said so);
        its group unfolds.

        From a screen over the list (a replay), the list comes back first.
        """
        while self.app.screen is not self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        if path not in self.summaries:
            self.notify("That recording is no longer listed.", severity="warning")
            return
        if self.hidden_by_filter(path):
            cleared = self.query_text
            self.set_filter("")
            self.apply_filter("")
            self.notify(f"Cleared the filter {cleared!r}: it hid that recording.", timeout=6, markup=False)
        if self.grouped:
            summary = self.summaries[path]
            if summary.test_id:
                file_part, _, test_part = summary.test_id.partition("::")
                self.group_open[f"file:{file_part}"] = True
                self.group_open[f"test:{file_part}::{test_part}"] = True
            else:
                self.group_open[f"file:{NO_TEST_ID}"] = True
            self.refresh_rows()
        self.table.highlight_key(path)
        self.table.focus()

    # -- opening -------------------------------------------------------------------------------------

    def open_recording(self, path: str, *, follow: bool = False) -> None:
        try:
            from tui_replay.app.screens.replay import ReplayScreen
        except ImportError as exc:
            self.notify(f"Replay is not available: {exc}", severity="error", markup=False)
            return
        screen = ReplayScreen(
            path, speed=self.config.speed, config=self.config, highlight_terms=text_terms(self.query_text)
        )
        if follow and self._follow_screen is not None and self.app.screen is self._follow_screen:
            self.app.switch_screen(screen)
        else:
            self.app.push_screen(screen)
        self._follow_screen = screen if follow else None

    # -- watching ------------------------------------------------------------------------------------

    def start_watching(self) -> None:
        self.watch_state = "starting"
        self.refresh_status()
        self.watch_folders()

    def stop_watching(self) -> None:
        if self._stop_watch is not None:
            self._stop_watch.set()
        self.workers.cancel_group(self, "watch")
        self.watch_state = "off"
        self.refresh_status()

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def watch_folders(self) -> None:
        try:
            from tui_replay.catalog.watch import watch_catalog
        except ImportError:
            self.watch_state = "unavailable"
            self.refresh_status()
            return
        stop = asyncio.Event()
        self._stop_watch = stop
        self.watch_state = "on"
        self.refresh_status()
        try:
            async for batch in watch_catalog(
                self.roots,
                known=dict(self.summaries),
                max_size=self.config.max_size,
                stop_event=stop,
                catalog=self.catalog,
            ):
                if stop.is_set():
                    break
                self.apply_changes(batch)
        finally:
            if self._stop_watch is stop:
                self._stop_watch = None
                if self.watch_state == "on":
                    self.watch_state = "off"
                    with contextlib.suppress(Exception):
                        self.refresh_status()

    def apply_changes(self, changes: list[Change]) -> None:
        """Apply a batch from the watcher; the highlighted row keeps its place on screen."""
        added: list[str] = []
        for change in changes:
            if change.event == "removed" or change.summary is None:
                self.summaries.pop(change.path, None)
                self.new_paths.discard(change.path)
                continue
            summary = change.summary
            summary.path = change.path
            if change.event == "added" and change.path not in self.summaries:
                self.new_paths.add(change.path)
                added.append(change.path)
            self.summaries[change.path] = summary
        self.refresh_rows(keep="row")
        row = self.table.highlighted_row
        self.query_one(RecordingPreview).show_row(row)
        self._tell_open_replays(changes)
        if self.following and added:
            ready = [path for path in added if self.summaries[path].status == "ok"] or added
            self._open_newest(ready)

    def _tell_open_replays(self, changes: list[Change]) -> None:
        """A recording open on a replay screen changed or went on disk: that screen offers a reload."""
        events = {change.path: change.event for change in changes if change.event in ("changed", "removed")}
        if not events:
            return
        for screen in self.app.screen_stack:
            event = events.get(getattr(screen, "path", None))
            if event is not None and hasattr(screen, "on_disk_change"):
                screen.on_disk_change(event)

    def _open_newest(self, paths: list[str]) -> None:
        newest = max(paths, key=lambda path: (self.summaries[path].mtime_ns, path))
        top = self.app.screen
        if top is self or (self._follow_screen is not None and top is self._follow_screen):
            self.table.highlight_key(newest)
            self.open_recording(newest, follow=True)

    # -- actions -------------------------------------------------------------------------------------

    def action_quit(self) -> None:
        self.app.exit(0)

    def action_back(self) -> None:
        """Escape: leave the filter box. On the list it neither quits nor clears the filter, so
        Escapes pressed to get back from a replay or an export keep the view (q, ctrl+q quit)."""
        filter_input = self.query_one(FilterBar).input
        if self.focused is filter_input:
            self.table.focus()
        else:
            self.notify("This is the list: q or ctrl+q quits.", timeout=3, markup=False)

    def action_filter(self) -> None:
        filter_input = self.query_one(FilterBar).input
        if self.focused is filter_input:
            raise SkipAction()  # inside the box the filter key is a character to type
        # At once (focus() waits a loop turn): the next keys must find the box focused.
        self.set_focus(filter_input)

    def action_toggle_group(self) -> None:
        self.set_grouped(not self.grouped)

    def action_sort_next(self) -> None:
        order: list[str | None] = [None, *SORTABLE]
        self.set_sort(order[(order.index(self.sort_column) + 1) % len(order)], descending=self.descending)

    def action_sort_reverse(self) -> None:
        self.set_sort(self.sort_column or "test", descending=not self.descending)

    def action_toggle_watch(self) -> None:
        self.watch_wanted = not self.watch_wanted
        if not self.watch_wanted:
            self.stop_watching()
        elif self.loaded:
            self.start_watching()
        else:
            self.watch_state = "after loading"
            self.refresh_status()

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        self.refresh_status()
        if self.following and not self.watch_wanted:
            self.action_toggle_watch()
        self.notify(
            "Following: the newest recording opens as it lands." if self.following else "Follow off.",
            timeout=2,
        )

    def open_highlighted(self) -> None:
        self.table.action_select()
