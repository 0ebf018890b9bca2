"""SVG snapshots of the replay screen, paused at fixed chunks (nothing time-dependent is shown)."""

from __future__ import annotations

from replay_builders import markdown_recording
from replay_helpers import CITED_FILE, HEAD, TOOL_CALL_FILE, ReplayTestApp, corpus_file, wait_loaded

ERROR_NAME = "1f7f4726b3271546e67f50afb573d25464cb32df99289e4bb9a6a816912a47b8.json"
ERROR_FILE = HEAD / "responses" / "recordings" / ERROR_NAME


def paused_at(steps: int | None, *keys: str):
    """run_before: wait for the load, then step `steps` chunks (None: to the end) and press keys."""

    async def run_before(pilot) -> None:
        await wait_loaded(pilot)
        if steps is None:
            await pilot.press("end")
        else:
            for _ in range(steps):
                await pilot.press("right")
        for key in keys:
            await pilot.press(key)
        await pilot.pause()

    return run_before


def test_mid_stream_tool_call(snap_compare):
    app = ReplayTestApp(corpus_file(TOOL_CALL_FILE), autoplay=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=paused_at(8))


def test_citation_selected(snap_compare):
    app = ReplayTestApp(corpus_file(CITED_FILE), autoplay=False)

    async def run_before(pilot) -> None:
        await paused_at(None)(pilot)
        options = pilot.app.screen.query_one("#citation-list")
        options.focus()
        options.highlighted = 0
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_recorded_error(snap_compare):
    app = ReplayTestApp(corpus_file(ERROR_FILE), autoplay=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=paused_at(0))


def test_narrow_terminal_tabs(snap_compare):
    app = ReplayTestApp(corpus_file(CITED_FILE), autoplay=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=paused_at(None))


def test_rendered_markdown_answer(snap_compare):
    app = ReplayTestApp(recording=markdown_recording(), autoplay=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=paused_at(None))
