"""`export --format rerecord` of a vcrpy cassette: the pytest-recording command for the test the
cassette's location names (pydantic-ai and crewAI layouts), run against a fake `pytest` on PATH.
The cassettes are the vendored real ones, put back where each project keeps them (the vendored
names are the path under the project's cassettes folder with `/` written as `__`)."""

from __future__ import annotations

import shutil

from cli_support import CORPUS
from export_support import cli_env, recorded_argvs, run_bash, shim_env
from support import REPO, run_tui_replay

CASSETTES = CORPUS / "cassettes"
CREWAI_CASSETTE = "agents__TestAzureNativeToolCalling.test_azure_agent_with_native_tool_calling.yaml"


def _export(tmp_path, *paths: str):
    return run_tui_replay(
        "export", "--format", "rerecord", *paths, cwd=REPO, env=cli_env(tmp_path), timeout=60
    )


def _run_script(tmp_path, script: str, cwd) -> list[list[str]]:
    path = tmp_path / "rerecord.sh"
    path.write_text(script)
    env, log = shim_env(tmp_path)
    ran = run_bash(path, env, cwd=cwd)
    assert ran.returncode == 0, ran.stderr
    return recorded_argvs(log) if log.exists() else []


# The vendored names' prefixes: the cassettes folder each came from (the corpus README).
PYDANTIC_AI_FOLDERS = {
    "realtime": "tests/realtime",
    "xai": "tests/models/xai",
    "tests_cassettes": "tests",
}


def test_pydantic_ai_cassettes_rerecord_their_own_test_file_and_node(tmp_path):
    checkout = tmp_path / "pydantic-ai"
    expected = {}
    grpc_samples = []
    for source in sorted((CASSETTES / "pydantic-ai").glob("*.yaml")):
        parts = source.name.split("__")  # [prefix__]test_openai__test_x[p].yaml
        folder = PYDANTIC_AI_FOLDERS.get(parts[0], "tests/models")
        module, name = parts[-2:]
        target = checkout / folder / "cassettes" / module / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        if name.endswith(".xai.yaml"):  # gRPC samples: pydantic-ai's own recorder, no command
            grpc_samples.append(str(target))
            continue
        expected[str(target)] = f"{folder}/{module}.py::{name.removesuffix('.yaml')}"
    assert len(expected) > 40 and grpc_samples

    done = _export(tmp_path, *expected)  # one script, a command per cassette, in order
    assert done.returncode == 0, done.stderr
    assert "uv run" not in done.stdout and "--stack-config" not in done.stdout  # not llama-stack's
    argvs = _run_script(tmp_path, done.stdout, checkout)
    assert argvs == [["pytest", "--record-mode=rewrite", node_id] for node_id in expected.values()]

    samples = _export(tmp_path, *grpc_samples)
    # said once (the same line for every sample), and no command to run
    assert "# Cannot tell the test file of this cassette: an xAI gRPC sample" in samples.stdout
    assert all(line.startswith("#") for line in samples.stdout.splitlines())  # nothing to run


def test_a_cassette_with_several_interactions_gives_one_command(tmp_path):
    source = CASSETTES / "pydantic-ai/test_openai__test_openai_tool_output.yaml"
    target = tmp_path / "tests/models/cassettes/test_openai/test_openai_tool_output.yaml"
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    done = _export(tmp_path, str(target))
    assert done.stdout.count("pytest --record-mode=rewrite") == 1
    assert done.stdout.count("#!/usr/bin/env bash") == 1


def _crewai_checkout(tmp_path, *, with_module: bool):
    root = tmp_path / "crewAI"
    cassette = root / "lib/crewai/tests/cassettes/agents" / CREWAI_CASSETTE.split("__", 1)[1]
    cassette.parent.mkdir(parents=True)
    shutil.copyfile(CASSETTES / "crewai" / CREWAI_CASSETTE, cassette)
    tests = root / "lib/crewai/tests/agents"
    tests.mkdir(parents=True)
    (tests / "test_other.py").write_text("def test_something_else():\n    pass\n")
    if with_module:
        (tests / "test_native_tool_calling.py").write_text(
            "class TestAzureNativeToolCalling:\n"
            "    @pytest.mark.vcr()\n"
            "    def test_azure_agent_with_native_tool_calling(self):\n"
            "        pass\n"
        )
    return root, cassette


def test_a_crewai_cassette_rerecords_the_test_module_that_defines_its_test(tmp_path):
    root, cassette = _crewai_checkout(tmp_path, with_module=True)
    done = _export(tmp_path, str(cassette))
    assert done.returncode == 0, done.stderr
    [argv] = _run_script(tmp_path, done.stdout, root)
    node_id = "lib/crewai/tests/agents/test_native_tool_calling.py::TestAzureNativeToolCalling::"
    assert argv == ["pytest", "--record-mode=rewrite", node_id + "test_azure_agent_with_native_tool_calling"]


def test_without_the_test_module_it_says_it_cannot_tell_and_runs_nothing(tmp_path):
    root, cassette = _crewai_checkout(tmp_path, with_module=False)
    done = _export(tmp_path, str(cassette))
    assert "Cannot tell the test file" in done.stdout and "no single test module" in done.stdout
    assert _run_script(tmp_path, done.stdout, root) == []

    flattened = _export(tmp_path, str(CASSETTES / "crewai" / CREWAI_CASSETTE))
    assert "Cannot tell the test file" in flattened.stdout
    assert _run_script(tmp_path, flattened.stdout, tmp_path) == []


def test_a_hostile_cassette_name_stays_one_quoted_argument(tmp_path):
    name = "test_x[$(touch pwned)'; touch pwned2 #]"
    target = tmp_path / "tests/cassettes/test_mod" / (name + ".yaml")
    target.parent.mkdir(parents=True)
    shutil.copyfile(CASSETTES / "pydantic-ai/test_openai__test_valid_response.yaml", target)
    done = _export(tmp_path, str(target))
    [argv] = _run_script(tmp_path, done.stdout, tmp_path)
    assert argv == ["pytest", "--record-mode=rewrite", f"tests/test_mod.py::{name}"]
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
