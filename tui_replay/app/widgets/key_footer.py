"""The footer of the app's screens: at narrow widths it keeps the essential keys in view.

Textual's footer shows every key in declaration order and cuts the line at the terminal's
edge, so at 80 columns escape and `?` fell off the end. Here each screen names its actions
in order of importance (`FOOTER_PRIORITY`); the least important keys leave the footer until
the rest fits. They stay bound, and `?` lists them all.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_ROOM = 14  # the command palette's key, docked right: "▏ ^p palette "


def action_name(action: str) -> str:
    """`step(1)` -> `step`, `app.help` -> `help`: how FOOTER_PRIORITY names an action."""
    return action.partition("(")[0].rpartition(".")[2]


def key_width(key: FooterKey) -> int:
    """Cells a footer key takes (not compact): " key " then "description "."""
    width = len(key.key_display) + 2
    return width + len(key.description) + 1 if key.description else width


class KeyFooter(Footer):
    """A footer that drops the screen's least important keys when they do not all fit."""

    def __init__(self) -> None:
        super().__init__()
        self._composed_width = 0

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        width = self.size.width or self.app.size.width
        self._composed_width = width
        palette = [key for key in keys if isinstance(key, FooterKey) and key.has_class("-command-palette")]
        shown = [key for key in keys if key not in palette]
        room = width - (PALETTE_ROOM if palette else 0)
        priority = [action_name(action) for action in getattr(self.screen, "FOOTER_PRIORITY", ())]

        def rank(key: FooterKey) -> tuple[int, int]:
            name = action_name(key.action)
            order = priority.index(name) if name in priority else len(priority)
            return (order, shown.index(key))

        dropped: set[int] = set()
        by_importance = sorted((key for key in shown if isinstance(key, FooterKey)), key=rank)
        total = sum(key_width(key) for key in by_importance)
        while by_importance and total > room:
            least = by_importance.pop()
            dropped.add(id(least))
            total -= key_width(least)
        yield from (key for key in shown if id(key) not in dropped)
        yield from palette

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)
