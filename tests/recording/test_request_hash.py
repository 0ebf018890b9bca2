"""The recorder's request hash, reimplemented: every corpus file classifies as its README says."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from support import CORPUS, require_corpus

from tui_replay.recording.load import apply_id_mapping
from tui_replay.recording.request_hash import (
    CURRENT,
    RULE_SETS,
    KeyStatus,
    classify,
    classify_file,
    digest_text,
    normalize_body,
    normalize_string,
    parse_name,
    request_hash,
)

# The corpus README's per-file index marks the files whose name no rule set recomputes.
_README_ROW = re.compile(r"^\| `([^`]+\.json)` \|.*hash not recomputable", re.MULTILINE)


def _not_recomputable() -> set[str]:
    require_corpus()
    text = (CORPUS / "README.md").read_text()
    rows: set[str] = set()
    section = ""
    for line in text.splitlines():
        if line.startswith("## Per-file index"):
            section = "llama-stack-2025-10" if "2025-10" in line else "llama-stack"
        match = _README_ROW.match(line)
        if match and section:
            rows.add(f"{section}/{match.group(1)}")
    return rows


def _corpus_files() -> list[Path]:
    require_corpus()
    return sorted(
        p for folder in ("llama-stack", "llama-stack-2025-10") for p in (CORPUS / folder).rglob("*.json")
    )


def _classify(path: Path, *, mapped: bool = True):
    obj = json.loads(path.read_text())
    return classify(apply_id_mapping(obj) if mapped else obj, path.name)


def test_every_corpus_file_classifies_as_the_readme_says():
    unmatched = _not_recomputable()
    assert len(unmatched) == 18  # 15 at HEAD, 3 at 2025-10 (the README's feature table)
    for path in _corpus_files():
        relative = path.relative_to(CORPUS).as_posix()
        status = _classify(path)
        if relative in unmatched:
            # Two 2025-10 files recompute once their id_normalization_mapping is applied (§8.2),
            # as the recorder applies it on load; without it they do not.
            if status.status == "older":
                assert _classify(path, mapped=False).status == "mis-keyed", relative
            else:
                assert status.status in ("mis-keyed", "opaque"), relative
        else:
            assert status.status in ("current", "older"), (relative, status)


def test_counts_per_tree():
    counts: dict[tuple[str, str], int] = {}
    for path in _corpus_files():
        key = (path.relative_to(CORPUS).parts[0], _classify(path).label)
        counts[key] = counts.get(key, 0) + 1
    assert counts == {
        ("llama-stack", "current"): 146,
        ("llama-stack", "older 2026-03-18"): 4,  # recorded before the file-search placeholders
        ("llama-stack", "older 2025-10-04"): 3,  # recorded with no normalization
        ("llama-stack", "mis-keyed"): 14,
        ("llama-stack", "opaque"): 1,  # the file-processor recording
        ("llama-stack-2025-10", "current"): 16,
        ("llama-stack-2025-10", "older 2026-03-18"): 1,
        ("llama-stack-2025-10", "older 2025-10-04"): 2,
        ("llama-stack-2025-10", "older 2025-07-29"): 16,  # the 12-hex recordings/responses/ files
        ("llama-stack-2025-10", "mis-keyed"): 1,
    }


def test_current_files_recompute_to_their_own_name():
    checked = 0
    for path in _corpus_files():
        obj = apply_id_mapping(json.loads(path.read_text()))
        status = classify(obj, path.name)
        if status.status == "current":
            key = parse_name(path.name)
            assert (
                key is not None
                and request_hash(obj["request"], obj.get("test_id") or obj["request"].get("test_id"))
                == key.hash
            )
            checked += 1
    assert checked == 162


def test_the_hashed_text_is_stdlib_json_with_sort_keys():
    obj = {"body": {"z": 1, "a": "caf\u00e9 \U0001f3f4", "t": 0.1 + 0.2}, "method": "POST"}
    text = json.dumps(obj, sort_keys=True)
    assert '"a": "caf\\u00e9 \\ud83c\\udff4"' in text  # ensure_ascii, surrogate pairs
    assert digest_text(obj) == hashlib.sha256(text.encode()).hexdigest()
    assert normalize_body({"t": 0.1 + 0.2, "n": 3, "b": True})["t"] == 0.3


def test_normalize_string_follows_the_recorder_steps():
    text = (
        "[1] document_id: 001495fd-aa35-4072-957d-b72df11b8603, score: 0.09107262839224209, "
        "attributes: {'filename': 'a.pdf', 'token_count': 98.0} "
        "(cite as <|001495fd-aa35-4072-957d-b72df11b8603|>) "
        "pi is 3.14159265"
    )
    assert normalize_string(text) == (
        "[1] document_id: __NORMALIZED__, score: __NORMALIZED__ (cite as <|__NORMALIZED__|>) pi is 3.14159"
    )
    assert normalize_string(text, file_search=False).startswith(
        "[1] document_id: 001495fd-aa35-4072-957d-b72df11b8603, score: 0.09107, attributes:"
    )


def test_project_id_and_bedrock_stream_options():
    body = {
        "model": "m",
        "stream_options": {"include_usage": True},
        "extra_body": {"project_id": "p", "keep": 1},
    }
    bedrock = {
        "url": "https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1/v1/chat/completions",
        "body": body,
    }
    older = next(r for r in RULE_SETS if r.since == "2025-11-03")
    assert request_hash(bedrock, "t") != request_hash(bedrock, "t", older)
    current = normalize_body(body, CURRENT, drop_stream_options=True)
    assert current == {"model": "m", "extra_body": {"keep": 1}}
    assert body["extra_body"] == {"project_id": "p", "keep": 1}  # the input is left alone


@pytest.mark.parametrize(
    ("url", "with_test_id"),
    [
        ("http://localhost:8080/v1/models", False),
        ("http://localhost:11434/api/tags", False),
        ("http://localhost:8321/v1/openai/v1/models", False),
        ("https://api.openai.com/v1/v1/models", True),  # the path is /v1/v1/models: the test id counts
    ],
)
def test_model_list_exclusions_compare_the_url_path(url, with_test_id):
    request = {"method": "POST", "url": url, "headers": {}, "body": {}, "endpoint": "/v1/models", "model": ""}
    assert (request_hash(request, "a") != request_hash(request, "b")) is with_test_id


def test_edited_test_id_is_mis_keyed_with_the_expected_name():
    folder = CORPUS / "llama-stack/vector_io/recordings"
    path = folder / "37681212ab123813949901c9d999bba6df9a6d1ca912d2c053d1d65e79ba8350.json"
    obj = json.loads(path.read_text())
    assert classify(obj, path.name).status == "current"
    obj["test_id"] = obj["test_id"].replace("sqlite-vec", "faiss")
    status = classify(obj, path.name)
    assert status.status == "mis-keyed"
    assert status.expected == request_hash(obj["request"], obj["test_id"]) + ".json"
    assert status.expected != path.name


def test_summary_label_reads_back_as_the_status_it_names():
    """A catalog Summary keeps `summary_label`; the app reads the rule set and expected name back."""
    seen = set()
    for path in _corpus_files():
        status = _classify(path)
        back = KeyStatus.from_label(status.summary_label)
        assert (back.status, back.rules, back.expected) == (status.status, status.rules, status.expected)
        assert back.summary_label.split(" ", 1)[0] == status.status  # what the key: filter reads
        seen.add(status.status)
    assert seen == {"current", "older", "mis-keyed", "opaque"}


def test_classify_file_never_raises():
    recording = {"test_id": "t", "request": {"method": "POST", "url": "http://x/v1/chat/completions"}}
    recording["request"]["body"] = {"model": "m", "messages": [{"content": {1, 2}}]}  # not JSON
    status = classify_file(recording, "/somewhere/" + "0" * 64 + ".json")
    assert status.status == "opaque" and status.reason
