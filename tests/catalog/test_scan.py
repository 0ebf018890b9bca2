"""The folder scan: order, what is picked up, and what is passed over without being opened."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from badinputs import SKIPPED_CASES, make_bad_inputs

from tui_replay.catalog.scan import find_recordings, is_recording_name, missing_paths, unreachable_paths


def _touch(path: Path, data: bytes = b"{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _paths(roots) -> list[str]:
    return [found.path for found in find_recordings([str(root) for root in roots])]


def test_recursive_sorted_by_path_components(tmp_path):
    for rel in ("b.json", "a/z.json", "a/b/c.json", "a-c/x.json", "a/readme.md", "A.JSON"):
        _touch(tmp_path / rel)
    got = [os.path.relpath(path, tmp_path) for path in _paths([tmp_path])]
    # A folder's entries sorted by name, depth first: "a/" comes before "a-c/" would not hold for
    # a plain string sort of whole paths ("a-c/x.json" < "a/b/c.json" since "-" < "/").
    assert got == ["A.JSON", "a/b/c.json", "a/z.json", "a-c/x.json", "b.json"]


def test_same_tree_same_order_twice(tmp_path):
    for index in range(50):
        _touch(tmp_path / f"d{index % 7}" / f"{index:03}.json")
    assert _paths([tmp_path]) == _paths([tmp_path])
    assert len(_paths([tmp_path])) == 50


def test_explicit_files_are_listed_whatever_their_name(tmp_path):
    notes = _touch(tmp_path / "notes.txt", b"hello")
    found = find_recordings([str(notes)])
    assert [f.path for f in found] == [str(notes)]
    assert found[0].explicit and found[0].problem is None
    assert _paths([tmp_path]) == []  # but a folder scan takes only *.json


def test_roots_in_given_order_and_files_reported_once(tmp_path):
    one = _touch(tmp_path / "one" / "1.json")
    two = _touch(tmp_path / "two" / "2.json")
    got = _paths([tmp_path / "two", tmp_path / "one", one, tmp_path])
    assert got == [str(two), str(one)]


def test_hidden_folders_are_not_entered(tmp_path):
    _touch(tmp_path / ".git" / "x.json")
    visible = _touch(tmp_path / "rec" / ".hidden.json")
    assert _paths([tmp_path]) == [str(visible)]
    # ...unless the hidden folder is the root itself
    assert _paths([tmp_path / ".git"]) == [str(tmp_path / ".git" / "x.json")]


@pytest.mark.timeout(20)
def test_fifo_loops_and_folders_named_json_are_passed_over(tmp_path):
    paths = make_bad_inputs(tmp_path / "bad")
    inner = _touch(paths["folder.json"] / "inner.json")
    got = _paths([tmp_path])
    names = {os.path.relpath(path, tmp_path / "bad") for path in got}
    for skipped in SKIPPED_CASES:
        assert skipped not in names
    # the folder named folder.json is not a file row, but what it holds is found
    assert str(inner) in got
    # the symlink loop "loop -> ." is entered zero times: bad/ was already visited
    assert not any("/loop/" in path for path in got)


def test_symlinked_folder_is_followed_once(tmp_path):
    real = _touch(tmp_path / "real" / "r.json")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    got = _paths([tmp_path / "link", tmp_path])
    assert got == [str(tmp_path / "link" / "r.json")]
    assert _paths([tmp_path / "real"]) == [str(real)]


def test_symlink_to_a_file_is_followed_and_broken_links_are_skipped(tmp_path):
    target = _touch(tmp_path / "data" / "t.txt")
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "a.json").symlink_to(target)
    (tmp_path / "rec" / "broken.json").symlink_to(tmp_path / "nowhere.json")
    assert _paths([tmp_path / "rec"]) == [str(tmp_path / "rec" / "a.json")]


@pytest.mark.timeout(20)
def test_explicit_fifo_is_an_error_without_being_opened(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    [found] = find_recordings([str(fifo)])
    assert found.problem == "not a regular file (FIFO)"


def test_unreadable_folder_gives_a_problem_row(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    _touch(locked / "x.json")
    other = _touch(tmp_path / "z.json")
    real_scandir = os.scandir

    # chmod 0 does not stop root (tests may run as root), so the refusal is simulated here.
    def scandir(path):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = find_recordings([str(tmp_path)])
    assert [f.path for f in found] == [str(locked), str(other)]
    assert found[0].problem == "cannot read folder: Permission denied"
    assert found[1].problem is None


def test_missing_paths_names_them_with_a_reason(tmp_path):
    (tmp_path / "self.json").symlink_to("self.json")
    _touch(tmp_path / "ok.json")
    paths = [str(tmp_path / "ok.json"), str(tmp_path / "nope"), str(tmp_path / "self.json")]
    assert missing_paths(paths) == paths[1:]
    got = unreachable_paths(paths)
    assert got[0] == (str(tmp_path / "nope"), "no such file or folder")
    assert got[1][0] == str(tmp_path / "self.json")
    assert "symbolic links" in got[1][1]


def test_recording_name():
    assert is_recording_name("abc.json") and is_recording_name("X.JSON")
    assert not is_recording_name("abc.jsonl") and not is_recording_name("json")
