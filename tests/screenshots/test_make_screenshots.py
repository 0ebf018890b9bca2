"""scripts/make_screenshots.py: every screenshot is written, is valid SVG, and shows what its caption says.

The script runs the real app on the real sample recordings in recordings/; this test reads
the text of each SVG back (line by line, as the terminal showed it) and looks for what
that screen must show. The compare-live shot talks to the real llama.cpp server (the
session's `live_server`); its masked picture must come out byte-identical twice.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.text import Text

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "make_screenshots.py"
SVG = "{http://www.w3.org/2000/svg}"

# What each screenshot must show (substrings of one terminal line each).
EXPECTED = {
    "browse": [
        "13 recordings",
        "test_samples.py::test_file_search_answer[txt=llamacpp/qwen-tiny]",  # the highlighted row's preview
        "recordings/2e9b02069554ed2799afe5c5173b02e452bebbc629dc8b877d9e8beeb7dcb2e7.json",  # relative path
    ],
    "browse-grouped": ["grouped by test", "test_streamed_tool_call[txt=llamacpp/qwen-tiny]", "1 recording"],
    "replay-tool-call": [
        "test_streamed_tool_call",
        "get_weather",
        '{"city": "Paris',
        "arguments streaming",
        "chunk 6/9",
    ],
    "citations": [
        "test_file_search_answer",
        "[1] llama_stack_and_models.pdf",
        "marker: <|file-902552685671|>",  # shown only once the citation is selected
        "file: llama_stack_and_models.pdf",
        "Llama 4 Maverick is a mixture-of-experts model",  # the cited chunk
    ],
    "recorded-error": ["test_recorded_error", "Recorded error", "InternalServerError", "500"],
    "markdown-answer": [
        "Answer · Markdown (m: raw text)",
        " def is_palindrome(s):",  # the fence is gone: a highlighted code block
        "Explanation:",  # "### Explanation:" as a heading
        " 1 Lowercase Conversion: The function first converts",  # "1. **Lowercase Conversion**:"
        "chunk 150/268",
    ],
    "narrow": ["Answer", "Tool calls", "Citations", "def is_palindrome(s):", "chunk 120/268"],
    "diff": [
        "Diff  a → b",
        "verdict  different  ·  5 differences, 3 meaningful",
        "│ a ",  # the side titles
        '{"city": "Paris"}',
        '{"city": "Lyon"}',
        "request /body/stream: true → (none)",
        'tool call 0 (get_weather) arguments differ: argument /city "Paris" → "Lyon"',
        "esc Back  x Swap sides",
    ],
    "compare-live": [
        "Compare  434cdb430598a1bb20bef1c4525d069bf70227057dccdcafd741a3cead141364.json  →  "
        "http://127.0.0.1:PORT/v1  model qwen-tiny",
        "same  ·  0 differences  ·  total (masked)",
        "│ Stored ",
        "│ Live ",
        "Text: identical",
        "A Python decorator is a function that takes another function as an",  # the live answer
        "time to first chunk  -       (masked)",
        "total time           -       (masked)",
        "tokens per second    -       (masked)",
        "chunks               65      65",
    ],
}


def load_script():
    spec = importlib.util.spec_from_file_location("make_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def terminal_lines(svg: Path) -> list[str]:
    """The terminal text of a Rich/Textual SVG: its <text> runs put back on their rows and columns."""
    root = ET.parse(svg).getroot()  # raises on invalid XML
    assert root.tag == f"{SVG}svg"
    runs = []  # every run of text names its terminal row in its clip path ("…-line-N")
    for node in root.iter(f"{SVG}text"):
        text = (node.text or "").replace("\xa0", " ").rstrip("\n")
        clip = node.get("clip-path", "")
        if text and "-line-" in clip:  # not the window title, not a line end
            runs.append((int(clip.rsplit("-", 1)[1].rstrip(")")), float(node.get("x")), text, node))
    cell = next(float(node.get("textLength")) / len(text) for _, _, text, node in runs if len(text) > 1)
    lines: list[list[str]] = [[] for _ in range(max(row for row, *_ in runs) + 1)]
    for row, x, text, _ in runs:
        column = round(x / cell)  # x is the column times the cell width
        line = lines[row]
        line.extend(" " * (column - len(line)))
        line[column : column + len(text)] = text
    return ["".join(line).rstrip() for line in lines]


def test_every_screenshot_is_written_and_shows_its_content(tmp_path, capsys, monkeypatch, live_server):
    monkeypatch.chdir(tmp_path)  # the script must work from anywhere (it runs the app from the repo root)
    script = load_script()
    assert {shot.name for shot in script.SHOTS} == set(EXPECTED)

    assert script.main(["--out", str(tmp_path / "shots"), "--base-url", live_server.base_url]) == 0

    printed = capsys.readouterr().out
    for name, wanted in EXPECTED.items():
        svg = tmp_path / "shots" / f"{name}.svg"
        assert svg.is_file(), f"{name}.svg was not written"
        assert f"{name}.svg" in printed
        lines = terminal_lines(svg)
        width, height = script.NARROW if name == "narrow" else script.WIDE
        assert len(lines) == height, f"{name}: {len(lines)} rows, not {height}"
        assert max(len(line) for line in lines) <= width
        screen = "\n".join(lines)
        for text in wanted:
            assert any(text in line for line in lines), f"{name}.svg does not show {text!r}:\n{screen}"
        assert str(tmp_path) not in screen
        assert str(REPO / "recordings") not in screen  # paths are shown relative to the repo
        assert f":{live_server.port}" not in screen  # the live server's port is masked
    assert not list((tmp_path / "shots").glob(".*.tmp")), "temporary files were left behind"


def test_the_live_shot_is_masked_and_repeats_byte_for_byte(tmp_path, live_server):
    """Two runs against the server: the same answer, timings and port masked, the same SVG."""
    script = load_script()
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        args = ["--only", "compare-live", "--out", str(out), "--base-url", live_server.base_url]
        assert script.main(args) == 0
    svg = (first / "compare-live.svg").read_bytes()
    assert svg == (second / "compare-live.svg").read_bytes()
    screen = "\n".join(terminal_lines(first / "compare-live.svg"))
    assert not re.search(r"\d+\.\d+ s\b", screen), f"an unmasked time:\n{screen}"


def test_masking_keeps_the_styles_around_the_value():
    script = load_script()
    text = Text.assemble(("same", "bold green"), "  ·  total 5.17 s")
    result = script.masked(text, r"(?<=total )\d+\.\d+ s")
    assert result.plain == "same  ·  total (masked)"
    assert result.spans[0].style == "bold green" and result.spans[0].end == 4


def test_an_unknown_name_is_refused(tmp_path, capsys):
    script = load_script()
    assert script.main(["--out", str(tmp_path), "--only", "no-such-shot"]) == 1
    assert "unknown screenshot(s): no-such-shot" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
