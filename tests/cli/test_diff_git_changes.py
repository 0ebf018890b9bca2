"""`tui-replay diff` (issue 18): JSON pointers as labels, a window around a change in a long
value, and with `--git` only recordings compared, untracked ones included, counts as git's,
and oversize blobs refused from their size. Real recordings, real git repositories, the real
command line."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from cli_support import run_peak_rss
from support import CORPUS, REPO
from test_diff_cli import INFERENCE, TOOL_CALL, _git, _stat_files, diff, edited

from tui_replay.app.screens.diff import compare_files
from tui_replay.comparison.render import DifferencesView
from tui_replay.recording.load import format_size

EMBEDDINGS = CORPUS / "llama-stack-2025-10/recordings/responses/a97477559b10.json"  # an ollama body
LONG_PROMPT = CORPUS / (
    "llama-stack/agents/recordings/8cfcb33a87c9860a172d7381a1c752a0d73947408054b38f680adaab70e53b41.json"
)  # its first message is 1,194 characters
CASSETTE = CORPUS / "cassettes/crewai/test_tools_with_custom_caching.yaml"


def test_body_values_are_labelled_by_their_json_pointer(tmp_path):
    def change(obj):
        data = obj["response"]["body"]["__data__"]
        data["created_at"] = "2030-01-01T00:00:00Z"  # a timestamp: reported, never decides
        data["a/b~c"] = 1  # a key that needs RFC 6901 escaping, and decides

    other = edited(EMBEDDINGS, tmp_path / "other.json", change)
    report = json.loads(diff(str(EMBEDDINGS), str(other), "--json").stdout)
    (row,) = report["files"]
    pointers = {(d["field"], d.get("pointer"), d["decides"]) for d in row["differences"]}
    assert pointers == {("body", "/__data__/created_at", False), ("body", "/__data__/a~1b~0c", True)}
    assert row["ids_and_timestamps"] == 1

    text = diff(str(EMBEDDINGS), str(other)).stdout
    assert 'body /__data__/created_at: "' in text and "body /__data__/a~1b~0c: (none) → 1" in text
    assert "data  /created at" not in text
    # the app's diff screen renders the same lines
    comparison, _ = compare_files(str(EMBEDDINGS), str(other), 1 << 25)
    screen = [line.plain for line in DifferencesView(comparison).lines()]
    assert any(line.startswith("body /__data__/created_at: ") for line in screen)
    # markdown: in its block, pointer intact
    markdown = diff(str(tmp_path), str(tmp_path / "copy"), "--format", "markdown")
    assert markdown.returncode == 2  # no such folder: one line
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(EMBEDDINGS, tmp_path / "a" / "e.json")
    shutil.copy(other, tmp_path / "b" / "e.json")
    markdown = diff(str(tmp_path / "a"), str(tmp_path / "b"), "--format", "markdown").stdout
    # escaped for Markdown: GitHub shows `body /__data__/a~1b~0c: (none) → 1`
    assert "body /\\_\\_data\\_\\_/a\\~1b\\~0c: \\(none\\) → 1" in markdown


def test_a_change_deep_in_a_long_request_message_shows_in_a_window(tmp_path):
    original = json.loads(LONG_PROMPT.read_text())["request"]["body"]["messages"][0]["content"]
    at = original.index(" ", 636) + 1  # the word at character ~636
    word = original[at:].split()[0]
    changed = original[:at] + "ZEBRA" + original[at + len(word) :]

    def change(obj):
        obj["request"]["body"]["messages"][0]["content"] = changed

    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copy(LONG_PROMPT, (a / "x").mkdir(parents=True) or a / "x" / "r.json")
    edited(LONG_PROMPT, b / "x" / "r.json", change)
    text = diff(str(a / "x" / "r.json"), str(b / "x" / "r.json"))
    assert text.returncode == 1
    (line,) = [line for line in text.stdout.splitlines() if line.startswith("    request /body/messages/0/")]
    old, new = line.removeprefix("    request /body/messages/0/content: ").split(" → ")
    # each side: the text around the change, cut at both ends (…); the change itself visible
    assert "ZEBRA" in new and "ZEBRA" not in old and f" {word} " in old
    for side in (old, new):
        assert side.startswith("…") and side.endswith("…") and len(side) < 100
        assert original[at - 20 : at] in side and original[at + len(word) : at + len(word) + 20] in side
    markdown = diff(str(a), str(b), "--format", "markdown").stdout
    assert f"{word} " in markdown and "ZEBRA conflict" in markdown
    report = json.loads(diff(str(a), str(b), "--json").stdout)
    (difference,) = report["files"][0]["differences"]
    assert difference["b"] == changed  # JSON keeps the whole value


def _repo(tmp_path: Path) -> Path:
    """A llama-stack-like checkout: two suites' recordings, a cassette, and test code."""
    repo = tmp_path / "repo"
    inference = repo / "tests/integration/inference"
    (inference / "recordings").mkdir(parents=True)
    shutil.copy(TOOL_CALL, inference / "recordings" / TOOL_CALL.name)
    shutil.copy(EMBEDDINGS, inference / "recordings" / "embeddings.json")
    (inference / "conftest.py").write_text("import pytest\n")
    (repo / "tests/integration/test_cases/inference").mkdir(parents=True)
    (repo / "tests/integration/test_cases/inference/chat_completion.json").write_text('{"cases": []}\n')
    (repo / "tests/integration/cassettes").mkdir(parents=True)
    shutil.copy(CASSETTE, repo / "tests/integration/cassettes/tools.yaml")
    (repo / "tests/integration/settings.yaml").write_text("timeout: 30\n")
    (repo / "README.md").write_text("# a checkout\n")
    (repo / ".gitignore").write_text("*.local.json\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")
    return repo


def test_git_compares_only_recordings_and_counts_the_other_files(tmp_path):
    repo = _repo(tmp_path)
    inference = repo / "tests/integration/inference"
    (inference / "conftest.py").write_text("import pytest\n\nTIMEOUT = 5\n")
    (repo / "README.md").write_text("# a checkout\n\nmore\n")
    (repo / "tests/integration/test_cases/inference/chat_completion.json").write_text('{"cases": [1]}\n')
    (repo / "tests/integration/settings.yaml").write_text("timeout: 60\n")  # YAML, not a cassette
    cassette = repo / "tests/integration/cassettes/tools.yaml"
    cassette.write_text(cassette.read_text().replace("interactions:", "interactions:\n# re-recorded", 1))
    edited(
        TOOL_CALL, inference / "recordings" / TOOL_CALL.name, lambda obj: obj["request"]["body"].update(n=2)
    )
    _git(repo, "commit", "-qam", "second")

    done = diff("--git", "HEAD~1", "HEAD", "tests/integration", "README.md", "--json", cwd=repo)
    assert done.returncode == 1, done.stderr  # no error row: the non-recordings are not read as ones
    report = json.loads(done.stdout)
    assert sorted(row["path"] for row in report["files"]) == [
        "tests/integration/cassettes/tools.yaml",
        f"tests/integration/inference/recordings/{TOOL_CALL.name}",
    ]
    assert (
        report["other_files"]["changed"] == 4
    )  # conftest.py, README.md, chat_completion.json, settings.yaml
    assert (
        report["changed"] == _stat_files(repo, "HEAD~1", "HEAD", "--", "tests/integration", "README.md") == 6
    )
    text = diff("--git", "HEAD~1", "HEAD", "tests/integration", "README.md", cwd=repo).stdout
    first = text.splitlines()[0]
    assert first.startswith("6 files changed, ") and first.endswith(
        ": 2 recordings (2 different), 4 other files changed, not recordings"
    )
    for name in ("conftest.py", "README.md", "chat_completion.json", "settings.yaml"):
        assert name not in text
    markdown = diff("--git", "HEAD~1", "HEAD", "tests/integration", "--format", "markdown", cwd=repo).stdout
    assert "3 other files changed, not recordings" in markdown and "conftest" not in markdown


def test_git_counts_a_renamed_recording_like_git_diff_stat(tmp_path):
    repo = _repo(tmp_path)
    recordings = repo / "tests/integration/inference/recordings"
    _git(repo, "mv", str(recordings / "embeddings.json"), str(recordings / "moved.json"))
    _git(repo, "commit", "-qm", "rename")
    report = json.loads(diff("--git", "HEAD~1", "HEAD", "--json", cwd=repo).stdout)
    ((row,),) = [report["files"]]
    assert (row["verdict"], row["path_b"]) == ("same", "tests/integration/inference/recordings/moved.json")
    assert report["changed"] == _stat_files(repo, "HEAD~1", "HEAD", "--", "*.json", "*.yaml", "*.yml") == 1
    text = diff("--git", "HEAD~1", "HEAD", cwd=repo).stdout
    assert text.startswith("1 file changed, 0 insertions(+), 0 deletions(-): 1 recording (1 same)")
    assert "moved.json" in text


def test_git_work_tree_includes_untracked_recordings(tmp_path):
    repo = _repo(tmp_path)
    recordings = repo / "tests/integration/inference/recordings"
    shutil.copy(LONG_PROMPT, recordings / "new.json")  # untracked
    shutil.copy(LONG_PROMPT, recordings / "scratch.local.json")  # untracked but ignored
    (repo / "tests/integration/inference/notes.txt").write_text("untracked, not a recording\n")

    done = diff("--git", "HEAD", "tests/integration", "--json", cwd=repo)
    report = json.loads(done.stdout)
    (row,) = report["files"]
    assert row["path"] == "tests/integration/inference/recordings/new.json"
    assert (row["verdict"], row["untracked"]) == ("added", True)
    assert report["changed"] == 0 and report["other_files"]["untracked"] == 1  # git diff --stat: nothing
    assert done.returncode == 1
    text = diff("--git", "HEAD", "tests/integration", cwd=repo).stdout
    assert text.splitlines()[:2] == [
        "0 files changed; untracked: 1 recording, 1 other file",
        "added       tests/integration/inference/recordings/new.json  (untracked)",
    ]
    assert "scratch" not in text
    markdown = diff("--git", "HEAD", "tests/integration", "--format", "markdown", cwd=repo).stdout
    assert "- added (untracked): tests/integration/inference/recordings/new.json" in markdown
    # against another revision the work tree plays no part
    assert json.loads(diff("--git", "HEAD", "HEAD", "--json", cwd=repo).stdout)["files"] == []


def test_git_refuses_oversize_blobs_from_their_size(tmp_path):
    """Two 100 MB blobs: one error row, and the blobs are never read (peak RSS stays low)."""
    repo = tmp_path / "repo"
    (repo / "recordings").mkdir(parents=True)
    big = repo / "recordings" / "big.json"
    size = 100 << 20
    big.write_bytes(b"[" + b" " * (size - 3) + b"1]")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")
    big.write_bytes(b"[" + b" " * (size - 3) + b"2]")
    _git(repo, "commit", "-qam", "second")

    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_REPLAY_")}
    env["PYTHONPATH"] = str(REPO)
    status, stdout, peak = run_peak_rss(["diff", "--git", "HEAD~1", "HEAD", "--json"], env=env, cwd=repo)
    assert status == 2
    (row,) = json.loads(stdout)["files"]
    assert row["verdict"] == "error" and row["error"] == "a: file is 100 MiB, over the 32 MiB limit"
    assert peak < 150 << 20, f"peak RSS {peak >> 20} MiB: a blob was read"


def test_a_work_tree_file_over_the_limit_is_one_error_row(tmp_path):
    repo = _repo(tmp_path)
    recording = repo / "tests/integration/inference/recordings" / TOOL_CALL.name
    edited(TOOL_CALL, recording, lambda obj: obj["request"]["body"].update(n=2))
    limit = TOOL_CALL.stat().st_size  # HEAD's copy fits; the work tree's, re-indented, does not
    assert recording.stat().st_size > limit
    done = diff("--git", "HEAD", "--max-size", str(limit), "--json", cwd=repo)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (row,) = json.loads(done.stdout)["files"]
    size = format_size(recording.stat().st_size)
    assert (
        row["verdict"] == "error"
        and row["error"] == f"b: file is {size}, over the {format_size(limit)} limit"
    )
    small = diff("--git", "HEAD", "--max-chars", "100", "--format", "markdown", cwd=repo)
    assert small.returncode == 2 and small.stderr == "tui-replay diff: --max-chars must be at least 2000\n"


def test_the_closing_command_is_quoted_for_the_shell_and_for_markdown(tmp_path):
    """A folder named with a backtick, HTML and a pipe: quoted in the command, which sits in a
    code span no backtick inside can close; escaped everywhere else."""
    repo = tmp_path / "repo"
    folder = "odd `name` <b>|"
    recordings = repo / folder / "recordings"
    recordings.mkdir(parents=True)
    sources = sorted(INFERENCE.glob("*.json"))[:8]
    for source in sources:
        shutil.copy(source, recordings / source.name)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")
    for source in sources:
        edited(source, recordings / source.name, lambda obj: obj["request"]["body"].update(seed=7))
    _git(repo, "commit", "-qam", "second")

    done = diff("--git", "HEAD~1", "HEAD", folder, "--format", "markdown", "--max-chars", "2000", cwd=repo)
    assert done.returncode == 1, done.stderr
    assert len(done.stdout.encode()) <= 2000
    head, parent = (_git(repo, "rev-parse", rev).strip()[:12] for rev in ("HEAD", "HEAD~1"))
    command = f"tui-replay diff --git {parent} {head} 'odd `name` <b>|'"
    assert done.stdout.endswith(f"more recordings (run `` {command} `` locally)\n")
    assert "<b>" not in done.stdout.replace(command, "")
