"""ORM tables of the risk capability: inspection outcomes, model versions, rules and lists,
lane decisions and the versions of the lane settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcustoms.db import Base, UTCDateTime


class InspectionRow(Base):
    """What an inspection found: the only labels the risk models learn from.

    ``source`` tells an officer's own record from outcomes that came with
    historical data (a source file's columns); an officer's record wins.
    """

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    irregular: Mapped[bool] = mapped_column(Boolean)
    critical: Mapped[bool | None] = mapped_column(Boolean)
    duty_recovered: Mapped[Decimal | None] = mapped_column(Numeric(20, 2))
    notes: Mapped[str | None] = mapped_column(Text)
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("declaration_id", "source"),)


class RiskModelRow(Base):
    """One trained model version; ``artifact`` is everything needed to score with it."""

    __tablename__ = "risk_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # sha256 of the artifact: the same training on the same data gives the same version.
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # candidate | promoted | retired
    train_from: Mapped[dt.date] = mapped_column(Date)
    train_to: Mapped[dt.date] = mapped_column(Date)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    rows_train: Mapped[int] = mapped_column(Integer)
    rows_valid: Mapped[int] = mapped_column(Integer)
    features: Mapped[list[str]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    artifact: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    promoted_by: Mapped[str | None] = mapped_column(String(128))
    promoted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RiskListRow(Base):
    """A reusable named list for rules (companies, countries, HS prefixes): ``@name``."""

    __tablename__ = "risk_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    values: Mapped[list[str]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RiskRuleRow(Base):
    """An officer-written selectivity criterion: when its condition holds, its lane."""

    __tablename__ = "risk_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    condition: Mapped[str] = mapped_column(Text)
    lane: Mapped[str] = mapped_column(String(8))
    priority: Mapped[int] = mapped_column(Integer)  # higher wins between rules of one lane
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LaneDecisionRow(Base):
    """The lane given to a declaration, how it was chosen, and why."""

    __tablename__ = "lane_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), unique=True)
    lane: Mapped[str] = mapped_column(String(8), index=True)
    selected_by: Mapped[str] = mapped_column(String(8))
    # P(this policy inspects the declaration): weights for unbiased hit-rate estimates.
    propensity: Mapped[float] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("risk_models.id"))
    rule_ids: Mapped[list[int]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    settings_sha256: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LaneSettingsRow(Base):
    """One version of the lane settings; at most one is active.

    ``active`` is true or null, never false: the unique constraint then lets one row only
    be active (nulls are distinct on SQLite and PostgreSQL alike), whatever two
    supervisors do at once. ``created_by`` is the user (null for the CLI operator and
    the system, who have no user row); ``author`` and ``activated_by`` are names as the
    audit log writes them.
    """

    __tablename__ = "lane_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # LaneSettings.model_dump(json)
    sha256: Mapped[str] = mapped_column(String(64))  # LaneSettings.digest()
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool | None] = mapped_column(Boolean, unique=True)
    activated_by: Mapped[str | None] = mapped_column(String(128))
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("active", name="active_true_or_null"),)
