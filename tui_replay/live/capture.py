"""A live exchange as a recording: the same file format, assembled by the same code.

The live answer is written into the recorder's layout (`record_format.recording_dict`)
and read back through the parser's `assemble_response`, exactly as a stored file is,
so stored and live answers are compared like with like. `--save` and the app's `s`
write that same object, with each chunk's arrival time under `tui_replay_chunk_times`.

Captures go to a folder of their own (`capture_dir`: `--save-dir`, else `TUI_REPLAY_SAVE_DIR`
or `[live] save_dir`, else `<user data dir>/tui-replay/captures`), never next to the stored
file: a capture must not land in a contributor's `tests/integration/*/recordings/` tree by
accident. A path inside any `recordings/` folder is refused unless forced.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tui_replay.comparison.model import Timings
from tui_replay.live.issue import LiveExchange, plain
from tui_replay.live.plan import CHAT, COMPLETION, MODELS
from tui_replay.live.record_format import recording_dict, write_recording_atomic
from tui_replay.live.target import LiveError, LiveTarget, display_url, redact_data, redact_stream
from tui_replay.recording.model import Event, Recording, Response


@dataclass(slots=True)
class LiveAnswer:
    """A live exchange, its recording object and its assembled answer."""

    exchange: LiveExchange
    obj: dict[str, Any]  # the recording as it would be saved
    response: Response
    timeline: list[Event]

    @property
    def raw_body(self) -> Any:
        return self.obj["response"]["body"]


def typed(obj: Any) -> Any:
    """An SDK object as the recorder's {"__type__", "__data__"} wrapper."""
    if not hasattr(obj, "model_dump"):
        return obj
    cls = type(obj)
    return {"__type__": f"{cls.__module__}.{cls.__qualname__}", "__data__": plain(obj)}


def recording_obj(stored: Recording, exchange: LiveExchange) -> dict[str, Any]:
    import openai

    call = exchange.call
    streamed_or_list = call.stream or call.operation == MODELS
    return recording_dict(
        test_id=stored.test_id,
        endpoint=call.endpoint,
        base_url=display_url(exchange.base_url),
        body=call.kwargs,
        response_body=[typed(obj) for obj in exchange.objects]
        if streamed_or_list
        else typed(exchange.objects[0]),
        is_streaming=call.stream,
        chunk_times=exchange.chunk_times if call.stream else None,
        provider_metadata={"openai_sdk_version": openai.__version__},
    )


def assemble_live(stored: Recording, exchange: LiveExchange, target: LiveTarget | None = None) -> LiveAnswer:
    """The live answer as a recording; the API key masked wherever the server echoed it, so the
    report, the app and a saved capture all read the same redacted answer."""
    from tui_replay.recording.assemble import assemble_response

    obj = recording_obj(stored, exchange)
    if isinstance(obj["response"]["body"], list):  # a stream: a key may be split across chunks
        obj["response"]["body"] = redact_stream(obj["response"]["body"], target)
    obj = redact_data(obj, target)
    assembled = assemble_response(obj["request"], obj["response"], exchange.chunk_times or None)
    return LiveAnswer(exchange, obj, assembled.response, assembled.timeline)


def token_count(answer: LiveAnswer) -> tuple[int | None, str]:
    """Completion tokens and where the number comes from ("usage", or "chunks" as an estimate)."""
    usage = answer.response.usage
    if usage is not None and usage.completion_tokens is not None:
        return usage.completion_tokens, "usage"
    if answer.exchange.call.stream and answer.exchange.call.operation in (CHAT, COMPLETION):
        # Servers that send no usage in streams (llama.cpp): one content chunk ~ one token.
        return sum(1 for e in answer.timeline if e.text), "chunks"
    return None, "none"


def timings(answer: LiveAnswer) -> Timings:
    exchange = answer.exchange
    tokens, basis = token_count(answer)
    rate = None
    if tokens:
        # Decode speed: tokens over the time after the first chunk, when there is such time.
        span = exchange.total_s - (exchange.ttft_s or 0.0) if exchange.call.stream else exchange.total_s
        if span <= 0:
            span = exchange.total_s
        rate = round(tokens / span, 2) if span > 0 else None
    return Timings(
        ttft_s=None if exchange.ttft_s is None else round(exchange.ttft_s, 4),
        total_s=round(exchange.total_s, 4),
        chunks=len(exchange.objects) if exchange.call.stream else 0,
        tokens=tokens,
        tokens_basis=basis,
        tokens_per_s=rate,
        streamed=exchange.call.stream,
    )


RECORDINGS_FOLDER = "recordings"  # llama-stack keeps its recordings in folders of this name


def capture_dir(save_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder for captures: `save_dir` (flag or config, `~` expanded), else the user data dir."""
    if save_dir:
        return Path(save_dir).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tui-replay")) / "captures"


def in_recordings_tree(path: str | os.PathLike[str]) -> Path | None:
    """The `recordings/` folder `path` would be written into, if any: as written, or once its
    symbolic links are followed (`captures/link/c.json` with `link` -> `.../recordings`)."""
    for candidate in (Path(os.path.abspath(path)), Path(os.path.realpath(path))):
        for folder in candidate.parents:
            if folder.name == RECORDINGS_FOLDER:
                return folder
    return None


def default_save_path(stored_path: str, folder: str | os.PathLike[str], now: datetime | None = None) -> Path:
    """<folder>/<stored stem>.live-<timestamp>.json, never an existing file; the folder is made."""
    source, folder = Path(stored_path), Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LiveError(f"cannot make the capture folder {folder}: {exc.strerror or exc}") from None
    stem = source.name.partition("#")[0].removesuffix(".json").removesuffix(".yaml")  # a cassette's `#N`
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = folder / f"{stem}.live-{stamp}.json"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}.live-{stamp}-{number}.json"
        number += 1
    return candidate


def check_save_path(save_path: str | os.PathLike[str], stored_path: str, *, force: bool = False) -> Path:
    """Refuse the stored recording itself, any existing file and (unless `force`) a path inside a
    `recordings/` folder (raises LiveError)."""
    target = Path(save_path)
    recordings = in_recordings_tree(target)
    if recordings is not None and not force:
        raise LiveError(
            f"refusing to save a capture inside the recordings folder {recordings} "
            "(a capture is not a recording of the test suite; use --force to write there anyway)"
        )
    if target.exists():
        same = False
        with contextlib.suppress(OSError):
            same = target.samefile(stored_path)
        if same:
            raise LiveError(f"refusing to write over the stored recording {stored_path}")
        raise LiveError(f"refusing to overwrite an existing file: {target}")
    if target.resolve() == Path(stored_path).resolve():
        raise LiveError(f"refusing to write over the stored recording {stored_path}")
    if not target.parent.is_dir():
        raise LiveError(f"cannot save: folder does not exist: {target.parent}")
    return target


def save(
    answer: LiveAnswer, save_path: str | os.PathLike[str], stored_path: str, *, force: bool = False
) -> Path:
    """Write the live capture atomically as a new recording; LiveError when refused or failing."""
    target = check_save_path(save_path, stored_path, force=force)
    try:
        return write_recording_atomic(target, answer.obj)
    except FileExistsError:
        raise LiveError(f"refusing to overwrite an existing file: {target}") from None
    except OSError as exc:
        raise LiveError(f"cannot save {target}: {exc.strerror or exc}") from None
