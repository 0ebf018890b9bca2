"""`key:` filters over real summaries: the key status is computed by the filter, for the rows it tests."""

from __future__ import annotations

import pytest
from support import CORPUS, require_corpus

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

    calls: list[str] = []
    real = summary_module.classify_file

    def counting(recording, path):
        calls.append(path)
        return real(recording, path)

    monkeypatch.setattr(summary_module, "classify_file", counting)
    return calls


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
