"""Recorded text is data, never markup.

Recordings can hold `[bold]`, ANSI escape sequences, carriage returns, bell
characters or bidi overrides. Anything shown to the user goes through here so
that control characters become visible placeholders and nothing is ever
interpreted as Rich/Textual markup or sent raw to the terminal.

Lone surrogates (a recorded "\\udc80", or a file name that is not UTF-8, which
`os.fsdecode` turns into U+DC80..U+DCFF) are placeholders too: they have no width a
terminal agrees on, and cannot be encoded. Text meant for one line (file names, table
cells) is made safe with `single_line=True`: a newline or a tab in it is a placeholder
as well, so it can neither split a row nor leave characters behind.
"""

from __future__ import annotations

import os
import re

from rich.style import Style
from rich.text import Text

# C0 controls except tab and newline, DEL, C1 controls, lone surrogates, and every format
# character (Unicode category Cf: bidi overrides and isolates that reorder what follows
# them, zero-width spaces and joiners, the BOM, soft hyphens, tags) and line and paragraph
# separator (Zl, Zp): all invisible or moving text around, so none may reach the screen
# raw. The Cf/Zl/Zp ranges are those of Unicode 15 (tests/test_textsafe.py checks them
# against the running Python's unicodedata).
_FORMAT_CLASS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_UNSAFE_CLASS = "\x00-\x08\x0b-\x1f\x7f\x80-\x9f\ud800-\udfff" + _FORMAT_CLASS
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
UNSAFE_IN_LINE = re.compile(f"[{_UNSAFE_CLASS}\t\n]")
PLACEHOLDER_STYLE = Style(dim=True, reverse=True)


def placeholder(char: str) -> str:
    """The visible stand-in for one unsafe character: ␛ for ESC, ␇ for BEL, <U+202E> ..."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "Control Pictures" block
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def printable(text: str, *, single_line: bool = False) -> str:
    """`text` with every unsafe character (and with `single_line`, tab and newline) as its placeholder."""
    unsafe = UNSAFE_IN_LINE if single_line else _UNSAFE
    # Every unsafe character is one str.isprintable refuses (tests/test_textsafe.py), and that
    # check runs several times faster than the search: a long answer is mostly printable.
    if (text.replace("\n", "").replace("\t", "") if not single_line else text).isprintable():
        return text
    if not unsafe.search(text):
        return text
    return unsafe.sub(lambda match: placeholder(match.group()), text)


def safe_text(text: str, style: str | Style = "", *, single_line: bool = False) -> Text:
    """A Rich `Text` showing `text` literally: no markup, placeholders marked dim+reverse."""
    result = Text(style=style, end="")
    position = 0
    for match in (UNSAFE_IN_LINE if single_line else _UNSAFE).finditer(text):
        if match.start() > position:
            result.append(text[position : match.start()])
        result.append(placeholder(match.group()), PLACEHOLDER_STYLE)
        position = match.end()
    if position < len(text):
        result.append(text[position:])
    return result


def one_line(text: str, limit: int = 200, *, fold: bool = True) -> str:
    """A printable single-line excerpt cut at `limit`: newlines and tabs folded to spaces, or
    with `fold=False` (file names, where every character counts) shown as placeholders."""
    flat = " ".join(printable(text).split()) if fold else printable(text, single_line=True)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def message_line(text: str) -> str:
    """A message (an error, perhaps quoting a `shown_path`) as one line: its lines joined by a
    space, unsafe characters as placeholders; spaces inside a line are kept as they are."""
    return printable(" ".join(line.strip() for line in text.splitlines()), single_line=True)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A file name or path as printed on one line of text output: every character kept, the
    unsafe ones and newlines and tabs as placeholders (`list` shows names the same way)."""
    return printable(os.fspath(path), single_line=True)
