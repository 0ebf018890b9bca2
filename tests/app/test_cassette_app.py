"""A vcr cassette in the app (Pilot): each interaction is a row, Enter replays it to the end."""

from __future__ import annotations

import re
import shutil

from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.app.widgets.key_status import KeyStatusLabel
from tui_replay.recording.load import load_recording

from .helpers import CORPUS, make_app, screen_text, table_keys, wait_for, wait_loaded

RESPONSES_STREAM = (
    "pydantic-ai/test_openai_responses__test_openai_responses_model_file_search_tool_stream.yaml"
)
CHAT_STREAM = "crewai/llms__openai__test_openai_async_streaming_returns_usage_metrics.yaml"


async def test_a_cassette_interaction_opens_and_replays_to_its_answer(workdir):
    folder = workdir / "recordings"
    folder.mkdir()
    for name in (RESPONSES_STREAM, CHAT_STREAM):
        shutil.copy(CORPUS / "cassettes" / name, folder / name.split("/")[-1])
    responses_file = f"recordings/{RESPONSES_STREAM.split('/')[-1]}"
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_loaded(pilot)
        keys = table_keys(app)
        assert all("#" in key for key in keys) and len(keys) > 2  # one row per interaction
        rows = {key: app.browse.summaries[key] for key in keys}
        key = next(k for k, s in rows.items() if k.startswith(responses_file) and s.kind == "responses")
        assert rows[key].streaming and rows[key].format == "vcr"
        app.browse.table.highlight_key(key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
        screen = app.screen
        assert screen.path == key
        await wait_for(pilot, lambda: screen.player is not None, what="the recording to load")
        await pilot.press("end")  # to the end of the stream
        await wait_for(pilot, lambda: screen.player.at_end, what="the end of the replay")
        answer = screen.query_one(AnswerView).text
        expected = load_recording(key).response.text
        assert expected and answer.strip() == expected.strip()
        # No request-hash key status for a cassette (it would read "mis-keyed").
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(screen.query_one("#replay-key", KeyStatusLabel).render()) == ""
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.browse, what="the browse screen")


# ------------------------------------------------------------------ the other kinds of cassette

PYDANTIC = CORPUS / "cassettes" / "pydantic-ai"
SESSION = "realtime__test_openai_ws__test_tool_call_round.yaml"
GRPC = "xai__test_search_tools__test_xai_builtin_file_search_tool.xai.yaml"
EMPTY = (
    "test_multimodal_tool_returns__test_multimodal_tool_return_matrix"
    "[direct-uploaded_file-audio-xai].xai.yaml"
)


def card_problems(pane) -> str:
    return "".join(card.problems_text for card in pane.response_cards.values())


def _copy_kinds(workdir) -> None:
    folder = workdir / "recordings"
    folder.mkdir()
    for name in (SESSION, GRPC, EMPTY):
        shutil.copy(PYDANTIC / name, folder / name)


async def _open(pilot, app, key: str) -> ReplayScreen:
    app.browse.table.highlight_key(key)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.player is not None or screen.recording is not None, what="the load")
    return screen


async def test_a_realtime_session_replays_as_a_timeline_event_by_event(workdir):
    from tui_replay.app.widgets.tool_calls_pane import ToolCallsPane

    _copy_kinds(workdir)
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await wait_loaded(pilot)
        session = f"recordings/{SESSION}"
        assert session in table_keys(app)  # the file is the row: no #N
        assert app.browse.summaries[session].kind == "realtime"
        screen = await _open(pilot, app, session)
        await wait_for(pilot, lambda: screen.player is not None, what="the timeline")
        assert screen.player.count == 50  # one step per websocket frame
        if screen.player.playing:
            await pilot.press("space")  # pause the replay that started on opening
        await pilot.press("home", "right")  # frame 0: session.created
        await pilot.pause()
        assert screen.query_one(AnswerView).text.strip() == "· session.created (gpt-realtime)"
        await pilot.press("end")
        await wait_for(pilot, lambda: screen.player.at_end, what="the end of the session")
        shown = screen.query_one(AnswerView).text
        assert "· user: What is the weather in London?" in shown
        assert "It is foggy and 12 degrees in London." in shown
        assert "· tool result for get_weather: It is foggy and 12 degrees in London." in shown
        assert "[bold]" not in shown and "session.update: instructions Use the get_weather tool" in shown
        pane = screen.query_one(ToolCallsPane)
        calls = [(card.state[0], card.state[1]) for card in pane.response_cards.values()]
        assert calls == [("get_weather", "call_uMNE0Myi2tDTPu0w")]
        assert card_problems(pane) == ""  # the arguments fit the session's declared tool
        # The raw view shows the cassette's own YAML (the whole file here); `n` the normalized one.
        await pilot.press("v")
        raw = app.screen
        await wait_for(pilot, lambda: raw.source_text is not None, what="the cassette's YAML")
        assert raw.source_text.startswith("version: 1\ninteractions:\n- kind: message\n  direction: received")
        assert raw.query_one("#raw-tabs").active == "raw-cassette"
        await pilot.press("n")
        assert raw.query_one("#raw-tabs").active in ("raw-chunk", "raw-request")
        await pilot.press("y")
        assert raw.query_one("#raw-tabs").active == "raw-cassette"


async def test_grpc_rows_show_their_number_and_their_own_yaml(workdir):
    _copy_kinds(workdir)
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await wait_loaded(pilot)
        text = screen_text(app)
        # Four interactions of one test: each row says which one it is.
        for number in range(4):
            assert f"test_xai_builtin_file_search_tool #{number}" in text
        app.browse.fold_all(True)  # grouped, every group open: rows named by file, still numbered
        await pilot.pause()
        grouped = screen_text(app)
        kinds = ["unknown", "unknown", "chat", "unknown"]  # create, upload_document, the chat, delete
        for number, kind in enumerate(kinds):  # a long name is cut, never its number
            assert re.search(rf"xai__test_search_tools__\S*#{number} +{kind} ", grouped), grouped
        await pilot.press("g")
        await pilot.pause()
        key = f"recordings/{GRPC}#2"
        screen = await _open(pilot, app, key)
        await wait_for(pilot, lambda: screen.recording is not None, what="the recording")
        assert screen.recording.kind == "chat"
        title = str(screen.query_one("#replay-title").render())
        assert f"{GRPC}#2" in title
        await pilot.press("v")
        raw = app.screen
        await wait_for(pilot, lambda: raw.source_text is not None, what="the cassette's YAML")
        lines = (PYDANTIC / GRPC).read_text().splitlines()
        assert raw.source_text.splitlines()[0] == lines[54] == "- request_sample:"
        assert "[bold]" not in raw.source_text


async def test_an_empty_cassette_opens_to_a_note(workdir):
    from tui_replay.app.widgets.kind_views import EmptyView

    _copy_kinds(workdir)
    app = make_app()
    async with app.run_test(size=(150, 45)) as pilot:
        await wait_loaded(pilot)
        key = f"recordings/{EMPTY}"
        row = app.browse.summaries[key]
        assert (row.status, row.kind) == ("ok", "empty")
        screen = await _open(pilot, app, key)
        await wait_for(pilot, lambda: bool(screen.query(EmptyView)), what="the empty-cassette view")
        note = str(screen.query_one("#empty-note").render())
        assert "no interactions" in note
