"""Valuation bands as a service: fitted on the stored declarations, versioned, and read
against every declared item (on submission, and for the whole history after a fit).

Bands are fitted per price currency: an item priced in USD is read against what was
declared in USD. No exchange rate is assumed — a declaration's own rate is a declared
value like any other, and converting with it would let an undervalued declaration
also misstate its rate to move its unit value into the band.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import threading
import zipfile
from collections.abc import Callable
from typing import Any

import orjson
import polars as pl
from pydantic import BaseModel
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from smartcustoms.documents.tables import ValuationBandsRow, ValuationCheckRow
from smartcustoms.documents.valuation import ValueBands, unit_values
from smartcustoms.errors import NotFound, SmartCustomsError
from smartcustoms.identity import Permission, Principal, audit

Progress = Callable[[str], None]
_ITEM_PATH = re.compile(r"^items\[(\d+)\]\.")


class NoValuationBands(SmartCustomsError):
    code = "no-valuation-bands"
    title = "No valuation bands are fitted"
    http_status = 409


class BandsVersion(BaseModel):
    id: int
    content_sha256: str
    status: str
    params: dict[str, Any]
    summary: dict[str, Any]
    fit_start: dt.date | None
    fit_end: dt.date | None
    created_by: str
    created_at: dt.datetime


class ValueCheck(BaseModel):
    """One item's unit value against its band (``below_band`` null: no band to read)."""

    item_sequence: int
    currency: str
    unit_value: float
    band_level: str | None
    band_median: float | None
    band_low: float | None
    band_count: int | None
    z: float | None
    below_band: bool | None
    message: str | None
    bands_id: int
    checked_at: dt.datetime


def _version(row: ValuationBandsRow) -> BandsVersion:
    return BandsVersion(id=row.id, content_sha256=row.content_sha256, status=row.status,
                        params=row.params, summary=row.summary, fit_start=row.fit_start,
                        fit_end=row.fit_end, created_by=row.created_by,
                        created_at=row.created_at)


def _with_unit_values(frame: pl.DataFrame) -> pl.DataFrame:
    return unit_values(frame, value_col="price", mass_col="net_mass_kg")


def fit_bands(session: Session, *, actor: Principal, now: dt.datetime,
              until: dt.date | None = None, min_count: int = 20, threshold: float = 3.0,
              progress: Progress | None = None) -> BandsVersion:
    """Fit bands on the declarations lodged up to ``until`` and make them the active
    version; fitting the same history again changes nothing."""
    from smartcustoms.risk.frame import load_frame

    actor.require(Permission.train_risk_models)
    say = progress or (lambda _message: None)
    say("reading the declaration history")
    frame = _with_unit_values(load_frame(session, until=until))
    per_currency: dict[str, ValueBands] = {}
    for (currency,), part in frame.filter(pl.col("uv").is_not_null()).group_by(
            "currency", maintain_order=True):
        if currency is None or part.height < min_count:
            continue
        say(f"fitting the bands of {part.height:,} items priced in {currency}")
        per_currency[str(currency)] = ValueBands.fit(part, min_count=min_count,
                                                     threshold=threshold, currency=currency)
    if not per_currency:
        raise NoValuationBands(
            f"no currency has {min_count} stored items with a price and a net mass to fit "
            "bands on", field="declarations", value=frame.height)
    payload = _pack(per_currency)
    digest = hashlib.sha256(payload).hexdigest()
    existing = session.execute(select(ValuationBandsRow).where(
        ValuationBandsRow.content_sha256 == digest)).scalar_one_or_none()
    if existing is not None and existing.status == "active":
        return _version(existing)
    session.execute(update(ValuationBandsRow).where(ValuationBandsRow.status == "active")
                    .values(status="retired"))
    if existing is not None:
        existing.status = "active"
        row = existing
    else:
        starts = [b.fit_start for b in per_currency.values() if b.fit_start]
        ends = [b.fit_end for b in per_currency.values() if b.fit_end]
        row = ValuationBandsRow(
            content_sha256=digest, status="active",
            params={"min_count": min_count, "threshold": threshold, "until": str(until)
                    if until else None},
            summary={c: {"rows": b.rows, "bands": b.bands.height}
                     for c, b in per_currency.items()},
            fit_start=min(starts, default=None), fit_end=max(ends, default=None),
            payload=payload, created_by=actor.username, created_at=now)
        session.add(row)
    session.flush()
    audit.record(session, actor=actor.username, action="valuation.bands.fit",
                 entity_type="valuation_bands", entity_id=str(row.id),
                 detail={"sha256": digest, "summary": row.summary}, now=now)
    return _version(row)


def _pack(per_currency: dict[str, ValueBands]) -> bytes:
    # Fixed timestamps and order: the same bands give the same bytes, hence the same sha.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for currency in sorted(per_currency):
            info = zipfile.ZipInfo(f"{currency}.json", date_time=(2000, 1, 1, 0, 0, 0))
            archive.writestr(info, per_currency[currency].to_json())
    return buffer.getvalue()


def _unpack(payload: bytes) -> dict[str, ValueBands]:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return {name.removesuffix(".json"): ValueBands.from_json(archive.read(name))
                for name in archive.namelist()}


def list_bands(session: Session) -> list[BandsVersion]:
    rows = session.execute(select(ValuationBandsRow).order_by(ValuationBandsRow.id.desc()))
    return [_version(r) for r in rows.scalars()]


class ActiveBands:
    """The active version, unpacked once per process (re-read when another is fitted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int, str] | None = None
        self._bands: dict[str, ValueBands] = {}

    def get(self, session: Session) -> tuple[int, dict[str, ValueBands]]:
        row = session.execute(select(ValuationBandsRow.id, ValuationBandsRow.content_sha256)
                              .where(ValuationBandsRow.status == "active")).one_or_none()
        if row is None:
            raise NoValuationBands("no valuation bands are fitted; an analyst fits them with "
                                   "`smartcustoms documents bands fit`", field="bands",
                                   value=None)
        key = (str(session.get_bind().url), row.id, row.content_sha256)
        with self._lock:
            if key != self._key:
                payload = session.get(ValuationBandsRow, row.id).payload  # type: ignore[union-attr]
                self._bands, self._key = _unpack(payload), key
            return row.id, self._bands


ACTIVE = ActiveBands()


def band_table(session: Session, hs6: str, *, currency: str | None = None,
               origin: str | None = None) -> list[dict[str, Any]]:
    """The active bands of one HS6 subheading (its origins and the all-origin fallback)."""
    _, per_currency = ACTIVE.get(session)
    out = []
    for code, bands in sorted(per_currency.items()):
        if currency and code != currency:
            continue
        rows = bands.bands.filter(pl.col("hs6") == hs6)
        if origin:
            rows = rows.filter(pl.col("origin").is_null() | (pl.col("origin") == origin))
        out += [{"currency": code, **r} for r in rows.to_dicts()]
    return out


def _assess(per_currency: dict[str, ValueBands], frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` rows that have a unit value, with the band reading and the finding's text."""
    frame = _with_unit_values(frame).filter(pl.col("uv").is_not_null())
    parts = []
    for (currency,), part in frame.group_by("currency", maintain_order=True):
        bands = per_currency.get(str(currency)) if currency is not None else None
        if bands is None:
            continue  # no history in that currency: nothing to read it against
        assessed = bands.assess(part)
        messages = {(f.declaration_id, _sequence(f.field)): f.message
                    for f in bands.findings(part)}
        parts.append(assessed.with_columns(pl.Series(
            "uv_message", [messages.get((d, s)) for d, s in
                           zip(assessed["declaration_id"], assessed["sequence"], strict=True)],
            dtype=pl.String)))
    return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()


def _sequence(field: str) -> int:
    """The 1-based item sequence of a finding's field path ``items[i].price``."""
    match = _ITEM_PATH.match(field)
    assert match is not None, field
    return int(match.group(1)) + 1


def _check_rows(assessed: pl.DataFrame, bands_id: int, now: dt.datetime
                ) -> list[dict[str, Any]]:
    return [{"declaration_id": r["declaration_id"], "item_sequence": r["sequence"],
             "currency": r["currency"], "unit_value": r["uv"],
             "band_level": r["uv_band_level"], "band_median": r["uv_band_median"],
             "band_low": r["uv_band_low"], "band_count": r["uv_band_count"],
             "z": r["uv_z"], "below_band": r["uv_below_band"], "message": r["uv_message"],
             "bands_id": bands_id, "checked_at": now}
            for r in assessed.iter_rows(named=True)]


def check_declaration_values(session: Session, declaration_id: str, *, now: dt.datetime
                             ) -> list[ValueCheck]:
    """Read each priced item of a stored declaration against the active bands and store
    the readings (replacing earlier ones)."""
    from smartcustoms.declarations.repository import get_declaration
    from smartcustoms.risk.frame import frame_record, records_to_frame

    row = get_declaration(session, declaration_id)
    if row is None:
        raise NotFound(f"no declaration {declaration_id}", field="declaration_id",
                       value=declaration_id)
    bands_id, per_currency = ACTIVE.get(session)
    document = orjson.loads(row.document)
    frame = records_to_frame([frame_record(row.id, row.declaration_date, document, i + 1)
                              for i in range(len(document["items"]))])
    assessed = _assess(per_currency, frame)
    session.execute(delete(ValuationCheckRow).where(
        ValuationCheckRow.declaration_id == declaration_id))
    rows = _check_rows(assessed, bands_id, now) if assessed.height else []
    if rows:
        session.execute(insert(ValuationCheckRow), rows)
    session.flush()
    return declaration_values(session, declaration_id)


def check_all_values(session: Session, *, now: dt.datetime,
                     progress: Progress | None = None) -> dict[str, int]:
    """Read every stored item against the active bands (after a fit): the readings of
    the previous version are replaced."""
    from smartcustoms.risk.frame import load_frame

    say = progress or (lambda _message: None)
    bands_id, per_currency = ACTIVE.get(session)
    say("reading the stored items")
    assessed = _assess(per_currency, load_frame(session))
    session.execute(delete(ValuationCheckRow))
    rows = _check_rows(assessed, bands_id, now) if assessed.height else []
    say(f"storing {len(rows):,} readings")
    for start in range(0, len(rows), 5_000):
        session.execute(insert(ValuationCheckRow), rows[start:start + 5_000])
    session.flush()
    below = sum(1 for r in rows if r["below_band"])
    return {"items": len(rows), "below_band": below,
            "with_band": sum(1 for r in rows if r["band_level"] is not None)}


def declaration_values(session: Session, declaration_id: str) -> list[ValueCheck]:
    rows = session.execute(select(ValuationCheckRow).where(
        ValuationCheckRow.declaration_id == declaration_id)
        .order_by(ValuationCheckRow.item_sequence)).scalars()
    return [ValueCheck(item_sequence=r.item_sequence, currency=r.currency,
                       unit_value=r.unit_value, band_level=r.band_level,
                       band_median=r.band_median, band_low=r.band_low,
                       band_count=r.band_count, z=r.z, below_band=r.below_band,
                       message=r.message, bands_id=r.bands_id, checked_at=r.checked_at)
            for r in rows]
