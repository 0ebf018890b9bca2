"""File names are printed as data: one line each, placeholders for what a terminal would act on.

A name can hold a newline followed by what looks like a command, escape sequences, and
invisible characters. `check`, `explain`, `diff` and the refusals of missing paths print it
with the placeholders `list` uses, and the `git mv` line of `check` stays one correctly quoted
command: run in bash in a real git repository, it renames the file and runs nothing else.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from cli_support import CORPUS
from hostile import BASES

# A newline and a genuine-looking command, a terminal title, invisible characters.
INJECTED = "           git mv old.json new.json; touch pwned #"
HOSTILE_NAME = f"a.json\n{INJECTED}\x1b]0;PWNED\x07\u2028\u200b\ufeff\n.json"
SHOWN_NAME = f"a.json␊{INJECTED}␛]0;PWNED␇<U+2028><U+200B><U+FEFF>␊.json"
PLAIN_ODD_NAME = "it's a $copy (1).json"  # a real-life mis-keyed name: quotes, $, spaces
RAW = ("\x1b", "\x07", "\u2028", "\u200b", "\ufeff")


def _lines(data: bytes) -> list[str]:
    text = data.decode()
    for char in RAW:
        assert char not in text, f"raw {char!r} printed"
    return text.splitlines()


def _no_injected_line(lines: list[str]) -> None:
    assert not any(line.strip().startswith("git mv old.json") for line in lines), lines


@pytest.fixture
def repo(tmp_path):
    """A git repository whose recordings/ holds two real recordings under wrong names, committed."""
    root = tmp_path / "repo"
    folder = root / "recordings"
    folder.mkdir(parents=True)
    bases = list(BASES.values())
    shutil.copyfile(CORPUS / bases[0], folder / HOSTILE_NAME)
    shutil.copyfile(CORPUS / bases[1], folder / PLAIN_ODD_NAME)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "recordings"], cwd=root, check=True)
    return root


def test_check_prints_each_git_mv_as_one_command_that_renames_and_runs_nothing_else(run_cli, repo):
    folder = repo / "recordings"
    result = run_cli("check", str(folder))
    assert result.returncode == 1  # mis-keyed files
    lines = _lines(result.stdout)
    _no_injected_line(lines)
    assert f"mis-keyed  {folder}/{SHOWN_NAME}" in lines
    commands = [line.strip() for line in lines if line.strip().startswith("git mv ")]
    assert len(commands) == 2, lines

    rows = map(json.loads, run_cli("check", "--json", str(folder)).stdout.splitlines())
    expected = {row["path"]: row["expected"] for row in rows}
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=repo,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, (command, done.stderr)
    assert sorted(os.listdir(folder)) == sorted(expected.values())
    assert not list(repo.rglob("pwned"))
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, check=True)
    assert status.stdout.count(b"\nR  ") + status.stdout.startswith(b"R  ") == 2  # two renames staged


def test_explain_prints_the_paths_on_one_line_each(run_cli, repo):
    folder = repo / "recordings"
    result = run_cli("explain", "--recording", str(folder / HOSTILE_NAME), str(folder))
    lines = _lines(result.stdout)
    _no_injected_line(lines)
    assert lines[0] == f"{folder}/{SHOWN_NAME}"
    assert any(line.strip().endswith(f"{SHOWN_NAME}  (0 differences)") for line in lines), lines


def test_diff_prints_the_paths_on_one_line_each(run_cli, repo):
    folder = repo / "recordings"
    single = run_cli("diff", str(folder / HOSTILE_NAME), str(folder / PLAIN_ODD_NAME))
    assert single.returncode == 1
    lines = _lines(single.stdout)
    _no_injected_line(lines)
    assert f"{SHOWN_NAME} → " in lines[0]

    other = repo / "other"
    shutil.copytree(folder, other)
    edited = json.loads((folder / HOSTILE_NAME).read_text())
    edited["request"]["body"]["model"] = "another-model"
    (other / HOSTILE_NAME).write_text(json.dumps(edited))
    folders = run_cli("diff", str(folder), str(other))
    lines = _lines(folders.stdout)
    _no_injected_line(lines)
    assert sum(SHOWN_NAME in line for line in lines) == 2, lines  # the summary and the details


@pytest.mark.parametrize("command", ["list", "show", "check", "explain", "diff", "export", "compare"])
def test_a_missing_path_is_one_line_with_placeholders(run_cli, tmp_path, command):
    missing = str(tmp_path / HOSTILE_NAME)
    args = {
        "explain": ["explain", "--recording", missing, str(tmp_path)],
        "diff": ["diff", missing, str(tmp_path)],
        "export": ["export", "--format", "curl", missing],
        "compare": ["compare", missing, "--base-url", "http://127.0.0.1:9/v1"],
    }.get(command, [command, missing])
    result = run_cli(*args)
    assert result.returncode == 2
    lines = _lines(result.stderr)
    assert len(lines) == 1 and SHOWN_NAME in lines[0], lines


def test_export_names_an_unreadable_file_and_an_existing_out_on_one_line(run_cli, repo, tmp_path):
    folder = repo / "recordings"
    (folder / HOSTILE_NAME).write_text("{")
    unreadable = run_cli("export", "--format", "curl", str(folder / HOSTILE_NAME))
    assert unreadable.returncode == 1
    lines = _lines(unreadable.stderr)
    assert len(lines) == 1 and SHOWN_NAME in lines[0], lines
    existing = tmp_path / HOSTILE_NAME
    existing.write_text("")
    refused = run_cli("export", "--format", "curl", "--out", str(existing), str(folder / PLAIN_ODD_NAME))
    assert refused.returncode == 2
    lines = _lines(refused.stderr)
    assert len(lines) == 1 and f"{SHOWN_NAME} already exists" in lines[0], lines


def test_list_and_show_show_invisible_characters_in_a_name(run_cli, repo):
    folder = repo / "recordings"
    for command in ("list", "show"):
        result = run_cli(command, str(folder))
        assert result.returncode == 0
        lines = _lines(result.stdout)
        _no_injected_line(lines)
        assert any(SHOWN_NAME in line for line in lines), (command, lines)
