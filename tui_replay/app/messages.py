"""Messages between screens (attributes go down, messages go up or across)."""

from __future__ import annotations

from textual.message import Message


class RecordingChangedOnDisk(Message, bubble=False):
    """The browse screen's watcher saw a recording change ("changed") or go ("removed"):
    posted to the screens over the list; a replay of that file offers a reload."""

    def __init__(self, path: str, event: str) -> None:
        super().__init__()
        self.path = path
        self.event = event
