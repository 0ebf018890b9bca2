"""The grouped view's file names are measured only when it is first shown (not while rows
load), all of a shared name at once: the column still fits every label, however rows arrived."""

from __future__ import annotations

import shutil

import pytest
from support import CORPUS, require_corpus

from tui_replay.catalog import session as session_module

from .helpers import SUBSET, make_app, wait_for, wait_loaded

COPIES = ("copy-a", "copy-b/nested")  # the same file names twice: labels name the folder that differs
# One more copy of one recording (with a test id) in a folder with a long name: the widest label.
LONG_FOLDER = "a-folder-with-a-name-longer-than-any-other-in-the-tree"
LONG_COPY = SUBSET[-1]


@pytest.fixture
def copied_subset(workdir):
    require_corpus()
    root = workdir / "recordings"
    for copy in COPIES:
        for relative in SUBSET:
            target = root / copy / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CORPUS / relative, target)
    target = root / LONG_FOLDER / LONG_COPY
    target.parent.mkdir(parents=True)
    shutil.copyfile(CORPUS / LONG_COPY, target)
    return root


@pytest.mark.parametrize("batch", [None, 2])
async def test_grouped_file_names_fit_once_shown_however_the_rows_arrived(copied_subset, monkeypatch, batch):
    if batch is not None:
        monkeypatch.setattr(session_module, "FIRST_BATCH", batch)  # the batch sizes of the loading
        monkeypatch.setattr(session_module, "BATCH_ROWS", batch)
    app = make_app()
    async with app.run_test(size=(220, 60)) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        table = browse.table
        assert len(browse.summaries) == len(SUBSET) * len(COPIES) + 1
        browse.fold_all(True)
        await wait_for(pilot, lambda: browse.grouped, what="grouping")
        recordings = [row for row in table.rows if row.summary is not None]
        assert len(recordings) == len(browse.summaries)
        labels = {row.key: browse.view.file_label(row.summary) for row in recordings}
        assert any("copy-a/" in label for label in labels.values())  # shared names: not the short name
        assert max(labels.values(), key=len).startswith(LONG_FOLDER)
        for row in recordings:
            shown = table._recording_line(row).plain
            assert labels[row.key] in shown, (labels[row.key], shown)
