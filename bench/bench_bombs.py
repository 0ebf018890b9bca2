"""Peak memory of every command on the worst files the default limits admit, and on bombs.

    .venv/bin/python bench/bench_bombs.py [--only NAME ...] [--list]

Writes hostile files into a temporary folder, each a vendored recording or cassette with one
hostile part put in (a file within the default limits: 32 MiB, 5 million JSON values, 100
levels), then runs each command on each file as a whole process (`python -m tui_replay ...`)
through a small wrapper that reads the child's peak RSS with getrusage(RUSAGE_CHILDREN) and
runs it under RLIMIT_AS 4 GiB (a blow-up is a MemoryError, not swapping). Printed per file and
command: the file's size, what the command said (ok / the error row), the peak RSS and its
ratio to the same command on the unmodified seed in the same run (the baseline), and the time.

Target: every peak under 1 GiB (tui_replay/recording/limits.py). The last line says met or
missed, and the script exits 1 when missed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import work_folder  # noqa: E402

from tui_replay.recording.limits import DEFAULT_MAX_SIZE, MAX_JSON_VALUES, MAX_NESTING  # noqa: E402
from tui_replay.recording.yamlsafe import MAX_NODES  # noqa: E402

CORPUS = REPO / "tests" / "data" / "corpus"
# A streamed chat with one tool call; a cassette whose first interaction is a chat completion.
SEED_JSON = CORPUS / (
    "llama-stack/agents/recordings/75ae2f583e3eb3920933f9df9ff65fa5cc639daf97fd7d6b53061146a026cc22.json"
)
SEED_CASSETTE = CORPUS / "cassettes/crewai/test_llm_call_with_string_input.yaml"
TARGET = 1 << 30
ADDRESS_SPACE = 4 << 30
MIB = 1 << 20
DEEP = "the nested lists go here"

# Runs ARGS under RLIMIT_AS; prints the child's peak RSS (KiB) last on stderr. A small process of
# its own: Linux counts the forking process's RSS into a vforked child's ru_maxrss.
_WRAPPER = """
import os, resource, subprocess, sys
limit = int(sys.argv[1])
limited = lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limited)
out, err = proc.communicate()
sys.stdout.buffer.write(out[:3000])
sys.stderr.buffer.write(err[-3000:])
sys.stderr.write(f"\\npeak-rss-kib {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n")
sys.exit(proc.returncode)
"""


# ---------------------------------------------------------------------------- the files


def _seed() -> dict:
    return json.loads(SEED_JSON.read_text(encoding="utf-8"))


def _with_arguments(obj: dict, arguments: str) -> dict:
    for chunk in obj["response"]["body"]:
        for choice in chunk["__data__"]["choices"]:
            for call in choice["delta"].get("tool_calls") or []:
                call["function"]["arguments"] = arguments
    return obj


def _json_with_extra(extra_text: str, answer: str = "") -> bytes:
    """The seed with `extra_text` (JSON) as request.body.extra and `answer` appended to the
    answer: spliced in as text, so that no serializer has to go as deep."""
    obj = _seed()
    obj["request"]["body"]["extra"] = DEEP
    if answer:
        obj["response"]["body"][-1]["__data__"]["choices"][0]["delta"]["content"] = DEEP + "answer"
    text = json.dumps(obj, ensure_ascii=False).replace(json.dumps(DEEP), extra_text, 1)
    return text.replace(DEEP + "answer", answer).encode()


def _count_values(data: bytes) -> int:
    return sum(data.count(byte) for byte in (b"{", b"[", b",", b":"))


def worst_values() -> bytes:
    """5 million tiny values ({"":{}}, the costliest measured) and the rest of 32 MiB a
    non-ASCII answer (4 bytes a character in memory)."""
    seed_values = _count_values(_json_with_extra("0"))
    count = (MAX_JSON_VALUES - seed_values - 100) // 4
    tiny = "[" + '{"":{}},' * count + "0]"
    room = DEFAULT_MAX_SIZE - len(_json_with_extra(tiny)) - 64
    return _json_with_extra(tiny, "😀" + "abcd " * ((room - 4) // 5))


def nested(depth: int) -> bytes:
    return _json_with_extra("[" * depth + "]" * depth)


def arguments_file(arguments: str) -> bytes:
    return json.dumps(_with_arguments(_seed(), arguments)).encode()


def values_in_arguments() -> bytes:
    """Tool-call arguments holding as many tiny values as the file may: JSON parsed from a string."""
    count = (MAX_JSON_VALUES - _count_values(SEED_JSON.read_bytes()) - 100) // 2
    return arguments_file("[" + "{}," * count + "{}]")


def _cassette(interactions: list[dict]) -> bytes:
    return yaml.safe_dump({"interactions": interactions, "version": 1}, sort_keys=False).encode()


def _interaction() -> dict:
    return yaml.safe_load(SEED_CASSETTE.read_text(encoding="utf-8"))["interactions"][0]


def _gzip_interaction(inflated: bytes) -> dict:
    interaction = _interaction()
    interaction["response"]["headers"]["Content-Encoding"] = ["gzip"]
    interaction["response"]["body"] = {"string": gzip.compress(inflated, 9)}
    return interaction


def gzip_bombs() -> bytes:
    """Three 32 KB gzip bodies of 33 MB of `[{},…]` each (the issue's 1.8 GB cassette)."""
    return _cassette([_gzip_interaction(b"[" + b"{}," * 11_000_000 + b"{}]") for _ in range(3)])


def gzip_within() -> bytes:
    """One gzip body inflating to as many `{"":{}}` values as the file may still hold."""
    count = (MAX_JSON_VALUES - 1000) // 4
    return _cassette([_gzip_interaction(b"[" + b'{"":{}},' * count + b"0]")])


def json_body_within() -> bytes:
    """An uncompressed JSON body (a YAML string) of as many tiny values as the file may hold."""
    interaction = _interaction()
    count = (MAX_JSON_VALUES - 1000) // 4
    interaction["response"]["body"] = {"string": "[" + '{"":{}},' * count + "0]"}
    return _cassette([interaction])


def sse_within() -> bytes:
    """A streamed body of as many `data:` events as the file's values allow (each is an
    event, a line and a wrapper once read)."""
    interaction = _interaction()
    interaction["request"]["body"] = '{"model": "gpt-4o", "messages": [], "stream": true}'
    interaction["response"]["headers"]["Content-Type"] = ["text/event-stream"]
    event = 'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n'
    per_event = _count_values(event.encode()) + 4
    interaction["response"]["body"] = {"string": event * ((MAX_JSON_VALUES - 1000) // per_event)}
    return _cassette([interaction])


def _alias_interaction(copies: int) -> dict:
    interaction = _interaction()
    interaction["request"].pop("body")
    shared = ["x" * MIB]  # one list: safe_dump writes it once and then aliases it
    interaction["request"]["parsed_body"] = {"model": "gpt-4o", "messages": [], "notes": [shared] * copies}
    return interaction


def alias_fan_out() -> bytes:
    """A 1 MB string behind 5,000 aliases (the issue's: show --json took 4.8 GB)."""
    return _cassette([_alias_interaction(5000)])


def alias_within() -> bytes:
    """As much aliased text as the file may repeat: 31 MiB."""
    return _cassette([_alias_interaction(DEFAULT_MAX_SIZE // MIB - 1)])


def yaml_nodes_within() -> bytes:
    """A YAML flow list of as many empty mappings as a cassette may hold (composed by us)."""
    interaction = yaml.safe_dump({"interactions": [_interaction()]}, sort_keys=False).encode()
    return interaction + b"padding: [" + b"{}," * (MAX_NODES - 1000) + b"{}]\n"


def yaml_nodes_over() -> bytes:
    """Five million: refused once the composer is past the limit."""
    interaction = yaml.safe_dump({"interactions": [_interaction()]}, sort_keys=False).encode()
    return interaction + b"padding: [" + b"{}," * MAX_JSON_VALUES + b"{}]\n"


FILES: dict[str, Callable[[], bytes]] = {
    "seed.json": SEED_JSON.read_bytes,  # the baseline
    "seed.yaml": SEED_CASSETTE.read_bytes,  # the baseline of the cassettes
    "worst_values.json": worst_values,
    "nested_at_limit.json": lambda: nested(MAX_NESTING - 3),
    "nested_1000.json": lambda: nested(1000),
    "deep_arguments.json": lambda: arguments_file("[" * 1000 + "]" * 1000),
    "values_in_arguments.json": values_in_arguments,
    "gzip_bombs.yaml": gzip_bombs,
    "gzip_within.yaml": gzip_within,
    "json_body_within.yaml": json_body_within,
    "sse_within.yaml": sse_within,
    "alias_fan_out.yaml": alias_fan_out,
    "alias_within.yaml": alias_within,
    "yaml_nodes_within.yaml": yaml_nodes_within,
    "yaml_nodes_over.yaml": yaml_nodes_over,
}


# ---------------------------------------------------------------------------- the commands


def commands(path: Path, seed: Path) -> list[tuple[str, list[str]]]:
    """(label, arguments) of every command on `path`; a cassette's first interaction where
    the command takes one recording (diff takes files: the cassette against the seed's)."""
    one = f"{path}#0" if path.suffix == ".yaml" else str(path)
    seed = seed.with_suffix(path.suffix)
    runs = [
        ("list", ["list", "--json", "--no-cache", str(path)]),
        ("show", ["show", str(path)]),
        ("show --json", ["show", "--json", str(path)]),
        *(
            (f"export {fmt}", ["export", "--format", fmt, one])
            for fmt in ("curl", "python", "markdown", "rerecord")
        ),
        ("diff", ["diff", str(path), str(seed)]),
        ("diff --json", ["diff", "--json", str(path), str(seed)]),
    ]
    if path.suffix == ".json":  # explain reads llama-stack recordings
        runs.append(("explain --recording", ["explain", "--recording", str(path), str(path.parent / "tree")]))
    return runs


def run(args: list[str], cache: Path) -> tuple[int, int, float, str]:
    """(exit status, peak RSS in bytes, seconds, what it said) of `python -m tui_replay ARGS`:
    a traceback's last line, else the first error reason, else "ok"."""
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(cache), PYTHONPATH=str(REPO), COLUMNS="120")
    env.pop("TUI_REPLAY_MAX_SIZE", None)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(ADDRESS_SPACE), sys.executable, "-m", "tui_replay", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    err = result.stderr.decode("utf-8", "replace").rstrip()
    head, _, last = err.rpartition("\n")
    peak = int(last.split()[1]) * 1024 if last.startswith("peak-rss-kib") else 0
    if "Traceback" in head or "Error:" in head:
        return result.returncode, peak, elapsed, "CRASH " + head.strip().splitlines()[-1]
    out = result.stdout.decode("utf-8", "replace")
    reason = re.search(
        r'"error":\s*"([^"]+)"|(nesting too deep[^\n]*|too many [^\n]*|YAML [^\n]*)', out + head
    )
    return result.returncode, peak, elapsed, (reason.group(1) or reason.group(2)) if reason else "ok"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these files (see --list)")
    parser.add_argument("--list", action="store_true", help="list the files and exit")
    args = parser.parse_args()
    if args.list:
        print("\n".join(name for name in FILES if not name.startswith("seed")))
        return 0
    names = [name for name in FILES if not name.startswith("seed") and (not args.only or name in args.only)]
    missed: list[str] = []
    worst = 0
    with work_folder("tui-replay-bombs-") as work:
        cache = work / "cache"
        tree = work / "tree"  # what explain looks in: the seed
        tree.mkdir()
        (tree / SEED_JSON.name).write_bytes(SEED_JSON.read_bytes())
        seeds = {}
        for name in ("seed.json", "seed.yaml", *names):
            (work / name).write_bytes(FILES[name]())
        for suffix in (".json", ".yaml"):
            seed = work / f"seed{suffix}"
            seeds[suffix] = {label: run(argv, cache)[1] for label, argv in commands(seed, work / "seed.json")}
        print(f"target: every peak RSS under {TARGET >> 20} MiB; baseline: the same command on the seed")
        print(
            f"{'file':26} {'size':>9} {'command':20} {'exit':>4} {'peak':>9} {'x seed':>7} {'time':>7}  said"
        )
        for name in names:
            path = work / name
            size = path.stat().st_size
            for label, argv in commands(path, work / "seed.json"):
                status, peak, elapsed, said = run(argv, cache)
                baseline = seeds[path.suffix][label]
                worst = max(worst, peak)
                if peak >= TARGET or peak == 0 or said.startswith("CRASH"):
                    missed.append(f"{name} {label}")
                print(
                    f"{name:26} {size / MIB:7.1f}Mi {label:20} {status:>4} {peak / MIB:7.0f}Mi "
                    f"{peak / baseline:6.1f}x {elapsed:6.1f}s  {said[:70]}"
                )
    verdict = "missed" if missed else "met"
    print(f"worst peak: {worst / MIB:.0f} MiB against the {TARGET >> 20} MiB target: {verdict}")
    for item in missed:
        print(f"  missed: {item}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
