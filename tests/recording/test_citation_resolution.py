"""Citation markers that name no retrieved document id as such, yet cite one (issue 12).

Both forms were found in held-out recordings; the corpus has neither, so each test copies a
real corpus recording and edits it minimally into that form.
"""

from __future__ import annotations

from edited_corpus import (
    DOCUMENT_ID,
    FILE_ID,
    MAPPED,
    ORIGINAL_ID,
    cite_the_file_id,
    corpus_file,
    split_marker_with_original_id,
)

from tui_replay.recording.citations import VIA_FILE_ID, VIA_ID_MAPPING
from tui_replay.recording.load import load_recording


def test_split_marker_resolves_through_the_id_mapping(tmp_path):
    recording = load_recording(split_marker_with_original_id(tmp_path))
    assert recording.response.text.endswith(f"architecture <|{ORIGINAL_ID}|>.")  # the text as recorded
    [citation] = recording.citations
    assert citation.marker == f"<|{ORIGINAL_ID}|>"
    assert citation.resolved
    assert citation.document_id == "file-1"  # the id the (mapped) tool results name
    assert citation.via == VIA_ID_MAPPING
    assert citation.filename == "test_sequential_file_search.txt"
    assert all(chunk.cited for chunk in recording.retrieved if chunk.document_id == "file-1")


def test_the_recorded_mapping_still_resolves_directly():
    [citation] = load_recording(corpus_file(MAPPED)).citations
    assert citation.resolved and citation.document_id == "file-1" and citation.via is None


def test_marker_naming_the_file_id_resolves_through_attributes(tmp_path):
    recording = load_recording(cite_the_file_id(tmp_path))
    [citation] = recording.citations
    assert citation.marker == f"<|{FILE_ID}|>"
    assert citation.resolved
    assert citation.document_id == DOCUMENT_ID
    assert citation.via == VIA_FILE_ID
    assert citation.filename == "ogx_and_models.pdf"
    assert "128 experts" in citation.text


def test_a_marker_naming_nothing_retrieved_is_still_unresolved(tmp_path):
    path = cite_the_file_id(tmp_path)
    path.write_text(path.read_text().replace('"file-"', '"file-9"'))  # no longer the file id
    [citation] = load_recording(path).citations
    assert not citation.resolved and citation.via is None
