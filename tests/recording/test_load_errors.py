"""Bad input: one RecordingError with a one-line reason, never a traceback or a hang."""

from __future__ import annotations

import os
import threading

import orjson
import pytest

from tui_replay.recording.load import (
    DEFAULT_MAX_SIZE,
    load_recording,
    parse_json,
    read_bytes,
    recording_from_obj,
)
from tui_replay.recording.model import Kind, RecordingError
from tui_replay.recording.summary import summarize_file


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (b'{"request": {', "not valid JSON: truncated (unexpected end of data at byte 13)"),
        (b"\x00\x01\x02\x03binary\x00", "binary data, not JSON"),
        (b'{"a": "caf\xe9"}', "not UTF-8 text at byte 10"),
        (b'{"a": NaN}', "NaN is not valid JSON"),
        (b'{"a": Infinity}', "Infinity is not valid JSON"),
        (b"[" * 200_000, "JSON nesting too deep (more than 100 levels)"),
        (b"[1, 2]", "top-level JSON is a list, not a recording object"),
        (b'"text"', "top-level JSON is a string, not a recording object"),
        (b"{}", "not a recording: no request/response"),
        (b'{"request": {}, "response": 3}', "response: expected an object"),
        (b'{"request": {}, "response": {"body": 3}}', "response.body: expected a list or object, got int"),
        (b'{"a": 1} trailing', "not valid JSON: unexpected content after document at byte 9"),
    ],
)
def test_parse_and_assemble_errors(data, reason):
    with pytest.raises(RecordingError) as info:
        recording_from_obj(parse_json(data), "x.json")
    assert info.value.reason == reason
    assert "\n" not in info.value.reason


def test_deep_nesting_inside_an_object_is_an_error_not_a_crash():
    data = b'{"request": {"body": ' + b"[" * 200_000 + b"]" * 200_000 + b"}}"
    with pytest.raises(RecordingError, match="nesting too deep"):
        parse_json(data)


def test_the_deepest_allowed_nesting_assembles_without_recursion_error():
    deep = orjson.loads(b"[" * 1000 + b"]" * 1000)
    obj = {"request": {"body": {"messages": deep}}, "response": {"body": deep, "is_streaming": True}}
    obj["id_normalization_mapping"] = {"x": "y"}
    recording = recording_from_obj(obj, "deep.json")
    assert recording.kind == Kind.UNKNOWN and recording.response.summary == {"raw_type": "list"}


def test_size_limit_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: 2 GiB without writing it
    with pytest.raises(RecordingError) as info:
        read_bytes(path, DEFAULT_MAX_SIZE)
    assert info.value.reason == "file is 2 GiB, over the 32 MiB limit"
    summary = summarize_file(path)
    assert summary.status == "error" and summary.size == 2 * 1024**3 and summary.mtime_ns > 0
    small = tmp_path / "small.json"
    small.write_bytes(b"x" * 3000)
    with pytest.raises(RecordingError, match=r"file is 2\.9 KiB, over the 1 KiB limit"):
        load_recording(small, max_size=1024)


def test_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result: list = []
    worker = threading.Thread(target=lambda: result.append(summarize_file(fifo)), daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "reading a FIFO hung"
    assert result[0].status == "error" and result[0].error == "not a regular file (a FIFO)"
    with pytest.raises(RecordingError, match="not a regular file"):
        load_recording(fifo)


def test_directory_device_and_missing_file(tmp_path):
    with pytest.raises(RecordingError, match="not a regular file"):
        load_recording(tmp_path)
    with pytest.raises(RecordingError, match=r"not a regular file \(a device\)"):
        load_recording("/dev/null")
    assert summarize_file(tmp_path / "missing.json").error == "file not found"


def test_summarize_file_never_raises_on_bad_content(tmp_path):
    for number, data in enumerate([b"", b"\xff\xfe", b"[]", b'{"request": 1, "response": 2}', b"{" * 5000]):
        path = tmp_path / f"bad{number}.json"
        path.write_bytes(data)
        summary = summarize_file(path)
        assert summary.status == "error" and summary.error and "\n" not in summary.error
        assert summary.size == len(data)


def test_recording_file_is_not_modified(tmp_path):
    source = tmp_path / "r.json"
    obj = {
        "request": {"body": {"messages": [{"role": "user", "content": "hi file-abc"}]}},
        "response": {"body": None, "is_streaming": False},
        "id_normalization_mapping": {"file-1": "file-abc"},
    }
    source.write_bytes(orjson.dumps(obj))
    before = source.read_bytes(), source.stat().st_mtime_ns
    recording = load_recording(source)
    assert recording.messages[0].text == "hi file-1"
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before
