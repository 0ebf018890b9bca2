"""What went wrong, in one line with exit 2, never an internal exception's text (issue 17, item 12):
a base URL with a bad port, an endless timeout, a server that streams events that are not JSON."""

from __future__ import annotations

import json

import pytest

from live.fake_server import ScriptedServer, reply, sse_chunk
from live.helpers import run_cli
from live.test_bounds import _one_error_line, _stored

INTERNAL = ("ExceptionGroup", "OverflowError", "JSONDecodeError", "InvalidURL", "internal error", "Traceback")


def _clear(done) -> str:
    line = _one_error_line(done)  # exit 2, one line
    assert not any(word in line for word in INTERNAL), line
    return line


@pytest.mark.parametrize(
    ("base_url", "cause"),
    [
        ("http://127.0.0.1:99999/v1", "Port out of range"),
        ("http://127.0.0.1:abc/v1", "'abc'"),
        ("http://user:pw@[::1/v1", "Invalid IPv6 URL"),
        ("http://:8080/v1", "with a host"),
        ("http://127.0.0.1:0/v1", "port 0"),
    ],
)
def test_a_base_url_that_cannot_be_reached_says_why(tmp_path, base_url, cause):
    stored = _stored(tmp_path, stream=False)
    done = run_cli("compare", str(stored), "--base-url", base_url)
    line = _clear(done)
    assert "base URL" in line and cause in line
    assert "pw" not in line


@pytest.mark.parametrize("value", ["inf", "nan", "1e300", "86401"])
def test_a_timeout_beyond_a_day_is_refused(tmp_path, value):
    stored = _stored(tmp_path, stream=False)
    done = run_cli("compare", str(stored), "--base-url", "http://127.0.0.1:9/v1", "--timeout", value)
    assert done.returncode == 2 and not any(word in done.stderr for word in INTERNAL)
    assert (
        f"argument --timeout: must be more than 0 and at most 86400 seconds (a day): {value}" in done.stderr
    )
    config = tmp_path / "endless.toml"
    config.write_text(f"[live]\ntimeout = {value}\n")
    done = run_cli("compare", str(stored), "--base-url", "http://127.0.0.1:9/v1", "--config", str(config))
    assert "`live.timeout` must be more than 0 and at most 86400 seconds" in _clear(done)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "plain"])
def test_an_answer_that_is_not_json_is_named_as_such(tmp_path, stream):
    stored = _stored(tmp_path, stream=stream)
    if stream:
        body = sse_chunk("Red", role="assistant") + b"data: {not json\n\n"
        content_type = "text/event-stream"
    else:
        body, content_type = b"{not json", "application/json"

    with ScriptedServer(answer=lambda connection, request: reply(connection, body, content_type)) as server:
        done = run_cli("compare", str(stored), "--base-url", server.base_url, "--json")
    line = _clear(done)
    assert "not an OpenAI-compatible reply: not JSON" in line
    assert json.loads(done.stdout)["error"] in line
