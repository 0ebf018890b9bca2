"""Seeking shows exactly what playing straight to the same chunk shows.

Three levels: the plan's runs for any range are the runs of its chunks one by one; the answer
view cut back to a length equals a view that only ever received that much; and the real screen
driven with random seek keys (Pilot) shows the answer, tool calls and citations of a straight
play to its position after every key.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from replay_builders import cited_recording
from replay_helpers import CITED_FILE, TOOL_CALL_FILE, ReplayTestApp, corpus_file, wait_loaded

from tui_replay.app.playback import ReplayPlan, build_plan
from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.app.widgets.citations_pane import CitationsPane
from tui_replay.app.widgets.markdown_answer_view import MarkdownAnswerView
from tui_replay.app.widgets.tool_calls_pane import ToolCallsPane
from tui_replay.recording.load import load_recording
from tui_replay.recording.model import Event, EventKind

PIECES = ["a", "bb", "word ", " ", "\n", "\n\n", "漢字", "😀", "\t", "\x1b[1m", "[b]", "x" * 30, "e\u0301"]


def mixed_recording(deltas: list[str]):
    """Reasoning, text with tabs, escapes and wide characters, split citation markers, then a tool call."""
    recording = cited_recording()
    base = len(recording.timeline)
    recording.timeline.insert(0, Event(0, EventKind.REASONING, "think\tfirst\n"))
    extra = [Event(base + i, EventKind.TEXT, d) for i, d in enumerate(deltas)]
    recording.timeline.extend(extra)
    chunk = base + len(deltas)
    recording.timeline.append(Event(chunk, EventKind.TOOL_CALL, "", 0, "call_0", "get_weather"))
    recording.timeline.append(Event(chunk + 1, EventKind.TOOL_CALL, '{"city": ', 0))
    recording.timeline.append(Event(chunk + 2, EventKind.TOOL_CALL, '"Paris"}', 0))
    recording.response.text += "".join(deltas)
    recording.response.chunks = chunk + 3
    return recording


def chunk_by_chunk(plan: ReplayPlan, start: int, end: int) -> list[tuple[str, str]]:
    """The runs of chunks start..end-1 merged one chunk at a time (the original, quadratic way)."""
    merged: list[tuple[str, str]] = []
    for chunk_runs in plan.runs[start:end]:
        for text, key in chunk_runs:
            if merged and merged[-1][1] == key and not key.startswith("cite"):
                merged[-1] = (merged[-1][0] + text, key)
            else:
                merged.append((text, key))
    return merged


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.data())
def test_runs_for_a_range_are_the_runs_of_its_chunks(deltas, data):
    plan = build_plan(mixed_recording(deltas))
    count = plan.chunk_count
    start = data.draw(st.integers(min_value=0, max_value=count))
    end = data.draw(st.integers(min_value=start, max_value=count))
    assert plan.runs_between(start, end) == chunk_by_chunk(plan, start, end)


def fresh_view(runs, width: int) -> AnswerView:
    view = AnswerView()
    view._width = lambda: width  # type: ignore[method-assign]  # unmounted: wrap at a fixed width
    view.append(runs)
    return view


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=40),
    st.integers(min_value=1, max_value=12),
    st.data(),
)
def test_cutting_the_view_back_equals_appending_less(deltas, width, data):
    plan = build_plan(mixed_recording(deltas))
    count = plan.chunk_count
    old = data.draw(st.integers(min_value=0, max_value=count))
    new = data.draw(st.integers(min_value=0, max_value=old))
    view = fresh_view([], width)
    for position in range(old):  # played chunk by chunk, as the timer does
        view.append(plan.runs_between(position, position + 1))
    view.remove(plan.runs_between(new, old))
    straight = fresh_view(plan.runs_between(0, new), width)
    assert view.text == straight.text
    assert view._runs == straight._runs and view._run_starts == straight._run_starts
    assert view._rows == straight._rows


def test_cutting_back_over_a_combining_mark_rewraps_the_row_it_ended():
    # Found by the property test above: at width 3 ". e" + U+0301 fits one row, but with an "a"
    # after it the row broke at the space, and a cut that kept only rows of width + 1 characters
    # before it kept that break although the mark (no cells) made the row one character longer.
    line = "Fact three [1]. e\u0301"
    view = fresh_view([(line, "text"), ("a", "text")], 3)
    view.remove([("a", "text")])
    assert view._rows == fresh_view([(line, "text")], 3)._rows
    assert view.row_text(view.row_count - 1) == ". e\u0301"


# zero-width marks that are shown as they are (not as placeholders), wide characters, spaces
GLYPHS = ["a", "b", " ", " ", "\u0301", "\u0301", "\ufe0f", "漢", "😀", "\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from(GLYPHS), max_size=6), max_size=20), st.integers(1, 6), st.data())
def test_cutting_back_any_text_equals_appending_less(chunks, width, data):
    """The view's wrap alone, with zero-width and wide characters next to spaces at every width."""
    kept = data.draw(st.integers(min_value=0, max_value=len(chunks)))
    view = fresh_view([], width)
    for chunk in chunks:
        view.append([(chunk, "text")])
    view.remove([(chunk, "text") for chunk in chunks[kept:]])
    straight = fresh_view([("".join(chunks[:kept]), "text")], width)
    assert view.text == straight.text
    assert view._rows == straight._rows


def test_tabs_show_the_same_in_one_run_or_many():
    whole = fresh_view([("a\tb", "text")], 40)
    split = fresh_view([("a", "text"), ("\t", "text"), ("b", "text")], 40)
    assert whole.text == split.text == "a    b"


KEYS = ["right", "left", "home", "end", "left_square_bracket", "right_square_bracket"]


async def check_matches_straight_play(screen) -> None:
    plan, position = screen.plan, screen.player.position
    answer = screen.query_one(AnswerView)
    answer.catch_up()  # hidden behind the Markdown view, it adds what it was sent once shown
    straight = fresh_view(plan.runs_between(0, position), answer._wrap_width)
    assert answer.text == straight.text, f"at chunk {position}"
    assert answer._runs == straight._runs and answer._rows == straight._rows, f"at chunk {position}"
    cards = screen.query_one(ToolCallsPane).response_cards
    expected = plan.tool_calls_at(position)
    assert sorted(cards) == [call.index for call in expected]
    for call in expected:
        assert cards[call.index].state[2:] == (call.arguments, call.complete)
    assert screen.query_one(CitationsPane).shown == [doc.number for doc in plan.documents_at(position)]


@pytest.mark.parametrize("seed", range(3))
async def test_random_seeks_show_what_a_straight_play_shows(seed):
    chooser = random.Random(seed)
    deltas = [chooser.choice(PIECES) for _ in range(120)]
    app = ReplayTestApp(recording=mixed_recording(deltas), autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_loaded(pilot)
        for _ in range(60):
            await pilot.press(chooser.choice(KEYS))
            await check_matches_straight_play(screen)


@pytest.mark.parametrize("path", [CITED_FILE, TOOL_CALL_FILE])
async def test_stepping_back_from_the_end_of_real_recordings(path):
    recording = load_recording(corpus_file(path))
    app = ReplayTestApp(recording=recording, autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_loaded(pilot)
        await pilot.press("end")
        while screen.player.position:
            await pilot.press("left")
            await check_matches_straight_play(screen)


async def test_the_hidden_answer_view_waits_and_catches_up_when_shown():
    """Only the shown view lays out a seek (End on a long answer pays for one view); the other
    keeps the runs it is sent, cut back by a step back, and shows them all when `m` swaps."""
    recording = load_recording(corpus_file(CITED_FILE))
    app = ReplayTestApp(recording=recording, autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_loaded(pilot)
        raw = screen.query_one(AnswerView)
        rendered = screen.query_one(MarkdownAnswerView)
        await pilot.press("end", "left", "left")
        assert raw._pending and raw._rows == [(0, 0, 0)], "the hidden raw view laid out text"
        assert not rendered._pending
        await pilot.press("m")
        await pilot.pause()
        assert not raw._pending
        position = screen.player.position
        straight = fresh_view(screen.plan.runs_between(0, position), raw._wrap_width)
        assert raw._rows == straight._rows and raw.text == straight.text
        assert raw.is_vertical_scroll_end  # it follows the end, as the Markdown view did
        last_row = raw.row_text(raw.row_count - 1)
        shown_row = raw.render_line(raw.row_count - 1 - raw.scroll_offset.y).text
        assert last_row and shown_row.startswith(last_row)
        # now the Markdown view is the hidden one
        await pilot.press("home", "end")
        assert rendered._pending and rendered._blocks == [], "the hidden Markdown view parsed text"
        await pilot.press("m")
        await pilot.pause()
        assert not rendered._pending
        whole = MarkdownAnswerView()
        whole.append(screen.plan.runs_between(0, screen.plan.chunk_count))
        assert rendered.source == whole.source
