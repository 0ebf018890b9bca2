"""The recording writer: hashes, layout and bytes match the llama-stack recorder's files."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import httpx2 as httpx
import openai
import pytest
from openai.types.chat import ChatCompletionChunk
from openai.types.model import Model
from support import CORPUS

from tui_replay.live import record_format as rf

HEAD = CORPUS / "llama-stack"


def corpus_or_fail() -> Path:
    if not HEAD.is_dir():
        pytest.fail(f"the vendored corpus is missing at {CORPUS.resolve()} (tests/data/corpus)")
    return HEAD


def load(relative: str) -> tuple[dict, str]:
    path = corpus_or_fail() / relative
    text = path.read_text(encoding="utf-8")
    return json.loads(text), text


def name_hash(path: Path) -> str:
    """The hash part of a file name: <hash>.json or models-<hash>-<digest>.json."""
    stem = path.stem
    return stem.split("-")[1] if stem.startswith("models-") else stem


# Files the spec (§9) says recompute with the current rules, one per request variant.
KNOWN_MATCHES = [
    "responses/recordings/00913934356fb4f196f8c21081154c67a7197dcc26e0326cf72448334c21424d.json",  # stream
    # not streamed
    "inference/recordings/a1e4350b0157d85e74c9f661b2d0510434212d7f36fbc1eddacdaf5a62520dd3.json",
    "responses/recordings/f300a8b24123c89ca028f21f6cf29326be28a95f61b23ec98fd75ed257ade6d7.json",  # exception
    # llama.cpp model list: path exactly /v1/models, so no test id in the hash
    "common/recordings/models-3a641f25d65695766fb77e424273f716b852f371e1e87f6e14fd5672b1ab6005-4a65eed3.json",
    # raw HTTP
    "interactions/recordings/1151b20ef79f0f44639f8133c3d0595d224611608c17d4076a325169e5dbf81e.json",
    "responses/recordings/661e959c98b894f6daf608d415bbf64f6a5a1af0eef8012354886062b9244f7b.json",  # tool
    "inference/recordings/006b190876689a0176b00b7bf60ac4944cd9a2e386d37980a2b2466c851686e5.json",  # image
]


@pytest.mark.parametrize("relative", KNOWN_MATCHES)
def test_known_files_recompute_to_their_name(relative: str) -> None:
    data, _ = load(relative)
    assert rf.recorded_hash(data) == name_hash(HEAD / relative)


def test_inference_hash_is_the_request_hash_of_url_body_and_test_id() -> None:
    data, _ = load(KNOWN_MATCHES[0])
    request = data["request"]
    assert request["url"].endswith("/v1/v1/chat/completions")
    expected = name_hash(HEAD / KNOWN_MATCHES[0])
    assert rf.request_hash(request["url"], request["body"], data["test_id"]) == expected
    # The test id is part of the hash for chat requests.
    assert rf.request_hash(request["url"], request["body"], "tests/other.py::test_x") != expected


def test_high_match_rate_over_the_head_corpus() -> None:
    """§9: most HEAD files recompute; misses are legacy rules, renames and pre-2026-04-09 file search."""
    matched = total = 0
    for path in corpus_or_fail().rglob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        recomputed = rf.recorded_hash(data)
        if recomputed is None:
            continue
        total += 1
        matched += recomputed == name_hash(path)
    assert total > 150
    assert matched / total >= 0.85, f"{matched}/{total} recomputed"


def test_model_list_file_name_includes_the_ids_digest() -> None:
    relative = KNOWN_MATCHES[3]
    data, _ = load(relative)
    assert rf.recording_file_name(data) == Path(relative).name


@pytest.mark.parametrize(
    "relative",
    [
        KNOWN_MATCHES[0],  # streamed chunks
        KNOWN_MATCHES[2],  # exception with body null
        KNOWN_MATCHES[3],  # model list
    ],
)
def test_recording_dict_rebuilds_real_files_byte_for_byte(relative: str) -> None:
    data, text = load(relative)
    request, response = data["request"], data["response"]
    endpoint = request["endpoint"]
    assert request["url"].endswith(endpoint)
    exception = response.get("exception_data")
    rebuilt = rf.recording_dict(
        test_id=data["test_id"],
        endpoint=endpoint,
        base_url=request["url"][: -len(endpoint)],
        body=request["body"],
        model=request["model"],
        response_body=response["body"],
        is_streaming=response["is_streaming"],
        exception=exception,
        provider_metadata=request.get("provider_metadata"),
    )
    if exception is not None:
        assert rebuilt["response"]["exception_message"] == response["exception_message"]
    assert rf.dumps_recording(rebuilt) == text


def test_normalization_of_typed_sdk_objects() -> None:
    chunk = ChatCompletionChunk.model_validate(
        {
            "id": "chatcmpl-real-123",
            "created": 1760000000,
            "model": "qwen-tiny",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": "Hi", "role": "assistant"}, "finish_reason": None}],
        }
    )
    model = Model(id="qwen-tiny", created=1760000000, object="model", owned_by="me")
    hash_hex = "ab" * 32
    wrapped = rf.typed(chunk, normalize_ids_with=hash_hex)
    assert wrapped["__type__"] == "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"
    assert wrapped["__data__"]["id"] == "rec-" + hash_hex[:12]
    assert wrapped["__data__"]["created"] == 0
    assert wrapped["__data__"]["choices"][0]["delta"]["content"] == "Hi"
    # Live captures keep the real values.
    assert rf.typed(chunk)["__data__"]["id"] == "chatcmpl-real-123"
    # Model objects are never normalized (§8.1).
    assert rf.typed(model, normalize_ids_with=hash_hex)["__data__"]["id"] == "qwen-tiny"
    assert rf.typed(model, normalize_ids_with=hash_hex)["__data__"]["created"] == 1760000000


def test_recording_dict_layout_chunk_times_and_no_secrets() -> None:
    chunk = ChatCompletionChunk.model_validate(
        {
            "id": "x",
            "created": 5,
            "model": "m",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": "é"}, "finish_reason": "stop"}],
        }
    )
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "hé"}],
        "stream": True,
        "temperature": openai.NOT_GIVEN,
        "extra_headers": {"Authorization": "Bearer sk-secret"},
    }
    rec = rf.recording_dict(
        test_id="tests/integration/x/test_y.py::test_z",
        endpoint="/v1/chat/completions",
        base_url="http://127.0.0.1:8080/v1/",
        body=body,
        model="m",
        response_body=[chunk],
        is_streaming=True,
        chunk_times=[0.1234567],
        normalize_ids=True,
    )
    assert list(rec) == ["test_id", "request", "response", "id_normalization_mapping", rf.CHUNK_TIMES_KEY]
    assert rec["request"]["url"] == "http://127.0.0.1:8080/v1/v1/chat/completions"
    assert rec["request"]["headers"] == {}
    assert rec["request"]["body"] == {
        "model": "m",
        "messages": [{"role": "user", "content": "hé"}],
        "stream": True,
    }
    assert rec[rf.CHUNK_TIMES_KEY] == [0.123457]
    hash_hex = rf.request_hash(rec["request"]["url"], rec["request"]["body"], rec["test_id"])
    assert rec["response"]["body"][0]["__data__"]["id"] == "rec-" + hash_hex[:12]
    text = rf.dumps_recording(rec)
    assert "sk-secret" not in text and "Authorization" not in text
    assert text.isascii() and "\\u00e9" in text
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert rf.recording_file_name(rec) == f"{hash_hex}.json"


def test_exception_data_of_a_real_openai_error() -> None:
    request = httpx.Request("POST", "http://127.0.0.1:1/v1/chat/completions")
    response = httpx.Response(400, request=request, json={"error": {"message": "bad", "type": "invalid"}})
    error = openai.BadRequestError("Error code: 400 - bad", response=response, body={"message": "bad"})
    data = rf.exception_data(error)
    assert data == {
        "category": "provider_sdk",
        "provider": "openai",
        "type": "BadRequestError",
        "message": "Error code: 400 - bad",
        "status_code": 400,
        "body": {"message": "bad"},
    }
    rec = rf.recording_dict(
        test_id=None,
        endpoint="/v1/chat/completions",
        base_url="http://h/v1",
        body={"model": "m", "messages": []},
        response_body=None,
        is_streaming=False,
        exception=error,
    )
    assert list(rec["response"]) == [
        "body",
        "is_streaming",
        "is_exception",
        "exception_data",
        "exception_message",
    ]
    assert rec["response"]["body"] is None
    assert rec["response"]["exception_message"] == "Error code: 400 - bad"


def test_normalize_follows_the_current_string_rules() -> None:
    uuid = "001495fd-aa35-4072-957d-b72df11b8603"
    text = (
        f"[1] document_id: {uuid}, score: 0.09107262839224209, attributes: {{'filename': 'a.pdf'}} "
        f"cite as <|{uuid}|>\npi is 3.14159265 and e is 2.71"
    )
    assert rf.normalize(text) == (
        "[1] document_id: __NORMALIZED__, score: __NORMALIZED__ cite as <|__NORMALIZED__|>\n"
        "pi is 3.14159 and e is 2.71"
    )
    body = {
        "temperature": 0.123456789,
        "extra_body": {"project_id": "p", "keep": 1},
        "nested": {"extra_body": {"project_id": "p"}},
        "stream_options": {"include_usage": True},
    }
    assert rf.normalize(body) == {
        "temperature": 0.12346,
        "extra_body": {"keep": 1},
        "nested": {"extra_body": {"project_id": "p"}},
        "stream_options": {"include_usage": True},
    }
    assert "stream_options" not in rf.normalize(body, drop_stream_options=True)
    # file-<n> ids are deterministic and stay as they are.
    assert rf.normalize("document_id: file-383513632278") == "document_id: file-383513632278"


def test_write_is_atomic_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "rec.json"
    rf.write_recording_atomic(target, {"a": "é"})
    assert target.read_bytes() == b'{\n  "a": "\\u00e9"\n}\n'
    with pytest.raises(FileExistsError, match="already exists"):
        rf.write_recording_atomic(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": "é"}
    rf.write_recording_atomic(target, {"a": 2}, overwrite=True)
    assert json.loads(target.read_text()) == {"a": 2}
    assert sorted(p.name for p in target.parent.iterdir()) == ["rec.json"]


def test_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    existing = tmp_path / "old.json"
    existing.write_text('{"old": true}\n')

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        rf.write_recording_atomic(tmp_path / "new.json", {"big": "x" * 100_000})
    with pytest.raises(OSError, match="disk full"):
        rf.write_recording_atomic(existing, {"new": True}, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json"]
    assert existing.read_text() == '{"old": true}\n'


def test_unserializable_object_creates_no_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    with pytest.raises(ValueError):
        rf.write_recording_atomic(target, _circular())
    assert list(tmp_path.iterdir()) == []


def _circular() -> dict:
    loop: dict = {}
    loop["self"] = loop
    return loop


def test_round_trip_through_the_parser(tmp_path: Path) -> None:
    load_module = importlib.import_module("tui_replay.recording.load")
    chunks = [
        {
            "id": "c",
            "created": 1,
            "model": "qwen-tiny",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        for piece in ["Hello", " [bold]world[/bold]", "\x1b[31m!"]
    ]
    chunks[-1]["choices"][0]["finish_reason"] = "stop"
    rec = rf.recording_dict(
        test_id="tests/integration/samples/test_samples.py::test_x[txt=llamacpp/qwen-tiny]",
        endpoint="/v1/chat/completions",
        base_url="http://localhost:8080/v1",
        body={"model": "qwen-tiny", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        response_body=[ChatCompletionChunk.model_validate(c) for c in chunks],
        is_streaming=True,
        chunk_times=[0.1, 0.2, 0.3],
        normalize_ids=True,
    )
    path = rf.write_recording_atomic(tmp_path / rf.recording_file_name(rec), rec)
    recording = load_module.load_recording(str(path))
    assert recording.kind == "chat"
    assert recording.streaming is True
    assert recording.response.text == "Hello [bold]world[/bold]\x1b[31m!"
    assert recording.response.finish_reason == "stop"
    assert recording.messages[0].text == "hi"
    assert recording.chunk_times == [0.1, 0.2, 0.3]
