"""The app while it watches (Textual Pilot, real files, real watcher): rows come and go in place."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from watch_helpers import write_file

from tui_replay.app.app import TuiReplayApp
from tui_replay.app.screens.browse import BrowseScreen
from tui_replay.app.widgets.recording_table import NEW_MARKER
from tui_replay.config import Config

SLOW = 15.0
SIZE = (140, 40)


async def wait_for(pilot, condition: Callable[[], bool], what: str, timeout: float = SLOW) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await pilot.pause(0.05)


async def started(pilot) -> BrowseScreen:
    browse = pilot.app.browse
    await wait_for(pilot, lambda: browse.loaded and browse.watch_state == "on", "loading done, watch on")
    await pilot.pause(0.3)  # the watcher thread is up
    return browse


def screen_lines(browse: BrowseScreen) -> list[str]:
    table = browse.table
    return [table.render_line(y).text for y in range(table.size.height)]


def make_app(folder: Path) -> TuiReplayApp:
    return TuiReplayApp([str(folder)], Config(), use_cache=False)


async def test_new_recordings_appear_with_a_marker_and_vanish(tmp_path, recording_bytes):
    for index in range(3):
        write_file(tmp_path / f"old-{index}.json", recording_bytes[index])
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        browse = await started(pilot)
        assert len(browse.table.rows) == 3
        assert not any(NEW_MARKER in line for line in screen_lines(browse))

        new_path = str(tmp_path / "new.json")
        write_file(Path(new_path), recording_bytes[10])
        await wait_for(pilot, lambda: browse.table.index_of(new_path) is not None, "the new row")
        await pilot.pause()
        assert new_path in browse.new_paths
        marked = [line for line in screen_lines(browse) if NEW_MARKER in line]
        assert len(marked) == 1
        assert "1 new" in str(browse.query_one("#status").render())

        os.unlink(new_path)
        await wait_for(pilot, lambda: browse.table.index_of(new_path) is None, "the row to go")
        assert len(browse.table.rows) == 3
        assert new_path not in browse.new_paths


async def test_highlighted_row_keeps_its_place_while_rows_come_and_go(tmp_path, recording_bytes):
    names = [f"r{index:03d}.json" for index in range(80)]
    for index, name in enumerate(names):
        write_file(tmp_path / name, recording_bytes[index % len(recording_bytes)])
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        browse = await started(pilot)
        table = browse.table
        for _ in range(50):
            await pilot.press("down")
        await pilot.pause()
        held = table.highlighted_row
        assert held is not None and held.summary is not None
        offset = table.cursor_row - round(table.scroll_y)
        assert table.scroll_y > 0  # scrolled: the test would not show a jump otherwise

        removed = [str(tmp_path / name) for name in names[:10]]  # rows above the cursor
        for path in removed:
            os.unlink(path)
        added = [str(tmp_path / f"z-{index}.json") for index in range(10)]
        for index, path in enumerate(added):
            write_file(Path(path), recording_bytes[(index + 3) % len(recording_bytes)])
        await wait_for(
            pilot,
            lambda: (
                all(table.index_of(p) is None for p in removed)
                and all(table.index_of(p) is not None for p in added)
            ),
            "ten rows gone and ten new",
        )
        await pilot.pause()
        assert table.highlighted_row is not None
        assert table.highlighted_row.key == held.key
        assert table.cursor_row - round(table.scroll_y) == offset


async def test_follow_opens_the_newest_recording(tmp_path, recording_bytes):
    write_file(tmp_path / "old.json", recording_bytes[0])
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        browse = await started(pilot)
        await pilot.press("F")
        assert browse.following

        new_path = str(tmp_path / "landed.json")
        write_file(Path(new_path), recording_bytes[4])
        await wait_for(pilot, lambda: getattr(app.screen, "path", None) == new_path, "the replay of it")

        # Waits for each replay to be shown: a replay screen removed while it still loads (switched
        # away, app closing) crashes the app (NoMatches 'ToolCallsPane' in ReplayScreen._sync_panes);
        # reported to the lead.
        await wait_for(pilot, lambda: app.screen.recording is not None, "the replay on screen")
        await pilot.pause(0.5)
        newer = str(tmp_path / "landed-2.json")
        write_file(Path(newer), recording_bytes[5])
        await wait_for(
            pilot, lambda: getattr(app.screen, "path", None) == newer, "the next one, in its place"
        )
        await wait_for(pilot, lambda: app.screen.recording is not None, "the replay on screen")
        await pilot.pause(0.5)
        assert app.is_running


async def test_w_toggles_watching_and_catches_up_when_back_on(tmp_path, recording_bytes):
    write_file(tmp_path / "old.json", recording_bytes[0])
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        browse = await started(pilot)
        await pilot.press("w")
        await wait_for(pilot, lambda: browse.watch_state == "off", "watch off")

        while_off = str(tmp_path / "while-off.json")
        write_file(Path(while_off), recording_bytes[6])
        await pilot.pause(1.0)
        assert browse.table.index_of(while_off) is None  # not watching

        await pilot.press("w")
        await wait_for(
            pilot, lambda: browse.table.index_of(while_off) is not None, "the file written meanwhile"
        )
        assert browse.watch_state == "on"
