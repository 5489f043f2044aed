"""Trade documents attached to a declaration, read, cross-checked, and kept with it.

``attach_documents`` stores each file as received (once per content, so a re-upload adds
nothing), reads it, and re-runs the cross-check of the declaration against every readable
document it has; the findings of that check replace the previous ones and become risk
inputs (``risk.frame.attach_documents``). A file that cannot be read is kept with its
reason and left out of the check. ``precheck`` is the same check for a broker before
filing: nothing is stored.

Readers and checks are pure (``documents.extract``, ``documents.checks``); this module is
the thin layer of storage, permissions and audit that the CLI, HTTP API and console share.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartcustoms.declarations import service as declarations
from smartcustoms.declarations.models import DeclarationCreate
from smartcustoms.documents.checks import Finding, HSVerifier, cross_check
from smartcustoms.documents.errors import DocumentUnreadable
from smartcustoms.documents.extract.layout import MAX_BYTES
from smartcustoms.documents.models import DocumentReading, DocumentType
from smartcustoms.documents.tables import (
    DocumentCheckRow,
    DocumentContentRow,
    DocumentFileRow,
    DocumentFindingRow,
)
from smartcustoms.errors import InvalidInput, NotFound, SmartCustomsError
from smartcustoms.identity import Permission, Principal, audit

MAX_FILES = 20
SEVERITIES = ("high", "medium", "low", "info")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as received: its name as the sender gave it, its bytes, its media type."""

    filename: str
    content: bytes
    media_type: str = "application/octet-stream"


class DocumentFile(BaseModel):
    """An attached document: what it is, and what was read or why it could not be."""

    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    document_type: DocumentType | None
    number: str | None
    page_count: int | None
    read: bool = Field(description="False when the file could not be read (see error).")
    error: dict[str, str] | None = None
    missing: list[str] = Field(default_factory=list)
    uploaded_by: str
    uploaded_at: dt.datetime


class StoredFinding(Finding):
    """A cross-check finding as stored, with the attached file it points into."""

    file_id: int | None = None


class DocumentCheck(BaseModel):
    """A declaration's documents and the findings of their current cross-check."""

    declaration_id: str
    files: list[DocumentFile]
    checked_at: dt.datetime | None = None
    checked_by: str | None = None
    tariff_checked: bool = False
    counts: dict[str, int] = Field(default_factory=dict)
    findings: list[StoredFinding] = Field(default_factory=list)
    added: int = Field(0, description="Files this request added (0 for a repeated upload).")


def read_uploads(uploads: Sequence[Upload]) -> list[DocumentReading]:
    """Read each file; raises on the first that cannot be read, naming it."""
    _check_count(uploads)
    return [_read(upload) for upload in uploads]


def precheck(declaration: DeclarationCreate, uploads: Sequence[Upload], *,
             classifier: HSVerifier | None = None
             ) -> tuple[list[DocumentReading], list[Finding]]:
    """Read the files and cross-check them against a declaration not yet filed.

    Raises on a file that cannot be read: before filing, the sender fixes it and retries.
    """
    readings = read_uploads(uploads)
    return readings, cross_check(declaration, readings, classifier=classifier)


def attach_documents(session: Session, declaration_id: str, uploads: Sequence[Upload], *,
                     actor: Principal, now: dt.datetime,
                     classifier: HSVerifier | None = None) -> DocumentCheck:
    """Store the files with the declaration, read them, and re-check the declaration."""
    actor.require(Permission.attach_documents)
    declared = declarations.get_declaration(session, declaration_id, actor=actor).declared
    _check_count(uploads)
    existing = {row.sha256 for row in _files(session, declaration_id)}
    added: list[DocumentFileRow] = []
    for upload in uploads:
        sha = hashlib.sha256(upload.content).hexdigest()
        if sha in existing:
            continue
        existing.add(sha)
        if session.get(DocumentContentRow, sha) is None:
            session.add(DocumentContentRow(sha256=sha, size=len(upload.content),
                                           content=upload.content))
        row = DocumentFileRow(declaration_id=declaration_id, sha256=sha,
                              filename=_filename(upload.filename),
                              media_type=upload.media_type[:100], size=len(upload.content),
                              uploaded_by=actor.username, uploaded_at=now)
        try:
            reading = _read(upload)
        except SmartCustomsError as exc:
            row.error = {"code": exc.code, "detail": exc.detail}
        else:
            row.document_type = reading.document_type.value
            row.number = (reading.document.number or "")[:70] or None
            row.page_count = reading.page_count
            row.reading = reading.model_dump(mode="json")
        session.add(row)
        added.append(row)
    session.flush()
    if added:
        audit.record(session, actor=actor.username, action="documents.attach",
                     entity_type="declaration", entity_id=declaration_id,
                     detail={"files": [{"id": r.id, "sha256": r.sha256, "name": r.filename,
                                        "type": r.document_type, "error": r.error}
                                       for r in added]}, now=now)
        _store_check(session, declaration_id, declared, actor=actor, now=now,
                     classifier=classifier)
    result = declaration_documents(session, declaration_id, actor=actor)
    return result.model_copy(update={"added": len(added)})


def recheck_documents(session: Session, declaration_id: str, *, actor: Principal,
                      now: dt.datetime, classifier: HSVerifier | None = None
                      ) -> DocumentCheck:
    """Run the cross-check again (a new tariff model, changed tolerances, an amended
    declaration) over the documents already attached."""
    actor.require(Permission.attach_documents)
    declared = declarations.get_declaration(session, declaration_id, actor=actor).declared
    _store_check(session, declaration_id, declared, actor=actor, now=now,
                 classifier=classifier)
    return declaration_documents(session, declaration_id, actor=actor)


def declaration_documents(session: Session, declaration_id: str, *,
                          actor: Principal) -> DocumentCheck:
    """The declaration's documents and current findings (a trader sees their own)."""
    declarations.get_declaration(session, declaration_id, actor=actor)
    files = [_file(row) for row in _files(session, declaration_id)]
    check = session.execute(select(DocumentCheckRow).where(
        DocumentCheckRow.declaration_id == declaration_id)).scalar_one_or_none()
    if check is None:
        return DocumentCheck(declaration_id=declaration_id, files=files)
    rows = session.execute(select(DocumentFindingRow).where(
        DocumentFindingRow.check_id == check.id).order_by(DocumentFindingRow.position)
    ).scalars()
    return DocumentCheck(
        declaration_id=declaration_id, files=files, checked_at=check.checked_at,
        checked_by=check.checked_by, tariff_checked=check.tariff_checked,
        counts=check.counts,
        findings=[StoredFinding.model_validate({**row.finding, "file_id": row.file_id})
                  for row in rows])


def document_reading(session: Session, declaration_id: str, file_id: int, *,
                     actor: Principal) -> tuple[DocumentFile, DocumentReading | None]:
    """One attached file and its reading (None when it could not be read)."""
    row = _file_row(session, declaration_id, file_id, actor=actor)
    reading = DocumentReading.model_validate(row.reading) if row.reading else None
    return _file(row), reading


def document_content(session: Session, declaration_id: str, file_id: int, *,
                     actor: Principal) -> tuple[DocumentFile, bytes]:
    """The bytes of an attached file, exactly as received."""
    row = _file_row(session, declaration_id, file_id, actor=actor)
    content = session.get(DocumentContentRow, row.sha256)
    assert content is not None  # a foreign key holds it
    return _file(row), content.content


def page_image(session: Session, declaration_id: str, file_id: int, page: int, *,
               actor: Principal, dpi: int = 110) -> bytes:
    """One page of an attached PDF as PNG, to show the evidence boxes on."""
    import io

    import pypdfium2 as pdfium

    file, content = document_content(session, declaration_id, file_id, actor=actor)
    if file.page_count is not None and not 1 <= page <= file.page_count:
        raise NotFound(f"document {file_id} has {file.page_count} page(s); there is no "
                       f"page {page}", field="page", value=page)
    try:
        pdf = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as exc:
        raise DocumentUnreadable(f"cannot render the document: {exc}") from exc
    try:
        if not 1 <= page <= len(pdf):
            raise NotFound(f"document {file_id} has {len(pdf)} page(s); there is no page "
                           f"{page}", field="page", value=page)
        bitmap = pdf[page - 1].render(scale=dpi / 72)
        image = bitmap.to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
        return buffer.getvalue()
    finally:
        pdf.close()


def page_size(session: Session, declaration_id: str, file_id: int, page: int, *,
              actor: Principal) -> tuple[float, float]:
    """Width and height of a page of an attached PDF, in points (the evidence boxes' unit)."""
    import pypdfium2 as pdfium

    _, content = document_content(session, declaration_id, file_id, actor=actor)
    try:
        pdf = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as exc:
        raise DocumentUnreadable(f"cannot open the document: {exc}") from exc
    try:
        if not 1 <= page <= len(pdf):
            raise NotFound(f"document {file_id} has {len(pdf)} page(s); there is no page "
                           f"{page}", field="page", value=page)
        width, height = pdf[page - 1].get_size()
        return float(width), float(height)
    finally:
        pdf.close()


# --- internals -------------------------------------------------------------------------------
def _check_count(uploads: Sequence[Upload]) -> None:
    if not uploads:
        raise InvalidInput("no file was given", field="files", value=0)
    if len(uploads) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files are read at once", field="files",
                           value=len(uploads))
    for upload in uploads:
        if len(upload.content) > MAX_BYTES:
            raise InvalidInput(f"{upload.filename} is larger than {MAX_BYTES // 2**20} MiB",
                               field="files", value=upload.filename)


def _read(upload: Upload) -> DocumentReading:
    from smartcustoms.documents.extract import read_document

    try:
        return read_document(upload.content)
    except SmartCustomsError as exc:
        # Name the file: with several uploads, "cannot be read" alone does not say which.
        exc.detail = f"{upload.filename}: {exc.detail}"
        raise


def _filename(name: str) -> str:
    # Keep the name as sent, minus any directory part a browser or client may add.
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return (base or "document")[:255]


def _files(session: Session, declaration_id: str) -> list[DocumentFileRow]:
    return list(session.execute(select(DocumentFileRow).where(
        DocumentFileRow.declaration_id == declaration_id).order_by(DocumentFileRow.id)
    ).scalars())


def _file_row(session: Session, declaration_id: str, file_id: int, *,
              actor: Principal) -> DocumentFileRow:
    declarations.get_declaration(session, declaration_id, actor=actor)
    row = session.get(DocumentFileRow, file_id)
    if row is None or row.declaration_id != declaration_id:
        raise NotFound(f"declaration {declaration_id} has no document {file_id}",
                       field="file_id", value=file_id)
    return row


def _file(row: DocumentFileRow) -> DocumentFile:
    missing = list(row.reading.get("missing", ())) if row.reading else []
    return DocumentFile(
        id=row.id, filename=row.filename, media_type=row.media_type, size=row.size,
        sha256=row.sha256,
        document_type=DocumentType(row.document_type) if row.document_type else None,
        number=row.number, page_count=row.page_count, read=row.reading is not None,
        error=row.error, missing=missing, uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at)


def _store_check(session: Session, declaration_id: str, declared: DeclarationCreate, *,
                 actor: Principal, now: dt.datetime, classifier: HSVerifier | None) -> None:
    files = [row for row in _files(session, declaration_id) if row.reading is not None]
    session.execute(delete(DocumentCheckRow).where(
        DocumentCheckRow.declaration_id == declaration_id))
    if not files:
        return
    readings = [DocumentReading.model_validate(row.reading) for row in files]
    findings = cross_check(declared, readings, classifier=classifier)
    counts = severity_counts(findings)
    check = DocumentCheckRow(
        declaration_id=declaration_id, file_ids=[row.id for row in files],
        counts=counts, high=counts["high"], medium=counts["medium"],
        tariff_checked=classifier is not None,
        checked_by=actor.username, checked_at=now)
    session.add(check)
    session.flush()
    session.add_all(
        DocumentFindingRow(check_id=check.id, declaration_id=declaration_id, position=i,
                           code=f.code, severity=f.severity.value,
                           file_id=_file_of(f, files), finding=f.model_dump(mode="json"))
        for i, f in enumerate(findings))
    session.flush()


def _file_of(finding: Finding, files: list[DocumentFileRow]) -> int | None:
    """The attached file a finding's document side was read from: by type and number
    (a finding carries both), the first such file when two print the same number."""
    side = finding.document
    if side is None:
        return None
    same_type = [row for row in files if row.document_type == side.document_type.value]
    for row in same_type:
        if side.document_number is not None and row.number == side.document_number[:70]:
            return row.id
    return same_type[0].id if len(same_type) == 1 else None


def severity_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Findings per severity, every severity present (for summaries)."""
    counts = Counter(f.severity.value for f in findings)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def active_classifier(classifiers: Any, session: Session, settings: Any) -> HSVerifier | None:
    """The active tariff model for the description check, or None when none is active
    (the other checks run without it)."""
    if classifiers is None:
        return None
    from smartcustoms.tariff import NoTariffModel

    try:
        classifier: HSVerifier = classifiers.get(session, settings)[0]
    except NoTariffModel:
        return None
    return classifier
