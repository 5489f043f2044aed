"""A declaration's claim of origin, backed by a certificate bundle.

``link_certificate`` verifies the bundle the importer presents (offline with the
administration's own trust policy, then online against its log, which finds a revocation
made after the bundle), compares the certificate with the declaration, draws the
declared quantities (a root-signed utilise statement in the log) and stores the outcome.
A link that fails for any reason is kept too: it is a risk finding (``origin_failed`` in
the risk frame), never silently dropped.

Which items the certificate covers: the items that reference it among their documents
(UN/EDIFACT 1001 certificate-of-origin codes, the reference being the certificate
number); if none does, the items that claim a preference; if none does, every item.
Each must match a certificate goods item on the HS subheading (6 digits) whose
``hs_code`` and ``quantity`` the bundle discloses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.config import Settings
from smartcustoms.declarations import Declaration, GoodsItem, get_declaration
from smartcustoms.errors import InvalidInput
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.origin.bundle import MAX_BUNDLE_BYTES
from smartcustoms.origin.service import (
    CheckOut,
    VerdictOut,
    bundle_digest,
    record_utilisation,
    verdict_out,
)
from smartcustoms.origin.store import ensure_fresh, load_origin, open_log
from smartcustoms.origin.tables import OriginLinkRow
from smartcustoms.origin.verify import verify_bundle, verify_online

# UN/EDIFACT 1001: 861 certificate of origin, 862 declaration of origin, 864 preference
# certificate of origin, 865 certificate of origin form GSP; EU national codes for
# EUR.1 (N954), Form A (N864) and the REX statement on origin (U164).
ORIGIN_DOCUMENT_CODES = frozenset({"861", "862", "864", "865", "N954", "N864", "U164"})


class DrawnItem(BaseModel):
    declaration_item: int
    certificate_item: int
    value: Decimal
    unit: str


class OriginLink(BaseModel):
    id: int
    declaration_id: str
    certificate_number: str | None
    digest: str | None
    ok: bool
    offline: VerdictOut | None
    online: VerdictOut | None
    declaration: CheckOut = Field(description="The certificate against the declaration: "
                                  "importing country, goods, quantities, validity.")
    drawn: list[DrawnItem]
    utilisation_index: int | None
    linked_by: str
    linked_at: dt.datetime


def _covered(declaration: Declaration, number: str | None) -> list[GoodsItem]:
    items = declaration.declared.items
    named = [i for i in items if any(d.type_code in ORIGIN_DOCUMENT_CODES
                                     and d.reference == number for d in i.documents)]
    return named or [i for i in items if i.preference_code] or list(items)


def _compare(declaration: Declaration, verdict: VerdictOut, country: str
             ) -> tuple[CheckOut, list[DrawnItem]]:
    """The certificate's disclosed content against the declaration."""
    values = verdict.disclosed
    problems: list[str] = []
    importing = values.get("importing_country")
    if importing is None:
        problems.append("importing_country is not disclosed")
    elif importing != country:
        problems.append(f"the certificate is for imports into {importing}, not {country}")
    date = declaration.declared.declaration_date
    since, until = values.get("validity.issue_date"), values.get("validity.valid_until")
    if since is None or until is None:
        problems.append("validity is not disclosed")
    elif not since <= date <= until:
        problems.append(f"declared on {date}; the certificate is valid {since} to {until}")
    goods: dict[int, dict[str, Any]] = {}
    for path, value in values.items():
        if path.startswith("goods_items[") and "]." in path:
            index, field = path[len("goods_items["):].split("].", 1)
            goods.setdefault(int(index), {})[field] = value
    remaining = {b.sequence: b.remaining for b in verdict.balances}
    drawn: list[DrawnItem] = []
    for item in _covered(declaration, verdict.certificate_number):
        match = next((g for g in goods.values()
                      if str(g.get("hs_code", ""))[:6] == item.hs_code[:6]), None)
        if match is None:
            problems.append(f"item {item.sequence} (HS {item.hs_code[:6]}) is not among the "
                            "disclosed goods of the certificate")
            continue
        sequence, unit = int(match.get("sequence", 0)), match.get("quantity.unit")
        origin_country = match.get("origin_country")
        if item.origin_country and origin_country and item.origin_country != origin_country:
            problems.append(f"item {item.sequence}: origin {item.origin_country} declared, "
                            f"{origin_country} certified")
        if item.quantity is not None and item.quantity.unit == unit:
            value = item.quantity.value
        elif unit == "KGM" and item.net_mass_kg is not None:
            value = item.net_mass_kg
        else:
            problems.append(f"item {item.sequence}: no declared quantity in {unit}, the "
                            "certificate's unit")
            continue
        already = sum((d.value for d in drawn if d.certificate_item == sequence), Decimal(0))
        if sequence in remaining and value + already > remaining[sequence]:
            problems.append(f"item {item.sequence}: {value} {unit} declared, "
                            f"{remaining[sequence] - already} {unit} remain on certificate "
                            f"item {sequence} (over-use)")
            continue
        drawn.append(DrawnItem(declaration_item=item.sequence, certificate_item=sequence,
                               value=value, unit=str(unit)))
    if problems:
        return CheckOut(ok=False, code="declaration-mismatch", reason="; ".join(problems)), []
    return CheckOut(ok=True, code="ok", reason=f"{len(drawn)} item(s) covered; quantities "
                    "drawn"), drawn


def link_certificate(session: Session, settings: Settings, declaration_id: str,
                     bundle: bytes, *, actor: Principal, now: dt.datetime) -> OriginLink:
    """Verify a bundle for a declaration, draw on it, and store the outcome."""
    actor.require(Permission.verify_origin)
    declaration = get_declaration(session, declaration_id, actor=actor)  # 404 if not theirs
    if not isinstance(bundle, bytes) or not bundle or len(bundle) > MAX_BUNDLE_BYTES:
        raise InvalidInput(f"a bundle is 1 to {MAX_BUNDLE_BYTES} bytes", field="bundle")
    origin = load_origin(settings)
    digest, number = bundle_digest(bundle)
    policy = origin.policy()
    offline = verdict_out(verify_bundle(bundle, policy, now))
    utilisation: int | None = None
    drawn: list[DrawnItem] = []
    with open_log(origin) as log:
        ensure_fresh(origin, log, now=now)
        online = verdict_out(verify_online(bundle, log, policy, now))
        if offline.ok and online.ok:
            check, drawn = _compare(declaration, online, origin.config.country)
        else:
            failed = online if not online.ok else offline
            parts = [c.reason for c in (failed.integrity, failed.status, failed.issuer)
                     if not c.ok]
            check = CheckOut(ok=False, code="not-evaluated",
                             reason="the bundle does not verify: " + "; ".join(parts))
        if check.ok and drawn and digest is not None and number is not None:
            utilisation = record_utilisation(
                origin, log, digest, number, declaration_reference=declaration_id,
                date=declaration.declared.declaration_date,
                items=_merge(drawn), now=now)
    ok = offline.ok and online.ok and check.ok
    row = OriginLinkRow(
        declaration_id=declaration_id, certificate_number=number, digest=digest, ok=ok,
        verdict={"offline": offline.model_dump(mode="json"),
                 "online": online.model_dump(mode="json"),
                 "declaration": check.model_dump(mode="json")},
        drawn=[d.model_dump(mode="json") for d in drawn], utilisation_index=utilisation,
        linked_by=actor.username, linked_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor.username, action="origin.declaration.link",
                 entity_type="declaration", entity_id=declaration_id,
                 detail={"certificate": number, "digest": digest, "ok": ok,
                         "utilisation_index": utilisation}, now=now)
    return _link(row)


def _merge(drawn: list[DrawnItem]) -> list[tuple[int, Decimal, str]]:
    totals: dict[tuple[int, str], Decimal] = {}
    for d in drawn:
        totals[(d.certificate_item, d.unit)] = totals.get((d.certificate_item, d.unit),
                                                          Decimal(0)) + d.value
    return [(seq, value, unit) for (seq, unit), value in sorted(totals.items())]


def _link(row: OriginLinkRow) -> OriginLink:
    verdict = row.verdict
    return OriginLink(
        id=row.id, declaration_id=row.declaration_id,
        certificate_number=row.certificate_number, digest=row.digest, ok=row.ok,
        offline=VerdictOut.model_validate(verdict["offline"]) if verdict.get("offline")
        else None,
        online=VerdictOut.model_validate(verdict["online"]) if verdict.get("online") else None,
        declaration=CheckOut.model_validate(verdict["declaration"]),
        drawn=[DrawnItem.model_validate(d) for d in row.drawn],
        utilisation_index=row.utilisation_index, linked_by=row.linked_by,
        linked_at=row.linked_at)


def declaration_links(session: Session, declaration_id: str, *, actor: Principal
                      ) -> list[OriginLink]:
    """The certificates presented for a declaration, oldest first."""
    get_declaration(session, declaration_id, actor=actor)
    rows = session.execute(select(OriginLinkRow).where(
        OriginLinkRow.declaration_id == declaration_id).order_by(OriginLinkRow.id))
    return [_link(r) for r in rows.scalars()]


__all__ = ["ORIGIN_DOCUMENT_CODES", "DrawnItem", "OriginLink", "declaration_links",
           "link_certificate"]
