"""A filter keystroke draws the new rows in one frame, without laying out the screen (issue 21).

At 100,000 rows a layout of the whole screen costs more than the key's echo; these tests
count what a key costs in frames on a terminal small enough that the rows overflow the table,
the case where only the scrollbar's thumb moves.
"""

from __future__ import annotations

import asyncio
import gc

from textual.screen import Screen

from tui_replay.app.widgets.preview import RecordingPreview

from .helpers import make_app, screen_text, wait_for, wait_loaded

SMALL = (150, 20)  # the table shows a few rows: most filters still overflow it


def _frames(monkeypatch) -> list[tuple[bool, object]]:
    """Every screen update from now on: (laid out, (rows, preview's row, highlighted row))."""
    frames: list[tuple[bool, object]] = []
    real = Screen._on_timer_update

    def on_timer_update(screen):
        laid_out = screen._layout_required
        real(screen)
        browse = screen.app.browse
        state = (
            len(browse.table.rows),
            browse.query_one(RecordingPreview)._row,
            browse.table.highlighted_row,
        )
        frames.append((laid_out, state))

    monkeypatch.setattr(Screen, "_on_timer_update", on_timer_update)
    return frames


async def _drawn(app) -> None:
    drawn = asyncio.Event()
    app.screen.call_after_refresh(drawn.set)
    await drawn.wait()


def _overflowing_query(app) -> str:
    """A one-letter filter that keeps fewer rows than there are, but more than the table shows."""
    view = app.browse.view
    height = app.browse.table.size.height
    for letter in "abcdefghijklmnopqrstuvwxyz0123456789":
        view.set_query(letter)
        if height < len(view.rows()) < len(view.summaries):
            view.set_query("")
            return letter
    raise AssertionError("no letter keeps between a screenful and every row")


def _query_with_another_first_row(app, first) -> str:
    view = app.browse.view
    for letter in "abcdefghijklmnopqrstuvwxyz":
        view.set_query(letter)
        rows = view.rows()
        if rows and rows[0] is not first:
            view.set_query("")
            return letter
    raise AssertionError("every one-letter filter keeps the first row first")


async def test_a_filter_key_lays_nothing_out_and_draws_rows_and_preview_in_one_frame(
    corpus_subset, monkeypatch
):
    frames = _frames(monkeypatch)  # before the app: its screen's update timer holds the method
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await wait_loaded(pilot)
        table = app.browse.table
        assert len(table.rows) > table.size.height  # the scrollbar is shown
        letter = _overflowing_query(app)
        await pilot.press("slash")
        await _drawn(app)
        frames.clear()
        app.simulate_key(letter)  # as a terminal sends it (Pilot.press waits for idle in between)
        await _drawn(app)
        await pilot.pause()
        shown = len(table.rows)
        assert shown < len(app.browse.summaries)
        assert frames and not any(laid_out for laid_out, _ in frames), frames
        # The first frame with the new rows has the preview of the row highlighted in it.
        first = next(state for _, state in frames if state[0] == shown)
        assert first[1] is first[2] is table.rows[0]
        # The scrollbar follows the new row count.
        assert table.virtual_size.height == shown + 1
        assert table.vertical_scrollbar.window_virtual_size == shown + 1


async def test_after_a_filter_without_a_layout_the_last_row_can_be_reached_and_is_drawn(corpus_subset):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await wait_loaded(pilot)
        table = app.browse.table
        letter = _overflowing_query(app)
        await pilot.press("slash", letter, "enter")  # the table gets the focus back
        await pilot.pause()
        table.action_last()
        await pilot.pause()
        assert table.cursor_row == len(table.rows) - 1
        assert table.scroll_y == table.max_scroll_y > 0
        last = table.rows[-1].summary
        assert last is not None and last.file.rsplit("/", 1)[-1][:12] in screen_text(app)
        # Back to every row: the scrollbar grows again, and the end is the last of all.
        await pilot.press("slash", "backspace", "enter")
        await pilot.pause()
        assert table.virtual_size.height == len(app.browse.summaries) + 1
        table.action_last()
        await pilot.pause()
        assert (
            table.scroll_y
            == table.max_scroll_y
            == len(app.browse.summaries) + 1 - table.scrollable_content_region.height
        )


async def test_the_filter_box_scrolls_with_a_long_query_and_back(corpus_subset):
    """The box's virtual size no longer lays out: a query wider than the box still scrolls to
    its cursor, and erased again, the box shows its start."""
    app = make_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_loaded(pilot)
        await pilot.press("slash")
        box = app.browse.query_one("#filter-input")
        long = "x" * (box.size.width + 20)
        await pilot.press(*long)
        await pilot.pause()
        assert box.value == long and box.scroll_x > 0
        await pilot.press(*["backspace"] * len(long))
        await pilot.pause()
        assert box.value == "" and box.scroll_x == 0


async def test_a_filter_shows_the_preview_of_its_first_row_before_the_handler_returns(corpus_subset):
    """Not through the table's Highlighted message, which reaches the preview a few message hops
    later: at 100,000 rows the frame with the new rows is drawn in between, and a second follows."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        preview = browse.query_one(RecordingPreview)
        first = browse.table.rows[0]
        letter = _query_with_another_first_row(app, first)
        browse.apply_filter(letter)  # what a key typed in the filter box runs, no await in between
        assert browse.table.rows[0] is not first
        assert preview._row is browse.table.highlighted_row is browse.table.rows[0]


async def test_the_garbage_collector_waits_from_a_filter_key_until_after_its_frame(
    corpus_subset, monkeypatch
):
    from tui_replay.app.screens import browse as browse_module

    monkeypatch.setattr(browse_module, "COLLECT_AFTER_KEY_SECONDS", 1.0)
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await wait_loaded(pilot)
        assert gc.isenabled()
        await pilot.press("slash", "l")
        assert not gc.isenabled()  # the key's frame is drawn with no collection in it
        await asyncio.sleep(0.6)
        await pilot.press("l")  # typed within the wait: it starts again
        await asyncio.sleep(0.6)  # past the first key's wait, within the second's
        assert not gc.isenabled()
        await wait_for(pilot, gc.isenabled, timeout=3, what="the collector on again")
    assert gc.isenabled()


async def test_a_filter_that_fits_the_table_hides_the_scrollbar_and_one_that_overflows_shows_it(
    corpus_subset,
):
    """Where the scrollbar comes or goes the table is laid out as before (its width changes)."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await wait_loaded(pilot)
        table = app.browse.table
        assert table.show_vertical_scrollbar
        few = next(
            name
            for name in ("guard", "gemini", "anthropic", "batches")
            if 0 < sum(name in key.lower() for key in _ids(app)) < table.size.height - 1
        )
        app.browse.set_filter(few)
        await pilot.pause()
        await pilot.pause()
        assert 0 < len(table.rows) < table.size.height - 1
        assert not table.show_vertical_scrollbar
        assert table.virtual_size.height == len(table.rows) + 1
        app.browse.set_filter("")
        await pilot.pause()
        await pilot.pause()
        assert table.show_vertical_scrollbar
        assert table.vertical_scrollbar.window_virtual_size == len(app.browse.summaries) + 1


def _ids(app) -> list[str]:
    """What a free word is looked for in, one string per recording."""
    from tui_replay.catalog.filters import search_text

    return [search_text(summary) for summary in app.browse.summaries.values()]
