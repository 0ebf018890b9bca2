"""Watch mode in the app: rows appear, change and vanish as files do; F follows the newest."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tui_replay.app.widgets.recording_table import NEW_MARKER

from .helpers import SUBSET, hostile_recording, make_app, screen_text, wait_for, wait_loaded


def write_recording(path: Path, test_id: str, model: str = "gpt-4o") -> None:
    """Write a small valid recording atomically (a new name, then a rename)."""
    recording = hostile_recording()
    recording["test_id"] = test_id
    recording["request"]["model"] = model
    recording["request"]["body"]["model"] = model
    recording["request"]["body"]["messages"] = [{"role": "user", "content": f"question for {test_id}"}]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(recording, indent=2))
    os.replace(tmp, path)


async def _watching(pilot) -> None:
    await wait_loaded(pilot)
    await wait_for(pilot, lambda: pilot.app.browse.watch_state == "on", what="watching")
    await pilot.pause(0.3)  # the watcher's first scan


async def test_new_changed_and_removed_files_update_the_rows_in_place(corpus_subset):
    app = make_app(watch=True)
    async with app.run_test(size=(160, 22)) as pilot:
        await _watching(pilot)
        browse = app.browse
        table = browse.table
        browse.set_sort("test")  # the cursor goes to the top of the sorted list
        for _ in range(14):
            await pilot.press("down")
        highlighted = table.highlighted_row.key
        offset = table.cursor_row - round(table.scroll_y)
        assert table.scroll_y > 0  # the view is scrolled: the test is meaningful

        # A recording that sorts first lands above the highlighted row.
        new_path = corpus_subset / "new" / "first.json"
        new_path.parent.mkdir()
        write_recording(new_path, "tests/integration/aaa/test_aaa.py::test_first")
        shown = "recordings/new/first.json"
        await wait_for(pilot, lambda: shown in browse.summaries, what="the new row")
        assert table.highlighted_row.key == highlighted
        assert table.cursor_row - round(table.scroll_y) == offset
        assert browse.new_paths == {shown}
        assert table.rows[0].key == shown
        assert len(browse.summaries) == len(SUBSET) + 1
        assert "1 new" in screen_text(app)
        await pilot.press("home")
        assert NEW_MARKER in screen_text(app).splitlines()[2]

        # Rewritten: the row follows.
        write_recording(new_path, "tests/integration/aaa/test_aaa.py::test_first", model="changed-model")
        await wait_for(pilot, lambda: browse.summaries[shown].model == "changed-model", what="the change")
        assert "changed-model" in screen_text(app)

        # Deleted: the row goes, the cursor stays where it was.
        os.unlink(new_path)
        await wait_for(pilot, lambda: shown not in browse.summaries, what="the removal")
        assert shown not in [row.key for row in table.rows] and not browse.new_paths


async def test_follow_opens_the_newest_recording_as_it_lands(corpus_subset):
    from tui_replay.app.screens.replay import ReplayScreen

    app = make_app(watch=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await _watching(pilot)
        browse = app.browse
        await pilot.press("F")
        assert browse.following and "follow: on" in screen_text(app)
        first = corpus_subset / "followed-1.json"
        write_recording(first, "tests/integration/f/test_f.py::test_one")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay of the new file")
        assert app.screen.path == "recordings/followed-1.json"
        second = corpus_subset / "followed-2.json"
        write_recording(second, "tests/integration/f/test_f.py::test_two")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ReplayScreen) and app.screen.path == "recordings/followed-2.json",
            what="the replay of the newer file",
        )
        # The follow screen was switched, not stacked: one escape gets back to the list.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is browse, what="the browse screen")
        assert browse.table.highlighted_row.key == "recordings/followed-2.json"
