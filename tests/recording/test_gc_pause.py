"""summarize_file pauses the cyclic GC around big files only, and always gives it back as it was."""

from __future__ import annotations

import gc
import json
import sys
import threading
from pathlib import Path

from tui_replay.recording.load import pause_gc, resume_gc
from tui_replay.recording.summary import summarize_file


def big_stream(path: Path, chunks: int = 3000) -> Path:
    """A streamed chat answer well over the 32 KB below which no pause is taken."""
    body = [
        {
            "__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk",
            "__data__": {
                "choices": [{"index": 0, "delta": {"content": "word ", "tool_calls": None}}],
                "model": "m",
                "usage": None,
            },
        }
        for _ in range(chunks)
    ]
    obj = {"request": {"body": {"messages": [{"role": "user", "content": "q"}]}}, "response": {"body": body}}
    path.write_text(json.dumps(obj))
    return path


def test_the_collector_is_off_while_a_big_file_is_parsed_and_back_on_after(tmp_path, monkeypatch):
    seen: list[bool] = []
    from tui_replay.recording import summary

    real = summary.summarize_obj

    def spy(obj, path):
        seen.append(gc.isenabled())
        return real(obj, path)

    monkeypatch.setattr(summary, "summarize_obj", spy)
    assert gc.isenabled()
    row = summarize_file(big_stream(tmp_path / "big.json"))
    assert row.status == "ok" and row.chunks == 3000 and row.answer_start.startswith("word word")
    assert seen == [False]
    assert gc.isenabled()


def test_a_caller_that_turned_the_collector_off_keeps_it_off(tmp_path):
    path = big_stream(tmp_path / "big.json")
    gc.disable()
    try:
        assert summarize_file(path).status == "ok"
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_failing_file_gives_the_collector_back(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"request": {}, "response": {"body": [' + "1," * 40_000 + "]]")
    assert summarize_file(path).status == "error"
    assert gc.isenabled()


def test_overlapping_pauses_from_threads_end_with_the_collector_on():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: a racy pause shows
    try:
        for _ in range(10):  # a naive save-and-restore ends with the collector off in ~1 of 4 rounds
            start = threading.Barrier(4)

            def worker(start: threading.Barrier = start) -> None:
                start.wait()
                for _ in range(5000):
                    pause_gc()
                    resume_gc()

            threads = [threading.Thread(target=worker) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert gc.isenabled()
    finally:
        sys.setswitchinterval(interval)
        gc.enable()
