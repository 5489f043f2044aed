"""Finding labels on the page and the value each one announces.

A label is matched at the start of a segment against a lexicon (exactly after
normalisation, or fuzzily: one edit or swap of neighbours for labels of eight letters or
more, two on a scan for labels of twelve or more, and only where no other label is as
near), longest first.
Its value is the rest of the segment after the label (and its colon), else the next
segment to the right on the same line, else the segment under it; a block value (a party,
shipping marks) continues on the lines below that start where the first value line starts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from smartcustoms.documents.extract.layout import (
    BBox,
    Line,
    Page,
    Segment,
    Word,
    bbox_of,
    evidence_basis,
    source_text,
)
from smartcustoms.documents.extract.lexicon import IGNORED, PARTY_ID, Phrase, label_key
from smartcustoms.documents.models import Evidence

MAX_LABEL_WORDS = 6
FUZZY_MIN_CHARS = 8
# A label this long may be read two edits off on a scan ('Desnataire', 'Warenemplinger'),
# when no other label is as near.
OCR_TWO_EDITS = 12
CONTACT = frozenset(label_key(p) for p in (
    "tel", "telephone", "phone", "fax", "e mail", "email", "mail", "web", "website", "www",
    "contact", "mobile", "telefon", "telefono", "courriel", "correo",
))
BELOW_REACH = 2.6  # how far under a label its value may start, in line heights


class Lexicon:
    """One label table compiled for exact, compact ('subtotal' = 'sub total') and fuzzy
    look-ups; ``ignored`` and party-id phrases are always known."""

    def __init__(self, table: Mapping[str, Phrase]) -> None:
        merged: dict[str, Phrase] = {}
        for source in (table, PARTY_ID, IGNORED):
            for phrase, entry in source.items():
                merged.setdefault(phrase, entry)
        self.exact = merged
        self.compact = {phrase.replace(" ", ""): entry for phrase, entry in merged.items()}
        self._fuzzy_keys = [k for k in self.compact if len(k) >= FUZZY_MIN_CHARS]

    def lookup(self, joined: str, *, scanned: bool = False) -> tuple[Phrase, bool] | None:
        """(entry, exact?) for normalised text ``joined``; ``scanned``: OCR read it, and a
        label of ``OCR_TWO_EDITS`` letters or more may be two edits off (and no longer)."""
        entry = self.exact.get(joined)
        if entry is not None:
            return entry, True
        compact = joined.replace(" ", "")
        entry = self.compact.get(compact)
        if entry is not None:
            return entry, True
        if len(compact) >= FUZZY_MIN_CHARS:
            found = [(key, edits) for key, edits, _ in process.extract(
                compact, self._fuzzy_keys, scorer=OSA.distance, score_cutoff=2 if scanned
                else 1, limit=8) if edits <= 1 or (
                    len(key) >= OCR_TWO_EDITS and len(compact) <= len(key))]
            # two edits only into a long label, and never by adding letters: the words
            # after a label ('Port of Loading X1') would pass for a label two letters off
            if found and all(self.compact[key] == self.compact[found[0][0]]
                             for key, edits in found if edits == found[0][1]):
                return self.compact[found[0][0]], False
        return None


@dataclass(slots=True)
class LabelHit:
    key: str
    language: str
    exact: bool
    strong: bool  # followed by a colon, or alone in its segment
    segment: Segment
    label_words: tuple[Word, ...]
    value_words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.label_words).rstrip(" :")


def match_label(segment: Segment, lexicon: Lexicon) -> LabelHit | None:
    """The longest label at the start of ``segment``, if any."""
    words = segment.words
    if not (words[0].text[:1].isalpha() or words[0].text[:1] in "#°"):
        return None  # labels start with a letter: '5 PACKAGES' is a value
    keys = [label_key(w.text) for w in words[:MAX_LABEL_WORDS]]
    scanned = all(w.source == "ocr" for w in words)
    for count in range(min(len(keys), MAX_LABEL_WORDS), 0, -1):
        parts = [k for k in keys[:count] if k]
        if not parts or not keys[count - 1]:
            continue
        found = lexicon.lookup(" ".join(parts), scanned=scanned)
        if found is None:
            continue
        entry, exact = found
        rest = list(words[count:])
        # 'Consignee (if To Order so indicate)': a note in brackets belongs to the label
        if rest and rest[0].text.startswith("("):
            closing = next((i for i, w in enumerate(rest) if w.text.rstrip(":").endswith(")")),
                           None)
            if closing is not None:
                count += closing + 1
                rest = rest[closing + 1:]
        colon = words[count - 1].text.endswith(":")
        while rest and rest[0].text in (":", "-", "/", "|"):
            colon = colon or rest[0].text == ":"
            rest.pop(0)
        strong = colon or not rest
        short = len(" ".join(parts)) <= 4
        if short and not strong:
            continue  # 'a', 'to', 'de' count as labels only with a colon or alone
        if not exact and not strong:
            continue
        return LabelHit(entry.key, entry.language, exact, strong, segment,
                        tuple(words[:count]), tuple(rest))
    return None


@dataclass(slots=True)
class Candidate:
    """A value found for a label: its words and how it was found."""

    words: tuple[Word, ...]
    how: str  # inline | right | below | block | fallback
    hit: LabelHit | None
    lines: list[tuple[Word, ...]] = field(default_factory=list)  # for blocks

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def page(self) -> int:
        return self.words[0].page

    @property
    def bbox(self) -> BBox:
        return bbox_of(w for line in (self.lines or [self.words]) for w in line)

    def evidence(self, confidence: float, *, method: str = "pdf-text",
                 text: str | None = None) -> Evidence:
        source = text if text is not None else (
            "\n".join(" ".join(w.text for w in line) for line in self.lines)
            if self.lines else self.text)
        words = [w for line in (self.lines or [self.words]) for w in line]
        method, confidence = evidence_basis(words, method, confidence)
        return Evidence(page=self.page, bbox=self.bbox, method=method,  # type: ignore[arg-type]
                        confidence=round(min(max(confidence, 0.0), 1.0), 3),
                        text=source_text(source, words)[:4000],
                        label=self.hit.text if self.hit else None)


_HOW_CONFIDENCE = {"inline": 0.96, "right": 0.94, "below": 0.9, "block": 0.9,
                   "fallback": 0.6}


def base_confidence(candidate: Candidate) -> float:
    value = _HOW_CONFIDENCE[candidate.how]
    if candidate.hit is not None and not candidate.hit.exact:
        value *= 0.88
    return value


class PageText:
    """The pages with label hits per segment, for one document type's lexicon."""

    def __init__(self, pages: Sequence[Page], lexicon: Lexicon) -> None:
        self.pages = list(pages)
        self.lexicon = lexicon
        self.consumed: set[tuple[int, int]] = set()  # (page, line) used by tables
        # (page, line, x0, x1) of a segment used otherwise (the title), its line's other
        # segments still free: a scan's line can hold the title and a label beside it
        self.consumed_spans: list[tuple[int, int, float, float]] = []
        self.hits: list[LabelHit] = []
        self._hit_of: dict[int, LabelHit] = {}
        for page in self.pages:
            for line in page.lines:
                line.segments = [piece for s in line.segments for piece in _split_inner(s,
                                                                                       lexicon)]
                for segment in line.segments:
                    hit = match_label(segment, lexicon)
                    if hit is not None:
                        self.hits.append(hit)
                        self._hit_of[id(segment)] = hit

    def hit_of(self, segment: Segment) -> LabelHit | None:
        return self._hit_of.get(id(segment))

    def line(self, page: int, index: int) -> Line:
        return self.pages[page - 1].lines[index]

    def consume(self, segment: Segment) -> None:
        """Take ``segment`` (not its whole line) out of the labels found."""
        self.consumed_spans.append((segment.page, segment.line, segment.x0, segment.x1))

    def hits_for(self, key: str) -> Iterator[LabelHit]:
        for hit in self.hits:
            if hit.key == key and not self._consumed(hit.segment):
                yield hit

    def _consumed(self, segment: Segment) -> bool:
        where = (segment.page, segment.line)
        return where in self.consumed or any(
            (page, line) == where and segment.x0 < x1 and x0 < segment.x1
            for page, line, x0, x1 in self.consumed_spans)

    def is_label(self, segment: Segment) -> bool:
        hit = self.hit_of(segment)
        return hit is not None and (hit.strong or hit.exact) and hit.key != "party.id"

    # --- single values -----------------------------------------------------------------
    def values(self, hit: LabelHit, *, below: bool = True) -> Iterator[Candidate]:
        """Where the value of ``hit`` may be, best first."""
        segment = hit.segment
        line = self.line(segment.page, segment.line)
        right = [s for s in line.segments if s.x0 >= segment.x1 - 0.5]
        if hit.value_words:
            note = hit.value_words
            # 'Total Amount EUR   1,234.00': a currency after the label joins the amount
            if (len(note) == 1 and note[0].text.strip("()").isalpha()
                    and len(note[0].text.strip("()")) == 3 and right
                    and not self.is_label(right[0])):
                yield Candidate(note + right[0].words, "right", hit)
            yield Candidate(hit.value_words, "inline", hit)
        # A small label with a big value far to its right is a box label: its value is
        # under it, and what stands to the right belongs to the next box.
        below_first = below and bool(right) and (
            right[0].x0 - segment.x1 > 150 or right[0].size > 1.25 * segment.size)
        if below_first:
            found = self._below(segment)
            if found is not None:
                yield Candidate(found.words, "below", hit)
                below = False
        if right and not self.is_label(right[0]) and right[0].x0 - segment.x1 < 260:
            words = list(right[0].words)
            # 'EUR    1,234.56': a lone currency code is part of the amount beside it
            if len(right) > 1 and len(words) == 1 and words[0].text.isalpha() and len(
                    words[0].text) == 3 and not self.is_label(right[1]):
                words += right[1].words
            yield Candidate(tuple(words), "right", hit)
        if below:
            found = self._below(segment)
            if found is not None:
                yield Candidate(found.words, "below", hit)

    def _below(self, segment: Segment) -> Segment | None:
        page = self.pages[segment.page - 1]
        reach = segment.bottom + BELOW_REACH * max(segment.size, 7.0) + 4
        best: tuple[float, Segment] | None = None
        for line in page.lines[segment.line + 1:]:
            if line.top > reach:
                break
            for other in line.segments:
                overlap = min(other.x1, segment.x1) - max(other.x0, segment.x0)
                offset = abs(other.x0 - segment.x0)
                if offset <= 40 or overlap > 0:
                    if self.is_label(other):
                        return None  # the next label: this one has no value under it
                    score = offset if overlap <= 0 else min(offset, 1.0)
                    if best is None or score < best[0]:
                        best = (score, other)
            if best is not None:
                return best[1]
        return None

    # --- blocks (parties, marks) -------------------------------------------------------
    def block(self, hit: LabelHit, *, max_lines: int = 9) -> Candidate | None:
        """The lines of a block value: the first value line, then lines below it that
        start at the same x, until a gap, another label or ``max_lines``."""
        first: Candidate | None = None
        for candidate in self.values(hit):
            first = candidate
            break
        if first is None:
            return None
        return self.block_from(first, max_lines=max_lines)

    def block_from(self, first: Candidate, *, max_lines: int = 9) -> Candidate:
        hit = first.hit
        anchors = [first.words[0].x0]
        if first.how == "inline" and hit is not None:
            anchors.append(hit.segment.x0)  # 'Seller: ACME' with the address under 'Seller'
        anchor_x = anchors[0]
        lines = [first.words]
        page = self.pages[first.page - 1]
        first_line = first.words[0]
        current = next(i for i, ln in enumerate(page.lines)
                       if any(w is first_line for w in ln.words))
        last_bottom = max(w.bottom for w in first.words)
        size = max(w.size for w in first.words)
        for line in page.lines[current + 1:]:
            if len(lines) >= max_lines or line.top - last_bottom > 1.1 * size + 3:
                break
            match = next((s for s in line.segments
                          if any(abs(s.x0 - x) <= 8 for x in anchors)), None)
            if match is None:
                if any(s.x0 < anchor_x - 8 < s.x1 for s in line.segments):
                    break  # something wider runs across the block: it has ended
                continue
            label = self.hit_of(match)
            if label is not None and label.key not in ("party.id",) and (
                    label.strong or label.exact) and label_key(label.text) not in CONTACT:
                break
            lines.append(match.words)
            last_bottom = match.bottom
            size = match.size
        return Candidate(tuple(w for ln in lines for w in ln), "block" if first.how == "below"
                         else first.how, hit, lines=lines)


def _split_inner(segment: Segment, lexicon: Lexicon) -> list[Segment]:
    """'Invoice No.: 12  Date: 3.4.2026' run together: split before an inner label that
    ends with a colon, after the segment's own label and at least one value word."""
    words = segment.words
    own = match_label(segment, lexicon)
    first = len(own.label_words) + 1 if own is not None else 1
    for end in range(first, len(words)):
        if not words[end].text.endswith(":"):
            continue
        for start in range(max(first, end - MAX_LABEL_WORDS + 1), end + 1):
            parts = [label_key(w.text) for w in words[start:end + 1]]
            joined = " ".join(p for p in parts if p)
            if joined and lexicon.exact.get(joined) is not None and len(joined) > 3:
                head = Segment(words[:start], segment.line, segment.page)
                tail = Segment(words[start:], segment.line, segment.page)
                return [head, *_split_inner(tail, lexicon)]
    return [segment]
