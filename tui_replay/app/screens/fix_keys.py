"""Give the listed mis-keyed and older-keyed recordings their expected names: `check --fix`'s
plan shown first, carried out only when confirmed (`check --fix --apply`).

The plan and the renames run in thread workers (they read every file, and `git mv` may run);
a taken name is a conflict, left as it is. Dismissed with the (old, new) paths renamed, or None.
Keys: y / enter on "Rename" confirms [fix_keys.apply], n / escape cancels [fix_keys.cancel].
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from tui_replay.commands.check import check_file
from tui_replay.commands.check_fix import CONFLICT, RENAME, FixPlan, apply_fix, plan_fix, render_step
from tui_replay.textsafe import one_line


class FixKeysScreen(ModalScreen[list[tuple[str, str]] | None]):
    """Confirm, then rename `paths` (those that need it) to their expected names."""

    DEFAULT_CSS = """
    FixKeysScreen { align: center middle; }
    FixKeysScreen > Vertical {
        width: 90%; max-width: 140; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    FixKeysScreen #fix-plan { height: auto; max-height: 24; overflow-y: auto; }
    FixKeysScreen #fix-status { margin-top: 1; }
    FixKeysScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    FixKeysScreen Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "apply", "Rename", id="fix_keys.apply"),
        Binding("n,escape", "cancel", "Cancel", id="fix_keys.cancel"),
    ]

    def __init__(self, paths: list[str]) -> None:
        super().__init__()
        self.paths = list(paths)
        self.plan: FixPlan | None = None
        self.applying = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Rename {len(self.paths)} recordings to their expected names?", id="fix-title")
            yield Static("Reading the files…", id="fix-plan", markup=False)
            yield Static("", id="fix-status", markup=False)
            with Horizontal():
                yield Button("Rename", id="fix-apply", variant="warning", disabled=True)
                yield Button("Cancel", id="fix-cancel")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Fix keys"
        self._make_plan()

    @work(thread=True, exclusive=True, group="fix-keys", exit_on_error=False)
    def _make_plan(self) -> FixPlan:
        return plan_fix([check_file(path) for path in self.paths])

    @work(thread=True, exclusive=True, group="fix-keys", exit_on_error=False)
    def _apply(self, plan: FixPlan) -> FixPlan:
        return apply_fix(plan)

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        """The one handler of both workers: a plan to show, renames done, or a failure in one line."""
        if event.worker.group != "fix-keys":
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.applying = False
            self._status(one_line(f"{type(error).__name__}: {error}", 300))
        elif event.state == WorkerState.SUCCESS and self.applying:
            plan = event.worker.result
            self.dismiss([(step.path, step.target or "") for step in plan.of(RENAME) if step.applied])
        elif event.state == WorkerState.SUCCESS:
            self._show_plan(event.worker.result)

    def _show_plan(self, plan: FixPlan) -> None:
        self.plan = plan
        lines = [
            line for step in plan.steps if step.action in (RENAME, CONFLICT) for line in render_step(step)
        ]
        renames, conflicts = len(plan.of(RENAME)), len(plan.of(CONFLICT))
        self.query_one("#fix-plan", Static).update(Text("\n".join(lines) or "Nothing to rename."))
        self._status(
            f"{renames} to rename (git mv when tracked, never over a file), {conflicts} "
            f"{'conflict' if conflicts == 1 else 'conflicts'} left as they are. y renames, n cancels."
        )
        button = self.query_one("#fix-apply", Button)
        button.disabled = renames == 0
        if renames:
            button.focus()

    def _status(self, message: str) -> None:
        self.query_one("#fix-status", Static).update(Text(message))

    def action_apply(self) -> None:
        if self.plan is None or not self.plan.of(RENAME) or self.applying:
            return
        self.applying = True
        self.query_one("#fix-apply", Button).disabled = True
        self._status("Renaming…")
        self._apply(self.plan)

    def action_cancel(self) -> None:
        if not self.applying:
            self.dismiss(None)

    @on(Button.Pressed, "#fix-apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#fix-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
