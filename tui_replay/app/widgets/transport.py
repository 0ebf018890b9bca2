"""The progress line: play state, chunk i/n, replay time, speed and where the timing comes from.

Everything shown derives from the player's position (never the wall clock), so a paused
screen renders the same every time.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_replay.app.playback import Player, format_speed
from tui_replay.recording.pacing import PACED_TOKENS_PER_SECOND

BAR_WIDTH = 24


def transport_text(player: Player) -> Text:
    count = player.count
    if player.playing:
        state, style = "▶ playing", "bold green"
    elif player.at_end and count:
        state, style = "■ end", "bold"
    else:
        state, style = "⏸ paused", "bold yellow"
    filled = round(BAR_WIDTH * player.position / count) if count else 0
    out = Text()
    out.append(f"{state:<10} ", style)
    out.append("█" * filled, "green")
    out.append("░" * (BAR_WIDTH - filled), "dim")
    out.append(f"  chunk {player.position}/{count}")
    out.append(f"  {player.elapsed:.2f} s / {player.plan.total_time:.2f} s")
    out.append(f"  speed {format_speed(player.speed)}", "bold")
    if player.plan.measured:
        out.append("  recorded timing", "dim")
    else:
        out.append(f"  paced at {PACED_TOKENS_PER_SECOND:g} tok/s", "dim")
    return out


class Transport(Static):
    DEFAULT_CSS = """
    Transport { height: 1; padding: 0 1; background: $panel; }
    """

    _shown: Text | None = None

    def show(self, player: Player) -> None:
        text = transport_text(player)
        if text != self._shown:  # most ticks between two chunks change nothing: skip the repaint
            self._shown = text
            self.update(text)
