"""ORM tables of the origin capability: an index of the log, and declarations' links.

The log on disk (``DATA_DIR/origin/log``) is the source of truth; ``origin_issuers`` and
the status columns of ``origin_certificates`` can be rebuilt from it
(``issuer_service.rebuild_index``). The committed certificate with its salts is not in the log:
it is the holder's secret material (whoever has it can make proof bundles), kept here
for the administration and its issuers only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcustoms.db import Base, UTCDateTime


class OriginIssuerRow(Base):
    """An issuer as the registry (root-signed statements in the log) says now."""

    __tablename__ = "origin_issuers"

    issuer_id: Mapped[str] = mapped_column(String(35), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    current_key_id: Mapped[str | None] = mapped_column(String(32))
    key_name: Mapped[str | None] = mapped_column(String(64))  # its private key file, if held
    status: Mapped[str] = mapped_column(String(16))  # active | revoked
    added_at: Mapped[int] = mapped_column(Integer)  # log position
    revoked_at: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class OriginCertificateRow(Base):
    """A certificate issued through this administration's log."""

    __tablename__ = "origin_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(35), index=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("origin_issuers.issuer_id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    leaf_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # issued | superseded | revoked
    certificate_type: Mapped[str] = mapped_column(String(32))
    agreement: Mapped[str | None] = mapped_column(String(16))
    exporting_country: Mapped[str] = mapped_column(String(2))
    importing_country: Mapped[str] = mapped_column(String(2))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    # The certificate and its 32-byte salts in schema order: the holder's secret.
    committed: Mapped[dict[str, Any]] = mapped_column(JSON)
    qr_payload: Mapped[str] = mapped_column(String(80))
    revocation_reason: Mapped[str | None] = mapped_column(String(32))
    revoked_at: Mapped[int | None] = mapped_column(Integer)  # log position
    issued_by: Mapped[str] = mapped_column(String(128))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("issuer_id", "number", "digest"),)


class OriginLinkRow(Base):
    """A certificate presented for a declaration, the verdict on it, what was drawn."""

    __tablename__ = "origin_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    certificate_number: Mapped[str | None] = mapped_column(String(35))
    digest: Mapped[str | None] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)
    # {"integrity": {...}, "status": {...}, "issuer": {...}, "declaration": {...}}
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON)
    drawn: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{sequence, value, unit}]
    utilisation_index: Mapped[int | None] = mapped_column(Integer)  # log position
    linked_by: Mapped[str] = mapped_column(String(128))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
