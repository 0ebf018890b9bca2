"""The on-disk cache of summaries, so a second listing of a big tree is near instant.

One JSON file in the user cache directory (`platformdirs.user_cache_dir("tui-replay")`,
or `$TUI_REPLAY_CACHE_DIR`), keyed by absolute path and checked against the file's size
and mtime_ns. The file is rewritten only when something changed, atomically (a temporary
file in the same folder, then `os.replace`). A cache that is missing, corrupt, from an
older schema or written for another `Summary` shape is ignored and rebuilt.
Entries under a scanned folder that this run did not see are dropped on save, and the
whole file is capped at MAX_ENTRIES, so the cache cannot grow without bound.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Iterable

import orjson

from tui_replay import __version__
from tui_replay.recording.model import Summary

# Bump when the meaning of cached values changes without the Summary fields changing.
SCHEMA = 1
CACHE_FILE_NAME = f"summaries-v{SCHEMA}.json"
CACHE_DIR_ENV = "TUI_REPLAY_CACHE_DIR"
MAX_ENTRIES = 200_000

# Everything but `path` is stored; the path is the key (and is re-set on the way out).
_STORED_FIELDS = tuple(f.name for f in dataclasses.fields(Summary) if f.name != "path")
_STATUS_INDEX = _STORED_FIELDS.index("status")
assert dataclasses.fields(Summary)[0].name == "path"


def default_cache_dir() -> str:
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return override
    import platformdirs  # only when needed: costs ~15 ms to import

    return platformdirs.user_cache_dir("tui-replay")


class SummaryCache:
    """Summaries by absolute path; `get` answers only when size and mtime_ns still match."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder or default_cache_dir()
        self.path = os.path.join(self.folder, CACHE_FILE_NAME)
        self._entries: dict[str, list] = {}
        self._seen: dict[str, list] = {}
        self._dirty = False
        self._loaded = False

    # -- reading -----------------------------------------------------------------

    def load(self) -> None:
        """Read the cache file once; anything unreadable counts as an empty cache."""
        if self._loaded:
            return
        self._loaded = True
        try:
            with open(self.path, "rb") as handle:
                data = orjson.loads(handle.read())
        except (OSError, ValueError):
            return
        if (
            not isinstance(data, dict)
            or data.get("schema") != SCHEMA
            or data.get("fields") != list(_STORED_FIELDS)
            or data.get("version") != __version__
            or not isinstance(data.get("entries"), dict)
        ):
            return
        self._entries = data["entries"]

    def get(self, abs_path: str, size: int, mtime_ns: int, display_path: str) -> Summary | None:
        self.load()
        entry = self._entries.get(abs_path)
        if entry is None:
            return None
        try:
            if entry[0] != size or entry[1] != mtime_ns or len(entry[2]) != len(_STORED_FIELDS):
                return None
            if entry[2][_STATUS_INDEX] not in ("ok", "error"):
                return None
            summary = Summary(display_path, *entry[2])  # positional: `path` is the first field
        except (TypeError, IndexError, ValueError):
            return None  # a damaged entry: summarize the file again
        self._seen[abs_path] = entry
        return summary

    # -- writing -----------------------------------------------------------------

    def put(self, abs_path: str, summary: Summary) -> None:
        self.load()
        values = [getattr(summary, name) for name in _STORED_FIELDS]
        entry = [summary.size, summary.mtime_ns, values]
        if self._entries.get(abs_path) != entry:
            self._dirty = True
        self._seen[abs_path] = entry

    def save(self, scanned_folders: Iterable[str] = ()) -> bool:
        """Write the cache if this run changed it. Returns True when a file was written.

        Entries under `scanned_folders` (absolute) that this run did not see are dropped:
        those files were deleted or renamed. Entries elsewhere are kept, oldest dropped first
        beyond MAX_ENTRIES.
        """
        prefixes = tuple(os.path.join(folder, "") for folder in scanned_folders)
        kept: dict[str, list] = {}
        for key, entry in self._entries.items():
            if key in self._seen:
                continue
            if prefixes and key.startswith(prefixes):
                self._dirty = True  # a file that went away
                continue
            kept[key] = entry
        kept.update(self._seen)  # seen last: the most recently used survive the cap
        if len(kept) > MAX_ENTRIES:
            self._dirty = True
            for key in list(kept)[: len(kept) - MAX_ENTRIES]:
                del kept[key]
        if not self._dirty:
            return False
        try:
            _write_atomically(self.path, _encode(kept))
        except OSError:
            return False  # a read-only cache folder only costs speed next time
        self._entries = kept
        self._seen = {}
        self._dirty = False
        return True


def _encode(entries: dict[str, list]) -> bytes:
    payload = {"schema": SCHEMA, "fields": list(_STORED_FIELDS), "version": __version__, "entries": entries}
    try:
        return orjson.dumps(payload)
    except orjson.JSONEncodeError:
        pass
    # Some entry holds text orjson refuses (a lone surrogate from a \udXXX escape): leave those out.
    clean: dict[str, list] = {}
    for key, entry in entries.items():
        try:
            orjson.dumps([key, entry])
        except orjson.JSONEncodeError:
            continue
        clean[key] = entry
    payload["entries"] = clean
    return orjson.dumps(payload)


def _write_atomically(path: str, data: bytes) -> None:
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".summaries-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
