"""Summaries of every recording under some paths: scan, cache, summarize.

This is the one entry point the headless `list`, the app and the watcher share.
Only `Summary` rows are kept, never bodies; files are opened read-only by the
parser (`summarize_file`) and only when they are regular files under the size limit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator

from tui_replay.catalog.cache import SummaryCache
from tui_replay.catalog.filters import TextSearch
from tui_replay.catalog.scan import Found, iter_found
from tui_replay.recording.limits import DEFAULT_MAX_SIZE
from tui_replay.recording.model import Summary


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
    ) -> None:
        self.max_size = DEFAULT_MAX_SIZE if max_size is None else max_size
        self.cache = SummaryCache(cache_dir) if use_cache else None
        # Index what the rows say as they are summarized (set by the first `text:` query: a
        # plain listing neither extracts the text nor writes the index).
        self.index_texts = False
        self._index_ready = False  # the index pass over the listed roots is done
        # Rows summarized since index_texts was set that are not in the index (unstorable, or
        # the cache failed).
        self.unindexed = 0
        # Held while summarizing and saving: the app's watcher and its index pass share a catalog.
        self.lock = threading.RLock()

    def iter_summaries(self, roots: Iterable[str]) -> Iterator[Summary]:
        """One Summary per file found, in scan order; the cache is saved once all are yielded."""
        roots = list(roots)
        # Without the cache nothing needs a file's stat before reading it (the reader fstat's).
        for found in iter_found(roots, with_stat=self.cache is not None):
            yield from self.summarize_found(found)
        self.save(roots)

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
        st = found.stat
        if found.problem is not None:
            return [error_summary(found.path, found.problem)]
        if st is None:  # scanned without stat: the reader refuses what is too big before reading
            return self._summarize_file(found)
        if st.st_size > self.max_size:
            from tui_replay.recording.load import format_size

            # Refused from the stat alone: the file is never opened. (Same words as the reader's.)
            size, limit = format_size(st.st_size), format_size(self.max_size)
            return [error_summary(found.path, f"file is {size}, over the {limit} limit", st)]
        cache = self.cache
        if cache is None or not cache.usable:
            return self._summarize_file(found)
        abs_path = found.abs_path or os.path.abspath(found.path)
        in_scan = bool(found.root) and not found.explicit
        cached = cache.lookup(abs_path, st.st_size, st.st_mtime_ns, found.path, in_scan=in_scan)
        if cached is not None:
            rows, indexed = cached
            if self.index_texts and not indexed:
                self._index_file(found.path, abs_path, st, len(rows))
            return rows
        texts: list[str] | None = [] if self.index_texts and cache.has_texts else None
        rows = self._summarize_file(found, texts)
        size, mtime_ns = (rows[0].size, rows[0].mtime_ns) if rows else (st.st_size, st.st_mtime_ns)
        # (Not stored: a file that could not be read.)
        if mtime_ns and size <= self.max_size and cache.put_rows(abs_path, rows, size, mtime_ns, texts):
            return rows
        self.unindexed += len(rows)
        return rows

    def _index_file(self, path: str, abs_path: str, st: os.stat_result, count: int) -> None:
        """Index a stored file (its rows are cached): read for its text alone, not summarized."""
        from tui_replay.catalog.textsearch import file_texts

        assert self.cache is not None
        texts, size, mtime_ns = file_texts(path, self.max_size)
        same = (size, mtime_ns) == (st.st_size, st.st_mtime_ns) and len(texts) == count
        if not (same and self.cache.put_texts(abs_path, size, mtime_ns, texts)):
            self.unindexed += count  # changed since, or not storable: searched by reading it

    def forget(self, path: str) -> None:
        """A file is gone (the watcher saw it): drop it from the cache and index. Call `save` later."""
        if self.cache is not None:
            self.cache.forget(os.path.abspath(path))

    def _summarize_file(self, found: Found, texts: list[str] | None = None) -> list[Summary]:
        from tui_replay.recording.cassette import is_cassette_name
        from tui_replay.recording.summary import summarize_cassette_file, summarize_file

        if is_cassette_name(found.path):
            # A YAML file met in a folder may be any config file: no row unless it is a cassette.
            return summarize_cassette_file(
                found.path, self.max_size, skip_other_yaml=not found.explicit, texts=texts
            )
        summary = summarize_file(found.path, max_size=self.max_size, texts=texts)
        summary.path = found.path
        return [summary]

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

    def prepare_index(self, roots: Iterable[str]) -> bool:
        """Bring the full-text index up to date with every row under `roots` (a pass that reads
        only the files not indexed yet); from then on what this catalog summarizes is indexed as
        it goes (the watcher keeps it current). True when the index holds every row."""
        with self.lock:
            if not self._index_ready:
                self.index_texts = True
                self.unindexed = 0
                self.update(roots)
                self._index_ready = True
            return self.index_is_complete()

    def index_pending(self) -> bool:
        """A `text:` query would first bring the index up to date (`prepare_index`, a pass over
        the files): False once done, or without an index (the files are read instead)."""
        cache = self.cache
        return cache is not None and cache.usable and cache.has_texts and not self._index_ready

    def text_search(self, roots: Iterable[str] = ()) -> TextSearch:
        """The `text:` hook of `parse_query`: through the index, brought up to date for the rows
        under `roots` before the first query (`prepare_index`), else by reading each file."""
        from tui_replay.catalog.textsearch import search_files_text, search_index_text

        cache = self.cache
        if cache is None or cache.connection() is None or not cache.has_texts:
            return search_files_text(self.max_size)
        roots = list(roots)
        absolute = [os.path.abspath(root) for root in roots]
        return search_index_text(cache, absolute, self.max_size, prepare=lambda: self.prepare_index(roots))


def list_summaries(
    roots: Iterable[str],
    *,
    max_size: int | None = None,
    use_cache: bool = True,
    cache_dir: str | None = None,
) -> list[Summary]:
    """Every recording under `roots` as Summary rows (see Catalog)."""
    return Catalog(max_size=max_size, use_cache=use_cache, cache_dir=cache_dir).scan(roots)
