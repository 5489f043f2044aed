"""Trade documents: reading invoices, packing lists and bills of lading into typed values
with evidence, and a seeded corpus generator to test the reading against.

Importing this package is light (pydantic shapes and pure parsers). The reader (pdfplumber)
and the generator (fpdf2, pypdfium2, Pillow) load on first use of ``read_document``,
``detect_document_type``, ``generate_case``, ``generate_corpus`` or ``scan_document``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from smartcustoms.documents.errors import (
    DocumentError,
    DocumentHasNoText,
    DocumentNumberAmbiguous,
    DocumentTypeUnknown,
    DocumentUnreadable,
    DocumentValueInvalid,
)
from smartcustoms.documents.evaluate import FieldOutcome, compare_documents
from smartcustoms.documents.models import (
    BillOfLading,
    CommercialInvoice,
    Container,
    DocumentParty,
    DocumentReading,
    DocumentType,
    Evidence,
    InvoiceLine,
    PackingLine,
    PackingList,
    ReadField,
    ReadProblem,
    TradeDocument,
    document_fields,
)
from smartcustoms.documents.parsing import (
    infer_decimal_mark,
    parse_amount,
    parse_country,
    parse_currency,
    parse_date,
    parse_incoterm,
    parse_mass_kg,
    parse_number,
    parse_packages,
    parse_quantity,
    parse_unit,
)

if TYPE_CHECKING:
    from smartcustoms.documents.extract import TypeGuess, detect_document_type, read_document
    from smartcustoms.documents.generate import (
        GeneratedCase,
        GeneratedDocument,
        Inconsistency,
        InconsistencyKind,
        ScannedDocument,
        generate_case,
        generate_corpus,
        scan_document,
    )

_LAZY = {
    "TypeGuess": "smartcustoms.documents.extract",
    "detect_document_type": "smartcustoms.documents.extract",
    "read_document": "smartcustoms.documents.extract",
    "GeneratedCase": "smartcustoms.documents.generate",
    "GeneratedDocument": "smartcustoms.documents.generate",
    "Inconsistency": "smartcustoms.documents.generate",
    "InconsistencyKind": "smartcustoms.documents.generate",
    "ScannedDocument": "smartcustoms.documents.generate",
    "generate_case": "smartcustoms.documents.generate",
    "generate_corpus": "smartcustoms.documents.generate",
    "scan_document": "smartcustoms.documents.generate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BillOfLading",
    "CommercialInvoice",
    "Container",
    "DocumentError",
    "DocumentHasNoText",
    "DocumentNumberAmbiguous",
    "DocumentParty",
    "DocumentReading",
    "DocumentType",
    "DocumentTypeUnknown",
    "DocumentUnreadable",
    "DocumentValueInvalid",
    "Evidence",
    "FieldOutcome",
    "GeneratedCase",
    "GeneratedDocument",
    "Inconsistency",
    "InconsistencyKind",
    "InvoiceLine",
    "PackingLine",
    "PackingList",
    "ReadField",
    "ReadProblem",
    "ScannedDocument",
    "TradeDocument",
    "TypeGuess",
    "compare_documents",
    "detect_document_type",
    "document_fields",
    "generate_case",
    "generate_corpus",
    "infer_decimal_mark",
    "parse_amount",
    "parse_country",
    "parse_currency",
    "parse_date",
    "parse_incoterm",
    "parse_mass_kg",
    "parse_number",
    "parse_packages",
    "parse_quantity",
    "parse_unit",
    "read_document",
    "scan_document",
]
