"""The browse screen: every recording under the given paths, filtered, sorted, grouped, previewed.

The listing itself (loading, the filter and what it waits for, changes on disk) is a headless
`ListingSession` (catalog/session.py); this screen lays it out and binds the keys. Each worker
makes one call to the session and posts one message with the answer:

- "load" (a thread) posts the rows in batches (the first after a few dozen files), so the table
  fills while the rest is read and the app never stops answering keys;
- "index" and "keys" (threads) prepare what a `text:` or `key:` filter waits for;
- "watch" (async, once loading is done) posts each batch of changes, applied without moving
  the highlighted row on screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
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
from tui_replay.catalog.filters import Query, text_terms
from tui_replay.catalog.session import (
    WAITS_FOR_INDEX,
    WAITS_FOR_KEYS,
    FilterOutcome,
    ListingSession,
    LoadedBatch,
)
from tui_replay.catalog.view import ListingView, column, first_descending
from tui_replay.config import Config
from tui_replay.recording.model import Summary
from tui_replay.recording.request_hash import CURRENT_KEY, MIS_KEYED, OLDER_KEY

if TYPE_CHECKING:
    from tui_replay.catalog.catalog import Catalog
    from tui_replay.catalog.watch import Change

FIRST_FRAME_WAIT = 0.5  # seconds the loader waits for the first rows to be drawn
# From this many recordings a filter costs more than a frame. A key is applied at once (with
# the key's own echo, in the same frame); keys that follow within BURST_SECONDS of the last
# filter (a paste, a fast typist) are taken together after DEBOUNCE_SECONDS of quiet.
DEBOUNCE_FROM = 20_000
BURST_SECONDS = 0.05
DEBOUNCE_SECONDS = 0.03
COLLECT_AFTER_KEY_SECONDS = 0.2  # the garbage collector waits this long after a filter key
# The watcher's OS watch set-up stalls the event loop (~0.3 s at 100,000 files): it waits for a
# pause this long in the typing (a person's keys come 0.1-0.3 s apart), at most QUIET_AT_MOST.
QUIET_SECONDS = 0.6
QUIET_AT_MOST = 10.0

# While the first `text:` filter reads the recordings: how often the rows found so far are shown.
FOUND_SO_FAR_SECONDS = 0.5

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

        def __init__(self, batch: LoadedBatch, shown: threading.Event | None = None) -> None:
            super().__init__()
            self.batch = batch
            self.shown = shown  # set once the rows are on screen

    class IndexPrepared(Message):
        """The full-text index is current: a `text:` filter can apply."""

    class KeysRead(Message):
        """The key status of these rows was read: a `key:` filter can apply."""

        def __init__(self, summaries: list[Summary]) -> None:
            super().__init__()
            self.summaries = summaries

    class IndexProgress(Message):
        """How far reading the recordings for their text is (a burst collapses to the latest)."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, BrowseScreen.IndexProgress)

    class KeysProgress(Message):
        """How far reading the key status is (a burst collapses to the latest)."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, BrowseScreen.KeysProgress)

    class ChangesOnDisk(Message):
        """A batch of changes from the watcher."""

        def __init__(self, changes: list[Change]) -> None:
            super().__init__()
            self.changes = changes

    # The state of the view; each change redraws what depends on it.
    sort: reactive[tuple[str | None, bool]] = reactive((None, False), init=False)
    grouped: reactive[bool] = reactive(False, init=False)
    watch_state: reactive[str] = reactive("off", init=False)
    following: reactive[bool] = reactive(False, init=False)
    # repaint=False: the status bar shows it; a repaint of the screen per loading batch draws
    # every widget again.
    load_progress: reactive[tuple[int, int] | None] = reactive((0, 0), init=False, repaint=False)

    def __init__(self, roots: list[str], config: Config, *, use_cache: bool = True) -> None:
        super().__init__()
        self.roots = list(roots)
        self.config = config
        self.session = ListingSession(
            self.roots,
            max_size=config.max_size,
            use_cache=use_cache,
            freeze_when_loaded=True,
            # Loading need not stat each file: the watcher's start-up walk checks every row
            # against its file, or without a watcher one pass does (`_check_trusted_rows`).
            trust_cache=True,
        )
        self.query_text = ""  # the filter typed (it may wait for the index or the key status)
        self.watch_wanted = config.watch
        self.set_reactive(BrowseScreen.watch_state, "after loading" if config.watch else "off")
        self.marked: str | None = None  # the row `m` marked: side a of the next `d`
        self._stop_watch: asyncio.Event | None = None
        self._follow_screen: Screen | None = None
        self._shown = 0
        self._typed: Timer | None = None  # the debounce of the filter box
        self._filtered_at = 0.0  # monotonic() when the last filter was applied
        self._collect_later: Timer | None = None  # the garbage collector waits for a key's frame
        self._last_key = 0.0  # monotonic() of the last key typed (`_until_typing_pauses`)

    @property
    def view(self) -> ListingView:
        return self.session.view

    @property
    def summaries(self) -> dict[str, Summary]:
        return self.session.view.summaries

    @property
    def new_paths(self) -> set[str]:
        return self.session.new_paths

    @property
    def loaded(self) -> bool:
        return self.session.loaded

    @property
    def catalog(self) -> Catalog | None:
        """The catalog once every row is loaded (the watcher keeps its cache and index current)."""
        return self.session.catalog if self.session.loaded else None

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
        worker = get_current_worker()

        def post(batch: LoadedBatch) -> None:
            shown = threading.Event() if batch.first and not batch.finished else None
            self.post_message(self.SummariesLoaded(batch, shown))
            if shown is not None:
                # Let the first rows reach the screen before parsing on: they are what the
                # user waits for, and this thread would otherwise slow that frame down.
                shown.wait(FIRST_FRAME_WAIT)

        self.session.load(post, cancelled=lambda: worker.is_cancelled)

    def _check_trusted_rows(self) -> None:
        """Rows loaded from the cache unchecked (`trust_cache`) that no watcher's start-up walk
        will check: one pass compares every file with its row."""
        if self.session.trust_cache and self.loaded:
            self.recheck_rows(dict(self.summaries))

    # (A description given: Textual's own is made of the arguments' repr, 100,000 rows here.)
    @work(thread=True, exclusive=True, group="recheck", exit_on_error=False, description="recheck_rows")
    def recheck_rows(self, listed: dict[str, Summary]) -> None:
        changes = self.session.recheck(listed, yield_to_caller=True)
        if changes:
            self.post_message(self.ChangesOnDisk(changes))

    @on(SummariesLoaded)
    def _add_batch(self, message: SummariesLoaded) -> None:
        batch = message.batch
        was_loaded = self.loaded
        appended = self.session.add_batch(batch)
        self.table.measure(batch.summaries)
        self.load_progress = self.session.progress
        if appended is not None:
            # Unsorted and ungrouped, new rows only go at the end: no rebuild of what is shown.
            self._shown += len(appended)
            self.table.append_rows(self.view.rows_for(appended))
        elif batch.summaries or batch.finished:
            self.refresh_rows()
        if message.shown is not None:
            self.call_after_refresh(message.shown.set)
        if batch.finished and not was_loaded:
            refused = self.session.cache_refused
            if refused:  # e.g. a database file that is a symbolic link: no cache this run
                self.notify(refused, severity="warning", markup=False, timeout=8)
            if not self.summaries:
                preview = self.query_one(RecordingPreview)
                preview.empty_message = f"No recording files (*.json, *.yaml) under: {', '.join(self.roots)}"
                preview.show_row(None)
            if self.watch_wanted:
                self.start_watching()
            else:  # watching is off (or was turned off while loading)
                self._check_trusted_rows()
            if self.session.filter_incomplete():  # typed while loading: waits for every row
                self.filter_rows()
        self.refresh_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker is reported: a notification, never a crash."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        reason = " ".join(str(error).split()) or type(error).__name__
        if event.worker.group == "watch":
            self.watch_state = "failed"
            self.notify(f"Watching stopped: {reason}", severity="error", markup=False)
            self._check_trusted_rows()  # (its start-up walk may not have run)
        elif event.worker.group == "index":
            self.session.index_done()
            self.query_one(FilterBar).show_note(None)
            self.notify(f"Indexing failed: {reason}", severity="error", markup=False)
        elif event.worker.group == "keys":
            self.session.keys_done()
            self.query_one(FilterBar).show_note(None)
            self.notify(f"Reading the key status failed: {reason}", severity="error", markup=False)
        elif event.worker.group == "load":
            self.session.load_failed()
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
        # The preview in the same frame as the rows: the table's Highlighted message reaches it
        # a few hops later, after that frame, and a second frame follows (a filter keystroke).
        self._show_preview(table.highlighted_row)
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
            partial=self.load_progress is not None,
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

    def filter_rows(self) -> None:
        """Apply the filter typed (`query_text`), or say what it waits for and start that work."""
        outcome = self.session.set_filter(self.query_text)
        bar = self.query_one(FilterBar)
        bar.show_error(outcome.error)
        if outcome.waits_for is None:
            bar.show_note(None)
            # A new filter starts at its first match (keeping the old row's index could put the
            # cursor on the last match, with the first ones scrolled out of view).
            self.refresh_rows(keep="top")
            return
        if outcome.note is not None:
            bar.show_note(outcome.note)
        self._start(outcome)

    def _start(self, outcome: FilterOutcome) -> None:
        if outcome.start == WAITS_FOR_INDEX:
            self.prepare_index()
        elif outcome.start == WAITS_FOR_KEYS:
            self.read_keys(outcome.keys_to_read)

    @work(thread=True, group="index", exit_on_error=False)
    def prepare_index(self) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            self.post_message(self.IndexProgress(done, total))

        self.session.prepare_index(progress)
        self.post_message(self.IndexPrepared())  # answered now, by testing every text
        self.session.fill_text_index(cancelled=lambda: worker.is_cancelled)  # faster answers later

    @on(IndexProgress)
    def _index_progress(self, message: IndexProgress) -> None:
        if not self.session.indexing:
            return
        # The rows found so far, shown at most every FOUND_SO_FAR_SECONDS (each look tests
        # every row: a burst of batches would take the keyboard's turn).
        now = monotonic()
        if now - self._found_so_far_at >= FOUND_SO_FAR_SECONDS:
            self._found_so_far_at = now
            self._found_so_far = self.session.show_found_so_far()
            if self._found_so_far is not None:
                self.refresh_rows(keep="top")
        note = f"indexing what the recordings say: {message.done:,} of {message.total:,} read…"
        if self._found_so_far is not None:
            note += f" {self._found_so_far:,} found so far"
        self.query_one(FilterBar).show_note(note)

    _found_so_far_at = 0.0  # monotonic() when the rows found so far were last shown
    _found_so_far: int | None = None

    @on(IndexPrepared)
    def _index_prepared(self) -> None:
        self.session.index_done()
        self._found_so_far = None
        self.query_one(FilterBar).show_note(None)
        self.filter_rows()  # the filter typed by now

    @work(thread=True, group="keys", exit_on_error=False, description="read_keys")  # (see recheck_rows)
    def read_keys(self, summaries: list[Summary]) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            self.post_message(self.KeysProgress(done, total))

        read = self.session.read_keys(summaries, progress=progress, cancelled=lambda: worker.is_cancelled)
        self.post_message(self.KeysRead(read))

    @on(KeysProgress)
    def _keys_progress(self, message: KeysProgress) -> None:
        if self.session.reading_keys:
            note = f"reading the key status: {message.done:,} of {message.total:,} recordings…"
            self.query_one(FilterBar).show_note(note)

    @on(KeysRead)
    def _keys_read(self, message: KeysRead) -> None:
        self.session.keys_done(message.summaries)
        self.query_one(FilterBar).show_note(None)
        self.filter_rows()  # the filter typed by now

    def watch_watch_state(self) -> None:
        self.refresh_status()

    def watch_following(self) -> None:
        self.refresh_status()

    def watch_load_progress(self) -> None:
        self.refresh_status()

    @on(RecordingTable.Highlighted)
    def _preview(self, message: RecordingTable.Highlighted) -> None:
        self._show_preview(message.row)

    def _show_preview(self, row: TableRow | None) -> None:
        preview = self.query_one(RecordingPreview)
        if row is None and self.summaries:
            preview.empty_message = "No recording matches the filter."
        preview.show_row(row)

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
        self._last_key = monotonic()
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
        if text != self.query_text:
            self.query_text = text
            self._no_collection_until_drawn()
            self.filter_rows()
        self._filtered_at = monotonic()

    def _no_collection_until_drawn(self) -> None:
        """The garbage collector waits from a filter key until its frame is drawn: the filter
        and the frame make garbage enough to start a collection on many keys, and at 100,000
        rows one took up to 26 ms inside a key (`bench/bench_app_filter.py`; a full one walks
        what the watcher made since loading). A timer, not `call_after_refresh`: that can run
        before the frame (when the screen is idle before the table's repaint reaches it)."""
        if self._collect_later is not None:  # keys typed in a row: the wait starts again
            self._collect_later.stop()
        elif gc.isenabled():
            gc.disable()
        else:
            return  # paused by someone else, who enables it again
        self._collect_later = self.set_timer(COLLECT_AFTER_KEY_SECONDS, self._collect_again)

    def _collect_again(self) -> None:
        if self._collect_later is not None:
            self._collect_later.stop()
            self._collect_later = None
            gc.enable()

    def on_unmount(self) -> None:
        self._collect_again()  # (the app quit within the wait: the process goes on, e.g. tests)

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
            import tui_replay.catalog.watch  # noqa: F401  (its watchfiles may be missing)
        except ImportError:
            self.watch_state = "unavailable"
            self._check_trusted_rows()
            return
        stop = asyncio.Event()
        self._stop_watch = stop
        self.watch_state = "on"
        try:
            async for batch in self.session.watch(stop, quiet=self._until_typing_pauses):
                self.post_message(self.ChangesOnDisk(batch))
        finally:
            if self._stop_watch is stop:
                self._stop_watch = None
                if self.watch_state == "on":
                    with contextlib.suppress(Exception):
                        self.watch_state = "off"

    async def _until_typing_pauses(self) -> None:
        """Returns once no key came for QUIET_SECONDS (or after QUIET_AT_MOST)."""
        deadline = monotonic() + QUIET_AT_MOST
        while (now := monotonic()) < deadline:
            quiet_for = now - self._last_key
            if quiet_for >= QUIET_SECONDS:
                return
            await asyncio.sleep(min(QUIET_SECONDS - quiet_for, deadline - now))

    def on_key(self) -> None:
        self._last_key = monotonic()  # (keys an input takes come as Input.Changed)

    @on(ChangesOnDisk)
    def _changes_on_disk(self, message: ChangesOnDisk) -> None:
        self.apply_changes(message.changes)

    def apply_changes(self, changes: list[Change]) -> None:
        """Apply a batch of changes; the highlighted row keeps its place on screen."""
        applied = self.session.apply_changes(changes)
        self.table.measure(applied.updated)
        self.refresh_rows(keep="row")
        if applied.needs_keys:
            self.filter_rows()  # new rows: their key status is read first
        row = self.table.highlighted_row
        self.query_one(RecordingPreview).show_row(row)
        self._tell_open_replays(changes)
        if self.following and applied.added:
            ready = [path for path in applied.added if self.summaries[path].status == "ok"] or applied.added
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
