"""Settings are resolved once, in `cli.main`: for each command that has a setting, a config
file's value beats the built-in default and the command's flag beats the config file.

Every case runs `cli.main` on real recordings and real config files (the project's
`tui-replay.toml`, a `--config FILE`, or the user's file under $XDG_CONFIG_HOME).
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from support import REPO

from tui_replay.cli import main
from tui_replay.export import DEFAULT_BASE_URL

SAMPLE = sorted((REPO / "recordings").glob("*.json"))[:2]
TINY = "over the 16 B limit"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A folder with two recordings, as the working directory; no user config, no settings
    from the environment."""
    folder = tmp_path / "project"
    (folder / "recordings").mkdir(parents=True)
    for path in SAMPLE:
        shutil.copy(path, folder / "recordings" / path.name)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user-config"))
    monkeypatch.setenv("TUI_REPLAY_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("OPENAI_BASE_URL", "TUI_REPLAY_MAX_SIZE", "TUI_REPLAY_SPEED", "TUI_REPLAY_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return folder


def _files(project: Path) -> list[str]:
    return [f"recordings/{path.name}" for path in SAMPLE]


def _tiny_max_size(project: Path) -> None:
    (project / "tui-replay.toml").write_text('max_size = "16"\n')


def _run(capfd, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", ["list", "show"])
def test_list_and_show_max_size(project, capfd, command):
    args = (command, "--json", *(("--no-cache", "--jobs", "1") if command == "list" else ()), "recordings")
    code, out, _ = _run(capfd, *args)
    assert TINY not in out and code == 0, out  # the default: 32M
    _tiny_max_size(project)
    code, out, _ = _run(capfd, *args)
    assert out.count(TINY) == len(SAMPLE), out  # the project file beats the default
    code, out, _ = _run(capfd, *args[:1], "--max-size", "10M", *args[1:])
    assert TINY not in out and code == 0, out  # the flag beats the file


def test_diff_max_size(project, capfd):
    a, b = _files(project)
    code, out, _ = _run(capfd, "diff", "--json", a, b)
    assert code in (0, 1) and TINY not in out
    _tiny_max_size(project)
    code, out, _ = _run(capfd, "diff", "--json", a, b)
    assert code == 2 and TINY in out
    code, out, _ = _run(capfd, "diff", "--json", "--max-size", "10M", a, b)
    assert code in (0, 1) and TINY not in out


def test_export_base_url_key_variable_and_max_size(project, capfd):
    file = _files(project)[0]
    code, out, _ = _run(capfd, "export", "--format", "curl", file)
    assert code == 0 and DEFAULT_BASE_URL in out and "${OPENAI_API_KEY}" in out
    mine = project.parent / "mine.toml"
    mine.write_text('max_size = "16"\n[live]\nbase_url = "http://from-file/v1"\napi_key_env = "FILE_KEY"\n')
    code, out, err = _run(capfd, "export", "--format", "curl", "--config", str(mine), file)
    assert code == 1 and out == "" and TINY in err  # the file's max_size
    mine.write_text('[live]\nbase_url = "http://from-file/v1"\napi_key_env = "FILE_KEY"\n')
    code, out, _ = _run(capfd, "export", "--format", "curl", "--config", str(mine), file)
    assert code == 0 and "http://from-file/v1/" in out and "${FILE_KEY}" in out
    flags = ("--base-url", "http://from-flag/v1", "--api-key-env", "FLAG_KEY")
    code, out, _ = _run(capfd, "export", "--format", "curl", "--config", str(mine), *flags, file)
    assert code == 0 and "http://from-flag/v1/" in out and "${FLAG_KEY}" in out
    assert "from-file" not in out and "FILE_KEY" not in out


def _closed_port() -> socket.socket:
    """A bound socket that does not listen: a connection to its port is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def test_compare_base_url(project, capfd):
    file = _files(project)[0]
    code, _, err = _run(capfd, "compare", file)
    assert code == 2 and "no base URL" in err  # the default: none
    with _closed_port() as from_file, _closed_port() as from_flag:
        file_port, flag_port = from_file.getsockname()[1], from_flag.getsockname()[1]
        mine = project.parent / "mine.toml"
        mine.write_text(f'[live]\nbase_url = "http://127.0.0.1:{file_port}/v1"\n')
        code, _, err = _run(capfd, "compare", file, "--config", str(mine))
        assert code == 2 and f"nothing is listening at 127.0.0.1:{file_port}" in err
        flag = f"http://127.0.0.1:{flag_port}/v1"
        code, _, err = _run(capfd, "compare", file, "--config", str(mine), "--base-url", flag)
        assert code == 2 and f"nothing is listening at 127.0.0.1:{flag_port}" in err


def test_serve_key_variable_and_max_size(project, capfd, monkeypatch):
    """`serve --tui` hands the resolved settings to the traffic screen; the screen is replaced
    by a function that reads what the real server state was built with."""
    seen = []

    def present(state, sock, config):
        seen.append((state.api_key_env, state.index.max_size, config.max_size))
        sock.close()
        return 0

    monkeypatch.setattr("tui_replay.app.screens.traffic.run_traffic_app", present)
    serve = ("serve", "--tui", "--port", "0", "--no-cache", "recordings")
    assert _run(capfd, *serve)[0] == 0
    user = project.parent / "user-config" / "tui-replay" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[live]\napi_key_env = "FILE_KEY"\n')
    _tiny_max_size(project)
    assert _run(capfd, *serve)[0] == 0
    assert _run(capfd, *serve[:1], "--api-key-env", "FLAG_KEY", *serve[1:])[0] == 0
    assert seen == [
        ("OPENAI_API_KEY", 32 << 20, 32 << 20),  # the defaults
        ("FILE_KEY", 16, 16),  # the user file's key variable, the project's max_size
        ("FLAG_KEY", 16, 16),  # the flag beats the file
    ]


def test_the_app_speed_max_size_watch_and_model(project, capfd, monkeypatch):
    """The app as `tui-replay` starts it; its run is replaced by one that keeps its config."""
    from tui_replay.app.app import TuiReplayApp

    seen = []
    monkeypatch.setattr(TuiReplayApp, "run", lambda self, **kwargs: seen.append(self.config))
    monkeypatch.setattr("tui_replay.app.app.streams_not_terminals", list)  # pytest's streams are not
    assert main(["recordings"]) == 0
    (project / "tui-replay.toml").write_text(
        'speed = 2.0\nmax_size = "1M"\nwatch = false\n[live]\nmodel = "file-model"\n'
    )
    assert main(["recordings"]) == 0
    flags = ["--speed", "4", "--max-size", "2M", "--model", "flag-model"]
    assert main(["recordings", *flags]) == 0
    (project / "tui-replay.toml").write_text("watch = true\n")
    assert main(["recordings", "--no-watch"]) == 0
    settings = [(c.speed, c.max_size, c.watch, c.live.model) for c in seen]
    assert settings == [
        (1.0, 32 << 20, True, None),
        (2.0, 1 << 20, False, "file-model"),
        (4.0, 2 << 20, False, "flag-model"),
        (1.0, 32 << 20, False, None),
    ]
