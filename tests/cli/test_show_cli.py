"""`tui-replay show` through the real command line."""

from __future__ import annotations

import json
import os

import orjson
import pytest
from badinputs import ERROR_CASES, fingerprint, make_bad_inputs
from cli_support import SEED_TURN_1, SEED_TURN_2

SHOW_FIELDS = [
    "path", "status", "error", "test_id", "kind", "endpoint", "model", "streaming",
    "messages", "tools", "response", "citations", "choices", "other_choices", "details",
    "format", "interaction",
]  # fmt: skip


def _json_lines(stdout: bytes) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def test_show_json_of_the_seed_case(run_cli, corpus):
    result = run_cli("show", "--json", str(corpus / SEED_TURN_1), str(corpus / SEED_TURN_2))
    assert result.returncode == 0, result.stderr
    turn1, turn2 = _json_lines(result.stdout)
    assert list(turn1) == list(turn2) == SHOW_FIELDS
    assert turn1["status"] == "ok" and turn1["error"] is None
    call = turn1["response"]["tool_calls"][0]
    assert call["name"] == "knowledge_search"
    assert json.loads(call["arguments"]) == {"query": "Llama 4 Maverick model number of experts"}
    assert turn1["response"]["finish_reason"] == "tool_calls"

    assert [m["role"] for m in turn2["messages"]] == ["user", "assistant", "tool"]
    assert turn2["messages"][0]["text"] == "How many experts does the Llama 4 Maverick model have?"
    assert turn2["messages"][1]["tool_calls"][0]["id"] == turn2["messages"][2]["tool_call_id"]
    assert turn2["tools"] == ["knowledge_search"]
    response = turn2["response"]
    assert response["text"] == "The Llama 4 Maverick model has 128 experts <|file-383513632278|>."
    assert response["usage"] == {"prompt_tokens": 991, "completion_tokens": 23, "total_tokens": 1014}
    assert response["chunks"] == 25 and response["exception"] is None
    [citation] = turn2["citations"]
    assert citation["marker"] == "<|file-383513632278|>"
    assert citation["document_id"] == "file-383513632278"
    assert citation["filename"] == "llama_stack_and_models.pdf"
    assert "128  experts" in citation["text"]
    assert set(citation) == {"marker", "document_id", "filename", "score", "text", "via"}


def test_show_json_keeps_text_exactly_as_recorded(run_cli, corpus, tmp_path):
    source = json.loads((corpus / SEED_TURN_2).read_text())
    weird = "[bold]x[/bold] \x1b[2J\x00 caf\u00e9 \U0001f3f4 \r\n end"
    source["request"]["body"]["messages"][0]["content"] = weird
    path = tmp_path / "weird.json"
    path.write_text(json.dumps(source))
    result = run_cli("show", "--json", str(path))
    assert result.returncode == 0, result.stderr
    [row] = _json_lines(result.stdout)
    assert row["messages"][0]["text"] == weird
    assert b"\\u001b[2J\\u0000" in result.stdout  # control characters stay escaped in the JSON


def test_show_renders_the_conversation_literally(run_cli, corpus, tmp_path):
    source = json.loads((corpus / SEED_TURN_2).read_text())
    source["request"]["body"]["messages"][0]["content"] = "[bold red]shout[/bold red] \x1b[31mred\x1b[0m"
    path = tmp_path / "markup.json"
    path.write_text(json.dumps(source))
    result = run_cli("show", str(path), str(corpus / SEED_TURN_1), columns=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "[bold red]shout[/bold red]" in out
    assert "\x1b" not in out and "␛[31mred␛[0m" in out
    for expected in ("user", "assistant", "tool", "response", "knowledge_search", "citations",
                     "<|file-383513632278|>", "llama_stack_and_models.pdf", "128 experts"):  # fmt: skip
        assert expected in out, expected
    assert "finish: tool_calls" in out  # turn 1 answers with a tool call


def test_show_a_folder_of_real_recordings(run_cli, corpus):
    folder = corpus / "llama-stack" / "inference" / "recordings"
    result = run_cli("show", "--json", str(folder))
    assert result.returncode == 0, result.stderr
    rows = _json_lines(result.stdout)
    assert len(rows) == len(list(folder.glob("*.json")))
    assert all(row["status"] == "ok" for row in rows)
    rendered = run_cli("show", str(folder))
    assert rendered.returncode == 0 and b"Traceback" not in rendered.stderr


@pytest.mark.timeout(120)
def test_show_bad_input_exits_1_with_error_rows(run_cli, corpus, tmp_path):
    paths = make_bad_inputs(tmp_path / "bad")
    before = fingerprint(paths)
    good = str(corpus / SEED_TURN_2)
    result = run_cli("show", "--json", good, str(tmp_path / "bad"), str(paths["fifo.json"]), timeout=60)
    assert result.returncode == 1
    assert result.stderr == b""
    rows = _json_lines(result.stdout)
    assert rows[0]["status"] == "ok"
    errors = {os.path.basename(row["path"]): row for row in rows[1:]}
    assert sorted(errors) == sorted([*ERROR_CASES, "fifo.json"])
    for row in errors.values():
        assert list(row) == SHOW_FIELDS
        assert row["status"] == "error" and row["error"] and "\n" not in row["error"]
        assert row["response"] is None and row["messages"] == []
    assert errors["fifo.json"]["error"] == "not a regular file (FIFO)"
    rendered = run_cli("show", str(tmp_path / "bad"), timeout=60)
    assert rendered.returncode == 1
    assert b"Traceback" not in rendered.stdout + rendered.stderr
    assert rendered.stdout.count(b"\n") >= len(ERROR_CASES)
    assert fingerprint(paths) == before


def test_show_missing_path_exits_2(run_cli, tmp_path):
    result = run_cli("show", str(tmp_path / "gone.json"))
    assert result.returncode == 2
    assert str(tmp_path / "gone.json").encode() in result.stderr
    assert result.stdout == b""


def test_show_max_size(run_cli, corpus):
    result = run_cli("show", "--json", "--max-size", "1K", str(corpus / SEED_TURN_2))
    assert result.returncode == 1
    [row] = _json_lines(result.stdout)
    assert "limit" in row["error"]


def test_usage_errors_exit_2(run_cli):
    assert run_cli("show").returncode == 2
    assert run_cli("list").returncode == 2
    assert run_cli("list", "--max-size", "lots", "x").returncode == 2


def test_a_parser_failure_is_an_error_row_not_a_traceback(monkeypatch, capsys, tmp_path):
    """A fake for what the real parser cannot be made to do: raise something unexpected."""
    import argparse

    import tui_replay.recording.load as load_module
    from tui_replay.commands.show import run_show
    from tui_replay.config import Config

    def broken(path, max_size):
        raise KeyError("surprise")

    monkeypatch.setattr(load_module, "load_recording", broken)
    target = tmp_path / "x.json"
    target.write_text("{}")
    code = run_show(argparse.Namespace(paths=[str(target)], json=True), Config())
    assert code == 1
    [row] = _json_lines(capsys.readouterr().out.encode())
    assert row["error"] == "unexpected error: KeyError: 'surprise'"
