"""The keys of the current screen: every active binding, its description and its keymap id.

Generic over screens: it is built from `Screen.active_bindings` of the screen it was
opened over, so any screen's bindings (and a user's remapped keys) show up as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static


@dataclass(slots=True)
class KeyHelp:
    description: str
    binding_id: str | None
    where: str
    keys: list[str] = field(default_factory=list)


def _where(node: object) -> str:
    if isinstance(node, App):
        return "everywhere"
    if isinstance(node, Screen):
        return "this screen"
    if isinstance(node, Widget):
        # ContentTabs -> "in the content tabs", not "in the contenttabs"; never the widget's
        # internal id (`#citation-list`), which says nothing to a user.
        words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", type(node).__name__).lower()
        return f"in the {words}"
    return ""


def describe_bindings(screen: Screen) -> list[KeyHelp]:
    """The bindings a user can press on `screen` now, one entry per action, keys merged."""
    app = screen.app
    entries: dict[tuple[int, str], KeyHelp] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        description = binding.description or binding.tooltip
        if binding.system or not description:
            continue
        key = (id(active.node), binding.action)
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = KeyHelp(description, binding.id, _where(active.node))
        display = app.get_key_display(binding)
        if display not in entry.keys:
            entry.keys.append(display)
    # The screen's own keys first, then the app's, then those of the focused widget.
    order = {"this screen": 0, "everywhere": 1}
    return sorted(entries.values(), key=lambda entry: order.get(entry.where, 2))


def help_table(entries: list[KeyHelp]) -> Group:
    """Keys, action and keymap id, in one section per place they work ("This screen",
    "Everywhere", "In the citation list"). The columns line up across sections; actions are
    never cut or wrapped (they are what the list is read for), a long keymap id folds instead."""
    keys_width = max((len(", ".join(entry.keys)) for entry in entries), default=4)
    action_width = max((len(entry.description) for entry in entries), default=6)
    sections: dict[str, list[KeyHelp]] = {}
    for entry in entries:
        sections.setdefault(entry.where, []).append(entry)
    parts: list[Table | Text] = []
    for where, section in sections.items():
        table = Table(box=None, expand=True, show_header=False, pad_edge=False)
        table.add_column(no_wrap=True, width=max(keys_width, 4))
        table.add_column(no_wrap=True, width=action_width)
        table.add_column(style="dim", overflow="fold", ratio=1)
        for entry in section:
            table.add_row(
                Text(", ".join(entry.keys), style="bold"),
                Text(entry.description),
                Text(entry.binding_id or ""),
            )
        if parts:
            parts.append(Text(""))
        parts.append(Text(where[:1].upper() + where[1:], style="bold underline"))
        parts.append(table)
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """A list of the active keys of the screen below; any of its own keys closes it."""

    CSS_PATH = "help.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
    ]

    def __init__(self, title: str, entries: list[KeyHelp]) -> None:
        super().__init__()
        self.title_text = title
        self.entries = entries

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = f"Keys: {self.title_text}"
            body.border_subtitle = "escape closes · remap keys in the config keymap table"
            yield Static(help_table(self.entries), id="help-table")

    def action_close(self) -> None:
        self.dismiss()
