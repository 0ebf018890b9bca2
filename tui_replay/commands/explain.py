"""`tui-replay explain [--body F | --recording F | --log F] [--test-id ID] [--url URL] [--json] PATH...`

For each request: its hash under the current recorder rules, `match` with the file the recorder
would read (test folder, then `common/recordings/`), or `miss` with the nearest recordings and,
for the nearest, every difference. `--log`: every miss in a pytest/CI log, and one re-record
command for exactly the tests that missed. Exit 0 all matched, 1 any miss, 2 usage error.
Imports no Textual.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from typing import Any

from tui_replay.catalog.keyindex import Explanation, KeyIndex, Nearest
from tui_replay.commands.output import dumps_line, report_missing, tolerant_stdout
from tui_replay.export import RERECORD_STACK_CONFIG, model_options, setup_for
from tui_replay.quoting import shell_word
from tui_replay.recording.load import parse_json, read_bytes
from tui_replay.recording.miss import (
    LogReport,
    Probe,
    parse_log,
    probe_from_body,
    probe_from_recording,
    probes_from_log,
)
from tui_replay.recording.model import RecordingError
from tui_replay.textsafe import one_line, printable, shown_path

PROG = "tui-replay explain"
RERECORD_PYTEST = "uv run --group test pytest -sv"
LONG = 60  # strings longer than this are shown as a word diff
CONTEXT_WORDS = 3


class UsageError(Exception):
    pass


def _usage(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def probes_for(args: argparse.Namespace) -> tuple[list[Probe], LogReport | None]:
    """The requests the arguments name; raises UsageError with a one-line reason."""
    chosen = [name for name in ("body", "recording", "log") if getattr(args, name)]
    if len(chosen) != 1:
        raise UsageError("give exactly one of --body FILE, --recording FILE, --log FILE")
    if args.body:
        if not args.url:
            raise UsageError(
                "--body needs --url (the request URL, e.g. https://api.openai.com/v1/v1/chat/completions)"
            )
        try:
            body = json.loads(read_bytes(args.body))
        except RecordingError as exc:
            raise UsageError(f"--body {shown_path(args.body)}: {exc.reason}") from None
        except ValueError as exc:
            raise UsageError(f"--body {shown_path(args.body)}: not valid JSON: {exc}") from None
        return [probe_from_body(body, test_id=args.test_id, url=args.url, label=args.body)], None
    if args.recording:
        try:
            obj = parse_json(read_bytes(args.recording))
        except RecordingError as exc:
            raise UsageError(f"--recording {shown_path(args.recording)}: {exc.reason}") from None
        probe = probe_from_recording(obj, label=args.recording)
        if probe is None:
            raise UsageError(f"--recording {shown_path(args.recording)}: no request the recorder hashes")
        if args.test_id:
            probe = Probe(probe.label, args.test_id, probe.url, probe.model, probe.request)
        return [probe], None
    try:
        text = read_bytes(args.log).decode("utf-8", errors="replace")
    except RecordingError as exc:
        raise UsageError(f"--log {shown_path(args.log)}: {exc.reason}") from None
    report = parse_log(text)
    return probes_from_log(report), report


def run_explain(args: argparse.Namespace) -> int:
    if report_missing("explain", args.paths):
        return 2
    try:
        probes, report = probes_for(args)
    except UsageError as exc:
        return _usage(str(exc))
    index = KeyIndex(args.paths)
    explanations = [index.explain(probe) for probe in probes]
    if args.json:
        commands = rerecord_commands(report, explanations) if report else []
        by_test = {node_id: command for node_ids, command in commands for node_id in node_ids}
        for explanation in explanations:
            row = explanation_json(explanation)
            if report is not None:
                row["rerecord"] = by_test.get(explanation.probe.test_id or "")
            sys.stdout.buffer.write(dumps_line(row))
        sys.stdout.buffer.flush()
    else:
        tolerant_stdout()
        for explanation in explanations:
            print("\n".join(render_explanation(explanation)))
        if report is not None:
            print("\n".join(log_footer(report, explanations)))
    return 1 if any(e.verdict == "miss" for e in explanations) else 0


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    probe = explanation.probe
    return {
        "request": probe.label,
        "test_id": probe.test_id,
        "hash": probe.hash,
        "verdict": explanation.verdict,
        "path": explanation.path,
        "note": explanation.note,
        "ties": explanation.ties,
        "nearest": [
            {
                "path": nearest.stored.path,
                "score": nearest.score,
                "distance": nearest.distance,
                "tied": nearest.tied,
                "differences": [
                    {"pointer": pointer, "stored": stored, "request": request}
                    for pointer, stored, request in nearest.differences
                ],
            }
            for nearest in explanation.nearest
        ],
    }


# -- text --------------------------------------------------------------------------------------

_ENVELOPE_LABELS = {"test_id": "test id", "url_path": "URL path", "model": "model"}


def render_explanation(explanation: Explanation) -> list[str]:
    """The text report of one request (plain, printable lines)."""
    return [line for line, _ in explanation_lines(explanation)]


def explanation_lines(explanation: Explanation) -> list[tuple[str, str | None]]:
    """The lines of `render_explanation`, each with the recording it names (the match, a
    nearest one) or None: the app opens the recording of a line."""
    probe = explanation.probe
    lines: list[tuple[str, str | None]] = [
        (shown_path(probe.label), None),
        (f"  hash     {probe.hash or '(not in the message)'}", None),
    ]
    if explanation.verdict == "match":
        lines.append((f"  match    {shown_path(explanation.path or '')}", explanation.path))
        if explanation.note:
            lines.append((f"  note     {printable(explanation.note)}", None))
        return lines
    where = " then ".join(explanation.looked_in)
    lines.append((f"  miss     no {probe.hash or 'such'} file in {shown_path(where)}", None))
    if explanation.note:
        lines.append((f"  note     {printable(explanation.note)}", None))
    if not explanation.nearest:
        if not explanation.note:
            lines.append(("  nearest  (no recordings under the paths given)", None))
        return lines
    lines.append(("  nearest", None))
    for rank, nearest in enumerate(explanation.nearest, 1):
        noun = "difference" if nearest.score == 1 else "differences"
        path = nearest.stored.path
        known = "" if probe.request is not None else " in what the text gives"  # the body is unknown
        tied = ", tied" if nearest.tied else ""
        lines.append((f"    {rank}. {shown_path(path)}  ({nearest.score} {noun}{known}{tied})", path))
    if explanation.ties > len(explanation.nearest):
        lines.append((f"    {explanation.ties} recordings tie for nearest: nothing tells them apart", None))
    differences = render_differences(explanation.nearest[0], probe)
    return lines + [(line, None) for line in differences]


def rerecord_commands(report: LogReport, explanations: list[Explanation]) -> list[tuple[list[str], str]]:
    """(node ids, command): the log's re-record commands, for the tests that still miss under the
    paths given (a test whose request was found needs none)."""
    for miss, explanation in zip(report.misses, explanations, strict=False):
        miss.node_id = miss.node_id or explanation.probe.test_id  # named by the index (a section header)
    missed = {e.probe.test_id for e in explanations if e.verdict == "miss" and e.probe.test_id}
    # One command per setup and set of model options, each written as `export --format
    # rerecord` writes it, so pytest generates the same node ids.
    groups: dict[tuple[str, ...], list[str]] = {}
    for miss in report.misses:
        node_id = miss.node_id
        if node_id is None or node_id not in missed:
            continue
        options = model_options(node_id, miss.model)
        setup = report.option("--setup") or setup_for(options)
        words = (
            f"--stack-config={report.option('--stack-config') or RERECORD_STACK_CONFIG}",
            # The option, not OGX_TEST_INFERENCE_MODE: the conftest sets that variable from
            # --inference-mode (default replay), so the variable alone would only replay.
            "--inference-mode=record-if-missing",
            *([f"--setup={setup}"] if setup else []),
            *(f"{option}={value}" for option, value in options),
        )
        group = groups.setdefault(words, [])
        if node_id not in group:
            group.append(node_id)
    return [
        (node_ids, " ".join([RERECORD_PYTEST, *(shell_word(word) for word in (*words, *node_ids))]))
        for words, node_ids in groups.items()
    ]


def log_footer(report: LogReport, explanations: list[Explanation]) -> list[str]:
    """What follows the explanations of a log: the re-record commands (or why there are none)."""
    if not explanations:
        return ["no `Recording not found` in the log"]
    commands = rerecord_commands(report, explanations)
    if not commands:
        if all(e.verdict == "match" for e in explanations):
            return ["re-record: nothing, every request is found under the paths given"]
        return ["re-record: no failing test id found"]
    return [f"re-record: {printable(command)}" for _, command in commands]


def render_differences(nearest: Nearest, probe: Probe) -> list[str]:
    if not nearest.differences and probe.request is not None:
        return ["  the nearest holds the same request under another name (see `tui-replay check`)"]
    if not nearest.differences:
        known = [
            label
            for label, value in (
                ("test id", probe.test_id),
                ("URL path", probe.url_path),
                ("model", probe.model),
            )
            if value is not None
        ]
        same = " and ".join([", ".join(known[:-1]), known[-1]] if len(known) > 1 else known)
        return [f"  same {same} as the nearest: the body differs (explain it with --body)"]
    lines = ["  what differs (stored → request)"]
    for pointer, stored, request in nearest.differences:
        label = _ENVELOPE_LABELS.get(pointer, pointer)
        lines.append(f"    {printable(label, single_line=True)}: {describe_change(stored, request)}")
    return lines


def describe_change(stored: Any, request: Any) -> str:
    if isinstance(stored, str) and isinstance(request, str) and max(len(stored), len(request)) > LONG:
        return word_diff(stored, request)
    return f"{short_value(stored)} → {short_value(request)}"


def short_value(value: Any, limit: int = LONG) -> str:
    if value is None:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False)
    return one_line(text, limit)


def word_diff(old: str, new: str) -> str:
    """A short word diff: `… kept words [-removed-] {+added+} kept …`, changed words only."""
    old_words, new_words = old.split(), new.split()
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    pieces: list[str] = []
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            words = old_words[i1:i2]
            head = words[:CONTEXT_WORDS] if index > 0 else []
            tail = words[-CONTEXT_WORDS:] if index < len(opcodes) - 1 else []
            if len(words) > len(head) + len(tail):
                pieces += [*head, "…", *tail]
            else:
                pieces += words
            continue
        if i2 > i1:
            pieces.append("[-" + " ".join(old_words[i1:i2]) + "-]")
        if j2 > j1:
            pieces.append("{+" + " ".join(new_words[j1:j2]) + "+}")
    if not any(tag != "equal" for tag, *_ in opcodes):
        return "whitespace only: " + short_value(old, 40) + " → " + short_value(new, 40)
    return one_line(" ".join(pieces), 300)
