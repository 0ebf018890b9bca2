"""`key:` filters over real summaries: the key status is computed while summarizing (and cached)."""

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
