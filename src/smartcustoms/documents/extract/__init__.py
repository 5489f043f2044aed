"""Reading trade documents (PDFs with a text layer, scans) into typed values with evidence.

``read_document(pdf)`` finds the document type from its title words (or takes it as given),
reads the words with their positions (pdfplumber; Tesseract OCR for an image-only PDF or
a page image, see ``ocr.py``), finds labels from a multilingual lexicon and the values next
to or under them, reads the line table across pages, and returns a ``DocumentReading``:
the document, evidence per field path, the field paths it could not read, and problems
(unparseable values, values OCR is unsure of, sums that do not add up).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from smartcustoms.documents.errors import DocumentHasNoText, DocumentTypeUnknown
from smartcustoms.documents.extract.labels import Candidate, Lexicon, PageText, match_label
from smartcustoms.documents.extract.layout import (
    MAX_PAGES,
    Page,
    Segment,
    read_bytes,
    read_pages,
)
from smartcustoms.documents.extract.lexicon import (
    INVOICE_LABELS,
    LADING_LABELS,
    PACKING_LABELS,
    TITLES,
    label_key,
)
from smartcustoms.documents.extract.ocr import OcrUnavailable
from smartcustoms.documents.models import DocumentReading, DocumentType

__all__ = ["OcrUnavailable", "TypeGuess", "detect_document_type", "read_document"]

_LEXICONS = {
    DocumentType.commercial_invoice: Lexicon(INVOICE_LABELS),
    DocumentType.packing_list: Lexicon(PACKING_LABELS),
    DocumentType.bill_of_lading: Lexicon(LADING_LABELS),
}


@dataclass(frozen=True, slots=True)
class TypeGuess:
    document_type: DocumentType
    confidence: float
    title: str


def read_document(
    source: bytes | str | Path | IO[bytes],
    *,
    document_type: DocumentType | str | None = None,
    max_pages: int = MAX_PAGES,
    ocr: bool = True,
) -> DocumentReading:
    """Read a commercial invoice, packing list or bill of lading: a digital PDF, a
    structured e-invoice (CII, UBL, or a Factur-X / ZUGFeRD PDF: read from its XML), or
    with ``ocr`` a scan (an image-only PDF, or a PNG, JPEG or TIFF page image).

    Raises ``DocumentUnreadable`` (not a PDF or image, damaged, too long, OCR of a page
    timed out), ``OcrUnavailable`` (a scan, and Tesseract is not installed),
    ``DocumentHasNoText`` (a scan and ``ocr`` is false) or ``DocumentTypeUnknown`` (no
    title recognised and no ``document_type`` given). A field that cannot be read, or that
    OCR is too unsure of, is listed in ``missing``.
    """
    data = read_bytes(source)
    if document_type is None or DocumentType(document_type) is DocumentType.commercial_invoice:
        from smartcustoms.documents.extract.einvoice import looks_like_einvoice, read_einvoice

        # A structured e-invoice (bare XML, or the XML a Factur-X / ZUGFeRD PDF carries) is
        # read from its data, exactly, rather than from its print.
        if looks_like_einvoice(data):
            return read_einvoice(data)
    pages = _pages(data, max_pages=max_pages, ocr=ocr)
    title: Segment | None = None
    if document_type is None:
        guess, title = _detect(pages)
        kind = guess.document_type
    else:
        kind = DocumentType(document_type)
    text = PageText(pages, _LEXICONS[kind])
    if title is not None:
        text.consume(title)
    fallback = _letterhead(text, title)
    if kind is DocumentType.commercial_invoice:
        from smartcustoms.documents.extract.invoice import read_invoice

        document, ctx, missing = read_invoice(text, fallback)
    elif kind is DocumentType.packing_list:
        from smartcustoms.documents.extract.packing import read_packing_list

        document, ctx, missing = read_packing_list(text, fallback)  # type: ignore[assignment]
    else:
        from smartcustoms.documents.extract.lading import read_bill_of_lading

        document, ctx, missing = read_bill_of_lading(text)  # type: ignore[assignment]
    if any(page.scanned for page in pages):
        from smartcustoms.documents.extract.review import drop_unsure

        document, missing = drop_unsure(document, ctx, missing)  # type: ignore[assignment]
    return DocumentReading(document=document, evidence=ctx.evidence, missing=missing,
                           problems=ctx.problems, page_count=len(pages))


def detect_document_type(source: bytes | str | Path | IO[bytes], *, ocr: bool = True
                         ) -> TypeGuess:
    """The document type from its title words; raises DocumentTypeUnknown."""
    guess, _title = _detect(_pages(source, max_pages=MAX_PAGES, ocr=ocr))
    return guess


def _pages(source: bytes | str | Path | IO[bytes], *, max_pages: int, ocr: bool) -> list[Page]:
    """The pages' words: from the text layer, else (``ocr``) by OCR of the page images;
    in a PDF that mixes both, the pages without text are read by OCR."""
    from smartcustoms.documents.extract import ocr as engine

    data = read_bytes(source)
    if engine.is_image(data):
        if not ocr:
            raise DocumentHasNoText("the document is an image (a scan) and needs OCR")
        return engine.ocr_image_pages(data, max_pages=max_pages)
    try:
        pages = read_pages(data, max_pages=max_pages)
    except DocumentHasNoText:
        if not ocr:
            raise
        return engine.ocr_pdf_pages(data, max_pages=max_pages)
    blank = [page.number for page in pages if not page.lines]
    if ocr and blank:
        try:
            read = {page.number: page for page in engine.ocr_pdf_pages(
                data, max_pages=max_pages, numbers=blank)}
        except engine.OcrUnavailable:
            return pages  # the pages with text are read; the others stay empty
        pages = [read.get(page.number, page) for page in pages]
    return pages


NUMBER_LABEL_CONFIDENCE = 0.6  # the type from a number's label, no title read
# No title and no number label read: the type whose lexicon alone knows at least
# OWN_LABELS of the first page's labels, and at least twice as many as any other type's.
LABELS_CONFIDENCE = 0.5
OWN_LABELS = 3
_NUMBER_WORDS = frozenset({"no", "nr", "number", "nummer", "numero", "num"})


def _detect(pages: list[Page]) -> tuple[TypeGuess, Segment | None]:
    scores: dict[str, float] = {}
    best: dict[str, tuple[float, Segment]] = {}
    fuzzy: set[str] = set()
    meant: dict[int, str] = {}  # fuzzily matched segment -> the title it stands for
    numbered: dict[str, Segment] = {}  # type -> the label of a number of that type
    for page in pages[:2]:
        sizes = sorted(w.size for line in page.lines for w in line.words)
        median = sizes[len(sizes) // 2] if sizes else 9.0
        for line in page.lines:
            if line.top > page.height * 0.5:
                break
            # A title OCR cut in two ('Lista de' / 'em ralaje', a gap and a size apart)
            # is tried whole too, when its pieces match nothing.
            whole = (Segment(tuple(line.words), line.index, page.number)
                     if len(line.segments) > 1 and any(w.source == "ocr" for w in line.words)
                     else None)
            matched_in_line = False
            for segment in [*line.segments, *([whole] if whole is not None else [])]:
                if segment is whole and matched_in_line:
                    break
                key = label_key(segment.text)
                entry = TITLES.get(key)
                weight = 2.0
                if entry is None:
                    words = key.split(" ")
                    for count in range(min(6, len(words) - 1), 0, -1):
                        entry = TITLES.get(" ".join(words[:count]))
                        if entry is not None:
                            break
                    weight = 0.6 if entry is not None and (
                        segment.size >= 1.3 * median or segment.words[0].bold) else 0.0
                    if entry is not None and weight == 0.0 and " ".join(
                            words[count:]) in _NUMBER_WORDS:
                        # 'Liste de colisage n°': the label of the document's own number
                        # names its type too, when no title can be read at all.
                        numbered.setdefault(entry.key, segment)
                        continue
                if entry is None and segment.size >= 1.3 * median:
                    matched = _fuzzy_title_key(segment, key)
                    entry = None if matched is None else TITLES[matched]
                    weight = FUZZY_TITLE_WEIGHT if entry is not None else 0.0
                    if entry is not None and matched is not None:
                        fuzzy.add(entry.key)
                        meant[id(segment)] = matched
                if entry is None or weight == 0.0:
                    continue
                matched_in_line = True
                large = segment.size / median if median else 1.0
                score = weight * large * (1.5 if page.number == 1 else 0.5)
                scores[entry.key] = scores.get(entry.key, 0.0) + score
                if entry.key not in best or score > best[entry.key][0]:
                    best[entry.key] = (score, segment)
    if not scores and len(numbered) > 1:
        # Packing lists and bills of lading print the invoice's number ('Facture n°'),
        # an invoice seldom theirs: beside another type's number label, it names no type.
        numbered.pop(DocumentType.commercial_invoice.value, None)
    if not scores and len(numbered) == 1:
        key, segment = next(iter(numbered.items()))
        return TypeGuess(DocumentType(key), NUMBER_LABEL_CONFIDENCE, segment.text), segment
    if not scores:
        by_labels = _guess_by_labels(pages[0])
        if by_labels is not None:
            return by_labels, None
        raise DocumentTypeUnknown(
            "no title such as 'Commercial Invoice', 'Packing List' or 'Bill of Lading' was "
            "found in the upper half of the first page; give the document type"
        )
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    top, score = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = min(0.99, 0.5 + 0.5 * (score - runner) / score)
    if top in fuzzy:
        confidence *= FUZZY_TITLE_CONFIDENCE  # a title OCR misread ('Co ercial Invoice')
    confidence = round(confidence, 3)
    segment = best[top][1]
    if id(segment) in meant:
        _repair_title(pages, segment, meant[id(segment)])
    return TypeGuess(DocumentType(top), confidence, segment.text), segment


def _guess_by_labels(page: Page) -> TypeGuess | None:
    """The type of a page whose title OCR lost ('Bill of aa') from the labels only its own
    lexicon knows ('Vessel', 'Voy. No.', 'Port of Discharge'); labels every type has
    ('Consignee', 'Date') count for none."""
    own: dict[DocumentType, dict[str, str]] = {kind: {} for kind in _LEXICONS}
    for line in page.lines:
        for segment in line.segments:
            hits = [(kind, match_label(segment, lexicon)) for kind, lexicon in _LEXICONS.items()]
            known = [(kind, hit) for kind, hit in hits if hit is not None and hit.exact]
            if len(known) == 1:
                kind, hit = known[0]
                own[kind].setdefault(hit.key, hit.text)
    ranked = sorted(own.items(), key=lambda item: len(item[1]), reverse=True)
    (kind, labels), runner = ranked[0], len(ranked[1][1])
    if len(labels) < OWN_LABELS or len(labels) < 2 * runner:
        return None
    return TypeGuess(kind, LABELS_CONFIDENCE, "labels: " + ", ".join(labels.values()))


# A large title line read by OCR that matches no title exactly ('Co \'ercial Invoice') is
# taken for the title it is this similar to (rapidfuzz ratio, 0-100), with less weight and
# a lower confidence in the document type.
FUZZY_TITLE_SCORE = 82
FUZZY_TITLE_WEIGHT = 1.5
FUZZY_TITLE_CONFIDENCE = 0.85
# Word by word ('PACS LIST', 'PACS' read at 6 %): a title of as many words whose words OCR
# was sure of (confidence >= UNSURE_WORD) match at TITLE_WORD_SCORE, one of them of four
# letters or more, and whose unsure words look at least UNSURE_WORD_SCORE alike; taken
# only when every title so matched names the same document type.
UNSURE_WORD = 0.5
TITLE_WORD_SCORE = 85
UNSURE_WORD_SCORE = 50
_TITLE_FIXED = 0.85  # a title word corrected is less sure, as other OCR repairs are


def _fuzzy_title_key(segment: Segment, key: str) -> str | None:
    """The title key a large OCR line is a misreading of, or None."""
    if len(key) < 6 or not any(w.source == "ocr" for w in segment.words):
        return None
    from rapidfuzz import fuzz, process

    found = process.extractOne(key, list(TITLES), scorer=fuzz.ratio,
                               score_cutoff=FUZZY_TITLE_SCORE)
    if found is not None:
        return str(found[0])
    return _title_by_words(segment)


def _title_by_words(segment: Segment) -> str | None:
    from rapidfuzz import fuzz

    keys = [label_key(w.text) for w in segment.words]
    if any(not k or " " in k for k in keys):
        return None
    sure = [w.source != "ocr" or w.confidence >= UNSURE_WORD for w in segment.words]
    if all(sure) or not any(s and len(k) >= 4 for s, k in zip(sure, keys, strict=True)):
        return None
    matches: list[tuple[float, str]] = []
    for title in TITLES:
        words = title.split(" ")
        if len(words) != len(keys):
            continue
        scores = [fuzz.ratio(k, t) for k, t in zip(keys, words, strict=True)]
        if all(score >= (TITLE_WORD_SCORE if s else UNSURE_WORD_SCORE)
               for score, s in zip(scores, sure, strict=True)):
            matches.append((sum(scores) / len(scores), title))
    if not matches or len({TITLES[title].key for _score, title in matches}) != 1:
        return None  # none, or titles of two document types: no guess
    return max(matches)[1]


def _repair_title(pages: list[Page], segment: Segment, title: str) -> None:
    """Name a fuzzily matched title's correction in its words, as OCR repairs do: the
    title word as ``text``, what OCR read as ``read_as``, and a lower confidence."""
    words = title.split(" ")
    keys = [label_key(w.text) for w in segment.words]
    if len(words) != len(segment.words) or keys == words:
        return
    fixed = tuple(
        word if key == meant else replace(
            word, text=_cased(meant, word.text), read_as=word.read_as or word.text,
            confidence=round(word.confidence * _TITLE_FIXED, 3))
        for word, key, meant in zip(segment.words, keys, words, strict=True))
    by_id = {id(old): new for old, new in zip(segment.words, fixed, strict=True)}
    for page in pages:
        if page.number != segment.page:
            continue
        line = page.lines[segment.line]
        line.words = [by_id.get(id(w), w) for w in line.words]
    segment.words = fixed


def _cased(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word.capitalize()
    return word


def _letterhead(text: PageText, title: Segment | None) -> Candidate | None:
    """The block at the top left of page 1 when it is no label: the issuer's letterhead."""
    if not text.pages or not text.pages[0].lines:
        return None
    for line in text.pages[0].lines[:3]:
        segment = line.segments[0]
        if segment is title or text.is_label(segment):
            continue
        if segment.x0 > text.pages[0].width * 0.4:
            continue
        return Candidate(segment.words, "fallback", None)
    return None
