"""The app's `x` export screen through Pilot: saved files are new, shell scripts executable,
and what they run is harmless even when the recording is hostile (the same code as `tui-replay export`)."""

from __future__ import annotations

import json
import os

from export_support import assert_parses, hostile_shell, recorded_argvs, run_bash, shim_env

from tui_replay.app.screens.export import ExportScreen
from tui_replay.app.screens.replay import ReplayScreen

from .helpers import CORPUS, make_app, table_keys, wait_for, wait_loaded

SIZE = (160, 45)
SEED = CORPUS / (
    "llama-stack-2025-10/responses/recordings/"
    "ccf305c14285e6c5788c9126f13bc02f786a1562614596c8ac5ffa38cb49e0a1.json"
)


async def test_saved_exports_are_new_files_and_shell_scripts_run(workdir):
    marker = workdir / "INJECTED"
    test_id = f"tests/integration/x/test_x.py::test_y{hostile_shell(marker)}[openai_client-txt=openai/gpt-4o]"
    content = f"hello {hostile_shell(marker)}"
    obj = json.loads(SEED.read_text(encoding="utf-8"))
    obj["test_id"] = test_id
    obj["request"]["body"]["messages"][0]["content"] = content
    folder = workdir / "recordings"
    folder.mkdir()
    (folder / "hostile.json").write_text(json.dumps(obj), encoding="utf-8")

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        app.browse.table.highlight_key(table_keys(app)[0])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export screen")
        export = app.screen
        await pilot.press("s")  # the curl tab
        await pilot.press("2", "s")  # Python
        await pilot.press("4", "s")  # the re-record command
        await pilot.pause()
        saved = list(export.saved)
        assert [path.name for path in saved] == ["hostile.curl.sh", "hostile.py", "hostile.rerecord.sh"]
        assert saved[2].read_text() == export.exports["export-rerecord"]

    curl, python, rerecord = saved
    assert os.access(curl, os.X_OK) and os.access(rerecord, os.X_OK)  # ./name.sh runs
    assert not os.access(python, os.X_OK)

    env, log = shim_env(workdir)
    for script in (curl, rerecord):
        ran = run_bash(script, env, cwd=workdir)
        assert not marker.exists()
        assert_parses(script)
        assert ran.returncode == 0, ran.stderr
    curl_argv, uv_argv = recorded_argvs(log)
    assert curl_argv[:3] == ["curl", "-sS", "-N"]
    assert json.loads(curl_argv[curl_argv.index("-d") + 1])["messages"][0]["content"] == content
    assert uv_argv[-1] == test_id and "--inference-mode=record" in uv_argv
