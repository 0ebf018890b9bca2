"""Requests to explain ("probes"): from a body file, a recording, or the misses in a pytest/CI log.

Pure data: no Textual, no I/O. The recorder's replay-mode error (api_recorder.py) reads

    RuntimeError: Recording not found for request hash: <64 hex>
    Model: <model> | Request: POST <url>

(`... for genai request hash: <hash>` / `Model: <m> | Endpoint: <e>` for google-genai; before
2025-10-09 `No recorded response found for request hash: <hash>` / `Request: POST <url> {...}` /
`Model: <m>`). In a pytest log it shows as `E   ` lines under the failing test's section header
and again on the `FAILED <node id> - ...` summary line; in a server log it is wrapped over lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from tui_replay.recording.request_hash import (
    CURRENT,
    INFERENCE,
    hashed_object,
    recording_test_id,
    request_hash,
    request_variant,
)


@dataclass(slots=True)
class Probe:
    """One request to explain."""

    label: str  # where it came from, for people
    test_id: str | None
    url: str | None
    model: str | None
    request: dict[str, Any] | None = None  # as a recording stores it; None when only the hash is known
    hash: str | None = None
    test_name: str | None = None  # pytest's section header (`TestX.test_y[p]`) when no node id is known

    def __post_init__(self) -> None:
        if self.hash is None and self.request is not None:
            self.hash = request_hash(self.request, self.test_id, CURRENT)

    @property
    def url_path(self) -> str | None:
        return urlparse(self.url).path if self.url else None


def probe_from_body(body: Any, *, test_id: str | None, url: str, label: str) -> Probe:
    """A request body as the SDK sends it (the recorder's `request.body`), sent to `url`."""
    model = body.get("model") if isinstance(body, dict) else None
    request = {"method": "POST", "url": url, "headers": {}, "body": body, "endpoint": urlparse(url).path}
    return Probe(label, test_id, url, model if isinstance(model, str) else None, request)


def probe_from_recording(recording: dict[str, Any], *, label: str) -> Probe | None:
    """The request of a recording file (e.g. one record-if-missing just wrote); None if unknown."""
    request = recording.get("request")
    if request_variant(request) is None or hashed_object(request, None) is None:
        return None
    assert isinstance(request, dict)
    url = request.get("url") if isinstance(request.get("url"), str) else None
    body = request.get("body") if request_variant(request) == INFERENCE else request.get("payload")
    model = request.get("model") or (body.get("model") if isinstance(body, dict) else None)
    return Probe(label, recording_test_id(recording), url, model if isinstance(model, str) else None, request)


# -- logs ------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_ACTIONS_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ")  # GitHub Actions prefix
_NODE_ID = r"tests/[^\s:]+\.py::[^\s\[]+(?:\[.*?\](?=\s|$))?"
_PROGRESS = re.compile(rf"^({_NODE_ID})(?:\s|$)")  # `pytest -v`: the node id starts the line
_FAILED = re.compile(rf"^(?:FAILED|ERROR) ({_NODE_ID})(?: - (.*))?$")
_SECTION = re.compile(r"^_+ ([A-Za-z][\w.]*(?:\[.*\])?) _+$")
_MISS = re.compile(r"(?:Recording not found|No recorded response found) for (.*)")
_HASH = re.compile(r"\b([0-9a-f]{64})\b")
# Matched only at the first `Model: ` of a line (`.match(line, at)`): searched for anywhere,
# `Model: (.*?)` rescans the rest of the line from every `Model: ` in it, quadratic in its length.
_URL = r"([^\s'\"\\]+)"  # ends at a quote or backslash: a Python repr's `\n` is not part of it
_MODEL_REQUEST = re.compile(rf"Model: ([^|]*?) \| Request: \S+ {_URL}")
_MODEL_ENDPOINT = re.compile(rf"Model: ([^|]*?) \| Endpoint: {_URL}")
_OLD_REQUEST = re.compile(rf"^Request: \S+ {_URL}")
_OLD_MODEL = re.compile(r"^Model: (.+)$")
_HTTPX = re.compile(rf"^httpx (?:stream )?POST {_URL}")
_RERANK = re.compile(rf"\| URL: {_URL}")
_FOLLOWING = 4  # lines after the miss that may carry the wrapped hash, model and URL
_MAX_LINE = 4096  # the longest line read: a miss message and a node id fit many times over
_REPR_NEWLINE = "\\n"  # a newline as a Python repr writes it, inside an exception in a server log


@dataclass(slots=True)
class LogMiss:
    node_id: str | None
    hash: str | None
    model: str | None
    url: str | None
    line: int  # 1-based, of the `Recording not found`
    message: str
    test_name: str | None = None  # pytest's section header, when no node id in the log gives the test


@dataclass(slots=True)
class LogReport:
    misses: list[LogMiss] = field(default_factory=list)
    node_ids: list[str] = field(default_factory=list)  # the failing tests with a miss, in order
    pytest_options: list[str] = field(default_factory=list)  # --stack-config/--setup the run used

    def option(self, name: str) -> str | None:
        """The value the run gave `name` (`--setup`), None when the log does not say."""
        return next((o.split("=", 1)[1] for o in self.pytest_options if o.startswith(name + "=")), None)


def clean_log_line(line: str) -> str:
    line = _ANSI.sub("", line[:_MAX_LINE].rstrip("\r\n"))
    line = _ACTIONS_TIME.sub("", line)
    if line.startswith("E "):  # a pytest traceback line
        line = line[1:]
    return line.strip()


def log_lines(text: str) -> tuple[list[str], list[int]]:
    """The log's lines, cleaned, and the 1-based line number of each; a miss inside a Python repr
    (`RuntimeError('Recording not found …\\nModel: …')`, as a server log prints it) is split at
    its `\\n`s like the message itself."""
    lines: list[str] = []
    numbers: list[int] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = clean_log_line(raw)
        pieces = [line]
        if _REPR_NEWLINE in line and _MISS.search(line):
            pieces = [piece.strip() for piece in line.split(_REPR_NEWLINE)]
        lines += pieces
        numbers += [number] * len(pieces)
    return lines, numbers


def parse_log(text: str) -> LogReport:
    """Every `Recording not found` in a pytest or CI log, each with the failing test's node id
    (or, when the log has only pytest's section header, the test's name there)."""
    lines, numbers = log_lines(text)
    report = LogReport()
    report.pytest_options = _run_options(lines)
    failed = [m.group(1) for line in lines if (m := _FAILED.match(line))]
    progress = [m.group(1) for line in lines if (m := _PROGRESS.match(line))]
    by_section = _section_names(failed + progress)

    current: str | None = None
    current_name: str | None = None  # a section header that no node id in the log explains
    seen: dict[tuple[str | None, str | None], LogMiss] = {}
    for index, line in enumerate(lines):
        failed_match = _FAILED.match(line)
        if failed_match:
            current, current_name = failed_match.group(1), None
        elif match := _PROGRESS.match(line):
            current, current_name = match.group(1), None
        elif section := _SECTION.match(line):
            current = by_section.get(section.group(1))
            current_name = None if current else section.group(1)
        miss_match = _MISS.search(line)
        if miss_match is None:
            continue
        miss = _read_miss(lines, index, miss_match.group(0))
        miss.line = numbers[index]
        miss.node_id, miss.test_name = current, current_name
        key = (current or current_name, miss.hash)
        if key in seen or (miss.hash is None and any(node == key[0] for node, _ in seen)):
            _fill(seen.get(key), miss)
            continue  # the same miss again (traceback and summary line)
        seen[key] = miss
        report.misses.append(miss)
        if current and current not in report.node_ids:
            report.node_ids.append(current)
    return report


def _fill(known: LogMiss | None, again: LogMiss) -> None:
    if known is not None:
        known.model = known.model or again.model
        known.url = known.url or again.url


def _read_miss(lines: list[str], index: int, message: str) -> LogMiss:
    window = lines[index : index + 1 + _FOLLOWING]
    miss = LogMiss(None, None, None, None, index + 1, message)
    found = _HASH.search(message) or next((m for line in window[1:3] if (m := _HASH.search(line))), None)
    miss.hash = found.group(1) if found else None
    for line in window:
        at = max(line.find("Model: "), 0)
        if m := _MODEL_REQUEST.match(line, at):
            miss.model, miss.url = m.group(1), m.group(2)
        elif m := _MODEL_ENDPOINT.match(line, at):
            miss.model, miss.url = m.group(1), f"vertexai://{m.group(2)}"
        elif m := _OLD_REQUEST.match(line):
            miss.url = m.group(1)
        elif (m := _OLD_MODEL.match(line)) and miss.model is None:
            miss.model = m.group(1).strip()
    after = message.split(" for ", 1)[1]
    if miss.url is None and ((m := _HTTPX.match(after)) or (m := _RERANK.search(after))):
        miss.url = m.group(1)
    return miss


def _section_names(node_ids: list[str]) -> dict[str, str]:
    """pytest's FAILURES header (`TestClass.test_x[p]`) -> the node id it stands for."""
    names: dict[str, str] = {}
    for node_id in node_ids:
        names.setdefault(node_id.split("::", 1)[1].replace("::", "."), node_id)
    return names


def _run_options(lines: list[str]) -> list[str]:
    """--stack-config/--setup as the integration-tests.sh banner printed them."""
    options = []
    for label, option in (("Stack Config: ", "--stack-config"), ("Setup: ", "--setup")):
        value = next((line[len(label) :].strip() for line in lines if line.startswith(label)), "")
        if value and " " not in value:
            options.append(f"{option}={value}")
    return options


def probes_from_log(report: LogReport) -> list[Probe]:
    probes = []
    for miss in report.misses:
        test = miss.node_id or miss.test_name or "no test named above the miss"
        label = f"line {miss.line}: {test}"
        probes.append(Probe(label, miss.node_id, miss.url, miss.model, None, miss.hash, miss.test_name))
    return probes
