"""A synthetic re-recording of 400 recordings in a real git repository (issue 18).

Built from the vendored corpus in a llama-stack layout (`tests/integration/<suite>/recordings/`),
committed, then "re-recorded" the way a real re-record commit looks: most files change only
their ids and timestamps, some change their answers, some are added or removed, a few are
renamed, and test code and data (conftest.py, README.md, test_cases/*.json) change beside them.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from support import CORPUS
from test_diff_cli import _git

RECORDINGS = 400
_WORD = re.compile(r"[A-Za-z]{4,}")
# Keys whose values say what an object is, not what the model answered.
_KEPT = frozenset(
    {"id", "type", "object", "role", "model", "name", "__type__", "finish_reason", "status", "stop_reason"}
    | {"call_id", "tool_call_id", "event", "url", "method", "endpoint"}
)


@dataclass
class Rerecording:
    repo: Path
    same_answer: list[str] = field(default_factory=list)
    changed_answer: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    renamed_from: list[str] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)  # changed files that are not recordings

    @property
    def recordings(self) -> int:
        return sum(map(len, (self.same_answer, self.changed_answer, self.added, self.removed, self.renamed)))


def _sources() -> list[Path]:
    """The corpus's llama-stack recordings under 300 KB, in a fixed order."""
    return sorted(
        path
        for path in CORPUS.glob("llama-stack*/**/*.json")
        if "recordings" in path.parts and path.stat().st_size < 300_000
    )


def _suite(source: Path) -> str:
    parts = source.relative_to(CORPUS).parts
    return next((p for p in parts[1:] if p not in ("recordings",)), "common")


def _new_ids(obj: dict, number: int) -> None:
    """What every re-record changes: each response object's id and creation time (a model
    list's ids are its answer, kept); with none of those, the recorder's SDK version."""
    body = obj["response"].get("body")
    changed = False
    for item in body if isinstance(body, list) else [body]:
        if not isinstance(item, dict) or "model.Model" in str(item.get("__type__")):
            continue
        data = item.get("__data__", item)
        if not isinstance(data, dict):
            continue
        if isinstance(data.get("id"), str):
            data["id"] = f"{data['id']}-rerecorded-{number}"
            changed = True
        for key in ("created", "created_at"):
            if isinstance(data.get(key), int | float) and not isinstance(data.get(key), bool):
                data[key] += 86_400
                changed = True
    if not changed:
        obj["request"]["provider_metadata"] = {"openai_sdk_version": f"2.{number}.0"}


def _other_answer(value, number: int):
    """Another model's answer: every third longer word of each text replaced, numbers moved."""
    if isinstance(value, dict):
        return {
            key: (_other_answer(item, number) if key not in _KEPT else item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_other_answer(item, number) for item in value]
    if isinstance(value, str):
        count = iter(range(1 << 30))
        return _WORD.sub(
            lambda m: f"alt{number}{m.group()[::-1]}" if next(count) % 3 == 0 else m.group(), value
        )
    if isinstance(value, float):
        return -value
    return value


def _name(source: Path, number: int) -> str:
    return hashlib.sha256(f"{source.name}:{number}".encode()).hexdigest() + ".json"


def build(tmp: Path) -> Rerecording:
    repo = tmp / "checkout"
    integration = repo / "tests/integration"
    sources = _sources()
    files: list[tuple[Path, Path, dict]] = []  # (source, path in the repo, object)
    for number in range(RECORDINGS):
        source = sources[number % len(sources)]
        obj = json.loads(source.read_text())
        if isinstance(obj.get("test_id"), str):  # each copy its own test case
            obj["test_id"] = (
                f"{obj['test_id'].rstrip(']')}{'-' if '[' in obj['test_id'] else '['}case{number}]"
            )
        path = integration / _suite(source) / "recordings" / _name(source, number)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(obj, indent=2))
        files.append((source, path, obj))
    for suite in sorted({_suite(source) for source in sources})[:6]:
        (integration / suite).mkdir(parents=True, exist_ok=True)
        (integration / suite / "conftest.py").write_text("import pytest\n")
    (integration / "test_cases/inference").mkdir(parents=True)
    (integration / "test_cases/inference/chat_completion.json").write_text('{"cases": []}\n')
    (integration / "README.md").write_text("# Integration tests\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "recordings")

    result = Rerecording(repo)
    relative = lambda path: path.relative_to(repo).as_posix()  # noqa: E731
    for number, (_, path, obj) in enumerate(files):
        if number % 25 == 0:  # 16 removed
            path.unlink()
            result.removed.append(relative(path))
        elif number % 25 == 1:  # 16 renamed, the same bytes
            moved = path.with_name("renamed-" + path.name)
            _git(repo, "mv", relative(path), relative(moved))
            result.renamed.append(relative(moved))
            result.renamed_from.append(relative(path))
        elif number % 5 == 0:  # about 75 answers changed
            _new_ids(obj, number)
            obj["response"]["body"] = _other_answer(obj["response"]["body"], number)
            path.write_text(json.dumps(obj, indent=2))
            result.changed_answer.append(relative(path))
        else:  # the rest: only ids and timestamps
            _new_ids(obj, number)
            path.write_text(json.dumps(obj, indent=2))
            result.same_answer.append(relative(path))
    for number, source in enumerate(sources[:20]):  # 20 new recordings
        path = integration / _suite(source) / "recordings" / _name(source, RECORDINGS + number)
        shutil.copy(source, path)
        result.added.append(relative(path))
    for suite in sorted({_suite(source) for source in sources})[:6]:
        (integration / suite / "conftest.py").write_text("import pytest\n\nTIMEOUT = 30\n")
        result.other_files.append(f"tests/integration/{suite}/conftest.py")
    (integration / "test_cases/inference/chat_completion.json").write_text('{"cases": [{"n": 1}]}\n')
    (integration / "README.md").write_text("# Integration tests\n\nRe-recorded.\n")
    result.other_files += [
        "tests/integration/test_cases/inference/chat_completion.json",
        "tests/integration/README.md",
    ]
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "re-record")
    return result
