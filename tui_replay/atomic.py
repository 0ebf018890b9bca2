"""Writing new files atomically: a temporary file in the same folder, fsync, then the name.

Everything tui-replay writes (exports, live captures) goes through here, and never
over a recording: by default the final name is claimed with `os.link`, which fails
instead of replacing a file that exists (even one created a moment ago).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

# Captures and exports are not secret (keys are never written), so they get the usual
# permissions rather than mkstemp's owner-only 0600.
FILE_MODE = 0o644
EXECUTABLE_MODE = 0o755  # saved shell exports run as `./name.sh`


class _NameTaken(FileExistsError):
    pass


def _claim(temp: str, target: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)
    except FileExistsError:
        raise _NameTaken(f"{target} already exists; not overwriting it") from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise _NameTaken(f"{target} already exists; not overwriting it") from None
        os.replace(temp, target)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # make the new name durable where the OS allows it
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(
    path: str | os.PathLike[str],
    text: str,
    *,
    overwrite: bool = False,
    encoding: str = "utf-8",
    alternatives: int = 0,
    executable: bool = False,
) -> Path:
    """Write `text` to `path` atomically and return the path written.

    Without `overwrite`, an existing file is never replaced: FileExistsError, or with
    `alternatives=N` the first free name of `stem-1.ext` ... `stem-N.ext`. On any
    failure no partial file is left behind. `executable` makes it runnable (mode 0755).
    """
    target = Path(path)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, EXECUTABLE_MODE if executable else FILE_MODE)
        with os.fdopen(fd, "w", encoding=encoding, newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        stem, dot, ext = target.name.partition(".")
        for attempt in range(alternatives + 1):
            candidate = target if attempt == 0 else folder / f"{stem}-{attempt}{dot}{ext}"
            try:
                _claim(temp, candidate, overwrite)
            except _NameTaken:
                if attempt == alternatives:
                    raise FileExistsError(
                        f"{target} already exists; not overwriting it"
                        + (f" (nor {alternatives} alternative names)" if alternatives else "")
                    ) from None
                continue
            _fsync_folder(folder)
            return candidate
        raise AssertionError("unreachable")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
