"""Fixtures for the replay screen: a minimal app that pushes one ReplayScreen, corpus paths."""

from __future__ import annotations

from pathlib import Path

from support import CORPUS
from textual.app import App
from textual.screen import Screen
from textual.widgets import Static

from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.config import Config
from tui_replay.recording.model import Recording

OLD = CORPUS / "llama-stack-2025-10"
HEAD = CORPUS / "llama-stack"
# The seed case (see the corpus README): turn 1 streams a tool call in 14 fragments,
# turn 2 streams the cited answer.
RESPONSES = OLD / "responses" / "recordings"
TOOL_CALL_FILE = RESPONSES / "d30a3a9a90ea3ba6ea62417aec80e79ee502a2e75b58f7c87ee65c446200af0e.json"
CITED_FILE = RESPONSES / "ccf305c14285e6c5788c9126f13bc02f786a1562614596c8ac5ffa38cb49e0a1.json"


def corpus_file(path: Path) -> str:
    assert path.is_file(), f"missing corpus file {path}"
    return str(path)


class BaseScreen(Screen[None]):
    def compose(self):
        yield Static("base screen", id="base")


class ReplayTestApp(App[None]):
    """Pushes one ReplayScreen over a plain base screen (so `back` has somewhere to go)."""

    def __init__(
        self,
        path: str | None = None,
        *,
        recording: Recording | None = None,
        speed: float = 1.0,
        autoplay: bool = True,
        config: Config | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.recording = recording
        self.speed = speed
        self.autoplay = autoplay
        self.config = config or Config()

    def on_mount(self) -> None:
        self.push_screen(BaseScreen())
        if self.recording is not None:
            screen = ReplayScreen.for_recording(
                self.recording, speed=self.speed, config=self.config, autoplay=self.autoplay
            )
        else:
            assert self.path is not None
            screen = ReplayScreen(self.path, speed=self.speed, config=self.config)
            screen.autoplay = self.autoplay
        self.push_screen(screen)


async def wait_loaded(pilot) -> ReplayScreen:
    """Wait until the screen shows its recording (or its load error)."""
    screen = pilot.app.screen
    assert isinstance(screen, ReplayScreen)
    for _ in range(200):
        await pilot.pause(0.02)
        if screen.ready:
            await pilot.pause()
            return screen
    raise AssertionError("the replay screen did not load")


def screen_text(app: App) -> str:
    """What the terminal shows, as plain text (for asserting on literal rendering)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), force_terminal=True, record=True, legacy_windows=False
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)
