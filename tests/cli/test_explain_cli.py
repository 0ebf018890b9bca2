"""`tui-replay explain` and `tui-replay check` through the real command line, on the real corpus."""

from __future__ import annotations

import json
import shlex
import shutil

from cli_support import CORPUS, REPO

TREE = CORPUS / "llama-stack"
ORIGINAL = TREE / "vector_io/recordings/37681212ab123813949901c9d999bba6df9a6d1ca912d2c053d1d65e79ba8350.json"
LOG = REPO / "tests/data/logs/ci-replay-three-misses.log"
LOG_IDS = [
    "tests/integration/vector_io/test_openai_vector_stores.py::test_openai_vector_store_contextual_chunking"
    "[client_with_models-vector_io=sqlite-vec-txt=ollama/llama3.2:3b-instruct-fp16"
    ":emb=sentence-transformers/nomic-ai/nomic-embed-text-v1.5:dim=768]",
    "tests/integration/inference/test_tools_with_schemas.py::TestEdgeCases::test_tool_without_schema"
    "[txt=ollama/llama3.2:3b-instruct-fp16]",
    "tests/integration/safety/test_safety.py::test_safe_examples_with_run_moderation[shield=llama-guard]",
]


def _json_lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def _body_args(tmp_path, recording: dict) -> list[str]:
    body = tmp_path / "body.json"
    body.write_text(json.dumps(recording["request"]["body"]))
    return ["--body", str(body), "--test-id", recording["test_id"], "--url", recording["request"]["url"]]


def test_changed_body_names_the_original_nearest_with_exactly_the_changed_pointers(run_cli, tmp_path):
    copy = tmp_path / ORIGINAL.name
    shutil.copyfile(ORIGINAL, copy)
    recording = json.loads(copy.read_text())
    body = recording["request"]["body"]
    user = next(i for i, m in enumerate(body["messages"]) if m["role"] == "user")
    body["messages"][user]["content"] += " Answer in one word."
    body["temperature"] = 0.9
    copy.write_text(json.dumps(recording))

    result = run_cli("explain", *_body_args(tmp_path, recording), "--json", str(TREE))
    assert result.returncode == 1, result.stderr
    (row,) = _json_lines(result.stdout)
    assert row["verdict"] == "miss" and row["path"] is None
    nearest = row["nearest"][0]
    assert nearest["path"] == str(ORIGINAL)
    assert [d["pointer"] for d in nearest["differences"]] == [f"/messages/{user}/content", "/temperature"]
    assert nearest["differences"][1] == {"pointer": "/temperature", "stored": 0.0, "request": 0.9}
    assert 1 <= len(row["nearest"]) <= 5

    text = run_cli("explain", *_body_args(tmp_path, recording), str(TREE))
    assert text.returncode == 1
    out = text.stdout.decode()
    assert "miss" in out and f"/messages/{user}/content" in out and "/temperature: 0.0 → 0.9" in out
    assert "{+Answer in one word.+}" in out  # a long string is shown as a short word diff


def test_unchanged_body_prints_the_exact_path(run_cli, tmp_path):
    recording = json.loads(ORIGINAL.read_text())
    result = run_cli("explain", *_body_args(tmp_path, recording), str(TREE))
    assert result.returncode == 0, result.stdout
    assert f"match    {ORIGINAL}" in result.stdout.decode()
    again = run_cli("explain", "--recording", str(ORIGINAL), "--json", str(TREE))
    assert again.returncode == 0 and _json_lines(again.stdout)[0]["path"] == str(ORIGINAL)


def test_log_with_three_misses_gives_three_rows_and_a_rerecord_command_per_model_set(run_cli):
    result = run_cli("explain", "--log", str(LOG), "--json", str(TREE))
    assert result.returncode == 1, result.stderr
    rows = _json_lines(result.stdout)
    assert [row["test_id"] for row in rows] == LOG_IDS
    assert all(row["verdict"] == "miss" and len(row["hash"]) == 64 for row in rows)
    # The nearest of each is its test's own recording (same test id, URL path and model).
    assert [row["nearest"][0]["differences"] for row in rows] == [[], [], []]
    # Each test is re-recorded with the models its id names, under the run's stack config and setup.
    for row, test_id in zip(rows, LOG_IDS, strict=True):
        words = shlex.split(row["rerecord"])
        assert words[:6] == ["uv", "run", "--group", "test", "pytest", "-sv"]
        assert "--inference-mode=record-if-missing" in words
        assert "--stack-config=server:ci-tests" in words and "--setup=ollama" in words
        assert [w for w in words if w.startswith("tests/")] == [test_id]
    assert "--text-model=ollama/llama3.2:3b-instruct-fp16" in shlex.split(rows[1]["rerecord"])
    assert "--safety-shield=llama-guard" in shlex.split(rows[2]["rerecord"])

    text = run_cli("explain", "--log", str(LOG), str(TREE)).stdout.decode()
    assert text.count("re-record: ") == 3 and text.count("  miss ") == 3


def test_usage_errors_exit_2(run_cli, tmp_path):
    body = tmp_path / "b.json"
    body.write_text("{}")
    assert run_cli("explain", "--body", str(body), str(TREE)).returncode == 2  # no --url
    assert run_cli("explain", "--body", str(body), "--log", str(LOG), str(TREE)).returncode == 2
    body.write_text("{not json")
    bad = run_cli("explain", "--body", str(body), "--url", "http://x/v1/chat/completions", str(TREE))
    assert bad.returncode == 2 and b"not valid JSON" in bad.stderr


# -- check -------------------------------------------------------------------------------------


def _tree_copy(tmp_path):
    folder = tmp_path / "vector_io" / "recordings"
    folder.mkdir(parents=True)
    for path in ORIGINAL.parent.glob("*.json"):
        shutil.copyfile(path, folder / path.name)
    return folder


def test_check_reports_an_edited_test_id_as_mis_keyed_and_nothing_else(run_cli, tmp_path):
    folder = _tree_copy(tmp_path)
    clean = run_cli("check", str(tmp_path))
    assert clean.returncode == 0, clean.stdout
    edited = folder / ORIGINAL.name
    recording = json.loads(edited.read_text())
    recording["test_id"] = recording["test_id"].replace("sqlite-vec", "faiss")
    edited.write_text(json.dumps(recording, indent=2))

    result = run_cli("check", "--json", str(tmp_path))
    assert result.returncode == 1
    rows = {row["path"]: row for row in _json_lines(result.stdout)}
    row = rows.pop(str(edited))
    assert row["key"] == "mis-keyed" and row["expected"].endswith(".json") and row["expected"] != edited.name
    assert row["git_mv"] == f"git mv {edited} {folder / row['expected']}"
    assert {r["key"] for r in rows.values()} == {"current"}  # no false positives


def test_check_on_the_corpus_counts_and_exit(run_cli):
    result = run_cli("check", "--json", str(TREE))
    assert result.returncode == 1  # 14 mis-keyed files
    keys = [row["key"] for row in _json_lines(result.stdout)]
    assert {key: keys.count(key) for key in set(keys)} == {
        "current": 146,
        "older": 7,
        "mis-keyed": 14,
        "opaque": 1,
    }
    text = run_cli("check", str(TREE)).stdout.decode()
    assert "168 files: 146 current, 7 older, 14 mis-keyed, 1 opaque" in text


def test_check_duplicates_and_orphans(run_cli, tmp_path):
    folder = _tree_copy(tmp_path)
    common = tmp_path / "common" / "recordings"
    common.mkdir(parents=True)
    shutil.copyfile(ORIGINAL, common / ORIGINAL.name)
    collected = tmp_path / "collected.txt"
    kept = json.loads(ORIGINAL.read_text())["test_id"]
    collected.write_text(f"{kept}\n\n1 test collected in 0.52s\n")

    result = run_cli("check", "--json", "--collected", str(collected), str(tmp_path))
    assert result.returncode == 1
    rows = {row["path"]: row for row in _json_lines(result.stdout)}
    assert rows[str(folder / ORIGINAL.name)]["duplicates"] == [str(common / ORIGINAL.name)]
    orphans = {path for path, row in rows.items() if row["orphan"]}
    others = {str(p) for p in folder.glob("*.json") if p.name != ORIGINAL.name}
    assert orphans == others  # the other vector_io tests were not collected
