"""Summaries of every recording under some paths: scan, cache, summarize.

This is the one entry point the headless `list`, the app and the watcher share.
Only `Summary` rows are kept, never bodies; files are opened read-only by the
parser (`summarize_file`) and only when they are regular files under the size limit.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from tui_replay.catalog.cache import SummaryCache
from tui_replay.catalog.parallel import (
    BATCH_FILES,
    FORK_FROM,
    FORKED_BATCH_FILES,
    IN_FLIGHT_PER_WORKER,
    PARALLEL_FROM,
    PREPARE_FROM,
    SummaryPool,
    default_jobs,
    prepare_workers,
    start_forked_pool,
    start_pool,
    summarize_one,
    task_rows,
)
from tui_replay.catalog.scan import Found, iter_found
from tui_replay.recording.limits import DEFAULT_MAX_SIZE
from tui_replay.recording.model import Summary

if TYPE_CHECKING:
    from concurrent.futures import Future

    from tui_replay.catalog.filters import TextSearch
    from tui_replay.catalog.parallel import TaskRows
    from tui_replay.catalog.textsearch import IndexState


def release_freed_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's `malloc_trim`; elsewhere nothing):
    after a big structure is dropped, its memory stays counted in the process's RSS otherwise."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None  # looked up on first use: the C function, or False where there is none


def error_summary(path: str, reason: str, st: os.stat_result | None = None) -> Summary:
    reason = " ".join(reason.split())
    if st is None:
        return Summary(path=path, status="error", error=reason)
    return Summary(path=path, status="error", error=reason, size=st.st_size, mtime_ns=st.st_mtime_ns)


class Catalog:
    """Turns paths into Summary rows, with the on-disk cache unless `use_cache` is False."""

    def __init__(
        self,
        *,
        max_size: int | None = None,
        use_cache: bool = True,
        cache_dir: str | None = None,
        jobs: int | None = None,
    ) -> None:
        self.max_size = DEFAULT_MAX_SIZE if max_size is None else max_size
        # Processes that read files the cache does not know (1: only this one).
        self.jobs = default_jobs() if jobs is None else max(1, jobs)
        self.cache = SummaryCache(cache_dir) if use_cache else None
        # Index what the rows say as they are summarized (set by the first `text:` query: a
        # plain listing neither extracts the text nor writes the index).
        self.index_texts = False
        # A found file without a stat (`iter_found(with_stat=False)`) takes its stored rows as
        # they are: the caller checks every file's size and mtime later (the app's watcher
        # walks the tree once it starts), so a listing need not stat 100,000 files first.
        self.trust_cache = False
        self._index_ready = False  # the index pass over the listed roots is done
        # Rows summarized since index_texts was set that are not in the index (unstorable, or
        # the cache failed).
        self.unindexed = 0
        # Held while summarizing and saving: the app's watcher and its index pass share a catalog.
        self.lock = threading.RLock()

    def iter_summaries(self, roots: Iterable[str]) -> Iterator[Summary]:
        """One Summary per file found, in scan order; the cache is saved once all are yielded."""
        roots = list(roots)
        # Without the cache, or with one that holds nothing yet, nothing needs a file's stat before
        # reading it (the reader fstat's: the rows carry the size and mtime of what was read).
        with_stat = self.cache is not None and not self.cache.fresh
        for rows in self.iter_rows(iter_found(roots, with_stat=with_stat)):
            if len(rows) == 1:  # (most files: no iterator made per file)
                yield rows[0]
            else:
                yield from rows
        self.save(roots)

    def iter_rows(self, found_items: Iterable[Found]) -> Iterator[list[Summary]]:
        """The rows of each found file, in the order found (one list per file, see
        `summarize_found`). Once many files are not in the cache, they are read in worker
        processes (`catalog.parallel`); the rows still come in order. Call `save` after.

        Not while the full-text index is being filled: its writer (SQLite FTS5, on a thread
        of this process) is then the slower part, and workers would take its core."""
        if self.jobs < 2 or self.index_texts:
            for found in found_items:
                yield self.summarize_found(found)
            return
        pipeline = _Pipeline(self)
        pending = pipeline.pending
        known_rows = self.known_rows
        try:
            for found in found_items:
                rows = known_rows(found)
                if rows is not None and not pending:
                    yield rows  # known and nothing before it waits: the warm listing's path
                else:
                    yield from pipeline.add(found, rows)
            yield from pipeline.drain()
        finally:
            pipeline.close()

    def scan(self, roots: Iterable[str]) -> list[Summary]:
        return list(self.iter_summaries(roots))

    def update(self, roots: Iterable[str]) -> int:
        """Bring the cache and index up to date with `roots` without keeping the rows; returns
        how many rows there are."""
        return sum(1 for _ in self.iter_summaries(roots))

    def summarize_path(self, path: str) -> list[Summary]:
        """The rows of one file (e.g. one the watcher saw change), through the cache. Call `save` later."""
        found = next(iter_found([path]), None)
        if found is None:  # a folder with nothing in it, or a file already reported
            return [error_summary(path, "not a recording file")]
        return self.summarize_found(found)

    def summarize_found(self, found: Found) -> list[Summary]:
        """The rows of one found file: one for a recording, one per interaction of a cassette
        (none for a YAML file in a folder that is not a cassette)."""
        rows = self.known_rows(found)
        return self.read_rows(found) if rows is None else rows

    def known_rows(self, found: Found) -> list[Summary] | None:
        """The rows of a found file that need no summarizing (a problem, too big, in the
        cache); None: the file must be read (`read_rows`). Called in scan order (the cache
        streams each folder's stored files)."""
        st = found.stat
        if found.problem is not None:
            return [error_summary(found.path, found.problem)]
        if st is None:  # scanned without stat: the reader refuses what is too big before reading
            return self._cached_rows(found, None) if self.trust_cache else None
        if st.st_size > self.max_size:
            from tui_replay.recording.load import format_size

            # Refused from the stat alone: the file is never opened. (Same words as the reader's.)
            size, limit = format_size(st.st_size), format_size(self.max_size)
            return [error_summary(found.path, f"file is {size}, over the {limit} limit", st)]
        return self._cached_rows(found, (st.st_size, st.st_mtime_ns))

    def _cached_rows(self, found: Found, stat: tuple[int, int] | None) -> list[Summary] | None:
        """A file's stored rows for `stat` (its size and mtime_ns), or, with None, as stored,
        unchecked against the file (`trust_cache`); None: read it."""
        cache = self.cache
        if cache is None or not cache.usable:
            return None
        abs_path = found.abs_path or os.path.abspath(found.path)
        in_scan = bool(found.root) and not found.explicit
        size, mtime_ns = stat or (None, None)
        cached = cache.lookup(abs_path, size, mtime_ns, found.path, in_scan=in_scan)
        if cached is None:
            return None
        rows, indexed = cached
        if stat is None:
            if not rows or rows[0].size > self.max_size:  # (the limit may be lower than when stored)
                return None
            stat = (rows[0].size, rows[0].mtime_ns)
        if self.index_texts and not indexed:
            self._index_file(found.path, abs_path, stat, len(rows))
        return rows

    def read_rows(self, found: Found) -> list[Summary]:
        """Read and summarize a file `known_rows` did not know, and store its rows (and, while
        the full-text index fills, what they say)."""
        cache = self.cache
        indexing = self.index_texts and cache is not None and cache.usable and cache.has_texts
        texts: list[str] | None = [] if indexing and found.stat is not None else None
        return self.store_rows(found, summarize_one(found.path, found.explicit, self.max_size, texts), texts)

    def store_rows(self, found: Found, rows: list[Summary], texts: list[str] | None) -> list[Summary]:
        """Keep the rows just read in the cache (and their texts in the index); returns them."""
        cache, st = self.cache, found.stat
        if cache is None or not cache.usable:
            return rows
        if st is None and not rows:  # scanned without stat (`trust_cache`): a YAML file, no cassette
            try:
                st = os.stat(found.path)
            except OSError:
                return rows
        abs_path = found.abs_path or os.path.abspath(found.path)
        # (The rows carry the size and mtime the reader saw: without stat, those are stored. No
        # rows: a YAML file that is not a cassette, stored by its stat.)
        size, mtime_ns = (rows[0].size, rows[0].mtime_ns) if rows else (st.st_size, st.st_mtime_ns)
        # (Not stored: a file that could not be read.)
        if mtime_ns and size <= self.max_size and cache.put_rows(abs_path, rows, size, mtime_ns, texts):
            return rows
        self.unindexed += sum(row.status == "ok" for row in rows)  # (an error row never matches `text:`)
        return rows

    def _index_file(self, path: str, abs_path: str, stored: tuple[int, int], count: int) -> None:
        """Index a stored file (its rows are cached for `stored`, its size and mtime): read for
        its text alone, not summarized."""
        from tui_replay.catalog.parallel import file_texts

        assert self.cache is not None
        texts, size, mtime_ns = file_texts(path, self.max_size)
        same = (size, mtime_ns) == stored and len(texts) == count
        if not (same and self.cache.put_texts(abs_path, size, mtime_ns, texts)):
            self.unindexed += count  # changed since, or not storable: searched by reading it

    def store_keys(self, summaries: Iterable[Summary]) -> None:
        """Keep in the cache the key status read for these rows (`compute_keys`): a later
        listing has it without reading the files again. Call `save` later (not while a listing
        of this catalog still runs: a save ends its reading of the cache)."""
        cache = self.cache
        if cache is None or not cache.usable:
            return
        with self.lock:  # (the app's watcher shares the cache)
            for summary in summaries:
                if summary.key is not None and summary.interaction is None and summary.mtime_ns:
                    cache.put_key(os.path.abspath(summary.path), summary.size, summary.mtime_ns, summary.key)

    def forget(self, path: str) -> None:
        """A file is gone (the watcher saw it): drop it from the cache and index. Call `save` later."""
        if self.cache is not None:
            self.cache.forget(os.path.abspath(path))

    def save(self, roots: Iterable[str] = ()) -> None:
        """Write the cache (if used and changed). Call after every root in `roots` was fully scanned."""
        if self.cache is None:
            return
        # The folders among `roots` were scanned to the end: rows of files no longer there go.
        self.cache.save(os.path.abspath(root) for root in roots if os.path.isdir(root))

    # -- searching inside recordings ----------------------------------------------------------

    def index_is_complete(self) -> bool:
        """Every row this catalog gave is in the full-text index (after `save`)."""
        cache = self.cache
        return (
            cache is not None
            and cache.usable
            and cache.has_texts
            and not cache.write_failed
            and not self.unindexed
        )

    def prepare_index(
        self,
        roots: Iterable[str],
        *,
        recheck: bool = False,
        needle: str | None = None,
        progress: Callable[[int, int], None] | None = None,
        read: Callable[[str, list[str]], None] | None = None,
    ) -> bool:
        """Bring the full-text index up to date with every row under `roots` (`textsearch.
        update_index`: a check of the files' stat against the last pass's snapshot, else a pass
        that reads only the files not indexed yet); from then on what this catalog summarizes is
        indexed as it goes (the watcher keeps it current). `recheck`: check again even when it
        was brought up to date before (nothing tells this catalog about changes). True when the
        index holds every row. `needle`: asked of the index while its freshness is checked;
        `progress(done, total)`: the files read for their text so far; `read(path, texts)`:
        each file read, with its texts as stored."""
        from tui_replay.catalog.textsearch import update_index

        with self.lock:
            roots = list(roots)
            if self._index_state is None or recheck or roots != self._index_roots:
                self.index_texts = True
                self._index_state = update_index(self, roots, needle, progress, read)
                self._index_roots = roots
                self.unindexed = 0 if self._index_state.complete else max(self.unindexed, 1)
            self._index_ready = True
            return self.index_is_complete()

    _index_state: IndexState | None = None
    _index_roots: list[str] | None = None

    def forget_index_listing(self) -> None:
        """Drop the files the last index pass or snapshot check listed (~25 MB at 100,000 files,
        with the heap they leave): kept for `text_listing`, which lists a query's rows from them;
        an app asks the index through `text_search` and never needs them. A later
        `text_listing` checks the files again."""
        state = self._index_state
        if state is not None and state.files:
            state.files = []
            state.listing_dropped = True
            release_freed_memory()

    def index_pending(self) -> bool:
        """A `text:` query would first bring the index up to date (`prepare_index`, a pass over
        the files): False once done, or without an index (the files are read instead)."""
        cache = self.cache
        return cache is not None and cache.usable and cache.has_texts and not self._index_ready

    def text_search(self, roots: Iterable[str] = (), *, assume_fresh: bool = True) -> TextSearch:
        """The `text:` hook of `parse_query`: through the index, brought up to date for the rows
        under `roots` before the first query (`prepare_index`), else by reading each file.

        `assume_fresh`: after that first query, trust the index (the app's watcher tells the
        catalog what changed: `summarize_path`, `forget`); False: check the files again before
        every query (a long-lived caller without a watcher)."""
        from tui_replay.catalog.textsearch import search_files_text, search_index_text

        cache = self.cache
        if cache is None or cache.connection() is None or not cache.has_texts:
            return search_files_text(self.max_size)
        roots = list(roots)
        return search_index_text(
            cache, roots, self.max_size, prepare=lambda: self.prepare_index(roots, recheck=not assume_fresh)
        )

    def text_listing(self, roots: Iterable[str], query: str) -> tuple[Iterator[Summary], TextSearch] | None:
        """For a filter with a `text:` word that must hold (`text:experts`, not `-text:experts`):
        the only rows that can match (those whose text holds it, in listing order, read from the
        cache) and the `text:` hook for the rest of the filter, once the index is up to date
        (`prepare_index`). None: every row must be listed (no such word, no index, or one that
        cannot hold every row)."""
        from tui_replay.catalog.filters import text_terms
        from tui_replay.catalog.textsearch import indexed_rows

        terms = text_terms(query)
        cache = self.cache
        if not terms or cache is None or cache.connection() is None or not cache.has_texts:
            return None
        roots = list(roots)
        dropped = self._index_state is not None and self._index_state.listing_dropped
        if not self.prepare_index(roots, needle=terms[0], recheck=dropped) or self._index_state is None:
            return None
        return indexed_rows(self, roots, self._index_state, terms[0])


class _Pending:
    """A found file whose rows are not given out yet (`rows` None: being read by a worker,
    once `future` is set)."""

    __slots__ = ("found", "future", "index", "rows")

    def __init__(self, found: Found, rows: list[Summary] | None) -> None:
        self.found = found
        self.rows = rows
        self.future: Future[TaskRows] | None = None  # the worker task reading it
        self.index = 0  # its place in the task

    @property
    def ready(self) -> bool:
        return self.rows is not None or (self.future is not None and self.future.done())


class _Pipeline:
    """Rows of found files in scan order, the files the cache does not know read in worker
    processes: forked from this process at FORK_FROM files read when it runs no other thread
    (a headless listing), else from a forkserver once PARALLEL_FROM of them were read here
    (the server is started, in the background, at PREPARE_FROM)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.pending: deque[_Pending] = deque()  # in scan order
        self.batch: list[_Pending] = []  # not handed to a worker yet
        self.pool: SummaryPool | None = None
        self.pool_failed = False
        self.forked = False  # the pool was forked from this process (early, smaller tasks)
        self.reads = 0

    def add(self, found: Found, rows: list[Summary] | None) -> Iterator[list[Summary]]:
        """The rows ready, in order, once `found` (its rows if known, else None) is taken in."""
        catalog = self.catalog
        if rows is None and self.pool is None:
            self.reads += 1
            if self.reads == FORK_FROM and not self.pool_failed:
                # (None when this process runs threads, the app's: the forkserver's, below.)
                self.pool = start_forked_pool(catalog.jobs, catalog.max_size)
                self.forked = self.pool is not None
            if self.reads == PREPARE_FROM and not self.pool_failed and self.pool is None:
                self.pool_failed = not prepare_workers()
            if self.reads >= PARALLEL_FROM and not self.pool_failed and self.pool is None:
                self.pool = start_pool(catalog.jobs, catalog.max_size)
                self.pool_failed = self.pool is None
            if self.pool is None:
                rows = catalog.read_rows(found)
        pending = self.pending
        if rows is not None and not pending:
            yield rows
            return
        item = _Pending(found, rows)
        pending.append(item)
        if rows is None:
            self.batch.append(item)
            if len(self.batch) >= (FORKED_BATCH_FILES if self.forked else BATCH_FILES):
                self._submit()
        while pending and pending[0].ready:
            yield self._finish(pending.popleft())
        pool = self.pool
        # Enough queued, or read out of order: wait for the oldest. (Without the second bound, a
        # worker held up on the oldest task while the other finished the next ones let the
        # listing take on, and hold the rows of, any number of tasks.)
        most = IN_FLIGHT_PER_WORKER * catalog.jobs * (FORKED_BATCH_FILES if self.forked else BATCH_FILES)
        while pending and pool is not None and (pool.full or len(pending) > most):
            yield self._finish(pending.popleft())

    def drain(self) -> Iterator[list[Summary]]:
        while self.pending:
            yield self._finish(self.pending.popleft())

    def _submit(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        pool = self.pool
        if pool is not None:
            try:
                future = pool.submit([(item.found.path, item.found.explicit) for item in batch])
            except RuntimeError:  # the pool broke (a worker died): read here from now on
                self._stop_pool()
            else:
                for index, item in enumerate(batch):
                    item.future, item.index = future, index
                return
        for item in batch:
            item.rows = self.catalog.read_rows(item.found)

    def _finish(self, item: _Pending) -> list[Summary]:
        if item.rows is None and item.future is None:  # still in the batch being filled
            self._submit()
        if item.rows is not None:
            return item.rows
        assert item.future is not None
        try:
            rows = task_rows(item.future.result(), item.index)
        except Exception:  # a worker died or could not send its rows: read it here
            self._stop_pool()
            return self.catalog.read_rows(item.found)
        return self.catalog.store_rows(item.found, rows, None)

    def _stop_pool(self) -> None:
        """No workers from here on (they broke, or the listing is over)."""
        self.pool_failed = True
        if self.pool is not None:
            pool, self.pool = self.pool, None
            pool.close()

    close = _stop_pool


def compute_keys(
    summaries: Iterable[Summary],
    *,
    max_size: int | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    pool: SummaryPool | None = None,
    catalog: Catalog | None = None,
) -> int:
    """Read the key status (`Summary.key`) of the rows that have none yet (`key_pending`), by
    worker processes when there are PARALLEL_FROM or more (in `pool` if given, left open), and
    hand them to `catalog`'s cache if given (`store_keys`: the caller saves); returns how many
    files were read.
    `progress(done, total)` is told as they come; `cancelled()` true stops early."""
    from tui_replay.recording.summary import file_key_status, key_pending

    limit = DEFAULT_MAX_SIZE if max_size is None else max_size
    jobs = default_jobs() if jobs is None else jobs
    pending = [summary for summary in summaries if key_pending(summary)]
    total = len(pending)
    chunks = [pending[start : start + BATCH_FILES] for start in range(0, total, BATCH_FILES)]
    own_pool = pool is None and total >= PARALLEL_FROM and jobs > 1
    if own_pool:
        pool = start_pool(jobs, limit)
    done = 0
    try:
        futures = []
        if pool is not None:
            with contextlib.suppress(RuntimeError):  # the pool broke earlier (a worker died): read here
                futures = [pool.submit_keys([row.path for row in chunk]) for chunk in chunks]
        for index, chunk in enumerate(chunks):
            if cancelled is not None and cancelled():
                break
            keys: list[str | None] | None = None
            if futures:
                try:
                    keys = futures[index].result()
                except Exception:  # a worker died: this chunk (and the rest) read here
                    futures = []
            if keys is None:
                keys = [file_key_status(row.path, limit) for row in chunk]
            for row, key in zip(chunk, keys, strict=True):
                if key is not None:
                    row.key = key
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    finally:
        if own_pool and pool is not None:
            pool.close()
        if catalog is not None:
            catalog.store_keys(pending[:done])
    return done


KEY_CHUNK = 8192  # rows a headless `key:` filter reads the status of at once


def with_key_status(summaries: Iterable[Summary], catalog: Catalog) -> Iterator[Summary]:
    """`summaries` as they come, each with its key status read (`compute_keys`, in chunks of
    KEY_CHUNK through one pool of worker processes): what a headless `key:` filter needs. The
    statuses are saved in the cache once `summaries` (a listing of `catalog`) has ended."""
    pool: SummaryPool | None = None
    chunk: list[Summary] = []
    try:
        for summary in summaries:
            chunk.append(summary)
            if len(chunk) >= KEY_CHUNK:
                if pool is None and catalog.jobs > 1:
                    pool = start_pool(catalog.jobs, catalog.max_size)
                compute_keys(chunk, max_size=catalog.max_size, jobs=catalog.jobs, pool=pool, catalog=catalog)
                yield from chunk
                chunk = []
        compute_keys(chunk, max_size=catalog.max_size, jobs=catalog.jobs, pool=pool, catalog=catalog)
        catalog.save()  # (the listing is over: its own save came before the last chunk's statuses)
        yield from chunk
    finally:
        if pool is not None:
            pool.close()


def list_summaries(
    roots: Iterable[str],
    *,
    max_size: int | None = None,
    use_cache: bool = True,
    cache_dir: str | None = None,
) -> list[Summary]:
    """Every recording under `roots` as Summary rows (see Catalog)."""
    return Catalog(max_size=max_size, use_cache=use_cache, cache_dir=cache_dir).scan(roots)
