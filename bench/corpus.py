"""Replicate the vendored corpus into a tree shaped like the real llama-stack one (for benchmarks).

The vendored corpus (tests/data/corpus) has ~200 files; the real tree at HEAD has 3,162 files, 87.4 MB
(recordings-format.md §2.1, §2.3, §12). This copies corpus files, under distinct
64-hex names, into `<dir>/recordings/` folders with the real per-folder counts scaled
to the requested total, and keeps the real size profile: about 1 % of files over
300 KB (the long streams and base64 images), the rest cycled per folder, then topped
up with mid-sized files until the byte target is reached. Deterministic.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import defaultdict
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus"

# Files per folder at HEAD (recordings-format.md §2.1): 3,162 in all.
REAL_FOLDER_COUNTS = {
    "responses": 1867,
    "agents": 864,
    "inference": 205,
    "common": 73,
    "safety": 46,
    "interactions": 26,
    "messages": 24,
    "tool_runtime": 22,
    "vector_io": 9,
    "openresponses": 7,
    "files": 6,
    "telemetry": 6,
    "batches": 5,
    "providers": 1,
    "providers/nvidia": 1,
}
REAL_FILES = sum(REAL_FOLDER_COUNTS.values())
BIG = 300_000  # p99 of the real sizes
BIG_SHARE = 0.01


def _folder_of(path: Path, corpus: Path) -> str:
    """`llama-stack/providers/nvidia/recordings/x.json` -> "providers/nvidia"."""
    parts = path.relative_to(corpus).parts[1:]
    if "recordings" in parts:
        index = parts.index("recordings")
        if index > 0:
            return "/".join(parts[:index])
    return "responses"  # the 2025-10 legacy `recordings/responses/` files


def corpus_files(corpus: Path = CORPUS) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(corpus.rglob("*.json")):
        groups[_folder_of(path, corpus)].append(path)
    return groups


def plan(
    total_files: int = 3000, total_bytes: int = 80_000_000, corpus: Path = CORPUS
) -> list[tuple[Path, str]]:
    """(source file, target folder) pairs; sources repeat."""
    groups = corpus_files(corpus)
    if not groups:
        raise SystemExit(f"no corpus at {corpus}")
    everything = [path for paths in groups.values() for path in paths]
    size = {path: path.stat().st_size for path in everything}
    big = [path for path in everything if size[path] > BIG]
    picks: list[tuple[Path, str]] = []
    # ~1 % big files, cycled over the big ones, each in its own folder.
    for index in range(round(total_files * BIG_SHARE)):
        path = big[index % len(big)]
        picks.append((path, _folder_of(path, corpus)))
    # The rest per folder, in the real proportions, cycling over that folder's ordinary files.
    remaining = total_files - len(picks)
    for folder, count in REAL_FOLDER_COUNTS.items():
        ordinary = [path for path in groups.get(folder, []) if size[path] <= BIG] or [
            path for path in groups["responses"] if size[path] <= BIG
        ]
        for index in range(round(remaining * count / REAL_FILES)):
            picks.append((ordinary[index % len(ordinary)], folder))
    # Top up (or trim) to the byte target with mid-sized files: the real median is 11.5 KB,
    # the corpus median 3.8 KB, so the count alone gives too few bytes.
    mid = sorted((path for path in everything if 20_000 <= size[path] <= BIG), key=lambda p: size[p])
    current = sum(size[path] for path, _ in picks)
    small_slots = [i for i, (path, _) in enumerate(picks) if size[path] < 20_000]
    cursor = 0
    while current < total_bytes and small_slots:
        slot = small_slots.pop()
        old, folder = picks[slot]
        new = mid[cursor % len(mid)]
        cursor += 1
        picks[slot] = (new, folder)
        current += size[new] - size[old]
    return picks


def replicate(target: Path, total_files: int = 3000, total_bytes: int = 80_000_000) -> tuple[int, int]:
    """Write the tree under `target`; returns (files, bytes)."""
    files = written = 0
    for index, (source, folder) in enumerate(plan(total_files, total_bytes)):
        name = hashlib.sha256(f"{source.name}:{index}".encode()).hexdigest()
        if source.name.startswith("models-"):
            name = f"models-{name}-{index:08x}"
        out = target / folder / "recordings" / f"{name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out)
        files += 1
        written += os.path.getsize(out)
    return files, written


def copy_real_tree(source: Path, target: Path, copies: int) -> tuple[int, int]:
    """Copy every recording of a real tree (a llama-stack checkout, or any folder) `copies` times
    under `target/copy-NN/`, keeping its layout, so file sizes, shapes and text are the real ones.
    Returns (files, bytes)."""
    recordings = sorted(path for path in source.rglob("*.json") if "recordings" in path.parts)
    if not recordings:
        raise SystemExit(f"no recordings/*.json under {source}")
    files = written = 0
    for copy in range(copies):
        for path in recordings:
            out = target / f"copy-{copy + 1:02d}" / path.relative_to(source)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out)
            files += 1
            written += os.path.getsize(out)
    return files, written


if __name__ == "__main__":
    import sys
    import tempfile

    where = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="tui-replay-corpus-"))
    count, size = replicate(where)
    print(f"{count} files, {size / 1e6:.1f} MB in {where}")
