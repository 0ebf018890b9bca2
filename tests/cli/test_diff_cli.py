"""`tui-replay diff`: two files, two folders, two git revisions, through the real command line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from support import CORPUS, REPO, run_tui_replay

from tui_replay.recording.jsondiff import MISSING, json_pointer_differences

STREAMED = CORPUS / "llama-stack-2025-10/recordings/responses/dbc41d2417e1.json"  # 24 content chunks
INFERENCE = CORPUS / "llama-stack/inference/recordings"
TOOL_CALL = INFERENCE / "0de34091fb19d61b7edfe5f361650789ae2e66f9273ad74925e95b230a862a00.json"
OTHER_TOOL_CALL = INFERENCE / "853f6a700b98d71d390b7d366e27133a22772fbdf11863158349c1b0625bbc72.json"


def diff(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TUI_REPLAY_")}
    inherited.pop("GITHUB_STEP_SUMMARY", None)  # set in a GitHub Actions step
    env = {**inherited, "PYTHONPATH": str(REPO), **(env or {})}
    return run_tui_replay("diff", *args, cwd=cwd, env=env, timeout=120)


def edited(source: Path, target: Path, change) -> Path:
    obj = json.loads(source.read_text())
    change(obj)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(obj, indent=2))
    return target


def rechunk(obj: dict) -> None:
    """The same answer in fewer chunks: each content piece joins the one before it."""
    kept = []
    for item in obj["response"]["body"]:
        choices = item["__data__"].get("choices") or []
        delta = choices[0].get("delta", {}) if choices else {}
        previous = (
            kept[-1]["__data__"]["choices"][0]["delta"]
            if kept and kept[-1]["__data__"].get("choices")
            else None
        )
        if (
            delta.get("content")
            and previous is not None
            and previous.get("content")
            and not choices[0].get("finish_reason")
        ):
            previous["content"] += delta["content"]
            continue
        item["__data__"]["id"] = "chatcmpl-other"  # ids and timestamps do not count either
        item["__data__"]["created"] = 12345
        kept.append(item)
    assert len(kept) < len(obj["response"]["body"])
    obj["response"]["body"] = kept


def test_json_pointer_differences():
    a = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "a/b": 1, "t": True}
    b = {"model": "n", "messages": [{"role": "user", "content": "hi"}, {"role": "user"}], "t": 1}
    assert json_pointer_differences(a, b) == [
        ("/model", "m", "n"),
        ("/messages/1", MISSING, {"role": "user"}),
        ("/a~1b", 1, MISSING),
        ("/t", True, 1),  # JSON true is not the number 1
    ]
    assert json_pointer_differences({"x": 1.0}, {"x": 1}) == []


def test_same_answer_in_other_chunks_is_same_answer(tmp_path):
    other = edited(STREAMED, tmp_path / "rechunked.json", rechunk)
    done = diff(str(STREAMED), str(other), "--json")
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["files"]
    assert row["verdict"] == "same-answer"
    assert {d["field"] for d in row["differences"]} == {"chunks"}
    assert row["a"]["text"] == row["b"]["text"] != ""
    same = diff(str(STREAMED), str(STREAMED))
    assert same.returncode == 0 and same.stdout.startswith("same")


def test_a_changed_tool_argument_is_different_and_named(tmp_path):
    def move(obj):
        call = obj["response"]["body"]["__data__"]["choices"][0]["message"]["tool_calls"][0]
        call["function"]["arguments"] = json.dumps({"location": "Paris, FR"})
        call["id"] = "call_other"  # an id alone would not count

    other = edited(TOOL_CALL, tmp_path / "moved.json", move)
    done = diff(str(TOOL_CALL), str(other), "--json")
    assert done.returncode == 1, done.stderr
    (row,) = json.loads(done.stdout)["files"]
    assert row["verdict"] == "different"
    (difference,) = [d for d in row["differences"] if d["field"] == "tool_calls"]
    assert difference["arguments"] == [{"pointer": "/location", "a": "San Francisco, CA", "b": "Paris, FR"}]
    text = diff(str(TOOL_CALL), str(other))
    assert text.returncode == 1
    assert 'argument /location "San Francisco, CA" → "Paris, FR"' in text.stdout
    # arguments are compared as JSON: other spacing and key order is the same call
    respaced = edited(
        TOOL_CALL,
        tmp_path / "respaced.json",
        lambda obj: obj["response"]["body"]["__data__"]["choices"][0]["message"]["tool_calls"][0][
            "function"
        ].update(arguments='{ "location" : "San Francisco, CA" }'),
    )
    assert (
        json.loads(diff(str(TOOL_CALL), str(respaced), "--json").stdout)["files"][0]["verdict"]
        == "same-answer"
    )


def test_a_changed_request_and_text_are_listed_with_word_markers(tmp_path):
    def change(obj):
        obj["request"]["body"]["temperature"] = 0.5
        for item in obj["response"]["body"]:
            choices = item["__data__"].get("choices") or []
            if choices and choices[0].get("delta", {}).get("content"):
                choices[0]["delta"]["content"] = "[bold]Purple\x1b[31m"
                break

    other = edited(STREAMED, tmp_path / "changed.json", change)
    done = diff(str(STREAMED), str(other))
    assert done.returncode == 1
    assert "request /body/temperature" in done.stdout
    assert "{+[bold]Purple\u241b[31m" in done.stdout  # literal text, ESC as a placeholder, markers
    assert "[-" in done.stdout and "\x1b" not in done.stdout


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=folder, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    recordings = repo / "recordings"
    recordings.mkdir(parents=True)
    for source in (STREAMED, TOOL_CALL):
        shutil.copy(source, recordings / source.name)
    shutil.copy(OTHER_TOOL_CALL, recordings / "gone.json")
    (repo / "notes.txt").write_text("outside the recordings\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")
    return repo


def _stat_files(repo: Path, *args: str) -> int:
    summary = _git(repo, "diff", "--stat", *args).strip().splitlines()[-1]
    return int(re.match(r"\s*(\d+) files? changed", summary).group(1))


def test_git_revisions_count_like_git_diff_stat(tmp_path):
    repo = _repo(tmp_path)
    recordings = repo / "recordings"
    edited(STREAMED, recordings / STREAMED.name, rechunk)  # same answer
    edited(
        TOOL_CALL,
        recordings / TOOL_CALL.name,
        lambda obj: obj["response"]["body"]["__data__"]["choices"][0]["message"]["tool_calls"][0][
            "function"
        ].update(arguments='{"location": "Oslo"}'),
    )
    (recordings / "gone.json").unlink()
    shutil.copy(
        CORPUS / "llama-stack-2025-10/recordings/responses/38ea441b5f83.json", recordings / "new.json"
    )
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "second")
    (repo / "notes.txt").write_text("changed in the work tree only\n")

    done = diff("--git", "HEAD~1", "HEAD", "--json", cwd=repo)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    verdicts = {row["path"]: row["verdict"] for row in report["files"]}
    assert verdicts == {
        f"recordings/{STREAMED.name}": "same-answer",
        f"recordings/{TOOL_CALL.name}": "different",
        "recordings/gone.json": "removed",
        "recordings/new.json": "added",
    }
    assert report["changed"] == _stat_files(repo, "HEAD~1", "HEAD") == 4
    # the line counts are git's own
    numstat = _git(repo, "diff", "--numstat", "HEAD~1", "HEAD").splitlines()
    for line in numstat:
        added, removed, path = line.split("\t")
        (row,) = [r for r in report["files"] if r["path"] == path]
        assert row["lines"] == {"added": int(added), "removed": int(removed)}

    # REV2 defaults to the work tree; with no PATH only files that can be recordings count
    # (notes.txt changed in the work tree: git counts it, a recordings diff does not)
    work = json.loads(diff("--git", "HEAD", "--json", cwd=repo).stdout)
    assert _stat_files(repo, "HEAD") == 1 and work["changed"] == 0 and work["files"] == []
    assert json.loads(diff("--git", "HEAD", "--json", "notes.txt", cwd=repo).stdout)["changed"] == 1
    # paths narrow it like they narrow git diff; options may stand between revision and paths
    intermixed = json.loads(diff("--git", "HEAD~1", "--json", "recordings", cwd=repo).stdout)
    assert intermixed["changed"] == _stat_files(repo, "HEAD~1", "--", "recordings") == 4
    narrowed = diff("--git", "HEAD~1", "recordings", cwd=repo)
    assert narrowed.stdout.startswith(f"{_stat_files(repo, 'HEAD~1', '--', 'recordings')} files changed")
    assert "notes.txt" not in narrowed.stdout
    assert (
        "4 files changed" in narrowed.stdout
        and "1 added" in narrowed.stdout
        and "1 removed" in narrowed.stdout
    )
    # nothing was checked out
    assert _git(repo, "status", "--porcelain").strip() == "M notes.txt"


def test_git_errors_are_one_line(tmp_path):
    repo = _repo(tmp_path)
    for args in (("--git", "no-such-rev"), ("--git", "--", "--upload-pack=x"), ("--git",)):
        done = diff(*args, cwd=repo)
        assert done.returncode == 2, (args, done.stdout)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    outside = diff("--git", "HEAD", cwd=tmp_path)
    assert outside.returncode == 2 and "Traceback" not in outside.stderr


def outside_fences(markdown: str) -> str:
    """The Markdown with its fenced code blocks left out (what GitHub reads as Markdown/HTML)."""
    kept, fence = [], None
    for line in markdown.splitlines():
        run = re.match(r"^(`{3,})", line)
        if fence is None and run:
            fence = run.group(1)
        elif fence is not None and line == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    return "\n".join(kept)


def test_folders_pair_by_relative_path_and_markdown_is_escaped(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copy(STREAMED, (a / "x").mkdir(parents=True) or a / "x" / "s.json")
    shutil.copy(TOOL_CALL, a / "tool.json")
    hostile_test = "<script>|x|</script> `` </details>\n# h"

    def hostile(obj):
        obj["test_id"] = hostile_test
        message = obj["response"]["body"]["__data__"]["choices"][0]["message"]
        message["tool_calls"][0]["function"]["arguments"] = json.dumps(
            {"location": "<script>|x|</script> ``` **b**"}
        )

    edited(STREAMED, b / "x" / "s.json", rechunk)
    edited(TOOL_CALL, b / "tool.json", hostile)
    (b / "broken.json").write_text('{"request": ')
    done = diff(str(a), str(b), "--format", "markdown")
    assert done.returncode == 2  # the unreadable file is an error
    text = done.stdout
    assert "3 files changed" in text
    assert "added: broken.json" not in text and "- error: broken.json — b: " in text
    assert "- x: 1 recording: only ids and timestamps (1), chunking (1)" in text
    assert text.count("<details>") == text.count("</details>") == 1  # only tool.json has lines to show
    assert "<summary>different: tool.json (3 lines)</summary>" in text
    # recorded text cannot open HTML, close the <details> or start a heading outside the fences
    markdown = outside_fences(text)
    assert "<script>" not in markdown and markdown.count("</details>") == 1
    assert "**&lt;script&gt;\\|x\\|&lt;/script&gt; \\`\\` &lt;/details&gt; \\# h**" in markdown
    assert "````" in text  # a longer fence around text that holds ```
    assert diff(str(a), str(tmp_path / "missing")).returncode == 2


def test_a_re_record_that_only_bumps_the_recorder_metadata_keeps_its_meaning(tmp_path):
    def bump(obj: dict) -> None:
        obj["request"]["provider_metadata"] = {"openai_sdk_version": "9.9.9"}

    a = edited(TOOL_CALL, tmp_path / "a.json", lambda obj: None)
    b = edited(TOOL_CALL, tmp_path / "b.json", bump)
    done = diff(str(a), str(b), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = json.loads(done.stdout)["files"]
    assert result["verdict"] == "same-answer"
    (difference,) = result["differences"]
    assert difference["pointer"].startswith("/provider_metadata") and difference["decides"] is False
    # the same file with a changed body field is still `different`
    c = edited(b, tmp_path / "c.json", lambda obj: obj["request"]["body"].update(temperature=1.5))
    assert diff(str(a), str(c)).returncode == 1
