"""`tui-replay list --watch` through the real CLI in a subprocess, fed with copies of real recordings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from watch_helpers import REPO, write_file

from tui_replay.recording.model import Summary

EVENT_FIELDS = ["event", *Summary.JSON_FIELDS]
# The issue: a file still unreadable ~2 s after its last change is an error (not before).
SETTLE_SECONDS = 2.0
SLOW = 15  # seconds: generous, the machine is shared; latency is measured by bench/bench_watch.py


def by_event(lines: list[dict], event: str) -> list[str]:
    return [line["path"] for line in lines if line["event"] == event]


def start_listed(start_watch, folder: Path, count: int, **kwargs):
    """Start the watcher and read its `count` listed rows."""
    watcher = start_watch(folder, **kwargs)
    listed = watcher.collect_until(lambda got: len(got) >= count, SLOW)
    assert all(line["event"] == "listed" for line in listed)
    return watcher, listed


def test_initial_listing_matches_list_json(start_watch, tmp_path, recording_bytes):
    for index in range(3):
        write_file(tmp_path / f"r{index}.json", recording_bytes[index])
    (tmp_path / "broken.json").write_bytes(recording_bytes[3][:100])
    plain = subprocess.run(
        [sys.executable, "-m", "tui_replay", "list", "--json", "--no-cache", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    expected = [json.loads(line) for line in plain.stdout.splitlines()]

    watcher, listed = start_listed(start_watch, tmp_path, 4)

    assert [list(line) for line in listed] == [EVENT_FIELDS] * 4
    assert [{k: v for k, v in line.items() if k != "event"} for line in listed] == expected
    assert watcher.stop(signal.SIGTERM) == 0


def test_whole_files_are_added_changed_and_removed(start_watch, tmp_path, recording_bytes):
    write_file(tmp_path / "first.json", recording_bytes[0])
    watcher, _ = start_listed(start_watch, tmp_path, 1)

    write_file(tmp_path / "second.json", recording_bytes[1])
    (added,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert added["event"] == "added"
    assert added["path"] == str(tmp_path / "second.json")
    assert added["status"] == "ok"
    assert list(added) == EVENT_FIELDS

    write_file(tmp_path / "first.json", recording_bytes[2])
    (changed,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert (changed["event"], changed["path"]) == ("changed", str(tmp_path / "first.json"))

    (tmp_path / "second.json").unlink()
    (removed,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert (removed["event"], removed["path"]) == ("removed", str(tmp_path / "second.json"))
    assert list(removed) == EVENT_FIELDS
    assert watcher.quiet_for(0.5) == []
    assert watcher.stop() == 0


def test_file_written_in_two_halves_is_added_once_without_error(start_watch, tmp_path, recording_bytes):
    write_file(tmp_path / "seed.json", recording_bytes[0])
    watcher, _ = start_listed(start_watch, tmp_path, 1)
    data = recording_bytes[5]
    with open(tmp_path / "slow.json", "wb") as handle:
        handle.write(data[: len(data) // 2])
        handle.flush()
        time.sleep(0.4)
        handle.write(data[len(data) // 2 :])
    lines = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    lines += watcher.quiet_for(SETTLE_SECONDS + 0.5)  # an error row would come by now

    assert [(line["event"], line["path"], line["status"]) for line in lines] == [
        ("added", str(tmp_path / "slow.json"), "ok")
    ]
    assert watcher.stop() == 0


def test_file_left_truncated_is_an_error_after_settling(start_watch, tmp_path, recording_bytes):
    write_file(tmp_path / "seed.json", recording_bytes[0])
    watcher, _ = start_listed(start_watch, tmp_path, 1)
    data = recording_bytes[6]
    write_file(tmp_path / "cut.json", data[: len(data) // 2])
    written = time.monotonic()

    at, line = watcher.next_line(SLOW)

    assert (line["event"], line["path"], line["status"]) == ("added", str(tmp_path / "cut.json"), "error")
    assert line["error"] and "\n" not in line["error"]
    waited = at - written
    assert waited >= SETTLE_SECONDS - 0.3, f"reported as broken after only {waited:.2f} s"
    assert waited < SETTLE_SECONDS + 5

    write_file(tmp_path / "cut.json", data)  # the writer finally finishes it
    (fixed,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert (fixed["event"], fixed["status"]) == ("changed", "ok")
    assert watcher.stop() == 0


def test_burst_of_500_files_all_arrive_once(start_watch, tmp_path, recording_bytes):
    write_file(tmp_path / "seed.json", recording_bytes[0])
    watcher, _ = start_listed(start_watch, tmp_path, 1)
    names = [f"burst-{index:03d}.json" for index in range(500)]
    for index, name in enumerate(names):
        write_file(tmp_path / name, recording_bytes[index % len(recording_bytes)])

    lines = watcher.collect_until(lambda got: len(got) >= 500, 60)
    lines += watcher.quiet_for(SETTLE_SECONDS + 0.5)

    assert sorted(by_event(lines, "added")) == sorted(str(tmp_path / name) for name in names)
    assert all(line["status"] == "ok" for line in lines)
    assert watcher.stop() == 0


def test_new_subfolders_and_their_files(start_watch, tmp_path, recording_bytes):
    write_file(tmp_path / "seed.json", recording_bytes[0])
    watcher, _ = start_listed(start_watch, tmp_path, 1)
    # Written the instant the folders exist: before the OS watch on them can be in place.
    deep = tmp_path / "new" / "deeper" / "deepest"
    deep.mkdir(parents=True)
    expected = set()
    for index, folder in enumerate([tmp_path / "new", deep.parent, deep]):
        write_file(folder / f"in-{index}.json", recording_bytes[index + 1])
        expected.add(str(folder / f"in-{index}.json"))

    lines = watcher.collect_until(lambda got: len(got) >= 3, SLOW)
    lines += watcher.quiet_for(1.0)
    assert set(by_event(lines, "added")) == expected
    assert len(lines) == 3

    # A folder removed with its files: each listed file is removed.
    for path in expected:
        os.unlink(path)
    for folder in (deep, deep.parent, tmp_path / "new"):
        folder.rmdir()
    lines = watcher.collect_until(lambda got: len(got) >= 3, SLOW)
    assert set(by_event(lines, "removed")) == expected
    assert watcher.stop() == 0


def test_only_recording_files_count(start_watch, tmp_path, recording_bytes):
    write_file(tmp_path / "seed.json", recording_bytes[0])
    watcher, _ = start_listed(start_watch, tmp_path, 1, extra=("--max-size", "1K"))
    write_file(tmp_path / "notes.txt", recording_bytes[1])
    write_file(tmp_path / "draft.json.tmp", recording_bytes[1])
    (tmp_path / "folder.json").mkdir()
    (tmp_path / ".hidden").mkdir()
    write_file(tmp_path / ".hidden" / "inside.json", recording_bytes[1])
    (tmp_path / "draft.json.tmp").unlink()
    write_file(tmp_path / "big.json", recording_bytes[1])  # over --max-size 1K

    (line,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert (line["event"], line["path"], line["status"]) == ("added", str(tmp_path / "big.json"), "error")
    assert "limit" in line["error"]
    assert watcher.quiet_for(1.0) == []
    assert watcher.stop() == 0


def test_root_created_after_launch_then_deleted(start_watch, tmp_path, recording_bytes):
    root = tmp_path / "later"
    watcher = start_watch(root)
    (missing,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert (missing["event"], missing["path"], missing["status"]) == ("listed", str(root), "error")

    root.mkdir()
    write_file(root / "one.json", recording_bytes[1])
    lines = watcher.collect_until(lambda got: len(got) >= 2, SLOW)
    assert sorted((line["event"], line["path"]) for line in lines) == [
        ("added", str(root / "one.json")),
        ("removed", str(root)),
    ]

    (root / "one.json").unlink()
    root.rmdir()
    (removed,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert (removed["event"], removed["path"]) == ("removed", str(root / "one.json"))

    # Back again: the new folder is followed too.
    root.mkdir()
    write_file(root / "two.json", recording_bytes[2])
    (added,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert (added["event"], added["path"]) == ("added", str(root / "two.json"))
    assert watcher.stop() == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_end_cleanly(start_watch, tmp_path, recording_bytes, signum):
    write_file(tmp_path / "seed.json", recording_bytes[0])
    watcher, _ = start_listed(start_watch, tmp_path, 1)
    time.sleep(0.3)  # watching by now
    assert watcher.stop(signum) == 0
    assert watcher.stderr_text() == ""


def test_readable_lines_show_text_literally(start_watch, tmp_path, recording_bytes):
    write_file(tmp_path / "[bold]seed.json", recording_bytes[0])
    watcher = start_watch(tmp_path, json_lines=False)
    (listed,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert listed.startswith("listed")
    assert f"{tmp_path}/[bold]seed.json" in listed

    write_file(tmp_path / "\x1b[31mred.json", recording_bytes[1])
    (added,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert added.startswith("added")
    assert "\x1b" not in added  # the escape is shown as a placeholder, not sent to the terminal
    assert "␛[31mred.json" in added
    assert watcher.stop(signal.SIGINT) == 0


def test_polling_mode_works_too(start_watch, tmp_path, recording_bytes, monkeypatch):
    """Where the OS cannot notify (network file systems, WSL), watchfiles polls: still followed."""
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", "1")
    monkeypatch.setenv("WATCHFILES_POLL_DELAY_MS", "100")
    write_file(tmp_path / "seed.json", recording_bytes[0])
    watcher, _ = start_listed(start_watch, tmp_path, 1)
    (tmp_path / "sub").mkdir()
    write_file(tmp_path / "sub" / "polled.json", recording_bytes[1])
    (line,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    polled = str(tmp_path / "sub" / "polled.json")
    assert (line["event"], line["path"], line["status"]) == ("added", polled, "ok")
    (tmp_path / "seed.json").unlink()
    (line,) = watcher.collect_until(lambda got: len(got) == 1, SLOW)
    assert (line["event"], line["path"]) == ("removed", str(tmp_path / "seed.json"))
    assert watcher.stop() == 0
