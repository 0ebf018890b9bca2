"""Responses with several answers (`n: 2`) keep every choice, and the catalog row counts them (issue 12)."""

from __future__ import annotations

from edited_corpus import SEED_ANSWER, corpus_file, second_choice_completion, second_choice_stream

from tui_replay.recording.load import load_recording
from tui_replay.recording.model import EventKind
from tui_replay.recording.summary import summarize_file


def test_stream_keeps_both_choices(tmp_path):
    path = second_choice_stream(tmp_path)
    recording = load_recording(path)
    assert recording.choice_count == 2
    first, second = recording.choices
    assert (first.index, second.index) == (0, 1)
    assert first.response is recording.response
    assert recording.response.text == "The Llama 4 Maverick model has 128 experts <|file-383513632278|>."
    assert second.response.text == (
        "The Llama 4 Maverick model has one hundred twenty-eight experts <|file-383513632278|>."
    )
    assert second.response.finish_reason == "stop" and second.response.usage == recording.response.usage
    # each choice replays from its own chunks, in the stream's numbering
    texts = [e for e in second.timeline if e.kind == EventKind.TEXT]
    assert "".join(e.text for e in texts) == second.response.text
    assert {e.chunk for e in texts}.isdisjoint(e.chunk for e in first.timeline if e.kind == EventKind.TEXT)
    [citation] = second.citations
    assert citation.resolved and citation.start == second.response.text.index("<|")
    shown = recording.for_choice(1)
    assert shown.response is second.response and shown.citations is second.citations
    assert summarize_file(path).choices == 2


def test_completion_keeps_both_choices(tmp_path):
    path = second_choice_completion(tmp_path)
    recording = load_recording(path)
    assert [c.response.text for c in recording.choices] == ["safe", "unsafe"]
    assert recording.response.text == "safe"
    assert summarize_file(path).choices == 2


def test_single_answer_has_no_choice_list():
    path = corpus_file(SEED_ANSWER)
    recording = load_recording(path)
    assert recording.choices == [] and recording.choice_count == 1
    assert recording.for_choice(1) is recording
    assert summarize_file(path).choices == 1
