"""What the app remembers between runs: the theme, the sort, the grouping and recent filters.

One small JSON file in the user's state folder (`<user state dir>/tui-replay/state.json`,
`~/.local/state/tui-replay/state.json` on Linux; `$TUI_REPLAY_STATE_DIR` moves it), never in
the project. It is written atomically; a file that cannot be read is ignored with one line
saying why (and replaced at the next save), never a crash. Pure Python: no Textual.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tui_replay.atomic import write_atomic

STATE_DIR_ENV = "TUI_REPLAY_STATE_DIR"
STATE_FILE = "state.json"
RECENT_FILTERS = 10  # filters remembered, the newest first


def state_path() -> Path:
    folder = os.environ.get(STATE_DIR_ENV)
    if not folder:
        from platformdirs import user_state_dir

        folder = user_state_dir("tui-replay")
    return Path(folder) / STATE_FILE


@dataclass(slots=True)
class AppState:
    theme: str | None = None
    sort_column: str | None = None
    sort_descending: bool = False
    grouped: bool = False
    recent_filters: list[str] = field(default_factory=list)

    def remember_filter(self, text: str) -> bool:
        """Put `text` first among the recent filters; False when nothing changed."""
        text = " ".join(text.split())
        if not text or (self.recent_filters and self.recent_filters[0] == text):
            return False
        self.recent_filters = [text, *(old for old in self.recent_filters if old != text)][:RECENT_FILTERS]
        return True


def _parse(data: Any) -> AppState:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    state = AppState()
    checks = {
        "theme": (str, type(None)),
        "sort_column": (str, type(None)),
        "sort_descending": bool,
        "grouped": bool,
    }
    for name, kinds in checks.items():
        if name in data:
            if not isinstance(data[name], kinds):
                raise ValueError(f"`{name}` has the wrong type ({type(data[name]).__name__})")
            setattr(state, name, data[name])
    recent = data.get("recent_filters", [])
    if not isinstance(recent, list) or not all(isinstance(item, str) for item in recent):
        raise ValueError("`recent_filters` is not a list of strings")
    state.recent_filters = recent[:RECENT_FILTERS]
    return state


class StateFile:
    """The state file at `path`: `load()` once at start, `save()` after each change."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = state_path() if path is None else Path(path)

    def load(self) -> tuple[AppState, str | None]:
        """The saved state (defaults when there is none), and the one-line reason when the file
        was there but could not be used."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AppState(), None
        except (OSError, UnicodeDecodeError) as exc:
            return AppState(), f"{self.path}: {getattr(exc, 'strerror', None) or exc}"
        try:
            return _parse(json.loads(text)), None
        except ValueError as exc:  # JSONDecodeError included
            return AppState(), f"{self.path}: {' '.join(str(exc).split())}"

    def save(self, state: AppState) -> Path:
        """Write `state` atomically (OSError when the folder cannot be written)."""
        text = json.dumps(asdict(state), indent=2, ensure_ascii=False) + "\n"
        return write_atomic(self.path, text, overwrite=True)
