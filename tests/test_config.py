"""The config loader's precedence, validation, and its use by the headless commands."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from support import REPO, run_tui_replay

from tui_replay.config import DEFAULT_MAX_SIZE, ConfigError, load_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_configured(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path, environ={}, user_path=tmp_path / "none.toml")
    assert config.max_size == DEFAULT_MAX_SIZE
    assert config.speed == 1.0 and config.watch is True
    assert config.live.base_url is None and config.live.api_key_env == "OPENAI_API_KEY"
    assert config.sources == ()


def test_precedence_user_project_extra_environment(tmp_path: Path) -> None:
    user = write(
        tmp_path / "user.toml",
        'theme = "nord"\nspeed = 2\n[live]\nmodel = "user-model"\nbase_url = "http://user/v1"\n'
        '[keymap]\n"replay.play" = "p"\n"app.help" = "h"\n',
    )
    project = tmp_path / "project"
    write(
        project / "tui-replay.toml",
        'speed = 4\n[live]\nmodel = "project-model"\n[keymap]\n"app.help" = "f2"\n',
    )
    extra = write(tmp_path / "extra.toml", "speed = 8\n")
    config = load_config(extra, cwd=project, environ={"OPENAI_BASE_URL": "http://env/v1"}, user_path=user)
    assert config.theme == "nord"  # only the user file sets it
    assert config.speed == 8  # --config file beats the project file
    assert config.live.model == "project-model"  # project beats user
    assert config.live.base_url == "http://env/v1"  # environment beats every file
    assert config.keymap == {"replay.play": "p", "app.help": "f2"}  # merged key by key
    assert config.override(speed=0.5, live_model="cli").speed == 0.5
    assert config.override(live_model="cli").live.model == "cli"
    assert config.override(live_model=None).live.model == "project-model"


def test_pyproject_table_is_the_project_file_when_there_is_no_own_file(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n[tool.tui-replay]\nmax_size = "1M"\n')
    config = load_config(cwd=tmp_path, environ={}, user_path=tmp_path / "none.toml")
    assert config.max_size == 1 << 20
    assert config.sources[-1].endswith("[tool.tui-replay]")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("speed = [", "invalid TOML"),
        ('speed = "fast"', "`speed` has the wrong type"),
        ('max_size = "lots"', "`max_size` is not a size"),
        ('[live]\napi_key = "sk-secret"', "API keys are not read from config files"),
        ("[keymap]\n'app.help' = 3", "`keymap.app.help` has the wrong type"),
    ],
)
def test_bad_config_files_name_the_file_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    bad = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(bad, cwd=tmp_path, environ={}, user_path=tmp_path / "none.toml")
    assert message in str(caught.value)
    assert str(bad) in str(caught.value)
    assert "sk-secret" not in str(caught.value)


def run_cli(*args: str, cwd: Path, user_config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUI_REPLAY_CACHE_DIR": str(cwd / ".cache")}
    env["XDG_CONFIG_HOME"] = str(cwd / ".user-config")  # the user file: `user_config`, else none
    if user_config is not None:
        write(cwd / ".user-config" / "tui-replay" / "config.toml", user_config.read_text())
    return run_tui_replay(*args, cwd=cwd, env=env, timeout=60)


def test_list_takes_max_size_from_the_project_config_and_the_flag_wins(tmp_path: Path) -> None:
    sample = next((REPO / "recordings").glob("*.json"))
    write(tmp_path / "tui-replay.toml", 'max_size = "16"\n')
    limited = run_cli("list", "--json", "--no-cache", str(sample), cwd=tmp_path)
    assert limited.returncode == 0, limited.stderr
    assert '"status":"error"' in limited.stdout and "over the 16 B limit" in limited.stdout
    flag = run_cli("list", "--json", "--no-cache", "--max-size", "10M", str(sample), cwd=tmp_path)
    assert '"status":"ok"' in flag.stdout


def test_a_broken_config_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "tui-replay.toml", "max_size = [1]\n")
    result = run_cli("list", "--json", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_config_that_is_not_utf8_or_not_a_regular_file_is_refused_in_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\x99\xff speed = 2\n")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # opening it would block until a writer comes
    for path, message in (
        (binary, "not UTF-8"),
        (fifo, "not a regular file"),
        (Path("/dev/zero"), "regular"),
    ):
        with pytest.raises(ConfigError) as caught:
            load_config(path, cwd=tmp_path, environ={}, user_path=tmp_path / "none.toml")
        assert message in str(caught.value) and str(path) in str(caught.value)


def test_bad_environment_values_name_the_variable(tmp_path: Path) -> None:
    for name, value in (("TUI_REPLAY_MAX_SIZE", "1Q"), ("TUI_REPLAY_SPEED", "fast")):
        with pytest.raises(ConfigError) as caught:
            load_config(cwd=tmp_path, environ={name: value}, user_path=tmp_path / "none.toml")
        assert str(caught.value).startswith(f"{name} is not a")


@pytest.mark.parametrize("value", ['"-5"', "-5", "0", '"0K"', '"0.0001K"', "true", '"infK"', '"nanM"'])
def test_a_non_positive_max_size_in_a_config_file_is_one_line_and_exit_2(tmp_path: Path, value: str) -> None:
    write(tmp_path / "tui-replay.toml", f"max_size = {value}\n")
    for command in ("list", "show"):
        result = run_cli(command, "--json", str(tmp_path), cwd=tmp_path)
        assert result.returncode == 2, result.stdout
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "tui-replay.toml: `max_size` is not a" in result.stderr and "size" in result.stderr


@pytest.mark.parametrize("value", ["-5", "0", "0K", "-1G"])
def test_a_non_positive_max_size_from_the_environment_or_the_flag_is_refused(
    tmp_path: Path, value: str
) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUI_REPLAY_MAX_SIZE": value}
    result = run_tui_replay("list", "--json", str(tmp_path), cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert (
        result.stderr
        == f"tui-replay: TUI_REPLAY_MAX_SIZE is not a positive size (e.g. 512K, 32M, 1G): {value}\n"
    )
    flag = run_cli("list", "--json", f"--max-size={value}", str(tmp_path), cwd=tmp_path)
    assert flag.returncode == 2 and flag.stdout == ""
    assert f"argument --max-size: not a positive size (e.g. 512K, 32M, 1G): {value}\n" in flag.stderr


def test_capture_folder_from_the_user_file_and_the_environment(tmp_path: Path) -> None:
    user = write(tmp_path / "user.toml", '[live]\nsave_dir = "~/captures-here"\n')
    assert load_config(cwd=tmp_path, environ={}, user_path=user).live.save_dir == "~/captures-here"
    environ = {"TUI_REPLAY_SAVE_DIR": "/tmp/elsewhere"}
    assert load_config(cwd=tmp_path, environ=environ, user_path=user).live.save_dir == "/tmp/elsewhere"
    # A project file may not choose where captures are written: ignored, with a notice.
    (tmp_path / "tui-replay.toml").write_text('[live]\nsave_dir = "/tmp/theirs"\n')
    none = tmp_path / "none.toml"
    config = load_config(cwd=tmp_path, environ={}, user_path=none)
    assert config.live.save_dir is None and "`live.save_dir`" in config.notices[0]
    (tmp_path / "user.toml").write_text("[live]\nsave_dir = 3\n")
    with pytest.raises(ConfigError, match=r"live\.save_dir"):
        load_config(cwd=tmp_path, environ={}, user_path=user)


def test_unknown_settings_are_named_with_a_did_you_mean(tmp_path: Path) -> None:
    user = write(tmp_path / "user.toml", 'speeed = 3\ncolour = "x"\n[live]\nbase_ur = "http://h/v1"\n')
    config = load_config(cwd=tmp_path, environ={}, user_path=user)
    assert config.speed == 1.0 and config.live.base_url is None  # nothing unknown is applied
    assert config.notices == (
        f"{user}: unknown setting `speeed` ignored (did you mean `speed`?)",
        f"{user}: unknown setting `colour` ignored",
        f"{user}: unknown setting `live.base_ur` ignored (did you mean `live.base_url`?)",
    )
    result = run_cli("list", "--json", "--no-cache", str(tmp_path), cwd=tmp_path, user_config=user)
    assert result.returncode == 0
    shown = str(tmp_path / ".user-config" / "tui-replay" / "config.toml")
    assert result.stderr.splitlines() == [
        f"tui-replay: {n.replace(str(user), shown)}" for n in config.notices
    ]


@pytest.mark.parametrize(
    "text", ['api_key = "sk-secret"', 'openai_api_key = "sk-secret"', '[live]\ntoken = "sk-secret"']
)
@pytest.mark.parametrize("where", ["user", "project", "--config"])
def test_a_key_written_into_any_config_is_refused_in_one_line(tmp_path: Path, text: str, where: str) -> None:
    path = write(
        tmp_path / {"user": "user.toml", "project": "tui-replay.toml", "--config": "x.toml"}[where], text
    )
    extra = path if where == "--config" else None
    with pytest.raises(ConfigError) as caught:
        load_config(extra, cwd=tmp_path, environ={}, user_path=tmp_path / "user.toml")
    message = str(caught.value)
    assert str(path) in message and "environment variable" in message and "sk-secret" not in message
    flags = ("--config", str(path)) if extra else ()
    user = path if where == "user" else None
    result = run_cli("export", "--format", "curl", *flags, str(tmp_path), cwd=tmp_path, user_config=user)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "environment variable" in result.stderr
    assert "sk-secret" not in result.stderr
