"""Issue 20, the app as a daily tool: what a new user tripped over, through the real app."""

from __future__ import annotations

from .helpers import SUBSET, make_app, table_keys, wait_loaded

SIZE = (160, 45)


async def test_a_filter_puts_the_cursor_on_its_first_match(corpus_subset):
    app = make_app()
    async with app.run_test(size=(160, 12)) as pilot:  # short: the first rows can scroll away
        await wait_loaded(pilot)
        table = app.browse.table
        await pilot.press("end")
        assert table.cursor_row == len(SUBSET) - 1
        app.browse.set_filter("kind:chat")  # at once, as pasted (or picked in the palette)
        await pilot.pause()
        assert 1 < len(table_keys(app)) < len(SUBSET)
        assert table.cursor_row == 0 and table.scroll_y == 0
        assert table.highlighted_row.key == table_keys(app)[0]
