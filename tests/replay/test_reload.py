"""`R` after the file changed on disk: reloads in place; a half-written file keeps the copy already read."""

from __future__ import annotations

from replay_helpers import CITED_FILE, ReplayTestApp, wait_loaded, wait_until

from tui_replay.app.widgets.answer_view import AnswerView

WIDE = (120, 40)


def notice(screen) -> str | None:
    widget = screen.query_one("#disk-notice")
    return str(widget.render()) if widget.display else None


async def test_half_written_file_keeps_the_copy_and_shows_the_error(tmp_path):
    data = CITED_FILE.read_bytes()
    path = tmp_path / CITED_FILE.name
    path.write_bytes(data)
    app = ReplayTestApp(str(path), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        before = screen.recording
        assert notice(screen) is None

        path.write_bytes(data[: len(data) // 2])  # the recorder writes in place: caught halfway
        screen.on_disk_change("changed")
        await pilot.pause()
        assert "changed on disk" in notice(screen)
        await pilot.press("R")
        await wait_until(pilot, lambda: "Reload failed" in (notice(screen) or ""))
        assert "truncated" in notice(screen) and "copy read before" in notice(screen)
        assert screen.query_one("#disk-notice").has_class("-error")
        assert app.screen is screen and screen.recording is before  # the copy already read stays
        assert screen.query_one(AnswerView).text.endswith("128 experts [1].")
        assert screen.check_action("reload", ()) is True  # try again once it is whole

        assert data.count(b'"content": "128"') == 1
        path.write_bytes(data.replace(b'"content": "128"', b'"content": "129"'))  # re-recorded, whole
        await pilot.press("R")
        await wait_until(pilot, lambda: screen.recording is not before)
        assert "129 experts" in screen.recording.response.text
        assert notice(screen) is None and screen.disk_change is None  # the notice is gone
        assert screen.check_action("reload", ()) is False
        await pilot.press("end")
        assert screen.query_one(AnswerView).text.endswith("129 experts [1].")


async def test_deleted_file_keeps_the_copy_and_offers_no_reload(tmp_path):
    path = tmp_path / CITED_FILE.name
    path.write_bytes(CITED_FILE.read_bytes())
    app = ReplayTestApp(str(path), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        path.unlink()
        screen.on_disk_change("removed")
        await pilot.pause()
        assert "deleted on disk" in notice(screen)
        await pilot.press("R")
        await pilot.pause()
        assert screen.recording is not None and screen.check_action("reload", ()) is False
