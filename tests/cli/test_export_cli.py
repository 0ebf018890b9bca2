"""`tui-replay export`: the real command line on real recordings, and the generated code run for real.

Hostile values (newlines, `$(...)`, backticks, quotes, backslashes, control characters,
unicode) are written into copies of corpus recordings; the exports are then run (bash with
argv-recording shims for curl and uv, Python with a stub openai package). Nothing injected
may run (the marker file never appears) and every value must arrive intact, as one argument.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from export_support import (
    assert_compiles,
    assert_parses,
    cli_env,
    hostile,
    hostile_python,
    hostile_shell,
    recorded_argvs,
    run_bash,
    run_python_export,
    shim_env,
)
from support import CORPUS, require_corpus, run_tui_replay

from tui_replay.export import to_curl, wire_body
from tui_replay.recording.load import load_recording
from tui_replay.urls import join_url

SEED = CORPUS / (
    "llama-stack-2025-10/responses/recordings/"
    "ccf305c14285e6c5788c9126f13bc02f786a1562614596c8ac5ffa38cb49e0a1.json"
)
# An Ollama /api/generate call: an endpoint with no openai SDK method.
OLLAMA_GENERATE = CORPUS / "llama-stack-2025-10/recordings/responses/e96152610712.json"
NO_TEST_ID = (
    CORPUS
    / "llama-stack/common/recordings/02c93bb3c314427bae2b7a7a6f054792b9f22d2cb4522eab802810be8672d3dc.json"
)


def export(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_tui_replay("export", *args, cwd=cwd, env=env or cli_env(cwd), timeout=60)


def edited_copy(source: Path, target: Path, edit) -> Path:
    """A copy of a real recording with `edit(obj)` applied (the corpus file is never touched)."""
    require_corpus()
    obj = json.loads(source.read_text(encoding="utf-8"))
    edit(obj)
    target.write_text(json.dumps(obj, indent=2), encoding="utf-8")
    return target


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "INJECTED"


# -- the re-record command ------------------------------------------------------------------


def test_rerecord_export_keeps_a_hostile_test_id_one_argument(tmp_path, marker):
    """Probe: a newline in a recorded test id ended the `# ...` comment; the next line ran."""
    test_id = (
        "tests/integration/responses/test_tool_responses.py::test_file_search"
        f"{hostile_shell(marker)}[openai_client-txt=openai/gpt-4o:emb=Nomic-v1.5:dim=768-llama_experts_pdf]"
    )

    def set_id(obj):
        obj["test_id"] = test_id

    recording = edited_copy(SEED, tmp_path / "hostile.json", set_id)
    out = tmp_path / "rerecord.sh"
    done = export(str(recording), "--format", "rerecord", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert os.access(out, os.X_OK)  # a saved shell export runs as ./rerecord.sh
    env, log = shim_env(tmp_path)
    ran = run_bash(out, env, cwd=tmp_path)
    assert not marker.exists()
    assert_parses(out)
    assert ran.returncode == 0, ran.stderr
    script = out.read_text(encoding="utf-8")
    assert "\x1b" not in script and "\x07" not in script and "\u202e" not in script  # no raw escapes
    [argv] = recorded_argvs(log)  # one command: uv (the shim), nothing else ran
    assert argv[:6] == ["uv", "run", "--group", "test", "pytest", "-sv"]
    assert argv[-1] == test_id  # the whole id, one argument, byte for byte
    assert "--inference-mode=record" in argv and "--stack-config=server:ci-tests" in argv
    assert "--text-model=openai/gpt-4o" in argv
    assert "--embedding-model=nomic-ai/nomic-embed-text-v1.5" in argv
    assert "--embedding-dimension=768" in argv


def test_rerecord_export_quotes_a_hostile_model_in_the_test_id(tmp_path, marker):
    model = f"ollama/evil{hostile_shell(marker)}"

    def set_id(obj):
        obj["test_id"] = f"tests/integration/inference/test_x.py::test_y[txt={model}:dim=384]"

    recording = edited_copy(SEED, tmp_path / "hostile.json", set_id)
    done = export(str(recording), "--format", "rerecord", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    script = tmp_path / "stdout.sh"
    script.write_text(done.stdout, encoding="utf-8")
    env, log = shim_env(tmp_path)
    ran = run_bash(script, env, cwd=tmp_path)
    assert not marker.exists()
    assert_parses(script)
    assert ran.returncode == 0, ran.stderr
    [argv] = recorded_argvs(log)
    assert f"--text-model={model}" in argv and "--embedding-dimension=384" in argv


def test_rerecord_export_of_a_file_without_a_test_id_says_so(tmp_path):
    done = export(str(NO_TEST_ID), "--format", "rerecord", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "names no test" in done.stdout
    env, log = shim_env(tmp_path)
    script = tmp_path / "r.sh"
    script.write_text(done.stdout)
    assert_parses(script)
    assert run_bash(script, env, cwd=tmp_path).returncode == 0
    assert recorded_argvs(log) == []  # only comments


# -- Python ---------------------------------------------------------------------------------


def test_python_export_of_a_hostile_endpoint_runs_nothing_injected(tmp_path, marker):
    """Probe: a newline in a recorded `endpoint` with no SDK method ended a comment and ran.
    Such an endpoint is not a URL path: refused in one line (tui_replay.urls)."""
    endpoint = f"/api/generate{hostile_python(marker)}"
    prompt = f"say {hostile(marker)}"

    def edit(obj):
        obj["request"]["endpoint"] = endpoint
        obj["request"]["body"]["prompt"] = prompt

    recording = edited_copy(OLLAMA_GENERATE, tmp_path / "hostile.json", edit)
    for fmt in ("python", "curl"):
        done = export(str(recording), "--format", fmt, cwd=tmp_path)
        assert done.returncode == 1 and done.stdout == ""
        [line] = done.stderr.splitlines()
        assert "hostile.json: the recorded endpoint is not a URL path" in line
    assert not marker.exists()

    # The same prompt on the recorded (plain) endpoint is posted intact.
    def edit_prompt(obj):
        obj["request"]["body"]["prompt"] = prompt

    recording = edited_copy(OLLAMA_GENERATE, tmp_path / "prompt.json", edit_prompt)
    done = export(str(recording), "--format", "python", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ran, calls = run_python_export(done.stdout, tmp_path)
    assert not marker.exists()
    assert_compiles(done.stdout)
    assert ran.returncode == 0, ran.stderr
    (name, client), (call, request) = calls
    assert name == "OpenAI"
    assert client == {"base_url": "http://localhost:8321/v1", "api_key": "none"}  # keyless: a default
    stored = json.loads(OLLAMA_GENERATE.read_text())["request"]
    assert call == "post" and request["path"] == stored["endpoint"]
    assert request["body"] == stored["body"] | {"prompt": prompt}


def test_python_export_with_hostile_messages_model_and_base_url(tmp_path, marker):
    content = f"hello {hostile(marker)}"
    model = f"gpt{hostile(marker)}"

    def edit(obj):
        body = obj["request"]["body"]
        body["messages"][0]["content"] = content
        body["model"] = model

    recording = edited_copy(SEED, tmp_path / "hostile.json", edit)
    base_url = f"http://127.0.0.1:9/v1?{hostile(marker)}"
    env = cli_env(tmp_path) | {"OPENAI_BASE_URL": base_url}
    done = export(str(recording), "--format", "python", "--api-key-env", "MY_KEY", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    ran, calls = run_python_export(done.stdout, tmp_path, env | {"MY_KEY": "sk-from-env"})
    assert not marker.exists()
    assert_compiles(done.stdout)
    assert ran.returncode == 0, ran.stderr
    (_, client), (method, kwargs) = calls
    assert client == {"base_url": base_url, "api_key": "sk-from-env"}
    assert method == "chat.completions.create"
    assert kwargs["model"] == model and kwargs["messages"][0]["content"] == content


# -- curl -----------------------------------------------------------------------------------


def test_curl_export_runs_with_hostile_values_as_single_arguments(tmp_path, marker):
    content = f"hello {hostile(marker)}"

    def edit(obj):
        obj["request"]["body"]["messages"][0]["content"] = content
        obj["request"]["body"]["model"] = f"gpt{hostile(marker)}"

    recording = edited_copy(SEED, tmp_path / "hostile.json", edit)
    base_url = f"http://127.0.0.1:9/'{hostile(marker)}/v1"
    out = tmp_path / "call.curl.sh"
    done = export(str(recording), "--format", "curl", "--base-url", base_url, "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert os.access(out, os.X_OK)
    env, log = shim_env(tmp_path)
    env["OPENAI_API_KEY"] = "sk-test"
    ran = run_bash(out, env, cwd=tmp_path)
    assert not marker.exists()
    assert_parses(out)
    assert ran.returncode == 0, ran.stderr
    [argv] = recorded_argvs(log)
    assert argv[:5] == ["curl", "-sS", "-N", "-X", "POST"]  # -N: the recording was streamed
    # the path goes into the base URL's path, before anything its `?` or `#` started
    assert argv[5] == join_url(base_url, "/v1/chat/completions")
    assert argv[argv.index("-H") + 1] == "Authorization: Bearer sk-test"  # the key, from the environment
    body = json.loads(argv[argv.index("-d") + 1])
    assert body == wire_body(load_recording(recording))
    assert body["messages"][0]["content"] == content


@pytest.mark.parametrize("where", ["project file", "pyproject", "--config"])
def test_curl_export_refuses_or_ignores_a_hostile_api_key_env_from_config(tmp_path, marker, where):
    """Probe: `api_key_env` from a cloned repo's config went unquoted into `${...}` and ran."""
    bad = f'X:-$(touch {marker})}}"; touch {marker}; echo "'
    table = f"api_key_env = {json.dumps(bad)}\n"
    args = [str(SEED), "--format", "curl"]
    if where == "project file":
        (tmp_path / "tui-replay.toml").write_text("[live]\n" + table)
    elif where == "pyproject":
        (tmp_path / "pyproject.toml").write_text("[tool.tui-replay.live]\n" + table)
    else:
        (tmp_path / "cfg.toml").write_text("[live]\n" + table)
        args += ["--config", str(tmp_path / "cfg.toml")]
    done = export(*args, cwd=tmp_path)
    if done.stdout:  # whatever was printed must still be harmless
        script = tmp_path / "out.sh"
        script.write_text(done.stdout)
        env, _ = shim_env(tmp_path)
        subprocess.run(["bash", str(script)], env=env, cwd=tmp_path, capture_output=True, timeout=60)
    assert not marker.exists()
    [line] = done.stderr.splitlines()  # one line, no traceback
    if where != "--config":  # a project's config may not choose the key: ignored, and said so
        assert done.returncode == 0 and "${OPENAI_API_KEY}" in done.stdout
        assert "ignored `live.api_key_env`" in line
        return
    assert done.returncode == 2
    assert done.stdout == ""
    assert "api_key_env" in line and "not an environment variable name" in line


def test_curl_export_refuses_a_hostile_api_key_env_flag(tmp_path, marker):
    done = export(str(SEED), "--format", "curl", "--api-key-env", f"A}}$(touch {marker})", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert "not an environment variable name" in done.stderr


def test_the_export_code_itself_refuses_a_bad_key_variable_name():
    # Defence in depth: a caller that skipped the config check still gets no shell code.
    require_corpus()
    recording = load_recording(SEED)
    for bad in ("A}$(id)", "1ABC", "A B", "", "A\nB", "ÄB"):
        with pytest.raises(ValueError, match="not an environment variable name"):
            to_curl(recording, None, bad)
    assert "${GOOD_NAME_2}" in to_curl(recording, None, "GOOD_NAME_2")


def test_non_streamed_requests_have_no_n_flag(tmp_path):
    done = export(str(OLLAMA_GENERATE), "--format", "curl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    argv = shlex.split(done.stdout.replace("\\\n", " "), comments=True)
    assert argv[:4] == ["curl", "-sS", "-X", "POST"]


# -- Markdown -------------------------------------------------------------------------------


def test_markdown_export_shows_hostile_text_literally(tmp_path, marker):
    answer_break = "```\n# Injected heading\n<script>alert(1)</script>\n````"

    def edit(obj):
        obj["test_id"] = f"tests/x.py::test_y[{hostile(marker)}]\n# Injected title"
        obj["request"]["body"]["messages"][0]["content"] = answer_break + hostile(marker)
        obj["request"]["body"]["model"] = "`model`` <b>x</b>\n- item"

    recording = edited_copy(SEED, tmp_path / "hostile.json", edit)
    done = export(str(recording), "--format", "markdown", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    markdown = done.stdout
    lines = markdown.splitlines()
    assert "# Injected title" not in lines and "- item" not in lines
    assert not any(ch in markdown for ch in "\x1b\x07\u202e\u2028\r")
    # the user's text sits in a fence longer than any backtick run inside it
    start = lines.index("## user") + 2
    fence = lines[start]
    assert set(fence) == {"`"} and len(fence) > 4
    end = lines.index(fence, start + 1)
    assert (
        "# Injected heading" in lines[start + 1 : end]
        and "<script>alert(1)</script>" in lines[start + 1 : end]
    )
    outside = lines[:start] + lines[end + 1 :]
    assert not any(line.startswith(("# Injected", "<script")) for line in outside)


# -- the command itself -----------------------------------------------------------------------


def test_stdout_is_what_the_app_export_screen_shows(tmp_path):
    from tui_replay.app.screens.export import EXPORTS, build_exports
    from tui_replay.config import Config

    require_corpus()
    expected = build_exports(load_recording(SEED), Config())
    for pane, _, fmt in EXPORTS:
        done = export(str(SEED), "--format", fmt, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout == expected[pane], fmt


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([str(SEED)], "--format"),
        ([str(SEED), "--format", "html"], "invalid choice"),
        (["missing.json", "--format", "curl"], "missing.json"),
        ([], "FILE"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    done = export(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_unreadable_recordings_are_one_line_each_and_the_rest_is_exported(tmp_path):
    require_corpus()
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(SEED.read_bytes()[:500])
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\x00\x01\x02\xff" * 64)
    done = export(str(truncated), str(SEED), str(binary), "--format", "rerecord", cwd=tmp_path)
    assert done.returncode == 1
    errors = done.stderr.splitlines()
    assert len(errors) == 2 and "Traceback" not in done.stderr
    assert errors[0].startswith(f"tui-replay export: {truncated}: ")
    assert errors[1].startswith(f"tui-replay export: {binary}: ")
    assert done.stdout.count("uv run --group test pytest") == 1  # the readable one


def test_several_files_make_one_script(tmp_path):
    other = CORPUS / (
        "llama-stack-2025-10/responses/recordings/"
        "d30a3a9a90ea3ba6ea62417aec80e79ee502a2e75b58f7c87ee65c446200af0e.json"
    )
    out = tmp_path / "both.sh"
    done = export(str(SEED), str(other), "--format", "curl", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    script = out.read_text()
    assert script.count("#!/usr/bin/env bash") == 1 and script.startswith("#!/usr/bin/env bash\n")
    env, log = shim_env(tmp_path)
    assert_parses(out)
    assert run_bash(out, env, cwd=tmp_path).returncode == 0
    assert len(recorded_argvs(log)) == 2


def test_out_never_overwrites_and_only_shell_scripts_are_executable(tmp_path):
    existing = tmp_path / "keep.py"
    existing.write_text("keep me")
    done = export(str(SEED), "--format", "python", "--out", str(existing), cwd=tmp_path)
    assert done.returncode == 2
    assert existing.read_text() == "keep me"
    [line] = done.stderr.splitlines()
    assert "already exists" in line
    for fmt, name, executable in (
        ("python", "a.py", False),
        ("markdown", "a.md", False),
        ("rerecord", "a.sh", True),
    ):
        out = tmp_path / name
        done = export(str(SEED), "--format", fmt, "--out", str(out), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert os.access(out, os.X_OK) is executable
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary left behind


def test_the_recording_files_are_never_modified(tmp_path):
    require_corpus()
    copy = tmp_path / "seed.json"
    shutil.copyfile(SEED, copy)
    before = copy.read_bytes(), copy.stat().st_mtime_ns
    for fmt in ("curl", "python", "markdown", "rerecord"):
        assert export(str(copy), "--format", fmt, cwd=tmp_path).returncode == 0
    assert (copy.read_bytes(), copy.stat().st_mtime_ns) == before
