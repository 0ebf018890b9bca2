"""The on-disk cache of summaries, so a second listing of a big tree is near instant.

Lives in the user cache directory (`platformdirs.user_cache_dir("tui-replay")`, or
`$TUI_REPLAY_CACHE_DIR`), one JSON file ("shard") per scanned folder, plus one per folder
whose files were named one by one (`list dir/*.json`). A listing loads only the shards of
the roots it scans, so its cost does not grow with other trees listed before (measured:
a single file holding 50,000 entries was 32 MB and took 0.35 s to load).

Entries are keyed by absolute path and checked against the file's size and mtime_ns.
A shard is rewritten only when something changed, atomically (a temporary file in the
same folder, then `os.replace`). A shard that is missing, corrupt, from an older schema
or written for another `Summary` shape is ignored and rebuilt.

Every value of an entry is type-checked on the way out (`Summary`'s own annotations): an
entry a crash, an editor or another tool damaged is dropped and the file summarized again.

Bounded: a folder's shard holds exactly the files its last complete scan saw (deleted
files drop out); a named-files shard keeps at most MAX_FILE_ENTRIES, most recent last;
beyond MAX_SHARDS shard files, the least recently written are removed.

The cache folder may be one the user chose, holding things of their own: everything written
here is marked as ours (a CACHEDIR.TAG naming tui-replay in the shard folder, a `"writer"`
first in each shard file), and only marked folders and files of older schemas are removed,
and in those folders only files with the names we give.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import tempfile
import types
import typing
from collections.abc import Iterable

import orjson

from tui_replay import __version__
from tui_replay.atomic import write_atomic
from tui_replay.recording.model import Summary, interaction_address

# Bump when the meaning of cached values changes without the Summary fields changing.
SCHEMA = 3  # 3: Summary.key carries the expected name of an older or mis-keyed file
CACHE_DIR_ENV = "TUI_REPLAY_CACHE_DIR"
SHARD_FOLDER = f"summaries-v{SCHEMA}"
MAX_SHARDS = 256
MAX_FILE_ENTRIES = 20_000

# Everything but `path` is stored; the path is the key (and is re-set on the way out).
_STORED_FIELDS = tuple(f.name for f in dataclasses.fields(Summary) if f.name != "path")
_STATUS_INDEX = _STORED_FIELDS.index("status")
assert dataclasses.fields(Summary)[0].name == "path"

WRITER = "tui-replay"
# The Cache Directory Tagging Specification (backup tools skip the folder); the comment line
# names us, and is what tells our own folders from look-alikes in a user-chosen cache dir.
TAG_NAME = "CACHEDIR.TAG"
TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    f"# This file is a cache directory tag created by {WRITER} (summary cache).\n"
)
_SHARD_NAME = re.compile(r"[0-9a-f]{32}\.json")
_TEMP_NAME = re.compile(r"\.shard-.*\.tmp")
_OLD_SCHEMA_NAME = re.compile(r"summaries-v(\d+)(\.json)?")
_MARKED_FILE_START = b'{"writer":"' + WRITER.encode() + b'"'


def _allowed_types(hint: object) -> tuple[type, ...]:
    """The exact JSON value types a field may hold: `int | None` -> (int, NoneType)."""
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return tuple(typing.cast(type, member) for member in members)


# Checked with `type(value) in allowed`, not isinstance: True is not a valid chunk count.
_HINTS = typing.get_type_hints(Summary)
_FIELD_TYPES = tuple(_allowed_types(_HINTS[name]) for name in _STORED_FIELDS)


def _valid_values(values: object) -> bool:
    """A stored value list with exactly the fields of `Summary`, each of its declared type."""
    if type(values) is not list or len(values) != len(_FIELD_TYPES):
        return False
    for value, allowed in zip(values, _FIELD_TYPES, strict=True):
        if type(value) not in allowed:
            return False
    return values[_STATUS_INDEX] in ("ok", "error")


def default_cache_dir() -> str:
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return override
    import platformdirs  # only when needed: costs ~15 ms to import

    return platformdirs.user_cache_dir("tui-replay")


def folder_key(abs_folder: str) -> str:
    """The shard of everything found by scanning this folder."""
    return abs_folder


def named_files_key(abs_file: str) -> str:
    """The shard of files named one by one, shared by all such files of one folder."""
    return "files:" + os.path.dirname(abs_file)


class SummaryShard:
    """One shard file: summaries by absolute path; `get` answers only when size and mtime_ns match."""

    def __init__(self, path: str, key: str) -> None:
        self.path = path
        self.key = key
        self._entries: dict[str, list] = {}
        self._seen: dict[str, list] = {}
        self._dirty = False
        self._loaded = False

    def load(self) -> None:
        """Read the shard once; anything unreadable counts as empty."""
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
            or data.get("key") != self.key
            or not isinstance(data.get("entries"), dict)
        ):
            return
        self._entries = data["entries"]

    def get(self, abs_path: str, size: int, mtime_ns: int, display_path: str) -> Summary | None:
        rows = self.get_rows(abs_path, size, mtime_ns, display_path)
        return rows[0] if rows is not None and len(rows) == 1 else None

    def get_rows(self, abs_path: str, size: int, mtime_ns: int, display_path: str) -> list[Summary] | None:
        """The file's rows: one for a recording, one per interaction of a cassette (maybe none)."""
        self.load()
        entry = self._entries.get(abs_path)
        # [size, mtime_ns, values of each row...] (a cassette has one row per interaction, maybe
        # none); anything else is a damaged entry: summarize the file again (its replacement is
        # then written, which drops it).
        if (
            type(entry) is not list
            or len(entry) < 2
            or type(entry[0]) is not int
            or type(entry[1]) is not int
        ):
            return None
        if entry[0] != size or entry[1] != mtime_ns:
            return None
        rows = []
        for values in entry[2:]:
            if not _valid_values(values):
                return None
            row = Summary(display_path, *values)  # positional: `path` is the first field
            if row.interaction is not None:  # a cassette interaction: `file#N`
                row.path = interaction_address(display_path, row.interaction)
            rows.append(row)
        self._seen[abs_path] = entry
        return rows

    def put(self, abs_path: str, summary: Summary) -> None:
        self.put_rows(abs_path, [summary], summary.size, summary.mtime_ns)

    def put_rows(self, abs_path: str, rows: list[Summary], size: int, mtime_ns: int) -> None:
        self.load()
        entry = [size, mtime_ns, *([getattr(row, name) for name in _STORED_FIELDS] for row in rows)]
        if self._entries.get(abs_path) != entry:
            self._dirty = True
        self._seen[abs_path] = entry

    def save(self, *, complete_scan: bool) -> bool:
        """Write the shard if it changed; True when written.

        After a complete scan of the folder, entries it did not see are dropped (deleted or
        renamed files). Otherwise (named files, a partial scan) they are kept, oldest dropped
        first beyond MAX_FILE_ENTRIES.
        """
        if complete_scan:
            if self._entries.keys() != self._seen.keys():
                self._dirty = True
            kept = dict(self._seen)
        else:
            kept = {key: entry for key, entry in self._entries.items() if key not in self._seen}
            kept.update(self._seen)  # seen last: the most recently used survive the cap
            if len(kept) > MAX_FILE_ENTRIES:
                self._dirty = True
                for key in list(kept)[: len(kept) - MAX_FILE_ENTRIES]:
                    del kept[key]
        if not self._dirty:
            return False
        try:
            self.key.encode("utf-8")
        except UnicodeEncodeError:
            return False  # a folder name that is not UTF-8 cannot be stored as JSON text
        try:
            _write_atomically(self.path, _encode(self.key, kept))
        except OSError:
            return False  # a read-only cache folder only costs speed next time
        self._entries, self._seen, self._dirty = kept, {}, False
        return True


class SummaryCache:
    """The shards of one cache folder, opened as the roots of a listing need them."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder or default_cache_dir()
        self.shard_folder = os.path.join(self.folder, SHARD_FOLDER)
        self._shards: dict[str, SummaryShard] = {}

    def shard_path(self, key: str) -> str:
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return os.path.join(self.shard_folder, f"{digest}.json")

    def shard(self, key: str) -> SummaryShard:
        shard = self._shards.get(key)
        if shard is None:
            shard = self._shards[key] = SummaryShard(self.shard_path(key), key)
        return shard

    def save(self, complete_keys: Iterable[str] = ()) -> int:
        """Save every shard used; `complete_keys` are the folder shards whose scan finished.

        Returns how many shard files were written.
        """
        complete = set(complete_keys)
        written = sum(shard.save(complete_scan=key in complete) for key, shard in self._shards.items())
        if written:
            self._evict()
            self._remove_older_schemas()
        return written

    def _remove_older_schemas(self) -> None:
        """Caches written by older versions (`summaries-v1/`) are dead weight; only ours are removed.

        A folder of an older schema goes only when it carries our tag, and then only the files
        named as we name them (an unknown file keeps the folder); a single-file cache only when
        it starts with our writer mark. Caches written before the mark existed stay (harmless).
        """
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            match = _OLD_SCHEMA_NAME.fullmatch(name)
            if match is None or int(match.group(1)) >= SCHEMA:
                continue
            path = os.path.join(self.folder, name)
            with contextlib.suppress(OSError):
                if os.path.islink(path):
                    continue
                if os.path.isdir(path):
                    _remove_marked_folder(path)
                elif match.group(2) and _is_marked_file(path):
                    os.unlink(path)

    def _evict(self) -> None:
        """Beyond MAX_SHARDS files, remove the least recently written."""
        try:
            with os.scandir(self.shard_folder) as entries:
                shards = [(e.stat().st_mtime_ns, e.path) for e in entries if _SHARD_NAME.fullmatch(e.name)]
        except OSError:
            return
        if len(shards) <= MAX_SHARDS:
            return
        shards.sort()
        for _, path in shards[: len(shards) - MAX_SHARDS]:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _is_marked_file(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(_MARKED_FILE_START)) == _MARKED_FILE_START


def _is_marked_folder(folder: str) -> bool:
    try:
        with open(os.path.join(folder, TAG_NAME), "rb") as handle:
            return handle.read(len(TAG_TEXT) + 1) == TAG_TEXT.encode()
    except OSError:
        return False


def _remove_marked_folder(folder: str) -> None:
    """Our files in a folder carrying our tag, then the folder if nothing else is left."""
    if not _is_marked_folder(folder):
        return
    for name in os.listdir(folder):
        if _SHARD_NAME.fullmatch(name) or _TEMP_NAME.fullmatch(name):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))
    if set(os.listdir(folder)) == {TAG_NAME}:
        os.unlink(os.path.join(folder, TAG_NAME))
        os.rmdir(folder)


def _encode(key: str, entries: dict[str, list]) -> bytes:
    payload = {
        "writer": WRITER,  # first: the mark that this file is ours (see _is_marked_file)
        "schema": SCHEMA,
        "fields": list(_STORED_FIELDS),
        "version": __version__,
        "key": key,
        "entries": entries,
    }
    try:
        return orjson.dumps(payload)
    except orjson.JSONEncodeError:
        pass
    # Some entry holds text orjson refuses (a lone surrogate from a \udXXX escape, or a
    # file name that is not UTF-8): leave those out.
    clean: dict[str, list] = {}
    for path, entry in entries.items():
        try:
            orjson.dumps([path, entry])
        except orjson.JSONEncodeError:
            continue
        clean[path] = entry
    payload["entries"] = clean
    return orjson.dumps(payload)


def _write_atomically(path: str, data: bytes) -> None:
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tag = os.path.join(folder, TAG_NAME)
    if not os.path.exists(tag):
        with contextlib.suppress(FileExistsError):  # another listing wrote it meanwhile
            write_atomic(tag, TAG_TEXT)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".shard-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
