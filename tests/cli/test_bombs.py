"""Files that expand when read (compressed bodies, YAML aliases) or nest deeper than the
commands walk (issue 17): every command gives one error row or line with the reason, never a
traceback, within bounded memory. Each file is a vendored recording or cassette with one
hostile part put in; the commands run as real subprocesses under an address-space limit, so a
blow-up fails the test instead of swapping."""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
from pathlib import Path

import orjson
import pytest
import yaml
from cli_support import CORPUS, REPO

from tui_replay.recording.limits import MAX_NESTING

# A streamed chat with one tool call (arguments "{}"), and a cassette whose first interaction
# is a plain chat completion.
SEED_STREAM = CORPUS / (
    "llama-stack/agents/recordings/75ae2f583e3eb3920933f9df9ff65fa5cc639daf97fd7d6b53061146a026cc22.json"
)
SEED_CASSETTE = CORPUS / "cassettes/crewai/test_llm_call_with_string_input.yaml"
MIB = 1 << 20
ADDRESS_SPACE = 2 << 30  # what the old code needed for these files is more: it fails, it does not swap

# Runs ARGS with RLIMIT_AS set and prints the child's peak RSS (KiB) on stderr's last line
# (measured from this small process: see cli_support.run_peak_rss).
_LIMITED = """
import os, resource, subprocess, sys
limit = int(sys.argv[1])
limited = lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
proc = subprocess.Popen(sys.argv[2:], preexec_fn=limited)
_, status, usage = os.wait4(proc.pid, 0)
sys.stderr.write(f"\\npeak-rss-kib {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_limited(*args: str, cache_dir: Path, timeout: float = 120) -> tuple[int, str, str, int]:
    """(exit status, stdout, stderr, peak RSS in bytes) of `python -m tui_replay ARGS`."""
    import subprocess

    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache_dir), PYTHONPATH=str(REPO), COLUMNS="120")
    env.pop("TUI_REPLAY_MAX_SIZE", None)
    result = subprocess.run(
        [sys.executable, "-c", _LIMITED, str(ADDRESS_SPACE), sys.executable, "-m", "tui_replay", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    head, _, last = stderr.rstrip().rpartition("\n")
    assert last.startswith("peak-rss-kib "), stderr
    return result.returncode, result.stdout.decode("utf-8", "replace"), head, int(last.split()[1]) * 1024


_DEEP = "the nested lists go here"


def stream_recording(*, extra_depth: int = 0, arguments: str | None = None) -> dict:
    """SEED_STREAM with lists `extra_depth` deep as request.body.extra (3 levels down: written in
    by `write_json`), or the tool call's arguments replaced."""
    obj = json.loads(SEED_STREAM.read_text(encoding="utf-8"))
    if extra_depth:
        obj["request"]["body"]["extra"] = [_DEEP, extra_depth]
    if arguments is not None:
        for chunk in obj["response"]["body"]:
            for choice in chunk["__data__"]["choices"]:
                for call in choice["delta"].get("tool_calls") or []:
                    call["function"]["arguments"] = arguments
    return obj


def depth_of(obj: object) -> int:
    deepest, stack = 0, [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def write_json(path: Path, obj: dict) -> Path:
    """`obj` as JSON; deeper than any serializer goes, spliced in as text."""
    extra = obj["request"]["body"].get("extra")
    data = orjson.dumps(obj)
    if isinstance(extra, list) and extra[:1] == [_DEEP]:
        depth = extra[1]
        data = data.replace(orjson.dumps(extra), b"[" * depth + b"]" * depth)
    path.write_bytes(data)
    return path


def cassette(interactions: list[dict]) -> bytes:
    return yaml.safe_dump({"interactions": interactions, "version": 1}, sort_keys=False).encode()


def seed_interaction() -> dict:
    return yaml.safe_load(SEED_CASSETTE.read_text(encoding="utf-8"))["interactions"][0]


COMMANDS = (
    ("list", "--json", "--no-cache"),
    ("show",),
    ("show", "--json"),
    ("export", "--format", "python"),
    ("export", "--format", "curl"),
    ("export", "--format", "markdown"),
)


def assert_one_error_line(out: str, err: str, reason: str, *, times: int = 1) -> None:
    """No traceback, and the reason said once (`show` may wrap it: compared word by word)."""
    assert "Traceback" not in err, err[-2000:]
    words = " ".join((out + err).split())
    assert words.count(reason) == times, (out + err)[-2000:]


# ---------------------------------------------------------------------------- nesting


@pytest.mark.timeout(300)
def test_a_file_nested_past_the_limit_is_one_error_line_in_every_command(tmp_path, cache_dir):
    """1,000 levels (orjson reads up to 1,024) broke export, diff and explain with a
    RecursionError traceback; one level past the limit is the same error everywhere."""
    reason = f"nesting too deep (more than {MAX_NESTING} levels)"
    good = write_json(tmp_path / "good.json", stream_recording())
    for depth in (1000, MAX_NESTING - 2):  # request.body.extra is 3 levels down: 1,003 and 101 levels
        path = write_json(tmp_path / f"deep{depth}.json", stream_recording(extra_depth=depth))
        for command in COMMANDS:
            status, out, err, _ = run_limited(*command, str(path), cache_dir=cache_dir)
            assert_one_error_line(out, err, reason)
            if command[0] == "list":
                assert json.loads(out)["status"] == "error"
            else:
                assert status == 1, (command, status)
        for command in (("diff", "--json"), ("diff",)):
            status, out, err, _ = run_limited(*command, str(path), str(good), cache_dir=cache_dir)
            assert_one_error_line(out, err, reason, times=1 if "--json" in command else 2)  # row + details
            assert status == 2, (command, status)
        status, out, err, _ = run_limited(
            "explain", "--recording", str(path), str(tmp_path), cache_dir=cache_dir
        )
        assert_one_error_line(out, err, reason)
        assert status == 2


@pytest.mark.timeout(300)
def test_a_file_at_the_nesting_limit_works_in_every_command(tmp_path, cache_dir):
    """The deepest file admitted: every walker (exports, diff, explain, show --json) copes."""
    path = write_json(tmp_path / "at_limit.json", stream_recording(extra_depth=MAX_NESTING - 3))
    assert depth_of(json.loads(path.read_bytes())) == MAX_NESTING
    other = write_json(tmp_path / "other.json", stream_recording())
    for command in (*COMMANDS, ("export", "--format", "rerecord"), ("check",)):
        status, out, err, _ = run_limited(*command, str(path), cache_dir=cache_dir)
        assert "Traceback" not in err and "too deep" not in out + err, (command, err[-2000:])
        assert status in (0, 1) and out, (command, status, err)
    status, out, err, _ = run_limited("diff", "--json", str(path), str(other), cache_dir=cache_dir)
    assert status == 1 and "Traceback" not in err, err[-2000:]
    assert json.loads(out)["files"][0]["verdict"] == "different"
    status, out, err, _ = run_limited("diff", str(path), str(other), cache_dir=cache_dir)
    assert status == 1 and "/extra" in out and "Traceback" not in err, err[-2000:]
    status, out, err, _ = run_limited("explain", "--recording", str(path), str(tmp_path), cache_dir=cache_dir)
    assert "Traceback" not in err and "other.json" in out, err[-2000:]


@pytest.mark.timeout(300)
def test_a_too_deep_file_in_the_tree_is_skipped_by_explain(tmp_path, cache_dir):
    """The nearest recordings are diffed field by field: a 1,000-deep neighbour made `explain`
    fail with a RecursionError for every request it was asked about."""
    tree = tmp_path / "tree"
    tree.mkdir()
    asked = stream_recording()
    asked["request"]["body"]["temperature"] = 0.5  # a miss: nothing in the tree has it
    write_json(tmp_path / "asked.json", asked)
    write_json(tree / "neighbour.json", stream_recording())
    write_json(tree / "deep.json", stream_recording(extra_depth=1000))
    status, out, err, _ = run_limited(
        "explain", "--json", "--recording", str(tmp_path / "asked.json"), str(tree), cache_dir=cache_dir
    )
    assert "Traceback" not in err, err[-2000:]
    assert status == 1
    [report] = [json.loads(line) for line in out.splitlines()]
    nearest = [Path(item["path"]).name for item in report["nearest"]]
    assert report["verdict"] == "miss" and nearest == ["neighbour.json"]


@pytest.mark.timeout(300)
def test_json_nested_inside_a_string_is_shown_as_the_string(tmp_path, cache_dir):
    """Tool-call arguments are a JSON string parsed later (pretty-printed, compared): 1,000
    levels there gave RecursionError tracebacks in `export --format markdown` and `diff`."""
    deep_arguments = "[" * 1000 + "]" * 1000
    path = write_json(tmp_path / "args.json", stream_recording(arguments=deep_arguments))
    other = write_json(tmp_path / "other.json", stream_recording())
    status, out, err, _ = run_limited("export", "--format", "markdown", str(path), cache_dir=cache_dir)
    assert status == 0 and "Traceback" not in err, err[-2000:]
    assert deep_arguments in out  # as sent, not indented
    for command in (("diff", "--json"), ("diff",)):
        status, out, err, _ = run_limited(*command, str(path), str(other), cache_dir=cache_dir)
        assert status == 1 and "Traceback" not in err, (command, err[-2000:])
        assert "get_current_time" in out
    status, out, err, _ = run_limited("show", "--json", str(path), cache_dir=cache_dir)
    assert status == 0 and json.loads(out)["response"]["tool_calls"][0]["arguments"] == deep_arguments


@pytest.mark.timeout(120)
def test_a_yaml_alias_cannot_nest_past_the_limit(tmp_path, cache_dir):
    """The composer checked the depth of the document, not of what an alias repeats: an anchor
    60 levels deep used 60 levels down is 120 levels once read."""
    text = (
        "deep: &deep " + "[" * 60 + "]" * 60 + "\n"
        "interactions:\n"
        "- request:\n"
        "    uri: https://api.openai.com/v1/chat/completions\n"
        "    method: POST\n"
        '    body: \'{"model": "gpt-4o", "messages": []}\'\n'
        "  response:\n"
        "    status: {code: 200}\n"
        "    parsed_body: " + "[" * 60 + "*deep" + "]" * 60 + "\n"
    )
    path = tmp_path / "alias_deep.yaml"
    path.write_text(text)
    status, out, err, _ = run_limited("list", "--json", "--no-cache", str(path), cache_dir=cache_dir)
    assert status == 0 and "Traceback" not in err, err[-2000:]
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["status"] == "error" and "YAML nesting too deep" in row["error"], row


# ---------------------------------------------------------------------------- amplification


def gzip_bomb_interaction(inflated: bytes) -> dict:
    interaction = seed_interaction()
    response = interaction["response"]
    response["headers"]["Content-Encoding"] = ["gzip"]
    response["body"] = {"string": gzip.compress(inflated, 9)}
    return interaction


@pytest.mark.timeout(300)
def test_compressed_bodies_count_against_the_file_limits(tmp_path, cache_dir):
    """33 MB of `[{},…]` in a 32 KB gzip body (within the 32 MiB size limit each) peaked at
    1 GB, and three in one cassette at 1.8 GB: the JSON values of inflated bodies now count
    against the file's value limit, and all its bodies may inflate to at most the size limit."""
    inflated = b"[" + b"{}," * 11_000_000 + b"{}]"
    path = tmp_path / "gzip_bombs.yaml"
    path.write_bytes(cassette([gzip_bomb_interaction(inflated) for _ in range(3)]))
    assert path.stat().st_size < 200_000
    status, out, err, peak = run_limited("list", "--json", "--no-cache", str(path), cache_dir=cache_dir)
    assert status == 0 and "Traceback" not in err, err[-2000:]
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0]["status"] == "error" and "too many JSON values" in rows[0]["error"], rows[0]
    assert peak < 300 * MIB, f"list: peak RSS {peak / MIB:.0f} MiB"
    for command in COMMANDS[1:]:
        status, out, err, peak = run_limited(*command, f"{path}#0", cache_dir=cache_dir)
        assert_one_error_line(out, err, "too many JSON values")
        assert peak < 300 * MIB, f"{command}: peak RSS {peak / MIB:.0f} MiB"


@pytest.mark.timeout(300)
def test_bodies_of_one_cassette_share_the_value_limit(tmp_path, cache_dir):
    """Each body under the value limit, together over it: the last one is the error."""
    inflated = b"[" + b"0," * 2_000_000 + b"0]"  # 2 million values, 4 MB
    path = tmp_path / "three.yaml"
    path.write_bytes(cassette([gzip_bomb_interaction(inflated) for _ in range(3)]))
    status, out, err, _ = run_limited("list", "--json", "--no-cache", str(path), cache_dir=cache_dir)
    assert status == 0 and "Traceback" not in err, err[-2000:]
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["status"] for row in rows] == ["ok", "ok", "error"], rows
    assert "too many JSON values" in rows[2]["error"]


@pytest.mark.timeout(300)
def test_yaml_alias_fan_out_of_text_is_refused(tmp_path, cache_dir):
    """A 1 MB string anchored once and repeated by aliases: 40 aliases are 40 nodes (the node
    budget allowed 100,000) but 40 MB written out; 5,000 took `show --json` to 4.8 GB."""
    interaction = seed_interaction()
    interaction["request"].pop("body")
    shared = ["x" * MIB]
    interaction["request"]["parsed_body"] = {"model": "gpt-4o", "messages": [], "notes": [shared] * 40}
    data = cassette([interaction])  # safe_dump writes the shared list once: &id001, then *id001
    assert data.count(b"*id001") == 39 and len(data) < 2 * MIB
    path = tmp_path / "alias_fan_out.yaml"
    path.write_bytes(data)
    for command in (*COMMANDS, ("export", "--format", "rerecord")):
        status, out, err, peak = run_limited(*command, str(path), cache_dir=cache_dir)
        assert status == (0 if command[0] == "list" else 1), (command, status)
        assert_one_error_line(out, err, "YAML aliases repeat too much")
        assert peak < 300 * MIB, f"{command}: peak RSS {peak / MIB:.0f} MiB"


@pytest.mark.timeout(300)
def test_diff_of_long_answers_stays_small(tmp_path, cache_dir):
    """A word diff holds ~60 bytes a word and takes quadratic time: two 8 MB answers that differ
    in the middle are compared by their common start and end, in bounded memory."""
    words = "lorem ipsum dolor sit amet " * 300_000  # 8.1 MB
    sides = []
    for name, middle in (("a.json", "the old middle"), ("b.json", "the new middle")):
        obj = stream_recording()
        obj["response"]["body"][-1]["__data__"]["choices"][0]["delta"]["content"] = words + middle + words
        sides.append(str(write_json(tmp_path / name, obj)))
    status, out, err, peak = run_limited("diff", "--json", *sides, cache_dir=cache_dir)
    assert status == 1 and "Traceback" not in err, err[-2000:]
    [text] = [d for d in json.loads(out)["files"][0]["differences"] if d["field"] == "text"]
    assert ["delete", "old"] in text["diff"] and ["insert", "new"] in text["diff"]
    assert peak < 400 * MIB, f"diff --json: peak RSS {peak / MIB:.0f} MiB"
    status, out, err, peak = run_limited("diff", *sides, cache_dir=cache_dir)
    assert status == 1 and "[-old-]{+new+}" in out and "Traceback" not in err, err[-2000:]
    assert peak < 400 * MIB, f"diff: peak RSS {peak / MIB:.0f} MiB"


@pytest.mark.timeout(120)
def test_json_arguments_with_too_many_values_are_shown_as_sent(tmp_path, cache_dir):
    """Arguments are parsed again by each use (indented, diffed): past a fifth of a file's values
    they are left as the string (1.2 million values took `diff --json` to 750 MB)."""
    arguments = "[" + "0," * 1_200_000 + "0]"
    path = write_json(tmp_path / "args.json", stream_recording(arguments=arguments))
    status, out, err, _ = run_limited("export", "--format", "markdown", str(path), cache_dir=cache_dir)
    assert status == 0 and "Traceback" not in err, err[-2000:]
    assert arguments in out  # not indented: one line
    other = write_json(tmp_path / "other.json", stream_recording())
    status, out, err, peak = run_limited("diff", "--json", str(path), str(other), cache_dir=cache_dir)
    assert status == 1 and "Traceback" not in err, err[-2000:]
    assert peak < 200 * MIB, f"diff --json: peak RSS {peak / MIB:.0f} MiB"


@pytest.mark.timeout(120)
def test_a_cassette_of_too_many_yaml_nodes_is_refused_quickly(tmp_path, cache_dir):
    """Each YAML node costs ~10 us to compose: 5 million took a minute in every command."""
    path = tmp_path / "nodes.yaml"
    path.write_bytes(cassette([seed_interaction()]) + b"padding: [" + b"{}," * 1_200_000 + b"{}]\n")
    started = time.monotonic()
    status, out, err, _ = run_limited("list", "--json", "--no-cache", str(path), cache_dir=cache_dir)
    assert status == 0 and "Traceback" not in err, err[-2000:]
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["status"] == "error" and "too many YAML nodes" in row["error"], row
    assert time.monotonic() - started < 15


@pytest.mark.timeout(120)
def test_an_alias_inside_its_own_anchor_is_refused(tmp_path, cache_dir):
    """`&a [*a]` composes as a list that holds itself: every walker would go round forever."""
    path = tmp_path / "cycle.yaml"
    path.write_text(
        "interactions:\n"
        "- request:\n"
        "    uri: https://api.openai.com/v1/chat/completions\n"
        "    method: POST\n"
        "    parsed_body: &body {model: gpt-4o, messages: [], again: [*body]}\n"
        "  response: {status: {code: 200}, body: {string: '{}'}}\n"
    )
    for command in (*COMMANDS, ("export", "--format", "rerecord")):
        status, out, err, _ = run_limited(*command, str(path), cache_dir=cache_dir)
        assert status == (0 if command[0] == "list" else 1), (command, status, err[-2000:])
        assert_one_error_line(out, err, "inside its own anchor (a cycle)")
