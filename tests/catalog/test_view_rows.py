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


def test_rows_for_a_loading_batch_are_the_rows_row_for_gives():
    view = ListingView()
    view.rows()
    first = view.add([_summary(index) for index in range(10)])
    assert first is not None
    first_rows = view.rows_for(first)
    second = view.add([_summary(index) for index in range(10, 20)])
    assert second is not None
    second_rows = view.rows_for(second)
    # The very rows row_for gives (one object per summary), for this batch and the one before.
    assert all(row is view.row_for(summary) for row, summary in zip(second_rows, second, strict=True))
    assert all(row is view.row_for(summary) for row, summary in zip(first_rows, first, strict=True))
    assert view.rows() == first_rows + second_rows
    # Any other list of listed summaries: each looked up.
    some = [second[3], first[1]]
    assert view.rows_for(some) == [view.row_for(summary) for summary in some]
