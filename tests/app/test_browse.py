"""The browse screen, driven through Textual's Pilot on real recordings."""

from __future__ import annotations

import os
import time

from textual import events

from tui_replay.app.screens.help import HelpScreen
from tui_replay.app.widgets.filter_bar import FilterBar
from tui_replay.app.widgets.preview import RecordingPreview
from tui_replay.app.widgets.recording_table import MARK_MARKER, RecordingTable
from tui_replay.app.widgets.status_bar import StatusBar

from .helpers import (
    GUARDRAIL_TEST,
    HOSTILE_MODEL,
    SEED_ANSWER,
    SEED_TOOL_CALL,
    SUBSET,
    make_app,
    record_calls,
    run_palette_command,
    screen_text,
    search_palette,
    table_keys,
    wait_for,
    wait_loaded,
)

SIZE = (160, 45)


def _name(path: str) -> str:
    return os.path.basename(path)


def _preview_text(app) -> str:
    return str(app.browse.query_one(RecordingPreview).render())


def _status_text(app) -> str:
    return str(app.browse.query_one(StatusBar).render())


async def test_opens_on_a_folder_and_lists_every_recording(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        assert len(browse.summaries) == len(SUBSET)
        assert sorted(_name(key) for key in table_keys(app)) == sorted(_name(path) for path in SUBSET)
        assert all(summary.status == "ok" for summary in browse.summaries.values())
        assert f"{len(SUBSET)} recordings" in _status_text(app)
        assert isinstance(app.focused, RecordingTable)
        # The seed tool call shows its test, kind, endpoint and model.
        text = screen_text(app)
        # Long ids drop the file name first, then are cut in the middle: the test's start and
        # the parameters' end stay.
        assert "test_response_" in text and "file_search[" in text and "experts_pdf]" in text
        assert "/v1/chat/completions" in text and "gpt-4o" in text


async def test_an_empty_folder_says_so(workdir):
    (workdir / "recordings").mkdir()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert "No recording files (*.json, *.yaml) under: recordings" in screen_text(app)
        assert "0 recordings" in _status_text(app)


async def test_plain_filter_narrows_as_you_type(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("slash")
        assert app.focused is app.browse.query_one(FilterBar).input
        await pilot.press(*"guardrails")
        await pilot.pause()
        keys = table_keys(app)
        assert len(keys) == 5
        assert all(GUARDRAIL_TEST in app.browse.summaries[key].test_id for key in keys)
        assert "5 of 16 recordings" in _status_text(app)
        await pilot.press(*"zzz")
        assert "No recording matches the filter." in screen_text(app)
        await pilot.press(*["backspace"] * 3)
        # A file-name word matches too (the names are hashes).
        await pilot.press(*["backspace"] * len("guardrails"), *SEED_ANSWER)
        await pilot.pause()
        assert [_name(key)[:12] for key in table_keys(app)] == [SEED_ANSWER]


async def test_field_filters_combine(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        browse.set_filter("model:gpt-4o has:citations")
        await pilot.pause()
        names = sorted(_name(key)[:12] for key in table_keys(app))
        assert names == ["2443581bf4a7", SEED_ANSWER]
        browse.set_filter("kind:chat has:tools")
        await pilot.pause()
        assert {_name(key)[:12] for key in table_keys(app)} == {SEED_TOOL_CALL, "75ae2f583e3e"}
        browse.set_filter("test:file_search -has:citations -kind:embeddings")
        await pilot.pause()
        assert [_name(key)[:12] for key in table_keys(app)] == [SEED_TOOL_CALL]
        browse.set_filter("kind:embeddings")
        await pilot.pause()
        assert [browse.summaries[key].kind for key in table_keys(app)] == ["embeddings"]


async def test_keys_typed_in_one_burst_after_the_slash_all_land_in_the_filter(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        # As a fast typist or a paste delivers them: all queued before the first is handled
        # (pilot.press would wait after each key).
        for character in "/gs test:file_search path:llama-stack/":
            key = {"/": "slash", ":": "colon", " ": "space", "-": "minus", "_": "underscore"}.get(
                character, character
            )
            event = events.Key(key, character)
            event.set_sender(app)
            app._driver.send_message(event)
        await pilot.pause()
        browse = app.browse
        assert browse.query_text == "gs test:file_search path:llama-stack/"
        assert not browse.grouped and browse.sort_column is None  # g and s were typed, not run


async def test_a_filter_that_cannot_be_read_says_why_and_keeps_the_rows(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        app.browse.set_filter("has:colour")  # pasted at once: the last good filter (none) stays
        await pilot.pause()
        bar = app.browse.query_one(FilterBar)
        assert bar.has_class("-invalid")
        assert "has:colour is not known" in screen_text(app)
        assert len(table_keys(app)) == len(SUBSET)
        await pilot.press("slash", *["backspace"] * 6, *"tools")
        await pilot.pause()
        assert not bar.has_class("-invalid")
        assert len(table_keys(app)) == 3  # the seed tool call, the agents tool call, Gemini


async def test_sort_by_key_and_by_clicking_a_header(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        await pilot.press("s")  # first sortable column: test
        assert browse.sort_column == "test"
        tests = [browse.summaries[key].test_id for key in table_keys(app)]
        known = [test for test in tests if test]
        assert known == sorted(known, key=str.lower)
        assert tests[len(known) :] == [None] * (len(tests) - len(known))  # no test id last
        # Click the "Chunks" header: a number column sorts biggest first, then again: ascending.
        x = browse.table.column_offset("chunks")
        assert x is not None
        await pilot.click(RecordingTable, offset=(x + 1, 0))
        assert browse.sort_column == "chunks" and browse.descending
        chunks = [browse.summaries[key].chunks for key in table_keys(app)]
        assert chunks == sorted(chunks, reverse=True) and chunks[0] > chunks[-1]
        assert "sort: chunks ▼" in _status_text(app)
        await pilot.click(RecordingTable, offset=(x + 1, 0))
        assert not browse.descending
        chunks = [browse.summaries[key].chunks for key in table_keys(app)]
        assert chunks == sorted(chunks)
        await pilot.press("S")
        assert browse.descending
        assert "sort: chunks ▼" in _status_text(app)


async def test_sorting_goes_to_the_top_and_the_header_shows_the_direction(corpus_subset):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:  # narrow: the Chunks header is cut
        await wait_loaded(pilot)
        browse = app.browse
        await pilot.press("end")
        assert browse.table.cursor_row == len(SUBSET) - 1
        await pilot.press("s")  # by test, ascending
        assert browse.table.cursor_row == 0 and browse.table.scroll_y == 0
        header = screen_text(app).splitlines()[1]
        assert "Test ▲" in header
        await pilot.press("end", "S")
        assert browse.table.cursor_row == 0
        assert "Test ▼" in screen_text(app).splitlines()[1]
        browse.set_sort("tokens")  # a number column: biggest first, even chosen by name
        await pilot.pause()
        header = screen_text(app).splitlines()[1]
        assert browse.descending and "▼" in header[browse.table.column_offset("tokens") :]
        browse.set_sort("chunks")
        await pilot.pause()
        at = browse.table.column_offset("chunks")
        header = screen_text(app).splitlines()[1]
        # The column is narrower than "Chunks ▼": the label gives way, the arrow stays.
        assert header[at : at + 7].rstrip().endswith("▼"), header


async def test_group_by_test_folds_and_unfolds(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        await pilot.press("g")
        assert browse.grouped
        rows = browse.table.rows
        assert rows[0].is_group and rows[0].label == "agents/test_openai_responses.py"
        assert rows[0].count == 6
        guardrail = next(row for row in rows if row.is_group and GUARDRAIL_TEST in row.label)
        assert guardrail.count == 5 and not guardrail.expanded  # a big test starts folded
        # Orphans (no test id) gather last.
        assert rows[[row.key for row in rows].index("file:(no test id)")].count == 2
        # Move onto the folded test and unfold it with enter, fold it with left.
        browse.table.highlight_key(guardrail.key)
        await pilot.press("enter")
        index = browse.table.index_of(guardrail.key)
        assert browse.table.rows[index].expanded
        children = browse.table.rows[index + 1 : index + 6]
        assert all(GUARDRAIL_TEST in row.summary.test_id for row in children)
        assert GUARDRAIL_TEST in _preview_text(app) and "5 recordings" in _preview_text(app)
        await pilot.press("down")
        assert browse.table.highlighted_row.summary is not None
        await pilot.press("left")  # from a recording: up to its group
        assert browse.table.highlighted_row.key == guardrail.key
        await pilot.press("left")
        assert not browse.table.rows[browse.table.index_of(guardrail.key)].expanded
        assert len(browse.table.rows) == len(rows)
        browse.fold_all(False)
        await pilot.pause()
        assert all(row.is_group and row.depth == 0 for row in browse.table.rows)
        browse.fold_all(True)
        await pilot.pause()
        assert sum(1 for row in browse.table.rows if not row.is_group) == len(SUBSET)
        await pilot.press("g")
        assert not browse.grouped and len(table_keys(app)) == len(SUBSET)


async def test_highlight_shows_a_cheap_preview(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        key = next(key for key in table_keys(app) if SEED_ANSWER in key)
        browse.table.highlight_key(key)
        await pilot.pause()
        preview = _preview_text(app)
        assert "Llama 4 Maverick" in preview  # the user's question
        assert "The Llama 4 Maverick model has 128 experts" in preview  # the answer's start
        assert "1 citation" in preview
        await pilot.press("down")
        assert _preview_text(app) != preview


async def test_unreadable_files_are_error_rows_with_a_reason(hostile_files):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        errors = {
            _name(key): summary for key, summary in browse.summaries.items() if summary.status == "error"
        }
        assert set(errors) == {"truncated.json", "empty.json"}
        text = screen_text(app)
        assert "error: not valid JSON" in text
        browse.set_filter("status:error")
        await pilot.pause()
        assert sorted(_name(key) for key in table_keys(app)) == ["empty.json", "truncated.json"]
        browse.table.highlight_key(next(key for key in table_keys(app) if key.endswith("truncated.json")))
        await pilot.pause()
        assert "truncated" in _preview_text(app)
        assert "2 unreadable" in _status_text(app)


async def test_recorded_text_is_never_markup(hostile_files):
    app = make_app()
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        key = next(key for key in table_keys(app) if key.endswith("/markup.json"))
        browse.table.highlight_key(key)
        await pilot.pause()
        text = screen_text(app)
        # Markup shows as typed, escapes as visible placeholders; nothing is interpreted.
        assert HOSTILE_MODEL in text
        assert (
            "[bold]hi[/bold] ␛[31mred␛[0m ␛]0;title␇ $accent [link=http://evil]x[/link] <U+202E>abc" in text
        )
        assert "[blink]answer[/blink] ␛[2J␛[H cleared? [/]" in text
        assert "[bold red]boom[/]-␛]0;pwned␇" in text
        assert "\x1b" not in text and "\x07" not in text
        assert app.title == "tui-replay"
        # The grouped view shows the same text literally, and a file whose *name* is markup
        # under its literal name.
        await pilot.press("g")
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]boom[/]" in text and "[red]named[-red].json" in text
        await search_palette(pilot, "boom", "[bold red]boom")


async def test_help_lists_the_keys_of_the_current_screen(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = {entry.binding_id for entry in app.screen.entries}
        assert {
            "browse.filter",
            "browse.group",
            "browse.sort",
            "browse.watch",
            "app.help",
            "table.open",
        } <= ids
        text = screen_text(app)
        assert "Keys: Browse" in text and "Filter" in text and "browse.follow" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert not isinstance(app.screen, HelpScreen)
        # f1 works from inside the filter box too (where ? is just a character).
        await pilot.press("slash", "f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        assert app.is_running


async def test_palette_jumps_to_a_recording_by_name(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        browse.set_filter("kind:embeddings")  # the target is hidden by the filter
        await pilot.pause()
        await search_palette(pilot, "53d2488c9ea9", "53d2488c9ea9.json")
        assert "Jump to (clears the filter)" in screen_text(app)  # said before the jump
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is browse, what="the palette to close")
        row = browse.table.highlighted_row
        assert row is not None and row.key.endswith("53d2488c9ea9.json")
        assert browse.predicate is None  # the filter was cleared to show it, and that is said
        assert any("Cleared the filter 'kind:embeddings'" in n.message for n in app._notifications)


async def test_palette_jump_keeps_a_filter_that_shows_the_target(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        browse.set_filter("kind:generate")
        await pilot.pause()
        shown = table_keys(app)
        await search_palette(pilot, "53d2488c9ea9", "53d2488c9ea9.json")
        assert "clears the filter" not in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is browse, what="the palette to close")
        assert browse.table.highlighted_row.key.endswith("53d2488c9ea9.json")
        assert browse.query_text == "kind:generate" and table_keys(app) == shown
        assert not any("Cleared the filter" in n.message for n in app._notifications)


async def test_help_is_generic_and_the_palette_jumps_back_from_a_replay(corpus_subset):
    from tui_replay.app.screens.replay import ReplayScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        ids = {entry.binding_id for entry in app.screen.entries}
        assert "replay.play" in ids and "browse.filter" not in ids
        assert "Keys: Replay" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
        await run_palette_command(pilot, "53d2488c9ea9", "53d2488c9ea9.json")
        await wait_for(pilot, lambda: app.screen is browse, what="the browse screen")
        assert browse.table.highlighted_row.key.endswith("53d2488c9ea9.json")


async def test_palette_runs_the_main_actions(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await run_palette_command(pilot, "group by test", "Group by test")
        await wait_for(pilot, lambda: app.browse.grouped, what="grouping")


async def test_enter_opens_the_replay_and_escape_comes_back(corpus_subset):
    from tui_replay.app.screens.replay import ReplayScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        key = next(key for key in table_keys(app) if SEED_ANSWER in key)
        browse.table.highlight_key(key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
        assert app.screen.path == key
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is browse, what="the browse screen")
        assert browse.table.highlighted_row.key == key


async def test_q_quits_with_status_zero(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_escape_on_the_list_keeps_the_filter_and_does_not_quit(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("slash", *"gemini", "escape")
        assert isinstance(app.focused, RecordingTable)
        assert len(table_keys(app)) == 1
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.is_running and app.browse.query_text == "gemini" and len(table_keys(app)) == 1
        assert any("q or ctrl+q quits" in n.message for n in app._notifications)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_three_escapes_from_an_export_keep_the_filter_and_grouping(corpus_subset):
    from tui_replay.app.screens.export import ExportScreen
    from tui_replay.app.screens.replay import ReplayScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        await pilot.press("slash", *"kind:chat", "enter")
        await pilot.pause()
        await pilot.press("g")
        await wait_for(pilot, lambda: browse.grouped, what="grouping")
        browse.fold_all(True)
        await pilot.pause()
        rows = table_keys(app)
        key = next(key for key in rows if SEED_ANSWER in key)
        browse.table.highlight_key(key)
        browse.table.focus()
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen.ready, what="replay"
        )
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), what="the exports")
        await pilot.press("escape", "escape", "escape")
        await pilot.pause()
        assert app.is_running and app.screen is browse
        assert browse.query_text == "kind:chat" and browse.grouped
        assert table_keys(app) == rows and browse.table.highlighted_row.key == key


async def test_palette_keys_opens_the_same_key_list_as_question_mark(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await run_palette_command(pilot, "keys", "keymap ids")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        assert "Keys: Browse" in screen_text(app)
        assert not app.browse.query("HelpPanel")  # not Textual's own side panel


def test_help_names_widgets_in_words():
    from textual.widget import Widget

    from tui_replay.app.screens.help import _where

    class ContentTabs(Widget):  # the name Textual gives the tab row of a TabbedContent
        pass

    assert _where(ContentTabs()) == "in the content tabs"
    assert _where(ContentTabs(id="tabs")) == "in the content tabs"  # never an internal id


async def test_preview_shows_question_and_answer_when_the_test_id_is_long(corpus_subset):
    app = make_app()
    async with app.run_test(size=(120, 45)) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        key = next(key for key in table_keys(app) if SEED_ANSWER in key)
        assert len(browse.summaries[key].test_id) > 150  # wider than the preview
        browse.table.highlight_key(key)
        await pilot.pause()
        shown = screen_text(app)  # what the terminal shows, not the widget's text
        assert "user  How many experts does the Llama 4 Maverick model have?" in shown
        assert "answer The Llama 4 Maverick model has 128 experts" in shown
        assert "test  tests/integration/responses/test_tool_responses.py::test_response_non" in shown


async def test_preview_says_how_many_choices_an_answer_has(tmp_path):
    from edited_corpus import second_choice_stream

    second_choice_stream(tmp_path)
    app = make_app([str(tmp_path)])
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        [key] = table_keys(app)
        app.browse.table.highlight_key(key)
        await pilot.pause()
        assert "2 choices" in _preview_text(app)


async def test_a_half_typed_field_filter_keeps_the_rows_from_before_the_word(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        bar = browse.query_one(FilterBar)
        await pilot.press("slash", *"guardrails")
        await pilot.pause()
        guardrails = table_keys(app)
        assert len(guardrails) == 5
        # Key by key, `has:tools`: the free word `has` matches none of them; `has:` and
        # `has:t`... cannot be read. Those leave the rows of `guardrails`, not of `has`.
        await pilot.press("space", *"has")
        await pilot.pause()
        assert table_keys(app) == []
        for key in ["colon", *"tool"]:
            await pilot.press(key)
            await pilot.pause()
            assert bar.has_class("-invalid")
            assert table_keys(app) == guardrails, browse.query_text
        await pilot.press("s")
        await pilot.pause()
        assert not bar.has_class("-invalid") and table_keys(app) == []  # guardrails with tools: none


async def test_the_reason_a_filter_cannot_be_read_is_shown_whole_on_a_narrow_terminal(corpus_subset):
    app = make_app()
    async with app.run_test(size=(60, 24)) as pilot:
        await wait_loaded(pilot)
        await pilot.press("slash", *"kind:embedding")
        await pilot.pause()
        message = str(app.browse.query_one("#filter-error").render())
        assert message.startswith("kind:embedding is not known (use one of: chat,")
        assert message.endswith("error, unknown)") and len(message) > 60
        shown = " ".join(" ".join(screen_text(app).split()).split(" "))
        assert message in shown  # wrapped over lines, never cut
        assert len(table_keys(app)) == len(SUBSET)  # kind: cannot be read: every row stays


async def test_zero_matches_says_so_in_the_table(corpus_subset):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        app.browse.set_filter("model:no-such-model")
        await pilot.pause()
        assert table_keys(app) == []
        lines = screen_text(app).splitlines()
        assert "No recording matches the filter: model:no-such-model" in lines[2]  # under the header
        assert "0 of 16 recordings" in _status_text(app)
        app.browse.set_filter("")
        await pilot.pause()
        assert "No recording matches" not in screen_text(app)


async def test_the_test_column_keeps_the_test_name_whole_and_drops_the_module(corpus_subset):
    app = make_app()
    async with app.run_test(size=(120, 45)) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        key = next(key for key in table_keys(app) if SEED_ANSWER in key)
        test_id = browse.summaries[key].test_id
        module, _, test = test_id.partition("::")
        name, _, params = test.partition("[")
        at = browse.table.index_of(key) + 2  # the filter bar and the header above the rows
        row = screen_text(app).splitlines()[at]
        assert f" {name}[" in row  # the whole function name, then its parameters
        assert "…" in row.split(name, 1)[1] and params.rstrip("]")[-4:] + "]" in row  # cut in the middle
        assert "test_tool_responses.py" not in row and "tests/integration" not in row
        for other in table_keys(app):  # no row shows its module, long id or short
            line = screen_text(app).splitlines()[browse.table.index_of(other) + 2]
            assert ".py" not in line, line
        browse.table.highlight_key(key)
        await pilot.pause()
        assert module in _preview_text(app)  # the module is in the preview


async def test_files_of_the_same_name_in_different_folders_show_their_folder(workdir):
    import shutil

    from .helpers import CORPUS

    source = CORPUS / "llama-stack-2025-10/recordings/responses/53d2488c9ea9.json"  # no test id
    for folder in ("first", "second"):
        target = workdir / "recordings" / folder / "recordings"
        target.mkdir(parents=True)
        shutil.copyfile(source, target / source.name)
    shutil.copyfile(source, workdir / "recordings" / "first" / "other.json")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        text = screen_text(app)
        assert "first/…/53d2488c9ea9.json" in text and "second/…/53d2488c9ea9.json" in text
        assert " other.json " in text  # a name held once stays short
        await pilot.press("g")
        await pilot.pause()
        text = screen_text(app)
        assert "first/…/53d2488c9ea9.json" in text and "second/…/53d2488c9ea9.json" in text


async def test_on_a_big_listing_keys_typed_in_a_burst_filter_once(corpus_subset, monkeypatch):
    """From DEBOUNCE_FROM recordings on, the first key filters at once and the keys that follow
    it in a burst wait for the typing to pause (here the threshold is lowered to the 16
    recordings of the subset)."""
    from tui_replay.app.screens import browse as browse_module
    from tui_replay.catalog.view import ListingView

    monkeypatch.setattr(browse_module, "DEBOUNCE_FROM", 10)
    # Generous windows: a slow machine's pause inside the burst must not split it.
    monkeypatch.setattr(browse_module, "BURST_SECONDS", 5.0)
    monkeypatch.setattr(browse_module, "DEBOUNCE_SECONDS", 0.3)
    applied = record_calls(monkeypatch, ListingView, "set_query", lambda view, text: text)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        for character in "/guardrails":  # all queued before the first is handled, as a paste
            event = events.Key("slash" if character == "/" else character, character)
            event.set_sender(app)
            app._driver.send_message(event)
        await wait_for(pilot, lambda: app.browse.query_text == "guardrails", what="the filter")
        # The first key at once (its echo and the table in one frame), then one filter for the
        # rest of the burst, not one per key.
        assert applied == ["g", "guardrails"]
        assert len(table_keys(app)) == 5
        await pilot.press("enter")  # enter applies at once what is typed
        assert applied == ["g", "guardrails"]


async def test_rows_arriving_in_small_batches_lay_out_as_rows_loaded_at_once(corpus_subset, monkeypatch):
    """The columns keep room for the scrollbar once the rows overflow, however they arrived."""
    from tui_replay.catalog import session as session_module

    async def shown() -> str:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_loaded(pilot)
            return screen_text(app)

    at_once = await shown()
    monkeypatch.setattr(session_module, "FIRST_BATCH", 2)
    monkeypatch.setattr(session_module, "BATCH_ROWS", 2)
    assert await shown() == at_once


async def test_drawn_lines_are_reused_and_drawn_again_when_what_they_show_changes(corpus_subset):
    """The table keeps drawn recording lines (a filter typed shows them again); the cursor, a
    mark, the focus and the theme each draw them anew."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        table = app.browse.table
        table.cursor_row = 0
        await pilot.pause()

        def line(index: int):
            return table.render_line(index + 1)  # line 0 is the header

        def text(index: int) -> str:
            return "".join(segment.text for segment in line(index))

        first, second = line(0), line(1)
        assert line(0) is first and line(1) is second  # kept, not drawn again
        table.cursor_row = 1
        assert line(0) != first and line(1) != second  # the cursor's style moved
        unfocused = line(1)
        await pilot.press("slash")  # the filter box takes the focus: the cursor looks different
        await pilot.pause()
        assert line(1) != unfocused
        await pilot.press("escape")
        await pilot.pause()
        before_mark = text(1)
        await pilot.press("m")
        await pilot.pause()
        assert text(1) != before_mark and text(1).lstrip().startswith(MARK_MARKER)
        themed = line(1)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        assert line(1) != themed


async def test_the_status_bar_says_how_far_loading_is_and_that_counts_are_partial(corpus_subset, monkeypatch):
    """Until every row is in: files done of those found so far, counts `so far`, grouping
    `(partial)`; then the plain counts."""
    from tui_replay.catalog import session as session_module
    from tui_replay.catalog.catalog import Catalog

    monkeypatch.setattr(session_module, "FIRST_BATCH", 2)
    monkeypatch.setattr(session_module, "BATCH_ROWS", 2)
    real_read = Catalog.read_rows

    def slow_read(catalog, found):  # loading outlasts the grouping set below, however fast the reader
        time.sleep(0.03)
        return real_read(catalog, found)

    monkeypatch.setattr(Catalog, "read_rows", slow_read)
    shown: list[str] = []
    real = StatusBar.show_status

    def show_status(bar, status):
        real(bar, status)
        shown.append(str(bar.render()))

    monkeypatch.setattr(StatusBar, "show_status", show_status)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.browse.set_grouped(True)
        await wait_loaded(pilot)
        await pilot.pause()
        loading = [text for text in shown if "loading:" in text]
        assert loading, shown
        assert all(" so far" in text and "files found…" in text for text in loading)
        assert any("grouped by test (partial)" in text for text in loading)
        final = _status_text(app)
        assert "loading" not in final and "so far" not in final and "(partial)" not in final
        assert f"{len(app.browse.summaries)} recordings" in final and "grouped by test" in final


async def test_rows_appended_below_the_screen_are_reached_before_the_scrollbar_follows(corpus_subset):
    """While rows load below the screen the virtual size (a layout of the whole screen) is put
    off a moment; End still goes to the very last row and shows it."""
    from tui_replay.app.widgets.recording_table import VIRTUAL_SIZE_DELAY
    from tui_replay.catalog.view import TableRow

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.pause()
        table = app.browse.table
        summaries = list(app.browse.summaries.values())
        more = [TableRow(f"{summary.path}#{copy}", summary) for copy in range(4) for summary in summaries]
        assert len(table.rows) + len(more) > 2 * table.size.height
        table.append_rows(more[: table.size.height])  # (these show: the table grows at once)
        assert table.virtual_size.height == len(table.rows) + 1
        half = table.size.height + (len(more) - table.size.height) // 2
        table.append_rows(more[table.size.height : half])  # below the screen: put off
        assert table.virtual_size.height < len(table.rows) + 1
        await pilot.pause(VIRTUAL_SIZE_DELAY * 3)
        assert table.virtual_size.height == len(table.rows) + 1  # the scrollbar caught up
        table.append_rows(more[half:])
        assert table.virtual_size.height < len(table.rows) + 1
        await pilot.press("end")  # before the scrollbar follows
        await pilot.pause()
        assert table.cursor_row == len(table.rows) - 1
        assert table.virtual_size.height == len(table.rows) + 1
        top = round(table.scroll_y)
        assert top < table.cursor_row < top + table.size.height - 1  # on screen


async def test_the_status_line_changes_at_most_every_tenth_of_a_second_while_loading(corpus_subset):
    """Batches of rows come faster than that (each update is a frame): the latest is shown then;
    a status with nothing loading is shown at once."""
    from tui_replay.app.widgets.status_bar import LOADING_UPDATE_SECONDS, BrowseStatus

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.pause(LOADING_UPDATE_SECONDS * 2)
        bar = app.browse.query_one(StatusBar)
        bar.show_status(BrowseStatus(total=10, loading=(10, 20), partial=True))
        assert "loading: 10 of 20" in str(bar.render())
        bar.show_status(BrowseStatus(total=15, loading=(15, 20), partial=True))
        bar.show_status(BrowseStatus(total=18, loading=(18, 20), partial=True))
        assert "loading: 10 of 20" in str(bar.render())  # not yet
        await pilot.pause(LOADING_UPDATE_SECONDS * 3)
        assert "loading: 18 of 20" in str(bar.render())  # the latest
        bar.show_status(BrowseStatus(total=19, loading=(19, 20), partial=True))
        bar.show_status(BrowseStatus(total=20))
        assert "20 recordings" in str(bar.render()) and "loading" not in str(bar.render())
        await pilot.pause(LOADING_UPDATE_SECONDS * 3)
        assert "loading" not in str(bar.render())  # the put-off one does not come back
