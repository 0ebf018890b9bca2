"""Real vendored recordings with a terminal attack appended to every text field.

The attack sets the terminal title (OSC 0), writes the clipboard (OSC 52), clears the
screen, and carries invisible and text-moving characters (bidi override, line separator,
zero-width space, BOM) and Rich markup. `write_hostile_recordings` copies the chosen real
recordings into a folder with every string poisoned (roles, ids, tool names, models, finish
reasons, header names and values, the test id, the text) except the few fields that say which
shape a recording is, so the real parser still reads them as what they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import CORPUS

ESC_TITLE = "\x1b]0;PWNED\x1b\\"
ESC_CLIPBOARD = "\x1b]52;c;cHduZWQ=\x1b\\"
ATTACK = ESC_TITLE + ESC_CLIPBOARD + "\x1b[2J\x07\u202eevil\u2028\u2029\u200b\ufeff[bold]b[/bold]"

# What a terminal would act on, or what would not show, if it reached the screen raw.
RAW_CHARACTERS = ("\x1b", "\x07", "\u202e", "\u2028", "\u2029", "\u200b", "\ufeff")
# What the attack looks like when shown as data (the placeholders of ESC and BEL).
SHOWN_TITLE = "␛]0;PWNED␛\\"

# The fields that say which shape a recording is: kept, so the recording reads as before.
SHAPE_FIELDS = {"__type__", "endpoint", "url", "method", "object", "type"}

BASES = {
    # a system, user, assistant (with a tool call) and tool conversation, streamed answer
    "conversation.json": "llama-stack/agents/recordings/"
    "da6ec32ed8fb5bf4d957058ddd391a9958c4cfd0ab301bbd7b466a889cfc631b.json",
    # a streamed tool call in the response
    "tool-call.json": "llama-stack/agents/recordings/"
    "75ae2f583e3eb3920933f9df9ff65fa5cc639daf97fd7d6b53061146a026cc22.json",
}


# The other kinds with views of their own: a recorded error, embeddings, a model list.
OTHER_KINDS = {
    "error.json": "llama-stack/responses/recordings/"
    "f300a8b24123c89ca028f21f6cf29326be28a95f61b23ec98fd75ed257ade6d7.json",
    "embeddings.json": "llama-stack/responses/recordings/"
    "0cfaf068f17082684adb234fa8dce33568fc73f43ed2a9d0858f97ffa2347fda.json",
    "models.json": "llama-stack/common/recordings/"
    "02c93bb3c314427bae2b7a7a6f054792b9f22d2cb4522eab802810be8672d3dc.json",
}


def poisoned(value: Any, key: str | None = None) -> Any:
    """`value` with ATTACK appended to every string but the shape fields."""
    if isinstance(value, str):
        return value if key in SHAPE_FIELDS else value + ATTACK
    if isinstance(value, list):
        return [poisoned(item, key) for item in value]
    if isinstance(value, dict):
        return {name: poisoned(item, name) for name, item in value.items()}
    return value


def hostile_recording(base: str) -> dict[str, Any]:
    recording = poisoned(json.loads((CORPUS / base).read_text()))
    recording["request"]["headers"] = {"X-Header" + ATTACK: "value" + ATTACK}
    return recording


def write_hostile_recordings(folder: Path, bases: dict[str, str] = BASES) -> list[Path]:
    """The hostile copies of `bases` in `folder` (created), their paths in that order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, base in bases.items():
        path = folder / name
        path.write_text(json.dumps(hostile_recording(base), indent=1))
        paths.append(path)
    return paths
