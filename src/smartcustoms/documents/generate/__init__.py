"""A deterministic, seeded corpus of trade documents with ground truth and declarations.

``generate_case(seed)`` draws one shipment and prints its commercial invoice, packing list
and bill of lading as PDFs (fpdf2 core fonts: English, German, French or Spanish labels,
three layouts per document type, both number conventions, several date formats, Helvetica,
Times or Courier), with the ground truth of each as the reader's own document shape, and
the declaration a broker would lodge for it, optionally with labelled inconsistencies.
``scan_document`` turns any of the PDFs into a scanned-looking, image-only copy;
``generate_einvoice`` writes a case's invoice as CII or UBL XML or a Factur-X PDF.

The same seed and arguments give byte-identical PDFs.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from smartcustoms.declarations.models import DeclarationCreate
from smartcustoms.documents.generate.content import (
    FONTS,
    LAYOUTS,
    DocumentStyle,
    Shipment,
    draw_shipment,
    draw_style,
)
from smartcustoms.documents.generate.declaration import (
    Inconsistency,
    InconsistencyKind,
    build_declaration,
    inject,
)
from smartcustoms.documents.generate.einvoice import (
    EINVOICE_FORMS,
    EInvoiceForm,
    GeneratedEInvoice,
    PostalAddress,
    carried_by,
    einvoice_truth,
    factur_x_pdf,
    generate_einvoice,
    invoice_cii,
    invoice_ubl,
)
from smartcustoms.documents.generate.invoice import invoice_truth, render_invoice
from smartcustoms.documents.generate.lading import lading_truth, render_bill_of_lading
from smartcustoms.documents.generate.locale import LANGUAGES
from smartcustoms.documents.generate.packing import packing_truth, render_packing_list
from smartcustoms.documents.generate.scan import ScannedDocument, scan_document
from smartcustoms.documents.models import BillOfLading, CommercialInvoice, PackingList

__all__ = [
    "DOCUMENT_TYPES",
    "EINVOICE_FORMS",
    "FONTS",
    "LANGUAGES",
    "LAYOUTS",
    "DocumentStyle",
    "EInvoiceForm",
    "GeneratedCase",
    "GeneratedDocument",
    "GeneratedEInvoice",
    "Inconsistency",
    "InconsistencyKind",
    "PostalAddress",
    "ScannedDocument",
    "carried_by",
    "einvoice_truth",
    "factur_x_pdf",
    "generate_case",
    "generate_corpus",
    "generate_einvoice",
    "invoice_cii",
    "invoice_ubl",
    "scan_document",
]

DOCUMENT_TYPES = ("commercial_invoice", "packing_list", "bill_of_lading")
_RENDER = {
    "commercial_invoice": (invoice_truth, render_invoice),
    "packing_list": (packing_truth, render_packing_list),
    "bill_of_lading": (lading_truth, render_bill_of_lading),
}
# Lines that fill three invoice pages in each layout (two-line rows in 'columns').
MULTIPAGE_LINES = {"letterhead": (70, 76), "grid": (70, 76), "columns": (48, 56)}


@dataclass(frozen=True, slots=True)
class GeneratedDocument:
    """One printed document: its style, the PDF, and what it says (ground truth)."""

    document_type: str
    style: DocumentStyle
    pdf: bytes
    truth: CommercialInvoice | PackingList | BillOfLading

    def scanned(self, *, seed: int, dpi: int = 150) -> ScannedDocument:
        return scan_document(self.pdf, seed=seed, dpi=dpi)


@dataclass(frozen=True, slots=True)
class GeneratedCase:
    """Documents of one shipment, their declaration and the inconsistencies put in it."""

    seed: int
    shipment: Shipment
    documents: tuple[GeneratedDocument, ...]
    declaration: DeclarationCreate
    inconsistencies: tuple[Inconsistency, ...]

    def document(self, document_type: str) -> GeneratedDocument:
        for document in self.documents:
            if document.document_type == document_type:
                return document
        raise KeyError(document_type)

    def truth_json(self) -> dict[str, Any]:
        """Ground truth, declaration and inconsistencies as JSON-ready data."""
        return {
            "seed": self.seed,
            "documents": [
                {"style": d.style.as_dict(), "truth": d.truth.model_dump(mode="json")}
                for d in self.documents
            ],
            "declaration": self.declaration.model_dump(mode="json"),
            "inconsistencies": [i.model_dump(mode="json") for i in self.inconsistencies],
        }

    def truth_text(self) -> str:
        return json.dumps(self.truth_json(), indent=2, sort_keys=True, ensure_ascii=False)


def generate_case(
    seed: int,
    *,
    line_count: int | None = None,
    multipage: bool = False,
    layouts: dict[str, str] | None = None,
    language: str | None = None,
    font: str | None = None,
    inconsistencies: Sequence[InconsistencyKind | str] | int = (),
) -> GeneratedCase:
    """One shipment's documents, ground truth and declaration, from ``seed``.

    ``line_count`` defaults to 1-12 lines (with ``multipage``, as many as fill three
    invoice pages); ``layouts`` maps a document type to a layout name; ``inconsistencies`` names
    the kinds to inject, or how many distinct kinds to draw at random.
    """
    styles = {}
    for document_type in DOCUMENT_TYPES:
        style_rng = random.Random(f"style:{seed}:{document_type}")
        layout = (layouts or {}).get(document_type)
        if layout is not None and layout not in LAYOUTS[document_type]:
            raise ValueError(f"layout for {document_type} must be one of "
                             f"{', '.join(LAYOUTS[document_type])}; got {layout!r}")
        styles[document_type] = draw_style(style_rng, document_type, layout=layout,
                                           language=language, font=font)
    if line_count is not None and not 1 <= line_count <= 999:
        raise ValueError(f"line_count must be 1 to 999; got {line_count}")
    shipment = _shipment(seed, line_count, multipage, styles["commercial_invoice"])
    documents = []
    for document_type in DOCUMENT_TYPES:
        style = styles[document_type]
        truth_of, render = _RENDER[document_type]
        documents.append(GeneratedDocument(document_type, style, render(shipment, style),
                                           truth_of(shipment, style)))
    declaration = build_declaration(shipment)
    kinds = _kinds(inconsistencies, random.Random(f"kinds:{seed}"))
    injected = []
    inject_rng = random.Random(f"inject:{seed}")
    for kind in kinds:
        declaration, found = inject(declaration, shipment, kind, inject_rng)
        injected.append(found)
    return GeneratedCase(seed, shipment, tuple(documents), declaration, tuple(injected))


def _shipment(seed: int, line_count: int | None, multipage: bool,
              invoice_style: DocumentStyle) -> Shipment:
    """The shipment; with ``multipage`` (and no ``line_count``) redrawn with fewer or more
    lines until its invoice prints on exactly three pages (wrapping varies with the font
    and language)."""
    rng = random.Random(f"case:{seed}")
    if line_count is not None or not multipage:
        return draw_shipment(rng, line_count=line_count or rng.randint(1, 12))
    count = rng.randint(*MULTIPAGE_LINES[invoice_style.layout])
    low, high = 20, 240
    shipment = draw_shipment(random.Random(f"case:{seed}:{count}"), line_count=count)
    for _attempt in range(10):
        pages = _pages(render_invoice(shipment, invoice_style))
        if pages == 3:
            break
        if pages < 3:
            low = count + 1
        else:
            high = count - 1
        if low > high:
            break
        count = max(low, min(high, count * 3 // max(pages, 1) if _attempt == 0
                             else (low + high) // 2))
        shipment = draw_shipment(random.Random(f"case:{seed}:{count}"), line_count=count)
    return shipment


def _pages(pdf: bytes) -> int:
    found = re.search(rb"/Count (\d+)", pdf)
    return int(found.group(1)) if found else 0


def _kinds(requested: Sequence[InconsistencyKind | str] | int,
           rng: random.Random) -> list[InconsistencyKind]:
    if isinstance(requested, int):
        every = list(InconsistencyKind)
        if not 0 <= requested <= len(every):
            raise ValueError(f"inconsistencies must be 0 to {len(every)}; got {requested}")
        return rng.sample(every, requested)
    kinds = [InconsistencyKind(kind) for kind in requested]
    if len(set(kinds)) != len(kinds):
        raise ValueError("each inconsistency kind may be injected once per case")
    return kinds


def generate_corpus(
    count: int, *, seed: int = 0, multipage_share: float = 0.1,
    inconsistency_share: float = 0.5,
) -> Iterator[GeneratedCase]:
    """``count`` cases; a share runs to three invoice pages, a share carries 1-3
    inconsistencies. Case ``i`` uses seed ``seed * 1_000_003 + i``."""
    plan = random.Random(f"corpus:{seed}")
    for index in range(count):
        multipage = plan.random() < multipage_share
        injected = plan.randint(1, 3) if plan.random() < inconsistency_share else 0
        yield generate_case(seed * 1_000_003 + index, multipage=multipage,
                            inconsistencies=injected)
