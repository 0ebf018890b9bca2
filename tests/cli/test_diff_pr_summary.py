"""`diff --git --format markdown` as a PR comment and a step summary, on a re-recording of 400
recordings (tests/cli/rerecording.py) in a real git repository: within its budget, recordings
only, nothing the budget left out unaccounted for."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from rerecording import Rerecording, build
from test_diff_cli import _git, _stat_files, diff, outside_fences

from tui_replay.comparison.render import suite_of

GITHUB_COMMENT_LIMIT = 65_536
STEP_SUMMARY_LIMIT = 1 << 20
PATHS = ("tests/integration",)
UNLIMITED = ("--format", "markdown", "--max-chars", "100000000")


@pytest.fixture(scope="module")
def rerecorded(tmp_path_factory) -> Rerecording:
    return build(tmp_path_factory.mktemp("rerecord"))


@pytest.fixture(scope="module")
def report(rerecorded) -> dict:
    done = diff("--git", "HEAD~1", "HEAD", *PATHS, "--json", cwd=rerecorded.repo)
    assert done.returncode == 1, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def summaries(rerecorded) -> tuple[str, str]:
    """(the summary within the default budget, the whole summary)."""
    budgeted = diff("--git", "HEAD~1", "HEAD", *PATHS, "--format", "markdown", cwd=rerecorded.repo)
    whole = diff("--git", "HEAD~1", "HEAD", *PATHS, *UNLIMITED, cwd=rerecorded.repo)
    assert budgeted.returncode == whole.returncode == 1, budgeted.stderr + whole.stderr
    return budgeted.stdout, whole.stdout


def _unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def test_only_recordings_are_compared_and_the_rest_is_one_count(rerecorded, report):
    named = {path for row in report["files"] for path in (row["path"], row.get("path_b")) if path}
    assert named == {
        *rerecorded.same_answer,
        *rerecorded.changed_answer,
        *rerecorded.added,
        *rerecorded.removed,
        *rerecorded.renamed,
        *rerecorded.renamed_from,
    }
    # git pairs a removed recording with a similar added one (a rename): one row for both
    paired = [row for row in report["files"] if row["path"] in rerecorded.removed and row.get("path_b")]
    assert all(row["path_b"] in rerecorded.added for row in paired)
    assert len(report["files"]) == rerecorded.recordings - len(paired) and rerecorded.recordings == 420
    assert report["other_files"]["changed"] == len(rerecorded.other_files) == 8
    # files changed: git's own count on the same paths
    assert report["changed"] == _stat_files(rerecorded.repo, "HEAD~1", "HEAD", "--", *PATHS)
    verdict = {row.get("path_b", row["path"]): row["verdict"] for row in report["files"]}
    assert {verdict[path] for path in rerecorded.same_answer} == {"same-answer"}
    assert {verdict[path] for path in rerecorded.renamed} == {"same"}
    changed = Counter(verdict[path] for path in rerecorded.changed_answer)
    assert changed["different"] >= 0.8 * len(rerecorded.changed_answer), changed
    # the ids and timestamps the docs say are reported: a count per file (a file without
    # them had its recorder's SDK version bumped instead: a reported request difference)
    for row in report["files"]:
        if row["verdict"] == "same-answer":
            bumped = all(d.get("pointer", "").startswith("/provider_metadata") for d in row["differences"])
            assert row["ids_and_timestamps"] > 0 or bumped, row["path"]
    text = diff("--git", "HEAD~1", "HEAD", *PATHS, cwd=rerecorded.repo).stdout
    row = next(row for row in report["files"] if row["path"] == rerecorded.same_answer[0])
    assert (
        f"{row['path']}  (+{row['lines']['added']} -{row['lines']['removed']})  only ids and timestamps "
        + (f"({row['ids_and_timestamps']} values)")
        in text
    )


def test_the_pr_summary_fits_a_github_comment(summaries):
    budgeted, whole = summaries
    assert len(whole) > GITHUB_COMMENT_LIMIT  # the budget matters here
    assert len(budgeted.encode()) <= 60_000 < GITHUB_COMMENT_LIMIT
    assert budgeted.splitlines()[2] == whole.splitlines()[2]  # the same counts first


def test_the_pr_summary_names_only_recordings(rerecorded, summaries):
    integration = rerecorded.repo / "tests/integration"
    suites = {f"tests/integration/{suite.parent.name}" for suite in integration.glob("*/recordings")}
    for markdown in summaries:
        # the recordings and the suites they are in, never test code or data
        paths = re.findall(r"tests/integration/[^\s(:`*]+", _unescape(markdown))
        assert len(paths) > 20
        for path in paths:
            recording = re.fullmatch(r"tests/integration/\w+/recordings/[\w-]+\.json", path)
            test_id = re.fullmatch(r"tests/integration/[\w/]+/test_\w+\.py", path)  # a group: `file.py::test`
            assert recording or test_id or path in suites, path
        for other in ("conftest", "README", "test_cases"):
            assert other not in markdown
        assert "8 other files changed, not recordings" in markdown


def test_the_pr_summary_folds_same_answers_and_accounts_for_what_it_leaves_out(rerecorded, report, summaries):
    budgeted, whole = summaries
    kept = Counter(
        suite_of(row.get("path_b", row["path"]))
        for row in report["files"]
        if row["verdict"] in ("same-answer", "same")
    )
    folded = dict(re.findall(r"^- (tests/integration/\S+): (\d+) recordings?: only", _unescape(whole), re.M))
    assert {suite: int(count) for suite, count in folded.items()} == dict(kept)
    assert "recordings: only ids and timestamps" in whole

    # what is shown plus "… and N more" is every recording
    shown = sum(
        int(count)
        for count in re.findall(
            r"^- tests/integration/\S+: (\d+) recordings?: only", _unescape(budgeted), re.M
        )
    )
    shown += len(re.findall(r"^(?:- |<summary>)(?:different|added|removed|error)", budgeted, re.M))
    (more,) = re.findall(r"^… and (\d+) more recordings \(run (.+) locally\)$", budgeted, re.M)
    assert shown + int(more[0]) == len(report["files"])
    # the real revisions, and the command shows the rest
    head, parent = (_git(rerecorded.repo, "rev-parse", rev).strip()[:12] for rev in ("HEAD", "HEAD~1"))
    assert more[1] == f"`tui-replay diff --git {parent} {head} tests/integration`"
    rerun = diff(*more[1].strip("`").split()[2:], *UNLIMITED, cwd=rerecorded.repo)
    assert rerun.stdout.split("\n", 1)[1] == whole.split("\n", 1)[1]  # all but the title


def test_the_pr_summary_has_no_empty_blocks_and_most_significant_first(summaries):
    budgeted, whole = summaries
    for markdown in summaries:
        outside = outside_fences(markdown)
        assert outside.count("<details>") == outside.count("</details>") == markdown.count("<summary>")
        # a blank line after each block, or GitHub reads what follows as more HTML
        assert outside.count("</details>\n\n") == outside.count("</details>")
        for block in re.findall(r"<details>(.*?)</details>", markdown, re.S):
            fenced = re.search(r"^(`{3,})\n(.+?)\n\1$", block, re.S | re.M)
            assert fenced and fenced.group(2).strip(), block
    # grouped by test, groups by their most significant change: different, then removed, then added
    tier = {"error": 0, "different": 1, "removed": 2, "added": 3}
    changed = outside_fences(whole).split("**Changed**", 1)[1]  # (answers may hold **bold** lines)
    groups = re.split(r"^\*\*.+\*\*$", changed, flags=re.M)[1:]
    verdicts = [re.findall(r"^(?:- |<summary>)(different|removed|added|error)", g, re.M) for g in groups]
    assert all(v == sorted(v, key=tier.get) for v in verdicts)
    assert [v[0] for v in verdicts] == sorted((v[0] for v in verdicts), key=tier.get)
    # the biggest change first
    lines = [int(n) for n in re.findall(r"^<summary>different: .* \((\d+) lines?\)", whole, re.M)]
    assert lines[0] == max(lines)
    assert budgeted.count("<details>") >= 5


def test_the_step_summary_appends_within_one_mib(rerecorded, summaries, tmp_path):
    _, whole = summaries
    summary = tmp_path / "step-summary.md"
    summary.write_text("## earlier step\n")
    step = {"GITHUB_STEP_SUMMARY": str(summary)}
    done = diff("--git", "HEAD~1", "HEAD", *PATHS, "--step-summary", cwd=rerecorded.repo, env=step)
    changed = _stat_files(rerecorded.repo, "HEAD~1", "HEAD", "--", *PATHS)
    assert done.returncode == 1 and done.stdout.startswith(f"{changed} files changed")  # stdout: as ever
    assert summary.read_text() == "## earlier step\n" + whole  # the whole summary fits in 1 MiB
    # a step summary that is nearly full: the rest of the 1 MiB, and "… and N more"
    filler = "x" * (STEP_SUMMARY_LIMIT - 30_000) + "\n"
    summary.write_text(filler)
    diff("--git", "HEAD~1", "HEAD", *PATHS, "--step-summary", cwd=rerecorded.repo, env=step)
    written = summary.read_bytes()
    assert written.startswith(filler.encode()) and len(written) <= STEP_SUMMARY_LIMIT
    assert b"\n\xe2\x80\xa6 and " in written[len(filler) :]
    a_folder = {"GITHUB_STEP_SUMMARY": str(tmp_path)}
    folder = diff("--git", "HEAD~1", "HEAD", "--step-summary", cwd=rerecorded.repo, env=a_folder)
    assert folder.returncode == 2 and folder.stderr.count("\n") == 1 and "cannot write" in folder.stderr
    unset = diff("--git", "HEAD~1", "HEAD", "--step-summary", cwd=rerecorded.repo)
    assert unset.returncode == 2 and unset.stderr.count("\n") == 1 and "GITHUB_STEP_SUMMARY" in unset.stderr
