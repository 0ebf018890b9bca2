"""The compare view in the real app machinery (Pilot) against the real llama.cpp server."""

from __future__ import annotations

import json
import shutil
import time

from live_server import free_port
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, Static

from live.helpers import edit_recording, long_story
from tui_replay.app.screens.compare import CompareScreen
from tui_replay.config import Config
from tui_replay.recording.load import load_recording

SIZE = (140, 45)


class CompareApp(App[None]):
    """The smallest app that shows the compare screen, as the replay screen's `r` does."""

    def __init__(self, path, base_url: str) -> None:
        super().__init__()
        self.recording = load_recording(path)
        self.recording.path = str(path)
        self.compare_config = Config().override(live_base_url=base_url, live_model="qwen-tiny")

    def on_mount(self) -> None:
        self.push_screen(CompareScreen(self.recording, self.compare_config))


def plain(app: App, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def wait_for(pilot, condition, what: str, timeout: float = 30) -> None:
    """Let the app run until `condition()` holds (the machine may be slow and shared)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def settle(pilot, screen: CompareScreen, timeout: float = 120) -> None:
    """Wait until the screen's request has finished (answer, error or cancel)."""
    deadline = time.monotonic() + timeout
    await pilot.pause(0.05)
    while screen.busy:
        assert time.monotonic() < deadline, "the live request did not finish in time"
        await pilot.pause(0.05)
    await pilot.pause(0.05)


async def test_live_answer_streams_and_compares_same(live_server, stored, tmp_path, monkeypatch):
    # a recordings tree of a llama-stack checkout: the capture must not land in it
    recordings = tmp_path / "tests" / "integration" / "chat" / "recordings"
    recordings.mkdir(parents=True)
    path = recordings / "chat-stream.json"
    shutil.copy(stored.chat_stream, path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the default capture folder
    app = CompareApp(path, live_server.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await settle(pilot, screen)
        assert screen.error is None
        stored_text = app.recording.response.text
        assert plain(app, "#stored-answer") == stored_text
        assert plain(app, "#live-answer") == stored_text
        assert "".join(screen._live_buffer) == stored_text  # it arrived chunk by chunk
        assert plain(app, "#compare-status").startswith("same")
        assert plain(app, "#text-diff").startswith("Text: identical")
        table = screen.query_one("#metrics", DataTable)
        labels = [table.get_row_at(i)[0].plain for i in range(table.row_count)]
        assert labels[:2] == ["finish reason", "prompt tokens"]
        assert {"time to first chunk", "total time", "chunks", "tokens per second"} <= set(labels)
        finish = table.get_row_at(0)
        assert (finish[1].plain, finish[2].plain) == ("stop", "stop")

        # `s` saves the live capture in the user data folder, never in the recordings tree.
        original = path.read_bytes()
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.saved is not None, "the capture to be saved")
        saved = screen.saved
        assert saved is not None and saved.parent == tmp_path / "data" / "tui-replay" / "captures"
        assert list(recordings.iterdir()) == [path]
        assert saved.name.startswith("chat-stream.live-") and saved.suffix == ".json"
        assert path.read_bytes() == original
        capture = load_recording(saved)
        assert capture.chunk_times and capture.response.text == stored_text

        # `n` re-issues several times and reports how stable the answer is.
        await pilot.press("n")
        await settle(pilot, screen)
        assert len(screen.runs) == 3
        assert plain(app, "#stability").startswith("Stability: 3/3 live answers match the stored one")


async def test_differences_are_highlighted_and_literal(live_server, stored, tmp_path):
    hostile = "[bold]Purple[/bold] \x1b[31m is a color"

    def tamper(obj):
        obj["response"]["body"]["__data__"]["choices"][0]["message"]["content"] = hostile

    path = edit_recording(stored.chat, tamper, tmp_path / "tampered.json")
    app = CompareApp(path, live_server.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        assert plain(app, "#compare-status").startswith("different")
        stored_pane = plain(app, "#stored-answer")
        assert "[bold]Purple[/bold]" in stored_pane and "\x1b" not in stored_pane and "\u241b" in stored_pane
        diff = screen.query_one("#text-diff", Static).content
        assert isinstance(diff, Text)
        removed = [diff.plain[s.start : s.end] for s in diff.spans if "strike" in str(s.style)]
        added = [diff.plain[s.start : s.end] for s in diff.spans if "green" in str(s.style)]
        assert any("[bold]Purple[/bold]" in piece for piece in removed)
        assert "".join(added).strip()


async def test_tool_call_difference_is_listed(live_server, stored, tmp_path):
    def tamper(obj):
        call = obj["response"]["body"]["__data__"]["choices"][0]["message"]["tool_calls"][0]
        call["function"]["arguments"] = json.dumps({"city": "Lyon"})

    path = edit_recording(stored.tool, tamper, tmp_path / "tool.json")
    app = CompareApp(path, live_server.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app.screen)
        tools = plain(app, "#tool-diff")
        assert tools.startswith("Tool calls: differ")
        assert 'stored: get_weather {"city": "Lyon"}' in tools
        assert "live: get_weather" in tools


async def test_errors_show_in_the_pane_and_the_app_stays_usable(live_server, stored, tmp_path):
    port = free_port()
    app = CompareApp(stored.chat, f"http://127.0.0.1:{port}/v1")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await settle(pilot, screen)
        assert screen.error == f"connection refused: nothing is listening at 127.0.0.1:{port}"
        assert "connection refused" in plain(app, "#live-answer")
        await pilot.press("r")  # try again: still an error, still no crash
        await settle(pilot, screen)
        assert app.is_running and app.screen is screen and "connection refused" in screen.error

    def reject(obj):
        obj["request"]["body"]["messages"] = [{"role": "developer", "content": "hi"}]

    path = edit_recording(stored.chat, reject, tmp_path / "rejected.json")
    app = CompareApp(path, live_server.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app.screen)
        assert plain(app, "#live-answer").startswith(
            "Could not re-issue the request\nHTTP 500 from the server:"
        )
        await pilot.press("s")  # nothing to save: a notification, not a crash
        await pilot.pause(0.1)
        assert app.is_running and app.screen.saved is None


async def test_escape_cancels_a_running_request_and_goes_back(live_server, stored, tmp_path):
    path = long_story(stored.chat_stream, 400, tmp_path / "long.json")
    app = CompareApp(path, live_server.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        deadline = time.monotonic() + 60
        while not screen._live_buffer:  # streaming has started
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        (worker,) = [w for w in screen.workers if w.group == "live-compare"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not screen, "the screen to close")
        await wait_for(pilot, lambda: worker.is_cancelled, "the request to be cancelled")
        assert not screen.runs  # no half answer passed off as a result


async def test_a_shape_that_cannot_be_reissued_says_so_and_back_works(tmp_path):
    obj = {
        "test_id": None,
        "request": {"provider": "tavily", "tool_name": "web_search", "kwargs": {"query": "x"}},
        "response": {
            "body": {
                "__type__": "ogx_api.tools.ToolInvocationResult",
                "__data__": {"content": "{}", "error_message": None, "error_code": None, "metadata": None},
            },
            "is_streaming": False,
        },
    }
    path = tmp_path / "tool-invocation.json"
    path.write_text(json.dumps(obj))
    app = CompareApp(path, "http://127.0.0.1:9/v1")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.error is not None, "the refusal")
        assert plain(app, "#live-answer").startswith("Could not re-issue the request\ncannot re-issue a tool")
        assert not screen.query_one("#metrics").display  # no empty "stored / live" table
        assert not screen.busy and screen.check_action("reissue", ()) is None
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not screen, "the screen to close")
        assert app.is_running


async def test_r_on_the_replay_screen_of_the_real_app_opens_the_compare_view(
    live_server, stored, tmp_path, monkeypatch
):
    from tui_replay.app.app import TuiReplayApp
    from tui_replay.app.screens.replay import ReplayScreen

    monkeypatch.setenv("TUI_REPLAY_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "recordings"
    folder.mkdir()
    path = folder / "chat.json"
    shutil.copy(stored.chat, path)
    config = Config().override(live_base_url=live_server.base_url, live_model="qwen-tiny", watch=False)
    app = TuiReplayApp([str(folder)], config, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        replay = ReplayScreen(str(path), config=config)
        await app.push_screen(replay)
        deadline = time.monotonic() + 30
        while replay.recording is None:
            assert time.monotonic() < deadline, "the replay screen did not load the recording"
            await pilot.pause(0.05)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare view")
        compare_screen = app.screen
        await settle(pilot, compare_screen)
        assert plain(app, "#compare-status").startswith("same"), compare_screen.error
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is replay, "the replay screen again")


async def test_a_saved_capture_replays_in_step_with_the_live_answer(live_server, stored, tmp_path):
    from live.helpers import run_cli

    capture = tmp_path / "capture.json"
    done = run_cli(
        "compare", str(stored.chat_stream), "--base-url", live_server.base_url, "--save", str(capture)
    )
    assert done.returncode == 0, done.stderr
    app = CompareApp(capture, live_server.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert screen.replays_stored
        final = app.recording.response.text
        samples = []
        deadline = time.monotonic() + 120
        while screen.busy or screen._stored_timer is not None:
            assert time.monotonic() < deadline
            samples.append(plain(app, "#stored-answer"))
            await pilot.pause(0.02)
        assert all(final.startswith(s) or s == "…" for s in samples), samples
        assert plain(app, "#stored-answer") == final
        assert plain(app, "#compare-status").startswith("same")


async def test_the_api_key_is_never_on_screen_or_in_the_capture(live_server, stored, tmp_path, monkeypatch):
    secret = "sk-screen-test-0123456789-SECRET"
    monkeypatch.setenv("TUI_SCREEN_KEY", secret)
    path = tmp_path / "chat-stream.json"
    shutil.copy(stored.chat_stream, path)
    for base_url in (live_server.base_url, f"http://user:{secret}@127.0.0.1:{free_port()}/v1"):
        app = CompareApp(path, base_url)
        app.compare_config = app.compare_config.override(
            live_api_key_env="TUI_SCREEN_KEY",
            live_save_dir=str(tmp_path),  # [live] save_dir
        )
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            await settle(pilot, screen)
            if screen.runs:
                await pilot.press("s")
                await wait_for(pilot, lambda s=screen: s.saved is not None, "the capture to be saved")
            assert secret not in app.export_screenshot()
    saved = list(tmp_path.glob("chat-stream.live-*.json"))
    assert len(saved) == 1
    assert secret not in saved[0].read_text()


async def test_a_saved_capture_is_marked_in_the_list_and_diffs_with_its_original(
    live_server, stored, tmp_path, monkeypatch
):
    from live.helpers import run_cli
    from tui_replay.app.app import TuiReplayApp
    from tui_replay.app.screens.diff import DiffScreen
    from tui_replay.catalog.view import status_text

    monkeypatch.setenv("TUI_REPLAY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    originals = tmp_path / "recordings"
    originals.mkdir()
    shutil.copy(stored.chat_stream, originals / "chat-stream.json")
    done = run_cli(
        "compare",
        str(originals / "chat-stream.json"),
        "--base-url",
        live_server.base_url,
        "--json",
        "--save",
        env={"TUI_REPLAY_SAVE_DIR": str(tmp_path / "captures")},
    )
    assert done.returncode == 0, done.stderr
    capture = json.loads(done.stdout)["saved"]
    capture_row = f"captures/{capture.rsplit('/', 1)[1]}"
    app = TuiReplayApp(["recordings", "captures"], Config().override(watch=False), use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.browse.loaded, "the list")
        summaries = app.browse.summaries
        assert status_text(summaries[capture_row]) == "capture"
        assert status_text(summaries["recordings/chat-stream.json"]) == "ok"
        app.browse.set_filter("capture:yes")
        await wait_for(pilot, lambda: len(app.browse.table.rows) == 1, "the capture filter")
        app.browse.set_filter("")
        await wait_for(pilot, lambda: len(app.browse.table.rows) == 2, "the whole list")
        assert app.browse.table.highlight_key("recordings/chat-stream.json")
        await pilot.press("m")
        assert app.browse.table.highlight_key(capture_row)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen), "the diff screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.comparison is not None, "the comparison")
        # the same answer again: only ids, timestamps and the chunk times differ
        assert screen.comparison.verdict == "same-answer", screen.comparison.describe()
