"""Which recording answers a request: the serve index.

Start-up reads only the summary cache (`Catalog.iter_summaries`, a warm `list`): every row is an
`Entry` filed under its API (chat, completions, embeddings, ...), with the request hash its file
name carries. The match keys come afterwards, once per API: by a background pass, or at the
moment a request for that API arrives first, whichever comes first. They are loaded from the
cache's `match_keys` table (one query per API, for the files whose stored version is the one
listed); only the files without stored keys are read. Reading a file files it under its content
key (the recorder's normalized body with the test id left out, plus the API), hands it to the
explain engine (`KeyIndex.add`) and stores its keys for the next run. From then on a request
costs a few dict lookups. The explain engine needs every body: the first miss reads the files
it was not given yet.

Matching (docs/serve.md):
  1. a request that names a test is looked up by the recorder's exact hash (test id included,
     the recorded URL path; the test folder first, then `common/`, as the recorder does);
  2. otherwise by content key; several files with different answers: the first by path, and the
     match says it was ambiguous;
  3. cassette interactions by vcrpy's default matchers (method, path and query, body), each
     recorded repeat played in turn.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import itertools
import json
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from tui_replay.catalog.catalog import Catalog
from tui_replay.recording.limits import DEFAULT_MAX_SIZE
from tui_replay.recording.model import RecordingError, Summary
from tui_replay.recording.request_hash import (
    CURRENT,
    HTTP,
    INFERENCE,
    hashed_object,
    normalize_body,
    parse_name,
    recording_test_id,
    request_hash,
    request_variant,
    test_folder,
)

# URL path suffix -> API. Ollama's first: `/api/embeddings` also ends in `/embeddings`.
_API_SUFFIXES = (
    ("/api/chat", "ollama_chat"),
    ("/api/generate", "ollama_generate"),
    ("/api/tags", "ollama_tags"),
    ("/api/ps", "ollama_ps"),
    ("/api/embeddings", "ollama_embeddings"),
    ("/api/embed", "ollama_embed"),
    ("/chat/completions", "chat"),
    ("/completions", "completions"),
    ("/embeddings", "embeddings"),
    ("/models", "models"),
    ("/responses", "responses"),
    ("/messages", "messages"),
)
MODEL_LIST_APIS = frozenset({"models", "ollama_tags"})  # the recorder leaves the test id out
OLLAMA_APIS = frozenset(api for _, api in _API_SUFFIXES if api.startswith("ollama"))

HIT, AMBIGUOUS, MISS, RECORDED = "hit", "ambiguous", "miss", "recorded"


@functools.lru_cache(maxsize=4096)
def api_of(path: str | None) -> str | None:
    """The API a URL path (or a recorded endpoint) calls, whatever prefix it carries."""
    if not path:
        return None
    path = path.rstrip("/")
    for suffix, api in _API_SUFFIXES:
        if path.endswith(suffix):
            return api
    return None


def _digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


# SDK keyword arguments a recording's body keeps (§4.1) that are not body keys on the wire.
_CLIENT_ONLY_KWARGS = ("extra_body", "extra_query", "extra_headers", "timeout")


def wire_body(body: Any) -> Any:
    """A recorded body (the SDK's keyword arguments) as the SDK sends it: `extra_body` merged in,
    the other client-only arguments left out. A body from the wire comes back unchanged."""
    if not isinstance(body, dict) or not any(key in body for key in _CLIENT_ONLY_KWARGS):
        return body
    wire = {key: value for key, value in body.items() if key not in _CLIENT_ONLY_KWARGS}
    extra = body.get("extra_body")
    if isinstance(extra, dict):
        wire.update(extra)
    return wire


def content_key(api: str, body: Any) -> str:
    """What a request is matched on without a test id: the API and the normalized body as sent."""
    body = wire_body(body)
    if api in MODEL_LIST_APIS:
        body = {}  # listed with GET (no body) or the recorder's POST of {}: the same list
    try:
        return _digest([api, normalize_body(body, CURRENT)])
    except TypeError:  # a value orjson cannot write (an int beyond 64 bits): the stdlib can
        return hashlib.sha256(json.dumps([api, body], sort_keys=True).encode()).hexdigest()


def vcr_key(method: str, url: str, body: Any) -> str:
    """vcrpy's default matchers, host left out (the client talks to us): method, path, query, body."""
    parts = urlsplit(url)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return _digest([method.upper(), parts.path, query, body])


class Entry:
    """One servable recording (a file, or `cassette.yaml#N`): its summary row, its API, and what
    reading the file taught (class-level defaults until then: a row costs two attributes, and a
    start-up on 100,000 rows makes 100,000 of them)."""

    read = False
    unreadable = False
    current = False  # the file name is the recorder's hash of its request (current rules)
    test_id_hashed = True  # the recorder's hash includes the test id (not for /v1/models)
    key: str | None = None  # content_key or vcr_key, once read
    url: str | None = None  # the recorded request URL
    answer: str | None = None  # digest of the recorded response: tells same answers apart
    response_id: str | None = None  # Responses API: the id of the recorded response

    def __init__(self, summary: Summary, api: str) -> None:
        self.summary = summary
        self.api = api

    @property
    def address(self) -> str:
        return self.summary.path

    @property
    def file(self) -> str:
        return self.summary.file

    @property
    def interaction(self) -> int | None:
        return self.summary.interaction

    @property
    def test_id(self) -> str | None:
        return self.summary.test_id

    @property
    def is_cassette(self) -> bool:
        return self.interaction is not None

    @property
    def name_hash(self) -> str | None:
        """The hash the file name carries (None for cassettes and names the recorder does not give)."""
        if self.is_cassette:
            return None
        key = parse_name(os.path.basename(self.file))
        return key.hash if key is not None else None

    @property
    def folder(self) -> tuple[str, ...]:
        """The folder holding `recordings/`, as path components (the recorder's lookup order)."""
        return _folder_of(self.file)


# What reading an entry taught besides its key, as stored in the cache (`match_keys.facts`).
_FACT_TYPES = (
    ("url", (str, type(None))),
    ("answer", (str, type(None))),
    ("response_id", (str, type(None))),
    ("current", (bool,)),
    ("test_id_hashed", (bool,)),
    ("unreadable", (bool,)),
)
RECORDING_INTERACTION = -1  # `match_keys.interaction` of a recording (not a cassette)
# Every allowed combination of value types: a stored list is checked in one lookup.
_VALID_FACT_TYPES = frozenset(itertools.product(*(types for _, types in _FACT_TYPES)))


def entry_facts(entry: Entry) -> bytes:
    return orjson.dumps([getattr(entry, name) for name, _ in _FACT_TYPES])


def restore_facts(entry: Entry, key: object, facts: object) -> bool:
    """Give `entry` what a stored read of it taught; False (and `entry` unchanged) when the
    stored values are not of the expected shape (the file is read instead)."""
    if not (key is None or type(key) is str) or type(facts) is not bytes:
        return False
    try:
        values = orjson.loads(facts)
    except orjson.JSONDecodeError:
        return False
    if type(values) is not list or tuple(map(type, values)) not in _VALID_FACT_TYPES:
        return False
    if key is None and not values[-1]:  # only an unreadable entry has no key
        return False
    # (In _FACT_TYPES order; 100,000 entries at a start: no loop of setattr.)
    entry.url, entry.answer, entry.response_id, entry.current, entry.test_id_hashed, entry.unreadable = values
    entry.key = key
    entry.read = True
    return True


@dataclass(slots=True)
class ClientRequest:
    """A request as it reached the server."""

    method: str
    path: str
    query: str
    body: Any  # the parsed JSON body, the text of another body, or None
    test_id: str | None

    @property
    def api(self) -> str | None:
        return api_of(self.path)


@dataclass(slots=True)
class Match:
    verdict: str  # hit | ambiguous | miss
    entry: Entry | None = None
    candidates: list[Entry] = field(default_factory=list)  # every file that matched
    hash: str | None = None  # the recorder's hash of the request (when it names a test)


def _folder_of(path: str) -> tuple[str, ...]:
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    return tuple(parts[:-2]) if len(parts) > 2 and parts[-2] == "recordings" else tuple(parts[:-1])


class ServeIndex:
    """Every servable recording under `roots`. Thread-safe: the server, the background reader
    and the watcher share it."""

    def __init__(
        self,
        roots: Iterable[str],
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        use_cache: bool = True,
        cache_dir: str | None = None,
    ) -> None:
        self.roots = list(roots)
        self.max_size = max_size
        self.catalog = Catalog(max_size=max_size, use_cache=use_cache, cache_dir=cache_dir)
        self.lock = threading.RLock()
        self.entries: dict[str, Entry] = {}
        self.by_api: dict[str, list[Entry]] = {}
        self.by_key: dict[str, list[Entry]] = {}
        self.response_ids: dict[str, Entry] = {}  # Responses API: id -> the recording that made it
        self._complete_apis: set[str] = set()
        self._played: dict[str, int] = {}  # vcr key -> how many times it was served
        # The explain engine (KeyIndex), filled as files are read (one read per file serves both).
        self._explainer: Any = None
        self._explainer_paths: set[str] = set()
        self._explain_tried: set[str] = set()  # files read for the explain engine
        self._keys_loaded: set[str] = set()  # APIs whose stored match keys were loaded
        self._loading = threading.Lock()
        self.files_read = 0  # request bodies read (files), this process
        self.keys_from_cache = 0  # entries whose keys came from the cache
        self._keys_unsaved = False  # keys handed to the cache since its last save
        self.all_read = threading.Event()

    # -- building ------------------------------------------------------------------------

    def build(self) -> int:
        """List the roots through the summary cache; returns how many recordings can be served."""
        # Many small objects that all stay: the cyclic GC would only rescan them (half the time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            with self.lock:  # once, not per row: 100,000 rows
                self._add_all(self.catalog.iter_summaries(self.roots))
        finally:
            if collecting:
                gc.enable()
        return len(self.entries)

    def _add_all(self, summaries: Iterable[Summary]) -> None:
        """`_add` of a first listing (no row known yet), as a tight loop: it runs 100,000 times."""
        entries, by_api = self.entries, self.by_api
        for summary in summaries:
            address = summary.path
            if address in entries:  # listed twice (a root inside another): the general path
                self._add(summary)
                continue
            if summary.status != "ok":
                continue
            api = api_of(summary.endpoint)
            if api is None:
                continue
            entry = entries[address] = Entry(summary, api)
            bucket = by_api.get(api)
            if bucket is None:
                bucket = by_api[api] = []
            bucket.append(entry)

    def add_summary(self, summary: Summary) -> Entry | None:
        with self.lock:
            return self._add(summary)

    def _add(self, summary: Summary) -> Entry | None:
        address = summary.path
        if address in self.entries:
            self._drop(address)
        if summary.status != "ok":
            return None
        api = api_of(summary.endpoint)
        if api is None:
            return None
        entry = self.entries[address] = Entry(summary, api)
        self.by_api.setdefault(api, []).append(entry)
        self._complete_apis.discard(api)
        return entry

    def listed(self) -> dict[str, Summary]:
        """The rows served, by address: what the folder watcher is told is known."""
        with self.lock:
            return {address: entry.summary for address, entry in self.entries.items()}

    def remove(self, address: str) -> None:
        with self.lock:
            self._drop(address)

    def _drop(self, address: str) -> None:
        old = self.entries.pop(address, None)
        if old is None:
            return
        bucket = self.by_api.get(old.api, [])
        if old in bucket:
            bucket.remove(old)
        if old.key is not None and old in self.by_key.get(old.key, []):
            self.by_key[old.key].remove(old)

    # -- reading request bodies ------------------------------------------------------------

    def ready(self, api: str) -> bool:
        """Every file of `api` is read: matching it costs lookups only."""
        return api in self._complete_apis

    def ensure_api(self, api: str) -> None:
        """Load the stored keys of `api`, then read every file of it still without keys (once
        per API and process). The lock is taken per file, so requests of APIs already read are
        never held up for long."""
        while api not in self._complete_apis:
            self._load_keys(api)
            with self.lock:
                pending = [entry for entry in self.by_api.get(api, []) if not entry.read]
                if not pending:
                    self._complete_apis.add(api)
                    return
            for entry in pending:
                with self.lock:
                    if not entry.read and self.entries.get(entry.address) is entry:
                        self._read(entry)
                time.sleep(0)  # let the server's thread in between two files

    def read_all(self) -> None:
        """Every API's keys, from the cache or read (the background pass, and before a miss);
        then what was read is written to the cache."""
        for api in list(self.by_api):
            self.ensure_api(api)
        self.save_keys()
        self.all_read.set()

    def _load_keys(self, api: str) -> None:
        """The stored match keys of `api` for the entries listed at their stored version."""
        cache = self.catalog.cache
        if api in self._keys_loaded:
            return
        with self._loading:  # (once per API; requests of other APIs go on meanwhile)
            if api in self._keys_loaded:
                return
            if cache is not None:
                with self.catalog.lock:  # the watcher shares the cache
                    stored = [
                        (root, list(cache.iter_match_keys(api, os.path.abspath(root)))) for root in self.roots
                    ]
                with self.lock:
                    self._restore_keys(api, stored)
            self._keys_loaded.add(api)

    def _restore_keys(self, api: str, stored: list[tuple[str, list[tuple]]]) -> None:
        """Give the entries of `api` listed at their stored version the keys stored, by root."""
        entries, by_key, loaded = self.entries, self.by_key, 0
        for root, rows in stored:
            abs_root = os.path.abspath(root)
            # A stored folder as the scan spells it (the root as given, then the rest), with
            # its separator: one join per folder, not per file.
            prefixes: dict[str, str] = {}
            file_root = not os.path.isdir(abs_root)  # (its rows are of that file alone)
            for folder, name, size, mtime_ns, interaction, key, facts in rows:
                prefix = prefixes.get(folder)
                if prefix is None:
                    relative = folder[len(abs_root) + 1 :]
                    prefix = prefixes[folder] = os.path.join(root, relative, "")
                address = root if file_root else prefix + name
                if interaction != RECORDING_INTERACTION:
                    address = f"{address}#{interaction}"
                entry = entries.get(address)
                if entry is None or entry.read or entry.api != api:
                    continue
                summary = entry.summary
                if summary.size != size or summary.mtime_ns != mtime_ns:
                    continue  # changed since: read again
                if not restore_facts(entry, key, facts):
                    continue
                loaded += 1
                if key is not None:
                    by_key.setdefault(key, []).append(entry)
                if entry.response_id is not None:
                    self.response_ids.setdefault(entry.response_id, entry)
        self.keys_from_cache += loaded

    def save_keys(self) -> None:
        """Write the keys read so far to the cache (waits for the write, at most the busy timeout)."""
        cache = self.catalog.cache
        if cache is None:
            return
        with self.catalog.lock:  # (checked inside: a miss waits for a save under way, then returns)
            if self._keys_unsaved:  # (a miss calls this too: not for nothing)
                self._keys_unsaved = False
                cache.save()

    def _store_keys(self, entry: Entry, filled: list[Entry], size: int, mtime_ns: int) -> None:
        """Keep the keys of the entries of one file just read, for the version read."""
        cache = self.catalog.cache
        summary = entry.summary
        if cache is None or not filled or (summary.size, summary.mtime_ns) != (size, mtime_ns):
            return  # changed since it was listed: its row is of another version
        keys = [
            (
                RECORDING_INTERACTION if item.interaction is None else item.interaction,
                item.api,
                item.key,
                entry_facts(item),
            )
            for item in filled
        ]
        with self.catalog.lock:
            if cache.put_match_keys(os.path.abspath(entry.file), size, mtime_ns, keys):
                self._keys_unsaved = True

    def _read(self, entry: Entry) -> None:
        """File `entry` under its key (and a cassette's other interactions with it), give it to
        the explain engine, and store the keys read."""
        from tui_replay.recording.load import apply_id_mapping, parse_json, read_bytes_stat  # the parser

        self.files_read += 1
        self._explain_tried.add(entry.file)
        try:
            data, st = read_bytes_stat(entry.file, self.max_size)
            if entry.is_cassette:
                from tui_replay.recording.cassette import parse_cassette  # YAML: only for cassettes

                known, filled = self._read_cassette(entry.file, parse_cassette(data))
            else:
                filled = not entry.read
                known = self._file(entry, apply_id_mapping(parse_json(data)))
        except (RecordingError, OSError, ValueError):
            if not entry.read:
                entry.read = entry.unreadable = True
            return
        if filled:  # (not when read only for the explain engine: the keys are stored)
            self._store_keys(entry, known, st.st_size, st.st_mtime_ns)

    def _read_cassette(self, file: str, interactions: list[Any]) -> tuple[list[Entry], bool]:
        """Fill the interactions not read yet; returns every interaction of the file known (for
        the cache: a file's keys are stored together) and whether any was filled."""
        from tui_replay.recording.cassette import convert_interaction

        known: list[Entry] = []
        filled = False
        for index, raw in enumerate(interactions):
            entry = self.entries.get(f"{file}#{index}")
            if entry is None:
                continue
            if entry.read and entry.address in self._explainer_paths:
                known.append(entry)
                continue
            try:
                item = convert_interaction(raw, self.max_size)
            except Exception:  # the listing already said what is wrong with it
                if not entry.read:
                    entry.read = entry.unreadable = filled = True
                known.append(entry)
                continue
            if not entry.read:
                filled = True
                entry.url = item.url
                entry.key = vcr_key(item.method, item.url, item.request_raw.get("body"))
                entry.read = True
                if item.obj is not None:
                    self._remember(entry, item.obj)
                self.by_key.setdefault(entry.key, []).append(entry)
            if item.obj is not None:
                self._to_explainer(entry, {**item.obj, "test_id": entry.test_id})
            known.append(entry)
        return known, filled

    def _file(self, entry: Entry, obj: dict[str, Any]) -> list[Entry]:
        """Fill a recording's entry (if not read yet); returns it (for the cache)."""
        if entry.read:
            self._to_explainer(entry, obj)
            return [entry]
        request = obj.get("request")
        variant = request_variant(request)
        entry.read = True
        if variant not in (INFERENCE, HTTP):
            entry.unreadable = True
            return [entry]
        assert isinstance(request, dict)
        entry.url = request["url"]
        body = request.get("body") if variant == INFERENCE else request.get("payload")
        entry.key = content_key(entry.api, body)
        name_hash = entry.name_hash
        if name_hash is not None and len(name_hash) == 64:
            with contextlib.suppress(TypeError, ValueError, RecursionError):
                entry.current = request_hash(request, recording_test_id(obj), CURRENT) == name_hash
                entry.test_id_hashed = "test_id" in (hashed_object(request, None) or {})
        self._remember(entry, obj)
        self.by_key.setdefault(entry.key, []).append(entry)
        self._to_explainer(entry, obj)
        return [entry]

    def _remember(self, entry: Entry, obj: dict[str, Any]) -> None:
        response = obj.get("response")
        entry.answer = _digest(response) if response is not None else None
        if entry.api == "responses" and isinstance(response, dict):
            body = response.get("body")
            if isinstance(body, dict) and isinstance(body.get("id"), str):
                entry.response_id = body["id"]
                self.response_ids.setdefault(body["id"], entry)

    def prepare_explainer(self) -> None:
        """Give the explain engine every file it was not given (keys loaded from the cache come
        without their bodies): read here, once per file, before explaining a miss."""
        with self.lock:
            pending = {e.file: e for e in self.entries.values() if e.file not in self._explain_tried}
        for entry in pending.values():
            with self.lock:
                if entry.file not in self._explain_tried and self.entries.get(entry.address) is entry:
                    self._read(entry)
            time.sleep(0)  # let the server's thread in between two files

    @property
    def explainer(self) -> Any:
        """`catalog.keyindex.KeyIndex` over every file read so far (`explain`'s engine)."""
        if self._explainer is None:
            from tui_replay.catalog.keyindex import KeyIndex

            self._explainer = KeyIndex([], max_size=self.max_size)
        return self._explainer

    def _to_explainer(self, entry: Entry, obj: dict[str, Any]) -> None:
        if entry.address in self._explainer_paths:
            return
        request = obj.get("request")
        if isinstance(request, dict) and request_variant(request) is not None:
            self._explainer_paths.add(entry.address)
            self.explainer.add(entry.address, obj, request)

    # -- matching --------------------------------------------------------------------------

    def match(self, request: ClientRequest) -> Match:
        api = request.api
        if api is None:
            return Match(MISS)
        self.ensure_api(api)
        with self.lock:
            found = self._match_recording(request, api)
            if found.verdict != MISS:
                return found
            cassette = self._match_cassette(request)
            if cassette is not None:
                return cassette
            return found

    def _match_recording(self, request: ClientRequest, api: str) -> Match:
        key = content_key(api, request.body)
        same = sorted(
            (e for e in self.by_key.get(key, []) if not e.is_cassette and not e.unreadable),
            key=lambda e: e.address,
        )
        if request.test_id is None:
            if not same:
                return Match(MISS)
            answers = {entry.answer for entry in same}
            return Match(AMBIGUOUS if len(answers) > 1 else HIT, same[0], same)
        return self._match_exact(request, api, same)

    def _match_exact(self, request: ClientRequest, api: str, same: list[Entry]) -> Match:
        """The recorder's lookup of the request's hash: the files named by it (their request has
        this body and this test id, or is a model list whose hash leaves the test id out), the
        test folder first, then `common/`."""
        test_id = request.test_id
        wanted = test_folder(test_id)
        order = ([tuple(wanted.split("/"))] if wanted else []) + [("common",)]
        hits: list[tuple[int, str, Entry]] = []
        for entry in same:
            if not entry.current or (entry.test_id_hashed and entry.test_id != test_id):
                continue
            rank = next((n for n, f in enumerate(order) if entry.folder[-len(f) :] == f), None)
            if rank is not None:
                hits.append((rank, entry.address, entry))
        if not hits:
            return Match(MISS)
        hits.sort(key=lambda item: item[:2])
        found = hits[0][2]
        return Match(HIT, found, [hit[2] for hit in hits], hash=found.name_hash)

    @staticmethod
    def as_stored_request(request: ClientRequest, url: str, api: str | None = None) -> dict[str, Any]:
        """The request as a recording would store it (the inference or the raw-HTTP variant)."""
        api = api or request.api
        if api in ("messages", "responses"):
            return {"url": url, "method": "POST", "payload": request.body}
        body = {} if api in MODEL_LIST_APIS and not request.body else request.body
        path = urlsplit(url).path
        model = body.get("model") if isinstance(body, dict) else None
        return {
            "method": "POST",
            "url": url,
            "headers": {},
            "body": body,
            "endpoint": path,
            "model": model if isinstance(model, str) else "",
        }

    def _match_cassette(self, request: ClientRequest) -> Match | None:
        url = request.path + (f"?{request.query}" if request.query else "")
        key = vcr_key(request.method, url, request.body)
        played = [e for e in self.by_key.get(key, []) if e.is_cassette]
        if not played:
            return None
        played.sort(key=lambda e: (e.file, e.interaction or 0))
        turn = self._played.get(key, 0)
        self._played[key] = turn + 1
        # Recorded n times: played in order, then the last one again.
        return Match(HIT, played[min(turn, len(played) - 1)], played)

    def response_by_id(self, response_id: str) -> Entry | None:
        self.ensure_api("responses")
        with self.lock:
            return self.response_ids.get(response_id)

    def example_url(self, request: ClientRequest) -> str | None:
        """A recorded URL for this API (the one this test used, if any): what the recorder's hash
        of a missing request is computed with."""
        api = request.api
        with self.lock:
            bucket = [e for e in self.by_api.get(api or "", []) if e.url and not e.is_cassette]
            same_test = (e for e in bucket if e.test_id == request.test_id)
            chosen = next(itertools.chain(same_test, bucket), None)
            return chosen.url if chosen else None
