"""The recordings of a tree by request key: where the recorder would look a request up, and which
stored requests are nearest to one that missed (`tui-replay explain`, the app's "Explain a request").

Reads files (the request part is kept); no Textual.
"""

from __future__ import annotations

import difflib
import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

from tui_replay.catalog.scan import find_recordings
from tui_replay.recording.jsondiff import MISSING, json_pointer_differences
from tui_replay.recording.load import apply_id_mapping, parse_json, read_bytes
from tui_replay.recording.miss import Probe
from tui_replay.recording.model import RecordingError
from tui_replay.recording.request_hash import (
    CURRENT,
    INFERENCE,
    TOOL,
    normalize_body,
    parse_name,
    recording_test_id,
    request_variant,
    test_folder,
)

MAX_NEAREST = 5
# Besides every recording of the probe's own test (however many), the stored requests of other
# tests whose bodies are compared, best cheap criteria first.
_OTHERS = 200
_SIMILARITY_LIMIT = 20_000  # longer strings: only their common head and tail are measured


@dataclass(slots=True)
class Stored:
    path: str
    name: str
    folder: tuple[str, ...]  # the folder holding `recordings/`, as path components
    test_id: str | None
    url_path: str | None
    model: str | None
    request: dict[str, Any]


@dataclass(slots=True)
class Nearest:
    stored: Stored
    differences: list[tuple[str, Any, Any]]  # (pointer, stored, request); envelope fields have no "/"

    distance: float = 0.0  # the differences weighed by size: 1 each, less for a similar string
    tied: bool = False  # ranks level with the first: nothing tells them apart

    @property
    def score(self) -> int:
        """The number of differences (0: the same request, stored under another name)."""
        return len(self.differences)


@dataclass(slots=True)
class Explanation:
    probe: Probe
    verdict: str  # match | miss
    path: str | None  # match: the file the recorder would read
    nearest: list[Nearest] = field(default_factory=list)
    looked_in: list[str] = field(default_factory=list)  # the folders of the lookup order
    ties: int = 0  # recordings level with the first nearest (0: the first stands alone)
    note: str | None = None  # what the request lacked, or how the match was found


def base_test_id(test_id: str | None) -> str | None:
    """The test id without its `[params]`."""
    return test_id.split("[", 1)[0] if test_id else None


def _hashed_part(request: dict[str, Any]) -> Any:
    """What the hash sees of a request besides its envelope: normalized body, payload or kwargs."""
    variant = request_variant(request)
    if variant == TOOL:
        return request.get("kwargs")
    value = request.get("body") if variant == INFERENCE else request.get("payload")
    return normalize_body(value, CURRENT)


def _raw_part(request: dict[str, Any]) -> Any:
    variant = request_variant(request)
    if variant == TOOL:
        return request.get("kwargs")
    return request.get("body") if variant == INFERENCE else request.get("payload")


def resolve_pointer(document: Any, pointer: str) -> tuple[bool, Any]:
    """(found, value) at an RFC 6901 pointer."""
    value = document
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return False, None
    return True, value


def body_differences(stored: dict[str, Any], request: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Differences that change the hash, with the values as written (not normalized)."""
    differences = []
    raw_stored, raw_request = _raw_part(stored), _raw_part(request)
    hashed = json_pointer_differences(_hashed_part(stored), _hashed_part(request), strict_numbers=True)
    for pointer, left, right in hashed:
        found_left, raw_left = resolve_pointer(raw_stored, pointer)
        found_right, raw_right = resolve_pointer(raw_request, pointer)
        differences.append(
            (
                pointer,
                raw_left if found_left else _none(left),
                raw_right if found_right else _none(right),
            )
        )
    return differences


def string_similarity(a: str, b: str) -> float:
    """0 (nothing in common) .. 1 (equal): the share of words in matching runs, or of the
    characters of the common head and tail, whichever is higher (one sentence appended to a long
    message stays near 1; a rewritten message does not)."""
    if a == b:
        return 1.0
    longest = max(len(a), len(b))
    head = _common_head(a, b)
    tail = _common_head(a[head:][::-1], b[head:][::-1])
    edges = (head + tail) / longest
    if longest > _SIMILARITY_LIMIT:
        return edges
    matcher = difflib.SequenceMatcher(None, a.split(), b.split())
    return max(edges, matcher.ratio())


def _common_head(a: str, b: str) -> int:
    """The length of the common prefix (bisected: slices compare in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def difference_weight(stored: Any, request: Any) -> float:
    """One difference weighed by its size: a changed string by how unlike the two are, anything
    else (a number, a flag, an added or removed key or item) as 1."""
    if isinstance(stored, str) and isinstance(request, str):
        return 1.0 - string_similarity(stored, request)
    return 1.0


def difference_distance(differences: list[tuple[str, Any, Any]]) -> float:
    return sum(difference_weight(stored, request) for _, stored, request in differences)


def _none(value: Any) -> Any:
    """A side without the key or item is shown (and written as JSON) as null."""
    return None if value is MISSING else value


class KeyIndex:
    """Every readable recording under `roots`, by file name; unreadable files are left out."""

    def __init__(self, roots: Iterable[str], *, max_size: int | None = None) -> None:
        self.stored: list[Stored] = []
        self.by_name: dict[str, list[Stored]] = {}
        self.by_hash: dict[str, list[Stored]] = {}
        for found in find_recordings(roots):
            if found.problem is not None:
                continue
            try:
                data = read_bytes(found.path, max_size) if max_size else read_bytes(found.path)
                obj = apply_id_mapping(parse_json(data))
            except (RecordingError, OSError, ValueError):
                continue
            request = obj.get("request")
            if request_variant(request) is None:
                continue
            assert isinstance(request, dict)
            self.add(found.path, obj, request)

    def add(self, path: str, obj: dict[str, Any], request: dict[str, Any]) -> None:
        name = os.path.basename(path)
        parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
        folder = tuple(parts[:-2]) if len(parts) > 2 and parts[-2] == "recordings" else tuple(parts[:-1])
        url = request.get("url")
        body = _raw_part(request)
        model = request.get("model") or (body.get("model") if isinstance(body, dict) else None)
        stored = Stored(
            path,
            name,
            folder,
            recording_test_id(obj),
            urlparse(url).path if isinstance(url, str) else None,
            model if isinstance(model, str) and model else None,
            request,
        )
        self.stored.append(stored)
        self.by_name.setdefault(name, []).append(stored)
        key = parse_name(name)
        if key is not None:
            self.by_hash.setdefault(key.hash, []).append(stored)

    def lookup(self, probe: Probe) -> tuple[str | None, list[str]]:
        """The file the recorder would read for `probe` (test folder, then `common/`), and the
        folders it looks in. A tree laid out otherwise (the samples' flat `recordings/`) stands
        in the folders that hold the test file's recordings for its test folder. With no test
        id, the hash is looked up in every folder."""
        wanted = test_folder(probe.test_id)
        if probe.test_id is None:
            looked_in = ["every folder (no test id)"]
            found = self.by_hash.get(probe.hash or "", [])
            return (found[0].path if found else None), looked_in
        folders = self._test_folders(wanted) if wanted is not None else []
        looked_in = [label for _, label in folders] or ["(storage dir)/recordings/"]
        looked_in.append("common/recordings/")
        if not probe.hash:
            return None, looked_in
        candidates = self.by_hash.get(probe.hash, [])
        for folder in [folder for folder, _ in folders] + [("common",)]:
            for stored in candidates:
                if stored.folder[-len(folder) :] == folder:
                    return stored.path, looked_in
        return None, looked_in

    def _test_folders(self, wanted: str) -> list[tuple[tuple[str, ...], str]]:
        """(folder components, label) where the recordings of test folder `wanted` are."""
        components = tuple(wanted.split("/")) if wanted else ()
        if any(components and stored.folder[-len(components) :] == components for stored in self.stored):
            return [(components, f"{wanted}/recordings/")]
        stand_ins: dict[tuple[str, ...], str] = {}
        for stored in self.stored:
            if stored.test_id and test_folder(stored.test_id) == wanted:
                stand_ins.setdefault(stored.folder, os.path.dirname(stored.path) + os.sep)
        if stand_ins:
            return sorted(stand_ins.items(), key=lambda item: item[1])
        return [(components, f"{wanted}/recordings/")] if components else []

    def tests_named(self, test_name: str) -> set[str]:
        """The stored test ids that pytest's section header `TestX.test_y[p]` stands for."""
        return {
            stored.test_id
            for stored in self.stored
            if stored.test_id
            and "::" in stored.test_id
            and stored.test_id.split("::", 1)[1].replace("::", ".") == test_name
        }

    def resolve_test(self, probe: Probe) -> Probe:
        """A probe that names its test only as pytest's section header does (no file) gets the
        one stored test id that reads so; unchanged when none or several do."""
        if probe.test_id is not None or not probe.test_name:
            return probe
        ids = self.tests_named(probe.test_name)
        return replace(probe, test_id=ids.pop()) if len(ids) == 1 else probe

    def _unplaced(self, probe: Probe) -> str:
        """Why a request with neither its body nor its test id gets no nearest: nothing ranks them."""
        if probe.test_name:
            count = len(self.tests_named(probe.test_name))
            which = f"{count} test ids read" if count else "no recording has a test named"
            return f"{which} {probe.test_name}, and the text carries no body: nothing to rank"
        return "the text names no test and carries no body, and no file under the paths has that hash"

    def explain(self, probe: Probe) -> Explanation:
        """The public entry point (`explain`, the app, a replay server answering a miss): the
        file the recorder would read, else the recordings nearest to the request, ranked, each
        with its differences."""
        given = probe
        probe = self.resolve_test(probe)
        resolved = f"test {probe.test_id}, the one stored id its section header reads as"
        note = resolved if probe is not given else None
        path, looked_in = self.lookup(probe)
        if path is not None:
            if probe.test_id is None:
                note = "found by its hash alone: the request names no test"
            return Explanation(probe, "match", path, looked_in=looked_in, note=note)
        if probe.test_id is None and probe.request is None:
            return Explanation(probe, "miss", None, looked_in=looked_in, note=self._unplaced(probe))
        ranked = self._rank(probe, MAX_NEAREST)  # every one tied with the first is in it
        ties = sum(1 for nearest in ranked if nearest.tied)
        return Explanation(probe, "miss", None, ranked[:MAX_NEAREST], looked_in, ties=ties, note=note)

    def nearest(self, probe: Probe, limit: int | None = MAX_NEAREST) -> list[Nearest]:
        """The `limit` recordings nearest to `probe` (all with None), ranked (see `_rank`)."""
        return self._rank(probe, limit)[:limit]

    def _rank(self, probe: Probe, enough: int | None) -> list[Nearest]:
        """Ranked: same test id, same id without `[params]`, same URL path, same model, then the
        smallest weighed difference (`difference_distance`). Every recording of the probe's test
        is compared, then, while fewer than `enough` are ranked, the `_OTHERS` best of the rest,
        one tier of those criteria at a time (a later tier never ranks above an earlier one, so
        every recording level with the first is in the list). Those level with it are `tied`."""
        base = base_test_id(probe.test_id)

        def cheap(stored: Stored) -> tuple[bool, bool, bool, bool]:
            return (
                stored.test_id != probe.test_id,
                base_test_id(stored.test_id) != base,
                probe.url_path is not None and stored.url_path != probe.url_path,
                probe.model is not None and stored.model != probe.model,
            )

        def ranked(stored: Stored) -> tuple[tuple[Any, ...], str, Nearest]:
            differences = self._envelope_differences(stored, probe)
            if probe.request is not None:
                differences += body_differences(stored.request, probe.request)
            distance = round(difference_distance(differences), 9)
            return (
                (cheap(stored), distance, len(differences)),
                stored.path,
                Nearest(stored, differences, distance),
            )

        own = [stored for stored in self.stored if base is not None and base_test_id(stored.test_id) == base]
        results = [ranked(stored) for stored in own]
        others = [stored for stored in self.stored if base is None or base_test_id(stored.test_id) != base]
        shortlist = sorted(others, key=lambda stored: (cheap(stored), stored.path))[:_OTHERS]
        for _, tier in itertools.groupby(shortlist, key=cheap):
            if enough is not None and len(results) >= enough:
                break
            results += [ranked(stored) for stored in tier]
        results.sort(key=lambda item: item[:2])
        if len(results) > 1 and results[0][0] == results[1][0]:
            for rank_key, _, nearest in results:
                nearest.tied = rank_key == results[0][0]
        return [nearest for _, _, nearest in results]

    @staticmethod
    def _envelope_differences(stored: Stored, probe: Probe) -> list[tuple[str, Any, Any]]:
        differences: list[tuple[str, Any, Any]] = []
        if stored.test_id != probe.test_id:
            differences.append(("test_id", stored.test_id, probe.test_id))
        if probe.url_path is not None and stored.url_path != probe.url_path:
            differences.append(("url_path", stored.url_path, probe.url_path))
        if probe.request is None and probe.model is not None and stored.model != probe.model:
            differences.append(("model", stored.model, probe.model))  # with a body, /model says it
        return differences
