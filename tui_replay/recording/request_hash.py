"""The recorder's request hash (the file name), current and historical (recordings-format.md §9).

Pure data: no Textual, no I/O. The hashed text is stdlib `json.dumps(obj, sort_keys=True)` (the
recorder's own call: `", "`/`": "` separators, `ensure_ascii`, Python float repr), never orjson.

A file is *classified* by recomputing its name under each rule set of the history table, newest
first: `current`, `older` (the first older rule set that gives its name), `mis-keyed` (none does:
the expected name under the current rules is given) or `opaque` (a file-processor recording, whose
hash inputs are not stored, or a request this module does not know).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

# -- rule sets -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleSet:
    since: str  # the date the rules came into force (the history table's first column)
    label: str  # what distinguishes them, for people
    test_id: bool = True  # the test context is part of the hashed object
    floats: bool = True  # float rounding + long decimals in strings (the first normalization)
    openai_models_excluded: bool = True  # `/v1/openai/v1/models` leaves out the test id
    bedrock_stream_options: bool = True  # Bedrock URLs: `stream_options` dropped
    project_id: bool = True  # `project_id` dropped from top-level extra_body/extra_query
    file_search: bool = True  # score/attributes/document_id/citation placeholders
    short_name: bool = False  # the file name is the first 12 hex digits

    @property
    def name(self) -> str:
        return f"{self.since} rules"


CURRENT = RuleSet("2026-04-09", "current: file-search placeholders")
RULE_SETS: tuple[RuleSet, ...] = (
    CURRENT,
    replace(CURRENT, since="2026-03-18", label="before the file-search placeholders", file_search=False),
    replace(
        CURRENT,
        since="2026-01-21",
        label="before project_id was dropped",
        file_search=False,
        project_id=False,
    ),
    replace(
        CURRENT,
        since="2025-11-03",
        label="before Bedrock stream_options were dropped",
        file_search=False,
        project_id=False,
        bedrock_stream_options=False,
    ),
    replace(
        CURRENT,
        since="2025-10-09",
        label="before /v1/openai/v1/models left out the test id",
        file_search=False,
        project_id=False,
        bedrock_stream_options=False,
        openai_models_excluded=False,
    ),
    RuleSet(
        "2025-10-04",
        "no normalization (test id, full name)",
        floats=False,
        openai_models_excluded=False,
        bedrock_stream_options=False,
        project_id=False,
        file_search=False,
    ),
    RuleSet(
        "2025-07-29",
        "first recorder: no test id, 12-hex name",
        test_id=False,
        floats=False,
        openai_models_excluded=False,
        bedrock_stream_options=False,
        project_id=False,
        file_search=False,
        short_name=True,
    ),
)

MODEL_LIST_PATHS = ("/api/tags", "/v1/models")  # URL paths whose hash leaves out the test id
OPENAI_MODEL_LIST_PATH = "/v1/openai/v1/models"  # ... since 2025-11-03
# request.endpoint values stored under `models-<hash>-<digest8>.json`
MODEL_LIST_ENDPOINTS = ("/api/tags", "/v1/models", "/v1/openai/v1/models")

# -- normalization (the recorder's _normalize_body_for_hash) -----------------------------------

_FLOAT_IN_STRING = re.compile(r"(-?\d+\.\d{4,})")
_HAS_LONG_DECIMAL = re.compile(r"\d\.\d{4}")  # a match of _FLOAT_IN_STRING exists iff this matches
_SCORE = re.compile(r"score:\s*[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?")
_ATTRIBUTES = re.compile(r",?\s*attributes:\s*\{[^}]*\}")
_DOCUMENT_ID = re.compile(r"document_id:\s*[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}")
_CITATION = re.compile(r"<\|[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}\|>")


def _round_decimal(match: re.Match[str]) -> str:
    return f"{float(match.group(0)):.5f}"


# Each file-search pattern with a literal it cannot match without (a cheap test before the regex).
_FILE_SEARCH_STEPS = (
    ("score", _SCORE, "score: __NORMALIZED__"),
    ("attributes", _ATTRIBUTES, ""),
    ("document_id", _DOCUMENT_ID, "document_id: __NORMALIZED__"),
    ("<|", _CITATION, "<|__NORMALIZED__|>"),
)


def normalize_string(value: str, *, file_search: bool = True) -> str:
    if file_search:
        for literal, pattern, replacement in _FILE_SEARCH_STEPS:
            if literal in value:
                value = pattern.sub(replacement, value)
    if "." not in value:  # no decimal literal: skip the regex (long base64 strings are common)
        return value
    return _FLOAT_IN_STRING.sub(_round_decimal, value)


def normalize_body(
    value: Any,
    rules: RuleSet = CURRENT,
    *,
    drop_stream_options: bool = False,
    _root: bool = True,
) -> Any:
    """`value` as the recorder hashes it under `rules` (unchanged when the rules predate normalizing)."""
    if not rules.floats:
        return value
    if isinstance(value, dict):
        normalized = {key: normalize_body(item, rules, _root=False) for key, item in value.items()}
        if drop_stream_options and "stream_options" in normalized:
            del normalized["stream_options"]
        if _root and rules.project_id:
            for extra_key in ("extra_body", "extra_query"):
                extra = normalized.get(extra_key)
                if isinstance(extra, dict):
                    extra.pop("project_id", None)
        return normalized
    if isinstance(value, list | tuple):  # tuples: SDK keyword arguments, hashed as JSON lists
        return [normalize_body(item, rules, _root=False) for item in value]
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, str):
        return normalize_string(value, file_search=rules.file_search)
    return value


def digest_text(obj: dict[str, Any]) -> str:
    """sha256 hex of the recorder's `json.dumps(obj, sort_keys=True)`."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


# -- request variants --------------------------------------------------------------------------

INFERENCE, HTTP, TOOL, FILE_PROCESSOR = "inference", "http", "tool", "file_processor"


def request_variant(request: Any) -> str | None:
    """inference | http | tool | file_processor (§13.2), or None for an unknown request."""
    if not isinstance(request, dict):
        return None
    if "body" in request and isinstance(request.get("url"), str):
        return INFERENCE
    if "payload" in request and isinstance(request.get("url"), str):
        return HTTP
    if "tool_name" in request:
        return TOOL
    if request.get("api") == "file_processors":
        return FILE_PROCESSOR
    return None


def url_path(url: str) -> str:
    return urlparse(url).path


def hashed_object(
    request: dict[str, Any], test_id: str | None, rules: RuleSet = CURRENT
) -> dict[str, Any] | None:
    """The object the recorder hashes for `request` under `rules`; None when it cannot be rebuilt."""
    variant = request_variant(request)
    if variant == INFERENCE:
        url = request["url"]
        parsed = urlparse(url)
        drop = rules.bedrock_stream_options and "bedrock" in parsed.netloc
        body = request.get("body")
        obj: dict[str, Any] = {
            "method": str(request.get("method") or "POST").upper(),
            "endpoint": parsed.path,
            "body": normalize_body(body, rules, drop_stream_options=drop),
        }
        excluded = MODEL_LIST_PATHS + ((OPENAI_MODEL_LIST_PATH,) if rules.openai_models_excluded else ())
        if rules.test_id and parsed.path not in excluded:
            obj["test_id"] = test_id
        return obj
    if variant == HTTP:
        return {
            "test_id": test_id,
            "url": request["url"],
            "method": str(request.get("method") or "POST").upper(),
            "payload": normalize_body(request.get("payload"), rules),
        }
    if variant == TOOL:
        return {
            "provider": request.get("provider"),
            "tool_name": request.get("tool_name"),
            "kwargs": request.get("kwargs"),
        }
    return None


def request_hash(request: dict[str, Any], test_id: str | None, rules: RuleSet = CURRENT) -> str | None:
    obj = hashed_object(request, test_id, rules)
    return None if obj is None else digest_text(obj)


def recording_test_id(recording: dict[str, Any]) -> str | None:
    """The test context a file was recorded under: the top-level `test_id`, else `request.test_id`."""
    test_id = recording.get("test_id")
    if test_id is None and isinstance(recording.get("request"), dict):
        test_id = recording["request"].get("test_id")
    return test_id if isinstance(test_id, str) else None


# -- file names --------------------------------------------------------------------------------

_NAME = re.compile(r"^(?:(models)-)?([0-9a-f]{64}|[0-9a-f]{12})(?:-([0-9a-f]{8}))?\.json$")


@dataclass(frozen=True, slots=True)
class KeyName:
    hash: str  # 64 hex, or 12 for the first recorder's names
    model_list: bool
    digest: str | None  # the model-id digest of `models-<hash>-<digest>.json`


def parse_name(name: str) -> KeyName | None:
    """The key in a recording file name, or None when the name is not one the recorder writes."""
    match = _NAME.match(name)
    if match is None or bool(match.group(1)) != bool(match.group(3)):
        return None
    return KeyName(match.group(2), bool(match.group(1)), match.group(3))


def is_model_list(request: dict[str, Any]) -> bool:
    return request.get("endpoint") in MODEL_LIST_ENDPOINTS


def model_ids_digest(request: dict[str, Any], response: Any) -> str | None:
    """First 8 hex of sha256 over the sorted, unique model ids joined with `|` (§2.1)."""
    body = response.get("body") if isinstance(response, dict) else None
    ollama = request.get("endpoint") == "/api/tags"
    if isinstance(body, dict):  # Ollama ListResponse
        data = body.get("__data__", body)
        items = data.get("models") if isinstance(data, dict) else None
    else:
        items = body
    if not isinstance(items, list):
        return None
    ids = []
    for item in items:
        data = item.get("__data__", item) if isinstance(item, dict) else None
        ident = data.get("model" if ollama else "id") if isinstance(data, dict) else None
        if not isinstance(ident, str):
            return None
        ids.append(ident)
    return hashlib.sha256("|".join(sorted(set(ids))).encode("utf-8")).hexdigest()[:8]


def file_name(
    request: dict[str, Any], response: Any, hash_hex: str, *, fallback_digest: str | None = None
) -> str:
    """The name the recorder gives a recording with this hash."""
    if is_model_list(request):
        digest = model_ids_digest(request, response) or fallback_digest or "00000000"
        return f"models-{hash_hex}-{digest}.json"
    return f"{hash_hex}.json"


# -- classification ----------------------------------------------------------------------------

CURRENT_KEY, OLDER_KEY, MIS_KEYED, OPAQUE = "current", "older", "mis-keyed", "opaque"


@dataclass(frozen=True, slots=True)
class KeyStatus:
    status: str  # current | older | mis-keyed | opaque
    rules: RuleSet | None = None  # the newest rule set that gives the name (current or older)
    expected: str | None = None  # older, mis-keyed: the name under the current rules
    hash: str | None = None  # the hash under the current rules
    reason: str = ""  # opaque: why; older: the span of rule sets that give the name

    @property
    def label(self) -> str:
        """A short tag: `current`, `older 2026-03-18`, `mis-keyed`, `opaque`."""
        if self.status == OLDER_KEY and self.rules is not None:
            return f"older {self.rules.since}"
        return self.status

    @property
    def summary_label(self) -> str:
        """`label` plus the expected name when there is one: what a catalog Summary keeps
        (`older 2026-03-18 <name>`, `mis-keyed <name>`); `from_label` reads it back."""
        return f"{self.label} {self.expected}" if self.expected else self.label

    @classmethod
    def from_label(cls, label: str) -> KeyStatus:
        """The status a `label` or `summary_label` names (without the hash and reason)."""
        words = label.split(" ")
        status, rest = words[0], words[1:]
        rules = None
        if status == OLDER_KEY and rest:
            rules = next((rules for rules in RULE_SETS if rules.since == rest[0]), None)
            rest = rest[1:]
        elif status == CURRENT_KEY:
            rules = CURRENT
        return cls(status, rules, expected=rest[0] if rest and rest[0] else None)

    def describe(self) -> str:
        """One line for people (preview, replay header, check)."""
        if self.status == CURRENT_KEY:
            return "current: the name is the request's hash under the current rules"
        if self.status == OLDER_KEY and self.rules is not None:
            rules = self.rules
            return f"older: the {rules.name} ({rules.label}; {self.reason}); now {self.expected}"
        if self.status == MIS_KEYED:
            return f"mis-keyed: no rule set gives this name; expected {self.expected}"
        return f"opaque: {self.reason}"


def _relevant_rules(request: dict[str, Any]) -> list[list[RuleSet]]:
    """The rule sets grouped by the hash they give this request, newest first.

    A step that changes nothing in this request makes the rule sets that differ only by it hash
    alike; skipping them keeps classifying a file to one or two hashes in the common case.
    """
    variant = request_variant(request)
    if variant == TOOL:
        return [list(RULE_SETS)]
    value = request.get("body") if variant == INFERENCE else request.get("payload")
    steps = _steps_that_matter(value)
    if variant == INFERENCE:
        parsed = urlparse(request["url"])
        if "bedrock" in parsed.netloc and isinstance(value, dict) and "stream_options" in value:
            steps.add("bedrock_stream_options")
        if parsed.path == OPENAI_MODEL_LIST_PATH:
            steps.add("openai_models_excluded")
    groups: dict[tuple, list[RuleSet]] = {}
    for rules in RULE_SETS:
        signature = (rules.test_id, rules.short_name, *(getattr(rules, step) for step in sorted(steps)))
        groups.setdefault(signature, []).append(rules)
    return list(groups.values())


def _steps_that_matter(value: Any) -> set[str]:
    """The normalization steps (RuleSet flag names) that change something in `value`."""
    steps: set[str] = set()
    if isinstance(value, dict):
        for extra_key in ("extra_body", "extra_query"):
            extra = value.get(extra_key)
            if isinstance(extra, dict) and "project_id" in extra:
                steps.add("project_id")
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float):
            if round(item, 5) != item:
                steps.add("floats")
        elif isinstance(item, str):
            # The literal pre-checks first: most strings hold no decimal and no file-search text.
            if "." in item and _FLOAT_IN_STRING.search(item):
                steps.add("floats")
            if (
                "file_search" not in steps
                and any(literal in item for literal, _, _ in _FILE_SEARCH_STEPS)
                and normalize_string(item) != normalize_string(item, file_search=False)
            ):
                steps.add("file_search")
    return steps


def _span(group: list[RuleSet]) -> str:
    """`recorded 2025-10-09 … 2026-04-09`: from the oldest rule set in `group` to the next newer one."""
    newest = RULE_SETS.index(group[0])
    until = RULE_SETS[newest - 1].since if newest > 0 else "now"
    return f"recorded {group[-1].since} … {until}"


def classify(recording: dict[str, Any], name: str) -> KeyStatus:
    """How the file name `name` relates to the request in `recording` (a parsed file).

    `recording` should have its `id_normalization_mapping` applied (load.apply_id_mapping): the
    replayed request holds the normalized ids, and that is what the name must match.
    """
    request = recording.get("request")
    variant = request_variant(request)
    if variant is None:
        return KeyStatus(OPAQUE, reason="not a request the recorder hashes")
    if variant == FILE_PROCESSOR:
        return KeyStatus(OPAQUE, reason="file-processor hash inputs are not stored")
    assert isinstance(request, dict)
    test_id = recording_test_id(recording)
    key = parse_name(name)
    current_hash = ""
    matched: list[RuleSet] | None = None
    for group in _relevant_rules(request):
        rules = group[0]
        hash_hex = request_hash(request, test_id, rules) or ""
        if rules is CURRENT:
            current_hash = hash_hex
        if key is not None and key.hash == (hash_hex[:12] if rules.short_name else hash_hex):
            matched = group
            break
    if matched is not None and matched[0] is CURRENT:
        return KeyStatus(CURRENT_KEY, CURRENT, hash=current_hash)
    expected = file_name(request, recording.get("response"), current_hash, fallback_digest=key and key.digest)
    if matched is not None:
        return KeyStatus(OLDER_KEY, matched[0], expected=expected, hash=current_hash, reason=_span(matched))
    return KeyStatus(MIS_KEYED, expected=expected, hash=current_hash)


def classify_file(recording: dict[str, Any], path: str) -> KeyStatus:
    """`classify` under the file name of `path`; never raises (an odd value is opaque)."""
    try:
        return classify(recording, os.path.basename(path))
    except (RecursionError, TypeError, ValueError):  # json.dumps of an odd value: cannot recompute
        return KeyStatus(OPAQUE, reason="the request cannot be hashed")


_RENAMES = (
    (("ogx_client", "llama_stack_client"), ("OGX", "LlamaStack"), ("ogx", "llama_stack")),
    (("ogx_client", "llama_stack_client"), ("OGX", "Llama Stack"), ("ogx", "llama_stack")),
)


def rename_hint(recording: dict[str, Any], name: str) -> KeyStatus | None:
    """The key status after undoing the OGX rename in the file text, when that gives the name.

    The April 2026 rename rewrote test ids and content inside existing recordings without renaming
    them (§9); such a file is mis-keyed, but this says why.
    """
    # Only the test id and the request are hashed (the response is kept for a model list's digest).
    text = json.dumps({"test_id": recording.get("test_id"), "request": recording.get("request")})
    if "ogx" not in text.lower():
        return None
    for pairs in _RENAMES:
        undone = text
        for old, new in pairs:
            undone = undone.replace(old, new)
        status = classify({**json.loads(undone), "response": recording.get("response")}, name)
        if status.status in (CURRENT_KEY, OLDER_KEY):
            return status
    return None


def test_folder(test_id: str | None) -> str | None:
    """`tests/integration/responses/test_x.py::t` -> `responses` (the folder holding `recordings/`)."""
    if not test_id:
        return None
    test_file = test_id.split("::", 1)[0]
    parent = test_file.rsplit("/", 1)[0] if "/" in test_file else ""
    for prefix in ("tests/integration/", "tests/integration"):
        if parent.startswith(prefix):
            return parent[len(prefix) :]
    return parent


__all__ = [
    "CURRENT",
    "RULE_SETS",
    "KeyName",
    "KeyStatus",
    "RuleSet",
    "classify",
    "classify_file",
    "digest_text",
    "file_name",
    "hashed_object",
    "normalize_body",
    "parse_name",
    "request_hash",
    "request_variant",
]
