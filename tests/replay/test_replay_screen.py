"""The replay screen through Textual's Pilot: every key path, on real corpus files where they exist."""

from __future__ import annotations

import itertools

from replay_builders import cited_recording, streamed_text, tool_call_recording
from replay_helpers import (
    CITED_FILE,
    HEAD,
    TOOL_CALL_FILE,
    BaseScreen,
    ReplayTestApp,
    corpus_file,
    screen_text,
    wait_loaded,
    wait_until,
)
from textual.widgets import OptionList, Tabs

from tui_replay.app.screens.export import ExportScreen
from tui_replay.app.screens.raw import RawScreen
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.app.widgets.citations_pane import FLAG_UNCITED, FLAG_UNRESOLVED, CitationsPane
from tui_replay.app.widgets.json_view import json_text
from tui_replay.app.widgets.markdown_answer_view import MarkdownAnswerView
from tui_replay.app.widgets.tool_calls_pane import ToolCallCard, ToolCallsPane
from tui_replay.recording.model import Citation

WIDE = (120, 40)
NARROW = (80, 24)


async def test_opens_and_autoplays_to_the_end():
    app = ReplayTestApp(corpus_file(CITED_FILE), speed=0.25)  # 0.63 s of paced replay lasts 2.5 s
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        assert screen.player is not None and screen.player.playing  # starts playing when opened
        await wait_until(pilot, lambda: screen.player.at_end)
        assert screen.query_one(AnswerView).text == "The Llama 4 Maverick model has 128 experts [1]."
        assert screen._timer is None  # the timer is gone once playback stops
        assert "chunk 25/25" in screen_text(app)


async def test_pause_stops_the_timer_and_space_resumes():
    app = ReplayTestApp(recording=streamed_text(["word "] * 400))
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        assert screen.player.playing and screen._timer is not None
        await pilot.press("space")
        assert not screen.player.playing and screen._timer is None
        paused_at = screen.player.position
        await pilot.pause(0.3)
        assert screen.player.position == paused_at  # nothing moves while paused
        assert "paused" in screen_text(app)
        await pilot.press("space")
        assert screen.player.playing and screen._timer is not None
        await wait_until(pilot, lambda: screen.player.position > paused_at)


async def test_step_and_seek_keys():
    app = ReplayTestApp(
        recording=streamed_text(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]), autoplay=False
    )
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        answer = screen.query_one(AnswerView)
        assert screen.player.position == 0 and answer.text == ""
        await pilot.press("right", "right", "right")
        assert screen.player.position == 3 and answer.text == "abc"
        await pilot.press("left")
        assert screen.player.position == 2 and answer.text == "ab"
        await pilot.press("end")
        assert screen.player.position == 10 and answer.text == "abcdefghij"
        assert "chunk 10/10" in screen_text(app)
        await pilot.press("home")
        assert screen.player.position == 0 and answer.text == ""
        await pilot.press("right_square_bracket")
        assert screen.player.position == 1  # 10% of 10 chunks
        await pilot.press("end", "left_square_bracket")
        assert screen.player.position == 9 and answer.text == "abcdefghi"


async def test_speed_keys_up_to_instant():
    app = ReplayTestApp(recording=streamed_text(["w "] * 3000), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("plus")
        assert screen.player.speed == 2.0 and "speed 2x" in screen_text(app)
        await pilot.press("minus", "minus", "minus")
        assert screen.player.speed == 0.25
        await pilot.press("minus")
        assert screen.player.speed == 0.25  # the floor
        for _ in range(7):  # 0.5 1 2 4 8 16 32
            await pilot.press("plus")
        assert screen.player.speed == 32.0
        await pilot.press("plus")
        assert screen.player.instant and "speed instant" in screen_text(app)
        await pilot.press("space")
        # 3000 one-token chunks would take 75 s at 1x; instant plays them in a few frames
        await wait_until(pilot, lambda: screen.player.at_end, timeout=5)
        assert screen.query_one(AnswerView).text == "w " * 3000
        await pilot.press("minus")
        assert screen.player.speed == 32.0


async def test_tool_call_pane_grows_with_fragments():
    app = ReplayTestApp(corpus_file(TOOL_CALL_FILE), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        pane = screen.query_one(ToolCallsPane)
        assert pane.response_cards == {}
        await pilot.press("right")
        card = pane.response_cards[0]
        assert card.state == ("knowledge_search", "call_d6FUctD26fVVvlnYAbWc4m6u", "", False)
        assert card.has_class("-streaming")
        seen = []
        for _ in range(14):
            await pilot.press("right")
            seen.append(card.state[2])
        pairs = list(itertools.pairwise(seen))
        assert all(later.startswith(earlier) and later != earlier for earlier, later in pairs)
        assert seen[-1] == '{"query":"Llama 4 Maverick model number of experts"}'
        assert "Maverick" in screen_text(app)
        await pilot.press("end")
        assert card.state[3] is True and not card.has_class("-streaming") and not card.has_class("-flagged")
        await pilot.press("home")
        assert pane.response_cards == {}  # seeking back before the first fragment removes the card


async def test_invalid_and_missing_key_arguments_are_flagged():
    recording = tool_call_recording(
        {
            0: ("get_weather", ['{"days": 2}']),  # misses the required "city"
            1: ("get_weather", ['{"city": 5, "unit": "k"}']),  # wrong type and not in the enum
            2: ("get_weather", ['{"city": "Pa']),  # not valid JSON
            3: ("get_weather", ['{"city": "Paris"}']),  # fine
        }
    )
    app = ReplayTestApp(recording=recording, autoplay=False)
    async with app.run_test(size=(160, 60)) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        cards = screen.query_one(ToolCallsPane).response_cards
        flags = {index: card.has_class("-flagged") for index, card in cards.items()}
        assert flags == {0: True, 1: True, 2: True, 3: False}
        assert "missing required key 'city'" in cards[0].problems_text
        assert "'city' should be string, got integer" in cards[1].problems_text
        assert "'unit' is not one of ['c', 'f']" in cards[1].problems_text
        assert "arguments are not valid JSON" in cards[2].problems_text
        assert cards[3].problems_text == ""


async def test_earlier_tool_calls_show_their_results():
    app = ReplayTestApp(corpus_file(CITED_FILE), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        cards = list(screen.query_one(ToolCallsPane).query(ToolCallCard))
        assert len(cards) == 1 and cards[0].origin == "message 2"
        assert cards[0].result is not None and "BEGIN of knowledge_search" in cards[0].result.text
        result = cards[0].query_one(".result")
        assert result.collapsed  # a long result starts collapsed


async def test_citation_selection_shows_chunk_and_highlights_marker():
    app = ReplayTestApp(corpus_file(CITED_FILE), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        options = screen.query_one("#citation-list", OptionList)
        assert options.option_count == 0  # nothing cited before the marker has played

        def detail() -> str:
            return str(screen.query_one("#citation-chunk").render())

        assert detail() == "No citation played yet."
        marker_chunk = screen.plan.documents[0].played_at
        for _ in range(marker_chunk):
            await pilot.press("right")
        assert options.option_count == 0  # the last piece of the marker has not played yet
        await pilot.press("right")
        assert options.option_count == 1
        assert detail() == "Select a citation to see the chunk it cites."
        await pilot.press("home")
        assert options.option_count == 0 and detail() == "No citation played yet."
        await pilot.press("end")
        assert screen.query_one(AnswerView).text.endswith("128 experts [1].")  # "|>." was one chunk
        options.focus()
        await pilot.pause()
        assert options.highlighted is None
        await pilot.press("enter")  # Enter on a fresh list picks the first citation
        assert options.highlighted == 0
        detail = str(screen.query_one("#citation-chunk").render())
        assert "file-383513632278" in detail and "llama_stack_and_models.pdf" in detail
        assert "score 0.0911" in detail and "token_count: 98.0" in detail
        assert "128  experts" in detail  # the cited chunk text
        rendered = screen.query_one(MarkdownAnswerView)
        assert rendered.selected_citation == 1
        marker = [segment for segment in rendered.render_line(0) if segment.text == "[1]"]
        assert marker and marker[0].style.bgcolor is not None  # highlighted in the rendered answer
        await pilot.press("m")  # the raw text highlights it too
        answer = screen.query_one(AnswerView)
        assert answer.selected_citation == 1
        strip = answer.render_line(0)
        marker = [segment for segment in strip if segment.text == "[1]"]
        assert marker and marker[0].style.bgcolor is not None  # highlighted


async def test_unresolved_marker_and_uncited_chunk_are_flagged():
    app = ReplayTestApp(recording=cited_recording(), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        options = screen.query_one("#citation-list", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts[0].startswith("[1] alpha.pdf") and "×2" in prompts[0]
        assert prompts[1].startswith("[2] file-9") and FLAG_UNRESOLVED in prompts[1]
        pane = screen.query_one(CitationsPane)
        pane.select(2)
        await pilot.pause()
        assert FLAG_UNRESOLVED in str(screen.query_one("#citation-chunk").render())
        uncited = str(screen.query_one("#uncited-text").render())
        assert FLAG_UNCITED in uncited and "beta.pdf" in uncited and "alpha.pdf" not in uncited
        text = screen_text(app)
        assert "Fact one [1]. Fact two [2]. Fact three [1]." in text


async def test_wide_shows_all_panes_narrow_switches_to_tabs():
    app = ReplayTestApp(corpus_file(CITED_FILE), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        panes = ["#pane-answer", "#pane-conversation", "#pane-tools", "#pane-citations"]
        assert not screen.narrow and not screen.query_one(Tabs).display
        assert all(screen.query_one(pane).region.area > 0 for pane in panes)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert screen.narrow and screen.query_one(Tabs).region.area > 0
        visible = [pane for pane in panes if screen.query_one(pane).region.area > 0]
        assert visible == ["#pane-answer"]
        await pilot.press("t")
        await pilot.pause()
        visible = [pane for pane in panes if screen.query_one(pane).region.area > 0]
        assert visible == ["#pane-conversation"]
        await pilot.click("#tab-citations")
        await pilot.pause()
        visible = [pane for pane in panes if screen.query_one(pane).region.area > 0]
        assert visible == ["#pane-citations"]
        await pilot.resize_terminal(*WIDE)
        await pilot.pause()
        assert not screen.narrow
        assert all(screen.query_one(pane).region.area > 0 for pane in panes)


async def test_raw_view_shows_request_response_and_current_chunk():
    app = ReplayTestApp(corpus_file(TOOL_CALL_FILE), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("right", "right", "right")
        await pilot.press("v")
        await pilot.pause()
        raw = app.screen
        assert isinstance(raw, RawScreen)
        chunk = raw.query_one("#raw-chunk-json").source
        assert '"arguments": "query"' in chunk and "ChatCompletionChunk" in chunk
        assert '"endpoint": "/v1/chat/completions"' in raw.query_one("#raw-request-json").source
        assert raw.query_one("#raw-response-json").source.count("ChatCompletionChunk") == 17
        assert raw.query_one("#raw-tabs").active == "raw-chunk"
        await pilot.press("1")
        assert raw.query_one("#raw-tabs").active == "raw-request"
        await pilot.press("escape")
        assert app.screen is screen


async def test_raw_view_caps_base64_and_long_streams():
    image = (
        HEAD / "inference/recordings/006b190876689a0176b00b7bf60ac4944cd9a2e386d37980a2b2466c851686e5.json"
    )
    app = ReplayTestApp(corpus_file(image), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("end", "v")
        await pilot.pause()
        raw = app.screen
        assert isinstance(raw, RawScreen)
        request = raw.query_one("#raw-request-json").source
        assert "data:image" in request and " characters]" in request  # the ~560 KB base64 is capped
        assert len(request) < 20_000
    vector = [0.5] * 1536
    text = json_text({"embedding": vector, "image": "data:image/png;base64," + "A" * 100_000})
    assert "1,528 more numbers (1,536 in all)" in text and "100,022 characters" in text
    assert len(text) < 2_000


async def test_exports_screen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = ReplayTestApp(corpus_file(CITED_FILE), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("x")
        await pilot.pause()
        export = app.screen
        assert isinstance(export, ExportScreen)
        curl = export.query_one("#export-curl-text").text
        assert "http://localhost:8321/v1/chat/completions" in curl and "${OPENAI_API_KEY}" in curl
        assert "client.chat.completions.create(**kwargs)" in export.query_one("#export-python-text").text
        assert "128 experts <|file-383513632278|>." in export.query_one("#export-markdown-text").text
        rerecord = export.query_one("#export-rerecord-text").text
        assert "--inference-mode=record" in rerecord and "'tests/integration/responses/" in rerecord
        await pilot.press("c")
        assert app.clipboard == export.exports["export-curl"]
        await pilot.press("s")
        saved = tmp_path / "ccf305c14285e6c5.curl.sh"
        assert saved.read_text() == export.exports["export-curl"]
        await pilot.press("s")
        assert (tmp_path / "ccf305c14285e6c5-1.curl.sh").is_file()  # never over an existing file
        await pilot.press("3")  # the Markdown tab
        await pilot.pause()
        await pilot.press("c")
        assert app.clipboard.startswith("# `tests/integration/responses/test_tool_responses.py::")
        await pilot.press("escape")
        assert isinstance(app.screen, ReplayScreen)


async def test_back_returns_to_the_previous_screen():
    for key in ("escape", "q"):
        app = ReplayTestApp(recording=streamed_text(["a"]))
        async with app.run_test(size=WIDE) as pilot:
            await wait_loaded(pilot)
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, BaseScreen)


async def test_compare_key_opens_compare_or_explains():
    app = ReplayTestApp(corpus_file(CITED_FILE), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("r")
        await pilot.pause()
        try:
            from tui_replay.app.screens.compare import CompareScreen
        except ImportError:
            assert app.screen is screen
            assert any("not available" in n.message for n in app._notifications)
        else:
            assert isinstance(app.screen, CompareScreen)


async def test_unreadable_file_shows_a_one_line_reason(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"request": [1, 2')
    app = ReplayTestApp(str(bad))
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        assert screen.error is not None and "\n" not in screen.error
        assert "Cannot open this recording" in screen_text(app)
        await pilot.press("space", "x", "v")  # nothing to play, export or show: no crash
        assert app.screen is screen
        await pilot.press("escape")
        assert isinstance(app.screen, BaseScreen)


async def test_selecting_a_citation_scrolls_its_marker_into_view():
    deltas = [f"line {n}\n" for n in range(200)]
    recording = streamed_text([*deltas[:5], "cited <|file-1|>.\n", *deltas[5:]])
    text = recording.response.text
    start = text.index("<|file-1|>")
    recording.citations = [Citation("<|file-1|>", "file-1", start, start + 10, [], None, None, "")]
    app = ReplayTestApp(recording=recording, autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("m", "end")  # the raw text (the rendered answer: test_markdown_answer.py)
        await pilot.pause()
        answer = screen.query_one(AnswerView)
        assert answer.scroll_offset.y > 100  # following the end
        assert answer.row_text(answer.row_of_citation(1)) == "cited [1]."
        screen.query_one(CitationsPane).select(1)
        await pilot.pause()
        top = answer.scroll_offset.y
        assert top <= answer.row_of_citation(1) < top + answer.scrollable_content_region.height


async def test_recorded_chunk_times_are_shown_as_recorded_timing():
    recording = streamed_text(["a", "b", "c"], chunk_times=[0.25, 1.5, 4.0])
    app = ReplayTestApp(recording=recording, autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("right", "right")
        text = screen_text(app)
        assert "chunk 2/3  1.50 s / 4.00 s" in text and "recorded timing" in text


async def test_raw_current_chunk_of_an_sse_stream_is_one_event():
    name = "f22657bfd86db6348c0a0d0b17332dcfc038b345d2a7be8da4b880a433d36a52.json"
    app = ReplayTestApp(corpus_file(HEAD / "messages" / "recordings" / name), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("right", "v")
        await pilot.pause()
        chunk = app.screen.query_one("#raw-chunk-json").source
        assert '"event": "message_start"' in chunk and '"type": "message_start"' in chunk


async def test_clicking_a_marker_in_the_answer_selects_its_citation():
    app = ReplayTestApp(recording=cited_recording(), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("m", "end")  # the raw text (the rendered answer: test_markdown_answer.py)
        answer = screen.query_one(AnswerView)
        assert answer.row_text(0) == "Fact one [1]. Fact two [2]. Fact three [1]."
        column = answer.row_text(0).index("[2]") + 1
        assert answer.citation_at(column, 0) == 2 and answer.citation_at(0, 0) is None
        await pilot.click(AnswerView, offset=(column, 0))
        await pilot.pause()
        assert answer.selected_citation == 2
        assert screen.query_one("#citation-list", OptionList).highlighted == 1
        assert FLAG_UNRESOLVED in str(screen.query_one("#citation-chunk").render())
