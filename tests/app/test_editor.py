"""What the editor, test-source and clipboard keys decide, without the app (issue 20.6)."""

from __future__ import annotations

from tui_replay.app.editor import clipboard_caveat, editor_command, find_test_source


def test_the_line_goes_to_the_editor_in_the_form_it_takes():
    assert editor_command("r.json", 12, {"EDITOR": "nvim"}) == ["nvim", "+12", "r.json"]
    assert editor_command("r.json", 12, {"VISUAL": "code --wait", "EDITOR": "vi"}) == [
        "code",
        "--wait",
        "--goto",
        "r.json:12",
    ]
    assert editor_command("r.json", 12, {"EDITOR": "/usr/bin/hx"}) == ["/usr/bin/hx", "r.json:12"]
    assert editor_command("r.json", None, {}) == ["vi", "r.json"]


def test_the_test_source_is_found_above_the_recording_and_inside_its_class(tmp_path):
    test_file = tmp_path / "tests" / "integration" / "test_x.py"
    test_file.parent.mkdir(parents=True)
    test_file.write_text(
        "def test_y():\n    pass\n\n\nclass TestZ:\n    async def test_y(self):\n        pass\n"
    )
    recording = tmp_path / "tests" / "integration" / "recordings" / "r.json"
    recording.parent.mkdir()
    recording.write_text("{}")
    found = find_test_source("tests/integration/test_x.py::TestZ::test_y[a-b]", str(recording))
    assert found == (str(test_file), 6)
    assert find_test_source("tests/integration/test_x.py::test_y", str(recording)) == (str(test_file), 1)
    missing = find_test_source("tests/other/test_w.py::test_v", str(recording))
    assert isinstance(missing, str) and "tests/other/test_w.py is not under" in missing


def test_the_clipboard_caveat_names_what_drops_the_copy():
    assert clipboard_caveat({"TERM": "xterm-256color"}) is None
    assert clipboard_caveat({"TERM": "tmux-256color", "TMUX": "/tmp/s,1,0"}, "on") is None
    assert "(here it is external)" in clipboard_caveat({"TMUX": "/tmp/s,1,0"}, "external")
    assert "could not be read" in clipboard_caveat({"TMUX": "/tmp/s,1,0"}, None)
    assert "TERM unset" in clipboard_caveat({})
    assert "GNU screen" in clipboard_caveat({"TERM": "screen.xterm-256color", "STY": "1.pts"})
