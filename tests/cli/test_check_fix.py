"""`tui-replay check --fix [--apply]`, cassettes in `check`, and `--collected` coverage: real
corpus recordings in git repositories the tests build, through the real command line."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

from cli_support import CORPUS

from tui_replay.commands.check import check_file

TREE = CORPUS / "llama-stack"
VECTOR_IO = TREE / "vector_io/recordings"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]


def _json_lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def _to_fix(key: str, count: int) -> list:
    """Corpus files whose name is not what the recorder computes now (`mis-keyed` / `older`)."""
    found = [path for path in sorted(TREE.glob("*/recordings/*.json")) if check_file(str(path)).key == key]
    assert len(found) >= count, (key, found)
    return found[:count]


def _place(root, source):
    """`source` copied into `root` under its folder in the corpus (`responses/recordings/x.json`)."""
    target = root / source.relative_to(TREE)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def _git(root, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def _repo(tmp_path, files) -> tuple:
    root = tmp_path / "checkout $(touch pwned)"  # a hostile folder name in every printed command
    root.mkdir()
    placed = [_place(root, source) for source in files]
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "recordings")
    return root, placed


def _digests(root) -> dict[str, str]:
    """Relative path -> content digest, for every file of the tree outside .git."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_fix_plans_without_changing_anything_then_apply_renames_with_git_mv(run_cli, tmp_path):
    wrong = _to_fix("mis-keyed", 2) + _to_fix("older", 1)
    root, placed = _repo(tmp_path, [*wrong, *sorted(VECTOR_IO.glob("*.json"))])
    before = _digests(root)

    plan = run_cli("check", "--fix", "--json", str(root))
    assert plan.returncode == 1, plan.stderr  # renames wait
    steps = _json_lines(plan.stdout)
    assert [s["action"] for s in steps] == ["rename"] * 3
    assert {s["path"] for s in steps} == {str(path) for path in placed[:3]}
    assert all(s["via"] == "git mv" and not s["applied"] for s in steps)
    assert _digests(root) == before and _git(root, "status", "--porcelain") == ""

    applied = run_cli("check", "--fix", "--apply", str(root))
    assert applied.returncode == 0, applied.stdout
    assert "fix: 3 renamed, 0 conflicts" in applied.stdout.decode()
    after = _digests(root)
    assert sorted(after.values()) == sorted(before.values())  # the same bytes, only names changed
    assert after != before
    status = _git(root, "status", "--porcelain").splitlines()
    assert sorted(line[:2] for line in status) == ["R ", "R ", "R "]  # staged renames (git mv)
    for step in steps:
        assert os.path.exists(step["target"]) and not os.path.exists(step["path"])
    assert not (tmp_path / "pwned").exists() and not (root / "pwned").exists()

    again = run_cli("check", "--json", str(root))
    assert {row["key"] for row in _json_lines(again.stdout)} == {"current"}
    assert run_cli("check", "--fix", "--apply", str(root)).returncode == 0  # nothing to do


def test_a_taken_name_is_a_conflict_with_the_diff_verdict_and_nothing_is_overwritten(run_cli, tmp_path):
    same, different = _to_fix("mis-keyed", 2)
    root, (same_copy, different_copy) = _repo(tmp_path, [same, different])
    # The expected names are taken: by an identical copy, and by another recording (a file
    # processor's, whose key cannot be recomputed, so it stays where it is).
    twin = same_copy.parent / check_file(str(same_copy)).status.expected
    shutil.copyfile(same_copy, twin)
    other = different_copy.parent / check_file(str(different_copy)).status.expected
    (opaque,) = _to_fix("opaque", 1)
    shutil.copyfile(opaque, other)
    before = _digests(root)

    result = run_cli("check", "--fix", "--apply", "--json", str(root))
    assert result.returncode == 1  # conflicts remain
    steps = {s["path"]: s for s in _json_lines(result.stdout) if s["action"] == "conflict"}
    assert steps[str(same_copy)]["target"] == str(twin) and steps[str(same_copy)]["verdict"] == "same"
    assert steps[str(different_copy)]["verdict"] == "different"
    assert not any(s["applied"] for s in steps.values())
    assert _digests(root) == before and same_copy.exists() and different_copy.exists()

    text = run_cli("check", "--fix", "--apply", str(root)).stdout.decode()
    assert text.count("conflict   ") == 2 and "is taken, left as it is: different" in text


def test_outside_git_apply_renames_plainly(run_cli, tmp_path):
    (wrong,) = _to_fix("mis-keyed", 1)
    placed = _place(tmp_path, wrong)
    expected = placed.parent / check_file(str(placed)).status.expected
    data = placed.read_bytes()
    result = run_cli("check", "--fix", "--apply", "--json", str(tmp_path))
    assert result.returncode == 0, result.stdout
    (step,) = _json_lines(result.stdout)
    assert step["via"] == "rename" and step["applied"] and step["target"] == str(expected)
    assert expected.read_bytes() == data and not placed.exists()


def test_in_a_git_tree_an_untracked_file_is_renamed_plainly_and_a_tracked_one_with_git_mv(run_cli, tmp_path):
    tracked_file, untracked_source = _to_fix("mis-keyed", 2)
    root, (tracked,) = _repo(tmp_path, [tracked_file])
    untracked = _place(root, untracked_source)  # copied after the commit: git does not know it
    result = run_cli("check", "--fix", "--apply", "--json", str(root))
    assert result.returncode == 0, result.stdout
    via = {step["path"]: step["via"] for step in _json_lines(result.stdout)}
    assert via == {str(tracked): "git mv", str(untracked): "rename"}
    status = sorted(_git(root, "status", "--porcelain").splitlines())
    assert [line[:2] for line in status] == ["??", "R "]  # the untracked one stays untracked


def test_duplicates_get_the_command_that_removes_the_redundant_copy(run_cli, tmp_path):
    """`common/` is every folder's fallback: of two identical copies the test folder's goes."""
    source, other = sorted(VECTOR_IO.glob("*.json"))[:2]
    root, (in_test_folder, differing) = _repo(tmp_path, [source, other])
    common = root / "common" / "recordings"
    common.mkdir(parents=True)
    shutil.copyfile(source, common / source.name)
    shutil.copyfile(source, common / other.name)  # same name as `differing`, other content
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "copies in common")

    result = run_cli("check", "--fix", "--json", str(root))
    steps = {s["path"]: s for s in _json_lines(result.stdout) if s["action"] == "redundant"}
    same = steps[str(in_test_folder)]
    assert same["target"] == str(common / source.name) and same["verdict"] == "same"
    assert same["command"].startswith("git rm -- ")
    assert steps[str(differing)]["verdict"] == "different" and steps[str(differing)]["command"] is None
    text = run_cli("check", "--fix", str(root)).stdout.decode()
    assert "neither is redundant" in text
    assert in_test_folder.exists()  # only printed

    subprocess.run(["bash", "-c", same["command"]], cwd=root, check=True, capture_output=True)
    assert not in_test_folder.exists() and (common / source.name).exists() and differing.exists()
    assert not (tmp_path / "pwned").exists() and not (root / "pwned").exists()


def test_fix_exits_2_on_an_unreadable_file(run_cli, tmp_path):
    (wrong,) = _to_fix("older", 1)
    _place(tmp_path, wrong)
    (tmp_path / "responses/recordings/broken.json").write_text("{not json")
    result = run_cli("check", "--fix", "--apply", str(tmp_path))
    assert result.returncode == 2
    assert "renamed" in result.stdout.decode()  # the readable file was still fixed
    assert run_cli("check", "--apply", str(tmp_path)).returncode == 2  # --apply needs --fix


def test_cassettes_are_skipped_in_one_plain_line(run_cli):
    result = run_cli("check", str(CORPUS / "cassettes"))
    out = result.stdout.decode()
    assert result.returncode == 0, out
    assert "not valid JSON" not in out
    count = len(list((CORPUS / "cassettes").rglob("*.yaml")))
    assert f"cassette   {count} skipped: vcrpy cassettes have no recorder key" in out
    rows = _json_lines(run_cli("check", "--json", str(CORPUS / "cassettes")).stdout)
    assert len(rows) == count and {row["key"] for row in rows} == {"cassette"}


def test_collected_tests_without_any_recording_are_listed_as_unrecorded(run_cli, tmp_path):
    recorded = [json.loads(path.read_text())["test_id"] for path in sorted(VECTOR_IO.glob("*.json"))]
    # The same tests under another setup count as recorded; a test no file has does not.
    other_setup = recorded[0].replace("txt=ollama/llama3.2:3b-instruct-fp16", "txt=openai/gpt-4o")
    assert other_setup != recorded[0]
    new = recorded[0].split("::", 1)[0] + "::test_not_recorded_anywhere[txt=openai/gpt-4o]"
    collected = tmp_path / "collected.txt"
    collected.write_text("\n".join([*recorded, other_setup, new, "", "5 tests collected in 0.4s"]) + "\n")

    result = run_cli("check", "--json", "--collected", str(collected), str(VECTOR_IO))
    assert result.returncode == 0, result.stdout
    unrecorded = [row["test_id"] for row in _json_lines(result.stdout) if row["key"] == "unrecorded"]
    assert unrecorded == [new]
    text = run_cli("check", "--collected", str(collected), str(VECTOR_IO)).stdout.decode()
    assert f"unrecorded {new}: no recording under any setup" in text
    assert "1 collected test unrecorded" in text
