"""`tui-replay show` into a pipe: full width, like `list` (issue 20.8)."""

from __future__ import annotations

import json

from cli_support import SEED_TURN_2


def test_show_into_a_pipe_wraps_nothing(run_cli, corpus, tmp_path):
    source = json.loads((corpus / SEED_TURN_2).read_text())
    long_line = " ".join(f"word{index}" for index in range(60))  # ~400 characters, no newline
    source["request"]["body"]["messages"][0]["content"] = long_line
    folder = tmp_path / "a folder whose name is long enough to push the path past eighty columns"
    folder.mkdir()
    path = folder / "recording.json"
    path.write_text(json.dumps(source))
    result = run_cli("show", str(path), columns=80)  # stdout is a pipe, COLUMNS says 80
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert str(path) in lines  # the path whole, on a line of its own
    assert any(source["test_id"] in line for line in lines)  # the test id not folded either
    [message_line] = [line for line in lines if "word0 " in line]
    assert long_line in message_line
    # Short panels keep the usual width; a rule is not stretched to the widest line.
    assert lines[0] == "─" * 80
