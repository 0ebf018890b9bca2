"""Recorded text in the text output of every command: escapes and invisible characters as
placeholders, on real recordings with an attack in every text field (tests/hostile.py)."""

from __future__ import annotations

import pytest
from hostile import RAW_CHARACTERS, write_hostile_recordings


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
