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
