"""Recorded escape sequences never reach the terminal: the real app in a real pty, and the guard.

The recordings are real vendored ones with a terminal attack appended to every text field
(tests/hostile.py): a role, a tool name or a model that sets the terminal title, writes the
clipboard (OSC 52) or clears the screen must show as text, never act.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys

import pytest
from hostile import ATTACK, BASES, OTHER_KINDS, RAW_CHARACTERS, hostile_recording, write_hostile_recordings
from pty_session import PtySession
from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from tui_replay.app.terminal_guard import TerminalGuard
from tui_replay.config import LiveConfig

from .helpers import make_app, screen_text, wait_for, wait_loaded

# Markup, a title sequence and a line separator in a file name.
HOSTILE_FILE_NAME = "tool[@click=app.quit]call[b]\x1b]0;PWNED\x07\u2028.json"


@pytest.fixture
def hostile_folder(workdir):
    """recordings/conversation.json and recordings/HOSTILE_FILE_NAME: real recordings, poisoned."""
    _, tool_call = write_hostile_recordings(workdir / "recordings")
    tool_call.rename(tool_call.with_name(HOSTILE_FILE_NAME))
    return workdir / "recordings"


def _app_env(workdir, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "HOME": str(workdir),  # no user config
        "XDG_CONFIG_HOME": str(workdir / "config"),
        **extra,
    }
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def assert_no_recorded_escape_reached(output: bytes) -> None:
    assert b"\x1b]0;" not in output  # the terminal title was not set
    assert b"\x1b]52;" not in output  # the clipboard was not written
    for char in RAW_CHARACTERS:
        if char not in ("\x1b", "\x07"):  # Textual's own sequences use these
            assert char.encode() not in output, f"raw {char!r} reached the terminal"
    assert b"]0;PWNED" in output  # ... and the attack was shown, as text
    assert "␛".encode() in output


def _open_conversation(session: PtySession) -> None:
    session.wait_for(b"conversation.json")  # the preview of the first row
    session.settle()
    session.press(b"\r")
    session.wait_for(b"paced at")  # the replay screen's progress line
    session.press(b"\x1b[F")  # End: the whole answer
    session.settle()


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
def test_opening_a_hostile_recording_sends_no_recorded_escape_to_the_terminal(
    workdir, hostile_folder, no_color
):
    env = _app_env(workdir, **({"NO_COLOR": "1"} if no_color else {}))
    session = PtySession(["--no-watch", "--no-cache", "recordings"], cwd=workdir, env=env)
    try:
        _open_conversation(session)
        session.press(b"v")  # the raw view: request, response and chunk as JSON
        session.wait_for(b"Current chunk")
        session.settle()
        session.press(b"\x1b")
        session.settle()
        session.press(b"\x11")  # ctrl+q
        status = session.finish()
    finally:
        session.kill()
    assert b"Traceback" not in session.output
    assert status == 0
    assert_no_recorded_escape_reached(session.output)


def test_the_guard_drops_raw_controls_from_a_line_and_keeps_its_width():
    guard = TerminalGuard()
    link = Style(link="http://x\x1b]52;c;eA==\x07")
    line = [Segment("role\x1b]0;PWNED\x07\u202e!", Style(bold=True)), Segment("ok", link), Segment("\ud800")]
    cleaned = guard.apply(line, Color(0, 0, 0))
    assert [segment.text for segment in cleaned] == ["role]0;PWNED!", "ok", "\ufffd"]
    assert cleaned[1].style.link is None  # the hostile address is gone, the text stays
    assert Segment.get_line_length(cleaned) == Segment.get_line_length(line)
    assert guard.cleaned == 1
    plain = [Segment("nothing to do", Style(link="https://example.com"))]
    assert guard.apply(plain, Color(0, 0, 0)) is plain
    assert guard.cleaned == 1


def _screen_name(app) -> str:
    return type(app.screen).__name__


async def visit_every_screen(pilot, check) -> None:
    """Browse (preview, filter, groups, palette, help), replay (panes, raw view, exports), diff
    and explain, calling `check(app)` on each as drawn."""
    app = pilot.app
    await wait_loaded(pilot)
    check(app)
    await pilot.press("slash", *"json", "escape")
    await pilot.press("g", "right")
    check(app)
    await pilot.press("g")
    await pilot.press("ctrl+p", *"conv")
    await wait_for(pilot, lambda: "conversation.json" in screen_text(app), what="the palette")
    check(app)
    await pilot.press("escape")
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: _screen_name(app) == "HelpScreen", what="the keys")
    check(app)
    await pilot.press("escape")
    await pilot.press("home", "m", "down", "d")
    await wait_for(pilot, lambda: _screen_name(app) == "DiffScreen", what="the diff")
    await wait_for(pilot, lambda: "Reading and comparing" not in screen_text(app), what="the verdict")
    check(app)
    await pilot.press("escape", "home", "enter")
    await wait_for(pilot, lambda: _screen_name(app) == "ReplayScreen", what="the replay")
    await pilot.press("end", "g")
    await pilot.pause()
    check(app)
    for key in ("1", "2", "3"):
        await pilot.press("v" if key == "1" else key)
        await wait_for(pilot, lambda: _screen_name(app) == "RawScreen", what="the raw view")
        check(app)
    await pilot.press("escape", "x")
    await wait_for(pilot, lambda: _screen_name(app) == "ExportScreen", what="the exports")
    for key in ("1", "2", "3", "4"):
        await pilot.press(key)
        await pilot.pause()
        check(app)
    await pilot.press("escape", "escape", "down", "enter")  # the other recording: a streamed tool call
    await wait_for(pilot, lambda: _screen_name(app) == "ReplayScreen", what="the second replay")
    await pilot.press("end")
    await pilot.pause()
    check(app)
    await pilot.press("escape")
    app.action_explain("recordings/conversation.json")
    await wait_for(pilot, lambda: _screen_name(app) == "ExplainScreen", what="explain")
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: "  hash  " in screen_text(app), what="the report")
    check(app)


async def test_every_screen_shows_a_hostile_recording_as_text(workdir, hostile_folder):
    checked = []

    def check(app) -> None:
        text = screen_text(app)
        raw = [char for char in RAW_CHARACTERS if char in text]
        assert raw == [], f"raw {raw} on {_screen_name(app)}"
        checked.append(_screen_name(app))

    app = make_app(["recordings"])
    async with app.run_test(size=(160, 50)) as pilot:
        await visit_every_screen(pilot, check)
        # Every widget showed the attack as placeholders: the guard found nothing to drop.
        assert app.terminal_guard.cleaned == 0
    assert len(set(checked)) == 8, checked


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_the_views_of_other_kinds_show_a_hostile_recording_as_text(workdir, monkeypatch, no_color):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    write_hostile_recordings(workdir / "recordings", OTHER_KINDS)
    # and a shape nobody knows: its recorded type name is shown
    unknown = hostile_recording(BASES["conversation.json"])
    for chunk in unknown["response"]["body"]:
        chunk["__type__"] += ATTACK
    (workdir / "recordings" / "unknown.json").write_text(json.dumps(unknown))
    app = make_app(["recordings"])
    opened = []
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot)
        for row in range(len(OTHER_KINDS) + 1):
            await pilot.press("home", *["down"] * row, "enter")
            await wait_for(pilot, lambda: _screen_name(app) == "ReplayScreen", what="the replay")
            await wait_for(pilot, lambda: app.screen.ready, what="the recording")
            await pilot.press("end")
            await pilot.pause()
            text = screen_text(app)
            assert [char for char in RAW_CHARACTERS if char in text] == []
            assert "]0;PWNED" in text  # the attack is on the screen, as text
            opened.append(app.screen.recording.kind.value)
            await pilot.press("escape")
            await wait_for(pilot, lambda: _screen_name(app) == "BrowseScreen", what="the list")
        assert app.terminal_guard.cleaned == 0
    assert sorted(opened) == ["embeddings", "error", "models", "unknown"]


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_the_compare_view_of_a_hostile_recording_shows_it_as_text(
    workdir, hostile_folder, monkeypatch, no_color
):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    # Nothing listens on port 9: the re-issue fails at once, beside the stored answer.
    app = make_app(["recordings"], live=LiveConfig(base_url="http://127.0.0.1:9/v1"))
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot)
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: _screen_name(app) == "ReplayScreen", what="the replay")
        await wait_for(pilot, lambda: app.screen.ready, what="the recording")
        await pilot.press("r")
        await wait_for(pilot, lambda: _screen_name(app) == "CompareScreen", what="the compare view")
        await wait_for(pilot, lambda: "Could not re-issue" in screen_text(app), what="the failed re-issue")
        text = screen_text(app)
        assert [char for char in RAW_CHARACTERS if char in text] == []
        assert "]0;PWNED" in text
        assert app.terminal_guard.cleaned == 0


async def test_a_notification_shows_its_control_characters_as_data(workdir, hostile_folder):
    app = make_app(["recordings"])
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_loaded(pilot)
        app.notify("saved\x1b]0;NOTICE\x07\u2028x", title="t\x1b[2J", markup=False)
        await wait_for(pilot, lambda: "NOTICE" in screen_text(app), what="the notification")
        text = screen_text(app)
        assert "saved␛]0;NOTICE␇<U+2028>x" in text and "t␛[2J" in text
        assert app.terminal_guard.cleaned == 0


async def test_no_color_shows_every_screen(workdir, hostile_folder, corpus_subset, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(["recordings"])
    assert app.no_color
    checked = []
    async with app.run_test(size=(160, 50)) as pilot:
        await visit_every_screen(pilot, lambda app: checked.append(_screen_name(app)))
    assert len(set(checked)) == 8, checked


def _refusal(status: int, stdout: bytes, stderr: bytes) -> str:
    assert status == 2
    assert stdout == b""
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, stderr
    assert "tui-replay list PATH" in lines[0] and "tui-replay show PATH" in lines[0]
    return lines[0]


def test_without_a_terminal_the_app_refuses_in_one_line(workdir, hostile_folder):
    # As from a script: nothing is a terminal.
    result = subprocess.run(
        [sys.executable, "-m", "tui_replay", "--no-watch", "recordings"],
        cwd=workdir,
        env=_app_env(workdir),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=20,
        check=False,
    )
    line = _refusal(result.returncode, result.stdout, result.stderr)
    assert "(stdin and stdout and stderr are not)" in line


def test_stdout_not_a_terminal_is_refused_too(workdir, hostile_folder):
    # `tui-replay recordings > file` in a terminal: stdin and stderr are the terminal.
    master, slave = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "tui_replay", "--no-watch", "recordings"],
            cwd=workdir,
            env=_app_env(workdir),
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=20,
            check=False,
        )
        os.close(slave)
        terminal = b""
        while select.select([master], [], [], 0.5)[0]:
            try:
                terminal += os.read(master, 65536)
            except OSError:  # EIO: nothing more
                break
    finally:
        os.close(master)
    line = _refusal(result.returncode, result.stdout, terminal.replace(b"\r\n", b"\n"))
    assert "(stdout is not)" in line
