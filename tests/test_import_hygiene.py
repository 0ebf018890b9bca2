"""The data layer (everything outside tui_replay.app) never imports Textual.

It is what the headless commands run on and what other tools can reuse; keeping
Textual out keeps start-up fast. Checked in a fresh interpreter, over every module
the package has, so a new module is covered without editing this test.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tui_replay


def data_layer_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(tui_replay.__path__, prefix="tui_replay.")
        if not info.name.startswith("tui_replay.app") and info.name != "tui_replay.__main__"
    ]
    return sorted(names)


def test_no_data_layer_module_imports_textual() -> None:
    modules = data_layer_modules()
    # The walk must find the layers this rule is about (a broken walk would pass vacuously).
    for expected in ("tui_replay.recording.load", "tui_replay.catalog.watch", "tui_replay.live.command"):
        assert expected in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"Textual imported by the data layer: {done.stdout.strip()}"


def test_the_app_package_does_import_textual() -> None:
    # The same check on the app must see Textual: the probe above can tell the difference.
    code = "import sys, tui_replay.app.app; print('textual' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr


def test_a_warm_listing_imports_no_parser_exporter_or_process_pool(tmp_path) -> None:
    """`list` of files the cache knows reads no recording: the parser (shapes, assembly), the
    exporters and the worker pool stay unimported (each costs start-up time)."""
    import os
    import shutil

    from support import CORPUS, require_corpus

    require_corpus()
    for source in sorted(CORPUS.glob("llama-stack/inference/recordings/*.json"))[:3]:
        shutil.copy(source, tmp_path / source.name)
    code = (
        "import sys\n"
        "from tui_replay.cli import main\n"
        "main(['list', '--json', sys.argv[1]])\n"
        "print(sorted(m for m in sys.modules if m in ("
        "'tui_replay.recording.summary', 'tui_replay.recording.assemble', 'tui_replay.export', "
        "'multiprocessing', 'concurrent.futures.process')), file=sys.stderr)\n"
    )
    env = dict(os.environ, TUI_REPLAY_CACHE_DIR=str(tmp_path / "cache"))
    imported = []
    for _ in ("cold", "warm"):
        done = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120, env=env
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("\n") == 3
        imported.append(done.stderr.strip())
    assert "tui_replay.recording.summary" in imported[0]  # the probe sees a parser when one runs
    assert imported[1] == "[]"


def test_the_command_line_knows_every_export_format() -> None:
    from tui_replay.cli import EXPORT_FORMATS
    from tui_replay.export import FORMATS

    assert tuple(FORMATS) == EXPORT_FORMATS
