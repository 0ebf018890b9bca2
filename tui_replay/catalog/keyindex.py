"""The recordings of a tree by request key: where the recorder would look a request up, and which
stored requests are nearest to one that missed (`tui-replay explain`, the app's "Explain a request").

Reads files (the request part is kept); no Textual.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
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
_SHORTLIST = 200  # stored requests whose bodies are compared, after the cheap criteria


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
        folders it looks in."""
        wanted = test_folder(probe.test_id)
        looked_in = [f"{wanted}/recordings/" if wanted else "(storage dir)/recordings/", "common/recordings/"]
        if not probe.hash:
            return None, looked_in
        candidates = self.by_hash.get(probe.hash, [])
        for folder in ([tuple(wanted.split("/"))] if wanted else []) + [("common",)]:
            for stored in candidates:
                if stored.folder[-len(folder) :] == folder:
                    return stored.path, looked_in
        return None, looked_in

    def explain(self, probe: Probe) -> Explanation:
        path, looked_in = self.lookup(probe)
        if path is not None:
            return Explanation(probe, "match", path, looked_in=looked_in)
        return Explanation(probe, "miss", None, self.nearest(probe), looked_in)

    def nearest(self, probe: Probe, limit: int = MAX_NEAREST) -> list[Nearest]:
        """Ranked: same test id, same id without `[params]`, same URL path, same model, then the
        fewest differing body pointers."""
        base = base_test_id(probe.test_id)

        def cheap(stored: Stored) -> tuple[bool, bool, bool, bool]:
            return (
                stored.test_id != probe.test_id,
                base_test_id(stored.test_id) != base,
                probe.url_path is not None and stored.url_path != probe.url_path,
                probe.model is not None and stored.model != probe.model,
            )

        ranked = sorted(self.stored, key=lambda stored: (cheap(stored), stored.path))[:_SHORTLIST]
        results = []
        for stored in ranked:
            differences = self._envelope_differences(stored, probe)
            if probe.request is not None:
                differences += body_differences(stored.request, probe.request)
            results.append((cheap(stored), len(differences), stored.path, Nearest(stored, differences)))
        results.sort(key=lambda item: item[:3])
        return [item[3] for item in results[:limit]]

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
