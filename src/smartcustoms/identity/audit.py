"""The append-only, hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so editing
or deleting a row breaks the chain; the head row catches a deleted tail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.identity.tables import AuditHeadRow, AuditRow

GENESIS = "0" * 64


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def _entry_hash(row: AuditRow) -> str:
    body = {
        "seq": row.seq,
        "at": row.at.astimezone(dt.UTC).isoformat(),
        "actor": row.actor,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "change_digest": row.change_digest,
        "prev_hash": row.prev_hash,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any],
    now: dt.datetime,
) -> AuditRow:
    """Append one entry in the caller's transaction (it commits with the change itself)."""
    head = session.execute(
        select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHeadRow(id=1, seq=0, hash=GENESIS)
        session.add(head)
    row = AuditRow(
        seq=head.seq + 1,
        at=now,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        detail=detail,
        change_digest=digest(detail),
        prev_hash=head.hash,
        hash="",
    )
    row.hash = _entry_hash(row)
    session.add(row)
    head.seq, head.hash = row.seq, row.hash
    session.flush()
    return row


def head(session: Session) -> tuple[int, str]:
    """(sequence, hash) of the chain's last entry: keep it elsewhere to pin the history."""
    row = session.get(AuditHeadRow, 1)
    return (row.seq, row.hash) if row else (0, GENESIS)


@dataclass(frozen=True, slots=True)
class AuditReport:
    ok: bool
    entries: int
    head_seq: int
    first_bad_seq: int | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """An entry whose stored values no longer decode (e.g. its JSON was overwritten)."""

    seq: int
    reason: str


def _page(last: int, size: int) -> Any:
    return select(AuditRow).where(AuditRow.seq > last).order_by(AuditRow.seq).limit(size)


def _rows(session: Session, batch: int = 1000) -> Iterator[AuditRow | _Unreadable]:
    last = 0
    while True:
        try:
            rows: list[AuditRow] = list(session.scalars(_page(last, batch)).all())
        except (ValueError, TypeError):
            # Some row of this batch does not decode: read it entry by entry, so the
            # entries before it are still checked and the bad one is named.
            rows = []
            for seq in session.scalars(
                select(AuditRow.seq).where(AuditRow.seq > last).order_by(AuditRow.seq)
                .limit(batch)
            ).all():
                try:
                    rows.append(session.scalars(_page(seq - 1, 1)).one())
                except (ValueError, TypeError) as exc:
                    yield from rows
                    yield _Unreadable(seq, f"{type(exc).__name__}: {exc}")
                    return
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def _digest_or_none(detail: Any) -> str | None:
    """The digest of a stored detail; None when an edit made it unencodable (2**70)."""
    try:
        return digest(detail)
    except TypeError:  # orjson.JSONEncodeError
        return None


def verify(session: Session) -> AuditReport:
    """Walk the whole chain; report the first entry that does not check out."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for row in _rows(session):
        if row.seq != expected_seq:
            return AuditReport(False, count, row.seq, expected_seq,
                               f"entry {expected_seq} is missing (next found: {row.seq})")
        if isinstance(row, _Unreadable):  # fails closed: an unreadable entry is tampering
            return AuditReport(False, count, row.seq, row.seq,
                               f"entry {row.seq} cannot be read ({row.reason}): it was "
                               "changed after it was written")
        if row.prev_hash != prev_hash:
            return AuditReport(False, count, row.seq, row.seq,
                               f"entry {row.seq} does not link to entry {row.seq - 1}")
        if row.change_digest != _digest_or_none(row.detail):
            return AuditReport(False, count, row.seq, row.seq,
                               f"entry {row.seq}: its detail was changed after it was written")
        if row.hash != _entry_hash(row):
            return AuditReport(False, count, row.seq, row.seq,
                               f"entry {row.seq}: its content was changed after it was written")
        prev_hash, expected_seq, count = row.hash, expected_seq + 1, count + 1
    head = session.get(AuditHeadRow, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if (head_seq, head_hash) != (count, prev_hash):
        return AuditReport(False, count, head_seq, count + 1,
                           f"the log ends at entry {count} but its head says {head_seq}: "
                           "entries were deleted from the end")
    return AuditReport(True, count, head_seq)
