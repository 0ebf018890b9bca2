"""Running generated exports for real, harmlessly (a plainly named module, shared by tests/cli and tests/app).

`hostile(marker)` is text that tries every way out of a shell or Python string or comment:
if any of it ever runs, the file `marker` exists. Shims named like the programs the exports
call (curl, uv, pytest) record their argv as JSON lines instead of doing anything, and a
stub `openai` package records what the Python export asks of its client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import REPO

# Control characters, bidi override, quotes, backslash, unicode: each must arrive intact.
HOSTILE_TAIL = "tab\there bell\x07 esc\x1b[31m del\x7f rlo\u202e ls\u2028 'q' \"dq\" \\ ; & | é 漢字 🙂"


def hostile_shell(marker: Path) -> str:
    """Ways out of a shell comment or word, each of which would create `marker`."""
    m = str(marker)
    return (
        f"\ntouch {m}\n"  # a newline that ends a `# ...` comment
        f"$(touch {m})`touch {m}`"  # command substitution
        f"'; touch {m}; '\"; touch {m}; \"" + HOSTILE_TAIL  # out of single / double quotes
    )


def hostile_python(marker: Path) -> str:
    """Ways out of a Python comment or string, each of which would create `marker`."""
    return (
        f"\nopen({str(marker)!r}, 'w').close()"  # a newline that ends a comment
        f"\r__import__('os').system('touch {marker}')\r#"  # so does a carriage return
        f"'; open({str(marker)!r}, 'w').close(); '\"; open({str(marker)!r}, 'w').close(); \"" + HOSTILE_TAIL
    )


def hostile(marker: Path) -> str:
    """Both at once: for values that must arrive intact whatever the language."""
    return hostile_shell(marker) + hostile_python(marker)


def shim_env(
    tmp_path: Path, names: tuple[str, ...] = ("curl", "uv", "pytest")
) -> tuple[dict[str, str], Path]:
    """An environment whose PATH finds argv-recording shims first; the log they append to."""
    bindir = tmp_path / "shim-bin"
    bindir.mkdir(exist_ok=True)
    log = tmp_path / "argv.jsonl"
    for name in names:
        shim = bindir / name
        shim.write_text(
            f"#!{sys.executable}\n"
            "import json, os, sys\n"
            "with open(os.environ['ARGV_LOG'], 'a', encoding='utf-8', errors='surrogateescape') as log:\n"
            "    log.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + '\\n')\n"
        )
        shim.chmod(0o755)
    env = dict(os.environ)
    env.update(
        {
            "PATH": f"{bindir}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            "ARGV_LOG": str(log),
            "LC_ALL": "C.UTF-8",  # bash turns $'\u202e' into UTF-8
        }
    )
    return env, log


def recorded_argvs(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def run_bash(script: Path | str, env: dict[str, str], *, cwd: Path) -> subprocess.CompletedProcess:
    """Run the script with bash (callers check the marker first, then `assert_parses`)."""
    return subprocess.run(["bash", str(script)], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def assert_parses(script: Path | str) -> None:
    checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


OPENAI_STUB = '''
"""A stand-in for the openai package: records what a snippet asks of its client."""
import json, os


def _log(*entry):
    with open(os.environ["OPENAI_STUB_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(list(entry)) + "\\n")


class _Method:
    def __init__(self, name):
        self.name = name

    def __call__(self, **kwargs):
        _log(self.name, kwargs)
        return []


class _Namespace:
    def __init__(self, prefix):
        self.prefix = prefix

    def __getattr__(self, name):
        if name in ("create", "list"):
            return _Method(self.prefix + "." + name)
        return _Namespace(self.prefix + "." + name)


class OpenAI:
    def __init__(self, **kwargs):
        _log("OpenAI", kwargs)
        self.chat = _Namespace("chat")
        self.completions = _Namespace("completions")
        self.embeddings = _Namespace("embeddings")
        self.models = _Namespace("models")

    def post(self, path, body=None, cast_to=None):
        _log("post", {"path": path, "body": body})
        return {}

    def get(self, path, cast_to=None):
        _log("get", {"path": path})
        return {}
'''


def run_python_export(code: str, tmp_path: Path, env: dict[str, str] | None = None):
    """Run the snippet with the stub `openai` first on the path: (the process, the calls it made)."""
    stub = tmp_path / "stub"
    (stub / "openai").mkdir(parents=True, exist_ok=True)
    (stub / "openai" / "__init__.py").write_text(OPENAI_STUB)
    snippet = tmp_path / "export_snippet.py"
    snippet.write_text(code, encoding="utf-8")
    log = tmp_path / "openai-calls.jsonl"
    run_env = dict(env or os.environ)
    run_env.update({"PYTHONPATH": str(stub), "OPENAI_STUB_LOG": str(log)})
    done = subprocess.run(
        [sys.executable, str(snippet)], env=run_env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    calls = [json.loads(line) for line in lines]
    return done, calls


def assert_compiles(code: str) -> None:
    compile(code, "export.py", "exec")


def cli_env(tmp_path: Path) -> dict[str, str]:
    """For `tui-replay` subprocesses: this worktree's package, no user config, no live settings."""
    env = dict(os.environ)
    for name in ("OPENAI_BASE_URL", "TUI_REPLAY_MODEL", "TUI_REPLAY_MAX_SIZE", "OPENAI_API_KEY"):
        env.pop(name, None)
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "XDG_CONFIG_HOME": str(tmp_path / "no-user-config"),
            "TUI_REPLAY_CACHE_DIR": str(tmp_path / "cache"),
            "NO_COLOR": "1",
        }
    )
    return env
