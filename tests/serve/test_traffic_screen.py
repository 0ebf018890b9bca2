"""The traffic screen (Pilot, the real app, a real server in its worker thread, the real openai
SDK as the client): rows as requests arrive, Enter on a hit replays it, Enter on a miss explains it."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path

import openai
from app.helpers import make_app, run_palette_command, screen_text, wait_for
from textual.widgets import DataTable

from serve.helpers import LLAMA, data, recording
from tui_replay.app.screens.explain import ExplainScreen
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.screens.traffic import TrafficApp, TrafficScreen
from tui_replay.config import Config
from tui_replay.serve.server import bind, build_state

FOLDER = LLAMA / "inference" / "recordings"
CHAT = FOLDER / "a1e4350b0157d85e74c9f661b2d0510434212d7f36fbc1eddacdaf5a62520dd3.json"
SIZE = (150, 30)


def _hit_and_miss(base_url: str) -> tuple[str, str]:
    """One request that is recorded and one that is not (each with the SDK, off the app's loop)."""
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    body = recording(CHAT)["request"]["body"]
    answer = client.chat.completions.create(**body)
    missing = json.loads(json.dumps(body))
    missing["messages"][-1]["content"] = "never recorded"
    try:
        client.chat.completions.create(**missing)
    except openai.NotFoundError as exc:
        return answer.id, str(exc)
    raise AssertionError("the changed request was answered")


async def _traffic(pilot) -> TrafficScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TrafficScreen), what="the traffic screen")
    screen = pilot.app.screen
    await wait_for(
        pilot, lambda: screen.serving is not None and screen.serving.server.started, what="serving"
    )
    return screen


async def test_the_palette_serves_and_shows_each_request(tmp_path):
    app = make_app([str(FOLDER)])
    async with app.run_test(size=SIZE) as pilot:
        await run_palette_command(pilot, "serve these", "Serve these recordings")
        screen = await _traffic(pilot)
        answer_id, miss = await asyncio.to_thread(_hit_and_miss, screen.serving.url + "/v1")
        assert answer_id == data(recording(CHAT)["response"]["body"])["id"]
        assert CHAT.name in miss
        await wait_for(pilot, lambda: len(screen.rows) == 2, what="two rows")
        assert [row.verdict for row in screen.rows] == ["hit", "miss"]
        shown = screen_text(app)
        assert "/v1/chat/completions" in shown and "hit" in shown and "miss" in shown
        assert "1 hit" in shown and "1 miss" in shown
        table = screen.query_one(DataTable)

        table.move_cursor(row=0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
        assert app.screen.path == str(CHAT)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back to the traffic")

        table.move_cursor(row=1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen), what="the explain screen")
        explain = app.screen
        await wait_for(pilot, lambda: explain.result is not None, timeout=30, what="the explanation")
        assert str(CHAT) in explain.shown_text  # the nearest, as `explain` ranks it
        assert "/messages/" in explain.shown_text
        await pilot.press("escape")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TrafficScreen), what="leaving")


async def test_serve_tui_screenshot(tmp_path):
    args = argparse.Namespace(
        paths=[str(FOLDER)],
        timing="none",
        pace=1.0,
        host="127.0.0.1",
        upstream=None,
        record_dir=None,
        api_key_env=None,
        no_cache=False,
    )
    state = build_state(args, Config())
    app = TrafficApp(state, bind("127.0.0.1", 0), Config(), clock=False)
    async with app.run_test(size=(120, 24)) as pilot:
        screen = await _traffic(pilot)
        await asyncio.to_thread(_hit_and_miss, screen.serving.url + "/v1")
        await wait_for(pilot, lambda: len(screen.rows) == 2, what="two rows")
        # screenshots/serve-traffic.svg is this picture: SERVE_SCREENSHOT_DIR=screenshots makes it again
        folder = os.environ.get("SERVE_SCREENSHOT_DIR") or str(tmp_path)
        shot = app.save_screenshot(filename="serve-traffic.svg", path=folder)
        await pilot.press("q")
    text = Path(shot).read_text()
    assert "PORT" in text and "chat/completions" in text
