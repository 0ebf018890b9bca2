"""One line under the preview: counts, loading progress, sort, grouping, watch and follow state."""

from __future__ import annotations

from dataclasses import dataclass
from time import monotonic

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static


@dataclass(slots=True)
class BrowseStatus:
    total: int = 0
    shown: int = 0
    errors: int = 0
    new: int = 0
    loading: tuple[int, int] | None = None  # (files done, files found so far) while the first scan runs
    sort: str | None = None
    descending: bool = False
    grouped: bool = False
    partial: bool = False  # rows are still loading: the counts and groups cover part of the tree
    filtered: bool = False
    watch: str = "off"  # "on", "off", "unavailable", "starting"
    follow: bool = False


LOADING_UPDATE_SECONDS = 0.1  # while rows load, the line changes at most this often


class StatusBar(Static):
    _shown_at = 0.0
    _pending: BrowseStatus | None = None
    _pending_timer: Timer | None = None

    def show_status(self, status: BrowseStatus) -> None:
        """Show `status`; while rows load, at most every LOADING_UPDATE_SECONDS (each update is a
        frame, and batches of rows come faster): the latest then."""
        now = monotonic()
        if status.loading is not None and now - self._shown_at < LOADING_UPDATE_SECONDS:
            self._pending = status
            if self._pending_timer is None:
                wait = LOADING_UPDATE_SECONDS - (now - self._shown_at)
                self._pending_timer = self.set_timer(wait, self._show_pending)
            return
        self._show(status)

    def _show_pending(self) -> None:
        self._pending_timer = None
        if self._pending is not None:
            self._show(self._pending)

    def _show(self, status: BrowseStatus) -> None:
        self._pending = None
        if self._pending_timer is not None:
            self._pending_timer.stop()
            self._pending_timer = None
        self._shown_at = monotonic()
        text = Text(end="")
        so_far = " so far" if status.partial else ""
        if status.filtered:
            text.append(f"{status.shown:,} of {status.total:,} recordings{so_far}")
        else:
            text.append(f"{status.total:,} recording{'' if status.total == 1 else 's'}{so_far}")
        if status.errors:
            text.append(" · ")
            text.append(f"{status.errors:,} unreadable", "red")
        if status.new:
            text.append(" · ")
            text.append(f"● {status.new:,} new", "green")
        if status.loading is not None:
            done, found = status.loading
            text.append(" · ")
            text.append(f"loading: {done:,} of {found:,} files found…", "bold")
        if status.sort:
            text.append(f" · sort: {status.sort} {'▼' if status.descending else '▲'}")
        if status.grouped:
            text.append(" · grouped by test" + (" (partial)" if status.partial else ""))
        text.append(" · watch: ")
        text.append(status.watch, "green" if status.watch == "on" else "dim")
        if status.follow:
            text.append(" · follow: on", "bold green")
        # One line, always: no layout pass of the screen for it (each filter keystroke updates it).
        self.update(text, layout=False)
