"""ORM tables of transit monitoring.

``transit_raw`` is the source of truth: every payload as received, append-only (the
service only ever inserts; triggers made by the migration refuse UPDATE and DELETE).
A trip's state and its alerts are rebuilt from it by replay (``TransitService.load``).
``transit_alerts`` keeps each alert the engine published, with the officer's case on it;
an alert the engine withdraws stays, marked retracted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcustoms.db import Base, UTCDateTime


class TransitCorridorRow(Base):
    """A gazetted route of the library: line, width, stop zones (the ``Corridor`` model)."""

    __tablename__ = "transit_corridors"

    corridor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    synthetic: Mapped[bool] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(150))


class TransitDeviceRow(Base):
    """A tracker / e-seal allowed to report: its MQTT user name and secret (hashed in the
    broker's own format, so the password file is written from this table)."""

    __tablename__ = "transit_devices"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # active | disabled
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TransitTripRow(Base):
    """A transit movement under monitoring; ``spec`` is the ``Trip`` model as registered."""

    __tablename__ = "transit_trips"

    reference: Mapped[str] = mapped_column(String(18), primary_key=True)
    declaration_ref: Mapped[str] = mapped_column(String(64), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("transit_devices.device_id"), index=True)
    corridor_id: Mapped[str] = mapped_column(ForeignKey("transit_corridors.corridor_id"))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)  # active | closed
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    registered_by: Mapped[str] = mapped_column(String(150))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(150))


class TransitRawRow(Base):
    """One payload as received, before any judgement; ``id`` is its log position."""

    __tablename__ = "transit_raw"
    __table_args__ = (Index("ix_transit_raw_trip_ref_id", "trip_ref", "id"),)

    # 64-bit on PostgreSQL (billions of reports over the years); SQLite's rowid is already.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # mqtt | https | officer
    kind: Mapped[str] = mapped_column(String(24))  # RecordKind
    device_id: Mapped[str | None] = mapped_column(String(64))
    # The trip it was routed to on receipt; None when no active trip had its device.
    trip_ref: Mapped[str | None] = mapped_column(String(18))
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class TransitAlertRow(Base):
    """An alert as last published by the engine, and the officer's case on it."""

    __tablename__ = "transit_alerts"

    alert_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    trip_ref: Mapped[str] = mapped_column(ForeignKey("transit_trips.reference"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    alert: Mapped[dict[str, Any]] = mapped_column(JSON)  # the Alert model, as published
    engine_state: Mapped[str] = mapped_column(String(16), index=True)  # active | retracted
    replaced_by: Mapped[str | None] = mapped_column(String(20))  # re-issued as this alert
    case_status: Mapped[str] = mapped_column(String(16), index=True)
    assignee: Mapped[str | None] = mapped_column(String(150))
    reason: Mapped[str | None] = mapped_column(String(32))
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # service clock
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
