"""The answer rendered as Markdown while it streams: blocks, literal text, markers, raw toggle, seeks.

The rendered view is checked through the real screen (Pilot) for what a person sees, and
directly for its block structure: a streamed answer, a seek and a straight play must give the
same blocks, whatever pieces the text arrived in.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from replay_builders import MARKDOWN_ANSWER as ANSWER
from replay_builders import cited_recording, markdown_recording, streamed_text
from replay_helpers import CITED_FILE, HEAD, ReplayTestApp, corpus_file, screen_text, wait_loaded
from textual.widgets import OptionList

from tui_replay.app.markdown import OPEN_BLOCK_LIMIT, block_starts, safe_source
from tui_replay.app.playback import build_plan
from tui_replay.app.screens.help import describe_bindings
from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.app.widgets.citations_pane import FLAG_UNRESOLVED
from tui_replay.app.widgets.markdown_answer_view import MarkdownAnswerView
from tui_replay.recording.load import load_recording
from tui_replay.recording.model import Message

WIDE = (120, 40)


def rendered_rows(view: MarkdownAnswerView) -> list[str]:
    """Every row, every block drawn (not estimated)."""
    view._settle(0, 1 << 30)
    return [view.row_text(row) for row in range(view._tops[-1])]


async def test_headings_code_blocks_and_lists_are_rendered():
    app = ReplayTestApp(recording=markdown_recording(), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        await pilot.pause()
        view = screen.query_one(MarkdownAnswerView)
        assert view.display and not screen.query_one(AnswerView).display  # rendered by default
        text = screen_text(app)
        assert "Key Concepts" in text and "# Key Concepts" not in text
        assert "Some strong words, inline code," in text and "**strong**" not in text
        assert "def square(x):" in text and "```" not in text
        assert "• first item" in text
        assert "Answer · Markdown" in text
        # the code block is highlighted: "def" is drawn in a colour of its own
        rows = [row for row in range(view.virtual_size.height) if "def square" in view.row_text(row)]
        strip = view.render_line(rows[0] - view.scroll_offset.y)
        keyword = [segment for segment in strip if segment.text == "def"]
        prose = [segment for segment in view.render_line(0) if "Key" in segment.text]
        assert keyword and keyword[0].style.color is not None
        assert keyword[0].style.color != prose[0].style.color


async def test_markup_escapes_and_html_in_recorded_markdown_are_literal():
    app = ReplayTestApp(recording=markdown_recording(), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        await pilot.pause()
        text = screen_text(app)
        assert "[bold]x[/bold]" in text and "[link=x]L[/link]" in text  # never Rich markup
        assert "␛[31mred␛[0m" in text and "\x1b" not in text  # ESC shown, not sent
        assert "<think>kept as text</think>" in text  # raw HTML is text, not dropped
        view = screen.query_one(MarkdownAnswerView)
        escape = [seg for y in range(view.size.height) for seg in view.render_line(y) if seg.text == "␛"]
        assert escape and all(seg.style.reverse for seg in escape)  # marked like in the raw view
        for y in range(view.size.height):
            for segment in view.render_line(y):
                assert "\x1b" not in segment.text
                assert not (segment.style and segment.style.link)  # links show their address as text


async def test_raw_text_is_one_key_away_and_listed_in_help():
    app = ReplayTestApp(recording=markdown_recording(), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end", "m")
        await pilot.pause()
        raw, rendered = screen.query_one(AnswerView), screen.query_one(MarkdownAnswerView)
        assert raw.display and not rendered.display
        text = screen_text(app)
        assert "# Key Concepts" in text and "```python" in text and "Answer · raw text" in text
        await pilot.press("m")
        await pilot.pause()
        assert rendered.display and not raw.display
        assert "# Key Concepts" not in screen_text(app)
        keys = {entry.binding_id: entry for entry in describe_bindings(screen)}
        assert "replay.markdown" in keys and keys["replay.markdown"].keys == ["m"]


async def test_clicking_a_rendered_marker_selects_its_citation():
    app = ReplayTestApp(recording=cited_recording(), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        await pilot.pause()
        view = screen.query_one(MarkdownAnswerView)
        assert view.row_text(0).rstrip() == "Fact one [1]. Fact two [2]. Fact three [1]."
        column = view.row_text(0).index("[2]") + 1
        assert view.citation_at(column, 0) == 2 and view.citation_at(0, 0) is None
        await pilot.click(MarkdownAnswerView, offset=(column, 0))
        await pilot.pause()
        assert view.selected_citation == 2
        assert screen.query_one("#citation-list", OptionList).highlighted == 1
        assert FLAG_UNRESOLVED in str(screen.query_one("#citation-chunk").render())
        marker = [segment for segment in view.render_line(0) if segment.text == "[2]"]
        assert marker and marker[0].style.bgcolor is not None  # the selected marker is highlighted


async def test_a_real_cited_answer_renders_its_marker():
    app = ReplayTestApp(corpus_file(CITED_FILE), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        await pilot.pause()
        view = screen.query_one(MarkdownAnswerView)
        assert view.row_text(0).rstrip() == "The Llama 4 Maverick model has 128 experts [1]."
        column = view.row_text(0).index("[1]")
        await pilot.click(MarkdownAnswerView, offset=(column, 0))
        await pilot.pause()
        assert view.selected_citation == 1 and screen.query_one(AnswerView).selected_citation == 1


def blocks_of(view: MarkdownAnswerView) -> list[tuple[int, int, int, bool]]:
    return [(block.section, *block.start, block.end) for block in view._blocks]


def straight_view(plan, position: int) -> MarkdownAnswerView:
    view = MarkdownAnswerView()  # unmounted: only the source and its blocks
    view.append(plan.runs_between(0, position))
    return view


async def test_seeking_while_rendered_shows_what_a_straight_play_shows():
    text = ANSWER * 6
    chooser = random.Random(7)
    recording = markdown_recording(text, size=5)
    plan = build_plan(recording)
    app = ReplayTestApp(recording=recording, autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        view = screen.query_one(MarkdownAnswerView)
        keys = ["right", "left", "home", "end", "left_square_bracket", "right"]
        for _ in range(40):
            await pilot.press(chooser.choice(keys))
            await pilot.pause()
            position = screen.player.position
            straight = straight_view(plan, position)
            assert view.source == straight.source == screen.query_one(AnswerView).text, position
            assert blocks_of(view) == blocks_of(straight), position
        await pilot.press("end", "left", "left")
        await pilot.pause()
        shown = screen_text(app)
        # the end is in view and drawn: the last row shown is the last row of the answer
        assert "[link=x]L[/l" in shown and rendered_rows(view)[-1].strip() in shown


PIECES = ["a", "word ", " ", "\n", "\n\n", "    ", "```", "```py\n", "~~~\n", "# h\n", "- i\n", "\t", "`"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=50), st.data())
def test_blocks_of_a_streamed_text_are_the_blocks_of_the_whole(pieces, data):
    """Appending in any pieces, and cutting back, gives the blocks of one append of the same text."""
    keys = data.draw(st.lists(st.sampled_from(["text", "reasoning", "cite:1"]), min_size=len(pieces)))
    runs = [(piece, key) for piece, key in zip(pieces, keys, strict=False) if not key.startswith("cite")]
    runs += [("[1]", "cite:1")] if any(key == "cite:1" for key in keys) else []
    streamed = MarkdownAnswerView()
    for run in runs:
        streamed.append([run])
    whole = MarkdownAnswerView()
    whole.append(runs)
    assert streamed.source == whole.source and blocks_of(streamed) == blocks_of(whole)
    keep = data.draw(st.integers(min_value=0, max_value=len(runs)))
    streamed.remove(runs[keep:])
    shorter = MarkdownAnswerView()
    shorter.append(runs[:keep])
    assert streamed.source == shorter.source and blocks_of(streamed) == blocks_of(shorter)


def test_block_starts():
    text = "# Title\npara\nmore\n\nnext para\n\n    indented stays\n```\ncode\n\nstill code\n```\nafter\n"
    starts = block_starts(text)
    assert [text[s.position : s.position + 9] for s in starts] == [
        "# Title\np",
        "next para",
        "```\ncode\n",
        "after\n",
    ]
    assert not any(start.cut or start.fence for start in starts)


def test_long_blocks_are_cut_at_line_starts():
    huge = ("word " * 15 + "\n") * 400  # one paragraph of 32,000 characters, no blank line
    starts = block_starts(huge)
    assert len(starts) > 1 and all(start.cut and not start.fence for start in starts[1:])
    ends = [start.position for start in starts[1:]] + [len(huge)]
    assert all(end - start.position <= OPEN_BLOCK_LIMIT + 81 for start, end in zip(starts, ends, strict=True))
    code = "intro\n\n```python\n" + "x = 1\n" * 2000 + "```\nafter\n"
    starts = block_starts(code)
    inside = [start for start in starts if start.fence]
    assert len(inside) > 1 and all(start.fence == "```python" and start.cut for start in inside)
    assert code[starts[-1].position :] == "after\n" and not starts[-1].fence
    # resuming from a cut inside the fence gives the same blocks as cutting the whole text
    assert block_starts(code, inside[0]) == starts[starts.index(inside[0]) :]


async def test_a_long_code_block_is_drawn_as_code_in_every_piece():
    code = "```python\n" + "".join(f"value_{n} = {n}\n" for n in range(1500)) + "```\n\nDone.\n"
    app = ReplayTestApp(recording=markdown_recording(code, size=40), autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        await pilot.pause()
        view = screen.query_one(MarkdownAnswerView)
        assert view.block_count > 3
        rows = rendered_rows(view)
        assert "```" not in "".join(rows) and rows[-1].strip() == "Done."
        assert sum("value_" in row for row in rows) == 1500


def test_safe_source_maps_each_character_on_its_own():
    text = "a\tb\x1b[1m\ue000\u202e"
    assert safe_source(text) == "".join(safe_source(char) for char in text)
    assert not any(char in safe_source(text) for char in "\x1b\t\ue000")


@pytest.mark.parametrize("role", ["assistant", "user"])
async def test_conversation_renders_assistant_markdown_only(role):
    recording = streamed_text(["ok"])
    body = "## Plan\n\nUse **care** and [b]this[/b]:\n\n```python\nx = 1\n```\n"
    recording.messages = [Message(role, body)]
    app = ReplayTestApp(recording=recording, autoplay=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_loaded(pilot)
        text = screen_text(app)
        assert "[b]this[/b]" in text
        if role == "assistant":
            assert "Plan" in text and "## Plan" not in text and "**care**" not in text
            assert "x = 1" in text and "```python" not in text
        else:
            assert "## Plan" in text and "**care**" in text  # what a user typed stays as typed


MARKDOWN_LINES = [
    "para",
    "  x",
    "    code",
    "",
    "   ",
    "```",
    "```py",
    "  ~~~",
    "````",
    "    ```",
    "``` x`",
    "- item",
    "# h",
    "w " * 60,
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(MARKDOWN_LINES), max_size=150), st.data())
def test_a_long_append_left_uncut_cuts_into_the_same_blocks(lines, data):
    """End on a long answer leaves all but its end uncut; cut later, it gives the blocks the
    whole text gives, whatever the text (code fences opened and closed before the cut too)."""
    text = "\n".join(lines) + "\n"
    tail = data.draw(st.integers(min_value=1, max_value=max(1, len(text))))
    import tui_replay.app.widgets.markdown_answer_view as module

    view = MarkdownAnswerView()
    saved = module.LAZY_FROM, module.LAZY_TAIL
    module.LAZY_FROM, module.LAZY_TAIL = 0, tail
    try:
        view.append([(text, "text")])
    finally:
        module.LAZY_FROM, module.LAZY_TAIL = saved
    assert sum(block.lazy for block in view._blocks) <= 1
    view.cut_all()
    assert [(*block.start, block.end) for block in view._blocks] == [
        (*start, end)
        for start, end in zip(
            block_starts(text), [s.position for s in block_starts(text)[1:]] + [len(text)], strict=True
        )
    ]


async def test_end_on_a_long_answer_draws_its_start_when_scrolled_to(monkeypatch):
    """The real screen: End leaves the start of a long answer uncut (cheap), the end drawn;
    scrolled to the top, the start is cut and drawn as an answer never left uncut is."""
    import tui_replay.app.widgets.markdown_answer_view as module

    path = HEAD / "responses/recordings/0ea735928993b5a2de3a444256136d53ab666dbfb7582e5562268f809aa8d5f3.json"
    recording = load_recording(corpus_file(path))
    monkeypatch.setattr(module, "LAZY_FROM", 2000)
    monkeypatch.setattr(module, "LAZY_TAIL", 800)
    app = ReplayTestApp(recording=recording, autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        view = screen.query_one(MarkdownAnswerView)
        assert view._blocks[0].lazy and view._blocks[0].lines is None
        assert not any(block.lazy for block in view._blocks[1:])
        assert view.is_vertical_scroll_end
        last_line = view.source.rstrip("\n").rsplit("\n", 1)[-1].strip()
        assert last_line.split()[-1] in screen_text(app)
        view.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert not any(block.lazy for block in view._blocks)
        monkeypatch.setattr(module, "LAZY_FROM", 10**9)
        whole = MarkdownAnswerView()
        whole.append(screen.plan.runs_between(0, screen.plan.chunk_count))
        assert blocks_of(view) == blocks_of(whole)
        first_rows = [view.row_text(row) for row in range(10)]
        assert first_rows[0] and "Python" in " ".join(first_rows)
        assert first_rows[0].strip() in screen_text(app)
