"""The import structure: the layers and the data layer's freedom from Textual.

The contracts in pyproject.toml (`[tool.importlinter]`) are the rule: each top-level module
imports only the layers below it, nothing outside tui_replay.app imports Textual, the data
layer reaches no Rich, the replay screen's model (app/playback.py) reaches neither, and no two
modules of a package import each other. `lint-imports`
checks them from the source, every import statement (inside functions and under TYPE_CHECKING
too); the tests below run it, so pytest alone catches a violation, and show that it does
catch one.

The data layer is what the headless commands run on and what other tools can reuse; keeping
Textual out keeps start-up fast. Import-linter cannot see what happens at run time: imports
by third-party packages (their modules are not in its graph) and imports by computed name
(`importlib.import_module(name)`). So a fresh interpreter also imports every data-layer
module and looks for Textual in `sys.modules`, over every module the package has, so a new
module is covered without editing this test.
"""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import tui_replay

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = (
    "Layers: each top-level module imports only those below it",
    "Textual only in the app",
    "No Rich in the data layer, not even indirectly",
    "The replay model (app/playback.py) imports neither Textual nor Rich",
    "No import cycles among sibling modules",
    "Comparison: the render reads the model, never the other way",
)


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the configuration in `cwd`'s pyproject.toml, on the tui_replay that
    `cwd` holds."""
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    # (Wide: Rich wraps the report at the terminal's width, and the tests look for whole lines.)
    environment = dict(os.environ, PYTHONPATH=str(cwd), COLUMNS="200")
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, env=environment)


def test_the_import_contracts_hold() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in CONTRACTS:
        assert f"{name} KEPT" in done.stdout, done.stdout


def test_the_import_contracts_catch_violations(tmp_path: Path) -> None:
    """A copy of the package with one import breaking each contract, all inside a function:
    lint-imports fails and names each."""
    package = tmp_path / "tui_replay"
    shutil.copytree(REPO / "tui_replay", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (package / "recording" / "violations.py").write_text(
        "def late_imports():\n"
        "    from tui_replay.catalog import scan  # a layer imports one above it\n"
        "    import textual  # Textual outside the app\n"
        "    from tui_replay import textsafe  # Rich in the data layer, through textsafe\n"
        "    from tui_replay.recording import model  # ... which imports this module back\n"
    )
    with open(package / "recording" / "model.py", "a") as model:
        model.write("\n\ndef late_import():\n    from tui_replay.recording import violations\n")
    with open(package / "comparison" / "model.py", "a") as comparison:  # the model reads its render
        comparison.write("\n\ndef late_render():\n    from tui_replay.comparison import render\n")
    (package / "unplaced.py").write_text("")  # a top-level module no layer names
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"0 kept, {len(CONTRACTS)} broken" in done.stdout, done.stdout
    for name in CONTRACTS:
        assert f"{name} BROKEN" in done.stdout, done.stdout
    for expected in (
        "tui_replay.recording.violations -> tui_replay.catalog.scan",
        "tui_replay.recording.violations -> textual",
        "tui_replay.recording.violations -> tui_replay.textsafe",
        "tui_replay.unplaced",
        "tui_replay.comparison.model -> tui_replay.comparison.render",
        "No cycles are allowed in tui_replay.recording.",
    ):
        assert expected in done.stdout, done.stdout


def data_layer_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(tui_replay.__path__, prefix="tui_replay.")
        if not info.name.startswith("tui_replay.app") and info.name != "tui_replay.__main__"
    ]
    return sorted(names)


def test_no_data_layer_module_imports_textual() -> None:
    """At run time (see the module doc): what import-linter cannot see."""
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
