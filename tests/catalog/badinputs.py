"""Hostile files for the catalog and the headless commands (made fresh in a temporary folder).

Every `ERROR_CASES` file must give one error row with a one-line reason; every
`SKIPPED_CASES` path is not a regular file and must be passed over by a folder scan.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SPARSE_SIZE = 2 << 30  # 2 GiB, made with truncate: no data is written

ERROR_CASES = (
    "empty.json",
    "truncated.json",
    "binary.json",
    "latin1.json",
    "nan.json",
    "wrong_types.json",
    "deep.json",
    "not_a_recording.json",
    "array.json",
    "sparse.json",
)
SKIPPED_CASES = ("fifo.json", "folder.json", "loop", "self_loop.json")


def make_bad_inputs(folder: Path) -> dict[str, Path]:
    """Write every case into `folder`; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "empty.json": b"",
        "truncated.json": b'{"test_id": "tests/x.py::t", "request": {"method": "POST", "url": "http://h/v1/chat/comp',
        "binary.json": bytes(range(256)) * 8,
        "latin1.json": '{"test_id": "caf\xe9", "request": {}, "response": {}}'.encode("latin-1"),
        "nan.json": b'{"test_id": NaN, "request": {"body": NaN}, "response": {"body": Infinity}}',
        "wrong_types.json": b'{"test_id": 5, "request": [1, 2], "response": "yes"}',
        "deep.json": b"[" * 200_000 + b"]" * 200_000,
        "not_a_recording.json": b'{"hello": "world", "items": [1, 2, 3]}',
        "array.json": b"[1, 2, 3]",
    }
    paths = {}
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths[name] = path
    sparse = folder / "sparse.json"
    with open(sparse, "wb") as handle:
        handle.truncate(SPARSE_SIZE)
    paths["sparse.json"] = sparse
    fifo = folder / "fifo.json"
    os.mkfifo(fifo)
    paths["fifo.json"] = fifo
    self_loop = folder / "self_loop.json"
    self_loop.symlink_to("self_loop.json")  # ELOOP when followed
    paths["self_loop.json"] = self_loop
    loop = folder / "loop"
    loop.symlink_to(".", target_is_directory=True)  # a folder that contains itself
    paths["loop"] = loop
    folder_json = folder / "folder.json"
    folder_json.mkdir()
    paths["folder.json"] = folder_json
    return paths


def fingerprint(paths: dict[str, Path]) -> dict[str, tuple]:
    """(size, mtime_ns, sha256) of every regular file, to prove nothing was modified.

    The sparse file is fingerprinted by size and mtime only: hashing it would read 2 GiB.
    """
    prints: dict[str, tuple] = {}
    for name, path in paths.items():
        if not path.is_file() or path.is_symlink():
            continue
        st = path.stat()
        digest = "" if st.st_size > 1 << 20 else hashlib.sha256(path.read_bytes()).hexdigest()
        prints[name] = (st.st_size, st.st_mtime_ns, digest)
    return prints
