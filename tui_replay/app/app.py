"""The Textual app: config and paths in, the browse screen first, an exit code out.

`run_app(args, config)` is what `tui-replay [PATH...]` calls, with the settings `cli.main`
resolved. Everything that can be refused before the terminal is taken over (missing paths,
an unknown theme, a speed out of range) is refused here with one line on stderr and exit
status 2; a bad config file already was, in `cli.main`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SuspendNotSupported, SystemCommand
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES, Theme
from textual.worker import Worker, WorkerState

from tui_replay.app.editor import (
    clipboard_caveat,
    editor_command,
    find_test_source,
    line_of,
    run_editor,
    tmux_set_clipboard,
)
from tui_replay.app.palette import BrowseCommands, ExplainCommands, RecordingCommands, ServeCommands
from tui_replay.app.screens.browse import BrowseScreen
from tui_replay.app.screens.help import HelpScreen, describe_bindings
from tui_replay.app.terminal_guard import TerminalGuard
from tui_replay.atomic import write_atomic
from tui_replay.catalog.scan import missing_paths
from tui_replay.config import Config
from tui_replay.state import AppState, StateFile
from tui_replay.textsafe import printable, shown_path

DEFAULT_FOLDER = "recordings"
MIN_SPEED, MAX_SPEED = 0.25, 32.0
KEYMAP_CHECK_DELAY = 1.0
SCREENSHOT_DIR_ENV = "TUI_REPLAY_SCREENSHOT_DIR"


class TuiReplayApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "tui-replay"
    DEFAULT_MODE = "browse"
    COMMANDS: ClassVar = App.COMMANDS | {BrowseCommands, ExplainCommands, RecordingCommands, ServeCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Keys", id="app.help"),
    ]

    def __init__(
        self,
        roots: list[str],
        config: Config | None = None,
        *,
        use_cache: bool = True,
        state_file: StateFile | None = None,
    ) -> None:
        super().__init__()
        self.roots = list(roots)
        self.config = config or Config()
        self.use_cache = use_cache
        # What is remembered between runs (theme, sort, grouping, recent filters); only the app
        # the command line starts has a state file: tests and scripts start from the defaults.
        self.state_file = state_file
        self.state, self._state_problem = state_file.load() if state_file else (AppState(), None)
        if self.state.theme in BUILTIN_THEMES and self.config.theme == Config().theme:
            # (a theme set in the config or the environment wins over the one picked last time)
            self.config = replace(self.config, theme=self.state.theme)
        # A mode, not get_default_screen(): a mode's base screen gets its CSS_PATH loaded.
        self.add_mode("browse", partial(BrowseScreen, self.roots, self.config, use_cache=use_cache))
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.theme = self.config.theme  # before the first frame: no restyle after it
        self.terminal_guard = TerminalGuard()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        # Notifications quote file names and errors: their control characters shown as data.
        super().notify(
            printable(message), title=printable(title), severity=severity, timeout=timeout, markup=markup
        )

    def get_line_filters(self) -> Sequence[LineFilter]:
        # The guard runs last, on every line of every widget, right before the terminal.
        return [*super().get_line_filters(), self.terminal_guard]

    def on_mount(self) -> None:
        for notice in self.config.notices:  # settings ignored: unknown, or not a project's to set
            self.notify(notice, severity="warning", markup=False, timeout=10)
        if self._state_problem:
            self.notify(f"Ignored the saved state: {self._state_problem}", severity="warning", markup=False)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
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

    # -- remembered between runs ---------------------------------------------------------------

    def _theme_changed(self, theme: Theme) -> None:
        self.remember(theme=theme.name)

    def remember(self, **changes: Any) -> None:
        """Change fields of the saved state (`AppState`) and save it, in a thread."""
        state = self.state
        before = replace(state, recent_filters=list(state.recent_filters))
        recent = changes.pop("recent_filter", None)
        for name, value in changes.items():
            setattr(state, name, value)
        if recent is not None:
            state.remember_filter(recent)
        if self.state_file is not None and state != before:
            snapshot = replace(state, recent_filters=list(state.recent_filters))
            self.run_worker(
                partial(self.state_file.save, snapshot), thread=True, group="state", exit_on_error=False
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        reason = " ".join(str(event.worker.error).split())
        if event.worker.group == "state":
            self.notify(f"Could not save the state: {reason}", severity="warning", markup=False)
        elif event.worker.group == "screenshot":
            self.notify(f"Screenshot not saved: {reason}", title="Screenshot", severity="error", markup=False)
        elif event.worker.group in ("editor", "clipboard"):
            self.notify(f"{event.worker.group.capitalize()}: {reason}", severity="error", markup=False)

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
            elif command.title == "Screenshot":
                # Textual's saves to ~/Downloads, and says only "Failed" when there is none.
                command = SystemCommand(
                    "Screenshot",
                    f"Save an SVG of the screen in {screenshot_dir()}",
                    lambda: self.set_timer(0.1, self.save_screenshot_svg),  # once the palette is gone
                )
            yield command

    def save_screenshot_svg(self) -> None:
        """An SVG of the screen into the screenshot folder (made if needed); says where, or why not."""
        from datetime import datetime

        svg = self.export_screenshot()
        name = f"tui-replay_{datetime.now():%Y-%m-%d_%H-%M-%S}.svg"  # two in a second: `-1`, `-2` …
        self._write_screenshot(screenshot_dir() / name, svg)

    @work(thread=True, group="screenshot", exit_on_error=False)
    def _write_screenshot(self, path: Path, svg: str) -> None:
        saved = write_atomic(path, svg, alternatives=99)
        self.call_from_thread(
            self.notify, f"Saved the screenshot to {saved}", title="Screenshot", markup=False
        )

    # -- leaving the app for the files: the editor, the test's source, the clipboard ---------------

    def edit(self, path: str, *, needle: str = "") -> None:
        """Open `path` in $EDITOR, at the line where `needle` (recorded text) is, when found."""
        self._find_line(path, needle)

    @work(thread=True, group="editor", exit_on_error=False)
    def _find_line(self, path: str, needle: str) -> None:
        line = line_of(path, needle) if needle else None
        self.call_from_thread(self.open_in_editor, path, line)

    def edit_test_source(self, test_id: str | None, near: str) -> None:
        """Open the source of the test that made a recording in $EDITOR, at its `def`."""
        if not test_id:
            self.notify("This recording has no test id.", severity="warning", markup=False)
            return
        self._find_test(test_id, near)

    @work(thread=True, group="editor", exit_on_error=False)
    def _find_test(self, test_id: str, near: str) -> None:
        found = find_test_source(test_id, near)
        if isinstance(found, str):
            self.call_from_thread(
                self.notify, f"Test source not found: {found}", severity="warning", markup=False
            )
            return
        path, line = found
        if line is None:
            name = test_id.split("::")[-1].split("[")[0]
            self.call_from_thread(self.notify, f"No `def {name}` in {path}: opened at the top.", markup=False)
        self.call_from_thread(self.open_in_editor, path, line)

    def open_in_editor(self, path: str, line: int | None = None) -> None:
        """Run the editor with the app suspended (the terminal is the editor's until it exits)."""
        argv = editor_command(path, line)
        if self.is_headless:  # no terminal to hand over (tests): the editor just runs
            problem = run_editor(argv)
        else:
            try:
                with self.suspend():
                    problem = run_editor(argv)
            except SuspendNotSupported:
                problem = "this terminal cannot be handed over to an editor"
        if problem:
            self.notify(f"Editor: {problem}", severity="error", markup=False)
        self.refresh()

    def yank(self, text: str, what: str) -> None:
        """Copy `text` to the clipboard (OSC 52), and say so, or why it may not arrive."""
        self.copy_to_clipboard(text)
        self._tell_copied(what)

    @work(thread=True, group="clipboard", exit_on_error=False)
    def _tell_copied(self, what: str) -> None:
        tmux = tmux_set_clipboard() if os.environ.get("TMUX") else None
        caveat = clipboard_caveat(os.environ, tmux)
        if caveat is None:
            self.call_from_thread(self.notify, f"Copied {what}.", markup=False, timeout=3)
        else:
            message = f"Sent {what} to the terminal's clipboard, but it may not arrive: {caveat}."
            self.call_from_thread(self.notify, message, severity="warning", markup=False, timeout=8)

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


def screenshot_dir() -> Path:
    """Where the palette's "Screenshot" saves: $TUI_REPLAY_SCREENSHOT_DIR, else the user data
    folder's `screenshots` (`~/.local/share/tui-replay/screenshots` on Linux)."""
    folder = os.environ.get(SCREENSHOT_DIR_ENV)
    if not folder:
        from platformdirs import user_data_dir

        folder = os.path.join(user_data_dir("tui-replay"), "screenshots")
    return Path(folder).expanduser()


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


def prepare(args: argparse.Namespace, config: Config) -> tuple[list[str], Config] | int:
    """The roots and the run's config (resolved by `cli.main`), or an exit status after one
    line on stderr."""
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
        return _fail(f"no such file or folder: {', '.join(map(shown_path, missing))}")
    if not MIN_SPEED <= config.speed <= MAX_SPEED:
        return _fail(f"speed {config.speed:g} is out of range ({MIN_SPEED:g} to {MAX_SPEED:g})")
    if config.theme not in BUILTIN_THEMES:
        return _fail(f"unknown theme {config.theme!r}; known themes: {', '.join(sorted(BUILTIN_THEMES))}")
    return paths, config


def streams_not_terminals() -> list[str]:
    """The standard streams that are not a terminal. The app reads keys from stdin and draws on
    stderr (Textual's choice); without a terminal there it never ends. stdout is checked too:
    `tui-replay > file` would draw on the screen and leave the file empty."""
    streams = {"stdin": sys.__stdin__, "stdout": sys.__stdout__, "stderr": sys.__stderr__}
    return [name for name, stream in streams.items() if stream is None or not stream.isatty()]


def run_app(args: argparse.Namespace, config: Config) -> int:
    prepared = prepare(args, config)
    if isinstance(prepared, int):
        return prepared
    not_terminals = streams_not_terminals()
    if not_terminals:
        return _fail(
            f"the app needs a terminal ({' and '.join(not_terminals)} "
            f"{'is' if len(not_terminals) == 1 else 'are'} not); "
            "for text output use `tui-replay list PATH` or `tui-replay show PATH`"
        )
    paths, config = prepared
    app = TuiReplayApp(paths, config, use_cache=not args.no_cache, state_file=StateFile())
    app.run()
    return app.return_code or 0
