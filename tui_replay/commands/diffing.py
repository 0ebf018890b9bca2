"""`tui-replay diff A B` and `tui-replay diff --git REV [REV2] [PATH...]`: what changed in meaning.

A and B are two recordings or two folders (paired by relative path). With --git, the
versions come from `git` itself (`git diff --name-status`, `git cat-file --batch`; nothing
is checked out); REV2 defaults to the work tree. Files count as changed exactly when
`git diff --stat` counts them (the bytes differ); the verdict then says whether the meaning
did. Exit 0 when nothing differs beyond `same-answer`, 1 otherwise, 2 on errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from tui_replay.comparison.model import (
    ADDED,
    DIFFERENT,
    ERROR,
    REMOVED,
    SAME,
    SAME_ANSWER,
    RecordingComparison,
    compare_recordings,
    error_comparison,
)
from tui_replay.comparison.render import (
    STEP_SUMMARY_BUDGET,
    OtherFiles,
    changed_count,
    markdown_report,
)
from tui_replay.recording.cassette import is_cassette_name
from tui_replay.recording.model import Recording, RecordingError
from tui_replay.textsafe import message_line, shown_path

EXIT_SAME, EXIT_DIFFERENT, EXIT_FAILED = 0, 1, 2
MIN_BUDGET = 2_000  # room for the counts and the closing "… and N more" line

if TYPE_CHECKING:
    from tui_replay.config import Config


class DiffError(Exception):
    """A usage or git problem: one line, exit 2."""


# A side's content: bytes, None when the file does not exist on that side.
Reader = Callable[[], bytes | None]


@dataclass(slots=True)
class Pair:
    path: str
    read_a: Reader
    read_b: Reader
    path_b: str | None = None
    lines: tuple[int, int] | None = None  # (added, removed) from git --numstat
    untracked: bool = False  # in the work tree, not tracked by git (and not ignored)


def _recording(data: bytes, label: str, max_size: int) -> Recording:
    from tui_replay.recording.load import format_size, parse_json, recording_from_obj

    if len(data) > max_size:
        raise RecordingError(f"file is {format_size(len(data))}, over the {format_size(max_size)} limit")
    return recording_from_obj(parse_json(data), label)


def _report_line(report: dict[str, Any]) -> bytes:
    """The --json report as one line; values JSON has no type for (MISSING) as their str. Written
    directly: a round trip through the stdlib copied the whole report (a file within the limits
    then took `diff --json` past 1 GiB)."""
    from tui_replay.commands.output import dumps_line

    try:
        return orjson.dumps(report, default=str, option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:  # a lone surrogate, an int past 64 bits: the stdlib writes those
        return dumps_line(json.loads(json.dumps(report, default=str)))


def compare_pair(pair: Pair, max_size: int) -> RecordingComparison:
    try:
        a, b = pair.read_a(), pair.read_b()
    except OSError as exc:
        return error_comparison(pair.path, f"cannot read: {exc.strerror or exc}")
    except DiffError as exc:
        return error_comparison(pair.path, str(exc))
    if a is not None and a == b:
        result = RecordingComparison(pair.path, SAME)
    elif not pair.path.endswith(".json") and not (pair.path_b or "").endswith(".json"):
        # not a recording: counted like git counts it, compared by bytes only
        verdict = ADDED if a is None else REMOVED if b is None else DIFFERENT
        result = RecordingComparison(pair.path, verdict)
    else:
        try:
            recording_a = _recording(a, pair.path, max_size) if a is not None else None
            recording_b = _recording(b, pair.path_b or pair.path, max_size) if b is not None else None
        except RecordingError as exc:
            side = "a" if a is not None and not _parses(a, max_size) else "b"
            return error_comparison(pair.path, f"{side}: {exc.reason}")
        result = compare_recordings(recording_a, recording_b, pair.path)
    result.path_b = pair.path_b
    result.untracked = pair.untracked
    if pair.lines is not None:
        result.lines_added, result.lines_removed = pair.lines
    return result


# A cassette is a YAML file with a top-level `interactions` key (at column 0 in block style).
_CASSETTE_KEY = re.compile(rb"^interactions\s*:", re.MULTILINE)


def is_recording_pair(pair: Pair) -> bool:
    """Whether a changed file is a recording: a `*.json` in a `recordings` folder, or a
    cassette (YAML with a top-level `interactions`, either side). conftest.py, README.md,
    test_cases/*.json are changed files, not recordings."""
    names = [name for name in (pair.path, pair.path_b) if name]
    if any(name.endswith(".json") and "recordings" in name.split("/")[:-1] for name in names):
        return True
    if not any(is_cassette_name(name) for name in names):
        return False
    for read in (pair.read_a, pair.read_b):
        try:
            data = read()
        except (OSError, DiffError):
            return True  # unreadable: kept, so its error row shows
        if data is not None and _CASSETTE_KEY.search(data):
            return True
    return False


def _parses(data: bytes, max_size: int) -> bool:
    try:
        _recording(data, "", max_size)
    except RecordingError:
        return False
    return True


# --- pairing --------------------------------------------------------------------------------


def _reader(path: Path, side: str = "b", max_size: int | None = None) -> Reader:
    """A file's bytes (None when it does not exist); over `max_size` refused from its size."""

    def read() -> bytes | None:
        if not path.is_file():
            return None
        if max_size is not None:
            size = path.stat().st_size
            if size > max_size:
                raise DiffError(_oversize(side, size, max_size))
        return path.read_bytes()

    return read


def _oversize(side: str, size: int, max_size: int) -> str:
    from tui_replay.recording.load import format_size

    return f"{side}: file is {format_size(size)}, over the {format_size(max_size)} limit"


def _files_under(root: Path) -> set[str]:
    found = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            found.add((Path(folder) / name).relative_to(root).as_posix())
    return found


def pair_paths(a: str, b: str, max_size: int | None = None) -> list[Pair]:
    first, second = Path(a), Path(b)
    for path in (first, second):
        if not path.exists():
            raise DiffError(f"no such file or folder: {shown_path(path)}")
    if first.is_dir() != second.is_dir():
        raise DiffError("give two files or two folders")
    if not first.is_dir():
        return [Pair(a, _reader(first, "a", max_size), _reader(second, "b", max_size), path_b=b)]
    names = sorted(_files_under(first) | _files_under(second))
    return [
        Pair(name, _reader(first / name, "a", max_size), _reader(second / name, "b", max_size))
        for name in names
    ]


# --- git ------------------------------------------------------------------------------------


def _git(args: list[str], *, cwd: str | None = None, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed") from None
    if done.returncode != 0:
        message = " ".join(done.stderr.decode(errors="replace").split()) or f"git {args[0]} failed"
        raise DiffError(message)
    return done.stdout


def _commit(rev: str) -> str:
    if rev.startswith("-"):
        raise DiffError(f"not a revision: {rev}")
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"]).decode().strip()
    except DiffError:
        raise DiffError(f"not a revision: {rev}") from None


def _is_commit(rev: str) -> bool:
    try:
        _commit(rev)
    except DiffError:
        return False
    return True


class _Blobs:
    """Blob contents by "REV:path": sizes first (`git cat-file --batch-check`), then one
    `git cat-file --batch` for the blobs within `max_size`; a bigger blob is never read."""

    def __init__(self, root: str, max_size: int) -> None:
        self.root = root
        self.max_size = max_size
        self.wanted: list[str] = []
        self.read: dict[str, bytes | None] | None = None
        self.oversize: dict[str, int] = {}

    def reader(self, rev: str, path: str, side: str) -> Reader:
        name = f"{rev}:{path}"
        self.wanted.append(name)
        return lambda: self._get(name, side)

    def _get(self, name: str, side: str) -> bytes | None:
        if self.read is None:
            self.read = self._batch()
        if name in self.oversize:
            raise DiffError(_oversize(side, self.oversize[name], self.max_size))
        return self.read.get(name)

    def _batch(self) -> dict[str, bytes | None]:
        plain = [name for name in self.wanted if "\n" not in name]
        check = _git(
            ["cat-file", "--batch-check"], cwd=self.root, stdin="".join(f"{n}\n" for n in plain).encode()
        )
        result: dict[str, bytes | None] = {}
        objects: dict[str, str] = {}  # name -> object id, for the blobs to read
        for name, line in zip(plain, check.decode(errors="replace").splitlines(), strict=True):
            parts = line.rsplit(" ", 2)  # "<oid> blob <size>", or "<name> missing"
            if len(parts) == 3 and parts[1] == "blob" and parts[2].isdigit():
                if int(parts[2]) > self.max_size:
                    self.oversize[name] = int(parts[2])
                else:
                    objects[name] = parts[0]
            else:
                result[name] = None
        ids = list(dict.fromkeys(objects.values()))
        out = _git(["cat-file", "--batch"], cwd=self.root, stdin="".join(f"{oid}\n" for oid in ids).encode())
        contents: dict[str, bytes] = {}
        position = 0
        for oid in ids:
            end = out.index(b"\n", position)
            size = int(out[position:end].split()[2])
            position = end + 1
            contents[oid] = out[position : position + size]
            position += size + 1
        result.update((name, contents[oid]) for name, oid in objects.items())
        for name in self.wanted:
            if "\n" in name:  # a path the line-based batch cannot carry
                size = subprocess.run(
                    ["git", "cat-file", "-s", name], cwd=self.root, capture_output=True, check=False
                ).stdout.strip()
                if size.isdigit() and int(size) > self.max_size:
                    self.oversize[name] = int(size)
                    continue
                result[name] = subprocess.run(
                    ["git", "cat-file", "blob", name], cwd=self.root, capture_output=True, check=False
                ).stdout
        return result


def _split_z(data: bytes) -> list[str]:
    return [part.decode("utf-8", "surrogateescape") for part in data.split(b"\0")]


RECORDING_PATHSPECS = ("*.json", "*.yaml", "*.yml")  # a git `*` matches across folders too


@dataclass(slots=True)
class GitRange:
    """What `--git REV [REV2] [PATH...]` names: the pairs, a title such as `main..work tree`,
    and the command that shows it all locally (the resolved commits, shell-quoted)."""

    pairs: list[Pair]
    title: str
    command: str


def git_pairs(positionals: list[str], max_size: int) -> GitRange:
    """Pairs for `--git REV [REV2] [PATH...]`: the files git lists as changed between the two,
    and with the work tree as REV2 the untracked, not ignored files too (as `git status`)."""
    if not positionals:
        raise DiffError("--git needs a revision: tui-replay diff --git REV [REV2] [PATH...]")
    root = _git(["rev-parse", "--show-toplevel"]).decode().strip()
    rev_a = _commit(positionals[0])
    rest = positionals[1:]
    rev_b = None
    if rest and not Path(rest[0]).exists() and _is_commit(rest[0]):
        rev_b = _commit(rest[0])
        rest = rest[1:]
    revs = [rev_a] + ([rev_b] if rev_b else [])
    # With no PATH only what can be a recording: README.md is no "different" recording.
    paths = ["--", *(rest or RECORDING_PATHSPECS)]
    # git itself would load two oversize blobs whole to count their lines: past the size limit
    # it counts them as binary (no line counts) from their size alone.
    diff = ["-c", f"core.bigFileThreshold={max_size}", "diff"]
    status = _split_z(_git([*diff, "--name-status", "-z", *revs, *paths]))
    numstat = _split_z(_git([*diff, "--numstat", "-z", *revs, *paths]))
    lines = _numstat(numstat)
    blobs = _Blobs(root, max_size)

    def side_b(path: str) -> Reader:
        return blobs.reader(rev_b, path, "b") if rev_b else _reader(Path(root) / path, "b", max_size)

    pairs: list[Pair] = []
    index = 0
    while index < len(status) and status[index]:
        code = status[index]
        if code[0] in "RC":
            old, new = status[index + 1], status[index + 2]
            index += 3
            pairs.append(
                Pair(old, blobs.reader(rev_a, old, "a"), side_b(new), path_b=new, lines=lines.get(new))
            )
            continue
        path = status[index + 1]
        index += 2
        read_a: Reader = (lambda: None) if code[0] == "A" else blobs.reader(rev_a, path, "a")
        read_b: Reader = (lambda: None) if code[0] == "D" else side_b(path)
        pairs.append(Pair(path, read_a, read_b, lines=lines.get(path)))
    if rev_b is None:
        untracked = _git(["ls-files", "--others", "--exclude-standard", "--full-name", "-z", *paths])
        for path in _split_z(untracked):
            if path:
                read_b = _reader(Path(root) / path, "b", max_size)
                pairs.append(Pair(path, lambda: None, read_b, untracked=True))
    title = f"{positionals[0]}..{positionals[1] if rev_b else 'work tree'}"
    command = shlex.join(["tui-replay", "diff", "--git", *(rev[:12] for rev in revs), *rest])
    return GitRange(pairs, title, command)


def _numstat(parts: list[str]) -> dict[str, tuple[int, int]]:
    lines: dict[str, tuple[int, int]] = {}
    index = 0
    while index < len(parts) and parts[index]:
        added, removed, path = parts[index].split("\t", 2)
        index += 1
        if not path:  # a rename: the old and the new path follow
            path = parts[index + 1]
            index += 2
        lines[path] = (int(added) if added.isdigit() else 0, int(removed) if removed.isdigit() else 0)
    return lines


# --- output ---------------------------------------------------------------------------------


def exit_code(comparisons: list[RecordingComparison]) -> int:
    verdicts = {c.verdict for c in comparisons}
    if ERROR in verdicts:
        return EXIT_FAILED
    return EXIT_SAME if verdicts <= {SAME, SAME_ANSWER} else EXIT_DIFFERENT


def _print_text(comparisons: list[RecordingComparison], single: bool, other: OtherFiles | None) -> None:
    from rich.console import Console

    from tui_replay.comparison.render import ComparisonView, DifferencesView, counts_line, summary_line

    console = Console(highlight=False, soft_wrap=True)
    if single:
        console.print(ComparisonView(comparisons[0]))
        return
    console.print(counts_line(comparisons, other))
    changed = [c for c in comparisons if c.verdict != SAME or (other is not None and not c.untracked)]
    for comparison in changed:
        console.print(summary_line(comparison))
    for comparison in changed:
        if comparison.verdict in (DIFFERENT, SAME_ANSWER, ERROR) and comparison.differences:
            console.print()
            console.print(summary_line(comparison))
            for line in DifferencesView(comparison).lines():
                console.print(line)


def _only_recordings(pairs: list[Pair]) -> tuple[list[Pair], OtherFiles]:
    """The recordings among git's changed files, and a count of the rest."""
    recordings: list[Pair] = []
    other: list[Pair] = []
    for pair in pairs:
        (recordings if is_recording_pair(pair) else other).append(pair)
    tracked = [pair for pair in other if not pair.untracked]
    return recordings, OtherFiles(
        changed=len(tracked),
        lines_added=sum(pair.lines[0] for pair in tracked if pair.lines),
        lines_removed=sum(pair.lines[1] for pair in tracked if pair.lines),
        untracked=len(other) - len(tracked),
    )


def _append_step_summary(markdown_of: Callable[[int], str]) -> None:
    """Append the summary to the file `$GITHUB_STEP_SUMMARY` names, within the 1 MiB a step
    summary holds (less what the step already wrote there)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        raise DiffError(
            "--step-summary: $GITHUB_STEP_SUMMARY is not set (it is set in a GitHub Actions step)"
        )
    try:
        written = os.path.getsize(target) if os.path.exists(target) else 0
        room = STEP_SUMMARY_BUDGET - written
        if room < MIN_BUDGET:
            raise DiffError(f"--step-summary: {target} already holds {written} bytes of its 1 MiB")
        with open(target, "a", encoding="utf-8") as summary:
            summary.write(markdown_of(room))
    except OSError as exc:
        raise DiffError(f"--step-summary: cannot write {target}: {exc.strerror or exc}") from None


def run_diff(args: argparse.Namespace, config: Config) -> int:
    from tui_replay.commands.output import tolerant_stdout

    max_size = config.max_size
    other: OtherFiles | None = None
    rerun = None
    if args.max_chars < MIN_BUDGET:
        print(f"tui-replay diff: --max-chars must be at least {MIN_BUDGET}", file=sys.stderr)
        return EXIT_FAILED
    try:
        if args.git:
            changed = git_pairs(args.paths, max_size)
            pairs, other = _only_recordings(changed.pairs)
            title, rerun = changed.title, changed.command
            single = False
        else:
            if len(args.paths) != 2:
                raise DiffError("give two recordings or two folders: tui-replay diff A B (or --git REV)")
            pairs = pair_paths(*args.paths, max_size)
            title = f"{args.paths[0]} → {args.paths[1]}"
            single = not Path(args.paths[0]).is_dir()
        comparisons = [compare_pair(pair, max_size) for pair in pairs]

        def markdown(budget: int) -> str:
            return markdown_report(
                comparisons, f"Recordings: {title}", other=other, max_chars=budget, rerun=rerun
            )

        if args.step_summary:
            _append_step_summary(markdown)
    except DiffError as exc:
        print(f"tui-replay diff: {message_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    tolerant_stdout()
    if args.json:
        counts: dict[str, int] = {}
        for comparison in comparisons:
            counts[comparison.verdict] = counts.get(comparison.verdict, 0) + 1
        report: dict[str, object] = {
            "title": title,
            "changed": changed_count(comparisons, other),
            "counts": counts,
        }
        if other is not None:
            report["other_files"] = {
                "changed": other.changed,
                "untracked": other.untracked,
                "lines": {"added": other.lines_added, "removed": other.lines_removed},
            }
        report["files"] = [c.to_json() for c in comparisons]
        sys.stdout.buffer.write(_report_line(report))
    elif args.format == "markdown":
        sys.stdout.write(markdown(args.max_chars))
    else:
        _print_text(comparisons, single, other)
    return exit_code(comparisons)
