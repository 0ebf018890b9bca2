"""A vcr cassette in the app (Pilot): each interaction is a row, Enter replays it to the end."""

from __future__ import annotations

import shutil

from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.app.widgets.key_status import KeyStatusLabel
from tui_replay.recording.load import load_recording

from .helpers import CORPUS, make_app, table_keys, wait_for, wait_loaded

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
