"""The pure replay model: pacing, player transport, runs with compact markers, tool fragments, checks."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path

import pytest
from replay_builders import WEATHER_TOOL, cited_recording, streamed_text, tool_call_recording
from replay_helpers import CITED_FILE, TOOL_CALL_FILE, corpus_file

from tui_replay.app.playback import (
    INSTANT,
    SPEEDS,
    Player,
    build_plan,
    check_arguments,
    tool_spec,
)
from tui_replay.recording.load import load_recording
from tui_replay.recording.model import Event, EventKind, ToolCall
from tui_replay.recording.pacing import PACED_TOKENS_PER_SECOND


def test_paced_times_follow_estimated_tokens():
    # 8 characters = 2 tokens, 1 character = 1 token, an empty chunk plays at once
    plan = build_plan(streamed_text(["abcdefgh", "x", ""]))
    step = 1 / PACED_TOKENS_PER_SECOND
    assert plan.times == pytest.approx([2 * step, 3 * step, 3 * step])
    assert not plan.measured
    assert plan.time_at(0) == 0.0 and plan.time_at(2) == pytest.approx(3 * step)


def test_recorded_chunk_times_are_replayed():
    recording = streamed_text(["a", "b", "c"], chunk_times=[0.5, 0.75, 2.0])
    plan = build_plan(recording)
    assert plan.times == [0.5, 0.75, 2.0] and plan.measured


def test_event_times_are_replayed_and_gaps_paced():
    recording = streamed_text(["a", "b", "cccc"])
    recording.timeline[0].at = 1.0
    recording.timeline[1].at = 3.0
    plan = build_plan(recording)
    assert plan.times[:2] == [1.0, 3.0]
    assert plan.times[2] == pytest.approx(3.0 + 1 / PACED_TOKENS_PER_SECOND)


def test_non_streamed_body_is_one_chunk_at_once():
    recording = streamed_text(["whole answer"], streaming=False)
    plan = build_plan(recording)
    assert plan.chunk_count == 1 and plan.times == [0.0]


def test_player_transport():
    plan = build_plan(streamed_text(["a"] * 40))
    player = Player(plan, 1.0)
    player.play()
    assert player.playing and player.due(0.0) == 0
    # 1 token per chunk at 40 tok/s: half a second plays 20 chunks
    assert player.due(0.5) == 20
    player.advance_to(20)
    player.faster()
    assert player.speed == 2.0
    assert player.due(0.25) == 40
    player.advance_to(40)
    assert player.at_end and not player.playing
    player.play()  # play at the end starts over
    assert player.position == 0 and player.playing
    assert player.step(1) == 1 and not player.playing
    assert player.step(-5) == 0
    assert player.seek(1000) == 40
    assert player.jump_target(-1) == 36 and player.jump_target(1) == 40
    player.seek(0)
    assert player.jump_target(1) == 4


def test_speed_range_and_instant():
    player = Player(build_plan(streamed_text(["a", "b"])), 1.0)
    for _ in range(10):
        player.slower()
    assert player.speed == SPEEDS[0] == 0.25
    for _ in range(20):
        player.faster()
    assert math.isinf(player.speed) and player.speed == INSTANT
    player.play()
    assert player.due(0.0) == 2  # instant: everything is due at once
    assert player.slower() == 32.0


def test_marker_held_back_until_complete_then_compact():
    plan = build_plan(cited_recording())
    # chunk 0 ends inside the first marker: nothing of it is shown yet
    assert plan.runs_between(0, 1) == [("Fact one ", "text")]
    assert plan.documents_at(1) == []
    # chunk 2 completes it: "[1]", numbered by first appearance
    shown = "".join(text for text, _ in plan.runs_between(0, 3))
    assert shown == "Fact one [1]. Fact two "
    assert [doc.number for doc in plan.documents_at(3)] == [1]
    full = plan.runs_between(0, plan.chunk_count)
    assert "".join(text for text, _ in full) == "Fact one [1]. Fact two [2]. Fact three [1]."
    keys = [key for _, key in full if key.startswith("cite")]
    assert keys == ["cite:1", "cite!:2", "cite:1"]  # the unresolved marker is flagged
    documents = plan.documents_at(plan.chunk_count)
    assert [(d.number, d.document_id, d.resolved, len(d.citations)) for d in documents] == [
        (1, "file-1", True, 2),
        (2, "file-9", False, 1),
    ]


def test_tool_call_grows_fragment_by_fragment():
    recording = tool_call_recording(
        {0: ("get_weather", ['{"ci', 'ty": "Pa', 'ris"}']), 1: ("get_weather", ["{}"])}
    )
    plan = build_plan(recording)
    assert plan.tool_calls_at(0) == []
    first = plan.tool_calls_at(1)
    assert [(c.name, c.arguments, c.complete) for c in first] == [("get_weather", "", False)]
    assert plan.tool_calls_at(3)[0].arguments == '{"city": "Pa'
    done = plan.tool_calls_at(4)
    assert done[0].arguments == '{"city": "Paris"}' and done[0].complete
    assert len(plan.tool_calls_at(plan.chunk_count)) == 2


def test_seed_tool_call_in_fourteen_fragments():
    recording = load_recording(corpus_file(TOOL_CALL_FILE))
    plan = build_plan(recording)
    fragments = [f for f in plan.tool_fragments[0] if f.text]
    assert len(fragments) == 14
    assert plan.tool_calls_at(1)[0].name == "knowledge_search"
    grown = [plan.tool_calls_at(p)[0].arguments for p in range(1, plan.chunk_count + 1)]
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(grown))
    final = plan.tool_calls_at(plan.chunk_count)[0]
    assert final.arguments == '{"query":"Llama 4 Maverick model number of experts"}' and final.complete


def test_seed_cited_answer():
    plan = build_plan(load_recording(corpus_file(CITED_FILE)))
    text = "".join(t for t, _ in plan.runs_between(0, plan.chunk_count))
    assert text == "The Llama 4 Maverick model has 128 experts [1]."
    (doc,) = plan.documents_at(plan.chunk_count)
    assert doc.document_id == "file-383513632278" and doc.filename == "llama_stack_and_models.pdf"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"city": "Paris"}', []),
        ('{"city": "Paris", "days": 3, "unit": "c"}', []),
        ('{"city": "Par', ["arguments are not valid JSON"]),
        ('{"days": 3}', ["missing required key 'city'"]),
        ('{"city": 7}', ["'city' should be string, got integer"]),
        ('{"city": "x", "days": true}', ["'days' should be integer, got boolean"]),
        ('{"city": "x", "days": 2.5}', ["'days' should be integer, got number"]),
        ('{"city": "x", "unit": "k"}', ["'unit' is not one of ['c', 'f']"]),
        ("[1, 2]", ["arguments are a JSON list, not an object"]),
    ],
)
def test_check_arguments(arguments, expected):
    problems = check_arguments(ToolCall(0, "c", "get_weather", arguments), WEATHER_TOOL)
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)


def test_null_for_a_boolean_is_flagged_on_a_real_recording():
    name = "1d82e9439ae3.json"
    recording = load_recording(
        corpus_file(Path(corpus_file(CITED_FILE)).parents[3] / "llama-stack/agents/recordings" / name)
    )
    (call,) = [c for m in recording.messages for c in m.tool_calls] or recording.response.tool_calls
    assert check_arguments(call, tool_spec(recording, call.name)) == ["'celcius' should be boolean, got null"]


def test_check_arguments_unknown_tool():
    assert check_arguments(ToolCall(0, "c", "nope", "{}"), None) == [
        "no tool named 'nope' was offered in the request"
    ]


def test_reasoning_then_text_runs():
    recording = streamed_text(["answer"])
    recording.timeline.insert(0, Event(0, EventKind.REASONING, "thinking hard"))
    plan = build_plan(recording)
    runs = plan.runs_between(0, 1)
    assert ("thinking hard", "reasoning") in runs
    assert "".join(t for t, _ in runs).endswith("\n\nanswer")


def test_the_replay_model_and_the_data_layer_do_not_import_textual():
    code = "import sys, tui_replay.app.playback, tui_replay.export; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_corpus_file_replays_to_its_assembled_response():
    """Playing every chunk of every corpus file shows exactly the assembled answer and tool calls."""
    files = sorted(Path(corpus_file(CITED_FILE)).parents[3].glob("**/*.json"))
    assert len(files) > 150
    for path in files:
        recording = load_recording(path)
        plan = build_plan(recording)
        end = plan.chunk_count
        shown = "".join(
            text for text, key in plan.runs_between(0, end) if key == "text" or key.startswith("cite")
        )
        expected = recording.response.text
        numbers = {doc.document_id: doc.number for doc in plan.documents}
        for citation in sorted(recording.citations, key=lambda c: -c.start):
            expected = (
                f"{expected[: citation.start]}[{numbers[citation.document_id]}]{expected[citation.end :]}"
            )
        if recording.response.reasoning and expected:
            expected = "\n\n" + expected  # the separator after the reasoning
        assert shown == expected, path
        assert all(a <= b for a, b in itertools.pairwise(plan.times)), path
        played = [(call.name, call.arguments) for call in plan.tool_calls_at(end)]
        assert played == [(call.name, call.arguments) for call in recording.response.tool_calls], path
