"""A cloned repository's config cannot send a secret anywhere (issue 17, item 2).

The project's config (`./tui-replay.toml`, `[tool.tui-replay]` in `./pyproject.toml`) comes
with the folder being inspected. Here it names an "attacker" (a real listener on 127.0.0.1)
and a variable holding a secret; `compare` and `export --format curl` run as the real command
line in that folder. The user's own config, a --config file and the flags still choose.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import REPO, run_tui_replay

from live.fake_server import ScriptedServer, echo_authorization
from live.test_bounds import _stored

SECRET = "AKIAtrust-boundary-SECRET-0123456789"
SECRET_VAR = "TUI_TRUST_TEST_SECRET"


def _hostile_table(attacker: str) -> str:
    return f'base_url = "{attacker}"\napi_key_env = "{SECRET_VAR}"\nsave_dir = "captures-here"\n'


@pytest.fixture(params=["tui-replay.toml", "pyproject.toml"])
def project(request, tmp_path) -> Path:
    """A cloned repository: a recording, and a config that names the attacker's host."""
    folder = tmp_path / "clone"
    (folder / "recordings").mkdir(parents=True)
    _stored(folder / "recordings", stream=False)
    folder.joinpath("config-kind").write_text(request.param)
    return folder


def _write_hostile_config(project: Path, attacker: str) -> None:
    kind = project.joinpath("config-kind").read_text()
    if kind == "tui-replay.toml":
        (project / kind).write_text("speed = 2\n[live]\n" + _hostile_table(attacker))
    else:
        (project / kind).write_text(
            '[project]\nname = "x"\n[tool.tui-replay]\nspeed = 2\n[tool.tui-replay.live]\n'
            + _hostile_table(attacker)
        )


def _run(project: Path, *args: str, user_config: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TUI_REPLAY_"))}
    env.update({"PYTHONPATH": str(REPO), SECRET_VAR: SECRET, "TUI_REPLAY_CACHE_DIR": str(project / ".cache")})
    config_home = project.parent / "user-config"
    env["XDG_CONFIG_HOME"] = str(config_home)
    if user_config is not None:
        (config_home / "tui-replay").mkdir(parents=True, exist_ok=True)
        (config_home / "tui-replay" / "config.toml").write_text(user_config)
    return run_tui_replay(*args, cwd=project, env=env, timeout=60)


def _notice(stderr: str) -> str:
    [line] = [line for line in stderr.splitlines() if "ignored" in line]
    assert "`live.base_url`" in line and "`live.api_key_env`" in line and "project" in line
    return line


def test_compare_never_sends_the_secret_to_the_host_a_project_config_names(project):
    with (
        ScriptedServer(answer=echo_authorization()) as attacker,
        ScriptedServer(answer=echo_authorization()) as mine,
    ):
        _write_hostile_config(project, attacker.base_url)
        # No target of the user's own: nothing is sent anywhere, and the line says why.
        alone = _run(project, "compare", "recordings/plain.json")
        assert alone.returncode == 2
        _notice(alone.stderr)
        assert "no base URL" in alone.stderr and "Traceback" not in alone.stderr
        # The user's own target: the request goes there, with the user's key variable only.
        chosen = _run(project, "compare", "recordings/plain.json", "--base-url", mine.base_url, "--json")
        assert chosen.returncode in (0, 1), chosen.stderr
        _notice(chosen.stderr)
        assert attacker.requests == []
        [request] = mine.requests
        assert SECRET.encode() not in request
        assert json.loads(chosen.stdout)["live"]["base_url"] == mine.base_url


def test_the_users_own_config_still_chooses_the_target_and_the_key(project):
    with (
        ScriptedServer(answer=echo_authorization()) as attacker,
        ScriptedServer(answer=echo_authorization()) as mine,
    ):
        _write_hostile_config(project, attacker.base_url)
        user = f'[live]\nbase_url = "{mine.base_url}"\napi_key_env = "{SECRET_VAR}"\n'
        done = _run(project, "compare", "recordings/plain.json", "--json", user_config=user)
        assert done.returncode in (0, 1), done.stderr
        assert attacker.requests == []
        [request] = mine.requests
        assert f"Bearer {SECRET}".encode() in request  # the user chose to send it there
        assert SECRET not in done.stdout + done.stderr  # and it is still never shown


def test_curl_export_has_neither_the_projects_host_nor_its_key_variable(project):
    _write_hostile_config(project, "http://attacker.invalid/v1")
    done = _run(project, "export", "--format", "curl", "recordings/plain.json")
    assert done.returncode == 0, done.stderr
    _notice(done.stderr)
    assert "attacker" not in done.stdout and SECRET_VAR not in done.stdout
    assert "Bearer ${OPENAI_API_KEY}" in done.stdout
    python = _run(project, "export", "--format", "python", "recordings/plain.json")
    assert "attacker" not in python.stdout and SECRET_VAR not in python.stdout
    # The same settings from a file the user names are theirs: honoured.
    (project.parent / "mine.toml").write_text("[live]\n" + _hostile_table("http://127.0.0.1:9/v1"))
    named = _run(project, "export", "--format", "curl", "recordings/plain.json", "--config", "../mine.toml")
    assert "http://127.0.0.1:9/v1/chat/completions" in named.stdout
    assert f"Bearer ${{{SECRET_VAR}}}" in named.stdout


async def test_the_app_says_which_project_settings_it_ignored(project, monkeypatch):
    from tui_replay.app.app import TuiReplayApp, prepare
    from tui_replay.cli import build_app_parser
    from tui_replay.config import Config

    _write_hostile_config(project, "http://attacker.invalid/v1")
    monkeypatch.chdir(project)
    monkeypatch.setattr("tui_replay.config.user_config_path", lambda: project / "no-user.toml")
    for name in ("OPENAI_BASE_URL", "TUI_REPLAY_SAVE_DIR"):
        monkeypatch.delenv(name, raising=False)
    args = build_app_parser().parse_args(["recordings", "--no-watch"])
    prepared = prepare(args, Config.from_args(args))
    assert not isinstance(prepared, int)
    roots, config = prepared
    assert config.live.base_url is None and config.live.api_key_env == "OPENAI_API_KEY"
    assert config.live.save_dir is None
    assert config.speed == 2  # a display preference: the project may set it
    app = TuiReplayApp(roots, config, use_cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        [shown] = [n.message for n in app._notifications if "ignored" in n.message]
    assert "`live.save_dir`" in _notice(shown)
