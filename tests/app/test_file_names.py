"""File names that are not plain text in the app (Pilot): the table, the preview and the replay
title show a newline, a tab, a backslash or a lone surrogate as visible placeholders, and every
row keeps its columns where the header says."""

from __future__ import annotations

import os
import shutil

from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.widgets.preview import RecordingPreview

from .helpers import CORPUS, make_app, screen_text, table_keys, wait_for, wait_loaded

SOURCE = "llama-stack-2025-10/recordings/responses/53d2488c9ea9.json"  # no test id: the name is shown
NAMES = {
    b"new\nline.json": "new␊line.json",
    b"tab\there.json": "tab␉here.json",
    b"back\\slash.json": "back\\slash.json",
    b"latin\xe9\xe9.json": "latin<U+DCE9><U+DCE9>.json",
    b"plain.json": "plain.json",
}
SIZE = (160, 30)


def _make(workdir):
    folder = os.path.join(os.fsencode(workdir), b"recordings")
    os.makedirs(folder)
    for raw in NAMES:
        shutil.copyfile(CORPUS / SOURCE, os.path.join(folder, raw))


async def test_odd_file_names_keep_the_table_straight(workdir):
    _make(workdir)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        table = app.browse.table
        assert len(table.rows) == len(NAMES)
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if "Kind" in line and "Model" in line)
        kind_at, model_at = header.index("Kind"), header.index("Model")
        start = lines.index(header) + 1
        rows = lines[start : start + len(NAMES)]
        for shown in NAMES.values():
            [row] = [line for line in rows if f" {shown} " in line]  # whole, on one line
            # the columns after the name start where the header says (no shift, no leftovers)
            assert row[kind_at : kind_at + 8].strip() == "generate", row
            assert row[model_at:].startswith("llama3.2:3b"), row
        assert not any(line.startswith("line.json") for line in lines)


async def test_preview_and_replay_title_show_placeholders(workdir):
    _make(workdir)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        for raw, shown in NAMES.items():
            key = next(key for key in table_keys(app) if os.fsencode(key).endswith(b"/" + raw))
            app.browse.table.highlight_key(key)
            await pilot.pause()
            preview = str(app.browse.query_one(RecordingPreview).render())
            # the path, whole, on its line (after the key status: the copy is mis-keyed)
            assert preview.splitlines()[0].endswith(f"  recordings/{shown}")
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay")
            await wait_for(pilot, lambda: app.screen.recording is not None, what="the recording")
            await pilot.pause()
            title = screen_text(app).splitlines()[0]
            assert shown in title, title
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.browse, what="the browse screen")
