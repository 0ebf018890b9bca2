"""Recorded text in the text output of every command: escapes and invisible characters as
placeholders, on real recordings with an attack in every text field (tests/hostile.py)."""

from __future__ import annotations

import json

import pytest
from cli_support import CORPUS
from hostile import BASES, RAW_CHARACTERS, write_hostile_recordings


@pytest.fixture
def hostile(tmp_path):
    return write_hostile_recordings(tmp_path / "recordings")


@pytest.mark.parametrize(
    "command",
    [["list"], ["show"], ["check"], ["diff"], ["explain", "--recording"], ["export", "--format", "markdown"]],
    ids=lambda command: command[0],
)
def test_no_recorded_escape_or_invisible_character_is_printed_raw(run_cli, hostile, command):
    conversation, tool_call = map(str, hostile)
    args = {
        "diff": [conversation, tool_call],
        "explain": [conversation, str(hostile[0].parent)],
        "export": [conversation],
    }.get(command[0], [str(hostile[0].parent)])
    result = run_cli(*command, *args)
    assert result.returncode in (0, 1), result.stderr
    out = result.stdout.decode()
    assert out
    raw = [char for char in RAW_CHARACTERS if char in out]
    assert raw == [], f"{command[0]} printed {raw} raw"


def test_explain_shows_a_changed_key_with_a_newline_on_one_line(run_cli, tmp_path):
    stored = tmp_path / "recordings"
    stored.mkdir()
    base = CORPUS / BASES["conversation.json"]
    (stored / base.name).write_bytes(base.read_bytes())
    request = json.loads(base.read_text())
    request["request"]["body"]["extra\n    model: gpt-5 → evil"] = 1
    (tmp_path / "request.json").write_text(json.dumps(request))
    result = run_cli("explain", "--recording", str(tmp_path / "request.json"), str(stored))
    assert result.returncode == 1  # a miss
    lines = result.stdout.decode().splitlines()
    assert not any(line.strip().startswith("model: gpt-5") for line in lines), lines
    assert any("extra␊    model: gpt-5 → evil" in line for line in lines), lines


def test_show_prints_a_role_with_a_newline_on_the_panel_line(run_cli, tmp_path):
    recording = json.loads((CORPUS / BASES["conversation.json"]).read_text())
    recording["request"]["body"]["messages"][0]["role"] = "system\n│ a line of its own"
    (tmp_path / "r.json").write_text(json.dumps(recording))
    lines = run_cli("show", str(tmp_path / "r.json")).stdout.decode().splitlines()
    assert any(line.startswith("╭─ system␊│ a line of its own ─") for line in lines), lines
