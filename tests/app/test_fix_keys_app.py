"""Fixing keys in the app (Pilot, real corpus copies): `K` on the `key:` rows shows
`check --fix`'s plan in a confirmation screen; `n` changes nothing, `y` renames, a taken name
stays a conflict, and the list follows the new names."""

from __future__ import annotations

import hashlib
import shutil

from tui_replay.app.screens.fix_keys import FixKeysScreen
from tui_replay.commands.check import check_file

from .helpers import CORPUS, make_app, screen_text, table_keys, wait_for, wait_loaded

SIZE = (150, 40)
RESPONSES = "llama-stack-2025-10/responses/recordings/"
CURRENT = RESPONSES + "d30a3a9a90ea3ba6ea62417aec80e79ee502a2e75b58f7c87ee65c446200af0e.json"
WRONG_NAME = "0123456789abcdef" * 4 + ".json"


def _tree(workdir) -> tuple[list, object]:
    """recordings/: two mis-keyed corpus files, and a copy of a current file under a wrong name
    (its expected name is taken by the original: a conflict)."""
    root = workdir / "recordings"
    wrong = [
        p
        for p in sorted((CORPUS / "llama-stack").glob("*/recordings/*.json"))
        if check_file(str(p)).key == "mis-keyed"
    ][:2]
    placed = []
    for source in wrong:
        target = root / source.relative_to(CORPUS / "llama-stack")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        placed.append(target)
    original = root / "responses/recordings" / CURRENT.rsplit("/", 1)[1]
    original.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS / CURRENT, original)
    conflict = original.with_name(WRONG_NAME)
    shutil.copyfile(original, conflict)
    return placed, conflict


def _contents(root) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*.json")
    }


async def test_fix_keys_asks_first_then_renames_and_leaves_a_conflict(workdir):
    placed, conflict = _tree(workdir)
    root = workdir / "recordings"
    before = _contents(root)
    expected = {path: path.parent / check_file(str(path)).status.expected for path in placed}
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("slash", *"key:mis-keyed", "enter")
        await wait_for(pilot, lambda: len(table_keys(app)) == 3, what="the three mis-keyed rows")
        app.browse.table.focus()

        # The plan first; `n` leaves everything as it was.
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, FixKeysScreen), what="the confirmation")
        screen = app.screen
        await wait_for(pilot, lambda: screen.plan is not None, what="the plan")
        await wait_for(pilot, lambda: "y renames" in screen_text(app), what="the plan on screen")
        text = " ".join(screen_text(app).split())
        assert "2 to rename" in text
        assert "1 conflict left" in text
        assert "is taken, left as" in text
        (conflict_step,) = screen.plan.of("conflict")
        assert conflict_step.path == f"recordings/responses/recordings/{WRONG_NAME}"
        assert conflict_step.verdict == "same"
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is app.browse, what="the list again")
        assert _contents(root) == before

        # `y` renames the two; the copy whose name is taken stays where it is.
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, FixKeysScreen), what="the confirmation")
        screen = app.screen
        await wait_for(pilot, lambda: screen.plan is not None, what="the plan")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is app.browse, what="the renames")
        for old, new in expected.items():
            assert new.exists() and not old.exists()
        assert conflict.exists()
        assert sorted(_contents(root).values()) == sorted(before.values())  # no content changed

        # The list follows: the renamed rows are current now, so key:mis-keyed keeps the conflict.
        await wait_for(pilot, lambda: len(table_keys(app)) == 1, what="the one row left")
        assert table_keys(app) == [f"recordings/responses/recordings/{WRONG_NAME}"]
        assert {f"recordings/{new.relative_to(root)}" for new in expected.values()} <= set(
            app.browse.summaries
        )


async def test_fix_keys_with_nothing_to_fix_says_so(workdir):
    original = workdir / "recordings/responses/recordings" / CURRENT.rsplit("/", 1)[1]
    original.parent.mkdir(parents=True)
    shutil.copyfile(CORPUS / CURRENT, original)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("K")
        await pilot.pause()
        assert app.screen is app.browse
        assert any("No mis-keyed or older-keyed row listed" in n.message for n in app._notifications)
