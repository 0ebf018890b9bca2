"""tui_replay.quoting: every character, through the real bash and the real Python compiler."""

from __future__ import annotations

import subprocess
import unicodedata

from tui_replay.quoting import comment, markdown_block, markdown_code, python_literal, shell_word

# Every ASCII control, DEL, C1 controls, separators, bidi controls, BOM, and plain unicode.
SPECIAL = (
    [chr(code) for code in range(1, 0x20)]
    + ["\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\u202e", "\u2066", "\ufeff", "\u200b"]
    + list("'\"\\$`!;&|<>(){}[]*?~#% \t")
    + ["é", "漢字", "🙂", "\u0301"]
)


def raw_controls(text: str) -> list[str]:
    """Characters that a terminal or an editor would act on, or not show."""
    return [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")]


VALUES = [*SPECIAL, "".join(SPECIAL), "a\nb", "-n", "--help", "$(id)", "`id`", "'", "\\'"]


def test_a_comment_is_always_one_line_of_visible_text():
    for value in [*VALUES, "\ud800 lone surrogate"]:
        line = comment(value)
        assert line.startswith("# ")
        assert len(line.splitlines()) == 1  # no newline of any kind (\n \r \v \f \x1c.. \x85 \u2028)
        assert raw_controls(line) == [], repr(line)
        line.encode("utf-8")  # a lone surrogate is escaped, so the file can be written
        compile(line, "c.py", "exec")  # a Python comment and nothing else


def test_shell_words_reach_bash_intact_as_one_argument_each():
    words = " ".join(shell_word(value) for value in VALUES)
    script = f"for arg in {words}; do printf '%s\\0' \"$arg\"; done\n"
    assert raw_controls(script[:-1]) == []  # no raw control character in the script
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        timeout=30,
        env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8").split("\0")[:-1] == VALUES


def test_multiline_shell_words_keep_their_newlines_readable():
    assert shell_word('{\n  "a": 1\n}', multiline=True) == "'{\n  \"a\": 1\n}'"
    assert shell_word("a\nb") == "$'a\\nb'"


def test_python_literals_evaluate_to_the_value():
    value = {"text": "".join(VALUES), "list": VALUES, "n": 1.5, "ok": True, "none": None}
    assert eval(python_literal(value)) == value  # the point of the test
    assert "\n" not in python_literal("".join(VALUES))


def test_markdown_code_spans_and_blocks_hold_any_backticks():
    for text in ("`", "``a``", "a ``` b", "````"):
        span = markdown_code(text)
        fence = span[: len(span) - len(span.lstrip("`"))]
        assert fence not in text and "\n" not in span
        block = markdown_block(text)
        first = block.splitlines()[0]
        assert first not in text and block.endswith("\n" + first)
    assert markdown_block("a\x1b[2Jb\n\tc") == "```\na\\x1b[2Jb\n\tc\n```"
