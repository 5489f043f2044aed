"""ORM tables of document compliance: valuation band versions, each declared item's unit
value against its band, and the trade documents attached to a declaration with the
findings of their cross-check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcustoms.db import Base, UTCDateTime


class ValuationBandsRow(Base):
    """One fit of the valuation bands on the declaration history (one per currency)."""

    __tablename__ = "valuation_bands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # active | retired
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # per currency: rows, groups
    fit_start: Mapped[dt.date | None] = mapped_column(Date)
    fit_end: Mapped[dt.date | None] = mapped_column(Date)
    # {currency: ValueBands as parquet}, as one JSON document of base64 strings would
    # triple the size: a zip of parquet files, one per currency.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ValuationCheckRow(Base):
    """A declared item's unit value read against the band of its HS6 × origin."""

    __tablename__ = "valuation_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    item_sequence: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    unit_value: Mapped[float] = mapped_column(Float)
    band_level: Mapped[str | None] = mapped_column(String(16))  # hs6_origin | hs6 | none
    band_median: Mapped[float | None] = mapped_column(Float)
    band_low: Mapped[float | None] = mapped_column(Float)
    band_count: Mapped[int | None] = mapped_column(Integer)
    z: Mapped[float | None] = mapped_column(Float)
    below_band: Mapped[bool | None] = mapped_column(Boolean, index=True)
    message: Mapped[str | None] = mapped_column(String(1000))
    bands_id: Mapped[int] = mapped_column(ForeignKey("valuation_bands.id"))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    # One current reading per item; a new fit of the bands replaces it.
    __table_args__ = (UniqueConstraint("declaration_id", "item_sequence"),)


class DocumentContentRow(Base):
    """The bytes of a trade document as received, once per content (SHA-256)."""

    __tablename__ = "document_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class DocumentFileRow(Base):
    """A document attached to a declaration: what it is and what was read from it.

    A file that cannot be read (a damaged PDF, no recognisable title) is kept with its
    ``error``: nothing a trader sends is lost, and the officer sees why it was not used.
    """

    __tablename__ = "document_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("document_contents.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    document_type: Mapped[str | None] = mapped_column(String(32))
    number: Mapped[str | None] = mapped_column(String(70))
    page_count: Mapped[int | None] = mapped_column(Integer)
    reading: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # DocumentReading
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {code, detail}
    uploaded_by: Mapped[str] = mapped_column(String(128))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    # The same file attached twice to a declaration is one attachment (idempotent upload).
    __table_args__ = (UniqueConstraint("declaration_id", "sha256"),)


class DocumentCheckRow(Base):
    """The current cross-check of a declaration against all its readable documents."""

    __tablename__ = "document_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), unique=True)
    file_ids: Mapped[list[int]] = mapped_column(JSON)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)  # findings per severity
    high: Mapped[int] = mapped_column(Integer)
    medium: Mapped[int] = mapped_column(Integer)
    tariff_checked: Mapped[bool] = mapped_column(Boolean)
    checked_by: Mapped[str] = mapped_column(String(128))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DocumentFindingRow(Base):
    """One finding of the current check, in the order the checks gave it."""

    __tablename__ = "document_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    check_id: Mapped[int] = mapped_column(
        ForeignKey("document_checks.id", ondelete="CASCADE"), index=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(8))
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_files.id", ondelete="SET NULL"))
    finding: Mapped[dict[str, Any]] = mapped_column(JSON)  # the whole Finding
