"""The Textual app: config and paths in, the browse screen first, an exit code out.

`run_app(args)` is what `tui-replay [PATH...]` calls. Everything that can be refused
before the terminal is taken over (missing paths, bad config, unknown theme) is
refused here with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterable
from functools import partial
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES

from tui_replay.app.commands import BrowseCommands, ExplainCommands, RecordingCommands, ServeCommands
from tui_replay.app.screens.browse import BrowseScreen
from tui_replay.app.screens.help import HelpScreen, describe_bindings
from tui_replay.catalog.scan import missing_paths
from tui_replay.config import Config, ConfigError, load_config

DEFAULT_FOLDER = "recordings"
MIN_SPEED, MAX_SPEED = 0.25, 32.0
KEYMAP_CHECK_DELAY = 1.0


class TuiReplayApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "tui-replay"
    DEFAULT_MODE = "browse"
    COMMANDS: ClassVar = App.COMMANDS | {BrowseCommands, ExplainCommands, RecordingCommands, ServeCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Keys", id="app.help"),
    ]

    def __init__(self, roots: list[str], config: Config | None = None, *, use_cache: bool = True) -> None:
        super().__init__()
        self.roots = list(roots)
        self.config = config or Config()
        self.use_cache = use_cache
        # A mode, not get_default_screen(): a mode's base screen gets its CSS_PATH loaded.
        self.add_mode("browse", partial(BrowseScreen, self.roots, self.config, use_cache=use_cache))
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.theme = self.config.theme  # before the first frame: no restyle after it

    def on_mount(self) -> None:
        if self.config.keymap:
            # After the first rows, not before: it imports every screen to learn their ids.
            self.set_timer(KEYMAP_CHECK_DELAY, self.check_keymap)

    def check_keymap(self) -> None:
        """A typo in a keymap id is otherwise silently ignored: say which ids are unknown."""
        unknown = sorted(set(self.config.keymap) - known_binding_ids())
        if unknown:
            self.notify(
                f"Keymap: no binding has the id {', '.join(unknown)} (? lists the ids of each screen)",
                severity="warning",
                markup=False,
                timeout=8,
            )

    @property
    def browse(self) -> BrowseScreen:
        for screen in self.screen_stack:
            if isinstance(screen, BrowseScreen):
                return screen
        raise LookupError("no browse screen")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's "Keys" opens its own side panel (no keymap ids, and a second, different
        # list of keys): the palette's "Keys" opens the same list as ? and f1 instead.
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                command = SystemCommand(
                    "Keys", "The keys of this screen, with their keymap ids", self.action_help
                )
            yield command

    def action_explain(self, text: str = "") -> None:
        """Explain a request: a pasted miss or a body file; the recording picked is replayed."""
        from tui_replay.app.screens.explain import ExplainScreen

        def open_picked(path: str | None) -> None:
            if path:
                self.browse.open_recording(path)

        self.push_screen(ExplainScreen(self.roots, self.config, text), open_picked)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        screen = self.screen
        title = type(screen).__name__.removesuffix("Screen") or "app"
        self.push_screen(HelpScreen(title, describe_bindings(screen)))


def known_binding_ids() -> set[str]:
    """Every binding id declared by this app's screens and widgets (and Textual's own)."""
    import pkgutil

    from textual.dom import DOMNode

    import tui_replay.app.screens as screens
    import tui_replay.app.widgets as widgets

    for package in (screens, widgets):
        for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            with contextlib.suppress(Exception):  # a screen that cannot import has no keys to map
                importlib.import_module(module.name)
    ids: set[str] = set()
    classes: list[type] = [DOMNode]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


def _fail(message: str) -> int:
    print(f"tui-replay: {message}", file=sys.stderr)
    return 2


def prepare(args: argparse.Namespace) -> tuple[list[str], Config] | int:
    """The roots and the final config, or an exit status after one line on stderr."""
    paths = list(args.paths)
    if not paths:
        if not os.path.isdir(DEFAULT_FOLDER):
            return _fail(
                f"no PATH given and ./{DEFAULT_FOLDER} does not exist; "
                "name the recording files or folders to open, e.g. tui-replay tests/integration"
            )
        paths = [DEFAULT_FOLDER]
    missing = missing_paths(paths)
    if missing:
        return _fail(f"no such file or folder: {', '.join(missing)}")
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _fail(" ".join(str(exc).split()))
    config = config.override(
        speed=args.speed,
        max_size=args.max_size,
        watch=False if args.no_watch else None,
        live_base_url=args.base_url,
        live_model=args.model,
        live_api_key_env=args.api_key_env,
        live_timeout=args.timeout,
        live_max_answer=args.max_answer,
    )
    if not MIN_SPEED <= config.speed <= MAX_SPEED:
        return _fail(f"speed {config.speed:g} is out of range ({MIN_SPEED:g} to {MAX_SPEED:g})")
    if config.theme not in BUILTIN_THEMES:
        return _fail(f"unknown theme {config.theme!r}; known themes: {', '.join(sorted(BUILTIN_THEMES))}")
    return paths, config


def run_app(args: argparse.Namespace) -> int:
    prepared = prepare(args)
    if isinstance(prepared, int):
        return prepared
    paths, config = prepared
    app = TuiReplayApp(paths, config, use_cache=not args.no_cache)
    app.run()
    return app.return_code or 0
