"""The cassette's own YAML for one interaction, as written in the file (the raw view shows it).

The text is cut out of the file at the positions libyaml's event parser reports for item N of
the top-level `interactions` list, so what is shown is what the recorder wrote, not our rewrite
of it. The file has already been read safely as a whole by then (`yamlsafe`); this pass only
walks events (no nodes are built, aliases are not expanded). Long lines and long texts are cut
so that a session full of base64 audio still opens at once.
"""

from __future__ import annotations

import yaml

from tui_replay.recording.model import RecordingError

MAX_LINE_CHARS = 400
MAX_TEXT_CHARS = 200_000


def _item_span(text: str, index: int) -> tuple[int, int] | None:
    """(start, end) character offsets of item `index` of the top-level `interactions` list."""
    depth = 0
    top_key: str | None = None
    expect_key = True  # in the top-level mapping: the next depth-1 event is a key
    list_depth: int | None = None  # depth of the `interactions` sequence once entered
    item = -1
    start = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        opens = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        closes = isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent))
        if list_depth is not None:
            if closes and depth == list_depth:
                return None  # the list ended before item `index`
            if depth == list_depth and (opens or isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent))):
                item += 1
                if item == index:
                    start = event.start_mark.index
                    if not opens:
                        return start, event.end_mark.index
            if closes and depth == list_depth + 1 and item == index:
                return start, event.end_mark.index
        elif depth == 1:
            if expect_key and isinstance(event, yaml.ScalarEvent):
                top_key = event.value
            elif not expect_key and top_key == "interactions" and isinstance(event, yaml.SequenceStartEvent):
                list_depth = depth + 1
            if not closes:
                expect_key = not expect_key
        if opens:
            depth += 1
        elif closes:
            depth -= 1
    return None


def _capped(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if len(line) > MAX_LINE_CHARS:
            line = f"{line[:MAX_LINE_CHARS]}… [{len(line) - MAX_LINE_CHARS:,} more characters]"
        lines.append(line)
    out = "\n".join(lines)
    if len(out) > MAX_TEXT_CHARS:
        out = f"{out[:MAX_TEXT_CHARS]}\n… [{len(out) - MAX_TEXT_CHARS:,} more characters]"
    return out


def interaction_source(data: bytes, index: int | None) -> str:
    """The YAML of interaction `index` as written in the cassette's bytes (`None`: the whole
    file, for a cassette read as one recording); raises only RecordingError."""
    text = data.decode("utf-8", errors="replace")
    if index is None:
        return _capped(text)
    try:
        span = _item_span(text, index)
    except yaml.YAMLError as exc:
        raise RecordingError(f"cannot read the cassette's YAML: {exc}") from None
    if span is None:
        raise RecordingError(f"no interaction #{index} in the cassette")
    start, end = span
    start = text.rfind("\n", 0, start) + 1  # from the start of its line: the `- ` included
    return _capped(text[start:end].rstrip())
