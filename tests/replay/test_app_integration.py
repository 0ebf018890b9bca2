"""The replay screen inside the real app: opened from the browse screen, user keymaps, back."""

from __future__ import annotations

import asyncio

from replay_helpers import CITED_FILE, corpus_file

from tui_replay.app.app import TuiReplayApp
from tui_replay.app.screens.browse import BrowseScreen
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.config import Config


async def until(condition, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_opened_from_browse_with_a_user_keymap():
    path = corpus_file(CITED_FILE)
    app = TuiReplayApp([path], Config(watch=False, speed=0.25, keymap={"replay.play": "p"}), use_cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: app.browse.loaded)
        app.browse.open_recording(path)
        await until(lambda: isinstance(app.screen, ReplayScreen) and app.screen.ready)
        screen = app.screen
        assert screen.player.speed == 0.25 and screen.player.playing  # the configured speed, auto-play
        await pilot.press("p")  # remapped play/pause
        assert not screen.player.playing
        await pilot.press("end")
        assert screen.query_one(AnswerView).text == "The Llama 4 Maverick model has 128 experts [1]."
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)
