"""The browse screen: every recording under the given paths, filtered, sorted, grouped, previewed.

Loading runs in a thread worker that posts rows in batches (the first after a few dozen
files), so the table fills while the rest is read and the app never stops answering keys.
Watching runs in an exclusive async worker (group "watch") once loading is done; each
batch of changes is applied without moving the highlighted row on screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import operator
import threading
from time import monotonic
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from tui_replay.app.messages import RecordingChangedOnDisk
from tui_replay.app.widgets.filter_bar import FilterBar
from tui_replay.app.widgets.key_footer import KeyFooter
from tui_replay.app.widgets.preview import RecordingPreview
from tui_replay.app.widgets.recording_table import SORTABLE, RecordingTable, TableRow
from tui_replay.app.widgets.status_bar import BrowseStatus, StatusBar
from tui_replay.catalog.catalog import Catalog, compute_keys
from tui_replay.catalog.filters import (
    Predicate,
    Query,
    QueryError,
    has_key_filter,
    has_text_filter,
    parse_query,
    text_terms,
)
from tui_replay.catalog.scan import iter_found
from tui_replay.catalog.view import ListingView, column, first_descending
from tui_replay.config import Config
from tui_replay.recording.model import Summary, share_repeated_strings
from tui_replay.recording.request_hash import CURRENT_KEY, MIS_KEYED, OLDER_KEY
from tui_replay.recording.summary import key_pending

if TYPE_CHECKING:
    from tui_replay.catalog.watch import Change

FIRST_BATCH = 40  # rows in the first post: something on screen as early as possible
FIRST_FRAME_WAIT = 0.5  # seconds the loader waits for the first rows to be drawn
BATCH_ROWS = 500
BATCH_SECONDS = 0.1
# From this many recordings a filter costs more than a frame. A key is applied at once (with
# the key's own echo, in the same frame); keys that follow within BURST_SECONDS of the last
# filter (a paste, a fast typist) are taken together after DEBOUNCE_SECONDS of quiet.
DEBOUNCE_FROM = 20_000
BURST_SECONDS = 0.05
DEBOUNCE_SECONDS = 0.03

# How the status line and the palette name each sort (the table's sortable columns).
SORT_LABELS = {key: column(key).sort_label for key in SORTABLE}


class BrowseScreen(Screen[None]):
    CSS_PATH = "browse.tcss"
    AUTO_FOCUS = "RecordingTable"

    # The keys the footer keeps longest on a narrow terminal, most important first.
    FOOTER_PRIORITY: ClassVar[tuple[str, ...]] = (
        "quit",
        "help",
        "filter",
        "select",
        "toggle_group",
        "sort_next",
        "edit",
        "yank",
    )
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
        Binding("m", "mark", "Mark for diff", show=False, id="browse.mark"),
        Binding("d", "diff", "Diff with mark", show=False, id="browse.diff"),
        Binding("K", "fix_keys", "Fix keys", show=False, id="browse.fix_keys"),
        Binding("e", "edit", "Edit", id="browse.edit"),
        Binding("y", "yank", "Copy path", show=False, id="browse.yank"),
        Binding("E", "test_source", "Test source", show=False, id="browse.test_source"),
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
            catalog: Catalog | None = None,
        ) -> None:
            super().__init__()
            self.catalog = catalog  # with the last batch
            self.summaries = summaries
            self.done = done
            self.total = total
            self.finished = finished
            self.shown = shown  # set once the rows are on screen

    # The state of the view; each change redraws what depends on it.
    query_text: reactive[str] = reactive("", init=False)
    sort: reactive[tuple[str | None, bool]] = reactive((None, False), init=False)
    grouped: reactive[bool] = reactive(False, init=False)
    watch_state: reactive[str] = reactive("off", init=False)
    following: reactive[bool] = reactive(False, init=False)
    load_progress: reactive[tuple[int, int] | None] = reactive((0, 0), init=False)

    def __init__(self, roots: list[str], config: Config, *, use_cache: bool = True) -> None:
        super().__init__()
        self.roots = list(roots)
        self.config = config
        self.use_cache = use_cache
        self.view = ListingView()
        self.new_paths: set[str] = set()
        self.loaded = False
        self.watch_wanted = config.watch
        self.set_reactive(BrowseScreen.watch_state, "after loading" if config.watch else "off")
        self.marked: str | None = None  # the row `m` marked: side a of the next `d`
        self._stop_watch: asyncio.Event | None = None
        self._follow_screen: Screen | None = None
        self._shown = 0
        self._typed: Timer | None = None  # the debounce of the filter box
        self._filtered_at = 0.0  # monotonic() when the last filter was applied
        # Once loaded: the catalog (the watcher keeps its cache and full-text index current); the
        # first `text:` filter brings the index up to date in a thread (`prepare_index`).
        self.catalog: Catalog | None = None
        self._indexing = False
        # A `key:` filter reads each file's key status in a thread first; the rows it tried (by
        # path, the very summary) are not tried again (an unreadable file stays without one).
        self._reading_keys = False
        self._keys_tried: dict[str, Summary] = {}

    @property
    def summaries(self) -> dict[str, Summary]:
        return self.view.summaries

    @property
    def predicate(self) -> Query | None:
        """The filter in force (None: every recording)."""
        return self.view.query

    @property
    def sort_column(self) -> str | None:
        return self.sort[0]

    @property
    def descending(self) -> bool:
        return self.sort[1]

    # -- layout --------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield FilterBar(id="filter-bar")
        yield RecordingTable(id="recordings")
        yield RecordingPreview(id="preview")
        yield StatusBar(id="status")
        yield KeyFooter()

    @property
    def table(self) -> RecordingTable:
        return self.query_one(RecordingTable)

    def on_mount(self) -> None:
        self.table.new_paths = self.new_paths
        self.table.view = self.view
        self._restore_state()
        # `key:` tests the status read so far: the files are read in a thread (`read_keys`), not
        # by the filter on the UI thread.
        self.view.key_status = operator.attrgetter("key")
        self.refresh_status()
        self.load_summaries()

    def _restore_state(self) -> None:
        """The sort and grouping of the last run (the app's saved state), before the first rows."""
        state = getattr(self.app, "state", None)
        if state is None:
            return
        if state.sort_column in SORTABLE:
            self.set_reactive(BrowseScreen.sort, (state.sort_column, bool(state.sort_descending)))
            self.view.set_sort(*self.sort)
        if state.grouped:
            self.set_reactive(BrowseScreen.grouped, True)
            self.view.grouped = True

    def _remember(self, **changes: object) -> None:
        remember = getattr(self.app, "remember", None)
        if remember is not None:
            remember(**changes)

    # -- loading -------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_summaries(self) -> None:
        self._load(get_current_worker())

    def _load(self, worker: Worker) -> None:
        catalog = Catalog(max_size=self.config.max_size, use_cache=self.use_cache)
        # Rows are posted as the folders are walked: 100,000 files take seconds to find, and
        # the first rows need not wait for that. The total is known (and said) at the end.
        total = 0
        batch: list[Summary] = []
        done = files = 0  # files summarized (posted, and in this batch); a cassette gives several rows
        last = monotonic()
        first = True
        # (Files the cache does not know are read by worker processes once there are many.)
        with contextlib.closing(catalog.iter_rows(iter_found(self.roots))) as files_rows:
            for rows in files_rows:
                if worker.is_cancelled:
                    return
                share_repeated_strings(rows)  # here, off the UI thread: the rows stay for the app's life
                batch.extend(rows)
                files += 1
                now = monotonic()
                if len(batch) >= (FIRST_BATCH if first else BATCH_ROWS) or now - last >= BATCH_SECONDS:
                    done += files
                    shown = threading.Event() if first else None
                    self.post_message(self.SummariesLoaded(batch, done, total, False, shown))
                    if shown is not None:
                        # Let the first rows reach the screen before parsing on: they are what the
                        # user waits for, and this thread would otherwise slow that frame down.
                        shown.wait(FIRST_FRAME_WAIT)
                    batch, files, last, first = [], 0, monotonic(), False
        done += files
        with catalog.lock:  # the index pass (a `text:` filter typed now) waits for the save
            self.post_message(self.SummariesLoaded(batch, done, done, True, catalog=catalog))
            catalog.save(self.roots)

    @on(SummariesLoaded)
    def _add_batch(self, message: SummariesLoaded) -> None:
        appended = self.view.add(message.summaries)
        self.table.measure(message.summaries)
        self.load_progress = None if message.finished else (message.done, message.total)
        if appended is not None:
            # Unsorted and ungrouped, new rows only go at the end: no rebuild of what is shown.
            self._shown += len(appended)
            self.table.append_rows([self.view.row_for(summary) for summary in appended])
        elif message.summaries or message.finished:
            self.refresh_rows()
        if message.shown is not None:
            self.call_after_refresh(message.shown.set)
        if message.catalog is not None:
            self._keep_catalog(message.catalog)
            refused = message.catalog.cache.refused if message.catalog.cache is not None else None
            if refused:  # e.g. a database file that is a symbolic link: no cache this run
                self.notify(refused, severity="warning", markup=False, timeout=8)
        if message.finished and not self.loaded:
            self.loaded = True
            # The summaries stay for the app's life: full collections (150 ms and more with
            # 100,000 rows, at any keystroke) need not walk them again.
            gc.freeze()
            if not self.summaries:
                preview = self.query_one(RecordingPreview)
                preview.empty_message = f"No recording files (*.json, *.yaml) under: {', '.join(self.roots)}"
                preview.show_row(None)
            if self.watch_wanted:
                self.start_watching()
            if has_key_filter(self.query_text):  # typed while loading: the rows since need their status
                self.watch_query_text(self.query_text)
        self.refresh_status()

    def _keep_catalog(self, catalog: Catalog) -> None:
        self.catalog = catalog
        search = catalog.text_search(self.roots)

        def text_search(needle: str) -> Predicate:
            with catalog.lock:  # not while the watcher or the index pass writes the cache
                return search(needle)

        self.view.text_search = text_search

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker is reported: a notification, never a crash."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        reason = " ".join(str(error).split()) or type(error).__name__
        if event.worker.group == "watch":
            self.watch_state = "failed"
            self.notify(f"Watching stopped: {reason}", severity="error", markup=False)
        elif event.worker.group == "index":
            self._indexing = False
            self.query_one(FilterBar).show_note(None)
            self.notify(f"Indexing failed: {reason}", severity="error", markup=False)
        elif event.worker.group == "keys":
            self._reading_keys = False
            self.query_one(FilterBar).show_note(None)
            self.notify(f"Reading the key status failed: {reason}", severity="error", markup=False)
        elif event.worker.group == "load":
            self.loaded = True
            self.load_progress = None
            self.notify(f"Loading failed: {reason}", severity="error", markup=False)

    # -- the view ------------------------------------------------------------------------------------

    def refresh_rows(self, keep: str = "row") -> None:
        rows = self.view.rows()
        self._shown = self.view.shown
        table = self.table
        table.empty_message = ""
        if not rows and self.summaries:
            table.empty_message = f"No recording matches the filter: {' '.join(self.view.query_text.split())}"
        table.set_rows(rows, keep=keep)
        self.refresh_status()

    def refresh_status(self) -> None:
        if not self.is_mounted:
            return
        status = BrowseStatus(
            total=len(self.summaries),
            shown=self._shown,
            errors=self.view.errors,
            new=len(self.new_paths),
            loading=self.load_progress,
            sort=self.view.sort_label(),
            descending=self.descending,
            grouped=self.grouped,
            filtered=self.predicate is not None,
            watch=self.watch_state,
            follow=self.following,
        )
        self.query_one(StatusBar).show_status(status)

    def watch_sort(self, sort: tuple[str | None, bool]) -> None:
        self.view.set_sort(*sort)
        self.refresh_rows(keep="top")  # a new order starts at its top
        self._remember(sort_column=sort[0], sort_descending=sort[1])

    def watch_grouped(self, grouped: bool) -> None:
        self.view.grouped = grouped
        self.refresh_rows()
        self._remember(grouped=grouped)

    def watch_query_text(self, text: str) -> None:
        bar = self.query_one(FilterBar)
        catalog = self.catalog
        if catalog is not None and has_text_filter(text) and catalog.index_pending():
            # The first `text:` filter: the index is brought up to date in a thread, then the
            # filter applies (the rows stay as they are meanwhile).
            self._show_query_error(text)
            bar.show_note("indexing what the recordings say…")
            if not self._indexing:
                self._indexing = True
                self.prepare_index(catalog)
            return
        if has_key_filter(text):
            untried = self._keys_to_read()
            if untried:
                # The key status is read from each file (hashing its request): in a thread, with
                # worker processes for many, then the filter applies (the rows stay meanwhile).
                self._show_query_error(text)
                if not self._reading_keys:
                    self._reading_keys = True
                    bar.show_note(f"reading the key status of {len(untried):,} recordings…")
                    self.read_keys(untried)
                return
        error = self.view.set_query(text)
        bar.show_error(error)
        # A new filter starts at its first match (keeping the old row's index could put the
        # cursor on the last match, with the first ones scrolled out of view).
        self.refresh_rows(keep="top")

    def _show_query_error(self, text: str) -> None:
        """Say next to the box what in `text` cannot be read, while the rows wait for a thread
        (the index, the key status) before the filter applies."""
        try:
            parse_query(text, text_search=lambda needle: lambda summary: True)
            self.query_one(FilterBar).show_error(None)
        except QueryError as exc:
            self.query_one(FilterBar).show_error(str(exc))

    def _keys_to_read(self) -> list[Summary]:
        tried = self._keys_tried
        return [
            summary
            for path, summary in self.summaries.items()
            if tried.get(path) is not summary and key_pending(summary)
        ]

    @work(thread=True, group="keys", exit_on_error=False)
    def read_keys(self, summaries: list[Summary]) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            note = f"reading the key status: {done:,} of {total:,} recordings…"
            self.app.call_from_thread(self._show_note, note)

        compute_keys(
            summaries,
            max_size=self.config.max_size,
            progress=progress,
            cancelled=lambda: worker.is_cancelled,
            catalog=self.catalog,  # (None while loading: then kept on the rows only)
        )
        if self.catalog is not None:
            with self.catalog.lock:  # (loading is over: saving ends no listing's reading)
                self.catalog.save()
        self.app.call_from_thread(self._keys_read, summaries)

    def _show_note(self, note: str | None) -> None:
        self.query_one(FilterBar).show_note(note)

    def _keys_read(self, summaries: list[Summary]) -> None:
        self._keys_tried.update((summary.path, summary) for summary in summaries)
        self._reading_keys = False
        self.query_one(FilterBar).show_note(None)
        self.watch_query_text(self.query_text)  # the filter typed by now

    @work(thread=True, group="index", exit_on_error=False)
    def prepare_index(self, catalog: Catalog) -> None:
        catalog.prepare_index(self.roots)
        self.app.call_from_thread(self._index_prepared)

    def _index_prepared(self) -> None:
        self._indexing = False
        self.query_one(FilterBar).show_note(None)
        self.watch_query_text(self.query_text)  # the filter typed by now

    def watch_watch_state(self) -> None:
        self.refresh_status()

    def watch_following(self) -> None:
        self.refresh_status()

    def watch_load_progress(self) -> None:
        self.refresh_status()

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
        self.view.toggle_group(row.key, expand)
        self.refresh_rows()

    @on(RecordingTable.HeaderClicked)
    def _header_clicked(self, message: RecordingTable.HeaderClicked) -> None:
        if message.column == self.sort_column:
            self.set_sort(self.sort_column, descending=not self.descending)
        else:
            self.set_sort(message.column)  # numbers biggest first

    # -- filtering -----------------------------------------------------------------------------------

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, message: Input.Changed) -> None:
        if self._typed is not None:
            self._typed.stop()
            self._typed = None
        value = message.value
        if len(self.summaries) < DEBOUNCE_FROM or monotonic() - self._filtered_at >= BURST_SECONDS:
            self.apply_filter(value)
        else:
            self._typed = self.set_timer(DEBOUNCE_SECONDS, lambda: self.apply_filter(value))

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self, message: Input.Submitted) -> None:
        self.apply_filter(message.value)
        self._remember(recent_filter=message.value)
        self.table.focus()

    def apply_filter(self, text: str) -> None:
        """Filter with `text` now. When part of it cannot be read, that part is said next to the
        box and the rest applies: the rows from before the half-typed word stay."""
        if self._typed is not None:
            self._typed.stop()
            self._typed = None
        self.query_text = text
        self._filtered_at = monotonic()

    def set_filter(self, text: str) -> None:
        """Set the filter box (and so the filter) from code: the palette, tests."""
        filter_input = self.query_one(FilterBar).input
        if filter_input.value == text:
            self.apply_filter(text)
        else:
            filter_input.value = text  # Input.Changed applies it

    # -- sorting and grouping ------------------------------------------------------------------------

    def set_sort(self, column: str | None, *, descending: bool | None = None) -> None:
        """Sort on `column` (None: scan order); without `descending`, the column's first
        direction (numbers biggest first). The cursor goes to the top of the new order."""
        if column is not None and column not in SORTABLE:
            raise ValueError(f"not a sortable column: {column}")
        if descending is None:
            descending = first_descending(column) if column else False
        self.sort = (column, bool(descending) if column else False)

    def set_grouped(self, grouped: bool) -> None:
        self.grouped = grouped

    def fold_all(self, expand: bool) -> None:
        """Unfold (or fold) every test file and test of the grouped view."""
        self.view.fold_all(expand)
        if self.grouped:
            self.refresh_rows()
        else:
            self.grouped = True

    def hidden_by_filter(self, path: str) -> bool:
        return self.view.hidden_by_filter(path)

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
            self.view.unfold_to(path)
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
        # What the filter's `text:` looked for is marked in the replay.
        terms = text_terms(self.query_text)
        screen = ReplayScreen(path, speed=self.config.speed, config=self.config, highlight_terms=terms)
        if follow and self._follow_screen is not None and self.app.screen is self._follow_screen:
            self.app.switch_screen(screen)
        else:
            self.app.push_screen(screen)
        self._follow_screen = screen if follow else None

    # -- watching ------------------------------------------------------------------------------------

    def start_watching(self) -> None:
        self.watch_state = "starting"
        self.watch_folders()

    def stop_watching(self) -> None:
        if self._stop_watch is not None:
            self._stop_watch.set()
        self.workers.cancel_group(self, "watch")
        self.watch_state = "off"

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def watch_folders(self) -> None:
        try:
            from tui_replay.catalog.watch import watch_catalog
        except ImportError:
            self.watch_state = "unavailable"
            return
        stop = asyncio.Event()
        self._stop_watch = stop
        self.watch_state = "on"
        try:
            async for batch in watch_catalog(
                self.roots,
                known=dict(self.summaries),
                max_size=self.config.max_size,
                stop_event=stop,
                catalog=self.catalog,  # its cache and full-text index follow the changes
            ):
                if stop.is_set():
                    break
                self.apply_changes(batch)
        finally:
            if self._stop_watch is stop:
                self._stop_watch = None
                if self.watch_state == "on":
                    with contextlib.suppress(Exception):
                        self.watch_state = "off"

    def apply_changes(self, changes: list[Change]) -> None:
        """Apply a batch from the watcher; the highlighted row keeps its place on screen."""
        added: list[str] = []
        removed: list[str] = []
        updated: list[Summary] = []
        for change in changes:
            if change.event == "removed" or change.summary is None:
                removed.append(change.path)
                self.new_paths.discard(change.path)
                continue
            summary = change.summary
            summary.path = change.path
            if change.event == "added" and change.path not in self.summaries:
                self.new_paths.add(change.path)
                added.append(change.path)
            updated.append(summary)
        share_repeated_strings(updated)
        self.view.remove(removed)
        self.view.add(updated)
        self.table.measure(updated)
        self.refresh_rows(keep="row")
        if has_key_filter(self.query_text) and any(map(key_pending, updated)):
            self.watch_query_text(self.query_text)  # new rows: their key status is read first
        row = self.table.highlighted_row
        self.query_one(RecordingPreview).show_row(row)
        self._tell_open_replays(changes)
        if self.following and added:
            ready = [path for path in added if self.summaries[path].status == "ok"] or added
            self._open_newest(ready)

    def _tell_open_replays(self, changes: list[Change]) -> None:
        """A recording open on a replay screen changed or went on disk: that screen offers a reload."""
        for change in changes:
            if change.event not in ("changed", "removed"):
                continue
            for screen in self.app.screen_stack:
                if screen is not self:
                    screen.post_message(RecordingChangedOnDisk(change.path, change.event))

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
            self._remember(recent_filter=filter_input.value)
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
        self.set_sort(order[(order.index(self.sort_column) + 1) % len(order)])

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

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        if self.following and not self.watch_wanted:
            self.action_toggle_watch()
        self.notify(
            "Following: the newest recording opens as it lands." if self.following else "Follow off.",
            timeout=2,
        )

    # -- diffing two rows ----------------------------------------------------------------------------

    def _highlighted_summary(self) -> Summary | None:
        row = self.table.highlighted_row
        if row is None or row.summary is None:
            self.notify("Put the cursor on a recording (not a group).", severity="warning", timeout=3)
            return None
        return row.summary

    def _highlighted_recording(self) -> str | None:
        summary = self._highlighted_summary()
        return None if summary is None else summary.path

    def action_mark(self) -> None:
        """Mark the highlighted recording as side a of a diff (again: unmark)."""
        path = self._highlighted_recording()
        if path is None:
            return
        self.marked = None if self.marked == path else path
        self.table.marked_path = self.marked
        self.table.refresh()
        if self.marked:
            self.notify("Marked: d on another row diffs it with this one.", timeout=3, markup=False)

    def action_diff(self) -> None:
        """Diff the marked recording (a) with the highlighted one (b) on the diff screen."""
        if self.marked is None:
            self.notify("Mark a row with m first, then d on another row.", severity="warning", timeout=4)
            return
        path = self._highlighted_recording()
        if path is None:
            return
        if path == self.marked:
            self.notify("That is the marked row: d on another row.", severity="warning", timeout=3)
            return
        from tui_replay.app.screens.diff import DiffScreen

        self.app.push_screen(DiffScreen(self.marked, path, self.config))

    # -- leaving for the files -----------------------------------------------------------------------

    def action_edit(self) -> None:
        """The highlighted recording's file in $EDITOR (the app waits, suspended)."""
        summary = self._highlighted_summary()
        if summary is not None:
            self.app.edit(summary.file)  # type: ignore[attr-defined]

    def action_yank(self) -> None:
        """The highlighted recording's path (a cassette's `file#N`) to the clipboard."""
        summary = self._highlighted_summary()
        if summary is not None:
            self.app.yank(summary.path, "the path")  # type: ignore[attr-defined]

    def action_test_source(self) -> None:
        """The source of the test that made the highlighted recording, in $EDITOR at its `def`."""
        summary = self._highlighted_summary()
        if summary is not None:
            self.app.edit_test_source(summary.test_id, summary.file)  # type: ignore[attr-defined]

    def open_highlighted(self) -> None:
        self.table.action_select()

    # -- fixing keys (`check --fix`) -----------------------------------------------------------------

    def action_fix_keys(self) -> None:
        """Rename the listed mis-keyed and older-keyed rows (`key:` shows them) after a confirmation."""
        paths = [s.path for s in self.view.visible() if (s.key or "").split(" ")[0] in (MIS_KEYED, OLDER_KEY)]
        if not paths:
            self.notify(
                "No mis-keyed or older-keyed row listed (try the filter key:mis-keyed or key:older).",
                severity="warning",
                timeout=5,
                markup=False,
            )
            return
        from tui_replay.app.screens.fix_keys import FixKeysScreen

        self.app.push_screen(FixKeysScreen(paths), callback=self._keys_fixed)

    def _keys_fixed(self, renamed: list[tuple[str, str]] | None) -> None:
        """The renamed rows move to their new names (now current keys)."""
        if not renamed:
            return
        from tui_replay.catalog.watch import Change

        changes = []
        for old, new in renamed:
            summary = self.summaries.get(old)
            if summary is not None:
                moved = copy.copy(summary)
                moved.key = CURRENT_KEY
                changes += [Change("removed", old, summary), Change("added", new, moved)]
        self.apply_changes(changes)
        noun = "recording" if len(renamed) == 1 else "recordings"
        self.notify(f"Renamed {len(renamed)} {noun} to their expected names.", timeout=5, markup=False)
