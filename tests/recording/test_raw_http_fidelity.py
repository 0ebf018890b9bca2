"""Raw-HTTP, tool and file recordings as recorded: error text, endpoint, Interactions parts (issue 12)."""

from __future__ import annotations

import json

import pytest
from edited_corpus import (
    INTERACTIONS_SPACED_ERROR,
    SPACED_MESSAGE,
    WEATHER,
    corpus_file,
    error_body_with_layout,
    exception_with_layout,
    interactions_function_turns,
)

from tui_replay.recording.load import load_recording
from tui_replay.recording.summary import summarize_file


def test_error_message_keeps_the_servers_spacing():
    path = corpus_file(INTERACTIONS_SPACED_ERROR)
    recorded = json.loads(path.read_text())["response"]["body"]["error"]["message"]
    assert "  " in recorded  # the real file: runs of spaces as the server sent them
    exception = load_recording(path).response.exception
    assert exception is not None and exception.status == 400
    assert exception.message == recorded


@pytest.mark.parametrize("build", [error_body_with_layout, exception_with_layout])
def test_error_message_keeps_newlines_and_tabs(tmp_path, build):
    exception = load_recording(build(tmp_path)).response.exception
    assert exception is not None and exception.message == SPACED_MESSAGE


@pytest.mark.parametrize(
    ("prefix", "endpoint"),
    [
        ("190a176922b9", "/v1beta/interactions"),
        ("cf0be7f9e2eb", "/v1/messages"),
        ("f22657bfd86d", "/v1/messages"),
        ("54aa690e31b5", "tool_runtime/web_search"),
        ("268e65efffed", "file_processors/pypdf"),
    ],
)
def test_endpoint_stands_in_where_none_was_recorded(prefix, endpoint):
    path = corpus_file(prefix)
    assert json.loads(path.read_text())["request"].get("endpoint") is None
    assert load_recording(path).endpoint == endpoint
    assert summarize_file(path).endpoint == endpoint


def test_recorded_endpoint_wins_over_the_url():
    path = corpus_file("ccf305c14285")  # url .../v1/v1/chat/completions, endpoint /v1/chat/completions
    request = json.loads(path.read_text())["request"]
    assert load_recording(path).endpoint == request["endpoint"] != request["url"]


def test_interactions_function_call_args_and_response_are_shown(tmp_path):
    recording = load_recording(interactions_function_turns(tmp_path))
    user, model, result = recording.messages
    assert user.role == "user" and "weather in Paris" in user.text
    [call] = model.tool_calls
    assert model.role == "assistant" and call.name == "get_weather" and call.id == "o5slgqcy"
    assert json.loads(call.arguments) == {"location": "Paris"}
    assert result.role == "tool" and result.name == "get_weather" and result.tool_call_id == "o5slgqcy"
    assert json.loads(result.text) == WEATHER
    assert "[function_response]" not in " ".join(m.text for m in recording.messages)
