"""tui_replay.atomic: the one way tui-replay writes files (exports, live captures)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tui_replay.atomic import FILE_MODE, write_atomic


def test_new_file_is_written_whole_with_ordinary_permissions(tmp_path: Path) -> None:
    path = write_atomic(tmp_path / "deep" / "capture.json", "{}\n")
    assert path == tmp_path / "deep" / "capture.json"
    assert path.read_text() == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE  # not mkstemp's 0600
    assert [p.name for p in path.parent.iterdir()] == ["capture.json"]  # no temp file left


def test_an_existing_file_is_never_replaced_without_overwrite(tmp_path: Path) -> None:
    recording = tmp_path / "rec.json"
    recording.write_text("original")
    with pytest.raises(FileExistsError, match="already exists"):
        write_atomic(recording, "new")
    assert recording.read_text() == "original"
    assert write_atomic(recording, "new", overwrite=True) == recording
    assert recording.read_text() == "new"


def test_alternatives_take_the_first_free_name_then_give_up(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("0")
    assert write_atomic(tmp_path / "a.md", "1", alternatives=2).name == "a-1.md"
    assert write_atomic(tmp_path / "a.md", "2", alternatives=2).name == "a-2.md"
    with pytest.raises(FileExistsError, match="nor 2 alternative names"):
        write_atomic(tmp_path / "a.md", "3", alternatives=2)
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["0", "1", "2"]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_atomic(tmp_path / "x.json", "data")
    assert list(tmp_path.iterdir()) == []
