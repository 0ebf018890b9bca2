"""SVG snapshots of the browse screen (pytest-textual-snapshot), at fixed terminal sizes.

The recordings live in `recordings/` under the test's current directory, so no absolute
path shows; nothing on the screen depends on the clock; the table has the focus (no
blinking cursor); watching is off so the status line is fixed.
Update after an intended change with: pytest tests/app/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from .helpers import make_app, wait_for, wait_loaded


def test_browse_plain(corpus_subset, hostile_files, snap_compare):
    assert snap_compare(make_app(), terminal_size=(150, 36), run_before=wait_loaded)


def test_browse_filtered(corpus_subset, snap_compare):
    async def run_before(pilot) -> None:
        await wait_loaded(pilot)
        await pilot.press("slash", *"model:gpt-4o -has:tools", "enter")

    assert snap_compare(make_app(), terminal_size=(150, 30), run_before=run_before)


def test_browse_grouped_and_sorted(corpus_subset, snap_compare):
    async def run_before(pilot) -> None:
        await wait_loaded(pilot)
        await pilot.press("g", "s", "s", "down", "down", "down")

    assert snap_compare(make_app(), terminal_size=(150, 36), run_before=run_before)


def test_browse_narrow(corpus_subset, hostile_files, snap_compare):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=wait_loaded)


def test_diff_screen(workdir, snap_compare):
    """Two corpus-derived files: the seed answer and a copy with another model and word."""
    from .diff_support import write_diff_pair

    write_diff_pair(workdir / "recordings" / "diff")

    async def run_before(pilot) -> None:
        await wait_loaded(pilot)
        app = pilot.app
        app.browse.table.highlight_key("recordings/diff/seed.json")
        await pilot.press("m")
        app.browse.table.highlight_key("recordings/diff/edited.json")
        await pilot.press("d")
        await wait_for(pilot, lambda: getattr(app.screen, "comparison", None) is not None, what="the diff")

    assert snap_compare(make_app(), terminal_size=(150, 40), run_before=run_before)
