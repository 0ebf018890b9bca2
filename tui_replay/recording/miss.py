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

from tui_replay.quoting import shell_word
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
_SECTION = re.compile(r"^_{1,} (.+?) _{1,}$")
_MISS = re.compile(r"(?:Recording not found|No recorded response found) for (.*)")
_HASH = re.compile(r"\b([0-9a-f]{64})\b")
_MODEL_REQUEST = re.compile(r"Model: (.*?) \| Request: \S+ (\S+)")
_MODEL_ENDPOINT = re.compile(r"Model: (.*?) \| Endpoint: (\S+)")
_OLD_REQUEST = re.compile(r"^Request: \S+ (\S+)")
_OLD_MODEL = re.compile(r"^Model: (.+)$")
_HTTPX = re.compile(r"^httpx (?:stream )?POST (\S+)")
_RERANK = re.compile(r"\| URL: (\S+)")
_FOLLOWING = 4  # lines after the miss that may carry the wrapped hash, model and URL


@dataclass(slots=True)
class LogMiss:
    node_id: str | None
    hash: str | None
    model: str | None
    url: str | None
    line: int  # 1-based, of the `Recording not found`
    message: str


@dataclass(slots=True)
class LogReport:
    misses: list[LogMiss] = field(default_factory=list)
    node_ids: list[str] = field(default_factory=list)  # the failing tests with a miss, in order
    pytest_options: list[str] = field(default_factory=list)  # --stack-config/--setup the run used

    def rerecord_command(self) -> str | None:
        """One command that re-records exactly the tests that missed (None when none is known)."""
        if not self.node_ids:
            return None
        # The option, not OGX_TEST_INFERENCE_MODE: the conftest sets that variable from
        # --inference-mode (default replay), so the variable alone would only replay.
        words = [*self.pytest_options, "--inference-mode=record-if-missing", *self.node_ids]
        return "uv run --group test pytest -sv " + " ".join(shell_word(word) for word in words)


def clean_log_line(line: str) -> str:
    line = _ANSI.sub("", line.rstrip("\r\n"))
    line = _ACTIONS_TIME.sub("", line)
    if line.startswith("E "):  # a pytest traceback line
        line = line[1:]
    return line.strip()


def parse_log(text: str) -> LogReport:
    """Every `Recording not found` in a pytest or CI log, each with the failing test's node id."""
    lines = [clean_log_line(line) for line in text.splitlines()]
    report = LogReport()
    report.pytest_options = _run_options(lines)
    failed = [m.group(1) for line in lines if (m := _FAILED.match(line))]
    progress = [m.group(1) for line in lines if (m := _PROGRESS.match(line))]
    by_section = _section_names(failed + progress)

    current: str | None = None
    seen: dict[tuple[str | None, str | None], LogMiss] = {}
    for index, line in enumerate(lines):
        failed_match = _FAILED.match(line)
        if failed_match:
            current = failed_match.group(1)
        elif match := _PROGRESS.match(line):
            current = match.group(1)
        elif (section := _SECTION.match(line)) and section.group(1) in by_section:
            current = by_section[section.group(1)]
        miss_match = _MISS.search(line)
        if miss_match is None:
            continue
        miss = _read_miss(lines, index, miss_match.group(0))
        miss.node_id = current
        key = (current, miss.hash)
        if key in seen or (miss.hash is None and any(node == current for node, _ in seen)):
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
        if m := _MODEL_REQUEST.search(line):
            miss.model, miss.url = m.group(1), m.group(2)
        elif m := _MODEL_ENDPOINT.search(line):
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
        label = f"line {miss.line}: {miss.node_id or 'no test id found above the miss'}"
        probes.append(Probe(label, miss.node_id, miss.url, miss.model, None, miss.hash))
    return probes
