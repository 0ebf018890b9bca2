"""`tui-replay check --fix [--apply]`: give mis-keyed and older-keyed files their expected names.

The plan: each such file renamed to the name the recorder computes for its request now, in its
own folder. A name that is taken (by a file on disk, or by an earlier rename of the same plan)
stays as it is: a conflict, with the two files' verdict from `diff` (tui_replay/comparison/model.py).
Duplicates get the command that would remove the redundant copy; nothing is ever removed here.

Applying renames with `git mv` when the file is tracked in a git work tree, else a plain rename
that never replaces a file (a hard link to the new name, then the old name unlinked). A file's
content is never touched. Shared by the command line and the app; imports no Textual.
"""

from __future__ import annotations

import errno
import functools
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from tui_replay.commands.filecheck import FileCheck, in_common
from tui_replay.commands.output import dumps_line, tolerant_stdout
from tui_replay.comparison.model import SAME, SAME_ANSWER, compare_recordings
from tui_replay.quoting import shell_word
from tui_replay.recording.load import load_recording
from tui_replay.recording.model import RecordingError
from tui_replay.recording.request_hash import MIS_KEYED, OLDER_KEY
from tui_replay.textsafe import printable, shown_path

RENAME = "rename"
CONFLICT = "conflict"
REDUNDANT = "redundant"
FIXABLE = (MIS_KEYED, OLDER_KEY)
_GIT_TIMEOUT = 30


@dataclass(slots=True)
class FixStep:
    """One line of the plan: a rename, a conflict (the name is taken), or a redundant copy."""

    action: str  # rename | conflict | redundant
    path: str
    target: str | None = None  # rename / conflict: the expected path; redundant: the copy kept
    key: str | None = None  # mis-keyed | older (rename, conflict)
    verdict: str | None = None  # conflict / redundant: `diff`'s verdict of the two files
    detail: str | None = None  # what differs between them, one line
    command: str | None = None  # redundant: the command that removes it
    via: str | None = None  # rename: "git mv" (tracked in a git work tree) or "rename"
    applied: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "path": self.path,
            "target": self.target,
            "key": self.key,
            "verdict": self.verdict,
            "detail": self.detail,
            "command": self.command,
            "via": self.via,
            "applied": self.applied,
            "error": self.error,
        }


@dataclass(slots=True)
class FixPlan:
    steps: list[FixStep] = field(default_factory=list)

    def of(self, action: str) -> list[FixStep]:
        return [step for step in self.steps if step.action == action]


def verdict(path_a: str, path_b: str) -> tuple[str, str]:
    """(`diff`'s verdict, a one-line description) of two recording files."""
    try:
        with open(path_a, "rb") as a, open(path_b, "rb") as b:
            if a.read() == b.read():
                return SAME, SAME
        comparison = compare_recordings(load_recording(path_a), load_recording(path_b), path_a)
    except (RecordingError, OSError) as exc:
        reason = exc.reason if isinstance(exc, RecordingError) else str(exc)
        return "error", reason
    return comparison.verdict, comparison.describe()


def plan_fix(checks: list[FileCheck]) -> FixPlan:
    """What `--apply` would do for `checks` (from `check_file`, duplicates marked); reads the
    two files of each conflict, changes nothing."""
    _tracked_names.cache_clear()
    plan = FixPlan()
    taken: dict[str, str] = {}  # expected path -> the file an earlier step renames there
    for check in sorted(checks, key=lambda c: c.path):
        if check.key not in FIXABLE or check.status is None or not check.status.expected:
            continue
        target = os.path.join(check.folder, check.status.expected)
        if target == check.path:
            continue
        holder = taken.get(target) or (target if os.path.lexists(target) else None)
        if holder is None:
            taken[target] = check.path
            via = "git mv" if tracked(check.path) else "rename"
            plan.steps.append(FixStep(RENAME, check.path, target, check.key, via=via))
            continue
        found, detail = verdict(holder, check.path)
        plan.steps.append(FixStep(CONFLICT, check.path, holder, check.key, found, detail))
    plan.steps += redundant_copies(checks)
    return plan


def redundant_copies(checks: list[FileCheck]) -> list[FixStep]:
    """For each pair of duplicates, the copy whose removal changes no lookup, with the command
    that removes it when the two hold the same recording (`same` / `same-answer`); otherwise
    their verdict and no command: neither is redundant."""
    by_path = {check.path: check for check in checks}
    steps: list[FixStep] = []
    done: set[frozenset[str]] = set()
    for check in sorted(checks, key=lambda c: c.path):
        for other_path in check.duplicates:
            pair = frozenset((check.path, other_path))
            other = by_path.get(other_path)
            if pair in done or other is None:
                continue
            done.add(pair)
            kept, redundant = _keep(check, other)
            found, detail = verdict(kept.path, redundant.path)
            command = None
            if found in (SAME, SAME_ANSWER):
                command = f"{'git rm' if tracked(redundant.path) else 'rm'} -- {shell_word(redundant.path)}"
            steps.append(
                FixStep(REDUNDANT, redundant.path, kept.path, verdict=found, detail=detail, command=command)
            )
    return steps


def _keep(a: FileCheck, b: FileCheck) -> tuple[FileCheck, FileCheck]:
    """(kept, redundant) of two duplicates. `common/recordings/` is every test folder's fallback,
    so its copy stays and the test folder's goes (the lookup then falls back to the same file);
    of two in one folder, the one under its expected name stays."""
    if in_common(a.path) != in_common(b.path):
        return (a, b) if in_common(a.path) else (b, a)
    a_named = os.path.basename(a.path) == a.request_name
    b_named = os.path.basename(b.path) == b.request_name
    if a_named != b_named:
        return (a, b) if a_named else (b, a)
    return (a, b) if a.path <= b.path else (b, a)


# -- applying -------------------------------------------------------------------------------------


def tracked(path: str) -> bool:
    """True when `path` is tracked in the git work tree around it (git mv / git rm apply)."""
    folder, name = os.path.split(os.path.abspath(path))
    return name in _tracked_names(folder)


@functools.lru_cache(maxsize=256)
def _tracked_names(folder: str) -> frozenset[str]:
    """The names git tracks directly in `folder` (one `git ls-files` per folder, not per file);
    empty outside a git work tree. Cleared whenever a plan is made or carried out."""
    try:
        done = subprocess.run(
            ["git", "-C", folder, "ls-files", "-z", "--", "."],
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    if done.returncode != 0:
        return frozenset()
    names = done.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return frozenset(name for name in names if name and "/" not in name)


def apply_fix(plan: FixPlan) -> FixPlan:
    """Carry out the plan's renames (never over an existing file); steps are marked `applied`
    or given an `error`. A name taken since the plan was made turns the step into a conflict."""
    _tracked_names.cache_clear()
    for step in plan.of(RENAME):
        assert step.target is not None
        if os.path.lexists(step.target):
            step.action = CONFLICT
            step.verdict, step.detail = verdict(step.target, step.path)
            continue
        try:
            rename_file(step.path, step.target)
        except OSError as exc:
            step.error = exc.strerror or str(exc)
        else:
            step.applied = True
    return plan


def rename_file(source: str, target: str) -> None:
    """`git mv` when `source` is tracked, else a rename that fails rather than replace `target`."""
    folder = os.path.dirname(os.path.abspath(source))
    if tracked(source):
        done = subprocess.run(
            ["git", "-C", folder, "mv", "--", os.path.basename(source), os.path.basename(target)],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["git mv failed"])[-1]
            raise OSError(errno.EIO, reason)
        return
    try:
        os.link(source, target)  # fails with EEXIST: never replaces
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links here: claim the name first (O_EXCL), then move onto the claim.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(source, target)
        return
    os.unlink(source)


# -- the command line -----------------------------------------------------------------------------


def run_fix(checks: list[FileCheck], *, apply: bool, as_json: bool) -> int:
    """`check --fix [--apply]`: print the plan (and carry it out with `apply`). Exit 0 when it
    applied everything or had nothing to do, 1 when conflicts remain (or, without --apply,
    renames wait), 2 when a rename failed or a file could not be read."""
    plan = plan_fix(checks)
    if apply:
        apply_fix(plan)
    if as_json:
        for step in plan.steps:
            sys.stdout.buffer.write(dumps_line(step.to_json()))
        sys.stdout.buffer.flush()
    else:
        tolerant_stdout()
        for step in plan.steps:
            print("\n".join(render_step(step)))
        print(fix_summary(plan, apply=apply))
    unreadable = any(check.key == "error" for check in checks)
    if unreadable or any(step.error for step in plan.steps):
        return 2
    if plan.of(CONFLICT) or (not apply and plan.of(RENAME)):
        return 1
    return 0


def render_step(step: FixStep) -> list[str]:
    path, target = shown_path(step.path), shown_path(step.target or "")
    if step.action == RENAME:
        state = "renamed" if step.applied else f"failed: {printable(step.error)}" if step.error else "to do"
        head = "renamed" if step.applied else "rename"
        return [f"{head:<10} {path}", f"           → {target}  ({step.key}; {step.via}; {state})"]
    why = (
        step.verdict if step.detail in (None, step.verdict) else f"{step.verdict} ({printable(step.detail)})"
    )
    if step.action == CONFLICT:
        return [f"conflict   {path}", f"           {target} is taken, left as it is: {why}"]
    if step.command is None:
        return [
            f"duplicate  {path}",
            f"           and {target} differ ({why}): neither is redundant, left as they are",
        ]
    return [
        f"redundant  {path}",
        f"           a copy of {target}: {why}",
        f"           {printable(step.command)}",
    ]


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def fix_summary(plan: FixPlan, *, apply: bool) -> str:
    renames, conflicts, redundant = plan.of(RENAME), plan.of(CONFLICT), plan.of(REDUNDANT)
    failed = sum(1 for step in renames if step.error)
    counts = ", ".join(
        (
            _count(len(conflicts), "conflict", "conflicts"),
            _count(len(redundant), "redundant copy", "redundant copies"),
        )
    )
    if apply:
        done = sum(1 for step in renames if step.applied)
        return f"fix: {done} renamed, " + (f"{failed} failed, " if failed else "") + counts
    return f"fix plan: {len(renames)} to rename, {counts}" + (" (--apply renames)" if renames else "")
