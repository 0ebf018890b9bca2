"""`apply_id_mapping` replaces in every string value, never in keys, and skips nothing.

It looks for the ids in the serialized subtrees to leave the ones without any alone;
these tests hold it to a plain recursive walk, including ids JSON would escape.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tui_replay.recording.load import apply_id_mapping, parse_json


def reference(obj: dict) -> dict:
    """The mapping applied by a plain recursive walk (shallow inputs only)."""
    pairs = sorted(
        ((original, key) for key, original in obj["id_normalization_mapping"].items() if original),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            for original, key in pairs:
                value = value.replace(original, key)
            return value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    result = walk(obj)
    result["id_normalization_mapping"] = {}
    return result


def same(a: Any, b: Any) -> bool:
    return json.dumps(a) == json.dumps(b)  # key order too


def test_corpus_files_with_made_up_mappings(corpus):
    mappings = [
        {"file-1": "file-", "k": "e"},
        {"q": '"', "slash": "\\", "nl": "a\nb"},  # escaped in JSON: no shortcut possible
        {"id": "rec-", "emoji": "🌟"},
    ]
    for path in corpus:
        obj = parse_json(path.read_bytes())
        for mapping in mappings:
            mapped = dict(obj, id_normalization_mapping=mapping)
            assert same(apply_id_mapping(mapped), reference(mapped)), path


def test_keys_are_left_alone_and_untouched_subtrees_are_shared():
    untouched = {"a": ["b", {"c": 1}]}
    obj = {"request": {"file-x": "file-x", "deep": untouched}, "id_normalization_mapping": {"f": "file-x"}}
    result = apply_id_mapping(obj)
    assert result["request"] == {"file-x": "f", "deep": untouched}
    assert result["request"]["deep"] is untouched
    assert obj["request"]["file-x"] == "file-x"  # the input is not changed
    assert result["id_normalization_mapping"] == {}


def test_nesting_deeper_than_python_recursion():
    deep: Any = "see file-x"
    for _ in range(1000):
        deep = [deep]
    result = apply_id_mapping({"request": deep, "response": {}, "id_normalization_mapping": {"f": "file-x"}})
    inner = result["request"]
    for _ in range(1000):
        inner = inner[0]
    assert inner == "see f"


pieces = st.sampled_from(["a", "b", "-", '"', "\\", "\n", "é", "file-x", "ab"])
text = st.lists(pieces, max_size=5).map("".join)
trees = st.recursive(
    st.none() | st.integers() | text,  # integers past 64 bits too: orjson cannot serialize those
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(trees, st.dictionaries(text, text, min_size=1, max_size=3))
def test_generated_trees(tree, mapping):
    obj = {
        "test_id": "t",
        "request": tree,
        "response": [tree, {"x": tree}],
        "id_normalization_mapping": mapping,
    }
    assert same(apply_id_mapping(obj), reference(obj))
