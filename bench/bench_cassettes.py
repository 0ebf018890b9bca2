"""Listing vcr cassettes against a bare PyYAML load of the same files, measured in the same run.

    .venv/bin/python bench/bench_cassettes.py [--files 2000] [--rounds 5]

Copies the corpus cassettes (tests/data/corpus/cassettes) round-robin into a temporary
tree of --files cassettes under `cassettes/<project>/`, then measures, rounds interleaved,
medians reported:

  baseline  read + yaml.load(Loader=CSafeLoader) of every file (paths known: no scan)
  cold      the real catalog without cache (= `list --no-cache`): scan, safe YAML, one row
            per interaction
  warm      the real catalog with its cache populated (= a second `list`)
  process   `python -m tui_replay list --json --no-cache TREE` end to end (a subprocess),
            against a subprocess that imports yaml and does the baseline

Target: cold/baseline <= 2.0 (and the process within 2x of its baseline process).

Then the same cold/baseline ratio per kind of cassette (--files/4 copies of each): vcrpy HTTP,
xAI gRPC (`request_sample`, `request_stream`, `collections_method`), realtime websocket
sessions (`kind: message` frames) and empty ones (`interactions: []`). These run the catalog in
one process (`jobs=1`), like the baseline: on 500 tiny files the helper processes' start-up
alone would be most of the time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from common import timed, work_folder  # noqa: E402

from tui_replay.catalog.catalog import Catalog  # noqa: E402

CASSETTES = REPO / "tests" / "data" / "corpus" / "cassettes"
TARGET = 2.0
_BASELINE_SCRIPT = """
import sys, yaml
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        yaml.load(handle.read(), Loader=yaml.CSafeLoader)
"""


def kind_of(source: Path) -> str:
    """Which kind of cassette a corpus file is, from its first interaction's keys."""
    interactions = yaml.load(source.read_bytes(), Loader=yaml.CSafeLoader)["interactions"]
    if not interactions:
        return "empty"
    first = interactions[0]
    if "kind" in first:
        return "realtime"
    return "http" if "request" in first else "grpc"


def replicate(target: Path, count: int, sources: list[Path] | None = None) -> list[str]:
    """`count` cassettes copied round-robin from `sources` (default: the whole corpus)."""
    sources = sources or sorted(CASSETTES.rglob("*.yaml"))
    paths = []
    for number in range(count):
        source = sources[number % len(sources)]
        folder = target / "cassettes" / source.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{source.stem}__copy{number:05d}.yaml"
        shutil.copyfile(source, path)
        paths.append(str(path))
    return paths


def yaml_baseline(paths: list[str]) -> None:
    for path in paths:
        with open(path, "rb") as handle:
            yaml.load(handle.read(), Loader=yaml.CSafeLoader)


def run(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{args[:4]} failed: {proc.stderr.decode(errors='replace')}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    if not yaml.__with_libyaml__:
        print("note: PyYAML has no libyaml here; the baseline is the pure-Python loader")

    with work_folder("tui-replay-bench-cassettes-") as work:
        tree = work / "tree"
        paths = replicate(tree, options.files)
        size = sum(os.path.getsize(p) for p in paths)
        cache_dir = work / "cache"
        rows = Catalog(cache_dir=str(cache_dir)).scan([str(tree)])  # populate the cache
        errors = sum(row.status != "ok" for row in rows)
        print(f"{len(paths)} cassettes, {size / 1e6:.1f} MB, {len(rows)} rows ({errors} error rows)")
        results: dict[str, list[float]] = {
            "baseline": [],
            "cold": [],
            "warm": [],
            "process": [],
            "base_proc": [],
        }
        for _ in range(options.rounds):
            results["baseline"].append(timed(lambda: yaml_baseline(paths)))
            results["cold"].append(timed(lambda: Catalog(use_cache=False).scan([str(tree)])))
            results["warm"].append(timed(lambda: Catalog(cache_dir=str(cache_dir)).scan([str(tree)])))
        for _ in range(max(1, options.rounds // 2)):
            results["process"].append(
                run([sys.executable, "-m", "tui_replay", "list", "--json", "--no-cache", str(tree)])
            )
            results["base_proc"].append(run([sys.executable, "-c", _BASELINE_SCRIPT, *paths]))

    median = {name: statistics.median(values) for name, values in results.items()}
    cold_ratio = median["cold"] / median["baseline"]
    process_ratio = median["process"] / median["base_proc"]
    print(f"baseline  yaml.load(CSafeLoader)   {median['baseline']:.3f} s")
    warm_ratio = median["warm"] / median["baseline"]
    print(f"cold      catalog, no cache         {median['cold']:.3f} s  ratio {cold_ratio:.2f} (<= {TARGET})")
    print(f"warm      catalog, cache populated  {median['warm']:.3f} s  ratio {warm_ratio:.2f}")
    print(f"process   list --json --no-cache    {median['process']:.3f} s  "
          f"vs baseline process {median['base_proc']:.3f} s: ratio {process_ratio:.2f}")  # fmt: skip
    ok = cold_ratio <= TARGET and process_ratio <= TARGET and errors == 0
    by_kind: dict[str, list[Path]] = {}
    for source in sorted(CASSETTES.rglob("*.yaml")):
        by_kind.setdefault(kind_of(source), []).append(source)
    for kind, sources in sorted(by_kind.items()):
        with work_folder(f"tui-replay-bench-cassettes-{kind}-") as work:
            tree = work / "tree"
            kind_paths = replicate(tree, max(options.files // 4, len(sources)), sources)
            kind_rows = Catalog(use_cache=False, jobs=1).scan([str(tree)])
            kind_errors = sum(row.status != "ok" for row in kind_rows)
            base, cold = [], []
            for _ in range(options.rounds):
                base.append(timed(lambda paths=kind_paths: yaml_baseline(paths)))
                cold.append(timed(lambda tree=tree: Catalog(use_cache=False, jobs=1).scan([str(tree)])))
        ratio = statistics.median(cold) / statistics.median(base)
        print(f"  {kind:<9} {len(sources):>3} sources, {len(kind_paths)} files, {len(kind_rows)} rows "
              f"({kind_errors} errors): cold {statistics.median(cold):.3f} s / baseline "
              f"{statistics.median(base):.3f} s = ratio {ratio:.2f}")  # fmt: skip
        ok = ok and ratio <= TARGET and kind_errors == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
