"""ListingView keeps one row object per listed summary (the table finds the highlighted row by
identity) and one search text each, without maps by path: through appends, a new sort, removals
and replaced summaries."""

from __future__ import annotations

from tui_replay.catalog.view import ListingView
from tui_replay.recording.model import Summary


def _summary(index: int, model: str = "gpt-4o") -> Summary:
    return Summary(path=f"rec/{index:03d}.json", status="ok", kind="chat", model=model, chunks=index)


def test_rows_are_made_once_and_kept_through_sorts_removals_and_replacements():
    view = ListingView()
    view.rows()  # the order exists: later batches are appended to it
    batches = [[_summary(index) for index in range(start, start + 10)] for start in (0, 10, 20)]
    appended_rows = []
    for batch in batches:
        appended = view.add(batch)
        assert appended == batch  # unsorted and ungrouped: they go at the end
        appended_rows += [view.row_for(summary) for summary in appended]
    rows = view.rows()
    assert [row.key for row in rows] == [summary.path for batch in batches for summary in batch]
    assert all(a is b for a, b in zip(rows, appended_rows, strict=True))

    view.set_sort("chunks")  # biggest first
    resorted = view.rows()
    assert [row.key for row in resorted] == [row.key for row in reversed(rows)]
    assert all(a is b for a, b in zip(resorted, reversed(rows), strict=True))

    view.remove([batches[0][5].path])
    replaced = _summary(7, model="llama-3.3")
    assert view.add([replaced]) is None  # a replaced summary: the rows are asked again
    after = view.rows()
    by_key = {row.key: row for row in rows}
    assert batches[0][5].path not in {row.key for row in after}
    for row in after:
        if row.key == replaced.path:
            assert row.summary is replaced and row is not by_key[row.key]
        else:
            assert row is by_key[row.key]
    assert view.row_for(replaced).summary is replaced

    view.set_query("llama")  # the replaced summary's search text is its own, not the old one's
    assert [row.key for row in view.rows()] == [replaced.path]
    view.set_query("gpt-4o")
    assert len(view.rows()) == 28
