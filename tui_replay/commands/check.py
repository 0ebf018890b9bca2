"""`tui-replay check PATH... [--collected FILE] [--json]`: key hygiene of a recordings tree.

Per file, `key`: current | older (the rule set named) | mis-keyed (the expected name and a
`git mv` line) | opaque (file-processor recordings, whose hash inputs are not stored);
`duplicate`: the same name in a test folder and `common/recordings/`, or the same request stored
twice in one folder; with --collected (`pytest --collect-only -q` output), `orphan`: a file whose
test id no collected test has. Text lists what needs a look (every file with --json).
Exit 0 when clean (current, older and opaque keys are not problems), 1 when a file is mis-keyed,
duplicated, orphaned or unreadable, 2 on a usage error. Imports no Textual. Files are only read.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter

from tui_replay.catalog.scan import find_recordings
from tui_replay.commands.filecheck import CASSETTE, CASSETTE_REASON, FileCheck, in_common
from tui_replay.commands.output import dumps_line, report_missing, tolerant_stdout
from tui_replay.export import setup_free_key
from tui_replay.recording.load import apply_id_mapping, parse_json, read_bytes
from tui_replay.recording.model import RecordingError
from tui_replay.recording.request_hash import (
    CURRENT_KEY,
    MIS_KEYED,
    OLDER_KEY,
    classify,
    recording_test_id,
    rename_hint,
)
from tui_replay.textsafe import printable, shown_path

PROG = "tui-replay check"


def check_file(path: str) -> FileCheck:
    """The key status of one file; never raises (an unreadable file is an `error` row)."""
    try:
        obj = apply_id_mapping(parse_json(read_bytes(path)))
        name = os.path.basename(path)
        status = classify(obj, name)
    except RecordingError as exc:
        return FileCheck(path, "error", error=exc.reason)
    except Exception as exc:  # a wrong-typed field deep inside: one line, never a traceback
        return FileCheck(path, "error", error=f"malformed recording: {type(exc).__name__}: {exc}")
    check = FileCheck(path, status.status, status, test_id=recording_test_id(obj))
    if status.status == CURRENT_KEY:
        check.request_name = name
    elif status.expected:
        check.request_name = status.expected
    if status.status == MIS_KEYED:
        renamed = rename_hint(obj, name)
        if renamed is not None:
            check.hint = f"matches the {renamed.label} key after undoing the OGX rename in its text"
    return check


def mark_duplicates(checks: list[FileCheck]) -> None:
    by_name: dict[str, list[FileCheck]] = {}
    by_request: dict[tuple[str, str], list[FileCheck]] = {}
    for check in checks:
        if check.key == "error":
            continue
        by_name.setdefault(os.path.basename(check.path), []).append(check)
        if check.request_name:
            by_request.setdefault((check.folder, check.request_name), []).append(check)
    for group in by_name.values():
        common = [c for c in group if in_common(c.path)]
        others = [c for c in group if not in_common(c.path)]
        if common and others:  # the test folder's copy shadows common/'s
            for check in group:
                check.duplicates += [c.path for c in group if c is not check]
    for group in by_request.values():
        if len(group) > 1:
            for check in group:
                check.duplicates += [
                    c.path for c in group if c is not check and c.path not in check.duplicates
                ]


_COLLECTED_ID = re.compile(r"^(\S+\.py::.+?)\s*$")
_COLLECTED_FILE = re.compile(r"^(\S+\.py): \d+$")  # `pytest --collect-only -qq`: one line per file


def parse_collected(text: str) -> tuple[set[str], set[str]]:
    """(node ids, test files) in `pytest --collect-only -q` (or -qq) output."""
    node_ids: set[str] = set()
    files: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if match := _COLLECTED_ID.match(line):
            node_ids.add(match.group(1))
        elif match := _COLLECTED_FILE.match(line):
            files.add(match.group(1))
    return node_ids, files


def mark_orphans(checks: list[FileCheck], node_ids: set[str], files: set[str]) -> None:
    for check in checks:
        if check.test_id:
            test_file = check.test_id.split("::", 1)[0]
            check.orphan = check.test_id not in node_ids and test_file not in files


_CASSETTE_SUFFIXES = (".yaml", ".yml")


def check_paths(paths: list[str]) -> list[FileCheck]:
    """Every file under `paths` checked (cassettes marked and skipped), duplicates marked."""
    checks = []
    for found in find_recordings(paths):
        if found.path.lower().endswith(_CASSETTE_SUFFIXES) and not found.problem:
            checks.append(FileCheck(found.path, CASSETTE))
        elif found.problem is not None:
            checks.append(FileCheck(found.path, "error", error=found.problem))
        else:
            checks.append(check_file(found.path))
    mark_duplicates(checks)
    return checks


def unrecorded_tests(checks: list[FileCheck], node_ids: set[str]) -> list[str]:
    """The collected node ids that no recording has, under any setup (model parts aside)."""
    recorded = {setup_free_key(check.test_id) for check in checks if check.test_id}
    return sorted(node_id for node_id in node_ids if setup_free_key(node_id) not in recorded)


def run_check(args: argparse.Namespace) -> int:
    if report_missing("check", args.paths):
        return 2
    if getattr(args, "apply", False) and not getattr(args, "fix", False):
        print(f"{PROG}: --apply goes with --fix", file=sys.stderr)
        return 2
    collected: tuple[set[str], set[str]] | None = None
    if args.collected:
        try:
            collected = parse_collected(read_bytes(args.collected).decode("utf-8", errors="replace"))
        except RecordingError as exc:
            print(f"{PROG}: --collected {shown_path(args.collected)}: {exc.reason}", file=sys.stderr)
            return 2
    checks = check_paths(args.paths)
    if getattr(args, "fix", False):
        from tui_replay.commands.check_fix import run_fix

        return run_fix(checks, apply=args.apply, as_json=args.json)
    unrecorded: list[str] = []
    if collected is not None:
        mark_orphans(checks, *collected)
        unrecorded = unrecorded_tests(checks, collected[0])
    if args.json:
        for check in checks:
            sys.stdout.buffer.write(dumps_line(check.to_json()))
        for node_id in unrecorded:
            row = FileCheck("", "unrecorded", test_id=node_id).to_json()
            sys.stdout.buffer.write(dumps_line({**row, "path": None}))
        sys.stdout.buffer.flush()
    else:
        tolerant_stdout()
        for check in checks:
            for line in render_check(check):
                print(line)
        for node_id in unrecorded:
            print(f"unrecorded {printable(node_id)}: no recording under any setup")
        cassettes = sum(1 for check in checks if check.key == CASSETTE)
        if cassettes:
            print(f"{CASSETTE:<10} {cassettes} skipped: {CASSETTE_REASON}")
        print(summary_line(checks, unrecorded))
    return 1 if any(check.problem for check in checks) else 0


def render_check(check: FileCheck) -> list[str]:
    """Text lines for a file that needs a look (none for a clean current one)."""
    path = shown_path(check.path)
    lines = []
    if check.key == "error":
        lines.append(f"error      {path}: {printable(check.error or '', single_line=True)}")
    elif check.key == MIS_KEYED and check.status:
        lines.append(f"mis-keyed  {path}")
        lines.append(f"           expected {check.status.expected}")
        if check.hint:
            lines.append(f"           {check.hint}")
        lines.append(f"           {printable(check.git_mv() or '', single_line=True)}")
    elif check.key == OLDER_KEY and check.status and check.status.rules:
        rules = check.status.rules
        lines.append(f"older      {path}")
        lines.append(
            f"           {rules.name}: {rules.label}; {check.status.reason}; now {check.status.expected}"
        )
    elif check.key != CURRENT_KEY and check.status:
        lines.append(f"{check.key:<10} {path}: {check.status.reason}")
    for other in check.duplicates:
        lines.append(f"duplicate  {path}  also {shown_path(other)}")
    if check.orphan:
        test_id = printable(check.test_id or "", single_line=True)
        lines.append(f"orphan     {path}: no collected test {test_id}")
    return lines


def summary_line(checks: list[FileCheck], unrecorded: list[str] | None = None) -> str:
    keys = Counter(check.key for check in checks)
    parts = [f"{keys[key]} {key}" for key in (CURRENT_KEY, OLDER_KEY, MIS_KEYED, "opaque") if keys[key]]
    if keys["error"]:
        parts.append(f"{keys['error']} unreadable")
    if keys[CASSETTE]:
        parts.append(f"{keys[CASSETTE]} {'cassette' if keys[CASSETTE] == 1 else 'cassettes'} skipped")
    duplicates = sum(1 for check in checks if check.duplicates)
    orphans = sum(1 for check in checks if check.orphan)
    noun = "file" if len(checks) == 1 else "files"
    tail = f"; {duplicates} duplicated, {orphans} orphaned" if duplicates or orphans else ""
    if unrecorded:
        tail += f"; {len(unrecorded)} collected {'test' if len(unrecorded) == 1 else 'tests'} unrecorded"
    return f"{len(checks)} {noun}: {', '.join(parts) or 'none'}{tail}"
