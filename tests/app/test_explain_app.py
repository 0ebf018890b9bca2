"""Key hygiene in the app (Pilot, real corpus copies): the key status in the preview and the
replay header, the `key:` filter, and the palette's "Explain a request…" with a pasted miss
message or a body file path (the same KeyIndex and report lines as `tui-replay explain`)."""

from __future__ import annotations

import json
import shlex
import shutil

from textual import events
from textual.widgets import Input, OptionList, TextArea

from tui_replay.app.screens.explain import ExplainScreen
from tui_replay.app.screens.replay import ReplayScreen
from tui_replay.app.widgets.key_status import MIS_KEYED_STYLE, KeyStatusLabel
from tui_replay.app.widgets.preview import recording_preview
from tui_replay.recording.request_hash import classify, request_hash

from .helpers import (
    CORPUS,
    make_app,
    record_calls,
    run_palette_command,
    screen_text,
    table_keys,
    wait_for,
    wait_loaded,
)

SIZE = (150, 40)
# A chat stream keyed under the current rules; another recording of the same test is next to it.
RESPONSES = "llama-stack-2025-10/responses/recordings/"
CURRENT_FILE = RESPONSES + "d30a3a9a90ea3ba6ea62417aec80e79ee502a2e75b58f7c87ee65c446200af0e.json"
OTHER_TURN = RESPONSES + "ccf305c14285e6c5788c9126f13bc02f786a1562614596c8ac5ffa38cb49e0a1.json"
# In the app tests' corpus subset, the only recording of its test (a recorded exception).
ONLY_ONE = (
    "llama-stack/responses/recordings/f300a8b24123c89ca028f21f6cf29326be28a95f61b23ec98fd75ed257ade6d7.json"
)
WRONG_NAME = "0123456789abcdef" * 4 + ".json"


def _copy(workdir, relative: str, name: str | None = None):
    target = workdir / "recordings" / relative
    if name:
        target = target.with_name(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS / relative, target)
    return target


async def _paste(pilot, widget, text: str) -> None:
    """As a terminal pastes: to the app, which hands it to the focused widget."""
    widget.focus()
    await pilot.pause()
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()
    assert text in (widget.text if isinstance(widget, TextArea) else widget.value)


async def _open_explain(pilot) -> ExplainScreen:
    app = pilot.app
    await run_palette_command(pilot, "explain a request", "Explain a request…")
    await wait_for(pilot, lambda: isinstance(app.screen, ExplainScreen), what="the explain screen")
    return app.screen


async def _explained(pilot, screen: ExplainScreen) -> str:
    await wait_for(pilot, lambda: screen.result is not None or screen.error, what="the explanation")
    assert screen.error is None, screen.error
    return screen.shown_text


def _mis_keyed_copy(workdir):
    """The current-keyed file and a copy of it under a name no rule set gives."""
    original = _copy(workdir, CURRENT_FILE)
    copy = _copy(workdir, CURRENT_FILE, WRONG_NAME)
    obj = json.loads(original.read_text(encoding="utf-8"))
    assert classify(obj, original.name).status == "current"
    return original, copy


async def test_key_filter_and_preview_show_a_mis_keyed_copy(workdir):
    original, _ = _mis_keyed_copy(workdir)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        await pilot.press("slash", *"key:mis-keyed", "enter")
        await wait_for(pilot, lambda: len(table_keys(app)) == 1, what="the filtered rows")
        assert table_keys(app) == [f"recordings/{CURRENT_FILE.rsplit('/', 1)[0]}/{WRONG_NAME}"]
        browse.table.highlight_key(table_keys(app)[0])
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        # The same request, so the expected name is the original's.
        assert f"mis-keyed expected {original.name}" in text
        mis_keyed = browse.summaries[table_keys(app)[0]]

        await pilot.press("slash", "ctrl+u", *"key:current", "enter")
        await wait_for(pilot, lambda: len(table_keys(app)) == 1, what="the current rows")
        browse.table.highlight_key(table_keys(app)[0])
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "key current" in text and original.name in text and "mis-keyed" not in text

    # Mis-keyed stands out: a badge in its own style.
    preview = recording_preview(mis_keyed)
    badge = preview.plain.index(" mis-keyed ")
    assert any(
        span.start <= badge < span.end and str(span.style) == MIS_KEYED_STYLE for span in preview.spans
    )


async def test_preview_computes_the_highlighted_rows_key_status_not_the_listing(workdir, monkeypatch):
    """Loading classifies no file; the highlighted row's status is read in a worker and shown."""
    from tui_replay.recording import summary as summary_module

    original, copy = _mis_keyed_copy(workdir)
    classified = record_calls(monkeypatch, summary_module, "classify_file", lambda recording, path: path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        browse = app.browse
        # At most the row highlighted at start, by the preview: never the whole listing.
        assert len(browse.summaries) == 2 and len(set(classified)) <= 1
        shown = f"recordings/{CURRENT_FILE.rsplit('/', 1)[0]}/{WRONG_NAME}"
        browse.table.highlight_key(shown)
        await wait_for(
            pilot,
            lambda: f"mis-keyed expected {original.name}" in " ".join(screen_text(app).split()),
            what="the mis-keyed status in the preview",
        )
        assert browse.summaries[shown].key.startswith("mis-keyed ")
        assert shown in classified and copy.name == WRONG_NAME


async def test_replay_header_shows_the_key_status(workdir):
    original, copy = _mis_keyed_copy(workdir)
    older = _copy(workdir, OTHER_TURN)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        for path, expected, story in (
            (
                copy,
                f"mis-keyed  expected {original.name}",
                "mis-keyed: no rule set gives this name; expected",
            ),
            (original, "key current", "current: the name is the request's hash"),
            (older, "key older: 2026-03-18 rules", "older: the 2026-03-18 rules (before the file-search"),
        ):
            app.browse.open_recording(str(path.relative_to(workdir)))
            await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
            label = app.screen.query_one("#replay-key", KeyStatusLabel)
            await wait_for(pilot, lambda label=label: str(label.render()).strip(), what="the key status")
            assert str(label.render()).strip() == expected
            assert label.has_class("-mis-keyed") == (path == copy)
            assert str(label.tooltip).startswith(story)  # the whole story on hover
            assert expected in screen_text(app).splitlines()[0]
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.browse, what="the list")


def _miss_log(original) -> tuple[str, str, str]:
    """(a CI log excerpt, the hash it misses, the test id): the recording's request with one
    changed field, as the recorder reports it (the traceback and the summary line)."""
    obj = json.loads(original.read_text(encoding="utf-8"))
    test_id = obj["test_id"]
    request = obj["request"]
    request["body"]["model"] = "gpt-4o-mini"  # the one changed field
    missing = request_hash(request, test_id)
    assert missing is not None
    section = test_id.split("::", 1)[1].replace("::", ".")  # as pytest heads a failure
    log = "\n".join(
        (
            f"2026-01-01T00:00:00.0000000Z ____________ {section} ____________",
            "E   RuntimeError: Recording not found for request hash: " + missing,
            f"E   Model: gpt-4o-mini | Request: POST {request['url']}",
            "=========================== short test summary info ============================",
            f"FAILED {test_id} - RuntimeError: Recording not found for request hash: {missing}",
        )
    )
    return log, missing, test_id


async def test_palette_explains_a_pasted_miss_and_opens_the_nearest(corpus_subset, workdir):
    original = corpus_subset / ONLY_ONE
    log, missing, test_id = _miss_log(original)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        screen = await _open_explain(pilot)
        await _paste(pilot, screen.query_one("#explain-input", TextArea), log)
        await pilot.press("ctrl+r")
        text = await _explained(pilot, screen)
        shown = str(original.relative_to(workdir))
        assert f"  hash     {missing}" in text
        assert f"    1. {shown}  (1 difference in what the text gives)" in text
        assert '    model: "gpt-4o" → "gpt-4o-mini"' in text
        (rerecord,) = [line.removeprefix("re-record: ") for line in text.splitlines() if "re-record:" in line]
        words = shlex.split(rerecord)
        assert "--setup=gpt" in words and "--text-model=openai/gpt-4o" in words  # from the test id
        assert "--inference-mode=record-if-missing" in words and words[-1] == test_id
        assert text.count("  hash ") == 1  # the traceback and the summary line are one miss

        options = screen.query_one("#explain-result", OptionList)
        assert app.focused is options
        await pilot.press("enter")  # the first recording named: the nearest
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay screen")
        assert app.screen.path == shown


async def test_palette_explains_a_body_file(corpus_subset, workdir):
    original = corpus_subset / ONLY_ONE
    obj = json.loads(original.read_text(encoding="utf-8"))
    body = obj["request"]["body"]
    (workdir / "same.json").write_text(json.dumps(body), encoding="utf-8")
    body["messages"][0]["content"] = "[bold]What is the capital of France?"
    body["temperature"] = 0.5
    (workdir / "changed.json").write_text(json.dumps(body), encoding="utf-8")
    shown = str(original.relative_to(workdir))

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        screen = await _open_explain(pilot)
        await _paste(pilot, screen.query_one("#explain-input", TextArea), "changed.json")
        await _paste(pilot, screen.query_one("#explain-test-id", Input), obj["test_id"])
        await _paste(pilot, screen.query_one("#explain-url", Input), obj["request"]["url"])
        await pilot.press("enter")  # in the URL field
        text = await _explained(pilot, screen)
        assert "  miss     no " in text
        assert f"    1. {shown}  (2 differences)" in text
        differences = [
            line.strip().split(":", 1)[0] for line in text.splitlines() if line.startswith("    /")
        ]
        assert differences == ["/messages/0/content", "/temperature"]
        assert "[bold]What is the capital of France?" in screen_text(app)  # literal, not markup

        # The unchanged body: the file the recorder would read.
        screen.query_one("#explain-input", TextArea).clear()
        await _paste(pilot, screen.query_one("#explain-input", TextArea), "same.json")
        screen.result = None
        await pilot.press("ctrl+r")
        text = await _explained(pilot, screen)
        assert f"  match    {shown}" in text
        assert "1 request: 1 matched, 0 missed" in screen_text(app)

        # A body without its URL is one line of reason, not a traceback.
        screen.query_one("#explain-url", Input).clear()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.error is not None, what="the usage error")
        assert screen.error.startswith("a body file needs the URL it was sent to")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.browse, what="the list")


def test_explain_screen_snapshot(corpus_subset, snap_compare):
    log, _, _ = _miss_log(corpus_subset / ONLY_ONE)

    async def run_before(pilot) -> None:
        await wait_loaded(pilot)
        pilot.app.action_explain(log)
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExplainScreen), what="the explain screen")
        await pilot.press("ctrl+r")
        await _explained(pilot, pilot.app.screen)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


async def test_a_key_filter_reads_the_key_status_in_a_thread_not_on_the_ui(workdir, monkeypatch):
    """`key:` reads each file's status once, in a worker; the filter itself never reads a file."""
    import threading

    from tui_replay.recording import summary as summary_module

    original, _ = _mis_keyed_copy(workdir)
    read_on = record_calls(
        monkeypatch, summary_module, "file_key_status", lambda *args: threading.current_thread().name
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        total = len(app.browse.summaries)
        read_on.clear()  # (the preview reads the highlighted row's status in its own worker)
        await pilot.press("slash", *"key:mis-keyed", "enter")
        await wait_for(pilot, lambda: len(table_keys(app)) == 1, what="the filtered rows")
        assert table_keys(app)[0].endswith(WRONG_NAME)
        assert threading.main_thread().name not in read_on
        assert total - 5 <= len(read_on) <= total  # each file once (cassettes and errors have none)
        read_on.clear()
        await pilot.press("slash", "ctrl+u", *"key:current", "enter")
        await wait_for(pilot, lambda: original.name in " ".join(table_keys(app)), what="the current rows")
        assert read_on == []  # kept on the rows from the first filter


async def test_one_pasted_miss_line_is_looked_up_by_its_hash(corpus_subset, workdir):
    """A single `E   RuntimeError: …` line: found by its hash alone, or no made-up nearest."""
    original = corpus_subset / ONLY_ONE
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        screen = await _open_explain(pilot)
        line = f"E   RuntimeError: Recording not found for request hash: {original.stem}"
        await _paste(pilot, screen.query_one("#explain-input", TextArea), line)
        await pilot.press("ctrl+r")
        text = await _explained(pilot, screen)
        assert f"  match    {original.relative_to(workdir)}" in text
        assert "found by its hash alone" in text

        screen.query_one("#explain-input", TextArea).clear()
        await _paste(
            pilot, screen.query_one("#explain-input", TextArea), line.replace(original.stem, "ab" * 32)
        )
        screen.result = None
        await pilot.press("ctrl+r")
        text = await _explained(pilot, screen)
        assert "  nearest" not in text and "differences" not in text
        assert "names no test and carries no body" in text
