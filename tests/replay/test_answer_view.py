"""The answer view's incremental wrapping: appending in any pieces gives the rows of one big append."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from tui_replay.app.widgets.answer_view import AnswerView, _wrap

PIECES = st.sampled_from(
    ["a", "bb", "word", "longerword", " ", "  ", "\n", "漢字", "é", "😀", "\t", "\x1b", "[b]"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=60), st.integers(min_value=1, max_value=30), st.data())
def test_wrap_continues_from_the_last_row(pieces, width, data):
    text = "".join(pieces).replace("\n", " ").replace("\t", " ").replace("\x1b", "?")
    full = _wrap(text, 0, width)
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    prefix = _wrap(text[:cut], 0, width)
    assert prefix[:-1] + _wrap(text, prefix[-1][0], width) == full
    for start, end in full:
        assert cell_len(text[start:end]) <= width or end - start == 1
    assert "".join(text[a:b] for a, b in full).replace(" ", "") == text.replace(" ", "")


@settings(max_examples=200, deadline=None)
@given(st.lists(PIECES, max_size=80), st.data())
def test_appending_in_pieces_equals_one_append(pieces, data):
    keys = data.draw(
        st.lists(st.sampled_from(["text", "reasoning", "cite:1"]), min_size=len(pieces), max_size=len(pieces))
    )
    runs = list(zip(pieces, keys, strict=True))
    whole = AnswerView()
    whole.append(runs)
    split = AnswerView()
    position = 0
    while position < len(runs):
        step = data.draw(st.integers(min_value=1, max_value=5))
        split.append(runs[position : position + step])
        position += step
    assert split.text == whole.text
    assert split._rows == whole._rows
    assert "\x1b" not in whole.text and "\t" not in whole.text  # placeholders and expanded tabs
