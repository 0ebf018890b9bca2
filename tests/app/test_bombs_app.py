"""`x` (exports) on deeply nested recordings through Pilot (issue 17): a 500-level request body
froze the app (90% CPU for over 70 s), 1,000-level tool-call arguments crashed it with a
RecursionError. Now the first is an error row whose replay says why, the second exports its
arguments as sent, and a file at the nesting limit exports like any other."""

from __future__ import annotations

import json

import pytest

from tui_replay.app.screens.export import ExportScreen
from tui_replay.app.screens.raw import RawScreen
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.recording.limits import MAX_NESTING

from .helpers import CORPUS, make_app, wait_for, wait_loaded

SIZE = (160, 45)
# A streamed chat with one tool call (arguments "{}").
SEED = (
    CORPUS
    / "llama-stack/agents/recordings/75ae2f583e3eb3920933f9df9ff65fa5cc639daf97fd7d6b53061146a026cc22.json"
)
MARKER = "the nested lists go here"


def _write(path, *, extra_depth: int = 0, arguments: str | None = None) -> None:
    """SEED with lists `extra_depth` deep as request.body.extra (3 levels down), or its tool
    call's arguments replaced; the lists are spliced in as text (no serializer goes that deep)."""
    obj = json.loads(SEED.read_text(encoding="utf-8"))
    if extra_depth:
        obj["request"]["body"]["extra"] = MARKER
    if arguments is not None:
        for chunk in obj["response"]["body"]:
            for choice in chunk["__data__"]["choices"]:
                for call in choice["delta"].get("tool_calls") or []:
                    call["function"]["arguments"] = arguments
    text = json.dumps(obj).replace(json.dumps(MARKER), "[" * extra_depth + "]" * extra_depth)
    path.write_text(text, encoding="utf-8")


async def _open_and_export(app, pilot, name: str):
    """Enter on the row of `name`, then `x`; the screen on top afterwards."""
    await pilot.press("escape")
    [key] = [key for key in app.browse.summaries if key.endswith(name)]
    app.browse.table.highlight_key(key)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
    replay = app.screen
    await wait_for(pilot, lambda: replay.recording is not None or replay.error, what=f"{name} to load")
    await pilot.press("x")
    await pilot.pause()
    return replay


@pytest.mark.timeout(120)
async def test_x_on_a_file_nested_too_deep_says_why(workdir):
    folder = workdir / "recordings"
    folder.mkdir()
    _write(folder / "deep_body.json", extra_depth=500)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        [row] = app.browse.summaries.values()
        assert row.status == "error" and "nesting too deep" in row.error
        replay = await _open_and_export(app, pilot, "deep_body.json")
        assert replay.recording is None and "nesting too deep" in replay.error
        assert app.screen is replay  # nothing to export: the screen stays, the app answers


@pytest.mark.timeout(120)
async def test_x_exports_deep_arguments_as_sent_and_a_file_at_the_limit(workdir):
    folder = workdir / "recordings"
    folder.mkdir()
    deep_arguments = "[" * 1000 + "]" * 1000
    _write(folder / "deep_arguments.json", arguments=deep_arguments)
    _write(folder / "at_limit.json", extra_depth=MAX_NESTING - 3)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await _open_and_export(app, pilot, "deep_arguments.json")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export screen")
        exports = app.screen.exports
        assert deep_arguments in exports["export-markdown"]  # as sent: it cannot be indented
        await pilot.press("escape", "escape")

        await _open_and_export(app, pilot, "at_limit.json")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export screen")
        exports = app.screen.exports
        assert "[" * (MAX_NESTING - 3) not in exports["export-curl"]  # indented: one bracket a line
        assert all("Cannot export" not in text for text in exports.values())
        assert '"extra"' in exports["export-curl"] and "'extra'" in exports["export-python"]
        await pilot.press("escape", "v")  # the raw view walks the request too
        await wait_for(pilot, lambda: isinstance(app.screen, RawScreen), what="the raw view")
        await pilot.press("1", "2", "3")
        await pilot.pause()
        assert isinstance(app.screen, RawScreen)
