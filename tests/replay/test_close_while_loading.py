"""A replay screen closed before its recording has finished loading and mounting.

Following (`F`) replaces a replay screen as soon as a newer recording lands, and a
user can press escape before a big file has loaded: the load must then finish
quietly, never touching panes that are gone.
"""

from __future__ import annotations

from replay_helpers import CITED_FILE, TOOL_CALL_FILE, BaseScreen, corpus_file
from textual.app import App

from tui_replay.app.screens.replay import ReplayScreen


class PushPopApp(App[None]):
    def __init__(self, paths: list[str]) -> None:
        super().__init__()
        self.paths = paths

    def on_mount(self) -> None:
        self.push_screen(BaseScreen())


async def test_closing_at_every_step_of_the_load_never_raises() -> None:
    paths = [corpus_file(TOOL_CALL_FILE), corpus_file(CITED_FILE)]
    app = PushPopApp(paths)
    async with app.run_test(size=(140, 42)) as pilot:
        # Close after 0, 1, 2, ... event-loop turns so the pop lands at different points of
        # loading (worker running, result delivered, panes mounting, playback starting).
        for turns in (0, 1, 2, 3, 5, 8):
            for path in paths:
                screen = ReplayScreen(path)
                await app.push_screen(screen)
                for _ in range(turns):
                    await pilot.pause()
                await app.pop_screen()
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert isinstance(app.screen, BaseScreen)
    # run_test re-raises any exception the app hit (a NoMatches from a gone pane, say)
    assert app.return_code in (None, 0)
