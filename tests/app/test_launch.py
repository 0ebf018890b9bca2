"""Launching the app: paths, config, CLI overrides, keymaps, theme, refusals with exit status 2."""

from __future__ import annotations

from tui_replay.app.app import TuiReplayApp, prepare
from tui_replay.app.widgets.filter_bar import FilterBar
from tui_replay.cli import build_app_parser, main
from tui_replay.config import Config

from .helpers import SUBSET, make_app, screen_text, wait_for, wait_loaded

SIZE = (160, 45)


def _args(*argv: str):
    return build_app_parser().parse_args(list(argv))


def _prepare(*argv: str):
    """`prepare` as `cli.main` calls it: with the settings resolved from the same arguments."""
    args = _args(*argv)
    return prepare(args, Config.from_args(args))


def test_run_app_runs_the_app_and_q_exits_with_status_0(corpus_subset, monkeypatch):
    seen = {}

    async def quit_when_loaded(pilot) -> None:
        await wait_loaded(pilot)
        seen["rows"] = len(pilot.app.browse.table.rows)
        seen["watch"] = pilot.app.browse.watch_state
        seen["use_cache"] = pilot.app.use_cache
        await pilot.press("q")

    original = TuiReplayApp.run

    def headless_run(self, **kwargs):
        return original(self, headless=True, size=(120, 40), auto_pilot=quit_when_loaded)

    monkeypatch.setattr(TuiReplayApp, "run", headless_run)
    monkeypatch.setattr("tui_replay.app.app.streams_not_terminals", list)  # pytest's streams are not
    assert main(["--no-watch", "--no-cache"]) == 0  # ./recordings by default
    assert seen == {"rows": len(SUBSET), "watch": "off", "use_cache": False}


def test_a_missing_path_is_refused_with_status_2(workdir, capsys):
    assert main(["nowhere/recordings"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file or folder: nowhere/recordings" in err


def test_no_path_and_no_recordings_folder_is_refused(workdir, capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "./recordings does not exist" in err


def test_no_path_opens_the_recordings_folder(corpus_subset):
    prepared = _prepare()
    assert not isinstance(prepared, int)
    assert prepared[0] == ["recordings"]


def test_a_broken_config_file_is_one_line_and_status_2(corpus_subset, capsys):
    (corpus_subset.parent / "broken.toml").write_text("speed = [\n")
    assert main(["recordings", "--config", "broken.toml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.toml" in err and "invalid TOML" in err


def test_an_unknown_theme_and_a_wild_speed_are_refused(corpus_subset, capsys):
    (corpus_subset.parent / "tui-replay.toml").write_text('theme = "no-such-theme"\n')
    assert main(["recordings"]) == 2
    assert "unknown theme 'no-such-theme'" in capsys.readouterr().err
    (corpus_subset.parent / "tui-replay.toml").write_text("speed = 100\n")
    assert main(["recordings"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_flags_override_the_config(corpus_subset):
    (corpus_subset.parent / "tui-replay.toml").write_text(
        'speed = 2.0\nwatch = true\n[live]\nbase_url = "http://from-file"\nmodel = "m1"\n'
    )
    prepared = _prepare(
        "recordings", "--speed", "4", "--no-watch", "--max-size", "1M", "--model", "m2", "--timeout", "9"
    )
    assert not isinstance(prepared, int)
    _, config = prepared
    assert config.speed == 4.0 and config.watch is False and config.max_size == 1 << 20
    # (a project file may not choose the target: its base_url is ignored)
    assert config.live.base_url is None and config.live.model == "m2" and config.live.timeout == 9


async def test_keymap_and_theme_come_from_the_config_file(corpus_subset):
    (corpus_subset.parent / "mine.toml").write_text(
        'theme = "nord"\nwatch = false\n[keymap]\n"browse.filter" = "f"\n"browse.group" = "ctrl+g"\n'
    )
    prepared = _prepare("recordings", "--config", "mine.toml")
    assert not isinstance(prepared, int)
    roots, config = prepared
    app = TuiReplayApp(roots, config)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert app.theme == "nord"
        filter_input = app.browse.query_one(FilterBar).input
        await pilot.press("slash")  # no longer the filter key
        assert not filter_input.has_focus
        await pilot.press("g")
        assert not app.browse.grouped
        await pilot.press("ctrl+g")
        assert app.browse.grouped
        await pilot.press("f")
        assert filter_input.has_focus
        await pilot.press("escape", "f1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="the help")
        text = screen_text(app)
        assert "browse.filter" in text and "^g" in text


async def test_an_unknown_keymap_id_is_reported(corpus_subset):
    app = make_app(keymap={"browse.filtr": "f", "browse.group": "ctrl+g", "replay.play": "p"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        app.check_keymap()
        await pilot.pause()
        messages = [notification.message for notification in app._notifications]
        assert any("browse.filtr" in message for message in messages)
        assert not any("browse.group" in message or "replay.play" in message for message in messages)


async def test_no_watch_starts_no_watcher(corpus_subset):
    app = make_app(watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.pause(0.2)
        assert app.browse.watch_state == "off"
        assert not [worker for worker in app.browse.workers if worker.group == "watch"]
        assert "watch: off" in screen_text(app)
        assert len(app.browse.summaries) == len(SUBSET)


async def test_watching_is_on_by_default_and_w_toggles_it(corpus_subset):
    app = make_app(watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        await wait_for(pilot, lambda: browse.watch_state == "on", what="watching")
        assert "watch: on" in screen_text(app)
        await pilot.press("w")
        assert browse.watch_state == "off"
        await wait_for(
            pilot,
            lambda: not [w for w in browse.workers if w.group == "watch" and w.is_running],
            what="the watcher to stop",
        )
        await pilot.press("w")
        await wait_for(pilot, lambda: browse.watch_state == "on", what="watching again")
        await pilot.press("q")
    assert app.return_code == 0
