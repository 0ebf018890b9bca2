"""YAML for cassettes, read safely: libyaml's event parser, our own bounded composer.

`yaml.load(CSafeLoader)` is safe from code execution, but not from hostile shapes: its C
composer recurses once per nesting level (a few tens of thousands of `[` crash the process,
and it is quadratic well before that), and an alias bomb ("billion laughs") loads as a small
graph that explodes in whoever walks it. So the events of the C parser (a state machine, no
recursion) are composed here with an explicit stack, the files' nesting limit (an alias counting
as deep as what it repeats), and a budget of nodes and of text in which an alias counts as the
whole subtree it repeats; an alias inside its own anchor (a cycle) is refused. Scalars are
resolved and constructed by PyYAML's SafeLoader (plain scalars by its implicit resolvers), so
values are what `yaml.load(CSafeLoader)` gives, except timestamps, kept as their text (JSON has no dates).
Only the tags of YAML's core types and `!!binary` are accepted: never a Python object.
"""

from __future__ import annotations

from typing import Any

import yaml

from tui_replay.recording.limits import MAX_NESTING, ReadBudget
from tui_replay.recording.model import RecordingError

# Nodes that aliases may add beyond the document's own: a real cassette has none or few. The text
# they repeat counts against the file's budget of extra bytes (a 1 MB string repeated 5,000 times
# is 5,000 nodes, but 5 GB once written out by `show --json` or an export).
ALIAS_ALLOWANCE = 100_000
# Nodes a document may have, aliases counted whole (within the file's JSON values budget): each
# costs ~10 us to compose from libyaml's events, so 5 million took a minute in every command.
# Real cassettes keep their bodies as strings: a few thousand nodes.
MAX_NODES = 1_000_000

_TAG = "tag:yaml.org,2002:"
_STR, _BINARY, _TIMESTAMP = _TAG + "str", _TAG + "binary", _TAG + "timestamp"
_SCALAR_TAGS = frozenset(
    _TAG + name for name in ("str", "int", "float", "bool", "null", "binary", "timestamp")
)
_SEQ_TAGS = frozenset({None, "!", _TAG + "seq"})
_MAP_TAGS = frozenset({None, "!", _TAG + "map"})

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when PyYAML has libyaml
_helper = yaml.SafeLoader("")  # resolves and constructs scalars; never reads a stream


def _scalar(event: yaml.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:  # quoted or block scalar: a string
            return event.value
        tag = _helper.resolve(yaml.ScalarNode, event.value, (True, False))
        if tag == _STR:
            return event.value
    elif tag not in _SCALAR_TAGS:
        raise RecordingError(f"YAML tag {tag} is not allowed (only plain data is read)")
    if tag == _TIMESTAMP:
        return event.value
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    if tag == _BINARY:
        return _helper.construct_yaml_binary(node)
    return _helper.construct_object(node)


def load_yaml(data: bytes | str, budget: ReadBudget | None = None) -> Any:
    """The first document of `data` as plain Python data; raises only RecordingError.

    `budget`: what the file may expand to (limits.ReadBudget); what the document takes of it
    (nodes, text its aliases repeat) is taken off.
    """
    try:
        return _compose(data, budget if budget is not None else ReadBudget())
    except RecordingError:
        raise
    except yaml.YAMLError as exc:
        raise RecordingError(f"not valid YAML: {_yaml_reason(exc)}") from None
    except (ValueError, TypeError) as exc:  # e.g. bad base64 in !!binary, an int too long
        raise RecordingError(f"not valid YAML: {exc}") from None


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return " ".join(f"{problem}{where}".split())


def _compose(data: bytes | str, budget: ReadBudget) -> Any:
    # anchor -> (value, nodes and characters of text it stands for, levels it nests), or
    # _OPEN while its collection is being composed (an alias to it would be a cycle).
    anchors: dict[str, Any] = {}
    # Open collections: [container, pending key or _NO_KEY for maps, anchor, nodes and text at
    # start, levels of its deepest child].
    stack: list[list[Any]] = []
    nodes = 0  # nodes composed, an alias counting as everything it repeats
    own = 0  # events that are nodes of the document itself
    text = 0  # characters of scalar text composed, an alias counting all it repeats
    repeated = 0  # of which aliases repeated
    root: Any = None
    have_root = False
    sequence_start, mapping_start, scalar_ev, alias_ev = (
        yaml.SequenceStartEvent,
        yaml.MappingStartEvent,
        yaml.ScalarEvent,
        yaml.AliasEvent,
    )
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    loader = _Loader(data)
    try:
        while True:
            event = loader.get_event()
            if event is None:
                break
            kind = type(event)
            levels = 0  # how deep the value attached below nests
            if kind is scalar_ev:
                value = _scalar(event)
                nodes += 1
                own += 1
                text += len(event.value)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1, len(event.value), 0)
            elif kind is alias_ev:
                found = anchors.get(event.anchor)
                if found is None:
                    raise RecordingError(f"not valid YAML: unknown alias *{event.anchor}")
                if found is _OPEN:
                    raise RecordingError(f"YAML alias *{event.anchor} inside its own anchor (a cycle)")
                value, size, chars, levels = found
                nodes += size
                text += chars
                repeated += chars
                if nodes > own + ALIAS_ALLOWANCE or repeated > budget.extra_bytes:
                    raise RecordingError("YAML aliases repeat too much (an alias bomb?)")
                if len(stack) + levels > MAX_NESTING:
                    raise RecordingError(f"YAML nesting too deep (more than {MAX_NESTING} levels)")
            elif kind is sequence_start or kind is mapping_start:
                if event.tag not in (_SEQ_TAGS if kind is sequence_start else _MAP_TAGS):
                    raise RecordingError(f"YAML tag {event.tag} is not allowed (only plain data is read)")
                if len(stack) >= MAX_NESTING:
                    raise RecordingError(f"YAML nesting too deep (more than {MAX_NESTING} levels)")
                nodes += 1
                own += 1
                container: Any = [] if kind is sequence_start else {}
                stack.append([container, _NO_KEY, event.anchor, nodes, text, 0])
                if event.anchor is not None:
                    anchors[event.anchor] = _OPEN
                continue
            elif kind in ends:
                container, _, anchor, nodes_before, text_before, deepest = stack.pop()
                levels = deepest + 1
                if anchor is not None:
                    anchors[anchor] = (container, nodes - nodes_before + 1, text - text_before, levels)
                value = container
            elif kind is yaml.DocumentEndEvent:
                break  # one document: a cassette has no second one
            else:
                continue
            if nodes > MAX_NODES or nodes > budget.values:
                raise RecordingError(
                    f"too many YAML nodes (over {min(MAX_NODES, budget.values):,}): "
                    "the limit keeps reading a file quick and under 1 GiB of memory"
                )
            # Attach `value` to the open collection, or make it the document.
            if not stack:
                root, have_root = value, True
                continue
            top = stack[-1]
            if levels > top[5]:
                top[5] = levels
            parent = top[0]
            if type(parent) is list:
                parent.append(value)
            elif top[1] is _NO_KEY:
                if type(value) in (list, dict):
                    raise RecordingError("not valid YAML data: a list or mapping used as a key")
                top[1] = value
            else:
                parent[top[1]] = value
                top[1] = _NO_KEY
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    budget.values -= nodes
    budget.extra_bytes -= repeated
    return root if have_root else None


class _NoKey:
    __slots__ = ()


_NO_KEY: Any = _NoKey()
_OPEN: Any = object()
