"""`key:` filters over real summaries: the key status is computed by the filter, for the rows it tests."""

from __future__ import annotations

import pytest
from support import CORPUS, record_calls, require_corpus

from tui_replay.catalog.catalog import Catalog
from tui_replay.catalog.filters import QueryError, filter_summaries


def test_key_filters_split_the_corpus():
    require_corpus()
    summaries = Catalog(use_cache=False).scan([str(CORPUS / "llama-stack")])
    counts = {
        key: len(filter_summaries(summaries, f"key:{key}"))
        for key in ("current", "older", "mis-keyed", "opaque")
    }
    assert counts == {"current": 146, "older": 7, "mis-keyed": 14, "opaque": 1}
    legacy = filter_summaries(summaries, "key:mis-keyed path:tool_runtime/")
    assert len(legacy) == 3
    assert len(filter_summaries(summaries, "-key:current")) == 22


def test_unknown_key_value_is_an_error():
    with pytest.raises(QueryError, match="key:broken is not known"):
        filter_summaries([], "key:broken")


def _count_classify(monkeypatch) -> list[str]:
    """The paths the summary module classifies from now on (the real classify_file still runs)."""
    from tui_replay.recording import summary as summary_module

    return record_calls(monkeypatch, summary_module, "classify_file", lambda recording, path: path)


def test_a_plain_listing_does_not_classify_and_key_filters_do_once_per_row(monkeypatch):
    require_corpus()
    calls = _count_classify(monkeypatch)
    summaries = Catalog(use_cache=False).scan([str(CORPUS / "llama-stack")])
    assert calls == []  # hashing the request under every rule set tripled a cold listing
    assert all(summary.key is None for summary in summaries)

    assert len(filter_summaries(summaries, "key:mis-keyed")) == 14
    readable = [summary.path for summary in summaries if summary.status == "ok"]
    assert sorted(calls) == sorted(readable)
    # Kept on the rows: another key: filter reads no file again.
    assert len(filter_summaries(summaries, "key:current")) == 146
    assert len(calls) == len(readable)


def test_key_status_read_once_is_kept_in_the_cache_until_the_file_changes(tmp_path, monkeypatch):
    """compute_keys with a catalog stores what it read; the next listing has it without reading;
    a file rewritten loses it; keeping it leaves the full-text index alone."""
    import os
    import shutil

    from tui_replay.catalog.cache import SummaryCache
    from tui_replay.catalog.catalog import compute_keys
    from tui_replay.catalog.session import ListingSession

    require_corpus()
    tree = tmp_path / "tree"
    shutil.copytree(CORPUS / "llama-stack", tree)
    cache_dir = str(tmp_path / "cache")
    # The index first (a text: query), then the keys: storing them must not drop index entries.
    indexed = [
        row.path for row in ListingSession([str(tree)], cache_dir=cache_dir).iter_matching("text:experts")
    ]
    assert indexed
    index = SummaryCache(cache_dir)
    found_before = index.search("experts", [str(tree)])
    index.close()
    assert found_before and len(found_before) >= len(indexed)
    catalog = Catalog(cache_dir=cache_dir)
    rows = catalog.scan([str(tree)])
    read = compute_keys(rows, jobs=1, catalog=catalog)
    catalog.save()  # (compute_keys hands the statuses over; the caller saves)
    assert read == 168
    expected = {row.path: row.key for row in rows}

    calls = _count_classify(monkeypatch)
    again = Catalog(cache_dir=cache_dir).scan([str(tree)])
    assert {row.path: row.key for row in again} == expected
    assert compute_keys(again, jobs=1) == 0 and calls == []  # nothing left to read
    index = SummaryCache(cache_dir)
    assert index.search("experts", [str(tree)]) == found_before  # the index entries are all there
    index.close()

    changed = next(row for row in again if row.key and row.key.startswith("current"))
    stat = os.stat(changed.path)
    os.utime(changed.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = {row.path: row for row in Catalog(cache_dir=cache_dir).scan([str(tree)])}
    assert after[changed.path].key is None  # another version of the file: read again when asked
    assert sum(1 for row in after.values() if row.key) == len([key for key in expected.values() if key]) - 1
