"""Citations in the order the answer plays them, the cited chunk of the selected one, and flags.

A citation appears once its marker has fully played. Highlighting one shows the cited
chunk(s) and posts `CitationsPane.Selected` so the screen can highlight the marker in
the answer. Markers that cite nothing retrieved and retrieved chunks never cited are
flagged with ⚠.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_replay.app.playback import CitedDocument
from tui_replay.recording.citations import VIA_FILE_ID, VIA_ID_MAPPING
from tui_replay.recording.model import Recording, RetrievedChunk
from tui_replay.textsafe import one_line, safe_text

FLAG_UNRESOLVED = "⚠ cites nothing that was retrieved"
FLAG_UNCITED = "⚠ never cited"
# Said of a citation whose marker did not name the retrieved document id itself.
VIA_NOTES = {
    VIA_FILE_ID: (
        "via file_id",
        "resolved through the chunk's attributes.file_id: the marker names the file id, "
        "not the document id the prompt asked to cite",
    ),
    VIA_ID_MAPPING: (
        "via id mapping",
        "resolved through id_normalization_mapping: the marker names the id from before "
        "the recorder normalized it",
    ),
}


def _score(score: float | None) -> str:
    return "score —" if score is None else f"score {score:.4f}"


def document_prompt(doc: CitedDocument) -> Text:
    prompt = Text(f"[{doc.number}] ", "bold")
    if doc.resolved:
        prompt.append_text(safe_text(one_line(doc.filename or doc.document_id, 60)))
        prompt.append(f"  {_score(doc.score)}", "dim")
        if doc.via in VIA_NOTES:
            prompt.append(f"  {VIA_NOTES[doc.via][0]}", "yellow")
    else:
        prompt.append_text(safe_text(one_line(doc.document_id, 60)))
        prompt.append(f"  {FLAG_UNRESOLVED}", "bold red")
    if len(doc.citations) > 1:
        prompt.append(f"  ×{len(doc.citations)}", "dim")
    return prompt


def chunk_text(chunk: RetrievedChunk, heading_style: str = "bold") -> Text:
    out = Text()
    out.append(f"[{chunk.rank}] ", heading_style)
    out.append_text(safe_text(chunk.document_id, heading_style))
    out.append("\nfile: ", "dim")
    out.append_text(safe_text(chunk.filename or "—"))
    out.append(f"\n{_score(chunk.score)}", "dim")
    if chunk.attributes:
        out.append("\nattributes:", "dim")
        for key, value in chunk.attributes.items():
            out.append("\n  ")
            out.append_text(safe_text(f"{key}: {value!r}"))
    out.append("\n\n")
    out.append_text(safe_text(chunk.text.strip()))
    return out


class CitationList(OptionList):
    """The citation list. Tabbing in highlights nothing, so Enter alone did nothing:
    Enter with nothing highlighted picks the first citation (a highlight selects)."""

    def action_select(self) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0
            return
        super().action_select()


class CitationsPane(Vertical):
    """Played citations (an OptionList), the selected one's chunk, and uncited chunks."""

    DEFAULT_CSS = """
    CitationsPane {
        & > OptionList { height: auto; max-height: 40%; border: none; }
        & > #citation-detail { height: 1fr; border-top: solid $panel; padding: 0 1; }
        & > #uncited {
            height: auto; max-height: 30%; border-top: solid $panel; padding: 0 1; color: $warning;
        }
        & .empty { color: $text-muted; }
    }
    """

    class Selected(Message):
        def __init__(self, number: int | None) -> None:
            super().__init__()
            self.number = number

    def __init__(self, recording: Recording, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.recording = recording
        self.shown: list[int] = []
        self.documents: dict[int, CitedDocument] = {}
        self.selected: int | None = None

    def compose(self) -> ComposeResult:
        yield CitationList(id="citation-list")
        with VerticalScroll(id="citation-detail"):
            yield Static(self.detail_text(None), id="citation-chunk")
        uncited = [chunk for chunk in self.recording.retrieved if not chunk.cited]
        with VerticalScroll(id="uncited") as scroll:
            scroll.display = bool(uncited)
            yield Static(self._uncited_text(uncited), id="uncited-text")

    @staticmethod
    def _uncited_text(uncited: list[RetrievedChunk]) -> Text:
        out = Text("Retrieved, never cited:\n", "bold")
        for chunk in uncited:
            out.append(f"{FLAG_UNCITED}  [{chunk.rank}] ", "bold")
            out.append_text(safe_text(one_line(chunk.filename or chunk.document_id, 50)))
            out.append(f"  {_score(chunk.score)}\n", "dim")
        out.rstrip()
        return out

    def show_documents(self, documents: list[CitedDocument]) -> None:
        numbers = [doc.number for doc in documents]
        if numbers == self.shown:
            return
        self.shown = numbers
        self.documents = {doc.number: doc for doc in documents}
        options = self.query_one("#citation-list", OptionList)
        keep = self.selected if self.selected in self.documents else None
        options.clear_options()
        options.add_options(Option(document_prompt(doc), id=str(doc.number)) for doc in documents)
        if keep is not None:
            options.highlighted = numbers.index(keep)
        elif self.selected is not None:
            self.select(None)
        else:  # nothing selected: say what the list offers now
            self.query_one("#citation-chunk", Static).update(self.detail_text(None))

    @on(OptionList.OptionHighlighted, "#citation-list")
    @on(OptionList.OptionSelected, "#citation-list")
    def _chosen(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.select(int(event.option.id))

    def focus_list(self) -> None:
        """Focus the citation list; with nothing highlighted, the first citation is picked."""
        options = self.query_one("#citation-list", OptionList)
        options.focus()
        if options.highlighted is None and options.option_count:
            options.highlighted = 0

    def choose(self, number: int) -> None:
        """Highlight citation `number` in the list (as if picked there), which selects it."""
        if number in self.shown:
            self.query_one("#citation-list", OptionList).highlighted = self.shown.index(number)
            self.select(number)

    def select(self, number: int | None) -> None:
        """Show the cited chunk of citation `number` (None clears) and tell the screen."""
        changed = number != self.selected
        self.selected = number
        self.query_one("#citation-chunk", Static).update(self.detail_text(number))
        if changed:
            self.post_message(self.Selected(number))

    def detail_text(self, number: int | None) -> Text:
        doc = self.documents.get(number) if number is not None else None
        if doc is None:
            if not self.documents:
                if self.recording.citations:
                    return Text("No citation played yet.", "dim")
                return Text("This answer cites nothing.", "dim")
            return Text("Select a citation to see the chunk it cites.", "dim")
        out = Text(f"[{doc.number}] ", "bold")
        out.append_text(safe_text(doc.document_id, "bold"))
        citations = [self.recording.citations[i] for i in doc.citations]
        out.append("\nmarker: ", "dim")
        out.append_text(safe_text(citations[0].marker))
        if not doc.resolved:
            out.append(f"\n{FLAG_UNRESOLVED}", "bold red")
            return out
        for via in dict.fromkeys(citation.via for citation in citations):
            if via in VIA_NOTES:
                out.append(f"\n{VIA_NOTES[via][1]}", "yellow")
        chunk_indexes = sorted({index for citation in citations for index in citation.chunks})
        for index in chunk_indexes:
            if 0 <= index < len(self.recording.retrieved):
                out.append("\n\n")
                out.append_text(chunk_text(self.recording.retrieved[index]))
        return out
