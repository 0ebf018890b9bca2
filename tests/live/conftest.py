"""Stored recordings made once per session from real answers of the live server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from live.helpers import (
    FORCE_WEATHER,
    SAMPLING,
    WEATHER_TOOL,
    record_chat,
    record_completion,
    record_models,
)


@dataclass(frozen=True)
class Stored:
    folder: Path
    chat_stream: Path
    chat: Path
    tool_stream: Path
    tool: Path
    completion_stream: Path
    models: Path


QUESTION = [{"role": "user", "content": "Name three colors."}]
WEATHER = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.fixture(scope="session")
def stored(live_server, tmp_path_factory) -> Stored:
    folder = tmp_path_factory.mktemp("stored")
    url = live_server.base_url
    model = live_server.model
    chat = {"model": model, "messages": QUESTION, "max_tokens": 24, **SAMPLING}
    tool = {
        "model": model,
        "messages": WEATHER,
        "max_tokens": 32,
        "tools": [WEATHER_TOOL],
        "tool_choice": FORCE_WEATHER,
        **SAMPLING,
    }
    completion = {"model": model, "prompt": "The sky is", "max_tokens": 12, "stream": True, **SAMPLING}
    # Recorded tool calls last: the first tests re-issue them while the server still holds that
    # (longest) prompt in its cache; the chat tests then share one short prompt.
    completion_stream = record_completion(url, folder / "completion-stream.json", completion)
    models = record_models(url, folder / "models.json")
    chat_stream = record_chat(url, folder / "chat-stream.json", {**chat, "stream": True})
    chat_path = record_chat(url, folder / "chat.json", chat)
    tool_path = record_chat(url, folder / "tool.json", tool)
    tool_stream = record_chat(url, folder / "tool-stream.json", {**tool, "stream": True})
    return Stored(folder, chat_stream, chat_path, tool_stream, tool_path, completion_stream, models)
