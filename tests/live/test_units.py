"""The live layer without a server: planning a call, diffs, comparisons, save paths, hygiene."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import CORPUS, REPO

from live.helpers import chat_bodies
from tui_replay.comparison.model import (
    CosineDifference,
    ModelListDifference,
    ToolCallDifference,
    ValueDifference,
)
from tui_replay.live.capture import capture_dir, check_save_path, default_save_path, in_recordings_tree
from tui_replay.live.compare import DELETE, EQUAL, INSERT, compare, cosine, stability, word_diff
from tui_replay.live.plan import CHAT, COMPLETION, EMBEDDINGS, MODELS, NotReissuable, plan_call
from tui_replay.live.target import LiveError, LiveTarget, client_base_url, display_url, redact
from tui_replay.recording.load import load_recording, recording_from_obj
from tui_replay.recording.model import Kind, Response


def chat_obj(body: dict, *, endpoint: str = "/v1/chat/completions", streaming: bool = False) -> dict:
    chunk, completion = chat_bodies("hi")
    return {
        "test_id": None,
        "request": {
            "method": "POST",
            "url": "https://api.openai.com/v1/v1/chat/completions",
            "headers": {},
            "body": body,
            "endpoint": endpoint,
            "model": body.get("model", ""),
        },
        "response": {"body": [chunk] if streaming else completion, "is_streaming": streaming},
    }


def test_plan_keeps_the_body_overrides_the_model_and_follows_streaming():
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
        "extra_body": {"guided_choice": ["a"]},
        "vendor_knob": 7,
        "timeout": 3,
    }
    call = plan_call(recording_from_obj(chat_obj(body, streaming=True), "x.json"), "qwen-tiny")
    assert call.operation == CHAT and call.stream is True
    assert call.endpoint == "/v1/chat/completions" and call.endpoint_prefix == "/v1"
    assert call.kwargs["model"] == "qwen-tiny"
    assert call.kwargs["stream_options"] == {"include_usage": True}
    assert call.kwargs["temperature"] == 0.2
    assert "timeout" not in call.kwargs
    # keys this SDK does not know travel in extra_body, next to the stored ones
    assert "vendor_knob" not in call.kwargs
    assert call.kwargs["extra_body"] == {"vendor_knob": 7, "guided_choice": ["a"]}
    # without an override the recorded model goes out; a non-streamed recording is not streamed
    call = plan_call(recording_from_obj(chat_obj({**body, "stream": False}), "x.json"))
    assert call.kwargs["model"] == "gpt-4o" and call.stream is False and call.kwargs["stream"] is False


def test_plan_decides_from_the_body_not_the_endpoint():
    obj = chat_obj({"model": "m", "messages": []}, endpoint="/v1/completions")
    call = plan_call(recording_from_obj(obj, "x.json"))
    assert call.operation == CHAT and call.endpoint == "/v1/chat/completions"


@pytest.mark.parametrize(
    ("base", "prefix", "expected"),
    [
        ("http://127.0.0.1:8080/v1", "/v1", "http://127.0.0.1:8080/v1"),
        ("http://127.0.0.1:8080/v1/", "/v1", "http://127.0.0.1:8080/v1"),
        ("http://127.0.0.1:8080", "/v1", "http://127.0.0.1:8080/v1"),
        ("https://host/openai/v1", "/v1", "https://host/openai/v1"),
        ("http://localhost:11434", "", "http://localhost:11434"),
    ],
)
def test_client_base_url_never_doubles_v1(base, prefix, expected):
    assert client_base_url(base, prefix) == expected


def test_display_url_drops_credentials_and_query():
    assert display_url("https://user:pw@host:8443/v1?api-key=s3cret") == "https://host:8443/v1"
    assert display_url("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"


def test_target_requires_an_http_base_url():
    with pytest.raises(LiveError, match="no base URL"):
        LiveTarget(None, None, "OPENAI_API_KEY", 5).require_base_url()
    with pytest.raises(LiveError, match="not an http"):
        LiveTarget("ftp://x", None, "OPENAI_API_KEY", 5).require_base_url()


def test_redact_masks_the_key_value(monkeypatch):
    monkeypatch.setenv("TUI_UNIT_KEY", "sk-abcdef123456")
    target = LiveTarget("http://x", None, "TUI_UNIT_KEY", 5)
    assert (
        redact("Incorrect API key provided: sk-abcdef123456.", target) == "Incorrect API key provided: ***."
    )


@given(st.text(alphabet="ab \n.", max_size=40), st.text(alphabet="ab \n.", max_size=40))
def test_word_diff_rebuilds_both_sides(stored, live):
    runs = word_diff(stored, live)
    assert "".join(t for op, t in runs if op in (EQUAL, DELETE)) == stored
    assert "".join(t for op, t in runs if op in (EQUAL, INSERT)) == live
    assert all(op == EQUAL for op, _ in runs) == (stored == live)


def test_word_diff_is_word_level():
    runs = word_diff("the quick brown fox", "the slow brown fox")
    assert runs == [(EQUAL, "the "), (DELETE, "quick"), (INSERT, "slow"), (EQUAL, " brown fox")]


def _embedding_body(vectors: list[list[float]]) -> dict:
    return {
        "__type__": "openai.types.create_embedding_response.CreateEmbeddingResponse",
        "__data__": {
            "object": "list",
            "model": "e",
            "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        },
    }


def test_embeddings_compare_count_dimensions_and_cosine():
    stored = _embedding_body([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    same = compare(EMBEDDINGS, Response(), Response(), stored_raw_body=stored, live_raw_body=stored)
    assert same.verdict == "same" and same.live.summary["cosine_min"] == 1.0
    assert same.stored.summary == {"count": 2, "dimensions": 3}
    turned = _embedding_body([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    different = compare(EMBEDDINGS, Response(), Response(), stored_raw_body=stored, live_raw_body=turned)
    (turned_vector,) = different.differences
    assert isinstance(turned_vector, CosineDifference) and turned_vector.similarities == (1.0, 0.0)
    assert different.differences_json()[0]["cosine"] == [1.0, 0.0]
    shorter = _embedding_body([[1.0, 0.0]])
    fields = compare(EMBEDDINGS, Response(), Response(), stored_raw_body=stored, live_raw_body=shorter)
    assert [d["field"] for d in fields.differences_json()] == ["count", "dimensions"]
    assert fields.differences_json()[0] | {"message": ""} == {
        "field": "count",
        "message": "",
        "decides": True,
        "stored": 2,
        "live": 1,
    }
    assert cosine([1.0, 1.0], [2.0, 2.0]) == pytest.approx(1.0)


def test_model_lists_report_ids_that_appear_and_vanish():
    stored = Response(summary={"models": ["a", "b"]})
    live = Response(summary={"models": ["b", "c"]})
    comparison = compare(MODELS, stored, live)
    assert comparison.verdict == "different"
    assert comparison.differences == [ModelListDifference(("c",), ("a",))]
    (difference,) = comparison.differences_json()
    assert difference["appeared"] == ["c"] and difference["vanished"] == ["a"]


def test_stability_counts_matches_and_distinct_answers():
    stored = Response(text="a", finish_reason="stop")
    runs = [compare(CHAT, stored, Response(text=t, finish_reason="stop")) for t in ("a", "a", "b")]
    result = stability(runs)
    assert (result.runs, result.match_stored, result.distinct) == (3, 2, 2)
    assert result.describe() == "2/3 live answers match the stored one; live answers: 2 different answers"


def test_typed_differences_keep_the_compare_json_shape():
    from tui_replay.recording.model import ToolCall

    stored = Response(
        text="a b",
        finish_reason="stop",
        tool_calls=[ToolCall(index=0, id="1", name="f", arguments='{"x": 1}')],
    )
    live = Response(
        text="a c",
        finish_reason="length",
        tool_calls=[ToolCall(index=0, id="2", name="f", arguments='{"x": 2}')],
    )
    comparison = compare(CHAT, stored, live)
    kinds = [type(d).__name__ for d in comparison.differences]
    assert kinds == ["TextDifference", "ToolCallDifference", "ValueDifference"]
    text, tool, finish = comparison.differences_json()
    assert text["field"] == "text" and ["delete", "b"] in text["diff"] and ["insert", "c"] in text["diff"]
    assert tool["stored"] == {"name": "f", "arguments": {"x": 1}} and tool["live"]["arguments"] == {"x": 2}
    assert tool["arguments"] == [{"pointer": "/x", "stored": 1, "live": 2}]
    assert "arguments differ" in tool["message"]
    assert (finish["field"], finish["stored"], finish["live"]) == ("finish_reason", "stop", "length")
    assert isinstance(comparison.differences[1], ToolCallDifference)
    assert isinstance(comparison.differences[2], ValueDifference)


def test_usage_and_chunk_counts_are_reported_but_never_decide():
    from tui_replay.recording.model import Usage

    stored = Response(text="same", finish_reason="stop", usage=Usage(1, 2, 3), chunks=4)
    live = Response(text="same", finish_reason="stop", usage=Usage(1, 5, 6), chunks=9)
    comparison = compare(CHAT, stored, live)
    assert comparison.verdict == "same" and comparison.differences == []
    assert [d.field for d in comparison.found] == ["usage", "chunks"]  # type: ignore[union-attr]
    rendered = comparison.as_recording_comparison("x.json")
    assert rendered.verdict == "same" and len(rendered.differences) == 2


def test_save_paths(tmp_path):
    stored = tmp_path / "abc.json"
    stored.write_text("{}")
    folder = tmp_path / "captures" / "deeper"
    first = default_save_path(str(stored), folder)  # the folder is made
    assert first.parent == folder and first.name.startswith("abc.live-") and not first.exists()
    first.write_text("{}")
    assert default_save_path(str(stored), folder) != first
    cassette = default_save_path(str(tmp_path / "tape.yaml#3"), folder)
    assert cassette.name.startswith("tape.live-")
    with pytest.raises(LiveError, match="stored recording"):
        check_save_path(stored, str(stored))
    with pytest.raises(LiveError, match="existing file"):
        check_save_path(first, str(stored))


def test_captures_stay_out_of_recordings_trees(tmp_path, monkeypatch):
    recordings = tmp_path / "tests" / "integration" / "agents" / "recordings"
    recordings.mkdir(parents=True)
    stored = recordings / "abc.json"
    stored.write_text("{}")
    assert in_recordings_tree(recordings / "x.json") == recordings
    assert in_recordings_tree(tmp_path / "captures" / "x.json") is None
    with pytest.raises(LiveError, match="inside the recordings folder"):
        check_save_path(recordings / "capture.json", str(stored))
    assert (
        check_save_path(recordings / "capture.json", str(stored), force=True) == recordings / "capture.json"
    )
    # the default folder is the user data dir, never next to the stored file
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = capture_dir(None)
    assert default.name == "captures" and default.parent.name == "tui-replay"
    assert in_recordings_tree(default_save_path(str(stored), default)) is None
    assert capture_dir("~/somewhere") == Path.home() / "somewhere"


def test_every_corpus_recording_is_planned_or_refused_in_one_line():
    files = sorted(CORPUS.rglob("*.json")) if CORPUS.is_dir() else []
    if not files:
        pytest.fail(f"the vendored corpus is missing ({CORPUS})", pytrace=False)
    planned: dict[str, int] = {}
    for path in files:
        try:
            recording = load_recording(path)
        except Exception:
            continue  # unreadable files are the parser's business
        try:
            call = plan_call(recording, "some-model")
        except NotReissuable as exc:
            assert "\n" not in exc.cause and exc.cause.startswith("cannot re-issue")
            assert recording.kind not in (Kind.CHAT, Kind.COMPLETION) or (
                recording.endpoint or ""
            ).startswith("/api/")
            continue
        planned[call.operation] = planned.get(call.operation, 0) + 1
        body = recording.request_raw["body"]
        json.dumps(call.kwargs)  # sendable as JSON
        if call.operation in (CHAT, COMPLETION):
            assert call.kwargs["model"] == "some-model"
            assert call.stream == recording.streaming
            key = "messages" if call.operation == CHAT else "prompt"
            assert call.kwargs[key] == body[key]
    assert planned.get(CHAT, 0) > 50, planned


def test_headless_live_modules_do_not_import_textual():
    code = (
        "import sys, tui_replay.live.command, tui_replay.live.session, tui_replay.live.capture;"
        "print('textual' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ),
        check=True,
    )
    assert done.stdout.strip() == "False"
