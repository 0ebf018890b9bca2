"""Summaries of every recording under some paths: scan, cache, summarize.

This is the one entry point the headless `list`, the app and the watcher share.
Only `Summary` rows are kept, never bodies; files are opened read-only by the
parser (`summarize_file`) and only when they are regular files under the size limit.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from tui_replay.catalog.cache import SummaryCache, SummaryShard, folder_key, named_files_key
from tui_replay.catalog.scan import Found, iter_found
from tui_replay.recording.cassette import is_cassette_name
from tui_replay.recording.load import DEFAULT_MAX_SIZE, format_size
from tui_replay.recording.model import Summary
from tui_replay.recording.summary import summarize_cassette_file, summarize_file


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
        self._abs_roots: dict[str, str] = {}  # root as given -> absolute, for shard keys
        self._enclosing: dict[str, list[SummaryShard]] = {}  # shard key -> shards of folders around it

    def iter_summaries(self, roots: Iterable[str]) -> Iterator[Summary]:
        """One Summary per file found, in scan order; the cache is saved once all are yielded."""
        roots = list(roots)
        # Without the cache nothing needs a file's stat before reading it (the reader fstat's).
        for found in iter_found(roots, with_stat=self.cache is not None):
            yield from self.summarize_found(found)
        self.save(roots)

    def scan(self, roots: Iterable[str]) -> list[Summary]:
        return list(self.iter_summaries(roots))

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
            # Refused from the stat alone: the file is never opened. (Same words as the reader's.)
            size, limit = format_size(st.st_size), format_size(self.max_size)
            return [error_summary(found.path, f"file is {size}, over the {limit} limit", st)]
        if self.cache is None:
            return self._summarize_file(found)
        abs_path = found.abs_path or os.path.abspath(found.path)
        shard = self._shard_for(found, abs_path)
        cached = shard.get_rows(abs_path, st.st_size, st.st_mtime_ns, found.path)
        if cached is None:
            cached = self._from_enclosing_folders(shard, abs_path, st, found.path)
        if cached is not None:
            return cached
        rows = self._summarize_file(found)
        size, mtime_ns = (rows[0].size, rows[0].mtime_ns) if rows else (st.st_size, st.st_mtime_ns)
        if mtime_ns and size <= self.max_size:  # not a file that could not be read
            shard.put_rows(abs_path, rows, size, mtime_ns)
        return rows

    def _from_enclosing_folders(
        self, shard: SummaryShard, abs_path: str, st: os.stat_result, display_path: str
    ) -> list[Summary] | None:
        """A miss in this root's shard may be a hit in the shard of a folder around it.

        (`list recordings/` then `list recordings/agents/`.) Found entries are copied into
        this root's shard, so it is complete on its own next time.
        """
        enclosing = self._enclosing.get(shard.key)
        if enclosing is None:
            assert self.cache is not None
            if shard.key.startswith("files:"):
                folder = os.path.dirname(abs_path)
            else:
                folder = os.path.dirname(shard.key)
            enclosing = []
            while True:
                candidate = self.cache.shard(folder_key(folder))
                if candidate is not shard and os.path.exists(candidate.path):
                    enclosing.append(candidate)
                parent = os.path.dirname(folder)
                if parent == folder:
                    break
                folder = parent
            self._enclosing[shard.key] = enclosing
        for other in enclosing:
            cached = other.get_rows(abs_path, st.st_size, st.st_mtime_ns, display_path)
            if cached is not None:
                shard.put_rows(abs_path, cached, st.st_size, st.st_mtime_ns)
                return cached
        return None

    def _shard_for(self, found: Found, abs_path: str) -> SummaryShard:
        """The scanned folder's shard, or for a file named on its own, its folder's named-files shard."""
        assert self.cache is not None
        if found.explicit or not found.root:
            return self.cache.shard(named_files_key(abs_path))
        abs_root = self._abs_roots.get(found.root)
        if abs_root is None:
            abs_root = self._abs_roots[found.root] = os.path.abspath(found.root)
        return self.cache.shard(folder_key(abs_root))

    def _summarize_file(self, found: Found) -> list[Summary]:
        if is_cassette_name(found.path):
            # A YAML file met in a folder may be any config file: no row unless it is a cassette.
            return summarize_cassette_file(found.path, self.max_size, skip_other_yaml=not found.explicit)
        summary = summarize_file(found.path, max_size=self.max_size)
        summary.path = found.path
        return [summary]

    def save(self, roots: Iterable[str] = ()) -> None:
        """Write the cache (if used and changed). Call after every root in `roots` was fully scanned."""
        if self.cache is None:
            return
        # The folders among `roots` were scanned to the end: their shards drop unseen files.
        self.cache.save(folder_key(os.path.abspath(root)) for root in roots if os.path.isdir(root))


def list_summaries(
    roots: Iterable[str],
    *,
    max_size: int | None = None,
    use_cache: bool = True,
    cache_dir: str | None = None,
) -> list[Summary]:
    """Every recording under `roots` as Summary rows (see Catalog)."""
    return Catalog(max_size=max_size, use_cache=use_cache, cache_dir=cache_dir).scan(roots)
