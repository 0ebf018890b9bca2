"""Copies of real corpus recordings edited minimally into forms the corpus lacks (issue 12).

Each builder writes its copy into a test's `tmp_path` and returns the path; the corpus itself
is never changed. The forms were found in 4,811 held-out recordings the corpus does not hold.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from support import CORPUS

from tui_replay.recording.load import parse_json


def corpus_file(prefix: str) -> Path:
    [path] = [p for p in CORPUS.rglob("*.json") if p.name.startswith(prefix)]
    return path


def write_copy(tmp_path: Path, source: Path, obj: dict) -> Path:
    path = tmp_path / source.name
    path.write_text(json.dumps(obj))
    return path


# A 2025-10 answer whose recorder mapped `file-d7cee…` to `file-1` (§8.2): the tool results
# hold the original id, mapped on load, and the answer cites `<|file-1|>` in one chunk.
MAPPED = "1b0c005eb4b9"
ORIGINAL_ID = "file-d7cee10212814cfcb75cc091eee11688"
# A HEAD answer citing a UUID document id, split over many chunks; the chunk's attributes
# also hold the uploaded file's id.
UUID_CITED = "04ac8fd33bee"
DOCUMENT_ID = "53cc83a4-3e38-412d-90c3-d9e4b6cb8b62"
FILE_ID = "file-379221123213"


def content_chunk(body: list, text: str) -> int:
    return next(i for i, item in enumerate(body) if text in (choice_delta(item).get("content") or ""))


def choice_delta(item: dict) -> dict:
    choices = item["__data__"]["choices"]
    return choices[0]["delta"] if choices else {}


def split_marker_with_original_id(tmp_path: Path) -> Path:
    """The answer's `<|file-1|>` written as the original id over several chunks, as the
    held-out recordings have it (`…'b','414','ce',…'|','>.'`): the recorder's string
    replacement never saw the whole id, so the answer kept it."""
    obj = parse_json(corpus_file(MAPPED).read_bytes())
    body = obj["response"]["body"]
    at = content_chunk(body, "<|file-1|>.")
    head = choice_delta(body[at])["content"].split("<|file-1|>")[0]
    id_pieces = [ORIGINAL_ID[:7], ORIGINAL_ID[7:10], ORIGINAL_ID[10:14], ORIGINAL_ID[14:]]
    pieces = [head + "<", "|", *id_pieces, "|", ">."]
    split = []
    for piece in pieces:
        item = copy.deepcopy(body[at])
        choice_delta(item)["content"] = piece
        split.append(item)
    body[at : at + 1] = split
    return write_copy(tmp_path, corpus_file(MAPPED), obj)


def cite_the_file_id(tmp_path: Path) -> Path:
    """The UUID marker's chunks rewritten to name the chunk's `attributes.file_id`."""
    obj = parse_json(corpus_file(UUID_CITED).read_bytes())
    body = obj["response"]["body"]
    start = next(i for i, item in enumerate(body) if choice_delta(item).get("content") == "|") + 1
    end = next(i for i in range(start, len(body)) if choice_delta(body[i]).get("content") == "|")
    assert "".join(choice_delta(body[i])["content"] for i in range(start, end)) == DOCUMENT_ID
    id_pieces = [FILE_ID[:5], FILE_ID[5:9], FILE_ID[9:]]
    for number, i in enumerate(range(start, end)):
        choice_delta(body[i])["content"] = id_pieces[number] if number < len(id_pieces) else ""
    return write_copy(tmp_path, corpus_file(UUID_CITED), obj)


# ------------------------------------------------------------------ raw-HTTP and Interactions

INTERACTIONS_TOOL_CALL = "190a176922b9"  # status 200: the model asks for get_weather(Paris)
INTERACTIONS_SPACED_ERROR = "1151b20ef79f"  # status 400, the server's message holds runs of spaces
MESSAGES_ERROR = "cf0be7f9e2eb"  # Anthropic Messages, status 400
SDK_EXCEPTION = "f300a8b24123"  # a recorded provider_sdk exception, body null
WEATHER = {"temperature": "22 C", "conditions": "sunny"}


def interactions_function_turns(tmp_path: Path) -> Path:
    """The follow-up of the get_weather call as held-out recordings send it: the model's call
    with `args` (not `arguments`) and the result as a `function_response` part."""
    source = corpus_file(INTERACTIONS_TOOL_CALL)
    obj = parse_json(source.read_bytes())
    payload = obj["request"]["payload"]
    question = payload["input"]
    payload["input"] = [
        {"role": "user", "content": question},
        {
            "role": "model",
            "content": [
                {
                    "type": "function_call",
                    "id": "o5slgqcy",
                    "name": "get_weather",
                    "args": {"location": "Paris"},
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "function_response", "id": "o5slgqcy", "name": "get_weather", "response": WEATHER}
            ],
        },
    ]
    return write_copy(tmp_path, source, obj)


SPACED_MESSAGE = 'messages is required\n\n  (got:   {"model": "x"})\t end  '


def error_body_with_layout(tmp_path: Path) -> Path:
    """An Anthropic error body whose message has newlines, a tab and runs of spaces."""
    source = corpus_file(MESSAGES_ERROR)
    obj = parse_json(source.read_bytes())
    obj["response"]["body"]["error"]["message"] = SPACED_MESSAGE
    return write_copy(tmp_path, source, obj)


def exception_with_layout(tmp_path: Path) -> Path:
    """A recorded SDK exception whose message spans lines."""
    source = corpus_file(SDK_EXCEPTION)
    obj = parse_json(source.read_bytes())
    obj["response"]["exception_data"]["message"] = SPACED_MESSAGE
    return write_copy(tmp_path, source, obj)


# ------------------------------------------------------------------ n > 1

SEED_ANSWER = "ccf305c14285"  # streamed: "The Llama 4 Maverick model has 128 experts <|file-…|>."
SAFE_VERDICT = "11e26e730d6f"  # not streamed: "safe"


def second_choice_stream(tmp_path: Path) -> Path:
    """The seed answer as an `n: 2` stream: after each chunk of choice 0 comes one of choice 1,
    which writes "one hundred twenty-eight" where choice 0 writes "128" (interleaved, as
    OpenAI sends the choices of one request)."""
    source = corpus_file(SEED_ANSWER)
    obj = parse_json(source.read_bytes())
    obj["request"]["body"]["n"] = 2
    body = []
    for item in obj["response"]["body"]:
        body.append(item)
        choices = item["__data__"]["choices"]
        if choices:
            other = copy.deepcopy(item)
            choice = other["__data__"]["choices"][0]
            choice["index"] = 1
            delta = choice["delta"]
            if delta.get("content"):
                delta["content"] = delta["content"].replace("128", "one hundred twenty-eight")
            body.append(other)
    obj["response"]["body"] = body
    return write_copy(tmp_path, source, obj)


def second_choice_completion(tmp_path: Path) -> Path:
    """A non-streamed verdict with a second choice saying "unsafe"."""
    source = corpus_file(SAFE_VERDICT)
    obj = parse_json(source.read_bytes())
    obj["request"]["body"]["n"] = 2
    choices = obj["response"]["body"]["__data__"]["choices"]
    other = copy.deepcopy(choices[0])
    other["index"] = 1
    other["message"]["content"] = "unsafe"
    choices.append(other)
    return write_copy(tmp_path, source, obj)


TOOL_RESULT = "54aa690e31b5"  # a Tavily web search
TOOL_ERROR = "Tavily error: 432  usage limit\nexceeded"


def failed_tool_invocation(tmp_path: Path) -> Path:
    """The web search as a failed invocation: no content, an error message and code."""
    source = corpus_file(TOOL_RESULT)
    obj = parse_json(source.read_bytes())
    data = obj["response"]["body"]["__data__"]
    data.update(content=None, error_message=TOOL_ERROR, error_code=432)
    return write_copy(tmp_path, source, obj)
