"""The on-disk cache of summaries and the full-text index, one SQLite database.

Lives in the user cache directory (`platformdirs.user_cache_dir("tui-replay")`, or
`$TUI_REPLAY_CACHE_DIR`): `summaries-v{SCHEMA}/summaries.sqlite3`, in WAL mode, so any number of
listings read while one writes (two `list` at once, the app beside `list --watch`).

Table `files`: one row per recording file, keyed by its absolute folder and name, checked against
the file's size and mtime_ns; its `rows` are the file's summaries (one for a recording, one per
interaction of a cassette, maybe none) as a JSON list of value lists, in `Summary` field order.
Every value is type-checked on the way out (`Summary`'s own annotations): a row a crash, an
editor or another tool damaged is dropped and the file summarized again.

Table `texts`: what each row says (`recording/text.py`), lowercased, with id = file id * 2**20 +
the row's index in the file; `texts_index` (FTS5, trigram tokenizer, detail=none, its content the
`texts` table) indexes the texts up to `texts_indexed.upto`. A search is `instr` of the
lowercased needle over the texts a trigram GLOB narrowed to, and over every text above `upto`.
Needs SQLite >= 3.34 with FTS5; without it the cache still works and `text:` searches read the
files.
The texts are stored lazily: a listing writes rows only (`files.indexed` = 0); the first `text:`
query reads the files not indexed yet for their text (`put_texts`, by worker processes:
catalog/textsearch.py), a plain insert, and answers by GLOB and `instr` over them; a catalog
that indexes (after that query, or the watcher's) sends the text with the rows. The trigram
index is filled later, by `build_text_index` (the app, on a thread, after its first `text:`
query): 12.5 CPU-s at 101,409 files, the first query itself 17.8 (bench_index). Triggers take
a file's texts out when its rows change or it goes (and the index's entries with them), so
the index never holds an older version of a file, and with them the snapshots of table
`text_snapshots` (the stat of every folder and file a complete index pass over a root found,
which let the next query skip the pass while nothing changed).

Table `match_keys`: what `serve` matches requests on, per recording or cassette interaction of
a stored file (its API, its match key, what else reading the request body taught), written by
`serve` once it read a body, so that the next `serve` of the tree reads no body to match. The
keys belong to the version of the file its row is for: triggers take them out when the row
changes or goes. A listing never reads or writes them.

Reading a listing streams each folder's rows from the database in name order, merged with the
scan (which lists a folder's files in the same order): no more than one row is decoded at a
time, and the rows the scan passed over are the files that are gone. After a complete scan of a
folder those are deleted, with every folder below it the scan did not enter any more.

Writes go through one thread with its own connection, in transactions of at most COMMIT_FILES
files or COMMIT_SECONDS (another process waits at most that long for the lock), each hand-over
applied as it arrives (a listing's end leaves only the last one to write); the thread
also does the indexing, which runs in SQLite's C code beside the summarizing. Writes are handed
over SEND_BATCH at a time: one queue hand-over per file made the two threads trade the GIL on
every file (a convoy that cost the summarizer a third of its speed).

Failures cost speed, never the listing: a folder that cannot be created, a read-only or locked
database, a full disk turn the cache off for the run (or just its writes); a damaged database
file is deleted and built again. The cache folder may be one the user chose, holding things of
their own: the folder we write carries a CACHEDIR.TAG naming tui-replay, and only tagged folders
and in them only files with the names we give are ever removed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import operator
import os
import queue
import re
import shutil
import sqlite3
import tempfile
import threading
import time
import types
import typing
from collections.abc import Callable, Iterable, Iterator

import orjson

from tui_replay import __version__
from tui_replay.atomic import write_atomic
from tui_replay.recording.model import Summary, interaction_address

# Bump when the meaning of cached values changes without the Summary fields changing.
# 5: the key status kept per file; 4: one SQLite database with the full-text index (3: JSON shards)
SCHEMA = 5
CACHE_DIR_ENV = "TUI_REPLAY_CACHE_DIR"
CACHE_FOLDER = f"summaries-v{SCHEMA}"
DB_NAME = "summaries.sqlite3"
DB_FILES = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal")
APPLICATION_ID = 0x74527270  # "tRrp": marks the database as ours
MAX_FILES = 1_000_000  # beyond this many files, the least recently written go
COMMIT_FILES = 2_000
COMMIT_SECONDS = 0.5
SEND_BATCH = 256  # writes handed to the writer thread at once
WRITE_QUEUE = 4  # batches waiting for the writer thread (a summarizer faster than it waits)
BUSY_TIMEOUT_MS = 2_000
INDEX_CHUNK_ROWS = 2_000  # texts indexed per transaction: ~0.3 s of the write lock at ~1 KB each
WRITER_CACHE_KB = 65_536  # the writer's page cache (a limit: pages are taken as needed)
ROW_BITS = 20  # texts.rowid = file id << ROW_BITS | row index
MAX_ROWS_INDEXED = 1 << ROW_BITS
MIN_FTS_VERSION = (3, 34, 0)  # the trigram tokenizer

# Everything but `path` is stored; the path is the key (and is re-set on the way out).
_STORED_FIELDS = tuple(f.name for f in dataclasses.fields(Summary) if f.name != "path")
_STATUS_INDEX = _STORED_FIELDS.index("status")
_stored_values = operator.attrgetter(*_STORED_FIELDS)  # a tuple, in _STORED_FIELDS order
assert dataclasses.fields(Summary)[0].name == "path"

WRITER = "tui-replay"
# The Cache Directory Tagging Specification (backup tools skip the folder); the comment line
# names us, and is what tells our own folders from look-alikes in a user-chosen cache dir.
TAG_NAME = "CACHEDIR.TAG"
TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    f"# This file is a cache directory tag created by {WRITER} (summary cache).\n"
)
# What older versions wrote in their tagged folders (JSON shards and their temporary files).
_OLD_FILE_NAMES = (re.compile(r"[0-9a-f]{32}\.json"), re.compile(r"\.shard-.*\.tmp"))
_OLD_SCHEMA_NAME = re.compile(r"summaries-v(\d+)(\.json)?")
_MARKED_FILE_START = b'{"writer":"' + WRITER.encode() + b'"'

# Of the tables (2: files.indexed, triggers; 3: match_keys; 4: texts lowercased, detail=none,
# text_snapshots; 5: texts a plain table, the trigram index over it filled later); another
# layout is rebuilt.
LAYOUT = "5"
# What the readers make of a file: bumped when the same file gives other rows, so rows stored by
# an older reader are not served (2: realtime sessions and empty cassettes one row, gRPC samples;
# 3: files nested past 100 levels, or expanding past the read budget, are error rows).
ROWS = "3"
_CREATE = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS files (id INTEGER PRIMARY KEY, dir TEXT NOT NULL, name TEXT NOT NULL,"
    " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, rows BLOB NOT NULL,"
    " indexed INTEGER NOT NULL DEFAULT 0, key TEXT, UNIQUE (dir, name))",
    # What `serve` matches a request on, per recording or cassette interaction (`serve.index`):
    # its API, its match key (None: unreadable) and the rest of what reading the body taught
    # (`facts`, a JSON list the serve index checks). Kept for the file version its row is for.
    "CREATE TABLE IF NOT EXISTS match_keys (file_id INTEGER NOT NULL, interaction INTEGER NOT NULL,"
    " api TEXT NOT NULL, key TEXT, facts BLOB NOT NULL, PRIMARY KEY (file_id, interaction))",
    "CREATE INDEX IF NOT EXISTS match_keys_api ON match_keys (api)",
    # A file's keys go when its row changes or it goes (cheap: a primary-key range).
    "CREATE TRIGGER IF NOT EXISTS files_keys_changed AFTER UPDATE OF size, mtime_ns, rows ON files"
    " BEGIN DELETE FROM match_keys WHERE file_id = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS files_keys_gone AFTER DELETE ON files"
    " BEGIN DELETE FROM match_keys WHERE file_id = old.id; END",
)
_TEXTS_OF_OLD = (
    f"DELETE FROM texts WHERE id BETWEEN old.id << {ROW_BITS}"
    f" AND (old.id << {ROW_BITS}) + {MAX_ROWS_INDEXED - 1}"
)
# The texts follow the files table by themselves: a file's texts go when its rows change or it
# goes (only for a file whose texts were stored), and with them every snapshot
# (`text_snapshots`), which vouched for them.
# The texts are stored lowercased, in a plain table (cheap to fill: the first `text:` query
# stores them and answers with `instr` over them). The trigram index over them (`texts_index`,
# external content: it holds no copy of the text) is filled later, by `build_text_index`, in
# chunks of rowid order: it covers the texts up to `texts_indexed.upto`, and triggers keep that
# range current; a search asks it for that range and scans the texts above with `instr`.
# Its GLOB narrows, `instr` is the test: the same as `needle.lower() in text.lower()`.
# detail=none: no positions, an index ~2.5 times smaller and ~1.6 times faster to fill than
# detail=full, and a GLOB needs none.
_INDEXED_UPTO = "(SELECT upto FROM texts_indexed)"
_CREATE_TEXTS = (
    "CREATE TABLE IF NOT EXISTS texts (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS texts_index USING fts5(body, content='texts',"
    " content_rowid='id', tokenize='trigram', detail=none)",
    "CREATE TABLE IF NOT EXISTS texts_indexed (upto INTEGER NOT NULL)",
    "INSERT INTO texts_indexed (upto) SELECT -1 WHERE NOT EXISTS (SELECT 1 FROM texts_indexed)",
    f"CREATE TRIGGER IF NOT EXISTS texts_added AFTER INSERT ON texts WHEN new.id <= {_INDEXED_UPTO}"
    " BEGIN INSERT INTO texts_index (rowid, body) VALUES (new.id, new.body); END",
    f"CREATE TRIGGER IF NOT EXISTS texts_removed AFTER DELETE ON texts WHEN old.id <= {_INDEXED_UPTO}"
    " BEGIN INSERT INTO texts_index (texts_index, rowid, body) VALUES ('delete', old.id, old.body); END",
    # What the last complete pass of the index over a root found (catalog/textsearch.py): the
    # stat of its folders and files; while they are unchanged the index needs no pass.
    "CREATE TABLE IF NOT EXISTS text_snapshots (root TEXT NOT NULL, max_size INTEGER NOT NULL,"
    " snapshot BLOB NOT NULL, PRIMARY KEY (root, max_size))",
    "CREATE TRIGGER IF NOT EXISTS files_changed AFTER UPDATE OF size, mtime_ns, rows ON files"
    f" WHEN old.indexed BEGIN {_TEXTS_OF_OLD}; DELETE FROM text_snapshots; END",
    "CREATE TRIGGER IF NOT EXISTS files_gone AFTER DELETE ON files"
    f" WHEN old.indexed BEGIN {_TEXTS_OF_OLD}; DELETE FROM text_snapshots; END",
)
# Rows written by a listing: not indexed (the index is built on the first `text:` query).
_UPSERT = (
    "INSERT INTO files (dir, name, size, mtime_ns, rows, indexed) VALUES (?, ?, ?, ?, ?, 0)"
    " ON CONFLICT (dir, name) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,"
    " rows = excluded.rows, indexed = 0, key = NULL"
)
# The key status of a stored version of a file (read on demand, `summary.file_key_status`): a
# column of its own, so that keeping it leaves the rows and their index entries alone.
_SET_KEY = "UPDATE files SET key = ? WHERE dir = ? AND name = ? AND size = ? AND mtime_ns = ?"


def _allowed_types(hint: object) -> tuple[type, ...]:
    """The exact JSON value types a field may hold: `int | None` -> (int, NoneType)."""
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return tuple(typing.cast(type, member) for member in members)


# Checked with `type(value) in allowed`, not isinstance: True is not a valid chunk count.
_HINTS = typing.get_type_hints(Summary)
_FIELD_TYPES = tuple(_allowed_types(_HINTS[name]) for name in _STORED_FIELDS)


# Every allowed combination of value types (a few thousand): a row is checked in one lookup.
_VALID_TYPES = frozenset(itertools.product(*_FIELD_TYPES))


def _valid_values(values: object) -> bool:
    """A stored value list with exactly the fields of `Summary`, each of its declared type."""
    if type(values) is not list or len(values) != len(_FIELD_TYPES):
        return False
    return tuple(map(type, values)) in _VALID_TYPES and values[_STATUS_INDEX] in ("ok", "error")


def default_cache_dir() -> str:
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return override
    import platformdirs  # only when needed: costs ~15 ms to import

    return platformdirs.user_cache_dir("tui-replay")


def fts_available() -> bool:
    """SQLite new enough for FTS5's trigram tokenizer (3.34)."""
    return sqlite3.sqlite_version_info >= MIN_FTS_VERSION


def decode_rows(blob: object, display_path: str) -> list[Summary] | None:
    """The Summary rows of a stored `rows` value, or None when anything in it is damaged."""
    if type(blob) is not bytes:
        return None
    try:
        stored = orjson.loads(blob)
    except orjson.JSONDecodeError:
        return None
    if type(stored) is not list:
        return None
    rows = []
    for values in stored:
        if not _valid_values(values):
            return None
        row = Summary(display_path, *values)  # positional: `path` is the first field
        if row.interaction is not None:  # a cassette interaction: `file#N`
            row.path = interaction_address(display_path, row.interaction)
        rows.append(row)
    return rows


def encode_rows(rows: list[Summary]) -> bytes | None:
    """The stored `rows` value; None for text orjson refuses (a lone surrogate): not cached."""
    try:
        return orjson.dumps([_stored_values(row) for row in rows])
    except orjson.JSONEncodeError:
        return None


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a file name that is not UTF-8: SQLite text cannot hold it
        return False
    return True


class _FolderStream:
    """One folder's stored files in name order, advanced as the scan meets the folder's files."""

    def __init__(self, cursor: sqlite3.Cursor | None) -> None:
        self.cursor = cursor  # None: nothing can be stored for the folder
        self.head: tuple | None = None
        self.skipped: list[str] = []  # stored names the scan passed over: files that are gone
        self._fetched: list[tuple] = []  # the next rows, in reverse order
        self._advance()

    def _advance(self) -> None:
        if not self._fetched and self.cursor is not None:
            self._fetched = self.cursor.fetchmany(64)
            self._fetched.reverse()
        self.head = self._fetched.pop() if self._fetched else None

    def find(self, name: str) -> tuple | None:
        """The stored (id, name, size, mtime_ns, rows, indexed) of `name`, if stored (names come
        sorted)."""
        while self.head is not None and self.head[1] < name:
            self.skipped.append(self.head[1])
            self._advance()
        if self.head is not None and self.head[1] == name:
            found = self.head
            self._advance()
            return found
        return None

    def drain(self) -> list[str]:
        while self.head is not None:
            self.skipped.append(self.head[1])
            self._advance()
        if self.cursor is not None:
            self.cursor.close()
        return self.skipped


# What the writer thread is sent: (kind, dir, name, ...), kinds below, None to finish.
_PUT = "put"  # + size, mtime_ns, rows: the file's rows (taken out of the index)
_INDEX = "index"  # + size, mtime_ns, texts: what the rows of that version of the file say
_FORGET = "forget"  # the file is gone
_FORGET_FOLDER = "forget folder"  # (name ""): every file of the folder is gone
_KEY = "key"  # + size, mtime_ns, key status: of that version of the file
_MATCH = "match"  # + size, mtime_ns, [(interaction, api, key, facts)]: serve's match keys of it
_SNAPSHOT = "snapshot"  # (root, max_size, blob): what the index pass over a root found


class SummaryCache:
    """The database of one cache folder, opened on first use; `usable` turns False on failure."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder or default_cache_dir()
        self.cache_folder = os.path.join(self.folder, CACHE_FOLDER)
        self.path = os.path.join(self.cache_folder, DB_NAME)
        self.usable = True
        self.has_texts = False
        self.written = 0  # files written (or forgotten) since the last save
        self.write_failed = False  # some write of this run did not reach the database
        self.refused: str | None = None  # why the cache is not used this run (one line), if it says
        self._conn: sqlite3.Connection | None = None
        self._streams: dict[str, _FolderStream] = {}
        self._stale: list[tuple[str, str]] = []
        self._visited: set[str] = set()
        self._writer: _Writer | None = None
        self._pending: list[tuple] = []  # writes not yet handed to the writer
        self._fresh: bool | None = None  # see `fresh`; None: not looked at yet
        # Held while the database is made, or the reading connection opened or closed: the app
        # asks for it from its UI thread while the loading thread saves.
        self._opening = threading.Lock()

    # -- opening ------------------------------------------------------------------------------

    @property
    def fresh(self) -> bool:
        """There was no database when this run first looked (the first listing with this cache
        folder), and this thread has not opened one: nothing can be found in it, so lookups ask
        nothing until the next `save`, and the writer thread creates the database when the first
        writes are handed to it, while the listing reads on. (Creating it costs tens of
        milliseconds of fsync: a tenth of a cold listing of the real 3,162-file tree.)"""
        if self._fresh is None:
            self._fresh = (
                self._conn is None
                and self.usable
                and not any(os.path.lexists(os.path.join(self.cache_folder, name)) for name in DB_FILES)
            )  # (any file of it there, a link even: the connection says what it is)
            if self._fresh:  # what the writer will create (the connection, if opened, tells)
                self.has_texts = fts_available()
        return self._fresh and self._conn is None

    def _writable(self) -> bool:
        """Writes can be sent: the database is open, or will be created for them (`fresh`)."""
        return self.usable and (self._conn is not None or self.fresh or self.connection() is not None)

    def connection(self) -> sqlite3.Connection | None:
        """The reading connection, the database created or rebuilt as needed; None: no cache."""
        if self._conn is not None or not self.usable:
            return self._conn
        # Not while a writer thread makes a fresh database (`_make_database`): this one would find
        # its folder untagged yet, or the database locked, and give up the cache.
        with self._opening:
            if self._conn is not None or not self.usable:
                return self._conn
            try:
                self._conn = self._open()
                if self._conn is not None:
                    self.has_texts = _has_texts(self._conn)
            except (sqlite3.Error, OSError):
                self._conn = None
            if self._conn is None:
                self.usable = False
            return self._conn

    def _make_database(self) -> sqlite3.Connection:
        """On the writer thread, for a fresh cache: its folder and database made, the writer's
        connection to it; raises OSError or sqlite3.Error when they cannot be."""
        with self._opening:
            if not self._prepare_folder():
                raise OSError("the cache folder cannot be made, or is not ours")
            return _connect(self.path, create=True)

    def _open(self) -> sqlite3.Connection | None:
        if not self._prepare_folder():
            return None
        try:
            return _connect(self.path, create=True)
        except LinkedDatabase as exc:
            self.refused = str(exc)
            return None
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                return None  # locked, read-only, no space: not damage
        # Not a database, or a damaged one: ours (a tagged folder, our name), so built again.
        self._remove_database()
        return _connect(self.path, create=True)

    def _prepare_folder(self) -> bool:
        """Our tagged folder exists (created when missing); False when it cannot be ours."""
        if not os.path.isdir(self.cache_folder):
            try:
                _create_tagged_folder(self.cache_folder)
            except OSError:
                return False
        return _is_marked_folder(self.cache_folder)

    def _remove_database(self) -> None:
        for name in DB_FILES:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.cache_folder, name))

    def _failed(self, exc: sqlite3.Error) -> None:
        """A read failed mid-run: no cache for the rest of it; damage is rebuilt next time."""
        self.usable = False
        self._streams.clear()
        if not isinstance(exc, sqlite3.OperationalError):
            self._damaged = True

    _damaged = False

    # -- reading ------------------------------------------------------------------------------

    def get_rows(
        self, abs_path: str, size: int, mtime_ns: int, display_path: str, *, in_scan: bool = False
    ) -> list[Summary] | None:
        """The file's rows if stored for this size and mtime_ns, else None."""
        found = self.lookup(abs_path, size, mtime_ns, display_path, in_scan=in_scan)
        return None if found is None else found[0]

    def lookup(
        self,
        abs_path: str,
        size: int | None,
        mtime_ns: int | None,
        display_path: str,
        *,
        in_scan: bool = False,
    ) -> tuple[list[Summary], bool] | None:
        """The file's rows if stored for this size and mtime_ns, and whether the full-text index
        holds what they say; else None. `size` None: the rows as stored, whatever the file's
        size and mtime now (the caller checks them later: `Catalog.trust_cache`).

        `in_scan`: the file comes from a folder scan, in its order (the folder is streamed).
        """
        if self._conn is None and self.fresh:
            return None
        conn = self._conn or self.connection()
        if conn is None:
            return None
        folder, _, name = abs_path.rpartition(os.sep)  # absolute: a separator is there
        folder = folder or os.sep
        if not (name.isascii() or _storable(name)):
            return None
        try:
            if in_scan:
                stream = self._streams.get(folder) or self._stream(conn, folder)
                if stream.cursor is None:  # a folder name SQLite cannot hold
                    return None
                stored = stream.find(name)
            elif not _storable(folder):
                return None
            else:
                stored = conn.execute(
                    "SELECT id, name, size, mtime_ns, rows, indexed, key FROM files"
                    " WHERE dir = ? AND name = ?",
                    (folder, name),
                ).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        if stored is None or (size is not None and (stored[2] != size or stored[3] != mtime_ns)):
            return None
        rows = decode_rows(stored[4], display_path)
        if rows is None:
            return None
        key = stored[6]
        if type(key) is str and len(rows) == 1 and rows[0].key is None:
            rows[0].key = key
        return rows, stored[5] == 1 and self.has_texts

    def get(self, abs_path: str, size: int, mtime_ns: int, display_path: str) -> Summary | None:
        rows = self.get_rows(abs_path, size, mtime_ns, display_path)
        return rows[0] if rows is not None and len(rows) == 1 else None

    def _stream(self, conn: sqlite3.Connection, folder: str) -> _FolderStream:
        stream = self._streams.get(folder)
        if stream is not None:
            return stream
        prefix = folder + os.sep
        # The scan is depth first: a folder that is not this one or above it is finished.
        for other in list(self._streams):
            if not (prefix.startswith(other + os.sep) or other == os.sep):
                self._close_stream(other)
        self._visited.add(folder)
        if not _storable(folder):
            stream = self._streams[folder] = _FolderStream(None)
            return stream
        cursor = conn.execute(
            "SELECT id, name, size, mtime_ns, rows, indexed, key FROM files WHERE dir = ? ORDER BY name",
            (folder,),
        )
        stream = self._streams[folder] = _FolderStream(cursor)
        return stream

    def _close_stream(self, folder: str) -> None:
        stream = self._streams.pop(folder)
        try:
            self._stale.extend((folder, name) for name in stream.drain())
        except sqlite3.Error as exc:
            self._failed(exc)

    # -- writing ------------------------------------------------------------------------------

    def put_rows(
        self, abs_path: str, rows: list[Summary], size: int, mtime_ns: int, texts: list[str] | None = None
    ) -> bool:
        """Store a file's rows (and what each says, for the index), written in the background.
        False when they cannot be stored (no cache, a name or text SQLite or JSON cannot hold)."""
        if not self._writable():
            return False
        folder, name = os.path.split(abs_path)
        blob = encode_rows(rows)
        if blob is None or not (_storable(folder) and _storable(name)):
            return False
        self._send((_PUT, folder, name, size, mtime_ns, blob))
        if texts is not None:
            self._send_texts(folder, name, size, mtime_ns, texts)
        return True

    def put_texts(
        self, abs_path: str, size: int, mtime_ns: int, texts: list[str], *, prepared: bool = False
    ) -> bool:
        """Index what the stored rows of this version of a file say (one text per row;
        `prepared`: already as stored, `parallel.searchable`)."""
        if self.connection() is None or not self.has_texts:
            return False
        folder, name = os.path.split(abs_path)
        if not (_storable(folder) and _storable(name)):
            return False
        self._send_texts(folder, name, size, mtime_ns, texts, prepared=prepared)
        return True

    def _send_texts(
        self, folder: str, name: str, size: int, mtime_ns: int, texts: list[str], *, prepared: bool = False
    ) -> None:
        if self.has_texts:
            if not prepared:
                from tui_replay.catalog.parallel import searchable

                texts = searchable(texts)
            self._send((_INDEX, folder, name, size, mtime_ns, texts))

    def put(self, abs_path: str, summary: Summary) -> bool:
        return self.put_rows(abs_path, [summary], summary.size, summary.mtime_ns)

    def put_key(self, abs_path: str, size: int, mtime_ns: int, key: str) -> bool:
        """Keep the key status read for this version of a stored file (ignored if not stored)."""
        if self.connection() is None:
            return False
        folder, name = os.path.split(abs_path)
        if not (_storable(folder) and _storable(name) and _storable(key)):
            return False
        self._send((_KEY, folder, name, size, mtime_ns, key))
        return True

    def put_match_keys(
        self, abs_path: str, size: int, mtime_ns: int, keys: list[tuple[int, str, str | None, bytes]]
    ) -> bool:
        """Keep serve's match keys of this version of a stored file, (interaction, api, key, facts)
        each (interaction -1: a recording); ignored if that version is not stored."""
        if self.connection() is None:
            return False
        folder, name = os.path.split(abs_path)
        if not (_storable(folder) and _storable(name)):
            return False
        if not all(_storable(api) and (key is None or _storable(key)) for _, api, key, _ in keys):
            return False
        self._send((_MATCH, folder, name, size, mtime_ns, keys))
        return True

    def iter_match_keys(
        self, api: str, abs_root: str
    ) -> Iterator[tuple[str, str, int, int, int, str | None, bytes]]:
        """(folder, name, size, mtime_ns, interaction, key, facts) of the stored match keys of
        `api` under `abs_root` (a folder or a file). Nothing without a cache or on a failure."""
        conn = self.connection()
        if conn is None or not _storable(abs_root):
            return
        select = (
            "SELECT f.dir, f.name, f.size, f.mtime_ns, k.interaction, k.key, k.facts"
            " FROM match_keys k JOIN files f ON f.id = k.file_id WHERE k.api = ?"
        )
        root = abs_root.rstrip(os.sep) or os.sep
        if os.path.isdir(root):
            low = root if root == os.sep else root + os.sep
            high = low[:-1] + chr(ord(os.sep) + 1)
            where, values = " AND (f.dir = ? OR (f.dir >= ? AND f.dir < ?))", (api, root, low, high)
        else:
            folder, name = os.path.split(root)
            where, values = " AND f.dir = ? AND f.name = ?", (api, folder, name)
        try:
            yield from conn.execute(select + where, values)
        except sqlite3.Error as exc:
            self._failed(exc)

    def forget(self, abs_path: str) -> None:
        """Drop a file that is gone (the watcher saw it removed)."""
        folder, name = os.path.split(abs_path)
        if self.connection() is not None and _storable(folder) and _storable(name):
            self._send((_FORGET, folder, name))

    def _send(self, item: tuple) -> None:
        pending = self._pending
        pending.append(item)
        if len(pending) >= SEND_BATCH:
            self._flush()
        if item[0] not in (_INDEX, _KEY, _MATCH, _SNAPSHOT):  # counted as files written: the rows
            self.written += 1

    def save(self, complete_folders: Iterable[str] = ()) -> int:
        """Finish the writes; after a complete scan of `complete_folders` (absolute), drop what
        they no longer hold. Returns how many files were written or dropped."""
        if self._pending and self._writer is None:
            self._flush()  # (a fresh cache: its database is created now)
        fresh, self._fresh = self._fresh, False  # from now on the database has what this run wrote
        if self._conn is None and not (fresh and self.written):
            self._finish_writer()
            return self._after_damage()
        for folder in list(self._streams):
            self._close_stream(folder)
        complete = [folder.rstrip(os.sep) or os.sep for folder in complete_folders]
        if complete and self.usable and not fresh:  # (a fresh database held nothing to drop)
            gone = [item for item in self._stale if _under_any(item[0], complete)]
            try:
                gone_folders = self._folders_not_visited(complete)
            except sqlite3.Error as exc:
                self._failed(exc)
                gone_folders = []
            for folder, name in gone:
                self._send((_FORGET, folder, name))
            for folder in gone_folders:
                self._send((_FORGET_FOLDER, folder, ""))
        self._stale.clear()
        written, self.written = self.written, 0
        self.close()  # reopened when used again: an idle connection would keep others from locking
        if written:
            self._remove_older_schemas()
        return written + self._after_damage()

    def _after_damage(self) -> int:
        if self._damaged:
            self.close()
            self._remove_database()
            self._damaged = False
        return 0

    def _folders_not_visited(self, complete: list[str]) -> list[str]:
        assert self._conn is not None
        gone = []
        for root in complete:
            low = root if root == os.sep else root + os.sep
            high = low[:-1] + chr(ord(os.sep) + 1)
            cursor = self._conn.execute(
                "SELECT DISTINCT dir FROM files WHERE dir = ? OR (dir >= ? AND dir < ?)", (root, low, high)
            )
            gone.extend(folder for (folder,) in cursor if folder not in self._visited)
        return gone

    def _flush(self) -> None:
        """Hand the pending writes to the writer thread (started on first use)."""
        if not self._pending:
            return
        if self._writer is None:
            # A fresh cache: the writer thread makes the database (its fsyncs) while this one reads on.
            self._writer = _Writer(self.path, make=self._make_database if self._conn is None else None)
        self._writer.queue.put(self._pending)
        self._pending = []

    def _finish_writer(self) -> None:
        self._flush()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.finish()
            self.write_failed = self.write_failed or writer.failed

    def close(self) -> None:
        self._streams.clear()
        self._finish_writer()
        with self._opening:  # (not while another thread opens it: SQLite would crash)
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None

    # -- searching ----------------------------------------------------------------------------

    def search(self, needle: str, roots: Iterable[str] = ()) -> set[tuple[str, int]] | None:
        """(absolute file, row index) of every stored row whose text holds `needle` (case-insensitive),
        restricted to files under `roots` (absolute; none: everywhere). None: no index to ask."""
        conn = self.connection()
        if conn is None or not self.has_texts or not needle:
            return None
        # The texts are lowercased: instr of the lowercased needle is the test. A GLOB of the
        # needle's longest run free of GLOB wildcards narrows the texts it reads: through the
        # trigram index for the texts it covers (3 characters or more: FTS5 finds no row for a
        # shorter GLOB, or for some with a [*] next to a multi-byte character: a GLOB is never
        # the test alone), and on the texts above it (a GLOB skips to the run's first
        # character: 2-3 times faster than instr over the 94 MB of 100,000 files).
        needle = needle.lower()
        run = max(re.split(r"[*?\[]", needle), key=len)
        narrowed = "t.body GLOB ? AND " if run else ""
        pattern = (f"*{run}*",) if run else ()
        query = (
            f"SELECT f.dir, f.name, t.id FROM texts t JOIN files f ON f.id = t.id >> {ROW_BITS}"
            f" WHERE t.id > {_INDEXED_UPTO} AND {narrowed}instr(t.body, ?) > 0"
        )
        values = (*pattern, needle)
        if len(run) >= 3:
            query += (
                " UNION ALL SELECT f.dir, f.name, t.id FROM texts_index i JOIN texts t ON t.id = i.rowid"
                f" JOIN files f ON f.id = t.id >> {ROW_BITS} WHERE i.body GLOB ? AND instr(t.body, ?) > 0"
            )
            values += (f"*{run}*", needle)
        else:  # (the trigram index cannot narrow: every text is read)
            query = query.replace(f"t.id > {_INDEXED_UPTO} AND ", "")
        try:
            cursor = conn.execute(query, values)
            roots = [root.rstrip(os.sep) or os.sep for root in roots]
            file_roots = set(roots)  # (a root may be a file)
            inside: dict[str, bool] = {}  # folder -> at or under a root (asked once per folder)
            found = set()
            for folder, name, rowid in cursor:
                in_roots = inside.get(folder)
                if in_roots is None:
                    in_roots = inside[folder] = not roots or _under_any(folder, roots)
                path = os.path.join(folder, name)
                if in_roots or path in file_roots:
                    found.add((path, rowid & (MAX_ROWS_INDEXED - 1)))
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        return found

    def build_text_index(self, stop: Callable[[], bool] = lambda: False) -> bool:
        """Fill the trigram index over the stored texts (see `_CREATE_TEXTS`), chunk by chunk (each
        a transaction of its own, short enough for other writers' busy timeout); True once it
        covers every text, False when `stop` said so or the database would not. A search
        answers meanwhile, by `instr` over the texts not covered yet."""
        if self.connection() is None or not self.has_texts:
            return False
        try:
            conn = _connect(self.path, create=False)
        except sqlite3.Error:
            return False
        try:  # (SQLite's default page cache: a bigger one made it no faster, only bigger)
            while not stop():
                conn.execute("BEGIN IMMEDIATE")
                (upto,) = conn.execute("SELECT upto FROM texts_indexed").fetchone()
                last = conn.execute(
                    "SELECT max(id) FROM (SELECT id FROM texts WHERE id > ? ORDER BY id LIMIT ?)",
                    (upto, INDEX_CHUNK_ROWS),
                ).fetchone()[0]
                if last is None:
                    conn.execute("COMMIT")
                    return True
                conn.execute(
                    "INSERT INTO texts_index (rowid, body) SELECT id, body FROM texts"
                    " WHERE id > ? AND id <= ? ORDER BY id",
                    (upto, last),
                )
                conn.execute("UPDATE texts_indexed SET upto = ?", (last,))
                conn.execute("COMMIT")
            return False
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            return False
        finally:
            conn.close()

    def stored_files(self, root: str) -> dict[str, tuple[int, int, bool]] | None:
        """(size, mtime_ns, indexed) of every stored file at or under `root` (absolute), by
        absolute path; None without a cache."""
        conn = self.connection()
        if conn is None or not _storable(root):
            return None
        root = root.rstrip(os.sep) or os.sep
        low = root if root == os.sep else root + os.sep
        high = low[:-1] + chr(ord(os.sep) + 1)
        folder, name = os.path.split(root)
        stored: dict[str, tuple[int, int, bool]] = {}
        try:
            cursor = conn.execute(
                "SELECT dir, name, size, mtime_ns, indexed FROM files"
                " WHERE dir = ? OR (dir >= ? AND dir < ?) OR (dir = ? AND name = ?)",
                (root, low, high, folder, name),
            )
            sep = os.sep
            for folder, name, size, mtime_ns, indexed in cursor:
                stored[folder + sep + name if folder != sep else sep + name] = (size, mtime_ns, indexed == 1)
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        return stored

    def text_snapshot(self, root: str, max_size: int) -> bytes | None:
        """What the last complete index pass over `root` found (`put_text_snapshot`), if kept."""
        conn = self.connection()
        if conn is None or not self.has_texts or not _storable(root):
            return None
        try:
            found = conn.execute(
                "SELECT snapshot FROM text_snapshots WHERE root = ? AND max_size = ?", (root, max_size)
            ).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        return found[0] if found is not None and type(found[0]) is bytes else None

    def put_text_snapshot(self, root: str, max_size: int, snapshot: bytes) -> bool:
        """Keep what a complete index pass over `root` found: written after its texts, in order."""
        if self.connection() is None or not self.has_texts or not _storable(root):
            return False
        self._send((_SNAPSHOT, root, max_size, snapshot))
        return True

    # -- clean-up of older caches -------------------------------------------------------------

    def _remove_older_schemas(self) -> None:
        """Caches written by older versions (`summaries-v3/`) are dead weight; only ours are removed.

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


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder if folder == os.sep else folder + os.sep)


def _under_any(folder: str, roots: list[str]) -> bool:
    return any(folder == root or _under(folder, root) for root in roots)


class LinkedDatabase(sqlite3.OperationalError):
    """A database file (or its -wal, -shm, -journal) is a symbolic link: SQLite would write
    through it, outside the cache folder. Refused: no cache for the run."""


def _refuse_links(path: str) -> None:
    for name in DB_FILES:
        linked = path + name.removeprefix(DB_NAME)
        if os.path.islink(linked):
            raise LinkedDatabase(f"summary cache not used: {linked} is a symbolic link")


def _connect(path: str, *, create: bool) -> sqlite3.Connection:
    """A connection to our database, its tables created; raises sqlite3.Error (DatabaseError:
    the file is not ours or is damaged; LinkedDatabase: a file of it is a symbolic link)."""
    _refuse_links(path)  # SQLite has no O_NOFOLLOW here; the writer's connection checks too
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    try:
        # One read transaction: another process creating the tables at this moment is seen
        # before or after, never half (its tables without its application_id looked foreign,
        # and a foreign database in our folder is deleted).
        conn.execute("BEGIN")
        try:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
        finally:
            if conn.in_transaction:  # some errors end it themselves
                conn.execute("COMMIT")
        if tables and application_id != APPLICATION_ID:
            raise sqlite3.DatabaseError("not a tui-replay database")
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash loses at most the last commit
        wanted = {
            "writer": WRITER,
            "version": __version__,
            "layout": LAYOUT,
            "rows": ROWS,
            "fields": ",".join(_STORED_FIELDS),
        }
        if meta != wanted or (("texts_index" in tables) != fts_available() and fts_available()):
            if not create:
                raise sqlite3.OperationalError("the database is of another version")
            _reset(conn, wanted)
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the database to WAL. The switch needs the file to itself, and SQLite answers busy at
    once, without its busy wait, while another connection opens it: retried up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _reset(conn: sqlite3.Connection, meta: dict[str, str]) -> None:
    """Empty tables of this version's shape (a database of another version is rebuilt)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        built = "meta" in tables and dict(conn.execute("SELECT key, value FROM meta").fetchall()) == meta
        if built and ("texts_index" in tables or not fts_available()):
            conn.execute("COMMIT")  # another process built it meanwhile
            return
        tables = ("texts_index", "texts_indexed", "texts", "text_snapshots", "match_keys", "files", "meta")
        for table in tables:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _CREATE:
            conn.execute(statement)
        if fts_available():
            with contextlib.suppress(sqlite3.OperationalError):  # built without FTS5 or trigram: no index
                for statement in _CREATE_TEXTS:
                    conn.execute(statement)
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


class _Writer:
    """The thread that writes: puts, texts and removals from a queue, applied in batches (one
    `executemany` per run of puts or removals) in transactions of at most COMMIT_FILES items or
    COMMIT_SECONDS."""

    def __init__(self, path: str, make: Callable[[], sqlite3.Connection] | None = None) -> None:
        self.path = path
        # Given: there is no database yet (`SummaryCache.fresh`); this makes it, and connects.
        self.make = make
        # Bounded: a summarizer faster than the indexing waits instead of queueing texts in memory.
        self.queue: queue.Queue[list[tuple] | None] = queue.Queue(maxsize=WRITE_QUEUE)
        self.failed = False
        self._got_last = False  # the None that ends the queue was taken (no more will come)
        self.thread = threading.Thread(target=self._run, name="tui-replay cache writer", daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        conn = None
        try:
            conn = self.make() if self.make is not None else _connect(self.path, create=False)
            # FTS5 merges its segments as it fills: with SQLite's default 2 MB page cache it reads
            # them back from the OS, 2-3 times the cost of the inserts.
            conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KB}")
            self._loop(conn, _has_texts(conn))
        except Exception:  # busy past busy_timeout, read-only, disk full: no cache writes this run
            self.failed = True
            # Take what the producer still sends so that its puts never block, up to its None;
            # when _loop already took the None, nothing more comes: waiting would hang.
            while not self._got_last and self.queue.get() is not None:
                pass
        finally:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    def _loop(self, conn: sqlite3.Connection, has_texts: bool) -> None:
        """Apply each hand-over as it arrives, committing within COMMIT_SECONDS of the first write
        or after about COMMIT_FILES (few large transactions, not one per file); the inserts run
        while the listing reads on, so little is left to write when it ends."""
        while True:
            first = self.queue.get()
            if first is None:
                self._got_last = True
                break
            conn.execute("BEGIN IMMEDIATE")
            try:
                _apply(conn, first, has_texts)
                applied = len(first)
                deadline = time.monotonic() + COMMIT_SECONDS
                while applied < COMMIT_FILES:
                    left = deadline - time.monotonic()
                    try:
                        more = self.queue.get(timeout=left) if left > 0 else self.queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        self._got_last = True
                        break
                    _apply(conn, more, has_texts)
                    applied += len(more)
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            if self._got_last:
                break
            # Copied into the database now, beside the listing: the checkpoint of the last
            # connection's close, when the listing has ended, has only the last commit left.
            with contextlib.suppress(sqlite3.OperationalError):  # (another one checkpointing)
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        _trim(conn)


def _apply(conn: sqlite3.Connection, batch: list[tuple], has_texts: bool) -> None:
    """Apply a batch in order; consecutive puts (or removals) go in one executemany."""
    start = 0
    while start < len(batch):
        kind = batch[start][0]
        end = start + 1
        if kind in (_PUT, _FORGET, _KEY, _MATCH, _INDEX):
            while end < len(batch) and batch[end][0] == kind:
                end += 1
        items = batch[start:end]
        if kind == _PUT:
            conn.executemany(_UPSERT, (item[1:] for item in items))
        elif kind == _FORGET:  # the triggers take the texts out
            conn.executemany("DELETE FROM files WHERE dir = ? AND name = ?", (item[1:] for item in items))
        elif kind == _FORGET_FOLDER:
            conn.execute("DELETE FROM files WHERE dir = ?", (items[0][1],))
        elif kind == _INDEX and has_texts:
            _index_many(conn, [item[1:] for item in items])
        elif kind == _KEY:
            conn.executemany(_SET_KEY, ((item[5], *item[1:5]) for item in items))
        elif kind == _MATCH:
            for item in items:
                _store_match_keys(conn, *item[1:])
        elif kind == _SNAPSHOT and has_texts:
            conn.execute(
                "INSERT OR REPLACE INTO text_snapshots (root, max_size, snapshot) VALUES (?, ?, ?)",
                items[0][1:],
            )
        start = end


def _index_many(conn: sqlite3.Connection, items: list[tuple[str, str, int, int, list[str]]]) -> None:
    """Store the texts of stored files, (folder, name, size, mtime_ns, texts) each: those still
    stored at that version and not indexed yet (a condition of the INSERT itself), then mark
    them indexed. Two executemany of plain values: a statement and a fetch per file cost the
    writer twice as much (measured on 19,014 files: 0.21-0.33 CPU-s against 0.40-0.52)."""
    unique: dict[tuple[str, str, int, int], list[str]] = {}
    for folder, name, size, mtime_ns, texts in items:
        unique.setdefault((folder, name, size, mtime_ns), texts)  # (a file sent twice: the first)
    conn.executemany(
        f"INSERT INTO texts (id, body) SELECT (f.id << {ROW_BITS}) + ?, ? FROM files f"
        " WHERE f.dir = ? AND f.name = ? AND f.size = ? AND f.mtime_ns = ? AND f.indexed = 0",
        (
            (index, text, *version)
            for version, texts in unique.items()
            for index, text in enumerate(texts[:MAX_ROWS_INDEXED])
            if text
        ),
    )
    conn.executemany(
        "UPDATE files SET indexed = 1 WHERE dir = ? AND name = ? AND size = ? AND mtime_ns = ?"
        " AND indexed = 0",
        unique,
    )


def _store_match_keys(
    conn: sqlite3.Connection, folder: str, name: str, size: int, mtime_ns: int, keys: list[tuple]
) -> None:
    """The match keys of a stored file, if it is still stored at this version (replacing any)."""
    found = conn.execute(
        "SELECT id FROM files WHERE dir = ? AND name = ? AND size = ? AND mtime_ns = ?",
        (folder, name, size, mtime_ns),
    ).fetchone()
    if found is None:
        return
    file_id = found[0]
    conn.execute("DELETE FROM match_keys WHERE file_id = ?", (file_id,))
    conn.executemany(
        "INSERT OR REPLACE INTO match_keys (file_id, interaction, api, key, facts) VALUES (?, ?, ?, ?, ?)",
        ((file_id, *key) for key in keys),
    )


def _has_texts(conn: sqlite3.Connection) -> bool:
    if not fts_available():
        return False
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'texts_index'").fetchone() is not None


def _trim(conn: sqlite3.Connection) -> None:
    """Beyond MAX_FILES files, the least recently inserted go (their texts with them: triggers)."""
    (count,) = conn.execute("SELECT count(*) FROM files").fetchone()
    if count <= MAX_FILES:
        return
    conn.execute("BEGIN IMMEDIATE")
    oldest = "SELECT id FROM files ORDER BY id LIMIT ?"
    conn.execute(f"DELETE FROM files WHERE id IN ({oldest})", (count - MAX_FILES,))
    conn.execute("COMMIT")


def _is_marked_file(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(_MARKED_FILE_START)) == _MARKED_FILE_START


def _create_tagged_folder(folder: str) -> None:
    """Make the folder with its tag already inside, by one rename: a listing starting at the same
    moment sees no folder or a tagged one, never an untagged one it would have to refuse."""
    parent = os.path.dirname(folder)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}.", suffix=".tmp", dir=parent)
    try:
        write_atomic(os.path.join(staging, TAG_NAME), TAG_TEXT)
        with contextlib.suppress(OSError):  # made meanwhile by another listing: checked by the caller
            os.rename(staging, folder)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)


def _is_marked_folder(folder: str) -> bool:
    try:
        with open(os.path.join(folder, TAG_NAME), "rb") as handle:
            return handle.read(len(TAG_TEXT) + 1) == TAG_TEXT.encode()
    except OSError:
        return False


def _is_our_file_name(name: str) -> bool:
    return name in DB_FILES or any(pattern.fullmatch(name) for pattern in _OLD_FILE_NAMES)


def _remove_marked_folder(folder: str) -> None:
    """Our files in a folder carrying our tag, then the folder if nothing else is left."""
    if not _is_marked_folder(folder):
        return
    for name in os.listdir(folder):
        if _is_our_file_name(name):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))
    if set(os.listdir(folder)) == {TAG_NAME}:
        os.unlink(os.path.join(folder, TAG_NAME))
        os.rmdir(folder)


def iter_stored(cache: SummaryCache) -> Iterator[tuple[str, int, int]]:
    """(absolute path, size, mtime_ns) of every stored file (tests and diagnostics)."""
    conn = cache.connection()
    if conn is None:
        return
    for folder, name, size, mtime_ns in conn.execute(
        "SELECT dir, name, size, mtime_ns FROM files ORDER BY dir, name"
    ):
        yield os.path.join(folder, name), size, mtime_ns
