"""scripts/make_samples.py against the real local llama.cpp server (started here, stopped at the end)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_replay.live import record_format as rf

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_samples.py"


def load_script():
    spec = importlib.util.spec_from_file_location("make_samples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_samples", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


make_samples = load_script()


@pytest.fixture(scope="module")
def live_base_url() -> Iterator[str]:
    try:
        with make_samples.local_server(timeout=180) as base_url:
            yield base_url
    except SystemExit as exc:  # the script reports a missing or failing server this way
        pytest.fail(f"could not start the local llama.cpp server: {exc}")


def make(base_url: str):
    maker = make_samples.SampleMaker.for_server(base_url)
    maker.chat(
        "tiny_stream",
        "short stream",
        messages=[{"role": "user", "content": "Say hello in three words."}],
        max_tokens=8,
        stream=True,
    )
    maker.recorded_error()
    maker.model_list()
    return maker.samples


@pytest.mark.timeout(600)
def test_live_samples_are_valid_and_repeatable(live_base_url: str, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    make_samples.write_samples(make(live_base_url), first)
    make_samples.write_samples(make(live_base_url), second)

    names = sorted(p.name for p in first.glob("*.json"))
    assert len(names) == 3
    # temperature 0 + seed + n_ubatch 1: the same requests give byte-identical files.
    assert names == sorted(p.name for p in second.glob("*.json"))
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name

    for path in first.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert path.name == rf.recording_file_name(data)
        assert rf.dumps_recording(data) == path.read_text(encoding="utf-8")
        assert "sk-no-key" not in path.read_text(encoding="utf-8")
        response = data["response"]
        if data["test_id"].endswith("test_tiny_stream[txt=llamacpp/qwen-tiny]"):
            chunks = response["body"]
            assert response["is_streaming"] and len(chunks) >= 3
            assert chunks[0]["__type__"] == "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"
            text = "".join(c["__data__"]["choices"][0]["delta"]["content"] or "" for c in chunks)
            assert text.strip()
        elif "test_recorded_error" in data["test_id"]:
            assert response["body"] is None and response["is_exception"]
            assert response["exception_data"]["type"] == "InternalServerError"
            assert "Input should be a valid string" in response["exception_message"]
        else:
            assert path.name.startswith("models-")
            assert [m["__data__"]["id"] for m in response["body"]] == ["qwen-tiny"]
