"""Settings from TOML files and the environment, in one documented order.

Precedence, highest first:
  1. command-line flags (`Config.from_args`, called once by `cli.main` for the whole run)
  2. environment: TUI_REPLAY_THEME, TUI_REPLAY_SPEED, TUI_REPLAY_MAX_SIZE,
     OPENAI_BASE_URL (live base URL), TUI_REPLAY_MODEL (live model),
     TUI_REPLAY_SAVE_DIR (where live captures go)
  3. a file named with --config
  4. the project file: ./tui-replay.toml, else [tool.tui-replay] in ./pyproject.toml
  5. the user file: <user config dir>/tui-replay/config.toml
  6. built-in defaults

Keymaps merge key by key in the same order. API keys are never read from or
written to a config file: only the *name* of the environment variable that
holds the key is configurable (`[live] api_key_env`).

The project file comes with the folder being inspected (a cloned repository), so it is
not trusted: it may set display preferences and bounds, never where requests go, which
key they carry or where captures are written (PROJECT_IGNORED). Those settings are
ignored with a notice; only the user's file, a --config file, the environment or a flag
sets them. Unknown keys are named in a notice too (with a did-you-mean).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_replay.quoting import is_env_name
from tui_replay.recording.limits import DEFAULT_MAX_SIZE  # why 32 MiB: documented there

if TYPE_CHECKING:
    import argparse

# A live answer larger than this is refused while it downloads (`[live] max_answer`, --max-answer):
# long chat streams and embedding batches stay far below it; a hostile server cannot fill memory.
DEFAULT_MAX_ANSWER = 8 * 1024 * 1024
# The longest `--timeout` / `[live] timeout`: a day. Beyond it (or inf, nan) the timers the
# command arms overflow the platform's time_t.
MAX_TIMEOUT = 86_400.0
PROJECT_FILE = "tui-replay.toml"

TOP_KEYS = ("theme", "speed", "max_size", "watch", "live", "keymap")
LIVE_KEYS = ("base_url", "model", "api_key_env", "timeout", "max_answer", "save_dir")
# What a project file may not set: together they would send any variable to any host
# (`compare`, `export --format curl`) or write captures where the repository says.
PROJECT_IGNORED = ("base_url", "api_key_env", "save_dir")
# Command-line flag (its argparse dest) -> the setting it overrides, as `Config.override` names
# it. A command has only some of these flags; the ones it lacks are simply absent from its args.
FLAG_SETTINGS = {
    "speed": "speed",
    "max_size": "max_size",
    "base_url": "live_base_url",
    "model": "live_model",
    "api_key_env": "live_api_key_env",
    "timeout": "live_timeout",
    "max_answer": "live_max_answer",
    "save_dir": "live_save_dir",
}
# A setting of this name holds a secret, which no config file may hold (`api_key`, `token`).
_SECRET_NAME = re.compile(r"(.*[_-])?(api[_-]?key|token|secret|password|authorization)", re.IGNORECASE)


class ConfigError(Exception):
    """A config file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class LiveConfig:
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = 120.0
    max_answer: int = DEFAULT_MAX_ANSWER  # bytes of one live answer
    # Where `compare --save` and the app's `s` write captures; None: the user data folder
    # (`live.capture.capture_dir`), never a recordings tree.
    save_dir: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    theme: str = "textual-dark"
    speed: float = 1.0
    max_size: int = DEFAULT_MAX_SIZE
    watch: bool = True
    live: LiveConfig = field(default_factory=LiveConfig)
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> "key1,key2"
    sources: tuple[str, ...] = ()  # files that were read, for `--help`-style display
    # One line each: a setting that was ignored and why (shown on stderr or in the app).
    notices: tuple[str, ...] = ()

    def override(self, **changes: Any) -> Config:
        """A copy with the given non-None top-level or live.* values (live keys prefixed `live_`)."""
        top = {k: v for k, v in changes.items() if v is not None and not k.startswith("live_")}
        live = {k[5:]: v for k, v in changes.items() if v is not None and k.startswith("live_")}
        return replace(self, **top, live=replace(self.live, **live))

    @classmethod
    def from_args(
        cls,
        args: argparse.Namespace,
        *,
        cwd: Path | None = None,
        environ: dict[str, str] | None = None,
        user_path: Path | None = None,
    ) -> Config:
        """The settings of one run: every source in the documented order, then the command's
        flags (`--config FILE` names the extra file). ConfigError when a source is broken."""
        config = load_config(getattr(args, "config", None), cwd=cwd, environ=environ, user_path=user_path)
        flags = {setting: getattr(args, flag, None) for flag, setting in FLAG_SETTINGS.items()}
        if getattr(args, "no_watch", False):
            flags["watch"] = False
        return config.override(**flags)


def user_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("tui-replay")) / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # (here: most runs have no config file, and `list` starts faster)

    try:
        # a FIFO or a device (--config /dev/zero) would block or never end: refuse it unread
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):  # a folder fails below with its reason
            raise ConfigError(f"{path}: not a regular file")
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None


def _project_table(cwd: Path) -> tuple[dict[str, Any], str | None]:
    own = cwd / PROJECT_FILE
    if own.is_file():
        return _read_toml(own), str(own)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("tui-replay")
        if isinstance(table, dict):
            return table, f"{pyproject} [tool.tui-replay]"
    return {}, None


SIZE_EXAMPLES = "e.g. 512K, 32M, 1G"


def parse_timeout(value: Any) -> float:
    """Seconds, more than 0 and at most MAX_TIMEOUT; ValueError (a one-line reason) otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a number of seconds: {value!r}")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"not a number of seconds: {value}") from None
    if not 0 < seconds <= MAX_TIMEOUT:  # nan fails both
        raise ValueError(f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds (a day): {value}")
    return seconds


def parse_size(value: Any) -> int:
    """256M, 1G, 4096 -> bytes; ValueError (a one-line reason) for anything not a positive size.

    Zero or less would refuse every file, a bool is not a size, and "infK" must not overflow.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a size: {value!r}")
    if isinstance(value, int):
        size = value
    else:
        text = str(value).strip().upper().removesuffix("B").removesuffix("I")
        units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        try:
            size = int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(text)
        except (ValueError, OverflowError):
            raise ValueError(f"not a size ({SIZE_EXAMPLES}): {value}") from None
    if size <= 0:
        raise ValueError(f"not a positive size ({SIZE_EXAMPLES}): {value}")
    return size


def _unknown(names: list[str], known: tuple[str, ...], where: str, source: str) -> list[str]:
    import difflib

    notices = []
    for name in names:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean `{where}{close[0]}`?)" if close else ""
        notices.append(f"{source}: unknown setting `{where}{name}` ignored{hint}")
    return notices


def _refuse_secrets(table: dict[str, Any], live_table: dict[str, Any], source: str) -> None:
    for where, names in (("", table), ("live.", live_table)):
        for name in names:
            if _SECRET_NAME.fullmatch(str(name)):
                raise ConfigError(
                    f"{source}: `{where}{name}`: API keys are not read from config files; "
                    "put the key in an environment variable and name it with `api_key_env`"
                )


def _apply(config: Config, table: dict[str, Any], source: str, *, trusted: bool = True) -> Config:
    """`table` on top of `config`; an untrusted (project) table cannot set PROJECT_IGNORED."""

    def check(value: Any, kinds: type | tuple[type, ...], name: str) -> Any:
        if not isinstance(value, kinds):
            raise ConfigError(f"{source}: `{name}` has the wrong type ({type(value).__name__})")
        return value

    changes: dict[str, Any] = {}
    if "theme" in table:
        changes["theme"] = check(table["theme"], str, "theme")
    if "speed" in table:
        changes["speed"] = float(check(table["speed"], (int, float), "speed"))
    if "max_size" in table:
        try:
            changes["max_size"] = parse_size(check(table["max_size"], (int, str), "max_size"))
        except ValueError as exc:
            raise ConfigError(f"{source}: `max_size` is {exc}") from None
    if "watch" in table:
        changes["watch"] = check(table["watch"], bool, "watch")
    live = config.live
    live_table = check(table.get("live", {}), dict, "live")
    _refuse_secrets(table, live_table, source)
    notices = _unknown([k for k in table if k not in TOP_KEYS], TOP_KEYS, "", source)
    notices += _unknown([k for k in live_table if k not in LIVE_KEYS], LIVE_KEYS, "live.", source)
    if not trusted:
        ignored = [name for name in PROJECT_IGNORED if name in live_table]
        if ignored:
            notices.append(
                f"{source}: ignored {', '.join(f'`live.{name}`' for name in ignored)}: a project's config "
                "may not choose where requests go, which key they carry or where captures are written "
                "(set it in your user config, the environment or with a flag)"
            )
            live_table = {k: v for k, v in live_table.items() if k not in PROJECT_IGNORED}
    for name, kinds in (
        ("base_url", str),
        ("model", str),
        ("api_key_env", str),
        ("save_dir", str),
    ):
        if name in live_table:
            live = replace(live, **{name: check(live_table[name], kinds, f"live.{name}")})
    if not is_env_name(live.api_key_env):  # it is written into shell code: `$NAME` and nothing else
        raise ConfigError(
            f"{source}: `live.api_key_env` is not an environment variable name "
            f"(letters, digits, _): {live.api_key_env!r}"
        )
    if "timeout" in live_table:
        try:
            timeout = parse_timeout(check(live_table["timeout"], (int, float), "live.timeout"))
        except ValueError as exc:
            raise ConfigError(f"{source}: `live.timeout` {exc}") from None
        live = replace(live, timeout=timeout)
    if "max_answer" in live_table:
        try:
            max_answer = parse_size(check(live_table["max_answer"], (int, str), "live.max_answer"))
        except ValueError as exc:  # parse_size refuses zero and less too
            raise ConfigError(f"{source}: `live.max_answer` is {exc}") from None
        live = replace(live, max_answer=max_answer)
    keymap = dict(config.keymap)
    for binding_id, keys in check(table.get("keymap", {}), dict, "keymap").items():
        keymap[binding_id] = check(keys, str, f"keymap.{binding_id}")
    return replace(
        config,
        **changes,
        live=live,
        keymap=keymap,
        sources=(*config.sources, source),
        notices=(*config.notices, *notices),
    )


def load_config(
    extra_path: str | os.PathLike[str] | None = None,
    *,
    cwd: Path | None = None,
    environ: dict[str, str] | None = None,
    user_path: Path | None = None,
) -> Config:
    """Defaults < user file < project file < --config file < environment."""
    cwd = Path.cwd() if cwd is None else cwd
    environ = dict(os.environ) if environ is None else environ
    config = Config()
    user = user_config_path() if user_path is None else user_path
    if user.is_file():
        config = _apply(config, _read_toml(user), str(user))
    table, source = _project_table(cwd)
    if source:
        config = _apply(config, table, source, trusted=False)
    if extra_path is not None:
        config = _apply(config, _read_toml(Path(extra_path)), str(extra_path))
    env_table: dict[str, Any] = {}
    if environ.get("TUI_REPLAY_THEME"):
        env_table["theme"] = environ["TUI_REPLAY_THEME"]
    try:
        if environ.get("TUI_REPLAY_SPEED"):
            env_table["speed"] = float(environ["TUI_REPLAY_SPEED"])
    except ValueError:
        raise ConfigError("TUI_REPLAY_SPEED is not a number") from None
    if environ.get("TUI_REPLAY_MAX_SIZE"):
        try:  # named here: the generic check would say "environment: `max_size`"
            parse_size(environ["TUI_REPLAY_MAX_SIZE"])
        except ValueError as exc:
            raise ConfigError(f"TUI_REPLAY_MAX_SIZE is {exc}") from None
        env_table["max_size"] = environ["TUI_REPLAY_MAX_SIZE"]
    live_env = {}
    if environ.get("OPENAI_BASE_URL"):
        live_env["base_url"] = environ["OPENAI_BASE_URL"]
    if environ.get("TUI_REPLAY_MODEL"):
        live_env["model"] = environ["TUI_REPLAY_MODEL"]
    if environ.get("TUI_REPLAY_SAVE_DIR"):
        live_env["save_dir"] = environ["TUI_REPLAY_SAVE_DIR"]
    if live_env:
        env_table["live"] = live_env
    if env_table:
        config = _apply(config, env_table, "environment")
    return config


def print_notices(config: Config, prog: str = "tui-replay") -> None:
    """Each notice of the config as one line on stderr (the headless commands)."""
    import sys

    for notice in config.notices:
        print(f"{prog}: {' '.join(notice.split())}", file=sys.stderr)
