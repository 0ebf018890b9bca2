"""Record if missing, against the real llama.cpp server: the answer reaches the client, is saved
under the recorder's hash, and the same request is then a hit."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from tui_replay.recording.request_hash import classify_file

SECRET = "sk-serve-test-secret-7f3a"
QUESTION = [{"role": "user", "content": "Name three colors."}]


@pytest.fixture
def recording_server(start_serve, live_server, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    serving = start_serve(
        str(tree),
        "--timing",
        "none",
        "--upstream",
        live_server.base_url,
        "--record-dir",
        str(tree / "recorded"),
        "--api-key-env",
        "SERVE_TEST_KEY",
        env={"SERVE_TEST_KEY": SECRET},
    )
    return serving, tree


def sdk(serving, **headers) -> openai.OpenAI:
    return openai.OpenAI(base_url=serving.base_url, api_key="unused", default_headers=headers, max_retries=0)


def chat_body(live_server, **extra):
    return {
        "model": live_server.model,
        "messages": QUESTION,
        "max_tokens": 16,
        "temperature": 0,
        "seed": 42,
        **extra,
    }


def test_a_missed_chat_is_recorded_then_served(recording_server, live_server):
    serving, tree = recording_server
    body = chat_body(live_server)
    first = sdk(serving).chat.completions.with_raw_response.create(**body)
    assert first.headers["x-tui-replay-match"] == "recorded"
    path = first.headers["x-tui-replay-recording"]
    saved = json.loads(Path(path).read_text())
    assert classify_file(saved, path).status == "current"  # named by the recorder's hash
    assert saved["request"]["body"] == body
    text = first.parse().choices[0].message.content
    assert text and saved["response"]["body"]["__data__"]["choices"][0]["message"]["content"] == text
    again = sdk(serving).chat.completions.with_raw_response.create(**body)
    assert again.headers["x-tui-replay-match"] == "hit"
    assert again.headers["x-tui-replay-recording"] == path
    assert again.parse().choices[0].message.content == text
    everything = "\n".join(serving.log_lines(2)) + Path(path).read_text()
    assert SECRET not in everything
    assert [p.name for p in (tree / "recorded" / "recordings").iterdir()] == [path.rsplit("/", 1)[-1]]


def test_a_missed_stream_is_relayed_recorded_with_times_then_served(recording_server, live_server):
    serving, tree = recording_server
    test_id = "tests/integration/inference/test_serve.py::test_stream"
    headers = {"X-Test-Id": test_id}
    body = chat_body(live_server, stream=True)
    live = list(sdk(serving, **headers).chat.completions.create(**body))
    live_text = "".join(c.choices[0].delta.content or "" for c in live if c.choices)
    assert live_text
    folder = tree / "recorded" / "inference" / "recordings"
    (path,) = folder.iterdir()
    saved = json.loads(path.read_text())
    assert saved["test_id"] == test_id
    assert classify_file(saved, str(path)).status == "current"
    assert len(saved["tui_replay_chunk_times"]) == len(saved["response"]["body"]) == len(live)
    replayed = list(sdk(serving, **headers).chat.completions.create(**body))
    assert "".join(c.choices[0].delta.content or "" for c in replayed if c.choices) == live_text
    lines = serving.log_lines(2)
    assert " recorded " in lines[0] and " hit " in lines[1] and str(path) in lines[1]
