"""The conversation model every recording is read into.

Plain dataclasses, no Textual and no IO: the app, the headless commands and the
live comparison all consume these. `Recording` is the whole file assembled;
`Summary` is the small per-file row the catalog keeps (never the bodies).
"""

from __future__ import annotations

import operator
import sys
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from tui_replay.recording.limits import loads_nested_json

# Where a recording comes from: a llama-stack / OGX JSON file, or one interaction of a vcrpy cassette.
LLAMA_STACK = "llama-stack"
VCR = "vcr"


def interaction_address(file: str, interaction: int | None) -> str:
    """How a row is addressed and shown: the file, or `file#N` for interaction N of a cassette."""
    return file if interaction is None else f"{file}#{interaction}"


def address_file(address: str, interaction: int | None) -> str:
    """The file part of an `interaction_address`."""
    if interaction is None:
        return address
    suffix = f"#{interaction}"
    return address[: -len(suffix)] if address.endswith(suffix) else address


def split_address(address: str) -> tuple[str, int | None]:
    """`file#N` as (file, N); anything else as (address, None). Only a decimal N counts."""
    file, sep, number = address.rpartition("#")
    if sep and file and number.isdigit() and number.isascii() and len(number) < 10:
        return file, int(number)
    return address, None


class RecordingError(Exception):
    """The one error the loader raises: a file that cannot be read as a recording.

    `reason` is a single line meant for a user (no traceback, no newlines).
    """

    def __init__(self, reason: str) -> None:
        reason = " ".join(str(reason).split())
        super().__init__(reason)
        self.reason = reason


class Kind(StrEnum):
    """What a recording is, decided from its body (`__type__` and keys), not from `endpoint`."""

    CHAT = "chat"  # OpenAI chat completions, streamed or not (also Ollama /api/chat)
    COMPLETION = "completion"  # OpenAI legacy text completions
    GENERATE = "generate"  # Ollama /api/generate
    EMBEDDINGS = "embeddings"  # OpenAI /v1/embeddings, Ollama /api/embeddings
    MODELS = "models"  # /v1/models lists, Ollama /api/tags and /api/ps
    GEMINI = "gemini"  # google-genai generate_content(_stream)
    MESSAGES = "messages"  # Anthropic Messages via raw HTTP payload
    INTERACTIONS = "interactions"  # Gemini Interactions via raw HTTP payload
    RESPONSES = "responses"  # OpenAI Responses API (JSON or streamed events)
    REALTIME = "realtime"  # a realtime (websocket) session: one cassette, replayed as a timeline
    EMPTY = "empty"  # a cassette with no interactions (the test made no call)
    RERANK = "rerank"  # vLLM /rerank via raw HTTP payload
    TOOL = "tool"  # tool invocation (Tavily web search)
    FILE = "file"  # file processor (pypdf)
    ERROR = "error"  # a recorded exception with no body
    UNKNOWN = "unknown"  # a shape no rule knows: opens with its raw body


@dataclass(slots=True)
class ToolCall:
    """One tool call: from a request message, or merged from response fragments by index."""

    index: int
    id: str | None
    name: str
    arguments: str  # the joined argument string, exactly as sent ("" when none)

    def parsed_arguments(self) -> tuple[Any, str | None]:
        """(value, None) when `arguments` is valid JSON, else (None, one-line reason)."""
        if self.arguments.strip() == "":
            return {}, None
        try:
            return loads_nested_json(self.arguments), None
        except ValueError as exc:
            return None, f"arguments are not valid JSON: {exc}"


@dataclass(slots=True)
class ContentPart:
    """A piece of message content. Images are placeholders, never their base64."""

    type: str  # "text", "image", "tool_use", "tool_result", "thinking", "other"
    text: str  # text for text parts; a placeholder such as "[image: image/png, 312 KB]"


@dataclass(slots=True)
class Message:
    role: str  # system, developer, user, assistant, tool (Gemini "model" -> assistant)
    text: str  # the text parts joined; image parts as their placeholder text
    parts: list[ContentPart] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None  # on role "tool": the call this result answers
    name: str | None = None  # tool/function name where the format gives one
    reasoning: str | None = None


@dataclass(slots=True)
class ToolSpec:
    """A tool offered in the request."""

    name: str
    description: str = ""
    parameters: dict[str, Any] | None = None  # JSON schema as declared


@dataclass(slots=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        """The counts as the `--json` outputs print them (`show`, `compare`)."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(slots=True)
class ExceptionInfo:
    type: str | None
    status: int | None
    message: str  # exactly as recorded (runs of spaces, newlines): one_line() it for a row


class EventKind(StrEnum):
    TEXT = "text"
    REASONING = "reasoning"
    TOOL_CALL = "tool_call"
    FINISH = "finish"
    USAGE = "usage"
    NOTE = "note"  # a session event shown in the timeline, not part of the answer (realtime)


@dataclass(slots=True)
class Event:
    """One step of the replay timeline. Several events can come from one chunk."""

    chunk: int  # index of the stream item that carried it (0 for a non-streamed body)
    kind: EventKind
    text: str = ""  # TEXT / REASONING delta; TOOL_CALL argument fragment
    tool_index: int | None = None  # TOOL_CALL: which call (merge key)
    tool_id: str | None = None  # TOOL_CALL: set on the fragment that carries it
    tool_name: str | None = None  # TOOL_CALL: set on the fragment that carries it
    finish_reason: str | None = None  # FINISH
    usage: Usage | None = None  # USAGE
    at: float | None = None  # seconds since the request was sent, when really measured


@dataclass(slots=True)
class Response:
    """The response as one final message, whatever its shape on disk."""

    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    chunks: int = 0  # stream items (0 when not streamed)
    exception: ExceptionInfo | None = None
    status: int | None = None  # HTTP status for raw-HTTP recordings
    model: str | None = None  # model the body names
    # Kind-specific digest for non-chat kinds, e.g. {"count": 1, "dimensions": 1536},
    # {"models": ["gpt-4o", ...]}, {"result": "..."}.
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Choice:
    """One answer of a request that asked for several (`n > 1`): OpenAI's `choices[index]`."""

    index: int
    response: Response
    timeline: list[Event] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)


@dataclass(slots=True)
class RetrievedChunk:
    """One `[n] document_id: …` block of a file-search tool result."""

    rank: int  # the n in "[n]"
    document_id: str
    filename: str | None
    score: float | None
    attributes: dict[str, Any]  # parsed from the Python repr
    text: str  # the chunk text after the header line
    marker: str  # the cite marker the block asks for, e.g. "<|file-383513632278|>"
    message_index: int  # index into Recording.messages of the tool message holding it
    cited: bool = False  # some marker in the answer names it


@dataclass(slots=True)
class Citation:
    """A marker in the answer, linked to what it cites."""

    marker: str  # exactly as in the answer, e.g. "<|file-383513632278|>"
    document_id: str
    start: int  # offsets of the marker in Response.text
    end: int
    chunks: list[int] = field(default_factory=list)  # indexes into Recording.retrieved
    filename: str | None = None  # from the best-scoring cited chunk
    score: float | None = None
    text: str = ""
    # How a marker naming no retrieved document id was resolved: None (it names one),
    # "id_normalization_mapping" or "attributes.file_id" (citations.VIA_*).
    via: str | None = None

    @property
    def resolved(self) -> bool:
        """False when the marker cites nothing that was retrieved."""
        return bool(self.chunks)


@dataclass(slots=True)
class Recording:
    """A whole recording file, assembled."""

    path: str
    kind: Kind
    test_id: str | None
    endpoint: str | None
    url: str | None
    model: str | None
    streaming: bool  # the recorded is_streaming
    messages: list[Message] = field(default_factory=list)
    tools: list[ToolSpec] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)  # call parameters besides messages/tools
    response: Response = field(default_factory=Response)
    timeline: list[Event] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[RetrievedChunk] = field(default_factory=list)
    request_raw: dict[str, Any] = field(default_factory=dict)
    response_raw: dict[str, Any] = field(default_factory=dict)
    # Per-chunk arrival times (seconds) when the file is a live capture of ours.
    chunk_times: list[float] | None = None
    format: str = LLAMA_STACK  # LLAMA_STACK or VCR
    interaction: int | None = None  # index in the cassette (VCR); None for a llama-stack file
    # Every answer, by index, when the body holds several (n > 1); `response`, `timeline` and
    # `citations` above are choice 0's. Empty for a single answer.
    choices: list[Choice] = field(default_factory=list)

    @property
    def choice_count(self) -> int:
        return max(1, len(self.choices))

    def for_choice(self, position: int) -> Recording:
        """This recording showing `choices[position]` as its answer (itself for a single answer)."""
        if not 0 <= position < len(self.choices):
            return self
        choice = self.choices[position]
        return replace(self, response=choice.response, timeline=choice.timeline, citations=choice.citations)


@dataclass(slots=True)
class Summary:
    """The per-file row of a listing: cheap to keep thousands of, cached on disk."""

    path: str
    status: str  # "ok" or "error"
    error: str | None = None
    test_id: str | None = None
    kind: str | None = None
    endpoint: str | None = None
    model: str | None = None
    streaming: bool | None = None
    chunks: int = 0
    tool_calls: int = 0
    citations: int = 0
    exception: bool = False
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    size: int = 0
    mtime_ns: int = 0
    # Cheap preview for the browse screen (truncated, literal text).
    first_user: str = ""
    answer_start: str = ""
    choices: int = 1  # answers in the response (n > 1 requests have several)
    # The file name against the request hash (request_hash.KeyStatus.summary_label): "current",
    # "older <since> <expected name>", "mis-keyed <expected name>" or "opaque". None until
    # computed (summary.summary_key, on demand: a listing does not), always None for unreadable
    # files and cassette interactions.
    key: str | None = None
    format: str = LLAMA_STACK  # LLAMA_STACK or VCR
    interaction: int | None = None  # index in the cassette (VCR); None for a llama-stack file
    capture: bool = False  # a live capture of ours (`compare --save`, the app's `s`): has chunk times

    # Field order of `tui-replay list --json` (a contract other tools rely on).
    JSON_FIELDS = (
        "path",
        "status",
        "error",
        "test_id",
        "kind",
        "endpoint",
        "model",
        "streaming",
        "chunks",
        "tool_calls",
        "citations",
        "exception",
        "prompt_tokens",
        "completion_tokens",
        "choices",
        "format",
        "interaction",
        "capture",
    )

    def to_json(self) -> dict[str, Any]:
        # (strict=False: the two have the same length by construction, and the check costs a
        # sixth of the call on a 100,000-row listing.)
        return dict(zip(self.JSON_FIELDS, _json_values(self), strict=False))

    @property
    def file(self) -> str:
        """The file this row comes from (`path` without the `#N` of a cassette interaction)."""
        return address_file(self.path, self.interaction)

    def tokens_label(self) -> str:
        """ "prompt+completion"; only the known side when one is missing (embeddings have no completion)."""
        prompt, completion = self.prompt_tokens, self.completion_tokens
        if prompt is None and completion is None:
            return ""
        if completion is None:
            return str(prompt)
        if prompt is None:
            return f"+{completion}"
        return f"{prompt}+{completion}"


_json_values = operator.attrgetter(*Summary.JSON_FIELDS)  # Summary.to_json's values, in order

# Fields whose few distinct values repeat over many rows (a test makes several recordings; a
# tree has a handful of models, endpoints and kinds). Each row read from JSON carries its own
# copies; a listing kept in memory shares one string per value instead.
_SHARED_FIELDS = ("status", "test_id", "kind", "endpoint", "model", "format")

_shared_values = operator.attrgetter(*_SHARED_FIELDS)


def share_repeated_strings(rows: list[Summary]) -> None:
    """Replace the repeated strings of `rows` by one shared (interned) copy each."""
    # Field by field, not a loop over _SHARED_FIELDS with getattr/setattr: a loading pass over
    # 100,000 rows takes 0.08 s instead of 0.19 s.
    intern = sys.intern
    for row in rows:
        status, test_id, kind, endpoint, model, format_ = _shared_values(row)
        # (`type(...) is str`: None stays, and sys.intern refuses a str subclass.)
        if type(status) is str:
            row.status = intern(status)
        if type(format_) is str:
            row.format = intern(format_)
        if type(test_id) is str:
            row.test_id = intern(test_id)
        if type(kind) is str:
            row.kind = intern(kind)
        if type(endpoint) is str:
            row.endpoint = intern(endpoint)
        if type(model) is str:
            row.model = intern(model)
