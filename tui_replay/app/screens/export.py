"""Exports of the open recording: curl, Python (openai), Markdown transcript, re-record command.

Each is shown read-only; `c` copies the visible one to the clipboard and `s` saves it
to a new file in the current directory (atomic, never over an existing file; shell
scripts are saved executable).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane, TextArea

from tui_replay.config import Config
from tui_replay.export import FORMATS, export_base_url, export_text, write_new_file
from tui_replay.quoting import comment
from tui_replay.recording.model import Recording
from tui_replay.textsafe import printable

# (pane id, label, export format); the same texts as `tui-replay export --format FORMAT`
EXPORTS = (
    ("export-curl", "curl", "curl"),
    ("export-python", "Python", "python"),
    ("export-markdown", "Markdown", "markdown"),
    ("export-rerecord", "Re-record", "rerecord"),
)


def build_exports(recording: Recording, config: Config) -> dict[str, str]:
    """Pane id -> exported text."""
    exports = {}
    for pane, _, fmt in EXPORTS:
        try:
            exports[pane] = export_text(recording, fmt, config.live.base_url, config.live.api_key_env)
        except ValueError as exc:  # a key variable name that is not one (config is checked on read)
            exports[pane] = comment(f"Cannot export: {exc}") + "\n"
    return exports


class ExportScreen(Screen[None]):
    CSS_PATH = "export.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy", id="export.copy"),
        Binding("s", "save", "Save to file", id="export.save"),
        Binding("escape,q", "back", "Back", id="export.back"),
        *(
            Binding(
                str(number),
                f"show_tab('{pane}')",
                label,
                id=f"export.{pane.removeprefix('export-')}",
                show=False,
            )
            for number, (pane, label, _) in enumerate(EXPORTS, 1)
        ),
    ]

    def __init__(
        self, recording: Recording, config: Config | None = None, directory: str | None = None
    ) -> None:
        super().__init__()
        self.recording = recording
        self.config = config or Config()
        self.directory = Path(directory) if directory else Path.cwd()
        self.exports = build_exports(recording, self.config)
        self.saved: list[Path] = []

    def compose(self) -> ComposeResult:
        base = export_base_url(self.config.live.base_url)
        if not self.config.live.base_url:
            base += " (placeholder: set [live] base_url)"
        note = Text(f"base URL {base}; the API key is read from ${self.config.live.api_key_env}. ")
        note.append("c copy · s save to a new file in the current directory", "dim")
        yield Static(note, id="export-note")
        with TabbedContent(id="export-tabs"):
            for pane_id, label, _ in EXPORTS:
                with TabPane(label, id=pane_id):
                    yield TextArea(
                        printable(self.exports[pane_id]),
                        read_only=True,
                        id=f"{pane_id}-text",
                        soft_wrap=False,
                    )
        yield Footer()

    @property
    def current(self) -> str:
        return self.query_one("#export-tabs", TabbedContent).active or EXPORTS[0][0]

    def action_copy(self) -> None:
        label = next(label for pane, label, _ in EXPORTS if pane == self.current)
        yank = getattr(self.app, "yank", None)  # says when the terminal may drop the copy
        if yank is not None:
            yank(self.exports[self.current], f"the {label} export")
        else:
            self.app.copy_to_clipboard(self.exports[self.current])
            self.notify(f"Copied the {label} export to the clipboard.", markup=False)

    def action_save(self) -> None:
        fmt = next(fmt for pane, _, fmt in EXPORTS if pane == self.current)
        suffix, executable = FORMATS[fmt]
        stem = Path(self.recording.path).stem[:16] or "recording"
        try:
            path = write_new_file(
                self.directory, f"{stem}{suffix}", self.exports[self.current], executable=executable
            )
        except OSError as exc:
            self.notify(f"Could not save: {printable(str(exc))}", severity="error", markup=False)
            return
        self.saved.append(path)
        self.notify(f"Saved {printable(str(path))}", markup=False)

    def action_show_tab(self, pane: str) -> None:
        self.query_one("#export-tabs", TabbedContent).active = pane

    def action_back(self) -> None:
        self.app.pop_screen()
