"""A key the server splits across stream chunks is masked too (issue 17, item 5).

A real server cannot be made to echo the key on demand: a fake one streams it in two halves.
"""

from __future__ import annotations

import json
import socket
import time

from live.fake_server import ScriptedServer, reply, sse_chunk
from live.helpers import run_cli
from live.test_bounds import _stored

SECRET = "sk-SECRETKEY1234567890abcdef"
HALVES = (SECRET[:14], SECRET[14:])  # "sk-SECRETKEY12", "34567890abcdef"


def _split_key_stream(connection, request) -> None:
    events = (
        sse_chunk(f"part1 {HALVES[0]}", role="assistant")
        + sse_chunk(f"{HALVES[1]} end")
        + sse_chunk("", finish_reason="stop")
        + b"data: [DONE]\n\n"
    )
    reply(connection, events, "text/event-stream")


def test_a_key_split_across_chunks_is_masked_in_the_report_and_the_capture(tmp_path):
    stored = _stored(tmp_path, stream=True)
    captures = tmp_path / "captures"
    env = {"TUI_SPLIT_KEY": SECRET}
    with ScriptedServer(answer=_split_key_stream) as server:
        shown = run_cli(
            "compare", str(stored), "--base-url", server.base_url, "--api-key-env", "TUI_SPLIT_KEY",
            "--save-dir", str(captures), env=env,
        )  # fmt: skip
        as_json = run_cli(
            "compare", str(stored), "--base-url", server.base_url, "--api-key-env", "TUI_SPLIT_KEY", "--json",
            env=env,
        )  # fmt: skip
    assert shown.returncode == 1 and as_json.returncode == 1, shown.stderr + as_json.stderr
    assert json.loads(as_json.stdout)["live"]["text"] == "part1 *** end"
    assert "{+part1 *** end+}" in shown.stdout  # the word diff
    [capture] = captures.iterdir()
    saved = capture.read_text()
    for text in (shown.stdout, shown.stderr, as_json.stdout, as_json.stderr, saved):
        assert SECRET not in text
        assert HALVES[0] not in text and HALVES[1] not in text
    # the capture still reads as the answer, masked once
    chunks = [
        item["__data__"]["choices"][0]["delta"]["content"] for item in json.loads(saved)["response"]["body"]
    ]
    assert "".join(chunk or "" for chunk in chunks) == "part1 *** end"


def test_spans_map_back_onto_the_pieces(monkeypatch):
    from tui_replay.live.target import LiveTarget, redact_stream

    monkeypatch.setenv("TUI_SPLIT_KEY", SECRET)
    target = LiveTarget("http://127.0.0.1:9/v1", None, "TUI_SPLIT_KEY", 5)
    pieces = ["a sk-SE", "CRET", "KEY1234567890ab", f"cdef b {SECRET}{SECRET[:20]}", f"{SECRET[20:]}!"]
    items = [{"choices": [{"delta": {"content": piece}, "index": 0}]} for piece in pieces]
    masked = [item["choices"][0]["delta"]["content"] for item in redact_stream(items, target)]
    assert masked == ["a ***", "", "", " b ******", "!"]
    assert [item["choices"][0]["delta"]["content"] for item in items] == pieces  # a copy is masked


def _slow_split_key_stream(connection, request) -> None:
    """The first half, a pause long enough to be drawn, then the rest."""
    connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
    connection.sendall(sse_chunk(f"part1 {HALVES[0]}", role="assistant"))
    time.sleep(1.5)
    connection.sendall(
        sse_chunk(f"{HALVES[1]} end") + sse_chunk("", finish_reason="stop") + b"data: [DONE]\n\n"
    )
    connection.shutdown(socket.SHUT_RDWR)


async def test_the_compare_view_never_shows_half_a_key_while_it_streams(tmp_path, monkeypatch):
    from live.test_compare_screen import CompareApp, plain, settle, wait_for

    monkeypatch.setenv("TUI_SPLIT_KEY", SECRET)
    stored = _stored(tmp_path, stream=True)
    with ScriptedServer(answer=_slow_split_key_stream) as server:
        app = CompareApp(stored, server.base_url)
        app.compare_config = app.compare_config.override(live_api_key_env="TUI_SPLIT_KEY")
        async with app.run_test(size=(140, 45)) as pilot:
            await wait_for(pilot, lambda: "part1" in plain(app, "#live-answer"), "the first chunk")
            assert HALVES[0] not in plain(app, "#live-answer")  # held back: the next chunk may end the key
            assert "sk-" not in plain(app, "#live-answer")
            await settle(pilot, app.screen)
            final = plain(app, "#live-answer")
    assert "part1 *** end" in final and HALVES[1] not in final
