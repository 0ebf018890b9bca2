"""What the headless commands share to write their output: JSON lines, recorded text shown
literally in Rich, a console and a stdout that survive a closed pipe or an odd terminal, and the
line about a path that does not exist.

Imports no Textual (and no Rich until a readable output asks for it).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson

from tui_replay.catalog.scan import unreachable_paths

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

PROG = "tui-replay"


def report_missing(command: str, paths: Iterable[str]) -> int:
    """Print one line per missing path on stderr; 2 when any is missing, else 0."""
    missing = unreachable_paths(paths)
    if missing:
        from tui_replay.textsafe import shown_path  # (imports Rich: `list --json` does not, otherwise)

        for path, reason in missing:
            print(f"{PROG} {command}: {reason}: {shown_path(path)}", file=sys.stderr)
    return 2 if missing else 0


def dumps_line(obj: dict[str, Any]) -> bytes:
    """One JSON line; text exactly as recorded (control characters stay escaped)."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        # orjson refuses lone surrogates (a recorded "\udc80"); the stdlib escapes them.
        text = json.dumps(_finite(obj), ensure_ascii=True, separators=(",", ":"), default=str)
        return text.encode() + b"\n"


def _finite(value: Any) -> Any:
    """NaN and infinities as null, as orjson writes them (the stdlib would write NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


# The readable output shows at most this much of one piece of recorded text: Rich lays out
# every line it prints (a 12 MB answer of 4 million lines took over 2 GB), and nobody reads
# that in a terminal. --json prints everything.
SHOWN_CHARS = 100_000
SHOWN_LINES = 2_000


def literal(value: object, style: str = "", *, single_line: bool = False) -> Text:
    """Recorded text as a Rich Text that shows control characters and never reads markup
    (with `single_line`, for file names, newlines and tabs too); beyond SHOWN_CHARS or
    SHOWN_LINES, cut, with a note of how much was left out."""
    from tui_replay.textsafe import safe_text

    whole = str(value)
    shown = _first_lines(whole[:SHOWN_CHARS], SHOWN_LINES)
    text = safe_text(shown, style, single_line=single_line)
    if len(shown) < len(whole):
        left_out = len(whole) - len(shown)
        text.append(f"… ({left_out:,} more characters not shown; --json prints all)", "dim italic")
    text.end = "\n"  # stacked in a Group, each piece on its own line
    return text


def _first_lines(text: str, count: int) -> str:
    end = -1
    for _ in range(count):
        end = text.find("\n", end + 1)
        if end == -1:
            return text
    return text[:end]


def make_console() -> Console:
    """A Rich console on stdout for the headless commands.

    Rich turns a closed pipe (`tui-replay list | head`) into SystemExit(1); the reader going
    away is not an error here, so it becomes the BrokenPipeError the CLI answers with 0.
    """
    from rich.console import Console

    console = Console(highlight=False)

    def on_broken_pipe() -> None:
        _silence_stdout()
        raise BrokenPipeError

    console.on_broken_pipe = on_broken_pipe  # type: ignore[method-assign]
    return console


def _silence_stdout() -> None:
    """After the reader went away: nothing more reaches the closed pipe (not even at exit)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def tolerant_stdout() -> None:
    """Text that cannot be encoded (a lone surrogate, a non-UTF-8 terminal) is escaped, not fatal."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")
