"""vcrpy / pytest-recording cassettes: the real corpus through the loader and the real CLI,
streamed answers against an independent parse of their raw SSE text, hostile YAML."""

from __future__ import annotations

import gzip
import json
import os
import time
import zlib
from pathlib import Path

import orjson
import pytest
import yaml
from support import CORPUS, REPO, require_corpus, run_tui_replay

from tui_replay.recording.cassette import cassette_test_id
from tui_replay.recording.load import load_recording
from tui_replay.recording.model import RecordingError
from tui_replay.recording.summary import summarize_cassette_file

CASSETTES = CORPUS / "cassettes"


def _cassettes() -> list[Path]:
    """The vcrpy HTTP cassettes: one recording per request/response interaction (the gRPC,
    realtime and empty cassettes are checked in test_cassette_kinds.py)."""
    require_corpus()
    return [path for path in sorted(CASSETTES.rglob("*.yaml")) if _is_http(_raw(path))]


def _is_http(interactions: list[dict]) -> bool:
    return bool(interactions) and all("request" in item and "response" in item for item in interactions)


def _raw(path: Path) -> list[dict]:
    """The interactions as PyYAML's own safe loader reads them (the reference)."""
    return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)["interactions"]


def _addresses(path: Path) -> list[tuple[str, int | None]]:
    """(address, interaction) of the rows a cassette lists as: `file#N` per interaction, or the
    file alone when it is read whole (a realtime session: websocket frames with `kind`; an
    empty cassette)."""
    interactions = _raw(path)
    if not interactions or "kind" in interactions[0]:
        return [(str(path), None)]
    return [(f"{path}#{index}", index) for index in range(len(interactions))]


def _run(*args: str, cache: Path, timeout: float = 120):
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache), PYTHONPATH=str(REPO), NO_COLOR="1")
    return run_tui_replay(*args, cwd=REPO, env=env, timeout=timeout, text=False)


def _lines(stdout: bytes) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


# ------------------------------------------------------------------ the real corpus


def test_every_corpus_interaction_loads_with_no_error():
    files = _cassettes()
    assert len(files) >= 79
    for path in files:
        for index in range(len(_raw(path))):
            recording = load_recording(f"{path}#{index}")
            assert recording.format == "vcr" and recording.interaction == index
            assert recording.path == f"{path}#{index}"


def test_list_json_gives_one_ok_row_per_interaction(tmp_path):
    files = sorted(CASSETTES.rglob("*.yaml"))
    result = _run("list", "--json", str(CASSETTES), cache=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = _lines(result.stdout)
    assert [row["error"] for row in rows if row["status"] != "ok"] == []
    expected = [address for path in files for address in _addresses(path)]
    assert [(row["path"], row["interaction"]) for row in rows] == expected
    assert all(row["format"] == "vcr" for row in rows)
    kinds = {row["kind"] for row in rows}
    assert {"chat", "responses", "messages", "gemini", "embeddings", "unknown", "realtime", "empty"} <= kinds
    # The cache gives the same rows back.
    again = _run("list", "--json", str(CASSETTES), cache=tmp_path)
    assert again.stdout == result.stdout


def test_rows_agree_with_the_full_loader():
    for path in _cassettes():
        for row in summarize_cassette_file(path):
            recording = load_recording(row.path)
            usage = recording.response.usage
            assert (row.kind, row.model, row.streaming, row.tool_calls) == (
                str(recording.kind),
                recording.model,
                recording.streaming,
                len(recording.response.tool_calls),
            ), row.path
            assert row.answer_start == recording.response.text[:200]
            assert (row.prompt_tokens, row.completion_tokens) == (
                (usage.prompt_tokens, usage.completion_tokens) if usage else (None, None)
            )


def test_test_ids_come_from_path_and_name():
    assert (
        cassette_test_id("tests/models/cassettes/test_openai/test_max_tokens[gpt-4o].yaml")
        == "test_openai.py::test_max_tokens[gpt-4o]"
    )
    assert (
        cassette_test_id("x/test_openai__test_max_tokens[gpt-4.5-preview].yaml")
        == "test_openai.py::test_max_tokens[gpt-4.5-preview]"
    )
    assert (
        cassette_test_id("lib/tests/cassettes/hooks/TestHooks.test_before_and_after.yaml")
        == "hooks::TestHooks::test_before_and_after"
    )
    assert cassette_test_id("c/llms__anthropic__test_async_calls.yml") == "llms/anthropic::test_async_calls"
    assert cassette_test_id("c/test_alone.yaml") == "test_alone"
    # Interactions of one cassette share its test: grouping by test works.
    path = (
        CASSETTES
        / "pydantic-ai/test_openai_responses__test_openai_responses_model_file_search_tool_stream.yaml"
    )
    rows = summarize_cassette_file(path)
    assert len(rows) > 1 and {row.test_id for row in rows} == {
        "pydantic-ai/test_openai_responses.py::test_openai_responses_model_file_search_tool_stream"
    }


# ------------------------------------------------------------------ streamed answers vs raw SSE


def _sse_events(text: str) -> list[dict]:
    events = []
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            events.append(json.loads(line[5:]))
    return events


def _expected_chat(events: list[dict]) -> dict:
    text, calls, finish, usage = "", {}, None, None
    for event in events:
        for choice in event.get("choices") or []:
            delta = choice.get("delta") or {}
            text += delta.get("content") or ""
            for fragment in delta.get("tool_calls") or []:
                call = calls.setdefault(fragment["index"], {"id": None, "name": "", "arguments": ""})
                call["id"] = call["id"] or fragment.get("id")
                call["name"] += (fragment.get("function") or {}).get("name") or ""
                call["arguments"] += (fragment.get("function") or {}).get("arguments") or ""
            finish = choice.get("finish_reason") or finish
        if event.get("usage"):
            usage = (event["usage"]["prompt_tokens"], event["usage"]["completion_tokens"])
    return {"text": text, "calls": [calls[i] for i in sorted(calls)], "finish": finish, "usage": usage}


def _expected_responses(events: list[dict]) -> dict:
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    final = next(e["response"] for e in events if e["type"] == "response.completed")
    calls = [
        {"id": item["call_id"], "name": item["name"], "arguments": item["arguments"]}
        for item in final["output"]
        if item["type"] == "function_call"
    ]
    usage = (final["usage"]["input_tokens"], final["usage"]["output_tokens"])
    return {"text": text, "calls": calls, "finish": final["status"], "usage": usage}


def _expected_anthropic(events: list[dict]) -> dict:
    text, blocks, inputs, finish, prompt, completion = "", {}, {}, None, None, None
    for event in events:
        if event["type"] == "message_start":
            prompt = event["message"]["usage"]["input_tokens"]
        elif event["type"] == "content_block_start" and event["content_block"]["type"].endswith("tool_use"):
            # `tool_use`, and the server's own calls (`server_tool_use`, `mcp_tool_use`)
            block = event["content_block"]
            blocks[event["index"]] = {"id": block["id"], "name": block["name"], "arguments": ""}
            inputs[event["index"]] = block.get("input")
        elif event["type"] == "content_block_delta":
            delta = event["delta"]
            if delta["type"] == "text_delta":
                text += delta["text"]
            elif delta["type"] == "input_json_delta":
                blocks[event["index"]]["arguments"] += delta["partial_json"]
        elif event["type"] == "message_delta":
            finish = event["delta"].get("stop_reason") or finish
            completion = event["usage"]["output_tokens"]
            prompt = event["usage"].get("input_tokens", prompt)  # cumulative when given (server tools)
    for index, block in blocks.items():  # input given whole at the start (no deltas) is the input
        if not block["arguments"] and inputs[index] is not None:
            block["arguments"] = json.dumps(inputs[index], separators=(",", ":"), ensure_ascii=False)
    calls = [blocks[i] for i in sorted(blocks)]
    return {"text": text, "calls": calls, "finish": finish, "usage": (prompt, completion)}


_PARSERS = {
    "/chat/completions": _expected_chat,
    "/responses": _expected_responses,
    "/messages": _expected_anthropic,
}


def _streams() -> list[tuple[str, str, str]]:
    """(address, API path suffix, raw SSE text) of every streamed chat / Responses / Anthropic answer."""
    found = []
    for path in _cassettes():
        for index, item in enumerate(_raw(path)):
            headers = {k.lower(): v for k, v in item["response"].get("headers", {}).items()}
            if "text/event-stream" not in (headers.get("content-type") or [""])[0]:
                continue
            uri = item["request"]["uri"].split("?")[0]
            suffix = next((s for s in _PARSERS if uri.endswith(s)), None)
            if suffix is not None:
                found.append((f"{path}#{index}", suffix, item["response"]["body"]["string"]))
    return found


def test_streamed_answers_match_their_raw_sse_text():
    streams = _streams()
    assert {suffix for _, suffix, _ in streams} == set(_PARSERS)
    assert len(streams) >= 8
    with_calls = 0
    for address, suffix, text in streams:
        expected = _PARSERS[suffix](_sse_events(text))
        recording = load_recording(address)
        response = recording.response
        assert recording.streaming and response.chunks > 0, address
        assert response.text == expected["text"], address
        got_calls = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in response.tool_calls]
        assert got_calls == expected["calls"], address
        for call in response.tool_calls:
            assert call.parsed_arguments()[1] is None, address  # joined into valid JSON
        with_calls += bool(got_calls)
        assert response.finish_reason == expected["finish"], address
        usage = response.usage
        assert (usage.prompt_tokens, usage.completion_tokens) == expected["usage"], address
        # The replay timeline is the stream's events in order, ending on the answer.
        chunks = [event.chunk for event in recording.timeline]
        assert chunks == sorted(chunks) and max(chunks) < response.chunks
        assert "".join(e.text for e in recording.timeline if e.kind == "text") == response.text
    assert with_calls >= 1


def test_gzip_binary_body_and_http_errors():
    [embedding, *_] = summarize_cassette_file(CASSETTES / "crewai/tools__test_csv_search_tool.yaml")
    assert embedding.kind == "embeddings" and embedding.prompt_tokens == 12  # from a gzip !!binary body
    rows = summarize_cassette_file(CASSETTES / "pydantic-ai/test_groq__test_tool_use_failed_error.yaml")
    [failed] = [row for row in rows if row.exception]
    error = load_recording(failed.path)  # a 400 answer: a recorded error with the server's message
    assert error.response.exception is not None and error.response.exception.status == 400
    assert "tool" in error.response.exception.message.lower()


def _cassette(uri: str, body: bytes | str, headers: dict[str, list[str]], status: int = 200) -> str:
    doc = {
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": uri,
                    "headers": {},
                    "body": '{"model": "m", "input": "x"}',
                },
                "response": {
                    "status": {"code": status, "message": ""},
                    "headers": headers,
                    "body": {"string": body},
                },
            }
        ],
        "version": 1,
    }
    return yaml.safe_dump(doc)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", lambda b: zlib.compress(b)[2:-4])],
)
def test_compressed_bodies_are_inflated(tmp_path, encoding, compress):
    body = compress(
        json.dumps({"object": "list", "data": [], "model": "m", "usage": {"prompt_tokens": 3}}).encode()
    )
    path = tmp_path / "c.yaml"
    path.write_text(_cassette("https://api.openai.com/v1/embeddings", body, {"Content-Encoding": [encoding]}))
    [row] = summarize_cassette_file(path)
    assert (row.status, row.kind, row.prompt_tokens) == ("ok", "embeddings", 3)


def test_brotli_and_zip_bombs_are_a_note_not_a_crash(tmp_path):
    path = tmp_path / "br.yaml"
    path.write_text(
        _cassette("https://api.openai.com/v1/embeddings", b"\x1b\x00", {"Content-Encoding": ["br"]})
    )
    recording = load_recording(path)
    assert recording.kind == "unknown" and "brotli body not supported" in str(recording.response_raw["body"])
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(
        _cassette(
            "https://api.openai.com/v1/embeddings",
            gzip.compress(b" " * 3_000_000),
            {"Content-Encoding": ["gzip"]},
        )
    )
    recording = load_recording(bomb, max_size=1_000_000)
    assert "past the size limit" in str(recording.response_raw["body"])


def test_show_names_one_interaction_and_expands_a_cassette(tmp_path):
    path = CASSETTES / "crewai/test_handle_streaming_tool_calls_no_available_functions.yaml"
    one = _run("show", "--json", f"{path}#0", cache=tmp_path)
    assert one.returncode == 0, one.stderr
    [row] = _lines(one.stdout)
    assert (row["path"], row["format"], row["interaction"], row["kind"]) == (f"{path}#0", "vcr", 0, "chat")
    assert row["response"]["tool_calls"][0]["name"] == "get_weather"
    several = (
        CASSETTES
        / "pydantic-ai/test_openai_responses__test_openai_responses_model_file_search_tool_stream.yaml"
    )
    rows = _lines(_run("show", "--json", str(several), cache=tmp_path).stdout)
    assert [r["interaction"] for r in rows] == list(range(len(_raw(several))))
    missing = _run("show", "--json", f"{path}#99", cache=tmp_path)
    assert missing.returncode == 1 and "no interaction #99" in _lines(missing.stdout)[0]["error"]


# ------------------------------------------------------------------ hostile YAML


def _alias_bomb() -> bytes:
    lines = [b'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = b",".join(b"*a%d" % (level - 1) for _ in range(9))
        lines.append(b"a%d: &a%d [%s]" % (level, level, refs))
    return b"interactions:\n- request: {}\n  response: {}\n" + b"\n".join(lines) + b"\n"


HOSTILE = {
    "alias_bomb.yaml": (_alias_bomb(), "alias"),
    "python_object.yaml": (b'interactions: !!python/object/apply:os.system ["echo pwned > pwned"]\n', "tag"),
    "binary_junk.yaml": (bytes(range(256)) * 64, "binary"),
    "truncated.yaml": (b'interactions:\n- request:\n    uri: "https://api.openai.com/v1/chat/compl', "YAML"),
    "deep_flow.yaml": (b"interactions: " + b"[" * 200_000, "nesting"),
    "deep_block.yaml": (b"interactions:\n" + b"- " * 200_000 + b"x\n", "nesting"),
    "not_a_cassette.yaml": (b"steps:\n- run: make\n", "not a cassette"),
}


@pytest.mark.timeout(60)
def test_hostile_yaml_gives_one_error_row_each_and_finishes_quickly(tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, (data, _) in HOSTILE.items():
        (folder / name).write_bytes(data)
    for name, (_, words) in HOSTILE.items():
        started = time.monotonic()
        with pytest.raises(RecordingError) as caught:
            load_recording(folder / name)
        assert words in caught.value.reason and "\n" not in caught.value.reason, (name, caught.value.reason)
        assert time.monotonic() - started < 2, name
    # Named one by one, each is one error row; the command finishes (no crash, no hang).
    files = [str(folder / name) for name in HOSTILE]
    result = _run("list", "--json", "--no-cache", *files, cache=tmp_path, timeout=30)
    assert result.returncode == 0, result.stderr
    rows = _lines(result.stdout)
    assert [row["path"] for row in rows] == files
    assert all(row["status"] == "error" and row["format"] == "vcr" for row in rows)
    assert not (REPO / "pwned").exists() and not (tmp_path / "pwned").exists()
    # Scanned as a folder, a YAML file that is no cassette is passed over (config files).
    rows = _lines(_run("list", "--json", "--no-cache", str(folder), cache=tmp_path, timeout=30).stdout)
    assert sorted(Path(row["path"]).name for row in rows) == sorted(set(HOSTILE) - {"not_a_cassette.yaml"})


def test_cassette_rows_have_no_request_hash_key_status():
    """A cassette is keyed by interaction order, not by the llama-stack request hash: no row
    of it may be reported mis-keyed (or match any `key:` filter)."""
    from tui_replay.catalog.filters import filter_summaries

    rows = [row for file in sorted(CASSETTES.rglob("*.yaml")) for row in summarize_cassette_file(file)]
    assert rows and all(row.key is None for row in rows)
    for key in ("current", "older", "mis-keyed", "opaque"):
        assert filter_summaries(rows, f"key:{key}") == []
