"""The command that records a vcrpy / pytest-recording cassette again: `pytest
--record-mode=rewrite path/to/test_file.py::node`, with the test file found from where the
cassette lies, the way each project lays its cassettes out:

- pytest-recording's default (pydantic-ai): `<dir>/cassettes/<module>/<test>[params].yaml`
  (`Class.test` for a method) is `<dir>/<module>.py::<test>[params]`;
- crewAI (its root conftest's `vcr_cassette_dir`): `lib/<package>/tests/cassettes/<rel>/<test>.yaml`
  holds the tests of the folder `lib/<package>/tests/<rel>/`; the cassette does not name the
  module, so the file is the one test module there that defines the test (read from disk).

Anything else, or a crewAI checkout that is not beside the cassette: no guess, the reason why.
Pure Python, no Textual.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from tui_replay.quoting import comment, shell_word

_SUFFIXES = (".yaml", ".yml")
_PARAMS = re.compile(r"\[.*\]$")
_CREWAI_PACKAGES = ("crewai", "crewai-tools", "crewai-files", "cli", "crewai-core")  # its conftest's list
_MAX_TEST_FILE = 4 * 1024 * 1024  # a test module read to find a `def`; larger ones are not searched


@dataclass(slots=True)
class CassetteTest:
    """Where a cassette's test is: the checkout root, the node id relative to it (or why not)."""

    root: str | None
    node_id: str | None
    reason: str | None = None  # why the test file cannot be told


def _split_name(name: str) -> tuple[str | None, str, str]:
    """`Class.test_x[p].yaml` -> ("Class", "test_x", "[p]")."""
    stem = name
    for suffix in _SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    match = _PARAMS.search(stem)
    params = match.group(0) if match else ""
    head = stem[: len(stem) - len(params)]
    cls, dot, test = head.rpartition(".")
    return (cls or None) if dot else None, test if dot else head, params


def cassette_test(cassette: str) -> CassetteTest:
    """The test that records `cassette` (a path), found from its folders."""
    parts = os.path.normpath(os.path.abspath(cassette)).split(os.sep)
    if "cassettes" not in parts[:-1]:
        return CassetteTest(None, None, "the cassette is not under a `cassettes` folder")
    at = len(parts) - 1 - parts[:-1][::-1].index("cassettes") - 1  # the last `cassettes` folder
    below = parts[at + 1 : -1]
    if parts[-1].lower().endswith((".xai.yaml", ".xai.yml")):
        reason = "an xAI gRPC sample file (pydantic-ai's own recorder, not pytest-recording)"
        return CassetteTest(None, None, reason)
    cls, test, params = _split_name(parts[-1])
    if not test.startswith("test") or "__" in test:
        return CassetteTest(None, None, "its name is not a test's (a flattened copy?)")
    node = f"{cls}::{test}{params}" if cls else f"{test}{params}"
    crewai = _crewai_root(parts, at)
    if crewai is not None:
        root, package_tests = crewai
        folder = os.path.join(os.sep.join(parts[:package_tests]), *below)
        module = _defining_module(folder, cls, test)
        if module is None:
            reason = f"no single test module in {folder} defines {cls + '.' if cls else ''}{test}"
            return CassetteTest(root, None, reason)
        return CassetteTest(root, _relative(os.path.join(folder, module), root) + "::" + node)
    if len(below) == 1 and below[0].startswith("test_"):  # pytest-recording: cassettes/<module>/
        folder = os.sep.join(parts[:at]) or os.sep
        root = _checkout_root(parts, at)
        return CassetteTest(root, _relative(os.path.join(folder, below[0] + ".py"), root) + "::" + node)
    return CassetteTest(None, None, "its folders follow no layout known here")


def _crewai_root(parts: list[str], at: int) -> tuple[str, int] | None:
    """(the checkout root, the index just after `tests`) for `lib/<package>/tests/cassettes/...`."""
    if at >= 3 and parts[at - 1] == "tests" and parts[at - 2] in _CREWAI_PACKAGES and parts[at - 3] == "lib":
        return os.sep.join(parts[: at - 3]) or os.sep, at
    return None


def _checkout_root(parts: list[str], at: int) -> str:
    """The folder holding the outermost `tests` above the cassettes (where pytest runs)."""
    tests = next((index for index in range(at) if parts[index] == "tests"), None)
    return os.sep.join(parts[: at if tests is None else tests]) or os.sep


def _relative(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def _defining_module(folder: str, cls: str | None, test: str) -> str | None:
    """The one `test_*.py` in `folder` that defines `test` (inside `class cls`), else None."""
    try:
        names = sorted(n for n in os.listdir(folder) if n.startswith("test_") and n.endswith(".py"))
    except OSError:
        return None
    wanted = re.compile(rf"^\s*(?:async\s+)?def\s+{re.escape(test)}\s*\(", re.M)
    owner = re.compile(rf"^class\s+{re.escape(cls)}\b", re.M) if cls else None
    found = []
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as handle:
                text = handle.read(_MAX_TEST_FILE)
        except OSError:
            continue
        if wanted.search(text) and (owner is None or owner.search(text)):
            found.append(name)
    return found[0] if len(found) == 1 else None


def cassette_rerecord_command(cassette: str, shebang: str) -> str:
    """The script that records the cassette's test again, or says plainly why it cannot."""
    where = cassette_test(cassette)
    if where.node_id is None:
        lines = [comment(f"Cannot tell the test file of this cassette: {where.reason}.")]
        return shebang + "\n".join(lines) + "\n"
    lines = [
        comment(
            "Records this test's cassette again with pytest-recording (vcrpy): run from the checkout root,"
        ),
        comment(f"{where.root}"),
        comment("with the provider's API key in the environment."),
        " ".join(["pytest", "--record-mode=rewrite", shell_word(where.node_id)]),
    ]
    return shebang + "\n".join(lines) + "\n"
