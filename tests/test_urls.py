"""Base URL + recorded path, joined structurally by the one function of every export and
`compare` (issue 17, item 4): a recorded endpoint cannot name another host."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from live.fake_server import ScriptedServer, echo_authorization
from support import CORPUS, REPO, require_corpus, run_tui_replay

from tui_replay.urls import NotAPath, join_url, path_on_base

SEED = CORPUS / "llama-stack" / "inference" / "recordings"


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("http://127.0.0.1:8080/v1", "/v1/chat/completions", "http://127.0.0.1:8080/v1/chat/completions"),
        ("http://127.0.0.1:8080/v1/", "/v1/chat/completions", "http://127.0.0.1:8080/v1/chat/completions"),
        ("http://127.0.0.1:8080", "/v1/chat/completions", "http://127.0.0.1:8080/v1/chat/completions"),
        ("https://host/openai/v1", "/v1/models", "https://host/openai/v1/models"),
        ("https://host/openai/v1", "/openai/v1/models", "https://host/openai/v1/models"),
        ("http://localhost:11434", "/api/generate", "http://localhost:11434/api/generate"),
        ("http://h/v1beta", "/v1/models", "http://h/v1beta/v1/models"),  # whole segments only
        # the base's query stays a query, after the path (Azure's api-version)
        ("https://h/v1?api-version=1", "/v1/chat/completions", "https://h/v1/chat/completions?api-version=1"),
        ("http://h/v1", "", "http://h/v1"),
    ],
)
def test_paths_join_into_the_path_of_the_base(base, path, expected):
    assert join_url(base, path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "@127.0.0.1:18081/v1/chat/completions",  # the probe: base becomes a user name
        "/v1@127.0.0.1:18081/chat/completions",
        "v1/chat/completions",
        "//127.0.0.1:18081/v1/chat/completions",
        "/v1/chat/completions?to=elsewhere",
        "/v1/chat/completions#x",
        "/v1/../admin",
        "/v1/./chat",
        "/v1/chat\ncompletions",
        "/v1\\..\\admin",
        "/v1/ chat",
    ],
)
def test_what_is_not_a_path_is_refused(path):
    with pytest.raises(NotAPath) as caught:
        join_url("http://127.0.0.1:18080", path)
    assert "\n" not in str(caught.value)
    with pytest.raises(NotAPath):
        path_on_base("http://127.0.0.1:18080/v1", path)


def _hostile_copy(folder: Path, endpoint: str) -> Path:
    """A real chat recording whose endpoint names another host after an `@`."""
    require_corpus()
    source = next(
        path for path in sorted(SEED.glob("*.json")) if '"/v1/chat/completions"' in path.read_text()
    )
    obj = json.loads(source.read_text())
    obj["request"]["endpoint"] = endpoint
    obj["request"]["url"] = "http://127.0.0.1:18080" + endpoint
    target = folder / "at.json"
    target.write_text(json.dumps(obj))
    return target


def _run(*args: str, cwd: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TUI_REPLAY_"))}
    env.update({"PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(cwd / "no-config")})
    env["TUI_REPLAY_CACHE_DIR"] = str(cwd / ".cache")
    return run_tui_replay(*args, cwd=cwd, env=env, timeout=60)


@pytest.mark.parametrize("fmt", ["curl", "python"])
def test_an_export_refuses_an_endpoint_that_names_another_host(tmp_path, fmt):
    recording = _hostile_copy(tmp_path, "@127.0.0.1:18081/v1/chat/completions")
    shutil.copy(next(SEED.glob("*.json")), tmp_path / "fine.json")
    done = _run(
        "export", "--format", fmt, "--base-url", "http://127.0.0.1:18080", str(tmp_path), cwd=tmp_path
    )
    assert done.returncode == 1  # this file refused, the other one exported
    [line] = done.stderr.splitlines()
    assert line.startswith(f"tui-replay export: {recording}: the recorded endpoint is not a URL path")
    assert "18081" not in done.stdout and "@" not in done.stdout.split("-d", 1)[0]
    assert "http://127.0.0.1:18080" in done.stdout  # the good file


def test_compare_sends_nothing_for_an_endpoint_that_names_another_host(tmp_path):
    with (
        ScriptedServer(answer=echo_authorization()) as base,
        ScriptedServer(answer=echo_authorization()) as other,
    ):
        recording = _hostile_copy(tmp_path, f"@127.0.0.1:{other.port}/v1/chat/completions")
        done = _run("compare", str(recording), "--base-url", f"http://127.0.0.1:{base.port}", cwd=tmp_path)
        assert base.requests == [] and other.requests == []
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "the recorded endpoint is not a URL path" in line and "Traceback" not in done.stderr
