"""Read shapes for import runs and their quarantine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict


class ImportReport(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    file_name: str
    file_sha256: str
    file_bytes: int
    format: str
    mapping_name: str | None
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    rows_read: int
    declarations_imported: int
    items_imported: int
    declarations_unchanged: int
    rows_quarantined: int
    notes: list[str] | None
    error: str | None


class ImportReportList(BaseModel):
    items: list[ImportReport]
    total: int
    limit: int
    offset: int


class QuarantinedRecord(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    import_run_id: int
    line: int
    reference: str | None
    record: str
    errors: list[dict[str, Any]]
    created_at: dt.datetime


class QuarantineList(BaseModel):
    items: list[QuarantinedRecord]
    total: int
    limit: int
    offset: int
