"""Generated hostile files (issue 17): nesting around and past the limit, YAML aliases that fan
out or nest, control characters and lone surrogates, compressed bodies that inflate a lot or
not at all. `list`, `show`, `export`, `diff` and `explain` must give rows or one-line errors,
never a traceback, in bounded memory. In-process through `main()` (fast, memory traced), and a
few in real subprocesses under RLIMIT_AS, so a blow-up fails instead of swapping."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
import zlib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from cli_support import CORPUS
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from test_bombs import run_limited

from tui_replay.cli import main
from tui_replay.recording.limits import MAX_JSON_VALUES, MAX_NESTING

SEED_JSON = CORPUS / (
    "llama-stack/agents/recordings/75ae2f583e3eb3920933f9df9ff65fa5cc639daf97fd7d6b53061146a026cc22.json"
)
SEED_CASSETTE = CORPUS / "cassettes/crewai/test_llm_call_with_string_input.yaml"
MIB = 1 << 20
SPLICE = "the generated JSON goes here"
FUZZ = settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # explain: a tracer, slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ---------------------------------------------------------------------------- generated parts

depths = st.one_of(st.integers(0, 8), st.integers(MAX_NESTING - 6, MAX_NESTING + 4), st.integers(400, 1100))
# Control characters, separators, bidi controls, lone surrogates, JSON and YAML syntax.
hostile_text = st.text(
    st.one_of(
        st.characters(categories=["Cc", "Cs", "Cf", "Zl", "Zp"]),
        st.sampled_from(list("[]{}\",:\\&*!|>-#%@`'")),
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    ),
    max_size=40,
)


@st.composite
def nested_json(draw) -> str:
    """Lists and objects `depth` deep around a hostile string, as JSON text."""
    depth = draw(depths)
    kinds = draw(st.lists(st.booleans(), min_size=depth, max_size=depth)) if depth < 120 else [True] * depth
    inner = json.dumps(draw(hostile_text))
    opening = "".join("[" if is_list else '{"k":' for is_list in kinds)
    closing = "".join("]" if is_list else "}" for is_list in reversed(kinds))
    return opening + inner + closing


def tiny_values(count: int) -> str:
    return "[" + "{}," * count + "{}]"


body_texts = st.one_of(
    nested_json(),
    st.integers(0, 2000).map(tiny_values),
    st.just(tiny_values(MAX_JSON_VALUES // 2 + 10)),  # over the file's values once inflated
    hostile_text,
)


def compress(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data, 6)
    if encoding == "deflate":
        return zlib.compress(data, 6)
    if encoding == "raw-deflate":
        deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        return deflater.compress(data) + deflater.flush()
    return data[: len(data) // 2] + b"\x00garbage"  # claims gzip, is not


def recording_bytes(where: str, generated: str, text: str = "") -> bytes:
    """The seed recording with `generated` JSON in the request body (`where` "body"), as the
    tool call's arguments, or as the answer (+ `text`); or `text` as the test id."""
    obj = json.loads(SEED_JSON.read_text(encoding="utf-8"))
    if where == "body":
        obj["request"]["body"]["extra"] = SPLICE
    for chunk in obj["response"]["body"]:
        for choice in chunk["__data__"]["choices"]:
            for call in choice["delta"].get("tool_calls") or []:
                if where == "arguments":
                    call["function"]["arguments"] = generated
            if where == "answer" and "content" in choice["delta"]:
                choice["delta"]["content"] = generated + text
    if where == "test_id":
        obj["test_id"] = text
    dumped = json.dumps(obj)  # lone surrogates as \ud800: orjson refuses them, the stdlib reads them
    return dumped.replace(json.dumps(SPLICE), generated).encode()


json_recordings = st.builds(
    recording_bytes, st.sampled_from(["body", "arguments", "answer", "test_id"]), nested_json(), hostile_text
)


def cassette_bytes(
    anchor_depth: int, anchor_chars: int, aliases: int, alias_depth: int, encoding: str, body: str, note: str
) -> bytes:
    """A chat interaction whose request repeats an anchored value `aliases` times, nested; the
    response body compressed per `encoding`; `note` as the user's message. Written as YAML by
    hand: no dumper writes these shapes."""
    anchor = "[" * anchor_depth + json.dumps("x" * anchor_chars) + "]" * anchor_depth
    fan_out = "[" * alias_depth + ", ".join(["*shared"] * aliases) + "]" * alias_depth
    data = body.encode("utf-8", "surrogatepass")
    raw = data if encoding == "identity" else compress(data, encoding)
    header = {"corrupt": "gzip", "raw-deflate": "deflate"}.get(encoding, encoding)
    text = (
        f"shared: &shared {anchor}\n"
        "interactions:\n"
        "- request:\n"
        "    uri: https://api.openai.com/v1/chat/completions\n"
        "    method: POST\n"
        "    parsed_body: {model: gpt-4o, "
        f"messages: [{{role: user, content: {json.dumps(note)}}}], x: {fan_out or 0}}}\n"  # JSON: YAML too
        "  response:\n"
        "    status: {code: 200}\n"
        f"    headers: {{Content-Encoding: [{header}], Content-Type: [application/json]}}\n"
        "    body: {string: !!binary " + json.dumps(_base64(raw)) + "}\n"
    )
    return text.encode("utf-8", "surrogatepass")


cassettes = st.builds(
    cassette_bytes,
    st.integers(0, 70),
    st.sampled_from([1, 1000, 64 * 1024]),
    st.sampled_from([0, 1, 50, 600]),
    st.integers(0, 70),
    st.sampled_from(["gzip", "deflate", "raw-deflate", "br", "corrupt", "identity"]),
    body_texts,
    hostile_text,
)


def _base64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


# ---------------------------------------------------------------------------- running the commands


def run_main(*args: str) -> tuple[int, str, str, int]:
    """(exit status, stdout, stderr, peak traced bytes) of `main(ARGS)` in this process."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace", write_through=True)
    err = io.StringIO()
    tracemalloc.start()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            status = main(list(args))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return status, out.buffer.getvalue().decode("utf-8", "replace"), err.getvalue(), peak


def commands(path: Path, seed: Path, tree: Path) -> list[tuple[str, ...]]:
    one = f"{path}#0" if path.suffix == ".yaml" else str(path)
    runs = [
        ("list", "--json", "--no-cache", str(path)),
        ("show", str(path)),
        ("show", "--json", str(path)),
        ("export", "--format", "python", one),
        ("export", "--format", "curl", one),
        ("export", "--format", "markdown", one),
        ("diff", "--json", str(path), str(seed)),
        ("diff", str(path), str(seed)),
        ("explain", "--json", "--recording", str(seed), str(tree)),  # the file is in the tree
    ]
    if path.suffix == ".json":
        runs.append(("explain", "--recording", str(path), str(tree)))
    return runs


def check_every_command(path: Path, seed: Path, tree: Path) -> None:
    for command in commands(path, seed, tree):
        status, out, err, peak = run_main(*command)
        where = f"{' '.join(command[:-1])}: {err[-1500:]}"
        assert status in (0, 1, 2), where
        assert "Traceback" not in out + err, where
        assert peak < 256 * MIB, f"{where} traced peak {peak / MIB:.0f} MiB"
        if "--json" in command and command[0] in ("list", "show"):
            rows = [json.loads(line) for line in out.split("\n") if line]  # not splitlines: U+2028
            assert rows and all("\n" not in (row["error"] or "") for row in rows), where


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The seeds, and each generated file while it is checked (explain looks in here)."""
    folder = tmp_path_factory.mktemp("tree")
    (folder / SEED_JSON.name).write_bytes(SEED_JSON.read_bytes())
    (folder / "seed.yaml").write_bytes(SEED_CASSETTE.read_bytes())
    return folder


DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.timeout(240)
@FUZZ
@given(data=json_recordings)
@example(data=recording_bytes("answer", '{"k":[""]}', "\u2028\udc52"))  # a line separator, a lone surrogate
@example(data=recording_bytes("body", DEEP))  # export, diff, explain: RecursionError before the limit
@example(data=recording_bytes("arguments", DEEP))  # export markdown, diff: the same, from the string
def test_generated_json_recordings(tree, data):
    path = tree / "generated.json"
    path.write_bytes(data)
    try:
        check_every_command(path, tree / SEED_JSON.name, tree)
    finally:
        path.unlink()


@pytest.mark.timeout(240)
@FUZZ
@given(data=cassettes)
@example(data=cassette_bytes(0, 64 * 1024, 600, 0, "identity", "{}", ""))  # 39 MB of repeated text
@example(data=cassette_bytes(60, 1, 1, 60, "gzip", DEEP, ""))  # aliases 120 deep, a 1,000-deep body
@example(data=cassette_bytes(0, 1, 0, 0, "gzip", tiny_values(MAX_JSON_VALUES // 2 + 10), ""))
def test_generated_cassettes(tree, data):
    path = tree / "generated.yaml"
    path.write_bytes(data)
    try:
        check_every_command(path, tree / "seed.yaml", tree)
    finally:
        path.unlink()


# ---------------------------------------------------------------------------- real processes

amplifying = st.one_of(
    st.tuples(st.just("gzip"), st.integers(1, 3), st.sampled_from([3_000_000, 11_000_000])),
    st.tuples(st.just("aliases"), st.sampled_from([40, 5000]), st.just(MIB)),
    st.tuples(st.just("nesting"), st.integers(MAX_NESTING - 1, MAX_NESTING + 1), st.integers(500, 1020)),
)


def amplifying_file(folder: Path, spec: tuple[str, int, int]) -> Path:
    kind, a, b = spec
    if kind == "nesting":  # `a` levels in the request body, `b` in the arguments
        obj = json.loads(SEED_JSON.read_text(encoding="utf-8"))
        obj["request"]["body"]["extra"] = SPLICE
        text = json.dumps(obj).replace('"{}"', json.dumps("[" * b + "]" * b))
        path = folder / "nested.json"
        path.write_text(text.replace(json.dumps(SPLICE), "[" * (a - 3) + "]" * (a - 3)))
        return path
    if kind == "gzip":  # `a` bodies of `b` tiny values
        raw = gzip.compress(tiny_values(b).encode(), 9)
        interaction = (
            "- request: {uri: 'https://api.openai.com/v1/chat/completions', method: POST,"
            ' body: \'{"model": "m", "messages": []}\'}\n'
            "  response: {status: {code: 200}, headers: {Content-Encoding: [gzip]},"
            f" body: {{string: !!binary {_base64(raw)}}}}}\n"
        )
        text = "interactions:\n" + interaction * a
    else:  # one string of `b` characters behind `a` aliases
        text = (
            f"shared: &shared [{json.dumps('x' * b)}]\n"
            "interactions:\n"
            "- request: {uri: 'https://api.openai.com/v1/chat/completions', method: POST,"
            f" parsed_body: {{model: m, messages: [], x: [{', '.join(['*shared'] * a)}]}}}}\n"
            "  response: {status: {code: 200}, body: {string: '{}'}}\n"
        )
    path = folder / f"{kind}.yaml"
    path.write_text(text)
    return path


@pytest.mark.timeout(300)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=amplifying)
def test_amplifying_files_in_real_processes_stay_bounded(tmp_path_factory, spec):
    """`show --json` and `export --format python` walk and write out everything a file expands
    to: 4.8 GB and over 19 GB for 5,000 aliases of 1 MB before the limits."""
    folder = tmp_path_factory.mktemp("amplifying")
    path = amplifying_file(folder, spec)
    one = f"{path}#0" if path.suffix == ".yaml" else str(path)
    for command in (("show", "--json", str(path)), ("export", "--format", "python", one)):
        status, out, err, peak = run_limited(*command, cache_dir=folder)
        assert status in (0, 1) and "Traceback" not in err, (spec, command, err[-1500:])
        assert out.strip() or err.strip(), (spec, command)  # a row, an export or its one-line error
        assert peak < 400 * MIB, (spec, command, f"peak RSS {peak / MIB:.0f} MiB")
