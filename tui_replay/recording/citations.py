"""File-search result blocks in tool messages, and the citation markers of the answer (§7)."""

from __future__ import annotations

import ast
import re
from typing import Any

from tui_replay.recording.model import Citation, Message, RetrievedChunk

BLOCK_PATTERN = re.compile(
    r"^\[(\d+)\] document_id: ([^,]+), score: ([-+0-9.eE]+), attributes: (\{[^}]*\})\s*"
    r"\(?cite as (<\|[^|]+\|>)\)?\n(.*)$",
    re.DOTALL,
)
# Strict on purpose: a looser <|…|> would take Llama's <|python_tag|> and the prompt's <|file-id|> example.
MARKER_PATTERN = re.compile(
    r"<\|(file-[A-Za-z0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\|>"
)
_BLOCK_START = re.compile(r"(?m)^(?=\[\d+\] document_id: )")
_RESULTS_END = re.compile(r"\n(?:END of \w+ tool results\.|The above results were retrieved)")
_MAX_ATTRIBUTES = 20_000  # literal_eval on a huge repr is slow; the real ones are < 1 KB


def parse_attributes(raw: str) -> dict[str, Any]:
    """The Python-repr attributes dict; on failure {} with the raw text under "_raw"."""
    if len(raw) <= _MAX_ATTRIBUTES:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            value = None
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
    return {"_raw": raw}


def _score(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


def retrieved_chunks(messages: list[Message]) -> list[RetrievedChunk]:
    """Every `[n] document_id: …` block in the role=tool messages of one request."""
    chunks: list[RetrievedChunk] = []
    for message_index, message in enumerate(messages):
        if message.role != "tool" or "document_id: " not in message.text:
            continue
        texts = [p.text for p in message.parts if p.type in ("text", "tool_result")] or [message.text]
        for text in texts:
            if "document_id: " not in text:
                continue
            for piece in _BLOCK_START.split(text):
                match = BLOCK_PATTERN.match(piece)
                if match is None:
                    continue
                rank, document_id, score, attributes, marker, body = match.groups()
                end = _RESULTS_END.search(body)
                if end is not None:  # a string content holds the footer after the last block
                    body = body[: end.start() + 1]
                attrs = parse_attributes(attributes)
                filename = attrs.get("filename")
                chunks.append(
                    RetrievedChunk(
                        rank=int(rank),
                        document_id=document_id.strip(),
                        filename=filename if isinstance(filename, str) else None,
                        score=_score(score),
                        attributes=attrs,
                        text=body.rstrip("\n"),
                        marker=marker,
                        message_index=message_index,
                    )
                )
    return chunks


# How a marker that names no retrieved document id was still resolved (Citation.via).
VIA_ID_MAPPING = "id_normalization_mapping"
VIA_FILE_ID = "attributes.file_id"


def _best(linked: list[int], retrieved: list[RetrievedChunk]) -> int:
    return max(linked, key=lambda i: retrieved[i].score if retrieved[i].score is not None else float("-inf"))


def _resolve(
    marker: str, document_id: str, retrieved: list[RetrievedChunk], normalized_ids: dict[str, str]
) -> tuple[str, list[int], str | None]:
    """(document id, linked chunk indexes, how) of one marker; no chunk when it cites nothing."""
    linked = [i for i, c in enumerate(retrieved) if c.document_id == document_id or c.marker == marker]
    if linked:
        return document_id, linked, None
    # A marker split across chunks escapes the recorder's mapping (it replaces whole strings):
    # it still names the original id while the tool results already hold the normalized one.
    normalized = normalized_ids.get(document_id)
    if normalized is not None:
        normalized_marker = f"<|{normalized}|>"
        linked = [
            i for i, c in enumerate(retrieved) if c.document_id == normalized or c.marker == normalized_marker
        ]
        if linked:
            return normalized, linked, VIA_ID_MAPPING
    # The model cited the file id in the chunk's attributes instead of the id it was asked for.
    for wanted in (document_id, normalized):
        if wanted is None:
            continue
        linked = [i for i, c in enumerate(retrieved) if c.attributes.get("file_id") == wanted]
        if linked:
            return retrieved[_best(linked, retrieved)].document_id, linked, VIA_FILE_ID
    return document_id, [], None


def find_citations(
    text: str, retrieved: list[RetrievedChunk], id_mapping: dict[str, Any] | None = None
) -> list[Citation]:
    """Markers in the answer, each linked to every retrieved chunk of its document.

    `id_mapping` is the file's `id_normalization_mapping` ({normalized: original}, §8.2) as
    recorded, before it was applied: a marker still naming an original id resolves through it.
    """
    if "<|" not in text:
        return []
    normalized_ids = {
        original: key
        for key, original in (id_mapping or {}).items()
        if isinstance(key, str) and isinstance(original, str) and original
    }
    citations: list[Citation] = []
    for match in MARKER_PATTERN.finditer(text):
        marker = match.group(0)
        document_id, linked, via = _resolve(marker, match.group(1), retrieved, normalized_ids)
        citation = Citation(
            marker=marker,
            document_id=document_id,
            start=match.start(),
            end=match.end(),
            chunks=linked,
            via=via,
        )
        if linked:
            best = _best(linked, retrieved)
            citation.filename = retrieved[best].filename
            citation.score = retrieved[best].score
            citation.text = retrieved[best].text
            for i in linked:
                retrieved[i].cited = True
        citations.append(citation)
    return citations


def count_markers(text: str) -> int:
    """How many citation markers the answer holds (the cheap path of the catalog)."""
    if "<|" not in text:
        return 0
    return sum(1 for _ in MARKER_PATTERN.finditer(text))
