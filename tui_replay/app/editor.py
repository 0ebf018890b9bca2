"""Leaving the app for the files behind a recording: `$EDITOR` at a line, the test's source, the
clipboard. No Textual here: the screens run what these functions decide.

- `editor_command`: `$VISUAL`, else `$EDITOR`, else `vi`, with the line in the form the editor
  takes (`+12 FILE` for vi, nano, emacs, micro, kak; `FILE:12` for Helix, Sublime, Zed;
  `--goto FILE:12` for VS Code).
- `find_test_source`: a test id names its file relative to the tested project's root, which
  is not known: it is looked for above the recording's folder (and the current one), and the
  test function found in it by a search for `def test_x`.
- `clipboard_caveat`: copying goes through the terminal (OSC 52), which tmux drops unless
  `set-clipboard` is `on`, and which an unknown terminal may ignore: say so instead of a bare
  "Copied".
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tui_replay.catalog.testids import split_test_id

# Editors that take `FILE:LINE` (VS Code and its forks with --goto), not `+LINE FILE`.
_COLON_LINE = {"hx", "helix", "subl", "sublime_text", "zed", "zeditor"}
_GOTO = {"code", "code-insiders", "codium", "cursor", "windsurf"}


def editor_argv(environ: Mapping[str, str] | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError:
                argv = [value]
            if argv:
                return argv
    return ["vi"]


def editor_command(path: str, line: int | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """The argv that opens `path` (at `line`, 1-based, when given) in the user's editor."""
    argv = editor_argv(environ)
    if not line:
        return [*argv, path]
    name = os.path.basename(argv[0])
    if name in _GOTO:
        return [*argv, "--goto", f"{path}:{line}"]
    if name in _COLON_LINE:
        return [*argv, f"{path}:{line}"]
    return [*argv, f"+{line}", path]


def run_editor(argv: list[str]) -> str | None:
    """Run the editor and wait for it; the reason when it could not be run or failed."""
    try:
        completed = subprocess.run(argv, check=False)
    except OSError as exc:
        return f"cannot run {argv[0]}: {exc.strerror or exc}"
    if completed.returncode != 0:
        return f"{argv[0]} exited with status {completed.returncode}"
    return None


def line_of(path: str, needle: str) -> int | None:
    """The 1-based line of the file where `needle` (recorded text) first appears as it is stored:
    JSON-escaped in a recording, or plain (a YAML cassette). None when it is not found."""
    if not needle.strip():
        return None
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # The first line of the text is enough to find it, and survives line folding in YAML.
    first = needle.strip().splitlines()[0][:80]
    for form in (json.dumps(first, ensure_ascii=False)[1:-1], json.dumps(first)[1:-1], first):
        at = text.find(form)
        if at != -1:
            return text.count("\n", 0, at) + 1
    return None


def find_test_source(test_id: str, near: str) -> tuple[str, int | None] | str:
    """(test file, line of the test function) for a pytest node id, or the reason it is not found.

    The file part of the id is tried under each folder above `near` (the recording) and under
    the current folder; the function by its `def` line (inside its class when the id names one).
    """
    file_part, test_part = split_test_id(test_id)
    if not file_part.endswith(".py"):
        return f"the test id names no Python file: {file_part}"
    tried: list[Path] = []
    start = Path(near).resolve().parent
    for folder in [start, *start.parents, Path.cwd()]:
        candidate = folder / file_part
        if candidate in tried:
            continue
        tried.append(candidate)
        if candidate.is_file():
            return str(candidate), _test_line(candidate, test_part)
    return f"{file_part} is not under {start} nor any folder above it, nor here"


def _test_line(path: Path, test_part: str) -> int | None:
    names = test_part.split("[", 1)[0].split("::")
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    first = 0
    for class_name in names[:-1]:  # the class(es) the test is in: look after their line
        pattern = re.compile(rf"^\s*class\s+{re.escape(class_name)}\b")
        found = next((i for i in range(first, len(lines)) if pattern.match(lines[i])), None)
        if found is not None:
            first = found
    function = re.compile(rf"^\s*(async\s+)?def\s+{re.escape(names[-1])}\s*\(")
    for index in range(first, len(lines)):
        if function.match(lines[index]):
            return index + 1
    return None


def clipboard_caveat(
    environ: Mapping[str, str] | None = None, tmux_clipboard: str | None = None
) -> str | None:
    """Why the terminal may drop a copy (OSC 52), or None when it should arrive.

    `tmux_clipboard`: tmux's `set-clipboard` option as `tmux_set_clipboard()` read it.
    """
    environ = os.environ if environ is None else environ
    if environ.get("TMUX"):
        if tmux_clipboard != "on":
            setting = f"is {tmux_clipboard}" if tmux_clipboard else "could not be read"
            return f"tmux passes a copy on only with `set -g set-clipboard on` (here it {setting})"
        return None
    term = environ.get("TERM", "")
    if not term or term in ("dumb", "unknown", "linux"):
        return f"the terminal ({term or 'TERM unset'}) may not support copying (OSC 52)"
    if term.startswith("screen") and environ.get("STY"):
        return "GNU screen does not pass a copy (OSC 52) on to the terminal"
    if environ.get("TERM_PROGRAM") == "Apple_Terminal":
        return "Apple's Terminal does not support copying from apps (OSC 52)"
    return None


def tmux_set_clipboard() -> str | None:
    """tmux's `set-clipboard` option (`on`, `external`, `off`), None when tmux cannot say."""
    try:
        completed = subprocess.run(
            ["tmux", "show-options", "-gv", "set-clipboard"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = completed.stdout.strip()
    return value if completed.returncode == 0 and value else None
