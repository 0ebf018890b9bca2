"""`compare` against hostile servers: bounded in time and memory, strict about what a reply is,
careful with query strings and the API key. Each case runs the real command line.

The stored side is a small recording in the recorder's layout; the fake servers
(fake_server.py) answer whatever is asked, so most cases need no model.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from live.fake_server import (
    ScriptedServer,
    echo_authorization,
    fixed,
    header,
    huge_single_chunk,
    trickle_forever,
)
from live.helpers import chat_bodies, run_cli
from tui_replay.live.record_format import recording_dict, write_recording_atomic

SECRET = "sk-bounds-test-9876543210-SECRET"
# Interpreter start-up and imports of a fresh `python -m tui_replay` on a busy 2-core machine.
START_UP_SLACK_S = 4.0


def _stored(folder: Path, *, stream: bool) -> Path:
    chunk, completion = chat_bodies("Red")
    body = {"model": "m", "messages": [{"role": "user", "content": "A color?"}], "stream": stream}
    obj = recording_dict(
        test_id="tests/live::bounds",
        endpoint="/v1/chat/completions",
        base_url="http://127.0.0.1:1/v1",
        body=body,
        response_body=[chunk] if stream else completion,
        is_streaming=stream,
    )
    return write_recording_atomic(folder / ("stream.json" if stream else "plain.json"), obj)


def _one_error_line(done) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_a_huge_single_chunk_stops_at_the_answer_limit(tmp_path):
    stored = _stored(tmp_path, stream=True)
    config = tmp_path / "limit.toml"
    config.write_text('[live]\nmax_answer = "2M"\n')
    for extra, shown in (
        ((), "8 MiB"),
        (("--max-answer", "1M"), "1 MiB"),
        (("--config", str(config)), "2 MiB"),
    ):
        server = ScriptedServer()
        server.answer = huge_single_chunk(server, megabytes=200)
        with server:
            done = run_cli("compare", str(stored), "--base-url", server.base_url, *extra)
            sent = server.sent_bytes
        assert f"answer larger than {shown}" in _one_error_line(done)
        # the client stopped reading at the limit: what the server got out is the limit plus
        # socket buffers, not the 200 MiB it tried to send (which took 3.2 GB before the limit)
        assert sent < 48 << 20, sent


def test_a_non_positive_answer_limit_is_refused(tmp_path):
    stored = _stored(tmp_path, stream=True)
    done = run_cli("compare", str(stored), "--base-url", "http://127.0.0.1:9/v1", "--max-answer", "0")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "argument --max-answer: not a positive size" in done.stderr
    config = tmp_path / "zero.toml"
    config.write_text('[live]\nmax_answer = "-5"\n')
    done = run_cli("compare", str(stored), "--base-url", "http://127.0.0.1:9/v1", "--config", str(config))
    assert "`live.max_answer` is not a positive size (e.g. 512K, 32M, 1G): -5" in _one_error_line(done)


def test_timeout_bounds_the_whole_command_not_only_the_download(tmp_path):
    """40 MiB arrive in about a second; comparing and printing them took 17 s before --timeout
    covered the whole command."""
    stored = _stored(tmp_path, stream=True)
    for extra in ((), ("--json",)):
        server = ScriptedServer()
        server.answer = huge_single_chunk(server, megabytes=40)
        with server:
            started = time.monotonic()
            done = run_cli(
                "compare", str(stored), "--base-url", server.base_url, "--max-answer", "512M",
                "--timeout", "3", *extra,
            )  # fmt: skip
            elapsed = time.monotonic() - started
        # on a busy machine the deadline may already fall in the download: a timeout either way
        line = _one_error_line(done)
        assert any(f"{cause} within 3 s" in line for cause in ("did not finish", "no complete answer"))
        assert elapsed < 3 + START_UP_SLACK_S, elapsed
        if extra:
            assert json.loads(done.stdout)["error"].startswith("timeout:")


def test_a_stream_that_trickles_forever_ends_at_the_timeout(tmp_path):
    stored = _stored(tmp_path, stream=True)
    server = ScriptedServer()
    server.answer = trickle_forever(server)
    with server:
        started = time.monotonic()
        done = run_cli("compare", str(stored), "--base-url", server.base_url, "--timeout", "2")
        elapsed = time.monotonic() - started
    assert "timeout: no complete answer within 2 s" in _one_error_line(done)
    assert elapsed < 2 + START_UP_SLACK_S, elapsed


HTML = b"<!doctype html><html><body><form>Sign in</form></body></html>"


@pytest.mark.parametrize(
    ("stream", "body", "content_type", "expected"),
    [
        (False, HTML, "text/html; charset=utf-8", "an HTML page (text/html; charset=utf-8)"),
        (True, HTML, "text/html", "an HTML page (text/html)"),
        (False, b'{"status": "ok"}', "application/json", "a JSON object with keys status"),
        (False, b"[1, 2, 3]", "application/json", "a JSON array"),
        (False, b'{"choices": "none"}', "application/json", "expected an object with `choices`"),
        (True, b'data: {"status": "ok"}\n\ndata: [DONE]\n\n', "text/event-stream", "keys status"),
        (True, b": just a comment\n\n", "text/event-stream", "the stream carried no data events"),
    ],
    ids=["html", "html-stream", "other-json", "array", "choices-not-a-list", "sse-other-json", "sse-empty"],
)
def test_a_reply_that_is_not_openai_compatible_is_an_error(tmp_path, stream, body, content_type, expected):
    stored = _stored(tmp_path, stream=stream)
    with ScriptedServer(answer=fixed(body, content_type)) as server:
        done = run_cli("compare", str(stored), "--base-url", server.base_url, "--json")
    line = _one_error_line(done)
    assert "not an OpenAI-compatible reply: " in line and expected in line, line
    assert "internal error" not in line
    assert json.loads(done.stdout)["error"].startswith("not an OpenAI-compatible reply: ")


def test_a_base_url_query_is_sent_with_the_request_and_kept_out_of_output(tmp_path):
    stored = _stored(tmp_path, stream=False)
    with ScriptedServer(answer=echo_authorization()) as server:
        done = run_cli("compare", str(stored), "--base-url", f"{server.base_url}?api-version=2024&tag=x y")
        (request,) = server.requests
    assert done.returncode == 1, done.stderr  # the fake answers other text: different, not an error
    assert request.split(b"\r\n", 1)[0] == b"POST /v1/chat/completions?api-version=2024&tag=x+y HTTP/1.1"
    assert "api-version" not in done.stdout  # a query may carry a secret: never shown
    done = run_cli("compare", str(stored), "--base-url", "http://127.0.0.1:9/v1?a=1&a=2")
    assert "base URL query repeats the parameter 'a'" in _one_error_line(done)


def test_a_base_url_query_against_the_real_server(live_server, stored):
    done = run_cli("compare", str(stored.chat), "--base-url", f"{live_server.base_url}?api-version=2024")
    assert done.returncode == 0, done.stderr
    assert "verdict  same" in done.stdout


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_key_the_server_echoes_is_masked_in_the_report_and_the_capture(tmp_path, stream):
    stored = _stored(tmp_path, stream=stream)
    env = {"TUI_BOUNDS_KEY": SECRET}
    saved = tmp_path / "capture.json"
    outputs = []
    with ScriptedServer(answer=echo_authorization(stream=stream)) as server:
        for extra in (("--save", str(saved)), ("--json",)):
            done = run_cli(
                "compare", str(stored), "--base-url", server.base_url, "--api-key-env", "TUI_BOUNDS_KEY",
                *extra, env=env,
            )  # fmt: skip
            assert done.returncode == 1, done.stderr
            outputs += [done.stdout, done.stderr]
        assert all(header(request, "authorization") == f"Bearer {SECRET}" for request in server.requests)
    assert "you sent Bearer ***" in outputs[0]  # the readable report shows the answer, masked
    assert json.loads(outputs[2])["live"]["text"] == "you sent Bearer ***"
    assert "you sent Bearer ***" in saved.read_text()
    for text in [*outputs, saved.read_text()]:
        assert SECRET not in text


def test_a_key_echoed_in_an_error_message_is_masked(tmp_path):
    stored = _stored(tmp_path, stream=False)
    with ScriptedServer(answer=echo_authorization("401 Unauthorized")) as server:
        done = run_cli(
            "compare", str(stored), "--base-url", server.base_url, "--json",
            "--api-key-env", "TUI_BOUNDS_KEY", env={"TUI_BOUNDS_KEY": SECRET},
        )  # fmt: skip
    line = _one_error_line(done)
    assert "HTTP 401 from the server: you sent Bearer ***" in line
    assert SECRET not in done.stdout + done.stderr
