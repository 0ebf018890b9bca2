"""`tui-replay compare` against the real llama.cpp server.

Most cases call the CLI entry point in process (same code, no interpreter start-up per
case); `test_verdict_and_exit_codes_through_the_real_cli` runs the real command line.
Tests are ordered so that consecutive ones share a prompt the server still has cached.
"""

from __future__ import annotations

import json

import pytest
from live_server import free_port

from live.fake_server import CutStreamServer
from live.helpers import chunk_datas, compare_json, edit_recording, long_story, run_cli


@pytest.mark.parametrize("which", ["tool_stream", "tool"])
def test_forced_tool_call_is_same(live_server, stored, which):
    code, report, stderr = compare_json(getattr(stored, which), live_server.base_url)
    assert code == 0, stderr
    assert report["verdict"] == "same"
    (call,) = report["live"]["tool_calls"]
    assert call["name"] == "get_weather"
    assert isinstance(call["arguments"], dict) and "city" in call["arguments"]
    assert report["live"]["finish_reason"] == "tool_calls"


def test_changed_tool_arguments_are_a_difference_but_ids_are_not(live_server, stored, tmp_path):
    def tamper(obj):
        message = obj["response"]["body"]["__data__"]["choices"][0]["message"]
        message["tool_calls"][0]["id"] = "call_a_completely_different_id"
        message["tool_calls"][0]["function"]["arguments"] = json.dumps({"city": "Lyon"})

    path = edit_recording(stored.tool, tamper, tmp_path / "tool-args.json")
    code, report, _ = compare_json(path, live_server.base_url)
    assert code == 1
    (difference,) = report["differences"]
    assert difference["field"] == "tool_calls"
    assert difference["stored"]["arguments"] == {"city": "Lyon"}
    assert "arguments differ" in difference["message"]

    def only_id(obj):
        obj["response"]["body"]["__data__"]["choices"][0]["message"]["tool_calls"][0]["id"] = "call_other"

    path = edit_recording(stored.tool, only_id, tmp_path / "tool-id.json")
    code, report, _ = compare_json(path, live_server.base_url)
    assert (code, report["verdict"]) == (0, "same")


def test_streamed_chat_reissued_is_same(live_server, stored):
    code, report, stderr = compare_json(stored.chat_stream, live_server.base_url)
    assert code == 0, stderr
    assert report["verdict"] == "same"
    assert report["differences"] == []
    assert report["path"] == str(stored.chat_stream)
    assert set(report) == {"path", "verdict", "operation", "stored", "live", "differences"}
    assert set(report["stored"]) == {"text", "tool_calls", "finish_reason", "usage"}
    assert set(report["live"]) >= {
        *report["stored"],
        *("ttft_s", "total_s", "chunks", "tokens_per_s", "model", "base_url"),
    }
    stored_text = "".join(
        c["choices"][0]["delta"]["content"] or ""
        for c in chunk_datas(json.loads(stored.chat_stream.read_text()))
        if c["choices"]
    )
    assert report["stored"]["text"] == stored_text != ""
    assert report["live"]["text"] == stored_text
    assert report["stored"]["finish_reason"] == report["live"]["finish_reason"] == "stop"
    live = report["live"]
    assert live["chunks"] > 2
    assert 0 < live["ttft_s"] <= live["total_s"]
    assert live["tokens_per_s"] > 0
    assert live["model"] == "qwen-tiny"
    assert live["base_url"] == live_server.base_url


def test_tampered_text_is_different_with_a_word_diff(live_server, stored, tmp_path):
    def tamper(obj):
        for item in obj["response"]["body"]:
            delta = item["__data__"]["choices"][0]["delta"] if item["__data__"]["choices"] else {}
            if delta.get("content"):
                delta["content"] = "purple"  # the first non-empty piece becomes another word
                return

    path = edit_recording(stored.chat_stream, tamper, tmp_path / "tampered.json")
    code, report, _ = compare_json(path, live_server.base_url)
    assert code == 1
    assert report["verdict"] == "different"
    (text,) = [d for d in report["differences"] if d["field"] == "text"]
    ops = {op for op, _ in text["diff"]}
    assert {"delete", "insert"} <= ops
    assert any(op == "delete" and "purple" in piece for op, piece in text["diff"])
    # the stored side is reassembled from the joined runs: equal+delete gives it back
    assert "".join(p for op, p in text["diff"] if op != "insert") == report["stored"]["text"]
    assert "".join(p for op, p in text["diff"] if op != "delete") == report["live"]["text"]


def test_not_streamed_chat_is_same_with_usage(live_server, stored):
    code, report, stderr = compare_json(stored.chat, live_server.base_url)
    assert code == 0, stderr
    assert report["live"]["usage"] == report["stored"]["usage"]
    assert report["live"]["usage"]["completion_tokens"] > 0
    assert report["live"]["chunks"] == 0


def test_finish_reason_difference(live_server, stored, tmp_path):
    def tamper(obj):
        obj["response"]["body"]["__data__"]["choices"][0]["finish_reason"] = "length"

    path = edit_recording(stored.chat, tamper, tmp_path / "finish.json")
    code, report, _ = compare_json(path, live_server.base_url)
    assert code == 1
    assert [d["field"] for d in report["differences"]] == ["finish_reason"]


def test_verdict_and_exit_codes_through_the_real_cli(live_server, stored, tmp_path):
    same = run_cli(
        "compare", str(stored.chat_stream), "--base-url", live_server.base_url, "--model", "qwen-tiny"
    )
    assert same.returncode == 0, same.stderr
    assert "verdict  same" in same.stdout
    assert "time to first chunk" in same.stdout and "tokens per second" in same.stdout

    def tamper(obj):
        obj["response"]["body"]["__data__"]["choices"][0]["message"]["content"] = (
            "[bold]not[/bold] \x1b[31mit"
        )

    path = edit_recording(stored.chat, tamper, tmp_path / "tampered.json")
    different = run_cli("compare", str(path), "--base-url", live_server.base_url)
    assert different.returncode == 1, different.stderr
    assert "verdict  different" in different.stdout
    assert "[-[bold]not[/bold]" in different.stdout  # recorded text printed literally
    assert "\x1b" not in different.stdout and "\u241b" in different.stdout  # ESC shown as a placeholder

    failed = run_cli(
        "compare", str(stored.chat), "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--json"
    )
    assert failed.returncode == 2
    assert json.loads(failed.stdout)["error"].startswith("connection refused")
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr


def test_repeat_reports_stability(live_server, stored):
    code, report, stderr = compare_json(stored.chat, live_server.base_url, "--repeat", "3")
    assert code == 0, stderr
    assert report["repeat"] == {
        "runs": 3,
        "match_stored": 3,
        "distinct_live_answers": 1,
        "live_answers_identical": True,
        "verdicts": ["same", "same", "same"],
    }


def test_streamed_text_completion_is_same(live_server, stored):
    code, report, stderr = compare_json(stored.completion_stream, live_server.base_url)
    assert code == 0, stderr
    assert report["operation"] == "completion"
    assert report["live"]["text"] and report["live"]["finish_reason"] == "length"


def test_model_list_same_then_ids_appear_and_vanish(live_server, stored, tmp_path):
    code, report, stderr = compare_json(stored.models, live_server.base_url)
    assert code == 0, stderr
    assert report["live"]["summary"]["models"] == ["qwen-tiny"]

    def tamper(obj):
        obj["response"]["body"][0]["__data__"]["id"] = "gpt-4o"

    path = edit_recording(stored.models, tamper, tmp_path / "models-tampered.json")
    code, report, _ = compare_json(path, live_server.base_url)
    assert code == 1
    (difference,) = report["differences"]
    assert difference["appeared"] == ["qwen-tiny"]
    assert difference["vanished"] == ["gpt-4o"]


def test_request_the_server_rejects_shows_status_and_message(live_server, stored, tmp_path):
    def null_assistant(obj):
        obj["request"]["body"]["messages"] = [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None},
            {"role": "user", "content": "and now?"},
        ]

    path = edit_recording(stored.chat, null_assistant, tmp_path / "rejected.json")
    code, report, stderr = compare_json(path, live_server.base_url)
    assert code == 2
    assert set(report) == {"path", "error"}
    assert report["error"].startswith("HTTP 500 from the server:")
    assert "validation" in report["error"]
    assert stderr.count("\n") == 1 and "HTTP 500" in stderr and "Traceback" not in stderr


def test_list_content_is_rejected_too(live_server, stored, tmp_path):
    def list_content(obj):
        obj["request"]["body"]["messages"] = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]

    path = edit_recording(stored.chat, list_content, tmp_path / "list-content.json")
    code, report, _ = compare_json(path, live_server.base_url)
    assert code == 2 and report["error"].startswith("HTTP 500")


def test_server_down_is_connection_refused(stored):
    port = free_port()  # bound then released: nothing listens there
    code, report, stderr = compare_json(stored.chat, f"http://127.0.0.1:{port}/v1")
    assert code == 2
    assert report["error"] == f"connection refused: nothing is listening at 127.0.0.1:{port}"
    assert "Traceback" not in stderr


def test_timeout_against_a_long_generation(live_server, stored, tmp_path):
    path = long_story(stored.chat_stream, 400, tmp_path / "long.json")
    code, report, stderr = compare_json(path, live_server.base_url, "--timeout", "0.3")
    assert code == 2
    assert report["error"].startswith("timeout: no complete answer within 0.3 s")
    assert "Traceback" not in stderr


@pytest.mark.parametrize("chunked", [False, True], ids=["closed", "broken-chunked-body"])
def test_stream_cut_short_is_not_a_normal_end(stored, chunked):
    with CutStreamServer(chunked=chunked) as fake:
        code, report, stderr = compare_json(stored.chat_stream, fake.base_url)
        assert fake.requests, "the fake server saw no request"
    assert code == 2
    assert report["error"].startswith("stream ended without a finish reason")
    assert "2 chunks" in report["error"]
    assert "Traceback" not in stderr


def test_request_is_built_from_endpoint_not_recorded_url(stored, tmp_path):
    def bad_url(obj):
        obj["request"]["url"] = "https://api.openai.com/v1/v1/chat/completions"

    path = edit_recording(stored.chat_stream, bad_url, tmp_path / "url.json")
    with CutStreamServer() as fake:
        compare_json(path, fake.base_url.removesuffix("/v1"))  # base URL without /v1: added from endpoint
        (request,) = fake.requests
    first_line = request.split(b"\r\n", 1)[0]
    assert first_line == b"POST /v1/chat/completions HTTP/1.1"
    body = json.loads(request.split(b"\r\n\r\n", 1)[1])
    assert body["model"] == "qwen-tiny"  # the override
    assert body["stream"] is True and body["seed"] == 42 and body["temperature"] == 0


def test_shapes_that_cannot_be_reissued_say_so(tmp_path):
    tool = {
        "test_id": None,
        "request": {
            "test_id": None,
            "provider": "tavily",
            "tool_name": "web_search",
            "kwargs": {"query": "x"},
        },
        "response": {
            "body": {
                "__type__": "ogx_api.tools.ToolInvocationResult",
                "__data__": {"content": "{}", "error_message": None, "error_code": None, "metadata": None},
            },
            "is_streaming": False,
        },
    }
    ollama = {
        "test_id": None,
        "request": {
            "method": "POST",
            "url": "http://localhost:11434/api/ps",
            "headers": {},
            "body": {},
            "endpoint": "/api/ps",
            "model": "",
        },
        "response": {
            "body": {"__type__": "ollama._types.ProcessResponse", "__data__": {"models": []}},
            "is_streaming": False,
        },
    }
    for name, obj in (("tool.json", tool), ("ollama.json", ollama)):
        path = tmp_path / name
        path.write_text(json.dumps(obj))
        code, report, stderr = compare_json(path, "http://127.0.0.1:9/v1")
        assert code == 2
        assert report["error"].startswith("cannot re-issue"), report
        assert stderr.count("\n") == 1


def test_unreadable_file_and_missing_base_url(tmp_path, stored):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, report, stderr = compare_json(broken, "http://127.0.0.1:9/v1")
    assert code == 2 and report["path"] == str(broken) and "Traceback" not in stderr
    done = run_cli("compare", str(stored.chat), "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"].startswith("no base URL")
    # the environment variable is honoured when there is no flag
    done = run_cli("compare", str(stored.chat), "--json", env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert json.loads(done.stdout)["error"].startswith("connection refused")


def test_embeddings_on_a_server_without_them_names_the_cause(live_server, tmp_path):
    """This llama.cpp server runs without --embedding: the re-issue reports the server's refusal.
    (The count/dimension/cosine comparison itself is covered in test_units.py.)"""
    obj = {
        "test_id": None,
        "request": {
            "method": "POST",
            "url": "https://api.openai.com/v1/v1/embeddings",
            "headers": {},
            "body": {"model": "text-embedding-3-small", "input": ["hello"], "encoding_format": "float"},
            "endpoint": "/v1/embeddings",
            "model": "text-embedding-3-small",
        },
        "response": {
            "body": {
                "__type__": "openai.types.create_embedding_response.CreateEmbeddingResponse",
                "__data__": {
                    "object": "list",
                    "model": "text-embedding-3-small",
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                },
            },
            "is_streaming": False,
        },
    }
    path = tmp_path / "embeddings.json"
    path.write_text(json.dumps(obj))
    code, report, _ = compare_json(path, live_server.base_url)
    assert code == 2
    assert report["error"].startswith("HTTP 500 from the server:") and "embedding=True" in report["error"]
