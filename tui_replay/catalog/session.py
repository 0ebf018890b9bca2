"""A listing as a session: the rows of some folders, loaded in batches, filtered, kept current.

`ListingSession` is headless (no Textual): the app's browse screen drives it from its workers
(each makes one call here and posts one message with the answer), and the headless `list`,
`list --watch` and `show --filter` drive the same session. It owns:

- loading: the rows found under the roots, summarized through the cache, handed out in
  batches (`load`, on a thread) and taken in on the caller's thread (`add_batch`);
- the filter (`set_filter`): applied at once, or said to wait for the full-text index
  (`prepare_index`, on a thread) or for the key status of some rows (`read_keys`, on a thread);
- applying what the watcher saw change on disk (`watch`, `apply_changes`).

It never calls back into its caller except through the callables it is handed.
"""

from __future__ import annotations

import contextlib
import gc
import operator
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from time import monotonic
from typing import TYPE_CHECKING

from tui_replay.catalog.catalog import Catalog, compute_keys, with_key_status
from tui_replay.catalog.filters import QueryError, has_key_filter, has_text_filter, parse_query, text_terms
from tui_replay.catalog.predicate import Predicate
from tui_replay.catalog.scan import Found, iter_found
from tui_replay.catalog.view import ListingView
from tui_replay.recording.model import Summary, share_repeated_strings

if TYPE_CHECKING:
    import asyncio

    from tui_replay.catalog.predicate import Predicate
    from tui_replay.catalog.watch import Change

FIRST_BATCH = 40  # rows in the first batch: something on screen as early as possible
BATCH_ROWS = 500
# Then batches double up to this: each batch costs the UI thread a pass of its own (measuring,
# the status bar, a frame), and 100,000 rows in 500s are 200 of them. A batch this big still
# takes the UI thread only a few dozen ms (a key pressed while loading is answered).
MAX_BATCH_ROWS = 2_000
BATCH_SECONDS = 0.1
# The first generation's threshold while an app loads (the default is 700): the rows all stay
# (frozen after each batch), and collecting every 700 new objects walked each of them twice
# (gens 0 and 1): 0.2 s of a cold 19,000-file load in-process, 0.04 s with this. At most this
# many young objects wait for a collection.
LOADING_GC_THRESHOLD = 20_000

# What a filter waits for before it applies (`FilterOutcome.waits_for`).
WAITS_FOR_LOADING = "loading"
WAITS_FOR_INDEX = "index"
WAITS_FOR_KEYS = "keys"


@dataclass(slots=True)
class LoadedBatch:
    """Rows from the loading thread, with how far loading is."""

    summaries: list[Summary]
    done: int  # files summarized so far (a cassette gives several rows)
    found: int  # files found so far (the walk goes on while rows are handed out)
    finished: bool
    first: bool = False


@dataclass(slots=True)
class FilterOutcome:
    """What `set_filter` did: applied (`waits_for` None), or waits for a thread's work."""

    error: str | None = None  # what in the text cannot be read (the readable rest applies)
    waits_for: str | None = None  # WAITS_FOR_*: the rows stay as they are meanwhile
    note: str | None = None  # what to say next to the filter box meanwhile
    start: str | None = None  # WAITS_FOR_INDEX or WAITS_FOR_KEYS: the caller starts that work now
    keys_to_read: list[Summary] = field(default_factory=list)  # with start == WAITS_FOR_KEYS


@dataclass(slots=True)
class AppliedChanges:
    """What a batch of disk changes did to the listing."""

    added: list[str]  # paths new to the listing
    updated: list[Summary]  # the rows added or replaced
    needs_keys: bool  # a `key:` filter is in force and some of these rows have no key status yet


def filter_error(text: str) -> str | None:
    """The one-line reason a filter cannot be understood (`bad filter: …`), else None."""
    error = _readable_error(text)
    return None if error is None else f"bad filter: {error}"


class ListingSession:
    """The rows of `roots` and how they are filtered, sorted and grouped (`view`)."""

    def __init__(
        self,
        roots: Iterable[str],
        *,
        max_size: int | None = None,
        use_cache: bool = True,
        cache_dir: str | None = None,
        jobs: int | None = None,
        freeze_when_loaded: bool = False,
        trust_cache: bool = False,
    ) -> None:
        self.roots = list(roots)
        self.catalog = Catalog(max_size=max_size, use_cache=use_cache, cache_dir=cache_dir, jobs=jobs)
        # Loading takes the cached rows without a stat of each file (a second of 100,000 stats):
        # then the caller must check them once loaded, by watching (the watcher's start-up walk
        # compares every file with its row) or with `recheck`.
        self.trust_cache = trust_cache and self.catalog.cache is not None
        self.view = ListingView()
        # `key:` tests the status read so far: the files are read on a thread (`read_keys`), never
        # by the filter on the caller's thread.
        self.view.key_status = operator.attrgetter("key")
        self.new_paths: set[str] = set()  # added on disk since loading
        self.loaded = False
        self.progress: tuple[int, int] | None = (0, 0)  # (files done, files found) while loading
        # The rows stay for the process's life (an app): full collections need not walk them.
        self.freeze_when_loaded = freeze_when_loaded
        self.indexing = False
        self.reading_keys = False
        # The rows whose key status was tried (by path, the very summary): not tried again (an
        # unreadable file stays without one).
        self._keys_tried: dict[str, Summary] = {}
        self.filter_text = ""  # as last asked for (it may wait for the index or the keys)
        self.filter_waits: str | None = None  # what it waits for (WAITS_FOR_*), else None: applied

    @property
    def summaries(self) -> dict[str, Summary]:
        return self.view.summaries

    # -- loading ---------------------------------------------------------------------------------

    def load(
        self, emit: Callable[[LoadedBatch], None], cancelled: Callable[[], bool] = lambda: False
    ) -> None:
        """Summarize every file under the roots and hand the rows to `emit` in batches (the
        first after FIRST_BATCH rows, then every BATCH_ROWS, doubling up to MAX_BATCH_ROWS, or
        BATCH_SECONDS); the last batch has `finished` set, and the cache is saved after it. On
        a thread: `emit` posts the batch to the thread that calls `add_batch`."""
        thresholds = gc.get_threshold()
        if self.freeze_when_loaded:
            gc.set_threshold(max(thresholds[0], LOADING_GC_THRESHOLD), *thresholds[1:])
        try:
            self._load(emit, cancelled)
        finally:
            if self.freeze_when_loaded:
                gc.set_threshold(*thresholds)

    def _load(self, emit: Callable[[LoadedBatch], None], cancelled: Callable[[], bool]) -> None:
        catalog = self.catalog
        catalog.trust_cache = self.trust_cache
        found = 0

        def counted() -> Iterator[Found]:
            nonlocal found
            for item in iter_found(self.roots, with_stat=not self.trust_cache):
                found += 1
                yield item

        batch: list[Summary] = []
        done = files = 0  # files summarized (handed out, and in this batch)
        last = monotonic()
        first = True
        limit = FIRST_BATCH
        # (Files the cache does not know are read by worker processes once there are many.)
        with contextlib.closing(catalog.iter_rows(counted())) as files_rows:
            for rows in files_rows:
                if cancelled():
                    return
                batch.extend(rows)
                files += 1
                now = monotonic()
                if len(batch) >= limit or now - last >= BATCH_SECONDS:
                    done += files
                    share_repeated_strings(batch)  # here, off the UI thread: the rows stay
                    emit(LoadedBatch(batch, done, found, False, first))
                    limit = BATCH_ROWS if first else min(limit * 2, max(MAX_BATCH_ROWS, BATCH_ROWS))
                    batch, files, last, first = [], 0, monotonic(), False
        done += files
        with catalog.lock:  # the index pass (a `text:` filter typed now) waits for the save
            share_repeated_strings(batch)
            emit(LoadedBatch(batch, done, found, True, first))
            catalog.save(self.roots)

    def add_batch(self, batch: LoadedBatch) -> list[Summary] | None:
        """Take in a batch from `load`. Returns the rows to append at the end of what is shown
        (unsorted, ungrouped); None: the shown rows must be asked again (`view.rows()`)."""
        appended = self.view.add(batch.summaries)
        if self.freeze_when_loaded:
            # These rows stay too: else each full collection while loading walks every row
            # so far (at 100,000 rows, a few of 70-100 ms). (gc.freeze costs no walk.)
            gc.freeze()
        if batch.finished:
            self.progress = None
            self.view.partial = False
            if not self.loaded:
                self._loaded()
        else:
            self.progress = (batch.done, batch.found)
            self.view.partial = True
        return appended

    def _loaded(self) -> None:
        self.loaded = True
        catalog = self.catalog
        search = catalog.text_search(self.roots)

        def text_search(needle: str) -> Predicate:
            with catalog.lock:  # not while the watcher or the index pass writes the cache
                return search(needle)

        self.view.text_search = text_search
        if self.freeze_when_loaded:
            gc.freeze()

    def recheck(self, listed: dict[str, Summary], *, yield_to_caller: bool = False) -> list[Change]:
        """What differs between `listed` (a copy of `summaries`, made on the caller's thread) and
        the files now: each file whose size or mtime is not its rows' is summarized again, files
        new or gone are added or removed. On a thread, once rows were loaded on trust
        (`trust_cache`) and no watcher checks them; apply the answer with `apply_changes`.
        `yield_to_caller`: rest now and then, as the watcher's walk does for a UI (the user may
        type meanwhile: a walk of 100,000 files takes about a second of the GIL)."""
        from tui_replay.catalog.watch import ADDED, CHANGED, REMOVED, Change, walk_resting

        by_file: dict[str, list[Summary]] = {}
        for summary in listed.values():
            by_file.setdefault(summary.file, []).append(summary)
        changes: list[Change] = []
        catalog = self.catalog
        with catalog.lock:
            for found in walk_resting(self.roots, yield_to_caller):
                st = found.stat
                old = by_file.pop(found.path, None)
                if st is None or (old and (old[0].size, old[0].mtime_ns) == (st.st_size, st.st_mtime_ns)):
                    continue
                fresh = {row.path: row for row in catalog.summarize_found(found)}
                changes.extend(Change(REMOVED, row.path, row) for row in old or () if row.path not in fresh)
                changes.extend(
                    Change(CHANGED if path in listed else ADDED, path, row) for path, row in fresh.items()
                )
            catalog.save()
        changes.extend(Change(REMOVED, row.path, row) for rows in by_file.values() for row in rows)
        return changes

    def load_failed(self) -> None:
        """The loading thread died: what was loaded is what there is."""
        self.loaded = True
        self.progress = None
        self.view.partial = False

    def load_all(self) -> list[Summary]:
        """Load every row here and now (headless); returns them in listing order."""
        self.load(self.add_batch)
        return list(self.view.summaries.values())

    @property
    def cache_refused(self) -> str | None:
        """Why there is no cache this run (e.g. its database is a symbolic link), else None."""
        cache = self.catalog.cache
        return cache.refused if cache is not None else None

    # -- the filter ------------------------------------------------------------------------------

    def set_filter(self, text: str) -> FilterOutcome:
        """Filter with `text`, now if nothing is missing. A `text:` word needs every row loaded
        and the full-text index current; a `key:` word needs the key status of every row: then
        the rows stay, and the outcome says what to wait for (and what the caller must start).
        Call again (`refilter`) once that is done."""
        self.filter_text = text
        outcome = self._set_filter(text)
        self.filter_waits = outcome.waits_for
        return outcome

    def filter_incomplete(self) -> bool:
        """The filter asked for is not applied to every row yet: it waits, or it is a `key:`
        filter and some rows have no key status (rows loaded since). Then `refilter`."""
        if self.filter_waits is not None:
            return True
        return has_key_filter(self.filter_text) and bool(self._keys_to_read())

    def _set_filter(self, text: str) -> FilterOutcome:
        if has_text_filter(text) and not self.loaded:
            return FilterOutcome(
                _readable_error(text), WAITS_FOR_LOADING, "the text search starts once every row is loaded…"
            )
        if has_text_filter(text) and self.catalog.index_pending():
            outcome = FilterOutcome(
                _readable_error(text), WAITS_FOR_INDEX, "indexing what the recordings say…"
            )
            if not self.indexing:
                self.indexing = True
                outcome.start = WAITS_FOR_INDEX
            return outcome
        if has_key_filter(text):
            untried = self._keys_to_read()
            if untried:
                outcome = FilterOutcome(_readable_error(text), WAITS_FOR_KEYS)
                if not self.reading_keys:
                    self.reading_keys = True
                    outcome.start = WAITS_FOR_KEYS
                    outcome.keys_to_read = untried
                    outcome.note = f"reading the key status of {len(untried):,} recordings…"
                return outcome
        return FilterOutcome(self.view.set_query(text))

    def refilter(self) -> FilterOutcome:
        """The filter asked for last, again (the index or the keys it waited for are ready)."""
        return self.set_filter(self.filter_text)

    def _keys_to_read(self) -> list[Summary]:
        from tui_replay.recording.summary import key_pending  # (the parser: not for a warm `list`)

        tried = self._keys_tried
        return [
            summary
            for path, summary in self.summaries.items()
            if tried.get(path) is not summary and key_pending(summary)
        ]

    def prepare_index(self, progress: Callable[[int, int], None] | None = None) -> bool:
        """Bring the full-text index up to date with every row (on a thread: a pass over the
        files not indexed yet; `progress(done, total)` as they are read, and the rows of the
        files read so far that say the filter's `text:` words: `show_found_so_far`). True when
        the index holds every row."""
        found = self._found_so_far = FoundSoFar(text_terms(self.filter_text))
        complete = self.catalog.prepare_index(self.roots, progress=progress, read=found.read)
        self.catalog.forget_index_listing()  # (filters ask the index: `view.text_search`)
        return complete

    _found_so_far: FoundSoFar | None = None

    def show_found_so_far(self) -> int | None:
        """While `prepare_index` reads the files (on the caller's thread): filter with the rows
        found so far to say the filter's `text:` words (each a match: the rest comes when the
        index is ready). How many are shown; None when the filter cannot be answered so (a
        word not looked for since the pass began, a negated `text:`)."""
        found = self._found_so_far
        if found is None or not self.indexing or not has_text_filter(self.filter_text):
            return None
        asked: list[str] = []

        def text_search(needle: str) -> Predicate:
            asked.append(needle)
            return found.search(needle)

        if not found.answers(text_terms(self.filter_text)):
            return None
        try:
            parse_query(self.filter_text, text_search=text_search)
        except QueryError:
            return None
        if len(asked) != len(text_terms(self.filter_text)):  # a negated `text:` (parsed too)
            return None
        real, self.view.text_search = self.view.text_search, text_search
        try:
            self.view.forget_results()
            self.view.set_query(self.filter_text)
        finally:
            self.view.text_search = real
        return self.view.shown

    def fill_text_index(self, cancelled: Callable[[], bool] = lambda: False) -> bool:
        """Fill the trigram index over the texts `prepare_index` stored (on a thread, after it:
        until then a query tests the texts one by one, ~0.3 s at 100,000 files; after, ~15 ms).
        True once filled."""
        cache = self.catalog.cache
        return cache is not None and cache.usable and cache.build_text_index(cancelled)

    def index_done(self) -> None:
        """On the caller's thread, after `prepare_index` (or its failure)."""
        self.indexing = False
        if self._found_so_far is not None:
            self._found_so_far = None
            self.view.forget_results()  # (results from the rows found so far: partial)

    def read_keys(
        self,
        summaries: list[Summary],
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[Summary]:
        """Read the key status of `summaries` from their files (on a thread; by worker processes
        for many) and keep it in the cache; returns them (for `keys_done`)."""
        catalog = self.catalog
        compute_keys(
            summaries,
            max_size=catalog.max_size,
            jobs=catalog.jobs,
            progress=progress,
            cancelled=cancelled,
            catalog=catalog if self.loaded else None,  # (while loading: kept on the rows only)
        )
        if self.loaded:
            with catalog.lock:  # (loading is over: saving ends no listing's reading)
                catalog.save()
        return summaries

    def keys_done(self, summaries: Iterable[Summary] = ()) -> None:
        """On the caller's thread, after `read_keys` (or its failure): those rows were tried."""
        self._keys_tried.update((summary.path, summary) for summary in summaries)
        self.reading_keys = False

    # -- headless filtering ------------------------------------------------------------------------

    def iter_matching(self, text: str) -> Iterator[Summary]:
        """The rows that match `text` (a filter `filter_error` accepts), in listing order, as
        they are summarized (nothing kept): what `list --filter` and `show --filter` print.

        A `text:` filter with the cache first brings the cache and its full-text index up to
        date (`Catalog.text_listing`: a stat of every file against the last pass's snapshot,
        else a pass that keeps no rows), then lists only the rows the index found, from the
        cache. A `key:` filter reads the key status of each row first (by worker processes for
        many)."""
        catalog = self.catalog
        narrowed = catalog.text_listing(self.roots, text)  # a `text:` word that must hold
        if narrowed is not None:
            summaries, text_search = narrowed
            predicate = parse_query(text, text_search=text_search)
        else:
            predicate = parse_query(text, text_search=catalog.text_search(self.roots))
            summaries = catalog.iter_summaries(self.roots)
        if has_key_filter(text):
            summaries = with_key_status(summaries, catalog)
        return (summary for summary in summaries if predicate(summary))

    # -- changes on disk ---------------------------------------------------------------------------

    async def watch(
        self, stop: asyncio.Event, quiet: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[list[Change]]:
        """Batches of changes under the roots until `stop` is set (after loading: the rows
        loaded are what the watcher compares with). The catalog's cache and full-text index
        follow the changes; apply each batch with `apply_changes`. `quiet`: see `watch_catalog`
        (a UI returns once the user pauses)."""
        from tui_replay.catalog.watch import watch_catalog

        async for batch in watch_catalog(
            self.roots,
            known=self.summaries,  # copied by the watcher as it starts (one copy, not two)
            max_size=self.catalog.max_size,
            stop_event=stop,
            catalog=self.catalog,
            on_settled=self._watcher_settled,
            quiet=quiet,
        ):
            if stop.is_set():
                break
            yield batch

    def _watcher_settled(self) -> None:
        # The watcher's state (its 100,000-row dict, the cassettes' rows) and the listing's last
        # lists (the final batch's table rows, the view's order) come after loading froze the
        # rows: freeze again, or every full collection while the user types visits their
        # 100,000 referents (a cache miss each: 20-60 ms).
        if self.freeze_when_loaded:
            gc.freeze()

    def keep_index_current(self) -> None:
        """What changes from now on is indexed as it comes (headless watching): an index a
        `text:` query built stays current."""
        self.catalog.index_texts = True

    def apply_changes(self, changes: Iterable[Change]) -> AppliedChanges:
        """Take in a batch of changes (the watcher's, or renames the app made)."""
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
        needs_keys = False
        if has_key_filter(self.filter_text):
            from tui_replay.recording.summary import key_pending

            needs_keys = any(map(key_pending, updated))
        return AppliedChanges(added, updated, needs_keys)


def _readable_error(text: str) -> str | None:
    """What in `text` cannot be read (said while the filter waits), else None."""
    try:
        parse_query(text, text_search=lambda needle: lambda summary: True)
    except QueryError as exc:
        return str(exc)
    return None


class FoundSoFar:
    """The rows of the files the index pass has read so far (`prepare_index`) that say each
    `text:` word the filter had when it began: (file, row index) each."""

    def __init__(self, needles: Iterable[str]) -> None:
        self.rows: dict[str, set[tuple[str, int]]] = {needle.lower(): set() for needle in needles}

    def read(self, path: str, texts: list[str]) -> None:
        """A file read, with its texts as stored (lowercased). On the pass's thread."""
        for needle, rows in self.rows.items():
            for index, text in enumerate(texts):
                if needle in text:
                    rows.add((path, index))

    def answers(self, needles: Iterable[str]) -> bool:
        return all(needle.lower() in self.rows for needle in needles)

    def search(self, needle: str) -> Predicate:
        rows = self.rows.get(needle.lower(), set())
        return lambda summary: summary.status == "ok" and (summary.file, summary.interaction or 0) in rows
