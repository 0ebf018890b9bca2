"""Issue 20, the app as a daily tool: what a new user tripped over, through the real app."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from textual.widgets import OptionList, Tabs

from tui_replay.app.app import TuiReplayApp
from tui_replay.app.screens.diff import DiffScreen
from tui_replay.app.screens.help import HelpScreen
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.config import Config
from tui_replay.state import StateFile

from .helpers import (
    CORPUS,
    REPO,
    SEED_ANSWER,
    SEED_TOOL_CALL,
    SUBSET,
    make_app,
    run_palette_command,
    screen_text,
    table_keys,
    wait_for,
    wait_loaded,
)

SIZE = (160, 45)


async def test_a_filter_puts_the_cursor_on_its_first_match(corpus_subset):
    app = make_app()
    async with app.run_test(size=(160, 12)) as pilot:  # short: the first rows can scroll away
        await wait_loaded(pilot)
        table = app.browse.table
        await pilot.press("end")
        assert table.cursor_row == len(SUBSET) - 1
        app.browse.set_filter("kind:chat")  # at once, as pasted (or picked in the palette)
        await pilot.pause()
        assert 1 < len(table_keys(app)) < len(SUBSET)
        assert table.cursor_row == 0 and table.scroll_y == 0
        assert table.highlighted_row.key == table_keys(app)[0]


# -- 5. settings remembered between runs ------------------------------------------------------------


def _state_app(state_dir, monkeypatch) -> TuiReplayApp:
    monkeypatch.setenv("TUI_REPLAY_STATE_DIR", str(state_dir))
    return TuiReplayApp(["recordings"], Config(watch=False), state_file=StateFile())


async def test_theme_sort_grouping_and_recent_filters_survive_a_restart(
    corpus_subset, tmp_path_factory, monkeypatch
):
    state_dir = tmp_path_factory.mktemp("state")  # outside the project (the current directory)
    app = _state_app(state_dir, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await run_palette_command(pilot, "theme", "Theme")
        await pilot.pause()
        await pilot.press(*"nord")
        await wait_for(pilot, lambda: "nord" in screen_text(app), what="the theme nord in the list")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "nord", what="the theme picked")
        await pilot.press("slash", *"has:tools", "enter", "g", "s", "s")
        await wait_for(pilot, lambda: _saved(state_dir).get("sort_column") == "kind", what="the saved sort")
    saved = _saved(state_dir)
    assert saved["theme"] == "nord" and saved["grouped"] is True
    assert saved["recent_filters"] == ["has:tools"]
    written = [path for path in Path.cwd().rglob("*") if path.is_file()]
    assert len(written) == len(SUBSET)  # the recordings only: nothing written into the project

    app = _state_app(state_dir, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        assert app.theme == "nord"
        assert browse.grouped and browse.sort == ("kind", False)
        assert browse.table.rows[0].is_group and "Kind ▲" in screen_text(app).splitlines()[1]
        assert browse.query_text == ""  # the filter itself is not restored: it is offered
        await run_palette_command(pilot, "filter: has", "Filter: has:tools")
        await wait_for(pilot, lambda: browse.query_text == "has:tools", what="the recent filter applied")


async def test_a_corrupt_state_file_is_ignored_with_one_line(corpus_subset, tmp_path, monkeypatch):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "state.json").write_text('{"theme": "nord", "grouped": ')
    app = _state_app(state_dir, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert app.theme == "textual-dark" and not app.browse.grouped
        [note] = [n.message for n in app._notifications if "saved state" in n.message]
        assert str(state_dir / "state.json") in note and "\n" not in note
        await pilot.press("g")  # the next change replaces it with a readable file
        await wait_for(pilot, lambda: (state_dir / "state.json").read_text().startswith('{\n  "theme"'))
    assert _saved(state_dir)["grouped"] is True
    (state_dir / "state.json").write_text('{"grouped": "yes"}')  # JSON, but not ours
    app = _state_app(state_dir, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert not app.browse.grouped
        assert any("`grouped` has the wrong type" in n.message for n in app._notifications)


def test_the_state_folder_is_the_user_state_dir_unless_the_environment_moves_it(tmp_path, monkeypatch):
    from platformdirs import user_state_dir

    monkeypatch.delenv("TUI_REPLAY_STATE_DIR")
    assert StateFile().path == Path(user_state_dir("tui-replay")) / "state.json"
    monkeypatch.setenv("TUI_REPLAY_STATE_DIR", str(tmp_path))
    assert StateFile().path == tmp_path / "state.json"


def _saved(state_dir) -> dict:
    path = state_dir / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


# -- 7. the palette's screenshot --------------------------------------------------------------------


async def test_the_palette_screenshot_is_saved_in_a_folder_it_makes_and_says_where(
    corpus_subset, tmp_path_factory, monkeypatch
):
    folder = tmp_path_factory.mktemp("data") / "screenshots" / "not-yet"
    monkeypatch.setenv("TUI_REPLAY_SCREENSHOT_DIR", str(folder))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await run_palette_command(pilot, "screenshot", "Screenshot")
        await wait_for(pilot, lambda: folder.is_dir() and any(folder.glob("*.svg")), what="the SVG")
        [svg] = folder.glob("*.svg")
        assert "<svg" in svg.read_text() and "Test" in svg.read_text()
        await wait_for(pilot, lambda: any("Saved the screenshot" in n.message for n in app._notifications))
        assert any(str(svg) in n.message for n in app._notifications)


async def test_a_screenshot_that_cannot_be_saved_says_why(corpus_subset, tmp_path_factory, monkeypatch):
    blocker = tmp_path_factory.mktemp("data") / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TUI_REPLAY_SCREENSHOT_DIR", str(blocker / "screenshots"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await run_palette_command(pilot, "screenshot", "Screenshot")
        await wait_for(pilot, lambda: any("Screenshot not saved" in n.message for n in app._notifications))
        [message] = [n.message for n in app._notifications if "Screenshot not saved" in n.message]
        assert "Not a directory" in message and str(blocker) in message


# -- 3, 4. citations by keyboard; what the footer, the help and the diff show at 80x24 ----------------


async def _replay(pilot, fragment: str) -> ReplayScreen:
    """Open the recording whose path holds `fragment`, played to the end (`end`)."""
    app = pilot.app
    key = next(key for key in table_keys(app) if fragment in key)
    app.browse.open_recording(key)
    await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen.ready, what="replay")
    await pilot.press("end")
    await pilot.pause()
    return app.screen


def _footer(app) -> str:
    return screen_text(app).splitlines()[-1]


async def test_c_selects_a_citation_and_the_footer_says_so(corpus_subset):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot)
        screen = await _replay(pilot, SEED_ANSWER)
        assert "c Citations" in _footer(app)
        await pilot.press("c")
        await pilot.pause()
        assert screen.query_one("#replay-tabs", Tabs).active == "tab-citations"
        options = screen.query_one("#citation-list", OptionList)
        assert app.focused is options and options.highlighted == 0
        text = screen_text(app)
        assert "llama_stack_and_models.pdf" in text, text
        assert "c selects" in text  # the hint on the pane
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:  # no citation: no key in the footer
        await wait_loaded(pilot)
        await _replay(pilot, SEED_TOOL_CALL)
        assert "Citations" not in _footer(app)


async def test_at_80x24_the_footer_keeps_back_help_and_play(corpus_subset):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot)
        footer = _footer(app)
        for key in ("⏎ Open", "q Quit", "/ Filter", "? Keys", "^p palette"):
            assert key in footer, footer
        await _replay(pilot, SEED_ANSWER)
        footer = _footer(app)
        for key in ("esc Back", "? Keys", "space Play/Pause", "t Next tab", "^p palette"):
            assert key in footer, footer
        await pilot.press("?")  # what the footer left out is still bound, and listed
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the keys")
        assert "replay.export" in screen_text(app)
    async with make_app().run_test(size=(160, 45)) as pilot:  # wide: every key as before
        await wait_loaded(pilot)
        assert "w Watch" in _footer(pilot.app) and "F Follow" in _footer(pilot.app)


async def test_the_help_shows_whole_labels_and_no_internal_ids(corpus_subset):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot)
        await _replay(pilot, SEED_ANSWER)
        await pilot.press("c", "?")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the keys")
        help_body = app.screen.query_one("#help-body")
        text = screen_text(app)
        for label in ("Play/Pause", "Focus Previous", "Step back"):
            assert label in text, label
        await pilot.press("end")  # the citation list's keys are at the end of the list
        await pilot.pause()
        help_body.scroll_end(animate=False)
        await pilot.pause()
        text = screen_text(app)
        assert "#citation-list" not in text and "In the citation list" in text


async def test_diff_titles_show_the_folders_that_tell_the_sides_apart(workdir):
    from .diff_support import write_diff_pair

    long = workdir / "recordings" / "a-long-folder-name-the-two-sides-share" / "and-another-one"
    seed, _, _ = write_diff_pair(long / "base" / "recordings")
    copy = long / "head" / "recordings" / "seed.json"
    copy.parent.mkdir(parents=True)
    copy.write_text(seed.read_text().replace("Maverick", "Scout"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot)
        app.push_screen(DiffScreen(str(seed.relative_to(workdir)), str(copy.relative_to(workdir))))
        await wait_for(pilot, lambda: app.screen.comparison is not None, what="the diff")
        await pilot.pause()
        text = screen_text(app)
        assert "a  base/…/seed.json" in text and "b  head/…/seed.json" in text
        assert "base/recordings/seed.json" in text and "head/recordings/seed.json" in text  # the paths' ends


# -- 2. rows of one parametrized test tell apart in a narrow Test column -----------------------------

AGENTS = CORPUS / "llama-stack" / "agents" / "recordings"
# test_output_safety_guardrails_{safe,unsafe}_content[openai_client-txt=…-fp16-{False,True}]
GUARDRAIL_VARIANTS = {
    "safe-False": AGENTS / "11e26e730d6f4d150b43967135b4969f8cd585a32527fe0d557a7356578e5e97.json",
    "safe-True": AGENTS / "33787fc2dcde809ba7bdd48099b16e4296dd042f59c0402ee4a7780a4c516e3d.json",
    "unsafe-False": AGENTS / "1a5c636e837ffab7b26c0c98fa2e3f3fb35d0c1edb00d4f5b0e7b112fe606e34.json",
    "unsafe-True": AGENTS / "a9677d2535a6d837c548a2ba934dcf7ae48cd304b5e4c30c9e7b2da593eb0bb4.json",
}


async def test_at_80_columns_each_parametrized_row_shows_what_tells_it_apart(workdir):
    (workdir / "recordings").mkdir()
    for name, source in GUARDRAIL_VARIANTS.items():
        shutil.copyfile(source, workdir / "recordings" / f"{name}.json")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot)
        table = app.browse.table
        cells = {}
        for index, key in enumerate(table_keys(app)):
            line = screen_text(app).splitlines()[2 + index]  # under the filter box and the header
            cells[key.removeprefix("recordings/").removesuffix(".json")] = line[2 : 2 + table._widths[1]]
        assert table._widths[1] < 40  # the column had to shorten
        assert len(set(cells.values())) == 4, cells  # no two rows read the same
        for name, cell in cells.items():
            test, flag = name.split("-")
            # the end of the test's name and the parameter that differs; not the shared start
            assert f"{test}_content[" in cell and cell.rstrip().endswith(f"…{flag}]"), cell
            assert "openai_c" not in cell


# -- 6. the editor, the clipboard, the test's source, searching inside a recording ------------------

SHIM_EDITOR = """#!{python}
import json, os, sys
with open(os.environ["EDITOR_CALLS"], "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
"""


@pytest.fixture
def editor_calls(tmp_path_factory, monkeypatch) -> Path:
    """$EDITOR is a script that records its arguments (one JSON line per run) and exits."""
    folder = tmp_path_factory.mktemp("editor")
    script = folder / "shim-editor"
    script.write_text(SHIM_EDITOR.format(python=sys.executable))
    script.chmod(0o755)
    calls = folder / "calls.jsonl"
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.setenv("EDITOR_CALLS", str(calls))
    return calls


def _runs(calls: Path) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


async def test_e_opens_the_highlighted_recording_in_the_editor(corpus_subset, editor_calls):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        key = next(key for key in table_keys(app) if SEED_ANSWER in key)
        app.browse.table.highlight_key(key)
        await pilot.press("e")
        await wait_for(pilot, lambda: _runs(editor_calls), what="the editor")
        assert _runs(editor_calls) == [[key]]
        assert app.screen is app.browse and app.is_running  # back in the app after the editor


async def test_search_in_the_replay_moves_between_matches_and_e_opens_at_its_line(
    corpus_subset, editor_calls
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        screen = await _replay(pilot, SEED_ANSWER)
        await wait_for(pilot, lambda: not screen.player.playing, what="the end of the answer")
        await pilot.press("home")  # at the start, paused: the answer not played yet
        assert screen.player.position == 0 and not screen.player.playing
        await pilot.press("slash", *"maverick", "enter")
        await pilot.pause()
        status = str(screen.query_one("#search-status").render())
        # the question, the tool call's arguments, the tool's result (the chunks) and the answer
        assert status == "1 of 4: user message 1", status
        assert "1 of 4: user message 1" in screen_text(app)
        assert "n Next match" in _footer(app)  # offered while a search is on
        await pilot.press("n", "n")
        await pilot.pause()
        assert str(screen.query_one("#search-status").render()) == "3 of 4: tool message 3"
        await pilot.press("e")
        await wait_for(pilot, lambda: _runs(editor_calls), what="the editor")
        [[line, path]] = _runs(editor_calls)
        lines = Path(path).read_text().splitlines()
        assert line.startswith("+") and "knowledge_search tool found" in lines[int(line[1:]) - 1]
        assert not screen.player.at_end
        await pilot.press("n")
        await pilot.pause()
        assert str(screen.query_one("#search-status").render()) == "4 of 4: the answer"
        assert screen.player.at_end  # the answer shown whole, so the match is in view
        await pilot.press("n", "N", "N")
        await pilot.pause()
        assert str(screen.query_one("#search-status").render()) == "3 of 4: tool message 3"
        await pilot.press("slash", *"maverick x", "enter")  # a space is typed into the box, not play
        await pilot.pause()
        assert screen.search_term == "maverick x" and not screen.player.playing
        assert "no match for maverick x" in screen_text(app)


async def test_shift_e_opens_the_test_function_in_its_source(workdir, editor_calls):
    from .diff_support import SEED

    project = workdir / "checkout"
    recording = project / "tests" / "integration" / "responses" / "recordings" / "seed.json"
    recording.parent.mkdir(parents=True)
    shutil.copyfile(CORPUS / SEED, recording)
    source = project / "tests" / "integration" / "responses" / "test_tool_responses.py"
    source.write_text(
        "import pytest\n\n\ndef test_response_non_streaming_file_search_helper():\n    pass\n\n\n"
        "def test_response_non_streaming_file_search(openai_client, text_model_id):\n    pass\n"
    )
    app = TuiReplayApp([str(project)], Config(watch=False))
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("E")
        await wait_for(pilot, lambda: _runs(editor_calls), what="the editor")
        assert _runs(editor_calls) == [["+8", str(source.resolve())]]
        source.unlink()
        await pilot.press("E")
        await wait_for(pilot, lambda: any("Test source not found" in n.message for n in app._notifications))
        assert len(_runs(editor_calls)) == 1


async def test_y_copies_the_path_and_says_when_the_terminal_may_drop_it(corpus_subset, monkeypatch):
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        key = app.browse.table.highlighted_row.key
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Copied the path" in n.message for n in app._notifications))
        assert app.clipboard == key
        monkeypatch.setenv("TMUX", "/nonexistent/tmux-socket,1,0")  # inside tmux, which cannot say
        await pilot.press("down", "y")
        await wait_for(pilot, lambda: any("may not arrive" in n.message for n in app._notifications))
        [warning] = [n for n in app._notifications if "may not arrive" in n.message]
        assert "set-clipboard on" in warning.message and warning.severity == "warning"
        assert app.clipboard == app.browse.table.highlighted_row.key != key
        monkeypatch.delenv("TMUX")
        monkeypatch.setenv("TERM", "dumb")
        await pilot.press("y")
        await wait_for(pilot, lambda: any("(dumb) may not support" in n.message for n in app._notifications))


async def test_search_in_the_raw_view_goes_from_match_to_match(corpus_subset):
    from tui_replay.app.screens.raw import RawScreen

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_loaded(pilot)
        await _replay(pilot, SEED_ANSWER)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, RawScreen), what="the raw view")
        raw = app.screen
        await pilot.press("1", "slash", *"file-383513632278", "enter")  # the request: the tool's result
        await pilot.pause()
        view = raw.query_one("#raw-request-json")
        matches = list(raw.search_matches)
        assert len(matches) >= 2 and matches[0][0] > 30  # far below the first screen
        status = str(raw.query_one("#search-status").render())
        assert status == f"1 of {len(matches)}: line {matches[0][0] + 1}"
        scroll = view.parent
        assert scroll.scroll_y > 0 and "file-383513632278" in screen_text(app)
        first_scroll = scroll.scroll_y
        await pilot.press("n")
        await pilot.pause()
        assert str(raw.query_one("#search-status").render()).startswith(f"2 of {len(matches)}: ")
        assert scroll.scroll_y >= first_scroll and "file-383513632278" in screen_text(app)
        await pilot.press("N", "N")  # round the end to the last match
        await pilot.pause()
        assert str(raw.query_one("#search-status").render()).startswith(f"{len(matches)} of ")
        await pilot.press("2")  # the response: the same search, in the tab shown
        await pilot.pause()
        # (the streamed answer splits the marker across chunks: not found as one string there)
        assert raw.search_term == "file-383513632278" and raw.search_matches == []
        assert "no match for file-383513632278 in this tab" in screen_text(app)
        await pilot.press("slash", *"experts", "enter")
        await pilot.pause()
        assert str(raw.query_one("#search-status").render()).startswith("1 of ")
        await pilot.press("slash", *"no such words", "enter")
        await pilot.pause()
        assert "no match for no such words in this tab" in screen_text(app)
        assert not raw.check_action("search_next", ())


def test_the_readme_keys_tables_name_every_binding_of_the_main_screens():
    from tui_replay.app.app import known_binding_ids

    readme = (REPO / "README.md").read_text()
    keys = readme[readme.index("## Keys") : readme.index("## Commands")]
    main = {"app", "table", "browse", "replay", "compare", "diff"}
    missing = sorted(i for i in known_binding_ids() if i.split(".")[0] in main and f"`{i}`" not in keys)
    assert not missing, f"not in the README's key tables: {missing}"
