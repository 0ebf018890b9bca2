"""The app reads a cold tree with worker processes, as `list` does.

In a fresh interpreter (the forkserver and multiprocessing's resource tracker are started once
per process): the real app, headless through Pilot, lists a copy of the corpus with no cache,
its pool thresholds lowered so that a small tree takes the workers. Textual captures
`sys.stderr` with an object whose file descriptor is -1, which once kept any worker from
starting (every file was read by the app's one process: a cold 100,000-file tree took 1.7x
`list`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from support import CORPUS, REPO, require_corpus

APP_CHILD = r"""
import asyncio, json, sys
from tui_replay.catalog import catalog, parallel
catalog.PREPARE_FROM, catalog.PARALLEL_FROM, catalog.BATCH_FILES = 1, 2, 3
submit = parallel.SummaryPool.submit
files_sent = []

def counting(self, task):
    files_sent.append(len(task))
    return submit(self, task)

parallel.SummaryPool.submit = counting
from tui_replay.app.app import TuiReplayApp
from tui_replay.config import Config

async def main():
    app = TuiReplayApp([sys.argv[1]], Config(watch=False))
    async with app.run_test(size=(120, 40)):
        stderr_fileno = sys.stderr.fileno()  # (Textual's capture, while the app runs)
        while not app.browse.loaded:
            await asyncio.sleep(0.01)
        rows = sorted((s.path, s.status, s.model) for s in app.browse.summaries.values())
    return stderr_fileno, rows

if __name__ == "__main__":
    stderr_fileno, rows = asyncio.run(main())
    print(json.dumps({"stderr_fileno": stderr_fileno, "sent": sum(files_sent), "rows": rows}))
"""


def test_the_app_hands_a_cold_tree_to_worker_processes(tmp_path):
    require_corpus()
    tree = tmp_path / "tree"
    shutil.copytree(CORPUS, tree)
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(REPO))
    script = tmp_path / "app_child.py"  # (a file: the forkserver imports the main module by path)
    script.write_text(APP_CHILD)
    result = subprocess.run(
        [sys.executable, str(script), str(tree)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["stderr_fileno"] == -1  # what the workers' start has to cope with
    files = sum(1 for path in tree.rglob("*") if path.suffix in (".json", ".yaml", ".yml"))
    assert answer["sent"] >= files // 2  # most files were read by the workers

    # The same rows as a listing in one process.
    from tui_replay.catalog.catalog import Catalog

    alone = Catalog(use_cache=False, jobs=1).scan([str(tree)])
    assert [list(row) for row in answer["rows"]] == sorted(
        [summary.path, summary.status, summary.model] for summary in alone
    )
