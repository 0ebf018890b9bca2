"""`text:` search against grep, whole processes, on a big real tree.

    .venv/bin/python bench/bench_index.py --tree /work/tree100k [--word polyjuice] [--rounds 3]
    .venv/bin/python bench/bench_index.py --real DIR --files 100000

--tree DIR searches a tree in place (never written: the bench's tree is links to its top-level
entries, plus one folder of its own holding the file it changes); --real DIR copies a real tree
(bench/common.py); neither: the vendored corpus, replicated. Measured in the same run, rounds
interleaved, medians:

  grep      `grep -rliF WORD TREE` (the baseline; its first run fills the page cache)
  build     the first `tui-replay list --json --filter text:WORD TREE` after a `list --json`
            (rows cached, no text stored: every file is read for its text by worker processes,
            the texts stored, then tested with `instr`); once per round, each from a copy of
            the database the listing left, between two greps
  warm      the same query again (texts up to date; headless never fills the trigram index)
  changed   the same query after one file was rewritten in place
  app       in-process, the data layer of a keystroke in the app: `Catalog.text_search(roots,
            assume_fresh=True)` asked, then every loaded row tested (the watcher keeps the index
            current, so no stat pass): before the trigram index is filled (every text tested
            with `instr`), and after (`SummaryCache.build_text_index`, what the app does on a
            thread after its first `text:` query; its time and CPU are printed)
  indexed   `warm` again, with the trigram index filled (a tree the app searched once)

and the database: its size with rows only, with the texts, with the trigram index, against the
size of the text stored.

Targets (issue 21): build <= 5x grep, warm <= 0.3x grep (and changed, indexed: the same), app
<= 150 ms once the trigram index is filled (keystroke to rows: the table's redraw comes on top,
see bench_app_filter.py); before, printed, no target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_list import run_measured  # noqa: E402
from common import add_tree_options, make_tree, verdict, work_folder  # noqa: E402

from tui_replay.catalog.cache import CACHE_FOLDER, DB_NAME  # noqa: E402

BUILD_TARGET, WARM_TARGET, APP_TARGET_MS = 5.0, 0.3, 150.0


def linked_tree(source: Path, target: Path) -> tuple[Path, Path]:
    """A tree that is `source` (its top-level entries linked) plus a folder of the bench's own
    with one real recording of `source` in it; returns (that file, the bench's folder)."""
    target.mkdir()
    for entry in sorted(os.scandir(source), key=lambda entry: entry.name):
        os.symlink(entry.path, target / entry.name)
    own = target / "zz-bench-own" / "recordings"
    own.mkdir(parents=True)
    first = next(path for path in sorted(source.rglob("*.json")) if "recordings" in path.parts)
    changed = own / first.name
    shutil.copyfile(first, changed)
    return changed, own.parent


def rewrite_in_place(path: Path) -> None:
    """The same recording written again into the same file (a trailing newline added or taken
    off): its folder does not change, only the file's size, mtime and ctime."""
    data = path.read_bytes()
    with open(path, "wb") as handle:  # truncated and written: the same inode
        handle.write(data[:-1] if data.endswith(b"\n") else data + b"\n")


def grep_seconds(word: str, grep_roots: list[str]) -> float:
    start = time.perf_counter()
    # grep exits 1 when nothing matched: not a failure here.
    subprocess.run(["grep", "-rliF", word, *grep_roots], stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def database_size(cache_dir: Path) -> int:
    folder = cache_dir / CACHE_FOLDER
    return sum(path.stat().st_size for path in folder.iterdir() if path.name.startswith(DB_NAME))


def text_size(cache_dir: Path) -> int:
    conn = sqlite3.connect(cache_dir / CACHE_FOLDER / DB_NAME)
    try:
        return conn.execute("SELECT coalesce(sum(length(CAST(body AS BLOB))), 0) FROM texts").fetchone()[0]
    finally:
        conn.close()


def app_query(tree: Path, cache_dir: Path, word: str) -> dict[str, float]:
    """In this process, as the app does after loading with the watcher on: ms to ask the index
    and test every row, before and after the trigram index is filled (and the index query alone
    after); the seconds and CPU seconds the fill took; the rows found."""
    os.environ["TUI_REPLAY_CACHE_DIR"] = str(cache_dir)
    from tui_replay.catalog.catalog import Catalog

    catalog = Catalog()
    rows = catalog.scan([str(tree)])
    catalog.prepare_index([str(tree)])  # done once per app session (the watcher keeps it current)
    search = catalog.text_search([str(tree)], assume_fresh=True)
    assert catalog.cache is not None

    def keystroke() -> tuple[float, int]:
        start = time.perf_counter()
        matches = search(word)
        found = sum(1 for row in rows if matches(row))
        return time.perf_counter() - start, found

    before = statistics.median(keystroke()[0] for _ in range(3)) * 1000
    start, cpu = time.perf_counter(), time.process_time()
    filled = catalog.cache.build_text_index()
    fill_s, fill_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert filled
    whole, alone, found = [], [], 0
    for _ in range(5):
        seconds, found = keystroke()
        whole.append(seconds)
        start = time.perf_counter()
        catalog.cache.search(word, [os.path.abspath(tree)])
        alone.append(time.perf_counter() - start)
    catalog.save()
    return {
        "before_ms": before,
        "after_ms": statistics.median(whole) * 1000,
        "index_ms": statistics.median(alone) * 1000,
        "fill_s": fill_s,
        "fill_cpu": fill_cpu,
        "found": found,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_tree_options(parser, rounds=3)
    parser.add_argument("--tree", type=Path, help="search this tree in place (read only)")
    parser.add_argument("--word", default="polyjuice")
    options = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1, 5, 15 min)")

    with work_folder("tui-replay-bench-index-") as work:
        tree = work / "tree"
        if options.tree is not None:
            changed, own = linked_tree(options.tree.resolve(), tree)
            grep_roots = [str(options.tree), str(own)]  # (grep -r follows no links: the same files)
            files = sum(1 for _ in options.tree.rglob("*.json")) + 1
            print(f"tree: {files:,} files: {options.tree} (in place) and one file of the bench's own")
        else:
            print(make_tree(options, tree))
            changed = next(path for path in sorted(tree.rglob("*.json")))
            grep_roots = [str(tree)]
        cache_dir = work / "cache"
        env = dict(os.environ, PYTHONPATH=str(REPO), TUI_REPLAY_CACHE_DIR=str(cache_dir))
        # Byte code kept, as in any install (the first run, the cold listing, compiles it).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        cli = [sys.executable, "-m", "tui_replay", "list", "--json"]
        query = [*cli, "--filter", f"text:{options.word}", str(tree)]

        grep_seconds(options.word, grep_roots)  # the page cache holds the tree from here on
        cold, _ = run_measured([*cli, str(tree)], env)
        before_index = database_size(cache_dir)
        # The first query, once per round: each from a copy of the database as the listing left
        # it, between two greps (one first query against a median of greps taken minutes apart
        # measured the machine's load as much as the query).
        listed = work / "cache-listed"
        shutil.copytree(cache_dir, listed)
        greps, builds, build_cpus = [grep_seconds(options.word, grep_roots)], [], []
        for round_ in range(options.rounds):
            if round_:
                shutil.rmtree(cache_dir)
                shutil.copytree(listed, cache_dir)
            seconds, cpu = run_measured(query, env)
            builds.append(seconds)
            build_cpus.append(cpu)
            greps.append(grep_seconds(options.word, grep_roots))
        build, build_cpu = statistics.median(builds), statistics.median(build_cpus)
        warm, after_change = [], []
        for _ in range(options.rounds):
            greps.append(grep_seconds(options.word, grep_roots))
            warm.append(run_measured(query, env)[0])
        # (After the warm rounds: a file's stat taken less than 2 s after it changed is not kept,
        # so the query after the one that read it again reads it once more.)
        for _ in range(options.rounds):
            rewrite_in_place(changed)
            after_change.append(run_measured(query, env)[0])
            greps.append(grep_seconds(options.word, grep_roots))
        after_texts, texts = database_size(cache_dir), text_size(cache_dir)
        app = app_query(tree, cache_dir, options.word)
        after_index = database_size(cache_dir)
        indexed = []
        for _ in range(options.rounds):
            greps.append(grep_seconds(options.word, grep_roots))
            indexed.append(run_measured(query, env)[0])
        grep = statistics.median(greps)

        warm_s, changed_s = statistics.median(warm), statistics.median(after_change)
        indexed_s = statistics.median(indexed)
        print(f"rounds: {options.rounds} (medians); whole processes; grep -rliF {options.word}: {grep:.2f} s")
        rows = (
            ("cold `list --json` (rows cached, no text stored)", cold, ""),
            (
                f"first `list --json --filter text:{options.word}` (build)",
                build,
                f"  CPU {build_cpu:.1f} s (its workers too); rounds {' '.join(f'{b:.2f}' for b in builds)} s",
            ),
            ("the same, texts up to date (instr)", warm_s, ""),
            ("the same, one file rewritten in place", changed_s, ""),
            ("the same, trigram index filled", indexed_s, ""),
        )
        for label, seconds, note in rows:
            print(f"{label:<56} {seconds:7.2f} s  {seconds / grep:5.2f}x grep{note}")
        print(
            f"app (in-process): index asked, {app['found']:,} rows found among all:"
            f" {app['before_ms']:.1f} ms before the trigram index is filled, {app['after_ms']:.1f} ms after"
        )
        print(f"  (the index query alone {app['index_ms']:.1f} ms)")
        print(
            f"  filling the trigram index (the app's thread): {app['fill_s']:.2f} s,"
            f" {app['fill_cpu']:.2f} CPU-s"
        )
        print(
            f"database: {before_index / 1e6:.0f} MB of rows, {after_texts / 1e6:.0f} MB with the texts,"
            f" {after_index / 1e6:.0f} MB with the trigram index"
        )
        print(
            f"text stored {texts / 1e6:.0f} MB: texts and index take"
            f" {(after_index - before_index) / max(texts, 1):.2f}x the text"
        )
        verdict("first text: query (texts stored) vs grep", build / grep, BUILD_TARGET, "x")
        verdict("text: query, texts up to date, vs grep", warm_s / grep, WARM_TARGET, "x")
        verdict("text: query after one file rewritten in place, vs grep", changed_s / grep, WARM_TARGET, "x")
        verdict("text: query, trigram index filled, vs grep", indexed_s / grep, WARM_TARGET, "x")
        verdict(
            "app text: query, data layer (no stat pass), index filled", app["after_ms"], APP_TARGET_MS, " ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
