"""Embeddings re-issued against a real llama.cpp server started with `--embedding true`.

This model has no pooling, so the server returns one vector per input token; the
comparison flattens them, which still checks count, size and cosine similarity end to end.
"""

from __future__ import annotations

import pytest
from live_server import LiveServer
from support import serve_or_fail

from live.helpers import client, compare_json, edit_recording
from tui_replay.live.record_format import recording_dict, write_recording_atomic


@pytest.fixture(scope="module")
def embedding_server():
    yield from serve_or_fail(LiveServer(extra_args=["--embedding", "true"]), "the embedding llama.cpp server")


# Recording the stored side with record_format dumps the SDK object as the recorder does,
# and pydantic warns about the nested (per-token) vectors; the command itself does not.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_embeddings_same_then_a_turned_vector_differs(embedding_server, tmp_path):
    body = {"model": "qwen-tiny", "input": ["hello world", "goodbye"], "encoding_format": "float"}
    answer = client(embedding_server.base_url).embeddings.create(**body)
    obj = recording_dict(
        test_id="tests/live::embeddings",
        endpoint="/v1/embeddings",
        base_url=embedding_server.base_url,
        body=body,
        response_body=answer,
        is_streaming=False,
    )
    path = write_recording_atomic(tmp_path / "embeddings.json", obj)
    code, report, stderr = compare_json(path, embedding_server.base_url)
    assert code == 0, stderr
    assert stderr == ""
    assert report["operation"] == "embeddings"
    assert report["live"]["summary"]["count"] == report["stored"]["summary"]["count"] == 2
    assert report["live"]["summary"]["cosine_min"] >= 0.999

    def turn_first(obj):
        vector = obj["response"]["body"]["__data__"]["data"][0]["embedding"]
        obj["response"]["body"]["__data__"]["data"][0]["embedding"] = _negate(vector)

    turned = edit_recording(path, turn_first, tmp_path / "turned.json")
    code, report, _ = compare_json(turned, embedding_server.base_url)
    assert code == 1
    (difference,) = report["differences"]
    assert difference["field"] == "cosine"
    assert difference["cosine"][0] == pytest.approx(-1.0, abs=1e-6)
    assert difference["cosine"][1] == pytest.approx(1.0, abs=1e-3)


def _negate(value):
    return [_negate(v) for v in value] if isinstance(value, list) else -value
