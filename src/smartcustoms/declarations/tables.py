"""ORM tables of the declarations capability."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcustoms.db import Base, UTCDateTime


class DeclarationRow(Base):
    """A declaration as declared (``document`` is its canonical JSON) plus search columns."""

    __tablename__ = "declarations"

    # Storage order: rows are appended in key order and items are clustered by it, so
    # a bulk load writes at the ends of the tables instead of all over a random key.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    # Derived from (declarant id, LRN): the same declaration always gets the same id,
    # which makes bulk imports idempotent without a round trip per row. It is what the
    # API, the console and other tables use; its uniqueness is (declarant, LRN)'s.
    id: Mapped[str] = mapped_column(String(32), unique=True)
    reference: Mapped[str] = mapped_column(String(35))
    declarant_id: Mapped[str] = mapped_column(String(35))
    importer_id: Mapped[str | None] = mapped_column(String(35))
    profile: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    declaration_date: Mapped[dt.date] = mapped_column(Date)
    office: Mapped[str] = mapped_column(String(35))
    item_count: Mapped[int] = mapped_column(Integer)
    content_digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    absent_in_source: Mapped[list[str] | None] = mapped_column(JSON)
    source_extra: Mapped[dict[str, str] | None] = mapped_column(JSON)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_declarations_date", "declaration_date"),
        Index("ix_declarations_importer", "importer_id"),
        Index("ix_declarations_office", "office"),
    )


class DeclarationItemRow(Base):
    """Per-item columns for search and analytics; the truth is the parent's document."""

    __tablename__ = "declaration_items"

    # A declaration's items are stored together, after the previous declaration's.
    declaration_seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("declarations.seq", ondelete="CASCADE"), primary_key=True,
    )
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    hs_code: Mapped[str] = mapped_column(String(10))
    hs_edition: Mapped[str] = mapped_column(String(8))
    origin_country: Mapped[str | None] = mapped_column(String(2))
    description: Mapped[str | None] = mapped_column(Text)
    net_mass_kg: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    price_amount: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    price_currency: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (
        Index("ix_declaration_items_hs_code", "hs_code"),
        Index("ix_declaration_items_origin", "origin_country"),
        # The primary key is the storage order: no separate rowid tree to write.
        {"sqlite_with_rowid": False},
    )


class ImportRunRow(Base):
    """One run of a file import, with its counts; a rerun of the same file is a new run."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_bytes: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(8))
    mapping_name: Mapped[str | None] = mapped_column(String(128))
    mapping_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    # Which process runs the import: a run whose process is gone is shown as interrupted.
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    declarations_imported: Mapped[int] = mapped_column(Integer, default=0)
    items_imported: Mapped[int] = mapped_column(Integer, default=0)
    declarations_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[list[str] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class QuarantineRow(Base):
    """A source record that failed validation, with every reason; nothing is dropped."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    line: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[str] = mapped_column(Text)
    errors: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    # The same bad line of the same file is quarantined once, however often it is imported.
    __table_args__ = (UniqueConstraint("file_sha256", "line"),)
