"""The whole real corpus: every file loads, and the assembled answers match expectations
computed here in a simpler, independent way (stdlib json, no shared helpers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_replay.recording.load import load_recording
from tui_replay.recording.model import EventKind, Kind, Recording
from tui_replay.recording.summary import summarize_file

from .corpus import CORPUS, corpus_files

FILES = corpus_files()
IDS = [str(p.relative_to(CORPUS)) for p in FILES]


def raw(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_corpus_is_complete(corpus):
    assert len(corpus) == 204
    assert {p.relative_to(CORPUS).parts[0] for p in corpus} == {"llama-stack", "llama-stack-2025-10"}


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_file_loads(path):
    recording = load_recording(path)
    obj = raw(path)
    assert recording.kind != Kind.UNKNOWN
    recorded_exception = obj["response"].get("is_exception") is True
    if recording.kind == Kind.ERROR:
        assert recorded_exception and obj["response"]["body"] is None
        assert recording.response.exception is not None and recording.response.exception.message
    if recorded_exception or (obj["response"].get("status") or 200) >= 400:
        assert recording.response.exception is not None
    else:
        assert recording.response.exception is None
    assert recording.streaming == obj["response"]["is_streaming"]
    assert recording.test_id == obj.get("test_id", obj["request"].get("test_id"))


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_summary_matches_full_assembly(path):
    summary = summarize_file(path)
    recording = load_recording(path)
    usage = recording.response.usage
    assert summary.status == "ok", summary.error
    assert summary.kind == recording.kind.value
    assert summary.model == recording.model
    assert summary.chunks == recording.response.chunks
    assert summary.tool_calls == len(recording.response.tool_calls)
    assert summary.citations == len(recording.citations)
    assert summary.exception == (recording.response.exception is not None)
    assert summary.prompt_tokens == (usage.prompt_tokens if usage else None)
    assert summary.completion_tokens == (usage.completion_tokens if usage else None)
    assert summary.answer_start == recording.response.text[:200]
    assert summary.size == path.stat().st_size
    user = next((m for m in recording.messages if m.role == "user"), None)
    if user is not None:
        assert summary.first_user == user.text[:200]


def replay(recording: Recording) -> tuple[str, str, dict[int, list]]:
    """Play the timeline back the way the app does: concatenate, merge tool fragments by index."""
    text, reasoning, calls = [], [], {}
    for event in recording.timeline:
        if event.kind == EventKind.TEXT:
            text.append(event.text)
        elif event.kind == EventKind.REASONING:
            reasoning.append(event.text)
        elif event.kind == EventKind.TOOL_CALL:
            call = calls.setdefault(event.tool_index, [None, None, ""])
            call[0] = call[0] or event.tool_id
            call[1] = call[1] or event.tool_name
            call[2] += event.text
    return "".join(text), "".join(reasoning), calls


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_timeline_replays_to_the_response(path):
    recording = load_recording(path)
    text, reasoning, calls = replay(recording)
    assert text == recording.response.text
    assert reasoning == recording.response.reasoning
    assert calls == {c.index: [c.id, c.name or None, c.arguments] for c in recording.response.tool_calls}
    chunks = [e.chunk for e in recording.timeline]
    assert chunks == sorted(chunks)
    assert all(0 <= c < max(recording.response.chunks, 1) for c in chunks)
    finishes = [e.finish_reason for e in recording.timeline if e.kind == EventKind.FINISH]
    assert (finishes[-1] if finishes else None) == recording.response.finish_reason
    usages = [e.usage for e in recording.timeline if e.kind == EventKind.USAGE]
    assert (usages[-1] if usages else None) == recording.response.usage


def expected_chat_stream(body: list) -> dict:
    text, reasoning, calls, finish, usage = "", "", {}, None, None
    for item in body:
        data = item["__data__"]
        for choice in data["choices"]:
            if choice["index"] != 0:
                continue
            delta = choice["delta"]
            text += delta.get("content") or ""
            reasoning += delta.get("reasoning") or delta.get("reasoning_content") or ""
            for fragment in delta.get("tool_calls") or []:
                call = calls.setdefault(fragment["index"], {"id": None, "name": None, "arguments": ""})
                call["id"] = call["id"] or fragment.get("id")
                call["name"] = call["name"] or (fragment.get("function") or {}).get("name")
                call["arguments"] += (fragment.get("function") or {}).get("arguments") or ""
            finish = choice.get("finish_reason") or finish
        if data.get("usage"):
            usage = (data["usage"]["prompt_tokens"], data["usage"]["completion_tokens"])
    return {"text": text, "reasoning": reasoning, "calls": calls, "finish": finish, "usage": usage}


def _usage(recording: Recording):
    usage = recording.response.usage
    return (usage.prompt_tokens, usage.completion_tokens) if usage else None


def _calls(recording: Recording) -> dict:
    return {
        c.index: {"id": c.id, "name": c.name or None, "arguments": c.arguments}
        for c in recording.response.tool_calls
    }


def test_chat_streams_match_an_independent_join(corpus):
    checked = 0
    for path in corpus:
        obj = raw(path)
        body = obj["response"]["body"]
        if not (isinstance(body, list) and body and "ChatCompletionChunk" in str(body[0])):
            continue
        if obj.get("id_normalization_mapping"):
            continue  # the mapping rewrites text; covered by a dedicated test
        expected = expected_chat_stream(body)
        recording = load_recording(path)
        assert recording.kind == Kind.CHAT, path
        assert recording.response.text == expected["text"], path
        assert recording.response.reasoning == expected["reasoning"], path
        assert _calls(recording) == expected["calls"], path
        assert recording.response.finish_reason == expected["finish"], path
        assert _usage(recording) == expected["usage"], path
        assert recording.response.chunks == len(body)
        for call in recording.response.tool_calls:
            value, error = call.parsed_arguments()
            assert error is None and isinstance(value, dict), (path, call)
        checked += 1
    assert checked >= 65


def test_chat_completions_match_the_message(corpus):
    checked = 0
    for path in corpus:
        body = raw(path)["response"]["body"]
        if not (isinstance(body, dict) and str(body.get("__type__", "")).endswith(".ChatCompletion")):
            continue
        choice = body["__data__"]["choices"][0]
        recording = load_recording(path)
        assert recording.response.text == (choice["message"]["content"] or "")
        assert recording.response.finish_reason == choice["finish_reason"]
        expected_calls = [
            (c["id"], c["function"]["name"], c["function"]["arguments"])
            for c in choice["message"]["tool_calls"] or []
        ]
        assert [(c.id, c.name, c.arguments) for c in recording.response.tool_calls] == expected_calls
        assert recording.response.chunks == 0
        checked += 1
    assert checked >= 45


def test_genai_bodies_match_their_parts(corpus):
    checked = 0
    for path in corpus:
        obj = raw(path)
        if not obj["request"].get("url", "").startswith("vertexai:"):
            continue
        body = obj["response"]["body"]
        items = body if isinstance(body, list) else [body]
        text, calls = "", []
        for item in items:
            for part in item["candidates"][0]["content"].get("parts", []):
                text += part.get("text", "")
                if "function_call" in part:
                    calls.append((part["function_call"]["name"], part["function_call"].get("args", {})))
        recording = load_recording(path)
        assert recording.kind == Kind.GEMINI
        assert recording.response.text == text
        assert [(c.name, json.loads(c.arguments)) for c in recording.response.tool_calls] == calls
        assert all(c.id is None for c in recording.response.tool_calls)
        assert recording.response.chunks == (len(items) if isinstance(body, list) else 0)
        checked += 1
    assert checked == 12


def test_sse_bodies_match_their_data_lines(corpus):
    checked = 0
    for path in corpus:
        body = raw(path)["response"]["body"]
        if not (isinstance(body, list) and body and isinstance(body[0], str)):
            continue
        datas = [line[len("data: ") :] for line in body if line.startswith("data: ")]
        events = [json.loads(d) for d in datas if d != "[DONE]"]
        text = "".join(
            e["delta"].get("text", "")
            for e in events
            if e.get("type") == "content_block_delta" or e.get("event_type") == "content.delta"
        )
        thinking = "".join(
            e["delta"].get("thinking", "") for e in events if e.get("type") == "content_block_delta"
        )
        recording = load_recording(path)
        assert recording.response.text == text and text
        assert recording.response.reasoning == thinking
        assert recording.response.chunks == len(datas)
        checked += 1
    assert checked == 3


def test_every_citation_marker_in_the_corpus_resolves(corpus):
    markers = 0
    for path in corpus:
        recording = load_recording(path)
        for citation in recording.citations:
            markers += 1
            assert citation.resolved, (path, citation.marker)
            assert recording.response.text[citation.start : citation.end] == citation.marker
            for index in citation.chunks:
                assert recording.retrieved[index].cited
                assert recording.messages[recording.retrieved[index].message_index].role == "tool"
        assert all(
            c.cited == any(i in cit.chunks for cit in recording.citations for i in [n])
            for n, c in enumerate(recording.retrieved)
        )
    assert markers >= 10


def test_images_are_placeholders_never_base64(corpus):
    images = 0
    for path in corpus:
        recording = load_recording(path)
        for message in recording.messages:
            for part in message.parts:
                if part.type == "image":
                    images += 1
                    assert part.text.startswith("[image: ") and len(part.text) < 260
            assert "base64," not in message.text
            assert "iVBORw0KGgo" not in message.text  # a PNG header in base64
    assert images >= 3
