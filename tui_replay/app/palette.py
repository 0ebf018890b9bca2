"""Command palette providers: the main actions, and jumping to any loaded recording by name.

Recorded text never reaches markup here: the palette parses a `str` prompt or help as
markup, so hits carry `Content` built from plain text (Content is passed through as is).
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from tui_replay.app.screens.browse import SORT_LABELS, BrowseScreen
from tui_replay.catalog.testids import short_file_name, short_test_name
from tui_replay.catalog.view import flat
from tui_replay.textsafe import printable

MAX_RECORDING_HITS = 200


def _browse(provider: Provider) -> BrowseScreen | None:
    """The browse screen, wherever the palette was opened (jumping from a replay goes back)."""
    for screen in reversed(provider.app.screen_stack):
        if isinstance(screen, BrowseScreen):
            return screen
    return None


def safe_highlight(matcher: Matcher, candidate: str) -> Content:
    """Like `Matcher.highlight`, but `candidate` is plain text, not markup."""
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if not score:
        return content
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class ExplainCommands(Provider):
    """The "Explain a request…" action, on every screen: why a replay-mode request missed."""

    NAME = "Explain a request…"
    HELP = "Paste a `Recording not found` message or a CI log, or name a body file"

    async def discover(self) -> Hits:
        yield DiscoveryHit(self.NAME, self.app.action_explain, help=self.HELP)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        score = max(matcher.match(self.NAME), matcher.match("Recording not found"))
        if score > 0:
            yield Hit(
                score, matcher.highlight(self.NAME), self.app.action_explain, text=self.NAME, help=self.HELP
            )


class ServeCommands(Provider):
    """The "Serve these recordings" action: `tui-replay serve` from the app, with its traffic screen."""

    NAME = "Serve these recordings"
    HELP = "An OpenAI-compatible endpoint on 127.0.0.1 answering from the recordings; shows the traffic"

    def _open(self) -> None:
        from tui_replay.app.screens.traffic import TrafficScreen

        app = self.app
        app.push_screen(TrafficScreen(roots=list(app.roots), config=app.config))  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        yield DiscoveryHit(self.NAME, self._open, help=self.HELP)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        score = max(matcher.match(self.NAME), matcher.match("traffic"))
        if score > 0:
            yield Hit(score, matcher.highlight(self.NAME), self._open, text=self.NAME, help=self.HELP)


class BrowseCommands(Provider):
    """The browse screen's actions: filter, sort, group, watch, follow, open."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        browse = _browse(self)
        if browse is None or self.screen is not browse:
            return []  # the list's actions are offered on the list only
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Filter recordings", "Focus the filter box (/)", browse.action_filter),
            ("Clear the filter", "Show every recording", partial(browse.set_filter, "")),
            (
                "Show unreadable recordings",
                "Filter: status:error",
                partial(browse.set_filter, "status:error"),
            ),
            ("Show recordings with tool calls", "Filter: has:tools", partial(browse.set_filter, "has:tools")),
            (
                "Show recordings with citations",
                "Filter: has:citations",
                partial(browse.set_filter, "has:citations"),
            ),
            ("Group by test", "Toggle grouping by test file and test (g)", browse.action_toggle_group),
            ("Unfold all groups", "Grouped view, every test open", partial(browse.fold_all, True)),
            ("Fold all groups", "Grouped view, only the test files", partial(browse.fold_all, False)),
            (
                "Toggle watching",
                "Follow the folders for new and changed files (w)",
                browse.action_toggle_watch,
            ),
            ("Toggle follow", "Open the newest recording as it lands (F)", browse.action_toggle_follow),
            ("Open the highlighted recording", "Replay it (enter)", browse.open_highlighted),
            ("Unsorted", "Scan order (folders and names)", partial(browse.set_sort, None)),
        ]
        for column, label in SORT_LABELS.items():
            commands.append(
                (f"Sort by {label}", "Ascending", partial(browse.set_sort, column, descending=False))
            )
            commands.append(
                (
                    f"Sort by {label}, descending",
                    "Descending",
                    partial(browse.set_sort, column, descending=True),
                )
            )
        return commands

    def _recent_filters(self) -> list[tuple[str, Callable[[], object]]]:
        """The filters used lately (remembered between runs), newest first."""
        browse = _browse(self)
        state = getattr(self.app, "state", None)
        if browse is None or self.screen is not browse or state is None:
            return []
        return [
            (f"Filter: {printable(flat(text))}", partial(browse.set_filter, text))
            for text in state.recent_filters
        ]

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)
        for name, callback in self._recent_filters():  # typed text: Content, never markup
            yield DiscoveryHit(Content(name), callback, text=name, help="A recent filter")  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)
        for name, callback in self._recent_filters():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, safe_highlight(matcher, name), callback, text=name, help="A recent filter")


class RecordingCommands(Provider):
    """Jump to a recording by test id or file name (over the summaries loaded so far)."""

    async def startup(self) -> None:
        browse = _browse(self)
        self._browse = browse
        self._items: list[tuple[str, str, str]] = []
        if browse is None:
            return
        for summary in list(browse.summaries.values()):
            name = printable(flat(short_test_name(summary.test_id, max_len=120)))
            label = f"{name}  {printable(short_file_name(summary.path), single_line=True)}"
            facts = [
                summary.kind or "",
                summary.model or "",
                summary.status if summary.status != "ok" else "",
            ]
            help_text = printable(flat(" · ".join(fact for fact in facts if fact)))
            self._items.append((label, help_text, summary.path))

    async def search(self, query: str) -> Hits:
        browse = self._browse
        if browse is None or not query.strip():
            return
        matcher = self.matcher(query)
        letters = set(query.lower().replace(" ", ""))
        best: list[tuple[float, int]] = []  # a min-heap of the best MAX_RECORDING_HITS
        for index, (label, _, _) in enumerate(self._items):
            if index % 250 == 249:
                await asyncio.sleep(0)  # thousands of candidates: let keys and frames through
            if not letters <= set(label.lower()):
                continue  # cheap pre-check: the fuzzy match needs every letter
            score = matcher.match(label)
            if score <= 0:
                continue
            if len(best) < MAX_RECORDING_HITS:
                heapq.heappush(best, (score, -index))
            elif score > best[0][0]:
                heapq.heapreplace(best, (score, -index))
        for score, negative_index in sorted(best, reverse=True):
            label, help_text, path = self._items[-negative_index]
            # Said before the jump: the active filter stays unless it hides the recording.
            action = "Jump to (clears the filter)" if browse.hidden_by_filter(path) else "Jump to"
            yield Hit(
                score,
                safe_highlight(matcher, label),
                partial(browse.jump_to, path),
                text=label,
                help=Content(f"{action} · {help_text}" if help_text else action),  # type: ignore[arg-type]
            )
