"""ORM tables of sanctions screening: the loaded lists, what each declaration's parties
matched, and the officers' decisions on those matches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcustoms.db import Base, UTCDateTime


class ScreeningListRow(Base):
    """One loaded version of a list (OFAC SDN, UN consolidated…).

    The newest loaded version of each source is the one screened against; older versions
    stay (retired) so a hit always names the list version that produced it.
    """

    __tablename__ = "screening_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    entry_count: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # active | retired
    origin: Mapped[str] = mapped_column(Text)  # the path or URL it was loaded from
    loaded_by: Mapped[str] = mapped_column(String(128))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    # Loading the same file twice loads nothing.
    __table_args__ = (UniqueConstraint("source", "content_sha256"),)


class ScreeningEntryRow(Base):
    """One listed person, entity, vessel or aircraft of a list version, as parsed."""

    __tablename__ = "screening_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("screening_lists.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    # sha256 of the entry's content: a decision holds until the entry changes.
    digest: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("list_id", "entry_id"),)


class ScreeningCheckRow(Base):
    """That a declaration's parties were screened, when, and against which lists."""

    __tablename__ = "screening_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), unique=True)
    list_ids: Mapped[list[int]] = mapped_column(JSON)
    parties_screened: Mapped[int] = mapped_column(Integer)
    open_hits: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[float | None] = mapped_column(Float)
    screened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ScreeningHitRow(Base):
    """A party of a declaration that scored at or above the threshold against an entry."""

    __tablename__ = "screening_hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declaration_id: Mapped[str] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    party_index: Mapped[int] = mapped_column(Integer)  # position in `parties`
    party_role: Mapped[str] = mapped_column(String(32))
    party_name: Mapped[str] = mapped_column(Text)
    party_key: Mapped[str] = mapped_column(String(64))
    list_id: Mapped[int] = mapped_column(ForeignKey("screening_lists.id"))
    source: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[str] = mapped_column(String(64))
    entry_digest: Mapped[str] = mapped_column(String(64))
    entry_name: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    # open: waits for an officer; cleared: a false-positive decision covers it;
    # confirmed: a true-match decision covers it.
    status: Mapped[str] = mapped_column(String(16), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("screening_decisions.id"))
    screened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("declaration_id", "party_index", "source", "entry_id"),)


class ScreeningDecisionRow(Base):
    """An officer's judgement on a (party, listed entry) pair.

    The pair is the party's key (its normalised name, country and identifier) and the
    entry with its digest: the decision applies to every declaration naming that party
    until either side changes, and then the pair alerts again.
    """

    __tablename__ = "screening_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_key: Mapped[str] = mapped_column(String(64))
    party_name: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[str] = mapped_column(String(64))
    entry_digest: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))  # true_match | false_positive
    note: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_screening_decisions_pair", "party_key", "source", "entry_id"),)
