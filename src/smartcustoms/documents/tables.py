"""ORM tables of document compliance: valuation band versions and each declared item's
unit value against its band."""

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
