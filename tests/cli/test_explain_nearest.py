"""`explain` finds the original of a changed request, reads real CI logs (one pasted line, a
server log's Python repr, huge lines) and re-records exactly the tests that missed: real
recordings of the vendored corpus, the real command line, re-record commands run against a
fake `uv` on PATH."""

from __future__ import annotations

import copy
import json
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from cli_support import CORPUS
from export_support import recorded_argvs, shim_env

from tui_replay.catalog.keyindex import KeyIndex
from tui_replay.recording.miss import probe_from_recording
from tui_replay.recording.request_hash import request_hash

TREE = CORPUS / "llama-stack"
ORIGINAL = TREE / "vector_io/recordings/37681212ab123813949901c9d999bba6df9a6d1ca912d2c053d1d65e79ba8350.json"
TOOLS = "tests/integration/inference/test_tools_with_schemas.py::TestEdgeCases::test_tool_without_schema"
SENTENCE = " Please answer in one short sentence."


def _json_lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def _one_field_edits(request: dict):
    """(what, request) with one field changed: a sentence appended to the last user message,
    and the temperature set to a value no recording has."""
    body = request.get("body")
    if not isinstance(body, dict):
        return
    messages = body.get("messages")
    if isinstance(messages, list):
        users = [
            i for i, m in enumerate(messages) if isinstance(m, dict) and isinstance(m.get("content"), str)
        ]
        users = [i for i in users if messages[i].get("role") == "user"]
        if users:
            edited = copy.deepcopy(request)
            edited["body"]["messages"][users[-1]]["content"] += SENTENCE
            yield "append", edited
    edited = copy.deepcopy(request)
    edited["body"]["temperature"] = 0.37
    yield "param", edited


def test_one_field_edits_of_real_requests_rank_their_original_first(capsys):
    index = KeyIndex([str(TREE)])
    first = tied_identical = 0
    misses = []
    for stored in index.stored:
        for what, edited in _one_field_edits(stored.request):
            probe = probe_from_recording({"test_id": stored.test_id, "request": edited}, label=stored.path)
            if probe is None:
                continue
            explanation = index.explain(probe)
            assert explanation.verdict == "miss"
            top = explanation.nearest[0]
            if top.stored.path == stored.path and not top.tied:
                first += 1
            elif any(n.stored.path == stored.path for n in explanation.nearest if n.tied):
                # Level with the original only when nothing tells them apart: the same distance.
                assert all(n.distance == top.distance for n in explanation.nearest if n.tied)
                tied_identical += 1
            else:
                misses.append((what, stored.path, top.stored.path))
    total = first + tied_identical + len(misses)
    with capsys.disabled():
        print(f"\nnearest-hit rate: {first}/{total} first, {tied_identical} tied with an identical request")
    assert total > 150  # the corpus gives many edits: the measure means something
    assert not misses, misses[:5]
    assert first / total >= 0.9


def _crowded_tree(tmp_path) -> tuple:
    """A test folder where the original's test owns 300 recordings, all differing from it at
    /messages/0/content (real message texts of the corpus), every one named by its hash."""
    original = json.loads(ORIGINAL.read_text())
    texts = set()
    for path in sorted(CORPUS.glob("llama-stack*/**/*.json")):
        body = json.loads(path.read_text()).get("request", {}).get("body")
        for message in body.get("messages", []) if isinstance(body, dict) else []:
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                texts.add(message["content"])
    content = original["request"]["body"]["messages"][0]["content"]
    texts.discard(content)
    texts = sorted(texts)  # about 100: each comes back with another number
    folder = tmp_path / "vector_io" / "recordings"
    folder.mkdir(parents=True)
    shutil.copyfile(ORIGINAL, folder / ORIGINAL.name)
    for number in range(300):
        other = copy.deepcopy(original)
        other["request"]["body"]["messages"][0]["content"] = f"{texts[number % len(texts)]} ({number})"
        name = request_hash(other["request"], other["test_id"]) + ".json"
        (folder / name).write_text(json.dumps(other, indent=2))
    assert len(list(folder.glob("*.json"))) == 301
    return original, folder


def test_a_test_with_300_recordings_still_finds_its_original_and_says_the_rest_differ(run_cli, tmp_path):
    original, folder = _crowded_tree(tmp_path)
    request = copy.deepcopy(original["request"])
    request["body"]["messages"][0]["content"] += SENTENCE
    body = tmp_path / "body.json"
    body.write_text(json.dumps(request["body"]))
    args = ["--body", str(body), "--test-id", original["test_id"], "--url", request["url"]]

    result = run_cli("explain", *args, "--json", str(tmp_path))
    assert result.returncode == 1, result.stderr
    (row,) = _json_lines(result.stdout)
    top = row["nearest"][0]
    assert top["path"] == str(folder / ORIGINAL.name)
    assert not top["tied"] and row["ties"] == 0
    assert [d["pointer"] for d in top["differences"]] == ["/messages/0/content"]
    # Every nearest differs at the same one pointer; the original differs least.
    assert all(n["score"] == 1 for n in row["nearest"])
    assert top["distance"] < min(n["distance"] for n in row["nearest"][1:])


def test_identical_requests_are_reported_as_a_tie(run_cli, tmp_path):
    folder = tmp_path / "vector_io" / "recordings"
    folder.mkdir(parents=True)
    copies = [folder / ORIGINAL.name, folder / ("0" * 64 + ".json"), folder / ("f" * 64 + ".json")]
    for path in copies:
        shutil.copyfile(ORIGINAL, path)
    original = json.loads(ORIGINAL.read_text())
    body = tmp_path / "body.json"
    original["request"]["body"]["temperature"] = 0.37
    body.write_text(json.dumps(original["request"]["body"]))
    args = ["--body", str(body), "--test-id", original["test_id"], "--url", original["request"]["url"]]

    row = _json_lines(run_cli("explain", *args, "--json", str(tmp_path)).stdout)[0]
    assert row["ties"] == 3 and [n["tied"] for n in row["nearest"]] == [True, True, True]
    assert {n["path"] for n in row["nearest"]} == {str(path) for path in copies}
    text = run_cli("explain", *args, str(tmp_path)).stdout.decode()
    assert text.count(", tied)") == 3


# -- one pasted line -----------------------------------------------------------------------------


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_pasted_miss_line_alone_is_looked_up_by_its_hash_and_claims_nothing_else(run_cli, tmp_path):
    known = ORIGINAL.stem
    line = f"E       RuntimeError: Recording not found for request hash: {known}\n"
    result = run_cli("explain", "--log", _write(tmp_path, "found.log", line), "--json", str(TREE))
    assert result.returncode == 0, result.stdout
    (row,) = _json_lines(result.stdout)
    assert row["verdict"] == "match" and row["path"] == str(ORIGINAL)
    assert "hash alone" in row["note"]

    unknown = "ab" * 32
    line = f"E       RuntimeError: Recording not found for request hash: {unknown}\n"
    log = _write(tmp_path, "unknown.log", line)
    result = run_cli("explain", "--log", log, "--json", str(TREE))
    assert result.returncode == 1
    (row,) = _json_lines(result.stdout)
    assert row["verdict"] == "miss" and row["nearest"] == [] and row["hash"] == unknown
    text = run_cli("explain", "--log", log, str(TREE)).stdout.decode()
    assert "differences)" not in text and "same test id" not in text
    assert "names no test and carries no body" in text
    assert "re-record: no failing test id found" in text


def test_a_pasted_section_header_names_the_test_through_the_stored_ids(run_cli, tmp_path):
    name = TOOLS.split("::", 1)[1].replace("::", ".")
    header = f"____________ {name}[txt=ollama/llama3.2:3b-instruct-fp16] ____"
    log = header + "\nE   RuntimeError: Recording not found for request hash: " + "cd" * 32 + "\n"
    result = run_cli("explain", "--log", _write(tmp_path, "header.log", log), "--json", str(TREE))
    assert result.returncode == 1
    (row,) = _json_lines(result.stdout)
    assert row["test_id"] == TOOLS + "[txt=ollama/llama3.2:3b-instruct-fp16]"
    owned = [p for p in (TREE / "inference/recordings").glob("*.json") if row["test_id"] in p.read_text()]
    assert owned and row["nearest"][0]["path"] in {str(p) for p in owned}
    assert shlex.split(row["rerecord"])[-1] == row["test_id"]  # the test the index named
    assert "section header" in row["note"]
    text = run_cli("explain", "--log", str(tmp_path / "header.log"), str(TREE)).stdout.decode()
    assert "(0 differences in what the text gives)" in text  # the body is not in a log

    unknown = (
        "____ TestNowhere.test_nothing[x] ____\nE   RuntimeError: Recording not found for request hash: "
    )
    result = run_cli("explain", "--log", _write(tmp_path, "none.log", unknown + "ef" * 32), str(TREE))
    out = result.stdout.decode()
    assert result.returncode == 1 and "no recording has a test named TestNowhere.test_nothing[x]" in out
    assert "differences)" not in out


def test_a_server_log_repr_gives_the_url_without_its_escaped_newlines(run_cli, tmp_path):
    recording = json.loads(ORIGINAL.read_text())
    missing = "12" * 32
    message = (
        f"Recording not found for request hash: {missing}\\n"
        f"Model: {recording['request']['body']['model']} | Request: POST {recording['request']['url']}\\n\\n"
        "Run './scripts/integration-tests.sh --inference-mode record-if-missing' with required API keys"
    )
    log = (
        f"INFO     2026-05-06 14:02:10,001 uvicorn.error: RuntimeError('{message}')\n"
        f"FAILED {recording['test_id']} - RuntimeError: Recording not found for request hash: {missing}\n"
    )
    # The miss comes before the FAILED line in a server log: give the test by its progress line.
    log = f"{recording['test_id']} FAILED\n" + log
    result = run_cli("explain", "--log", _write(tmp_path, "server.log", log), "--json", str(TREE))
    (row,) = _json_lines(result.stdout)
    assert row["test_id"] == recording["test_id"]
    assert row["nearest"][0]["path"] == str(ORIGINAL)
    assert all(d["pointer"] != "url_path" for n in row["nearest"] for d in n["differences"])


def test_explain_recording_of_the_projects_own_samples_matches(run_cli):
    sample = "recordings/434cdb430598a1bb20bef1c4525d069bf70227057dccdcafd741a3cead141364.json"
    result = run_cli("explain", "--recording", sample, "recordings/")
    out = result.stdout.decode()
    assert result.returncode == 0, out
    assert f"match    {sample}" in out


def _long_line_log(tmp_path, repeats: int) -> str:
    line = (
        "E   RuntimeError: Recording not found for request hash: " + "ab" * 32 + " " + "Model: x " * repeats
    )
    return _write(tmp_path, f"long-{repeats}.log", line + "\n")


def test_a_log_line_repeating_model_is_read_in_linear_time(run_cli, tmp_path):
    """One 180 KB line of `Model: x ` took 35 s (quadratic); 20 such lines stay fast."""

    def seconds(repeats: int, lines: int) -> float:
        one = _long_line_log(tmp_path, repeats)
        many = tmp_path / f"many-{repeats}-{lines}.log"
        many.write_text(Path(one).read_text() * lines)
        start = time.monotonic()
        result = run_cli("explain", "--log", str(many), "--json", str(TREE), timeout=60)
        assert result.returncode == 1, result.stderr
        return time.monotonic() - start

    small = seconds(20_000, 10)
    large = seconds(40_000, 20)  # four times the bytes
    assert large < 30
    assert large < 4 * small + 5  # linear with slack for a busy machine, never quadratic (16x)


# -- re-record commands ----------------------------------------------------------------------------


def _miss_section(recording: dict, missing: str) -> list[str]:
    section = recording["test_id"].split("::", 1)[1].replace("::", ".")
    model = recording["request"].get("model") or recording["request"]["body"].get("model")
    return [
        f"____________ {section} ____________",
        f"E       RuntimeError: Recording not found for request hash: {missing}",
        f"E       Model: {model} | Request: POST {recording['request']['url']}",
    ]


def _mixed_log(tmp_path) -> tuple[str, dict[str, dict], str]:
    """A log of misses from azure, openai and vertexai tests, plus one whose file exists."""
    wanted = {"txt=azure/": None, "txt=openai/": None, "txt=vertexai/": None}
    matched = None
    for path in sorted(TREE.glob("*/recordings/*.json")):
        recording = json.loads(path.read_text())
        test_id, request = recording.get("test_id") or "", recording["request"]
        if not isinstance(request.get("body"), dict) or not request.get("url"):
            continue
        for prefix in wanted:
            if prefix in test_id and wanted[prefix] is None:
                wanted[prefix] = recording
        if matched is None and "txt=ollama/" in test_id and path.stem == request_hash(request, test_id):
            matched = recording
    assert matched is not None and all(wanted.values()), wanted
    lines, summary, missed = [], [], {}
    for recording in wanted.values():
        changed = copy.deepcopy(recording["request"])
        changed["body"]["temperature"] = 0.37
        missing = request_hash(changed, recording["test_id"])
        lines += _miss_section(recording, missing)
        summary.append(
            f"FAILED {recording['test_id']} - RuntimeError: Recording not found for request hash: {missing}"
        )
        missed[recording["test_id"]] = recording
    found = request_hash(matched["request"], matched["test_id"])
    lines += _miss_section(matched, found)
    summary.append(
        f"FAILED {matched['test_id']} - RuntimeError: Recording not found for request hash: {found}"
    )
    log = "\n".join([*lines, "=== short test summary info ===", *summary]) + "\n"
    return _write(tmp_path, "mixed.log", log), missed, matched["test_id"]


def _run_commands(commands: list[str], tmp_path) -> list[list[str]]:
    """Each command run by bash with argv-recording shims first on PATH; what `uv` was given."""
    env, log = shim_env(tmp_path)
    for command in commands:
        subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, check=True, timeout=30)
    argvs = recorded_argvs(log)
    assert all(argv[0] == "uv" for argv in argvs)
    return [argv[1:] for argv in argvs]


def test_log_rerecord_runs_one_command_per_setup_with_its_models_and_leaves_out_what_matched(
    run_cli, tmp_path
):
    log, missed, matched = _mixed_log(tmp_path)
    result = run_cli("explain", "--log", log, str(TREE))
    assert result.returncode == 1
    commands = [line.removeprefix("re-record: ") for line in result.stdout.decode().splitlines()]
    commands = [c for c in commands if c.startswith("uv run")]
    assert len(commands) == 3

    runs = _run_commands(commands, tmp_path)
    assert len(runs) == 3
    by_test = {}
    for argv in runs:
        assert argv[:5] == ["run", "--group", "test", "pytest", "-sv"]
        assert "--stack-config=server:ci-tests" in argv and "--inference-mode=record-if-missing" in argv
        (node,) = [word for word in argv if word.startswith("tests/")]
        by_test[node] = argv
    assert set(by_test) == set(missed) and matched not in by_test
    for test_id, argv in by_test.items():
        provider = test_id.split("txt=", 1)[1].split("/", 1)[0]
        text_model = next(w for w in argv if w.startswith("--text-model="))
        assert text_model.startswith(f"--text-model={provider}/")
        setups = [w for w in argv if w.startswith("--setup=")]
        assert setups == {"azure": ["--setup=azure"], "openai": ["--setup=gpt"], "vertexai": []}[provider]

    rows = _json_lines(run_cli("explain", "--log", log, "--json", str(TREE)).stdout)
    assert {row["test_id"]: row["rerecord"] is None for row in rows} == {
        **{test_id: False for test_id in missed},
        matched: True,
    }


def test_log_rerecord_quotes_a_hostile_node_id(run_cli, tmp_path):
    params = "[txt=openai/gpt-4o-$(touch${IFS}pwned)';touch${IFS}pwned2;']"
    hostile = "tests/integration/inference/test_x.py::test_y" + params
    log = "\n".join(
        [
            f"___ test_y{params} ___",
            "E   RuntimeError: Recording not found for request hash: " + "9" * 64,
            "E   Model: gpt-4o | Request: POST https://api.openai.com/v1/v1/chat/completions",
            f"FAILED {hostile} - RuntimeError: Recording not found for request hash: " + "9" * 64,
        ]
    )
    result = run_cli("explain", "--log", _write(tmp_path, "hostile.log", log), "--json", str(TREE))
    (row,) = _json_lines(result.stdout)
    assert row["test_id"] == hostile
    (argv,) = _run_commands([row["rerecord"]], tmp_path)
    assert argv[-1] == hostile and "--text-model=openai/gpt-4o" in argv
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert shlex.split(row["rerecord"])[-1] == hostile
