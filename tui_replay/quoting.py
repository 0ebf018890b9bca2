"""One quoting function per target language for generated code (exports, commands).

Every value taken from a recording or a config goes through one of these before it is
written into a shell script, a Python snippet or a Markdown transcript:

- shell: `shell_word` (one argument, never expanded) and `comment` (a `# ...` line);
- Python: `python_literal` (a `repr`/`pprint` literal) and `comment`;
- Markdown: `markdown_text`, `markdown_code` (inline code) and `markdown_block` (a fence).

Newlines and other control characters never reach a comment: `comment` writes them as
visible escapes (`\\n`, `\\x1b`, `\\u202e`), so a value cannot end a comment line and
start code. A lone surrogate (which cannot even be encoded as UTF-8) is escaped the same way.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# The name of an environment variable as POSIX shells accept it in `$NAME`.
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_env_name(name: str) -> bool:
    return ENV_NAME.fullmatch(name) is not None


def _escape(char: str) -> str:
    """`\\n`, `\\x1b`, `\\u202e`, `\\U0001f600`: a backslash escape spelled in ASCII."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _shown(char: str) -> bool:
    """Printable, or a space of any width (no-break, ideographic): shown as it is."""
    return char.isprintable() or unicodedata.category(char) == "Zs"


def _all_shown(text: str) -> bool:
    return text.isprintable() or all(_shown(ch) for ch in text)


def visible(text: str, keep: str = "") -> str:
    """`text` with every other character (controls, line and paragraph separators, bidi
    overrides, lone surrogates, unassigned code points) written as a backslash escape;
    characters in `keep` stay as they are."""
    if _all_shown(text):
        return text
    return "".join(ch if _shown(ch) or ch in keep else _escape(ch) for ch in text)


def comment(text: str) -> str:
    """One `# ...` line (shell or Python) that says `text` and cannot become code."""
    return "# " + visible(text)


# -- shell (bash) ------------------------------------------------------------------------


def shell_word(text: str, *, multiline: bool = False) -> str:
    """`text` as exactly one bash word, never expanded: `'...'` quoting, or `$'...'` with
    escapes when it holds control characters (so the script stays one command per line and
    carries no raw terminal escapes; non-ASCII ones as `\\uHHHH`, which bash decodes in a UTF-8
    locale). `multiline` lets newlines stay as they are (a JSON body)."""
    if _all_shown(text.replace("\n", "") if multiline else text):
        import shlex  # (here: `list` imports this module for is_env_name, and starts faster)

        return shlex.quote(text)
    body = []
    for ch in text:
        if ch in "\\'":
            body.append("\\" + ch)
        elif _shown(ch):
            body.append(ch)
        elif ord(ch) < 0x80:
            body.append(_escape(ch))
        else:  # bash's \xHH is a byte; \uHHHH is the character (in a UTF-8 locale)
            body.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return "$'" + "".join(body) + "'"


# -- Python ------------------------------------------------------------------------------


def python_literal(value: Any, width: int = 100) -> str:
    """A Python literal for a JSON-like value: `repr` escapes every non-printable character."""
    if isinstance(value, str):
        return repr(value)
    import pprint  # (here: see shell_word)

    return pprint.pformat(value, indent=1, width=width, sort_dicts=False)


# -- Markdown ----------------------------------------------------------------------------

# Inline Markdown and HTML syntax; line-start syntax (`-`, `1.`, `>`) cannot occur mid-line.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|#!])")


def markdown_text(text: str) -> str:
    """`text` as literal Markdown inline text (a heading, a list item): one line, every
    character that Markdown or HTML would interpret backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", visible(text))


def markdown_code(text: str) -> str:
    """`text` as an inline code span, one line, whatever backticks it holds."""
    text = visible(text)
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_block(text: str, info: str = "") -> str:
    """`text` as a fenced code block; newlines and tabs kept, other controls escaped."""
    text = visible(text, keep="\n\t")
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{info}\n{text}\n{fence}"
