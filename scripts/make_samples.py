"""Regenerate tui-replay's sample recordings in recordings/.

Each sample is a real request made with the official openai client against the local
llama.cpp server (Qwen2.5-Coder-0.5B-Instruct) and written in the llama-stack recorder's
format by tui_replay.live.record_format: same layout, same file names (request hash),
ids/created normalized the way the recorder does. What this server cannot produce
(embeddings, a cited file-search answer the tiny model does not write) is built by hand
and marked as such in recordings/README.md, which this script keeps up to date.

    .venv/bin/python scripts/make_samples.py                # starts the local server itself
    .venv/bin/python scripts/make_samples.py --base-url http://127.0.0.1:8080/v1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # live_server.py, the shared launcher

import openai  # noqa: E402
from live_server import MODEL_ALIAS, LiveServer, LiveServerError  # noqa: E402
from openai.types.chat import ChatCompletionChunk  # noqa: E402
from openai.types.create_embedding_response import CreateEmbeddingResponse  # noqa: E402

from tui_replay.live import record_format as rf  # noqa: E402

MODEL = MODEL_ALIAS
SERVER_LOG = REPO / ".venv-llm" / "make_samples-server.log"
TEST_FILE = "tests/integration/samples/test_samples.py"
PARAMS = f"txt=llamacpp/{MODEL}"
# The base URL written into request.url. A fixed, typical llama.cpp address rather than the
# random port of this run, so that regenerating gives the same files (the hash uses only the path).
RECORDED_BASE_URL = "http://localhost:8080/v1"
SEED = 42
README = REPO / "recordings" / "README.md"
TABLE_BEGIN = "<!-- samples:begin (written by scripts/make_samples.py) -->"
TABLE_END = "<!-- samples:end -->"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name, e.g. Paris"}},
            "required": ["city"],
        },
    },
}
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "knowledge_search",
        "description": "Search for information in the uploaded documents",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string", "description": "The search query"}},
            "required": ["query"],
        },
    },
}
# The same marker regex the spec gives (§7): file-… ids or UUIDs only.
MARKER = re.compile(r"<\|(file-[A-Za-z0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\|>")


def test_id(name: str, params: str = PARAMS) -> str:
    return f"{TEST_FILE}::test_{name}[{params}]"


@dataclass
class Sample:
    name: str
    origin: str  # "live" or "hand-built" (+ why)
    description: str
    recording: dict[str, Any]
    file_name: str = ""
    notes: list[str] = field(default_factory=list)


class SampleMaker:
    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client
        self.samples: list[Sample] = []

    @classmethod
    def for_server(cls, base_url: str) -> SampleMaker:
        # A local server needs no key; a placeholder satisfies the client and is never stored.
        return cls(openai.OpenAI(base_url=base_url, api_key="sk-no-key-required", max_retries=0, timeout=300))

    def _add(self, name: str, origin: str, description: str, recording: dict[str, Any]) -> Sample:
        sample = Sample(name, origin, description, recording, rf.recording_file_name(recording))
        self.samples.append(sample)
        print(f"  {name:<28} {origin:<10} {sample.file_name}", flush=True)
        return sample

    def _record(
        self, *, tid: str, endpoint: str, body: dict[str, Any], response: Any, streaming: bool, **extra
    ):
        return rf.recording_dict(
            test_id=tid,
            endpoint=endpoint,
            base_url=RECORDED_BASE_URL,
            body=body,
            model=body.get("model", ""),
            response_body=response,
            is_streaming=streaming,
            normalize_ids=True,
            **extra,
        )

    def chat(
        self, name: str, description: str, *, keep_times: bool = False, **kwargs: Any
    ) -> tuple[Sample, list[Any] | Any]:
        """One live chat completion, streamed or not, recorded as the recorder would."""
        body = {"model": MODEL, **kwargs, "temperature": 0, "seed": SEED}
        tid = test_id(name)
        started = time.perf_counter()
        if body.get("stream"):
            chunks, times = [], []
            for chunk in self.client.chat.completions.create(**body):
                times.append(time.perf_counter() - started)
                chunks.append(chunk)
            rec = self._record(
                tid=tid,
                endpoint="/v1/chat/completions",
                body=body,
                response=chunks,
                streaming=True,
                chunk_times=[round(t, 3) for t in times] if keep_times else None,
            )
            return self._add(name, "live", description, rec), chunks
        completion = self.client.chat.completions.create(**body)
        rec = self._record(
            tid=tid, endpoint="/v1/chat/completions", body=body, response=completion, streaming=False
        )
        return self._add(name, "live", description, rec), completion

    # --- the samples -------------------------------------------------------------------

    def streamed_answer(self) -> None:
        self.chat(
            "streamed_answer",
            "A short streamed answer.",
            messages=[{"role": "user", "content": "In two sentences, what is a Python decorator?"}],
            max_tokens=120,
            stream=True,
        )

    def long_streamed_answer(self) -> None:
        sample, chunks = self.chat(
            "long_streamed_answer",
            "A long streamed answer (code block + explanation) to make replay interesting; "
            "keeps the real per-chunk arrival times in `tui_replay_chunk_times`.",
            keep_times=True,
            messages=[
                {
                    "role": "user",
                    "content": "Write a short Python function that checks whether a string is a palindrome, "
                    "then explain how it works in a few sentences.",
                }
            ],
            max_tokens=300,
            stream=True,
        )
        if len(chunks) < 150:
            sample.notes.append(f"only {len(chunks)} chunks")

    def non_streamed_answer(self) -> None:
        self.chat(
            "non_streamed_answer",
            "A plain (not streamed) chat completion with usage.",
            messages=[
                {"role": "system", "content": "You are a concise assistant."},
                {"role": "user", "content": "In one sentence, what is a Python list comprehension?"},
            ],
            max_tokens=80,
        )

    def tool_call_and_follow_up(self) -> None:
        question = "What is the weather like in Paris right now?"
        _, chunks = self.chat(
            "streamed_tool_call",
            "A streamed tool call, forced by naming the function in tool_choice "
            "(this server only emits tool_calls that way).",
            messages=[{"role": "user", "content": question}],
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
            stream=True,
        )
        call_id, call_name, arguments = assemble_tool_call(chunks)
        self.chat(
            "tool_call_follow_up",
            'The follow-up turn: assistant tool_calls (content "") and a plain-string tool result.',
            messages=[
                {"role": "user", "content": question},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": call_name, "arguments": arguments},
                        }
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    # With a bare data string the tiny model echoes JSON; this wording gets a sentence.
                    "content": "It is 18 degrees Celsius in Paris with light rain and a westerly wind "
                    "of 12 km/h. Tell the user in a friendly sentence.",
                },
            ],
            max_tokens=120,
            stream=True,
        )

    def non_streamed_tool_call(self) -> None:
        self.chat(
            "non_streamed_tool_call",
            "A tool call in a plain (not streamed) completion, forced by tool_choice.",
            messages=[{"role": "user", "content": "Is it raining in Lyon?"}],
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        )

    def truncated_answer(self) -> None:
        self.chat(
            "truncated_answer",
            "A streamed answer cut off by max_tokens (finish_reason `length`).",
            messages=[{"role": "user", "content": "Name the planets of the solar system, one fact each."}],
            max_tokens=16,
            stream=True,
        )

    def recorded_error(self) -> None:
        """A request the server rejects: assistant content null (it accepts only strings)."""
        name = "recorded_error"
        body = {
            "model": MODEL,
            "messages": [
                {"role": "user", "content": "What is the weather like in Paris right now?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_0",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_0", "content": "18 degrees Celsius, light rain."},
            ],
            "tools": [WEATHER_TOOL],
            "temperature": 0,
            "seed": SEED,
        }
        try:
            self.client.chat.completions.create(**body)
        except openai.APIStatusError as exc:
            rec = self._record(
                tid=test_id(name),
                endpoint="/v1/chat/completions",
                body=body,
                response=None,
                streaming=False,
                exception=exc,
            )
            self._add(
                name,
                "live",
                f"A request the server rejected (assistant content null): HTTP {exc.status_code}, "
                f"stored as a recorded {type(exc).__name__} with body null.",
                rec,
            )
            return
        raise SystemExit("recorded_error: the server accepted a request it was expected to reject")

    def file_search(self) -> None:
        question = "How many experts does the Llama 4 Maverick model have?"
        _, chunks = self.chat(
            "file_search_tool_call",
            "File search, turn 1: the streamed knowledge_search tool call (forced).",
            messages=[{"role": "user", "content": question}],
            tools=[SEARCH_TOOL],
            tool_choice={"type": "function", "function": {"name": "knowledge_search"}},
            stream=True,
        )
        call_id, call_name, arguments = assemble_tool_call(chunks)

        name = "file_search_answer"
        tid = test_id(name)
        # Deterministic file ids as the stack allocates them per test (§8.3).
        base = int(hashlib.sha256(tid.encode()).hexdigest(), 16) % 10**12
        files = [
            (
                f"file-{base + 1}",
                "llama_stack_and_models.pdf",
                0.8123456789,
                "Llama 4 Maverick is a mixture-of-experts model with 17 billion active parameters "
                "and 128 experts. It is natively multimodal.",
            ),
            (
                f"file-{base + 2}",
                "llama_4_scout.pdf",
                0.5012345678,
                "Llama 4 Scout has 16 experts and 17 billion active parameters; "
                "it fits on a single H100 GPU.",
            ),
        ]
        tool_text = file_search_tool_result(question, files)
        body = {
            "model": MODEL,
            "messages": [
                {
                    "role": "system",
                    "content": "You are a helpful assistant. When a sentence uses a search result, end it "
                    "with that result's cite marker copied exactly, e.g. 'Paris is in France <|file-12|>.'",
                },
                {"role": "user", "content": question},
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": call_name, "arguments": arguments},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": call_id, "content": tool_text},
            ],
            "tools": [SEARCH_TOOL],
            "stream": True,
            "max_tokens": 120,
            "temperature": 0,
            "seed": SEED,
        }
        live = list(self.client.chat.completions.create(**body))
        live_text = "".join(c.choices[0].delta.content or "" for c in live if c.choices)
        known = {file_id for file_id, *_ in files}
        markers = [m.group(1) for m in MARKER.finditer(live_text)]
        description = (
            "File search, turn 2: the tool message holds `[n] document_id: … cite as <|file-…|>` blocks; "
            "the answer cites one with a `<|file-…|>` marker split across chunks."
        )
        if markers and all(m in known for m in markers) and len(MARKER.sub("", live_text).strip()) > 20:
            rec = self._record(
                tid=tid, endpoint="/v1/chat/completions", body=body, response=live, streaming=True
            )
            self._add(name, "live", description, rec)
            return
        # The tiny model does not write a sentence with a valid marker: keep the real request,
        # hand-build the streamed answer in the server's own chunk shape.
        answer = [
            "The",
            " Llama",
            " ",
            "4",
            " Maverick",
            " model",
            " has",
            " ",
            "1",
            "2",
            "8",
            " experts",
            " <",
            "|",
            "file",
            "-",
            files[0][0][5:9],
            files[0][0][9:13],
            files[0][0][13:],
            "|",
            ">.",
        ]
        assert "".join(answer) == f"The Llama 4 Maverick model has 128 experts <|{files[0][0]}|>."
        rec = self._record(
            tid=tid,
            endpoint="/v1/chat/completions",
            body=body,
            response=text_chunks(answer, template=live[0]),
            streaming=True,
        )
        sample = self._add(name, "hand-built", description, rec)
        sample.origin = "hand-built answer"
        sample.notes.append(
            "request sent live; the model's real answer had no valid marker "
            f"({summarize(live_text)!r}), so the streamed answer chunks were built by hand"
        )

    def unsafe_text(self) -> None:
        self.chat(
            "unsafe_text",
            "Text that must render literally: Rich markup, ANSI colour codes, an OSC title escape, "
            "a carriage return (in the request; the model echoes most of it in the answer).",
            messages=[
                {
                    "role": "user",
                    "content": "Repeat this text exactly, character for character: [bold]not bold[/bold] "
                    "\x1b[31mred\x1b[0m \x1b]0;evil title\x07 line one\rline two",
                }
            ],
            max_tokens=80,
            stream=True,
        )

    def model_list(self) -> None:
        name = "model_list"
        models = list(self.client.models.list())
        rec = self._record(
            tid=test_id(name), endpoint="/v1/models", body={}, response=models, streaming=False
        )
        self._add(
            name, "live", "GET /v1/models via client.models.list(): a list of typed Model objects.", rec
        )

    def embeddings(self) -> None:
        name = "embeddings"
        inputs = ["What is a mixture-of-experts model?", "Llama 4 Maverick has 128 experts.", "It is raining"]
        embed_model = "tiny-embed-64"
        body = {"model": embed_model, "input": inputs, "encoding_format": "float"}
        response = CreateEmbeddingResponse.model_validate(
            {
                "object": "list",
                "model": embed_model,
                "data": [
                    {"object": "embedding", "index": i, "embedding": fake_embedding(text, 64)}
                    for i, text in enumerate(inputs)
                ],
                "usage": {
                    "prompt_tokens": sum(len(t.split()) for t in inputs),
                    "total_tokens": sum(len(t.split()) for t in inputs),
                },
            }
        )
        rec = self._record(
            tid=test_id(name, f"emb=handmade/{embed_model}"),
            endpoint="/v1/embeddings",
            body=body,
            response=response,
            streaming=False,
        )
        sample = self._add(
            name,
            "hand-built",
            "Embeddings (3 inputs x 64 dimensions, deterministic numbers derived from the text).",
            rec,
        )
        sample.notes.append("the local server runs without embeddings")


def assemble_tool_call(chunks: list[ChatCompletionChunk]) -> tuple[str, str, str]:
    """(id, name, arguments) of the first streamed tool call; the server repeats id and name."""
    call_id = name = None
    arguments = []
    for chunk in chunks:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                if call.index != 0:
                    continue
                call_id = call_id or call.id
                if call.function:
                    name = name or call.function.name
                    arguments.append(call.function.arguments or "")
    if not (call_id and name):
        raise SystemExit("the server did not stream a tool call")
    return call_id, name, "".join(arguments)


def text_chunks(pieces: list[str], *, template: ChatCompletionChunk) -> list[ChatCompletionChunk]:
    """Stream chunks in the server's shape: a role chunk, one per piece, a finish chunk."""
    base = template.model_dump(mode="json")

    def chunk(delta: dict[str, Any], finish: str | None) -> ChatCompletionChunk:
        data = json.loads(json.dumps(base))
        empty = dict.fromkeys(("audio", "content", "function_call", "refusal", "role", "tool_calls"))
        data["choices"] = [
            {"delta": {**empty, **delta}, "index": 0, "finish_reason": finish, "logprobs": None}
        ]
        return ChatCompletionChunk.model_validate(data)

    return [
        chunk({"role": "assistant"}, None),
        *(chunk({"content": piece}, None) for piece in pieces),
        chunk({}, "stop"),
    ]


def file_search_tool_result(question: str, files: list[tuple[str, str, float, str]]) -> str:
    """The knowledge_search tool result text in the stack's block format (§7), as one string."""
    parts = [f"knowledge_search tool found {len(files)} chunks:\nBEGIN of knowledge_search tool results.\n"]
    for rank, (file_id, filename, score, text) in enumerate(files, start=1):
        attributes = {
            "filename": filename,
            "document_id": file_id,
            "token_count": float(len(text.split()) + 20),
            "metadata_token_count": 11.0,
        }
        parts.append(
            f"[{rank}] document_id: {file_id}, score: {score}, attributes: {attributes!r} "
            f"cite as <|{file_id}|>\n{text}\n"
        )
    parts.append("END of knowledge_search tool results.\n")
    parts.append(
        f'The above results were retrieved to help answer the user\'s query: "{question}". '
        "Use them as supporting information only in answering this query. Cite sources immediately at the "
        "end of sentences before punctuation, using `<|file-id|>` format (e.g., 'This is a fact "
        "<|file-Cn3MSNn72ENTiiq11Qda4A|>.'). Do not add extra punctuation. Use only the file IDs provided "
        "(do not invent new ones).\n"
    )
    return "".join(parts)


def fake_embedding(text: str, dims: int) -> list[float]:
    """A unit vector of `dims` floats derived from sha256 of the text: same text, same numbers."""
    raw = []
    counter = 0
    while len(raw) < dims:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        raw.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    raw = raw[:dims]
    norm = math.sqrt(sum(x * x for x in raw))
    return [round(x / norm, 6) for x in raw]


def summarize(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the local server -------------------------------------------------------------------


@contextmanager
def local_server(timeout: float = 120.0) -> Iterator[str]:
    """Start the llama.cpp server on a free port (scripts/live_server.py); yield its base URL; stop it."""
    server = LiveServer(ready_timeout=timeout, keep_log=SERVER_LOG)
    try:
        server.start()
    except LiveServerError as exc:
        raise SystemExit(f"the local server could not be started: {exc} (log: {SERVER_LOG})") from None
    try:
        print(f"local server ready at {server.base_url} (pid {server.process.pid})", flush=True)
        yield server.base_url
    finally:
        server.stop()


# --- output -------------------------------------------------------------------------------


def write_samples(samples: list[Sample], out_dir: Path) -> None:
    """Replace the sample files in out_dir (only *.json there; the README is kept)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [s.file_name for s in samples]
    if len(set(names)) != len(names):
        raise SystemExit("two samples got the same file name")
    for old in out_dir.glob("*.json"):
        if old.name not in names:
            old.unlink()
    for sample in samples:
        rf.write_recording_atomic(out_dir / sample.file_name, sample.recording, overwrite=True)


def samples_table(samples: list[Sample]) -> str:
    rows = ["| sample (test id `test_<name>`) | made | file | what it shows |", "|---|---|---|---|"]
    for s in samples:
        body = s.recording["response"]["body"]
        count = f" ({len(body)} chunks)" if s.recording["response"]["is_streaming"] else ""
        notes = "".join(f" *Note: {n}.*" for n in s.notes)
        what = f"{s.description}{count}{notes}".replace("|", "\\|")  # markers hold pipes
        rows.append(f"| `{s.name}` | {s.origin} | `{s.file_name}` | {what} |")
    return "\n".join(rows)


def update_readme(samples: list[Sample]) -> None:
    if not README.exists():
        return
    text = README.read_text(encoding="utf-8")
    if TABLE_BEGIN not in text or TABLE_END not in text:
        print(f"note: {README} has no samples table markers; table not updated", file=sys.stderr)
        return
    head, rest = text.split(TABLE_BEGIN, 1)
    _, tail = rest.split(TABLE_END, 1)
    README.write_text(f"{head}{TABLE_BEGIN}\n{samples_table(samples)}\n{TABLE_END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base-url", help="an OpenAI-compatible server to use (default: start the local one)"
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "recordings", help="output folder (default: recordings/)"
    )
    args = parser.parse_args(argv)

    def run(base_url: str) -> list[Sample]:
        maker = SampleMaker.for_server(base_url)
        maker.streamed_answer()
        maker.long_streamed_answer()
        maker.non_streamed_answer()
        maker.tool_call_and_follow_up()
        maker.non_streamed_tool_call()
        maker.truncated_answer()
        maker.file_search()
        maker.unsafe_text()
        maker.recorded_error()
        maker.model_list()
        maker.embeddings()
        return maker.samples

    if args.base_url:
        samples = run(args.base_url)
    else:
        with local_server() as base_url:
            samples = run(base_url)
    write_samples(samples, args.out)
    if args.out.resolve() == README.parent.resolve():
        update_readme(samples)
    print(f"wrote {len(samples)} recordings to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
