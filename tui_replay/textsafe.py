"""Recorded text is data, never markup.

Recordings can hold `[bold]`, ANSI escape sequences, carriage returns, bell
characters or bidi overrides. Anything shown to the user goes through here so
that control characters become visible placeholders and nothing is ever
interpreted as Rich/Textual markup or sent raw to the terminal.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

# C0 controls except tab and newline, DEL, C1 controls, and the bidi
# embedding/override/isolate characters that can reorder what follows them.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]")
PLACEHOLDER_STYLE = Style(dim=True, reverse=True)


def placeholder(char: str) -> str:
    """The visible stand-in for one unsafe character: ␛ for ESC, ␇ for BEL, <U+202E> ..."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "Control Pictures" block
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def printable(text: str) -> str:
    """`text` with every unsafe character replaced by its placeholder."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda match: placeholder(match.group()), text)


def safe_text(text: str, style: str | Style = "") -> Text:
    """A Rich `Text` showing `text` literally: no markup, placeholders marked dim+reverse."""
    result = Text(style=style, end="")
    position = 0
    for match in _UNSAFE.finditer(text):
        if match.start() > position:
            result.append(text[position : match.start()])
        result.append(placeholder(match.group()), PLACEHOLDER_STYLE)
        position = match.end()
    if position < len(text):
        result.append(text[position:])
    return result


def one_line(text: str, limit: int = 200) -> str:
    """A printable single-line excerpt: newlines and tabs folded to spaces, cut at `limit`."""
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
