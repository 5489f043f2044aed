"""The risk frame: one row per declared item, in canonical columns, with its labels.

Every capability downstream (features, training, evaluation, simulation) reads this
frame, so an administration's own data works as soon as it is imported through a
mapping: nothing here knows the column names of a source file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import polars as pl
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from smartcustoms.declarations.tables import DeclarationItemRow, DeclarationRow
from smartcustoms.documents.tables import DocumentCheckRow, ValuationCheckRow
from smartcustoms.origin.tables import OriginLinkRow
from smartcustoms.risk.tables import InspectionRow
from smartcustoms.screening.tables import ScreeningCheckRow, ScreeningHitRow
from smartcustoms.tariff.tables import TariffCheckRow

# Label columns: null where the declaration was not inspected (or its outcome is not
# known yet); an officer's own record takes precedence over a source file's outcome.
LABELS = ("irregular", "critical")
# Findings of other capabilities, joined per item (null where there is none): the
# tariff verdict, the unit value against its valuation band, the parties' screening,
# the cross-check of the trade documents, the certificates of origin presented.
FINDING_COLUMNS: dict[str, Any] = {
    "tariff_verdict": pl.String, "tariff_fit": pl.Float64,
    "uv_z": pl.Float64, "uv_below_band": pl.Boolean,
    "screening_score": pl.Float64, "screening_hits": pl.Int32,
    "document_high": pl.Int32, "document_medium": pl.Int32,
    "origin_failed": pl.Int32,
}

_STRING_COLUMNS = ("declaration_id", "office", "declarant", "importer", "seller", "hs6", "hs4",
                   "hs2", "origin", "departure", "transport_mode", "preference_code",
                   "currency")
_FLOAT_COLUMNS = ("net_mass_kg", "price", "duty_rate")


def _party(document: dict[str, Any], role: str) -> str | None:
    for party in document.get("parties", ()):
        if party.get("role") == role:
            return party.get("identifier")  # type: ignore[no-any-return]
    return None


def load_frame(session: Session, *, until: dt.date | None = None,
               batch_size: int = 20_000) -> pl.DataFrame:
    """Every stored declaration item up to ``until`` (inclusive), sorted by date."""
    query = (
        select(DeclarationRow.id, DeclarationRow.declaration_date, DeclarationRow.document,
               DeclarationItemRow.sequence)
        .join(DeclarationItemRow, DeclarationItemRow.declaration_seq == DeclarationRow.seq)
        .order_by(DeclarationRow.declaration_date, DeclarationRow.id,
                  DeclarationItemRow.sequence)
    )
    if until is not None:
        query = query.where(DeclarationRow.declaration_date <= until)
    records: list[dict[str, Any]] = []
    for decl_id, date, document_text, sequence in session.execute(
            query.execution_options(yield_per=batch_size)):
        records.append(frame_record(decl_id, date, orjson.loads(document_text), sequence))
    frame = records_to_frame(records)
    return attach_findings(attach_labels(frame, session), session)


def frame_record(decl_id: str, date: dt.date, document: dict[str, Any], sequence: int
                 ) -> dict[str, Any]:
    """One item of a declaration document as a frame row (scoring uses this too)."""
    item = document["items"][sequence - 1]
    hs = item.get("hs_code") or ""
    price = item.get("price") or {}
    record: dict[str, Any] = {
        "declaration_id": decl_id, "sequence": sequence, "date": date,
        "office": document.get("office"), "declarant": _party(document, "declarant"),
        "importer": _party(document, "importer"), "seller": _party(document, "seller"),
        "hs6": hs[:6] or None, "hs4": hs[:4] or None, "hs2": hs[:2] or None,
        "origin": item.get("origin_country"), "departure": document.get("dispatch_country"),
        "transport_mode": (document.get("transport") or {}).get("mode_at_border"),
        "preference_code": item.get("preference_code"),
        "net_mass_kg": _float(item.get("net_mass_kg")), "price": _float(price.get("amount")),
        "currency": price.get("currency"), "duty_rate": _float(item.get("duty_rate_percent")),
    }
    for key, value in (document.get("national") or {}).items():
        record[f"national.{key}"] = None if value is None else str(value)
    return record


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def records_to_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    schema: dict[str, Any] = {c: pl.String for c in _STRING_COLUMNS}
    schema |= {c: pl.Float64 for c in _FLOAT_COLUMNS}
    schema |= {"sequence": pl.Int32, "date": pl.Date}
    national = sorted({k for r in records for k in r if k.startswith("national.")})
    schema |= {k: pl.String for k in national}
    order = ["declaration_id", "sequence", "date", *(c for c in _STRING_COLUMNS[1:]),
             *_FLOAT_COLUMNS, *national]
    return pl.DataFrame(records, schema=schema).select(order)


def attach_findings(frame: pl.DataFrame, session: Session,
                    declaration_ids: list[str] | None = None) -> pl.DataFrame:
    """Every capability's findings on the frame's items (``FINDING_COLUMNS``)."""
    frame = attach_tariff(frame, session, declaration_ids)
    frame = attach_valuation(frame, session, declaration_ids)
    frame = attach_screening(frame, session, declaration_ids)
    frame = attach_documents(frame, session, declaration_ids)
    return attach_origin(frame, session, declaration_ids)


def attach_valuation(frame: pl.DataFrame, session: Session,
                     declaration_ids: list[str] | None = None) -> pl.DataFrame:
    """Each item's unit value against its valuation band: the robust z (negative is
    cheaper than usual) and whether it is below the band; null where there is no band
    (rules: ``uv_below_band = true``, ``uv_z < -4``)."""
    query = select(ValuationCheckRow.declaration_id, ValuationCheckRow.item_sequence,
                   ValuationCheckRow.z, ValuationCheckRow.below_band)
    if declaration_ids is not None:
        query = query.where(ValuationCheckRow.declaration_id.in_(declaration_ids))
    checks = pl.DataFrame(
        session.execute(query).all(),
        schema={"declaration_id": pl.String, "sequence": pl.Int32, "uv_z": pl.Float64,
                "uv_below_band": pl.Boolean}, orient="row")
    return frame.join(checks, on=["declaration_id", "sequence"], how="left",
                      maintain_order="left")


def attach_screening(frame: pl.DataFrame, session: Session,
                     declaration_ids: list[str] | None = None) -> pl.DataFrame:
    """Per declaration, on each of its items: the best score of its parties' screening
    hits that no officer cleared (0 when screened without such a hit) and how many there
    are; null where the parties were not screened (rules: ``screening_hits > 0``)."""
    checks = select(ScreeningCheckRow.declaration_id)
    hits = (select(ScreeningHitRow.declaration_id, func.max(ScreeningHitRow.score),
                   func.count()).where(ScreeningHitRow.status != "cleared")
            .group_by(ScreeningHitRow.declaration_id))
    if declaration_ids is not None:
        checks = checks.where(ScreeningCheckRow.declaration_id.in_(declaration_ids))
        hits = hits.where(ScreeningHitRow.declaration_id.in_(declaration_ids))
    screened = pl.DataFrame(session.execute(checks).all(),
                            schema={"declaration_id": pl.String}, orient="row")
    scored = pl.DataFrame(session.execute(hits).all(), orient="row", schema={
        "declaration_id": pl.String, "screening_score": pl.Float64,
        "screening_hits": pl.Int32})
    per_declaration = screened.join(scored, on="declaration_id", how="left").with_columns(
        pl.col("screening_score").fill_null(0.0), pl.col("screening_hits").fill_null(0))
    return frame.join(per_declaration, on="declaration_id", how="left",
                      maintain_order="left")


def attach_documents(frame: pl.DataFrame, session: Session,
                     declaration_ids: list[str] | None = None) -> pl.DataFrame:
    """Per declaration, on each of its items: how many high and medium findings the
    cross-check of its trade documents gave; null where no document was checked
    (rules: ``document_high > 0``)."""
    query = select(DocumentCheckRow.declaration_id, DocumentCheckRow.high,
                   DocumentCheckRow.medium)
    if declaration_ids is not None:
        query = query.where(DocumentCheckRow.declaration_id.in_(declaration_ids))
    checks = pl.DataFrame(session.execute(query).all(), orient="row", schema={
        "declaration_id": pl.String, "document_high": pl.Int32,
        "document_medium": pl.Int32})
    return frame.join(checks, on="declaration_id", how="left", maintain_order="left")


def attach_origin(frame: pl.DataFrame, session: Session,
                  declaration_ids: list[str] | None = None) -> pl.DataFrame:
    """Per declaration, on each of its items: how many of the certificates of origin
    presented for it failed (not verifying, revoked, expired, over-used, not matching the
    goods); null where none was presented (rules: ``origin_failed > 0``)."""
    query = (select(OriginLinkRow.declaration_id,
                    func.sum(case((OriginLinkRow.ok.is_(False), 1), else_=0)))
             .group_by(OriginLinkRow.declaration_id))
    if declaration_ids is not None:
        query = query.where(OriginLinkRow.declaration_id.in_(declaration_ids))
    links = pl.DataFrame(session.execute(query).all(), orient="row", schema={
        "declaration_id": pl.String, "origin_failed": pl.Int32})
    return frame.join(links, on="declaration_id", how="left", maintain_order="left")


def attach_tariff(frame: pl.DataFrame, session: Session,
                  declaration_ids: list[str] | None = None) -> pl.DataFrame:
    """Each item's tariff verdict (fits / doubtful / misfit) and the probability the
    classifier gave its declared code; null where the item was not verified (no
    description, no model). Rules read them: ``tariff_verdict = "misfit"``."""
    query = select(TariffCheckRow.declaration_id, TariffCheckRow.item_sequence,
                   TariffCheckRow.verdict, TariffCheckRow.probability)
    if declaration_ids is not None:
        query = query.where(TariffCheckRow.declaration_id.in_(declaration_ids))
    checks = pl.DataFrame(
        session.execute(query).all(),
        schema={"declaration_id": pl.String, "sequence": pl.Int32,
                "tariff_verdict": pl.String, "tariff_fit": pl.Float64}, orient="row")
    return frame.join(checks, on=["declaration_id", "sequence"], how="left",
                      maintain_order="left")


def attach_labels(frame: pl.DataFrame, session: Session) -> pl.DataFrame:
    rows = session.execute(select(InspectionRow.declaration_id, InspectionRow.source,
                                  InspectionRow.irregular, InspectionRow.critical)).all()
    labels = pl.DataFrame(
        rows, schema={"declaration_id": pl.String, "source": pl.String,
                      "irregular": pl.Boolean, "critical": pl.Boolean}, orient="row")
    # Officer first: one label per declaration.
    labels = (labels.with_columns((pl.col("source") != "officer").alias("_rank"))
              .sort("declaration_id", "_rank").unique("declaration_id", keep="first")
              .select("declaration_id", pl.col("irregular").cast(pl.Int8),
                      pl.col("critical").cast(pl.Int8)))
    return frame.join(labels, on="declaration_id", how="left", maintain_order="left")
