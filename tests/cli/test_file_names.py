"""File names that are not plain text, through the real command line: a newline, a tab, a
backslash, an escape, a lone surrogate (a name that is not UTF-8). Each is shown with visible
placeholders, like recorded text, and never splits or cuts a row."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from cli_support import REPO, run_in_terminal

# A recording without a test id: the file name is what its row shows.
SOURCE = "llama-stack-2025-10/recordings/responses/53d2488c9ea9.json"
NAMES = {
    b"new\nline.json": "new␊line.json",
    b"tab\there.json": "tab␉here.json",
    b"back\\slash.json": "back\\slash.json",
    b"esc\x1b[31mred.json": "esc␛[31mred.json",
    b"latin\xe9.json": "latin<U+DCE9>.json",
}


@pytest.fixture
def named(tmp_path, corpus):
    folder = tmp_path / "names"
    folder.mkdir()
    for raw in NAMES:
        shutil.copyfile(corpus / SOURCE, os.path.join(os.fsencode(folder), raw))
    return folder


def test_list_shows_each_name_whole_on_its_own_line(run_cli, named):
    result = run_cli("list", str(named))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1 + len(NAMES) + 1 and lines[-1] == f"{len(NAMES)} recordings, 0 unreadable"
    for shown in NAMES.values():
        [row] = [line for line in lines if line.startswith(f"{named}/{shown} ")]
        assert row.rstrip().endswith(" ok")
    assert "\x1b" not in result.stdout.decode() and "\\udce9" not in result.stdout.decode()


def test_a_terminal_shows_the_names_with_placeholders(named, cache_dir):
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO))
    out = run_in_terminal(["list", str(named)], columns=160, env=env)
    lines = out.splitlines()
    assert len(lines) == 1 + len(NAMES) + 1
    assert "\x1b[31" not in out
    file_width = lines[0].index("Test")
    shown_names = sorted(line[:file_width].rstrip() for line in lines[1:-1])
    assert shown_names == sorted(NAMES.values())  # the backslash does not cut the name


def test_list_json_keeps_the_real_names(run_cli, named):
    lines = run_cli("list", "--json", str(named)).stdout.splitlines()
    rows = [json.loads(line) for line in lines]  # a lone surrogate is a \udce9 escape (orjson refuses it)
    assert sorted(os.fsencode(row["path"]) for row in rows) == sorted(
        os.path.join(os.fsencode(named), raw) for raw in NAMES
    )


def test_show_prints_each_path_on_one_line(run_cli, named):
    result = run_cli("show", str(named), columns=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    for shown in NAMES.values():
        assert f"{named}/{shown}\n" in out
    assert "\x1b[31" not in out and "\nline.json" not in out
