"""ORM tables of the tariff capability: the administration's precedents, model versions
and the verification of every declared item."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcustoms.db import Base, UTCDateTime


class TariffPrecedentRow(Base):
    """A description with the code the administration decided or accepted for it.

    The shipped rulings (EU BTI, KCS) live in ``data/tariff``; these rows are what an
    administration adds: its own rulings (``source`` = the file's name or ``ruling``) and
    suggestions officers accepted on declarations (``accepted``).
    """

    __tablename__ = "tariff_precedents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(10))
    hs6: Mapped[str] = mapped_column(String(6), index=True)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    declaration_id: Mapped[str | None] = mapped_column(String(32))
    item_sequence: Mapped[int | None] = mapped_column(Integer)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    # Adding the same ruling file twice adds nothing.
    __table_args__ = (UniqueConstraint("source", "ref"),)


class TariffModelRow(Base):
    """A trained classifier version: its artifact file, what it learned from, its scores."""

    __tablename__ = "tariff_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # candidate | active | retired
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Administration precedents with id <= this were trained on; later ones are added
    # to the loaded model's index without refitting.
    precedents_through: Mapped[int] = mapped_column(Integer)
    precedent_count: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    artifact: Mapped[str] = mapped_column(Text)  # file name under DATA_DIR/models/tariff
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    activated_by: Mapped[str | None] = mapped_column(String(128))
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TariffCheckRow(Base):
    """The verification of one declared item's code against its description."""

    __tablename__ = "tariff_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    item_sequence: Mapped[int] = mapped_column(Integer)
    declared: Mapped[str] = mapped_column(String(10))
    verdict: Mapped[str] = mapped_column(String(8), index=True)  # fits | doubtful | misfit
    probability: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    better: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{hs6, probability}]
    model_id: Mapped[int | None] = mapped_column(ForeignKey("tariff_models.id"))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    # One current verdict per item; a re-check (new model) replaces it.
    __table_args__ = (UniqueConstraint("declaration_id", "item_sequence"),)
