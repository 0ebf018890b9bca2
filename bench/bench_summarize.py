"""summarize_file speed against read + orjson.loads, measured in the same run.

    .venv/bin/python bench/bench_summarize.py [--files 3000] [--mb 80] [--rounds 9] [--full]

Replicates the vendored corpus into a temporary tree with the real size profile
(bench/corpus.py), then times, rounds interleaved (order alternating), over the same files:

  baseline   open + read + orjson.loads of every file
  parse      tui_replay's own read (one os.read) + parse_json, no summary: the floor
  summarize  tui_replay.recording.summary.summarize_file of every file (the catalog's per-file work)
  full       tui_replay.recording.load.load_recording (the whole assembler, for reference; --full)

Prints the median of each, wall clock and CPU time of this process, and the median of the
per-round summarize/baseline ratios. On a shared machine the CPU-time ratio is the steadier
one (time spent waiting for a core is not in it). Target: summarize/baseline <= 1.5
(the catalog's cold listing adds its scan on top of this).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import replicate  # noqa: E402

from tui_replay.recording.load import load_recording, parse_json, read_bytes_stat  # noqa: E402
from tui_replay.recording.summary import summarize_file  # noqa: E402


def baseline(files: list[Path]) -> None:
    for path in files:
        with open(path, "rb") as handle:
            orjson.loads(handle.read())


def parse(files: list[Path]) -> None:
    for path in files:
        parse_json(read_bytes_stat(path)[0])


def summarize(files: list[Path]) -> None:
    for path in files:
        summarize_file(path)


def full(files: list[Path]) -> None:
    for path in files:
        load_recording(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--mb", type=float, default=80.0)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--full", action="store_true", help="also time the full assembler")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tui-replay-bench-") as tmp:
        root = Path(tmp)
        replicate(root, total_files=args.files, total_bytes=int(args.mb * 1_000_000))
        files = sorted(root.rglob("*.json"))
        size = sum(p.stat().st_size for p in files)
        print(f"{len(files)} files, {size / 1e6:.1f} MB")
        steps = [baseline, parse, summarize] + ([full] if args.full else [])
        baseline(files)  # warm the page cache
        wall: dict[str, list[float]] = {step.__name__: [] for step in steps}
        cpu: dict[str, list[float]] = {step.__name__: [] for step in steps}
        for round_number in range(args.rounds):
            for step in steps if round_number % 2 == 0 else steps[::-1]:
                start_wall, start_cpu = time.perf_counter(), time.process_time()
                step(files)
                wall[step.__name__].append(time.perf_counter() - start_wall)
                cpu[step.__name__].append(time.process_time() - start_cpu)
        for label, times in (("wall", wall), ("cpu", cpu)):
            base = statistics.median(times["baseline"])
            print(f"{label}:")
            for name, values in times.items():
                median = statistics.median(values)
                print(f"  {name:10s} median {median:.3f} s   ratio {median / base:.2f}")
            per_round = [s / b for s, b in zip(times["summarize"], times["baseline"], strict=True)]
            print(
                f"  summarize/baseline per round: median {statistics.median(per_round):.2f} "
                f"[{min(per_round):.2f} .. {max(per_round):.2f}] (target <= 1.5)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
