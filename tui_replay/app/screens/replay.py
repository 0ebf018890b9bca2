"""The replay screen: the conversation, the answer replaying chunk by chunk, tool calls, citations.

The recording is loaded (and its `ReplayPlan` built) in a thread worker. Playback is a
timer that runs only while playing: each tick asks the `Player` which position is due
and appends the runs of the new chunks to the answer in one batch, so a paused screen
costs nothing and instant speed never blocks input for more than a frame budget.

At 120x40 and larger all panes are visible at once; smaller terminals show one pane at
a time behind tabs (the screen toggles the `-narrow` class on resize; CSS does the rest).

Keys (keymap ids in brackets): space play/pause [replay.play], right/left step one chunk
[replay.step_forward/step_back], +/- speed 0.25x..32x then instant [replay.faster/slower],
home/end [replay.start/end], [ / ] jump 10% [replay.back_10/forward_10], t next tab when
narrow [replay.next_tab], m answer as rendered Markdown or raw text [replay.markdown], v raw
JSON [replay.raw], x exports [replay.export], r live compare [replay.compare], g/G first/last message
of the conversation (it opens at the last) [replay.conversation_start/end], n next answer of an n > 1
recording [replay.next_choice] (also tabs over the answer), c into the citation list
[replay.citations], / search the messages and the answer, then n/N next/previous match
[replay.search/search_next/search_previous], e the file in $EDITOR at the message shown
[replay.edit], E the test's source [replay.test_source], y copy the path [replay.yank],
escape/q back [replay.back]. Clicking a [n] marker selects its citation.

The answer pane holds two views fed the same runs: the rendered Markdown (shown by default)
and the raw text; `m` swaps which one is displayed. The hidden one only keeps the runs and lays
them out when shown, so a seek (End on 200,000 chunks) pays for one view, and the first `m`
after it for the other.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Collapsible, LoadingIndicator, Static, Tab, Tabs
from textual.worker import Worker, WorkerState

from tui_replay.app.messages import RecordingChangedOnDisk
from tui_replay.app.playback import Player, ReplayPlan, build_plan
from tui_replay.app.widgets.answer_view import AnswerView
from tui_replay.app.widgets.citations_pane import CitationsPane
from tui_replay.app.widgets.conversation import ConversationView, MessageBlock
from tui_replay.app.widgets.key_footer import KeyFooter
from tui_replay.app.widgets.key_status import KeyStatusLabel
from tui_replay.app.widgets.kind_views import view_for
from tui_replay.app.widgets.markdown_answer_view import MarkdownAnswerView
from tui_replay.app.widgets.search_bar import SearchBar, SearchSteps
from tui_replay.app.widgets.tool_calls_pane import ToolCallsPane
from tui_replay.app.widgets.transport import Transport
from tui_replay.catalog.testids import short_test_id
from tui_replay.config import Config
from tui_replay.recording.model import VCR, Message, Recording, RecordingError, split_address
from tui_replay.recording.request_hash import KeyStatus, classify_file
from tui_replay.textsafe import one_line, safe_text

TICK_SECONDS = 1 / 30  # timer period while playing
FRAME_BUDGET = 0.008  # seconds of appending per tick at high speed, so input stays responsive
WIDE_SIZE = (120, 40)  # at least this many columns and rows: all panes at once

# Actions bound with priority (they act wherever the focus is): not while the search box is typed in.
TYPED_IN_SEARCH = {"toggle_play", "step", "faster", "slower", "jump_start", "jump_end", "jump"}

# (tab id, pane id, label) in tab order.
PANES = (
    ("tab-answer", "pane-answer", "Answer"),
    ("tab-conversation", "pane-conversation", "Conversation"),
    ("tab-tools", "pane-tools", "Tool calls"),
    ("tab-citations", "pane-citations", "Citations"),
)


class ReplayScreen(SearchSteps, Screen[None]):
    """Replay one recording file."""

    CSS_PATH = "replay.tcss"
    # The keys the footer keeps longest on a narrow terminal, most important first.
    FOOTER_PRIORITY: ClassVar[tuple[str, ...]] = (
        "back",
        "help",
        "toggle_play",
        "next_tab",
        "citations",
        "search_next",  # (only while a search is on)
        "search",
        "step",
        "faster",
        "slower",
        "raw",
        "export",
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_play", "Play/Pause", id="replay.play", priority=True),
        Binding("right", "step(1)", "Step", id="replay.step_forward", priority=True),
        Binding("left", "step(-1)", "Step back", id="replay.step_back", priority=True),
        Binding("plus,equals_sign", "faster", "Faster", id="replay.faster", priority=True),
        Binding("minus", "slower", "Slower", id="replay.slower", priority=True),
        Binding("home", "jump_start", "Start", id="replay.start", priority=True, show=False),
        Binding("end", "jump_end", "End", id="replay.end", priority=True, show=False),
        Binding("left_square_bracket", "jump(-1)", "-10%", id="replay.back_10", priority=True, show=False),
        Binding("right_square_bracket", "jump(1)", "+10%", id="replay.forward_10", priority=True, show=False),
        Binding("t", "next_tab", "Next tab", id="replay.next_tab"),
        Binding("m", "toggle_markdown", "Markdown/raw", id="replay.markdown"),
        Binding("v", "raw", "Raw", id="replay.raw"),
        Binding("x", "export", "Export", id="replay.export"),
        Binding("r", "compare", "Compare live", id="replay.compare"),
        Binding("R", "reload", "Reload", id="replay.reload"),
        # `n` moves to the next match while a search is on, else to the next answer.
        Binding("slash", "search", "Search", id="replay.search"),
        Binding("n", "search_next", "Next match", id="replay.search_next"),
        Binding("N", "search_previous", "Previous match", id="replay.search_previous"),
        Binding("n", "next_choice", "Next choice", id="replay.next_choice"),
        Binding("c", "citations", "Citations", id="replay.citations"),
        Binding("e", "edit", "Edit", id="replay.edit"),
        Binding("y", "yank", "Copy path", id="replay.yank", show=False),
        Binding("E", "test_source", "Test source", id="replay.test_source", show=False),
        Binding("g", "conversation_start", "First message", id="replay.conversation_start", show=False),
        Binding("G", "conversation_end", "Last message", id="replay.conversation_end", show=False),
        Binding("escape,q", "back", "Back", id="replay.back"),
    ]

    def __init__(
        self,
        path: str,
        *,
        speed: float = 1.0,
        config: Config | None = None,
        highlight_terms: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.path = str(path)
        # What the browse filter's `text:` looked for when this was opened: marked in the panes.
        self.highlight_terms = list(highlight_terms)
        self.config = config or Config()
        self.initial_speed = speed
        self.recording: Recording | None = None
        self.plan: ReplayPlan | None = None
        self.player: Player | None = None
        self.error: str | None = None
        self._preloaded: Recording | None = None
        self._timer: Timer | None = None
        self._last_tick = 0.0
        self._batch = 64  # chunks per tick at instant speed, adapted to FRAME_BUDGET
        self.autoplay = True
        self._froze_gc = False
        self.ready = False  # the recording (or its load error) is on screen
        self.disk_change: str | None = None  # "changed" / "removed" since it was opened
        self.choice = 0  # which answer of an n > 1 recording plays (position in recording.choices)
        self.rendered = True  # the answer as rendered Markdown (else its raw text)
        self.search_term = ""  # `/`: what is looked for, and where it was found
        self.search_matches: list[tuple[str, int]] = []  # ("message", index) or ("answer", 0)
        self.search_at = 0

    @classmethod
    def for_recording(
        cls, recording: Recording, *, speed: float = 1.0, config: Config | None = None, autoplay: bool = True
    ) -> ReplayScreen:
        """A screen over an already loaded recording (tests, live captures)."""
        screen = cls(recording.path, speed=speed, config=config)
        screen._preloaded = recording
        screen.autoplay = autoplay
        return screen

    # --- composition and loading -------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="replay-header"):
            yield Static(Content(one_line(Path(self.path).name, 200, fold=False)), id="replay-title")
            yield KeyStatusLabel(id="replay-key")
        yield Static(id="disk-notice")  # the file changed or went on disk; a reload that failed
        with Container(id="replay-body"):
            yield LoadingIndicator()
        yield SearchBar(id="search")
        yield Transport(id="transport")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#disk-notice").display = False
        self._update_layout_class()
        self.query_one(Transport).display = False
        if self._preloaded is not None:
            self.call_later(self._show, self._preloaded, build_plan(self._preloaded))
        else:
            self._load()

    def _load(self, group: str = "replay-load") -> None:
        """Read the file and plan its replay in a thread; `group` says what the result is for."""
        self.run_worker(self._read_and_plan, thread=True, exclusive=True, group=group, exit_on_error=False)

    def _read_and_plan(self) -> tuple[Recording, ReplayPlan]:
        from tui_replay.recording.load import load_recording

        recording = load_recording(self.path, max_size=self.config.max_size)
        return recording, build_plan(recording)

    @staticmethod
    def _failure(error: BaseException | None) -> str:
        return error.reason if isinstance(error, RecordingError) else f"{type(error).__name__}: {error}"

    @on(Worker.StateChanged)
    async def _loaded(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "replay-load":
            return
        if event.state == WorkerState.SUCCESS:
            await self._show(*event.worker.result)
        elif event.state == WorkerState.ERROR:
            await self._show_error(one_line(self._failure(event.worker.error), 300))

    @work(thread=True, exclusive=True, group="replay-key", exit_on_error=False)
    def _classify_key(self, recording: Recording) -> KeyStatus:
        """The file name against the request hash (hashing a long request takes a while)."""
        obj = {
            "test_id": recording.test_id,
            "request": recording.request_raw,
            "response": recording.response_raw,
        }
        return classify_file(obj, recording.path)

    @on(Worker.StateChanged)
    def _key_classified(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "replay-key" and event.state == WorkerState.SUCCESS and self.is_attached:
            self.query_one("#replay-key", KeyStatusLabel).show_status(event.worker.result)

    async def _show_error(self, reason: str) -> None:
        self.error = reason
        body = self.query_one("#replay-body")
        await body.remove_children()
        message = Text("Cannot open this recording: ", "bold red")
        message.append_text(safe_text(reason))
        await body.mount(Static(message, id="load-error"))
        self.ready = True

    async def _show(self, recording: Recording, plan: ReplayPlan) -> None:
        self.recording = recording
        self.plan = plan
        # A big recording is hundreds of thousands of long-lived objects; moving them out of
        # the collector's generations keeps full collections (100+ ms) out of instant replay.
        gc.freeze()
        self._froze_gc = True
        title = Text()
        if recording.test_id:
            # The file name without its folders keeps kind, model and file name in view at 140
            # columns; the full node id is in the browse preview and the exports.
            title.append(one_line(short_test_id(recording.test_id, 100), 100), "bold")
            title.append("  ")
        title.append(f"{recording.kind.value}", "dim")
        if recording.model:
            title.append(f"  {one_line(recording.model, 60)}", "dim")
        title.append("  ")
        title.append(one_line(Path(recording.path).name, 80, fold=False), "italic")
        self.query_one("#replay-title", Static).update(title)
        if recording.format != VCR:  # a cassette is keyed by interaction order, not a hash
            self._classify_key(recording)
        body = self.query_one("#replay-body")
        await body.remove_children()
        if self._closed_early():
            return
        special = view_for(recording)
        if special is not None:
            await body.mount(special)
            self.refresh_bindings()
            self.ready = True
            return
        await self._mount_panes(recording.for_choice(self.choice), plan)

    async def _mount_panes(self, shown: Recording, plan: ReplayPlan) -> None:
        """The panes over `shown`: the recording, or one answer of an n > 1 recording."""
        assert self.recording is not None
        body = self.query_one("#replay-body")
        await body.remove_children()
        self.plan = plan
        self.player = Player(plan, self.player.speed if self.player is not None else self.initial_speed)
        tabs = Tabs(*(Tab(label, id=tab_id) for tab_id, _, label in PANES), id="replay-tabs")
        raw_answer = AnswerView(id="answer")
        rendered_answer = MarkdownAnswerView(id="answer-rendered")
        raw_answer.display, rendered_answer.display = not self.rendered, self.rendered
        raw_answer.highlight(self.highlight_terms)
        rendered_answer.highlight(self.highlight_terms)
        answer_parts: list[Widget] = [raw_answer, rendered_answer]
        choices = self.recording.choices
        if choices:  # n > 1: every answer one tab (or `n`) away
            labels = (Tab(f"Choice {c.index}", id=f"choice-{i}") for i, c in enumerate(choices))
            answer_parts.insert(0, Tabs(*labels, active=f"choice-{self.choice}", id="choice-tabs"))
        answer_pane = Vertical(*answer_parts, id="pane-answer", classes="pane -active")
        answer_pane.border_title = self._answer_title()
        conversation = ConversationView(shown.messages, id="pane-conversation")
        conversation.highlight(self.highlight_terms)
        conversation.add_class("pane")
        count = len(shown.messages)
        conversation.border_title = f"Conversation ({count} message{'s' if count != 1 else ''})"
        conversation.border_subtitle = "g first · G last"  # it opens at the last messages
        tools = ToolCallsPane(shown, id="pane-tools")
        tools.add_class("pane")
        tools.border_title = "Tool calls"
        citations = CitationsPane(shown, id="pane-citations")
        citations.add_class("pane")
        citations.border_title = "Citations"
        citations_key = self.key_for("citations")
        if citations_key and (shown.citations or shown.retrieved):  # as the footer offers it
            citations.border_subtitle = f"{citations_key} selects"
        await body.mount(tabs, Container(conversation, tools, answer_pane, citations, id="panes"))
        if self._closed_early():
            return
        self.query_one(Transport).display = True
        self.refresh_bindings()
        self._start()

    async def show_choice(self, position: int) -> None:
        """Play answer `position` of an n > 1 recording instead (from the start, at the same speed)."""
        if (
            self.recording is None
            or not 0 <= position < len(self.recording.choices)
            or position == self.choice
        ):
            return
        if self.player is not None and self.player.playing:
            self.player.pause()
            self._ensure_timer()
        self.choice = position
        shown = self.recording.for_choice(position)
        await self._mount_panes(shown, build_plan(shown))
        if self.search_term:  # the same search, in this answer's conversation
            self.search(self.search_term)

    def action_conversation_start(self) -> None:
        for view in self.query(ConversationView):
            view.show_start()

    def action_conversation_end(self) -> None:
        for view in self.query(ConversationView):
            view.show_end()

    def action_citations(self) -> None:
        """Into the citation list (its tab when narrow), the first citation picked when none is."""
        panes = self.query(CitationsPane)
        if not panes:
            return
        if self.narrow:
            self.query_one("#replay-tabs", Tabs).active = "tab-citations"
        panes.first().focus_list()

    # --- leaving for the files ---------------------------------------------------------------

    @property
    def file(self) -> str:
        return split_address(self.path)[0]  # a cassette interaction: its file

    def action_edit(self) -> None:
        """The file in $EDITOR, at the message of the current search match, else the message at
        the top of the conversation."""
        message = self._message_in_view()
        needle = ""
        if message is not None:
            needle = message.text or next((call.arguments for call in message.tool_calls), "")
        self.app.edit(self.file, needle=needle)  # type: ignore[attr-defined]

    def action_yank(self) -> None:
        self.app.yank(self.path, "the path")  # type: ignore[attr-defined]

    def action_test_source(self) -> None:
        recording = self.recording
        self.app.edit_test_source(recording.test_id if recording else None, self.file)  # type: ignore[attr-defined]

    def _message_in_view(self) -> Message | None:
        if self.recording is None:
            return None
        messages = self.recording.for_choice(self.choice).messages
        if self.search_matches:
            kind, index = self.search_matches[self.search_at]
            if kind == "message":
                return messages[index]
        for view in self.query(ConversationView):
            top = view.scroll_y
            for block in view.query(MessageBlock):
                if block.virtual_region.bottom > top:
                    return block.message
        return messages[-1] if messages else None

    # --- searching inside the recording -------------------------------------------------------

    def _typing_search(self) -> bool:
        focused = self.focused
        return focused is not None and focused.id == "search-input"

    async def action_search(self) -> None:
        await self.query_one(SearchBar).open()

    @on(SearchBar.Submitted)
    def _search_submitted(self, event: SearchBar.Submitted) -> None:
        self.search(event.term)

    def search(self, term: str) -> None:
        """Find `term` (case-insensitive) in the messages and the answer; mark it, go to the first."""
        term = term.strip()
        self.search_term = term
        self.search_matches = self._places_with(term) if term else []
        self.search_at = 0
        terms = [*self.highlight_terms, term] if term else self.highlight_terms
        for view in self.query(ConversationView):
            view.highlight(terms)
        if self.query(AnswerView):
            for answer in self._answer_views():
                answer.highlight(terms)
        bar = self.query_one(SearchBar)
        if not term:
            bar.show_status("")
        elif not self.search_matches:
            bar.show_status(f"no match for {term}", found=False)
        else:
            self._show_match()
        self.refresh_bindings()

    def _places_with(self, term: str) -> list[tuple[str, int]]:
        if self.recording is None:
            return []
        shown = self.recording.for_choice(self.choice)
        needle = term.lower()

        def said(text: str | None, calls: list) -> str:
            parts = [text or "", *(f"{call.name} {call.arguments}" for call in calls)]
            return "\n".join(parts).lower()

        places = [
            ("message", index)
            for index, message in enumerate(shown.messages)
            if needle in said(message.text, message.tool_calls) or needle in (message.reasoning or "").lower()
        ]
        response = shown.response
        if needle in said(response.text, response.tool_calls) or needle in (response.reasoning or "").lower():
            places.append(("answer", 0))
        return places

    def _show_match(self) -> None:
        """Bring the current match into view: its message (unfolded), or the whole answer."""
        kind, index = self.search_matches[self.search_at]
        count = len(self.search_matches)
        if kind == "message" and self.recording is not None:
            role = self.recording.for_choice(self.choice).messages[index].role
            where = f"{role} message {index + 1}"
            if self.narrow:
                self.query_one("#replay-tabs", Tabs).active = "tab-conversation"
            for view in self.query(ConversationView):
                blocks = list(view.query(MessageBlock))
                if index < len(blocks):
                    for folded in blocks[index].query(Collapsible):
                        folded.collapsed = False
                    view.release_anchor()
                    view.scroll_to_widget(blocks[index], top=True, animate=False)
        else:
            where = "the answer"
            if self.narrow and self.query("#replay-tabs"):
                self.query_one("#replay-tabs", Tabs).active = "tab-answer"
            if self.player is not None and not self.player.at_end:
                self._seek(self.player.count, pause=True)  # the answer whole, so the match shows
        self.query_one(SearchBar).show_status(f"{self.search_at + 1} of {count}: {where}")

    def key_for(self, action: str) -> str:
        """How the footer shows the key of one of this screen's actions (a keymap may change it)."""
        for bindings in self._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.action == action:
                    remapped = self.app._keymap.get(binding.id or "")
                    if remapped:
                        binding = dataclasses.replace(binding, key=remapped.split(",")[0].strip())
                    return self.app.get_key_display(binding)
        return ""

    async def action_next_choice(self) -> None:
        if self.recording is not None and self.recording.choices:
            await self.show_choice((self.choice + 1) % len(self.recording.choices))

    @on(Tabs.TabActivated, "#choice-tabs")
    async def _choice_tab(self, event: Tabs.TabActivated) -> None:
        event.stop()
        tab_id = event.tab.id or ""
        if tab_id.startswith("choice-"):
            await self.show_choice(int(tab_id.removeprefix("choice-")))

    def _closed_early(self) -> bool:
        """Popped while loading or mounting (back pressed, or `F` followed a newer recording):
        its panes are gone or going, so the load must end quietly."""
        return not self.is_attached or self not in self.app.screen_stack

    def _start(self) -> None:
        self._sync_panes()
        if self.autoplay:
            self.action_toggle_play()
        else:
            self._show_transport()
        self.ready = True

    # --- layout ------------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._update_layout_class()

    def _update_layout_class(self) -> None:
        width, height = self.size
        narrow = width < WIDE_SIZE[0] or height < WIDE_SIZE[1]
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            self.refresh_bindings()

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    @on(Tabs.TabActivated, "#replay-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        self.show_pane(event.tab.id or "tab-answer")

    def show_pane(self, tab_id: str) -> None:
        for tab, pane, _ in PANES:
            for node in self.query(f"#{pane}"):
                node.set_class(tab == tab_id, "-active")

    def action_next_tab(self) -> None:
        tabs = self.query("#replay-tabs")
        if tabs:
            tabs.first(Tabs).action_next_tab()

    # --- playback ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._typing_search() and action in TYPED_IN_SEARCH:
            return False  # a key bound with priority (space, +, [ ...) is a character in the box
        transport = {
            "toggle_play",
            "step",
            "faster",
            "slower",
            "jump_start",
            "jump_end",
            "jump",
            "next_tab",
            "toggle_markdown",
        }
        if action in transport and self.player is None:
            return False
        if action == "next_tab" and not self.narrow:
            return False  # every pane is visible
        if action == "reload":
            return self.disk_change == "changed"
        if action in ("conversation_start", "conversation_end"):
            return bool(self.query(ConversationView))
        if action in ("search_next", "search_previous"):
            return bool(self.search_matches)
        if action == "search":
            return self.player is not None  # the panes: a special view (an error, a model list) has none
        if action in ("edit", "yank", "test_source"):
            return self.recording is not None
        if action == "citations":  # shown (and in the footer) when the answer cites or retrieved
            recording = self.recording
            return bool(self.query(CitationsPane)) and bool(
                recording is not None and (recording.citations or recording.retrieved)
            )
        if action == "next_choice":
            return self.player is not None and self.recording is not None and bool(self.recording.choices)
        return not (action in {"raw", "export", "compare"} and self.recording is None)

    # --- the file on disk --------------------------------------------------------------------

    @on(RecordingChangedOnDisk)
    def _changed_on_disk(self, message: RecordingChangedOnDisk) -> None:
        if message.path == self.path:
            self.on_disk_change(message.event)

    def on_disk_change(self, event: str) -> None:
        """The browse screen's watcher saw this file change ("changed") or go ("removed").

        What is on screen stays as it is; a changed file is offered for reload (`R`).
        """
        self.disk_change = event
        name = one_line(Path(self.path).name, 200, fold=False)
        if event == "removed":
            self._disk_notice(f"{name} was deleted on disk; this is the copy read when it was opened.")
        else:
            self._disk_notice(f"{name} changed on disk. Press R to reload it.")
        self.refresh_bindings()

    def _disk_notice(self, message: str | None, *, error: bool = False) -> None:
        notice = self.query_one("#disk-notice", Static)
        notice.display = message is not None
        notice.set_class(error, "-error")
        notice.update(Text(one_line(message or "", 400)))

    def action_reload(self) -> None:
        """Read the file again on this screen: what was read stays until the new copy is whole."""
        if self.disk_change != "changed":
            return
        self._load("replay-reload")

    @on(Worker.StateChanged)
    async def _reloaded(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "replay-reload":
            return
        if event.state == WorkerState.SUCCESS:
            recording, plan = event.worker.result
            self.disk_change = None
            self._disk_notice(None)
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self.choice = min(self.choice, max(0, len(recording.choices) - 1))
            if self._froze_gc:
                gc.unfreeze()  # _show freezes the new recording's objects
            await self._show(recording, plan)
        elif event.state == WorkerState.ERROR:
            reason = self._failure(event.worker.error)
            # A half-written file (the recorder writes in place): keep the copy read before.
            self._disk_notice(
                f"Reload failed: {reason}. Still showing the copy read before; press R to try again.",
                error=True,
            )
        self.refresh_bindings()

    def action_toggle_play(self) -> None:
        if self.player is None:
            return
        self.player.toggle()
        if self.player.position == 0 and self.player.playing:
            self._rebuild()  # replay from the start after the end
        self._ensure_timer()
        self._show_transport()

    def action_step(self, delta: int) -> None:
        if self.player is not None:
            self._seek(self.player.position + delta, pause=True)

    def action_jump_start(self) -> None:
        self._seek(0)

    def action_jump_end(self) -> None:
        if self.player is not None:
            self._seek(self.player.count)

    def action_jump(self, direction: int) -> None:
        if self.player is not None:
            self._seek(self.player.jump_target(direction))

    def action_faster(self) -> None:
        if self.player is not None:
            self.player.faster()
            self._show_transport()

    def action_slower(self) -> None:
        if self.player is not None:
            self.player.slower()
            self._show_transport()

    def _seek(self, position: int, *, pause: bool = False) -> None:
        player = self.player
        if player is None:
            return
        if pause:
            player.pause()
        old = player.position
        new = player.seek(position)
        if new > old:
            self._append(old, new)
        elif new < old:
            self._seek_back(old, new)
        self._sync_panes()
        self._ensure_timer()
        self._show_transport()
        gc.freeze()  # see _tick

    def _answer_views(self) -> tuple[AnswerView, MarkdownAnswerView]:
        return self.query_one(AnswerView), self.query_one(MarkdownAnswerView)

    def _answer_title(self) -> str:
        mode = "Markdown (m: raw text)" if self.rendered else "raw text (m: Markdown)"
        choices = self.recording.choices if self.recording is not None else []
        if choices:
            return f"Answer (choice {choices[self.choice].index} of {len(choices)}) · {mode}"
        return f"Answer · {mode}"

    def action_toggle_markdown(self) -> None:
        """Show the answer as rendered Markdown or as its raw text (the view shown catches up on what
        arrived while it was hidden)."""
        if self.player is None:
            return
        self.rendered = not self.rendered
        raw, rendered = self._answer_views()
        shown, hidden = (rendered, raw) if self.rendered else (raw, rendered)
        focused = self.focused in (raw, rendered)
        hidden.display, shown.display = False, True
        if focused:
            shown.focus()
        self.query_one("#pane-answer").border_title = self._answer_title()
        if shown.selected_citation is not None:
            shown.scroll_to_citation(shown.selected_citation)

    def _rebuild(self) -> None:
        """Show exactly the player's position from scratch (after a backward seek)."""
        assert self.player is not None and self.plan is not None
        runs = self.plan.runs_between(0, self.player.position)
        for answer in self._answer_views():
            answer.clear()
            answer.append(runs)

    def _seek_back(self, old: int, new: int) -> None:
        """Show `new` < `old` chunks: cut the tail off when it is the smaller part, else rebuild."""
        assert self.plan is not None
        if new and old - new <= new:
            runs = self.plan.runs_between(new, old)
            for answer in self._answer_views():
                answer.remove(runs)
        else:
            self._rebuild()

    def _append(self, start: int, end: int) -> None:
        assert self.plan is not None
        runs = self.plan.runs_between(start, end)
        for answer in self._answer_views():
            answer.append(runs)

    def _ensure_timer(self) -> None:
        """A timer exists exactly while playing: nothing runs while paused."""
        playing = self.player is not None and self.player.playing
        if playing and self._timer is None:
            self._last_tick = time.monotonic()
            self._timer = self.set_interval(TICK_SECONDS, self._tick, name="replay-tick")
        elif not playing and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        player = self.player
        if player is None:
            return
        now = time.monotonic()
        due = player.due(now - self._last_tick)
        self._last_tick = now
        if due > player.position:
            start = player.position
            end = min(due, start + self._batch)
            began = time.perf_counter()
            self._append(start, end)
            player.advance_to(end)
            spent = time.perf_counter() - began
            if end < due:  # behind schedule: size the next batch to the frame budget
                # damped (square root) so one noisy tick does not swing the batch size
                ratio = (FRAME_BUDGET / max(spent, 1e-4)) ** 0.5
                self._batch = max(16, min(1 << 20, int(self._batch * ratio)))
            self._sync_panes()
            # What the views keep of this batch is long-lived too: out of the collector's way,
            # or a full collection over a growing answer stalls a frame by 100+ ms.
            gc.freeze()
        self._ensure_timer()
        self._show_transport()

    def _sync_panes(self) -> None:
        if self.plan is None or self.player is None or self._closed_early():
            return
        position = self.player.position
        self.query_one(ToolCallsPane).show_response_calls(self.plan.tool_calls_at(position))
        self.query_one(CitationsPane).show_documents(self.plan.documents_at(position))
        answer_pane = self.query_one("#pane-answer")
        finish = self.recording.for_choice(self.choice).response.finish_reason if self.recording else None
        at_end = self.player.at_end
        # recorded text: a Content, never a str (border titles parse str as markup)
        subtitle = Content(f"finish: {one_line(finish, 40)}") if finish and at_end else None
        answer_pane.border_subtitle = subtitle
        placeholder = "(no answer text yet)"
        if at_end:
            placeholder = "(no answer text: see the tool calls)" if self.plan.tool_fragments else "(no text)"
        for answer in self._answer_views():
            answer.placeholder = placeholder

    def _show_transport(self) -> None:
        if self.player is not None:
            self.query_one(Transport).show(self.player)

    @on(CitationsPane.Selected)
    def _citation_selected(self, event: CitationsPane.Selected) -> None:
        for answer in self._answer_views():
            answer.selected_citation = event.number
            if event.number is not None and answer.display:
                answer.scroll_to_citation(event.number)

    @on(AnswerView.CitationClicked)
    def _marker_clicked(self, event: AnswerView.CitationClicked) -> None:
        self.query_one(CitationsPane).choose(event.number)
        if self.narrow:
            self.query_one(Tabs).active = "tab-citations"

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._froze_gc:
            gc.unfreeze()  # let the closed recording be collected normally again

    # --- other screens -----------------------------------------------------------------------

    def action_raw(self) -> None:
        if self.recording is None:
            return
        from tui_replay.app.screens.raw import RawScreen

        position = self.player.position if self.player else 0
        self.app.push_screen(RawScreen(self.recording, position))

    def action_export(self) -> None:
        if self.recording is None:
            return
        from tui_replay.app.screens.export import ExportScreen

        self.app.push_screen(ExportScreen(self.recording, self.config))

    def action_compare(self) -> None:
        if self.recording is None:
            return
        try:
            from tui_replay.app.screens.compare import CompareScreen
        except ImportError:
            self.notify("Live compare is not available in this build.", severity="warning", markup=False)
            return
        if self.player is not None and self.player.playing:
            self.player.pause()
            self._ensure_timer()
            self._show_transport()
        self.app.push_screen(CompareScreen(self.recording, self.config))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()
