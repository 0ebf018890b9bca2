"""The key status of a recording file (its name against the recorder's request hash), as the
browse preview and the replay header show it: mis-keyed stands out, the rest stays quiet.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_replay.recording.request_hash import CURRENT_KEY, MIS_KEYED, OLDER_KEY, KeyStatus
from tui_replay.textsafe import printable, safe_text

MIS_KEYED_STYLE = "bold white on red"
OLDER_STYLE = "yellow"


def key_status_text(status: KeyStatus) -> Text:
    """`key current` / `key older: <since> rules` / ` mis-keyed  expected <name>` / `key opaque`,
    as literal text. One short line: `KeyStatus.describe()` says the rest."""
    text = Text(end="")
    if status.status == MIS_KEYED:
        text.append(" mis-keyed ", MIS_KEYED_STYLE)
        text.append(" expected ", "bold red")
        text.append_text(safe_text(status.expected or "(unknown)", "bold"))
        return text
    text.append("key ", "dim")
    if status.status == CURRENT_KEY:
        text.append("current", "green")
    elif status.status == OLDER_KEY:
        which = f"older: {status.rules.name}" if status.rules is not None else "older"
        text.append_text(safe_text(which, OLDER_STYLE))
    else:
        text.append_text(safe_text(status.status, "dim"))
    return text


def summary_key_text(label: str | None) -> Text | None:
    """The key status a catalog Summary keeps (`Summary.key`), None for an unreadable file."""
    return key_status_text(KeyStatus.from_label(label)) if label else None


class KeyStatusLabel(Static):
    """One line: the key status of the open recording (empty until it is known); the tooltip
    has the whole story (which rule set, what it did differently, the name now)."""

    def show_status(self, status: KeyStatus | None) -> None:
        self.set_class(status is not None and status.status == MIS_KEYED, "-mis-keyed")
        self.update(key_status_text(status) if status is not None else "")
        self.tooltip = printable(status.describe()) if status is not None else None
