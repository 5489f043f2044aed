"""Errors of trade-document reading.

A value the reader cannot parse is not an error of the whole document: the reader lists it
under ``missing`` and ``problems``. These exceptions are for callers of the parsers (outside
text in, typed value out) and for documents that cannot be opened at all.
"""

from __future__ import annotations

from smartcustoms.errors import InvalidInput


class DocumentError(InvalidInput):
    """Base class of the documents capability's errors."""

    code = "document-invalid"
    title = "The trade document is not valid"


class DocumentUnreadable(DocumentError):
    """Not a PDF, damaged, encrypted, or over the page limit."""

    code = "document-unreadable"
    title = "The document cannot be read"


class DocumentHasNoText(DocumentUnreadable):
    """Image-only (scanned) PDF: there is no text layer to read without OCR."""

    code = "document-no-text"
    title = "The document has no text layer (scanned documents need OCR)"


class DocumentTypeUnknown(DocumentError):
    """The title words match no known document type and none was given."""

    code = "document-type-unknown"
    title = "The type of the document cannot be recognised"


class DocumentValueInvalid(DocumentError):
    """A number, date, unit, country or currency as printed cannot be parsed."""

    code = "document-value-invalid"
    title = "A value on the document cannot be parsed"


class DocumentNumberAmbiguous(DocumentValueInvalid):
    """'1,234' or '1.234' read without knowing the document's decimal mark."""

    code = "document-number-ambiguous"
    title = "A number on the document is ambiguous without its decimal mark"


class EInvoiceUnsupported(DocumentUnreadable):
    """Well-formed XML that is not an e-invoice read here: another root (or namespace), a
    credit note, or an invoice type code that is not an invoice."""

    code = "einvoice-unsupported"
    title = "The XML is not an e-invoice that can be read"
