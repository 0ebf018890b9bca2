"""The diff screen from the list: `m` marks a row, `d` on another row compares the two (Pilot)."""

from __future__ import annotations

from rich.console import Console

from tui_replay.app.screens.diff import DiffScreen
from tui_replay.app.screens.help import describe_bindings
from tui_replay.app.widgets.recording_table import MARK_MARKER

from .diff_support import write_diff_pair
from .helpers import make_app, screen_text, wait_for, wait_loaded

SIZE = (150, 44)


def _plain(renderable) -> str:
    console = Console(width=200, file=None, record=True, color_system=None)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


async def _open_diff(pilot, a: str, b: str) -> DiffScreen:
    app = pilot.app
    table = app.browse.table
    assert table.highlight_key(a)
    if app.browse.marked != a:  # m on the marked row would unmark it
        await pilot.press("m")
    assert table.highlight_key(b)
    await pilot.press("d")
    await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen), what="the diff screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.comparison is not None, what="the comparison")
    return screen


async def test_mark_then_d_shows_what_differs_side_by_side(workdir):
    write_diff_pair(workdir / "recordings" / "diff")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        table = app.browse.table
        a, b = "recordings/diff/seed.json", "recordings/diff/edited.json"
        assert table.highlight_key(a)
        await pilot.press("m")
        row = table.rows[table.index_of(a)]
        assert table._recording_line(row).plain.startswith(MARK_MARKER)  # the mark shows in the table
        assert MARK_MARKER in screen_text(app)
        assert table.highlight_key(b)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen), what="the diff screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.comparison is not None, what="the comparison")
        assert (screen.path_a, screen.path_b) == (a, b)
        assert screen.comparison.verdict == "different"
        text = screen_text(app)
        assert "verdict  different" in text
        assert 'request /body/model: "gpt-4o" → "gpt-4o-mini"' in text
        # the word diff: markers besides colour; recorded markup shown literally
        assert "[-128-]{+[bold]64[/bold]+}" in text
        assert "The Llama 4 Maverick model has [bold]64[/bold] experts" in text  # b's answer pane
        details = _plain(screen.query_one("#diff-metrics").content)
        assert "completion tokens" in details and "23" in details and "25" in details
        assert "chunks" in details and "finish reason" in details
        differences = screen.query_one("#diff-differences").content
        styled = [
            span for part in differences.renderables[1:] for span in part.spans if "strike" in str(span.style)
        ]
        assert styled, "removed words are struck through, not only marked"

        # x swaps the sides: the diff reads the other way round
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.path_a == b and screen.comparison.path == b, what="the swap")
        await wait_for(pilot, lambda: "[-[bold]64[/bold]-]{+128+}" in screen_text(app), what="swapped diff")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.browse, what="the list again")
        assert app.browse.marked == a  # the mark stays for the next diff


async def test_same_answer_in_other_chunks_and_unreadable_files(workdir):
    seed, _, _ = write_diff_pair(workdir / "recordings" / "diff")
    (workdir / "recordings" / "diff" / "truncated.json").write_text(seed.read_text()[:200])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        screen = await _open_diff(pilot, "recordings/diff/seed.json", "recordings/diff/rechunked.json")
        assert screen.comparison.verdict == "same-answer"
        text = screen_text(app)
        assert "verdict  same-answer" in text and "chunks: 25 → 24" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.browse, what="the list again")

        screen = await _open_diff(pilot, "recordings/diff/seed.json", "recordings/diff/truncated.json")
        assert screen.comparison.verdict == "error"
        assert "b: " in screen.comparison.error and "Traceback" not in screen_text(app)
        assert "verdict  error" in screen_text(app)
        assert app.is_running


async def test_d_without_a_mark_or_on_the_marked_row_explains_and_keys_are_in_help(workdir):
    write_diff_pair(workdir / "recordings" / "diff")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        table = app.browse.table
        assert table.highlight_key("recordings/diff/seed.json")
        await pilot.press("d")
        await pilot.pause()
        assert app.screen is app.browse
        assert any("Mark a row with m first" in str(n.message) for n in app._notifications)
        await pilot.press("m")
        await pilot.press("d")
        await pilot.pause()
        assert app.screen is app.browse
        assert any("That is the marked row" in str(n.message) for n in app._notifications)
        await pilot.press("m")  # m again unmarks
        assert app.browse.marked is None and table.marked_path is None
        ids = {entry.binding_id: entry.description for entry in describe_bindings(app.browse)}
        assert ids["browse.mark"] == "Mark for diff" and ids["browse.diff"] == "Diff with mark"
