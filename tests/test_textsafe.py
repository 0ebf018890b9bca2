"""tui_replay.textsafe: which characters are shown as placeholders, checked against unicodedata."""

from __future__ import annotations

import sys
import unicodedata

from tui_replay.textsafe import _UNSAFE, message_line, printable, safe_text, shown_path

# Invisible or text-moving categories: controls, format characters (bidi, zero-width, BOM,
# tags), line and paragraph separators, lone surrogates.
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}
KEPT = {"\t", "\n"}  # multi-line text keeps its tabs and newlines


def test_every_control_format_and_separator_character_is_a_placeholder():
    missed = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in UNSAFE_CATEGORIES
        and chr(code) not in KEPT
        and printable(chr(code)) == chr(code)
    ]
    assert missed == []


def test_nothing_visible_becomes_a_placeholder():
    # Only unsafe characters, or ones this Python's Unicode data does not know yet (a newer
    # Unicode's format characters are in the list already).
    changed = [
        f"U+{code:04X} {unicodedata.category(chr(code))}"
        for code in range(sys.maxunicode + 1)
        if printable(chr(code)) != chr(code)
        and unicodedata.category(chr(code)) not in UNSAFE_CATEGORIES | {"Cn"}
    ]
    assert changed == []


def test_the_quick_check_never_passes_an_unsafe_character():
    # printable() returns a text at once when str.isprintable accepts it (newlines and tabs
    # aside): that holds only while isprintable refuses every character the search would catch.
    passed = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if chr(code).isprintable() and _UNSAFE.match(chr(code))
    ]
    assert passed == []
    text = "line one\n\tindented " * 1000
    assert printable(text) is text
    assert printable(text + "\u202e" + text) == text + "<U+202E>" + text
    assert printable("a\tb\nc", single_line=True) == "a\u2409b\u240ac"


def test_invisible_characters_show_by_code_point():
    text = "a\u2028b\u2029c\u200bd\ufeffe\u00adf\u2066g\U000e0041h"
    assert printable(text) == ("a<U+2028>b<U+2029>c<U+200B>d<U+FEFF>e<U+00AD>f<U+2066>g<U+E0041>h")
    assert safe_text(text).plain == printable(text)


def test_a_path_is_one_line_with_every_character_shown():
    name = "a.json\n  git mv x y; sh #\t\x1b]0;t\x07\u2028.json"
    assert shown_path(name) == "a.json␊  git mv x y; sh #␉␛]0;t␇<U+2028>.json"
    from pathlib import Path

    assert shown_path(Path("dir") / "b\nc.json") == "dir/b␊c.json"


def test_a_message_is_one_line_keeping_the_spaces_of_a_name():
    name = shown_path("a  b\nc.json")
    message = f"no such file: {name}\n  git: fatal\x1b[2J"
    assert message_line(message) == "no such file: a  b␊c.json git: fatal␛[2J"
