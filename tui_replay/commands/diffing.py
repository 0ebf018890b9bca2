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
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tui_replay.comparison import (
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
from tui_replay.recording.model import Recording, RecordingError

EXIT_SAME, EXIT_DIFFERENT, EXIT_FAILED = 0, 1, 2


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


def _recording(data: bytes, label: str, max_size: int) -> Recording:
    from tui_replay.recording.load import format_size, parse_json, recording_from_obj

    if len(data) > max_size:
        raise RecordingError(f"file is {format_size(len(data))}, over the {format_size(max_size)} limit")
    return recording_from_obj(parse_json(data), label)


def _report_line(report: dict[str, Any]) -> bytes:
    """The --json report as one line; values JSON has no type for (MISSING) as their str. Written
    directly: a round trip through the stdlib copied the whole report (a file within the limits
    then took `diff --json` past 1 GiB)."""
    from tui_replay.commands.listing import dumps_line

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
    if pair.lines is not None:
        result.lines_added, result.lines_removed = pair.lines
    return result


def _parses(data: bytes, max_size: int) -> bool:
    try:
        _recording(data, "", max_size)
    except RecordingError:
        return False
    return True


# --- pairing --------------------------------------------------------------------------------


def _reader(path: Path) -> Reader:
    return lambda: path.read_bytes() if path.is_file() else None


def _files_under(root: Path) -> set[str]:
    found = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            found.add((Path(folder) / name).relative_to(root).as_posix())
    return found


def pair_paths(a: str, b: str) -> list[Pair]:
    first, second = Path(a), Path(b)
    for path in (first, second):
        if not path.exists():
            raise DiffError(f"no such file or folder: {path}")
    if first.is_dir() != second.is_dir():
        raise DiffError("give two files or two folders")
    if not first.is_dir():
        return [Pair(a, _reader(first), _reader(second), path_b=b)]
    names = sorted(_files_under(first) | _files_under(second))
    return [Pair(name, _reader(first / name), _reader(second / name)) for name in names]


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
    """Blob contents by "REV:path", read with one `git cat-file --batch` when first needed."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.wanted: list[str] = []
        self.read: dict[str, bytes | None] | None = None

    def reader(self, rev: str, path: str) -> Reader:
        name = f"{rev}:{path}"
        self.wanted.append(name)
        return lambda: self._get(name)

    def _get(self, name: str) -> bytes | None:
        if self.read is None:
            self.read = self._batch()
        return self.read.get(name)

    def _batch(self) -> dict[str, bytes | None]:
        plain = [name for name in self.wanted if "\n" not in name]
        out = _git(["cat-file", "--batch"], cwd=self.root, stdin="".join(f"{n}\n" for n in plain).encode())
        result: dict[str, bytes | None] = {}
        position = 0
        for name in plain:
            end = out.index(b"\n", position)
            header = out[position:end].split()
            position = end + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                result[name] = out[position : position + size]
                position += size + 1
            else:
                result[name] = None
        for name in self.wanted:
            if "\n" in name:  # a path the line-based batch cannot carry
                result[name] = subprocess.run(
                    ["git", "cat-file", "blob", name], cwd=self.root, capture_output=True, check=False
                ).stdout
        return result


def _split_z(data: bytes) -> list[str]:
    return [part.decode("utf-8", "surrogateescape") for part in data.split(b"\0")]


RECORDING_PATHSPECS = ("*.json", "*.yaml", "*.yml")  # a git `*` matches across folders too


def git_pairs(positionals: list[str]) -> tuple[list[Pair], str]:
    """Pairs for `--git REV [REV2] [PATH...]` and a title such as `main..work tree`."""
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
    status = _split_z(_git(["diff", "--name-status", "-z", *revs, *paths]))
    numstat = _split_z(_git(["diff", "--numstat", "-z", *revs, *paths]))
    lines = _numstat(numstat)
    blobs = _Blobs(root)

    def side_b(path: str) -> Reader:
        return blobs.reader(rev_b, path) if rev_b else _reader(Path(root) / path)

    pairs: list[Pair] = []
    index = 0
    while index < len(status) and status[index]:
        code = status[index]
        if code[0] in "RC":
            old, new = status[index + 1], status[index + 2]
            index += 3
            pairs.append(Pair(old, blobs.reader(rev_a, old), side_b(new), path_b=new, lines=lines.get(new)))
            continue
        path = status[index + 1]
        index += 2
        read_a: Reader = (lambda: None) if code[0] == "A" else blobs.reader(rev_a, path)
        read_b: Reader = (lambda: None) if code[0] == "D" else side_b(path)
        pairs.append(Pair(path, read_a, read_b, lines=lines.get(path)))
    title = f"{positionals[0]}..{positionals[1] if rev_b else 'work tree'}"
    return pairs, title


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


def _print_text(comparisons: list[RecordingComparison], single: bool) -> None:
    from rich.console import Console

    from tui_replay.comparison_view import ComparisonView, DifferencesView, counts_line, summary_line

    console = Console(highlight=False, soft_wrap=True)
    if single:
        console.print(ComparisonView(comparisons[0]))
        return
    console.print(counts_line(comparisons))
    changed = [c for c in comparisons if c.verdict != SAME]
    for comparison in changed:
        console.print(summary_line(comparison))
    for comparison in changed:
        if comparison.verdict in (DIFFERENT, SAME_ANSWER, ERROR) and comparison.differences:
            console.print()
            console.print(summary_line(comparison))
            for line in DifferencesView(comparison).lines():
                console.print(line)


def run_diff(args: argparse.Namespace) -> int:
    from tui_replay.commands.listing import tolerant_stdout

    max_size = args.max_size
    try:
        if args.git:
            pairs, title = git_pairs(args.paths)
            single = False
        else:
            if len(args.paths) != 2:
                raise DiffError("give two recordings or two folders: tui-replay diff A B (or --git REV)")
            pairs = pair_paths(*args.paths)
            title = f"{args.paths[0]} → {args.paths[1]}"
            single = not Path(args.paths[0]).is_dir()
        comparisons = [compare_pair(pair, max_size) for pair in pairs]
    except DiffError as exc:
        print(f"tui-replay diff: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_FAILED
    tolerant_stdout()
    if args.json:
        counts: dict[str, int] = {}
        for comparison in comparisons:
            counts[comparison.verdict] = counts.get(comparison.verdict, 0) + 1
        report = {
            "title": title,
            "changed": sum(c.verdict != SAME for c in comparisons),
            "counts": counts,
            "files": [c.to_json() for c in comparisons],
        }
        sys.stdout.buffer.write(_report_line(report))
    elif args.format == "markdown":
        from tui_replay.comparison_view import markdown_report

        sys.stdout.write(markdown_report(comparisons, f"Recordings: {title}"))
    else:
        _print_text(comparisons, single)
    return exit_code(comparisons)
