"""The committed samples in recordings/ are valid recordings in the recorder's exact format."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

from tui_replay.live import record_format as rf

SAMPLES = Path(__file__).resolve().parents[2] / "recordings"
TEST_ID = re.compile(r"^tests/integration/samples/test_samples\.py::test_(\w+)\[[^\]]+\]$")


def sample_files() -> list[Path]:
    files = sorted(SAMPLES.glob("*.json"))
    if not files:
        pytest.fail(f"no sample recordings in {SAMPLES}; run scripts/make_samples.py")
    return files


def by_name() -> dict[str, tuple[Path, dict]]:
    result = {}
    for path in sample_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        match = TEST_ID.match(data["test_id"])
        assert match, data["test_id"]
        result[match.group(1)] = (path, data)
    return result


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name[:16])
def test_sample_is_written_exactly_like_the_recorder(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text.isascii()
    assert rf.dumps_recording(data) == text  # 2-space indent, \u escapes, one trailing newline
    assert path.name == rf.recording_file_name(data)  # named by the recomputed request hash
    assert data["id_normalization_mapping"] == {}
    request = data["request"]
    assert list(request) == ["method", "url", "headers", "body", "endpoint", "model"]
    assert request["headers"] == {}
    assert "api_key" not in text and "sk-no-key" not in text and "Authorization" not in text
    body = data["response"]["body"]
    items = body if isinstance(body, list) else [body] if body else []
    for item in items:
        item_data = item["__data__"]
        if item_data.get("object") != "model" and "id" in item_data:
            assert item_data["id"] == "rec-" + path.name.removeprefix("models-")[:12]
            assert item_data["created"] == 0


def test_the_required_samples_are_all_there() -> None:
    samples = by_name()
    assert {
        "streamed_answer",
        "long_streamed_answer",
        "non_streamed_answer",
        "streamed_tool_call",
        "tool_call_follow_up",
        "non_streamed_tool_call",
        "truncated_answer",
        "file_search_tool_call",
        "file_search_answer",
        "unsafe_text",
        "recorded_error",
        "model_list",
        "embeddings",
    } <= set(samples)

    _, long = samples["long_streamed_answer"]
    assert len(long["response"]["body"]) >= 150
    assert len(long[rf.CHUNK_TIMES_KEY]) == len(long["response"]["body"])
    assert long[rf.CHUNK_TIMES_KEY] == sorted(long[rf.CHUNK_TIMES_KEY])

    _, truncated = samples["truncated_answer"]
    finishes = [c["__data__"]["choices"][0]["finish_reason"] for c in truncated["response"]["body"]]
    assert finishes[-1] == "length"

    _, error = samples["recorded_error"]
    response = error["response"]
    assert response["body"] is None and response["is_exception"] is True
    assert response["exception_data"]["category"] == "provider_sdk"
    assert response["exception_data"]["provider"] == "openai"
    assert response["exception_data"]["status_code"] == 500

    _, follow_up = samples["tool_call_follow_up"]
    messages = follow_up["request"]["body"]["messages"]
    assert messages[1]["content"] == "" and messages[1]["tool_calls"]
    assert messages[2]["role"] == "tool" and isinstance(messages[2]["content"], str)

    _, unsafe = samples["unsafe_text"]
    user = unsafe["request"]["body"]["messages"][0]["content"]
    for needle in ("[bold]", "\x1b[31m", "\x1b]0;", "\x07", "\r"):
        assert needle in user

    _, models = samples["model_list"]
    assert models["request"]["endpoint"] == "/v1/models"
    assert models["response"]["body"][0]["__type__"] == "openai.types.model.Model"


def test_every_sample_opens_in_the_parser() -> None:
    load = importlib.import_module("tui_replay.recording.load")
    kinds = {}
    for name, (path, _) in by_name().items():
        recording = load.load_recording(str(path))
        kinds[name] = recording.kind
        if name == "streamed_tool_call":
            assert [call.name for call in recording.response.tool_calls] == ["get_weather"]
            assert recording.response.tool_calls[0].parsed_arguments()[0] == {"city": "Paris"}
        if name == "non_streamed_tool_call":
            assert [call.name for call in recording.response.tool_calls] == ["get_weather"]
            assert recording.response.finish_reason == "tool_calls"
        if name == "file_search_answer":
            assert len(recording.retrieved) == 2
            assert [citation.resolved for citation in recording.citations] == [True]
        if name == "long_streamed_answer":
            assert recording.chunk_times is not None and len(recording.chunk_times) >= 150
        if name == "unsafe_text":
            assert "\x1b[31m" in recording.response.text and "[bold]" in recording.response.text
    assert kinds["recorded_error"] == "error"
    assert kinds["embeddings"] == "embeddings"
    assert kinds["model_list"] == "models"
    assert {kinds[n] for n in ("streamed_answer", "non_streamed_answer", "file_search_answer")} == {"chat"}
