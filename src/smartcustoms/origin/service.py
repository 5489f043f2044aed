"""Origin service functions: the CLI, the HTTP API and the console all call these.

The administration's log (``store``) is the source of truth; every change appends a
signed statement, commits, has the checkpoint cosigned (own witness, partners) and
publishes it, then updates the database index (``tables``) in the caller's transaction.
Issuers are the root key's statements (``issuer_service``); certificates are signed by
the issuer's key, which the administration holds for the issuers it registers without a
public key of their own. A chamber that keeps its own key signs on its machine and
submits the package; amendments go through ``submit_service`` too.

A holder's committed certificate (the salts) is stored so that bundles can be made on
request, disclosing only the fields asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.config import Settings
from smartcustoms.errors import Conflict, InvalidInput, NotFound
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.origin.bundle import parse_bundle
from smartcustoms.origin.commitments import CommittedCertificate, commit
from smartcustoms.origin.issuer_service import issuer_row
from smartcustoms.origin.models import (
    Certificate,
    parse_certificate,
)
from smartcustoms.origin.policy import TrustPolicy
from smartcustoms.origin.policy_file import format_trust_policy, load_trust_policy
from smartcustoms.origin.qr import QrPayload, parse_qr
from smartcustoms.origin.registry_log import CertificateLog
from smartcustoms.origin.signed_certificate import committed_from_json, committed_to_json
from smartcustoms.origin.signing import key_id
from smartcustoms.origin.statement_index import digest_key
from smartcustoms.origin.statements import (
    AmendStatement,
    IssueStatement,
    ItemBalance,
    ItemQuantity,
    RevocationReason,
    RevokeStatement,
    StatementQuantity,
    UtiliseStatement,
    issue_statement,
    sign_statement,
    utilisation_ledger,
)
from smartcustoms.origin.store import (
    Origin,
    SetupReport,
    ensure_fresh,
    ensure_setup,
    load_origin,
    open_log,
    publish,
)
from smartcustoms.origin.tables import OriginCertificateRow, OriginIssuerRow
from smartcustoms.origin.verify import Check, Verdict, verify_bundle, verify_online

# --------------------------------------------------------------------------- shapes


class CertificateInfo(BaseModel):
    number: str
    issuer_id: str
    digest: str
    leaf_index: int
    status: str
    certificate_type: str
    agreement: str | None
    exporting_country: str
    importing_country: str
    issue_date: dt.date
    valid_until: dt.date
    qr_payload: str
    revocation_reason: str | None
    revoked_at: int | None
    checkpoint_size: int | None = Field(None, description="Published log size after the change.")


class CheckOut(BaseModel):
    ok: bool
    code: str
    reason: str


class BalanceOut(BaseModel):
    sequence: int
    unit: str
    declared: Decimal
    drawn: Decimal
    remaining: Decimal


class VerdictOut(BaseModel):
    """The three answers, each with its reason."""

    ok: bool
    mode: str = Field(description="offline (bundle and policy alone) or online (against "
                      "the log's latest checkpoint)")
    integrity: CheckOut
    status: CheckOut
    issuer: CheckOut
    checkpoint_size: int | None
    position: int | None
    certificate_number: str | None
    digest: str | None
    disclosed: dict[str, Any]
    balances: list[BalanceOut]
    supersedes: str | None = Field(None, description="An amendment: the digest of the "
                                   "certificate it replaces (which verifies as superseded).")


class VerificationReport(BaseModel):
    ok: bool
    offline: VerdictOut
    online: VerdictOut | None = None


class UtilisationInfo(BaseModel):
    certificate_number: str
    digest: str
    declaration_reference: str
    position: int
    items: list[dict[str, Any]]
    balances: list[BalanceOut]


def verdict_out(verdict: Verdict) -> VerdictOut:
    def check(c: Check) -> CheckOut:
        return CheckOut(ok=c.ok, code=c.code, reason=c.reason)

    return VerdictOut(
        ok=verdict.ok, mode=verdict.mode, integrity=check(verdict.integrity),
        status=check(verdict.status), issuer=check(verdict.issuer),
        checkpoint_size=verdict.checkpoint_size, position=verdict.position,
        certificate_number=verdict.certificate_number, digest=verdict.digest,
        disclosed=dict(verdict.disclosed), supersedes=verdict.supersedes,
        balances=[BalanceOut(sequence=b.sequence, unit=b.unit, declared=b.declared,
                             drawn=b.drawn, remaining=b.remaining) for b in verdict.balances])


# ----------------------------------------------------------------------------- setup


def setup(settings: Settings, *, log_origin: str | None = None,
          country: str | None = None) -> SetupReport:
    """Generate the keys and settings file if missing (``smartcustoms init``)."""
    return ensure_setup(settings, log_origin=log_origin, country=country)


def export_policy(settings: Settings) -> str:
    """The trust-policy file partners verify this administration's bundles with."""
    return format_trust_policy(load_origin(settings).policy())


def own_policy(settings: Settings) -> TrustPolicy:
    return load_origin(settings).policy()


# ---------------------------------------------------------------------- certificates


def certificate_info(row: OriginCertificateRow, size: int | None = None) -> CertificateInfo:
    return CertificateInfo(
        number=row.number, issuer_id=row.issuer_id, digest=row.digest,
        leaf_index=row.leaf_index, status=row.status, certificate_type=row.certificate_type,
        agreement=row.agreement, exporting_country=row.exporting_country,
        importing_country=row.importing_country, issue_date=row.issue_date,
        valid_until=row.valid_until, qr_payload=row.qr_payload,
        revocation_reason=row.revocation_reason, revoked_at=row.revoked_at,
        checkpoint_size=size)


def read_certificate(certificate: Certificate | bytes | str) -> Certificate:
    return certificate if isinstance(certificate, Certificate) else \
        parse_certificate(certificate)


def held_key(origin: Origin, issuer: OriginIssuerRow) -> Ed25519PrivateKey:
    """The issuer's signing key, where the administration holds it."""
    if issuer.status != "active":
        raise Conflict(f"issuer {issuer.issuer_id!r} is revoked", field="issuer_id",
                       value=issuer.issuer_id)
    if issuer.key_name is None:
        raise Conflict(f"the administration does not hold a signing key of "
                       f"{issuer.issuer_id!r}: the issuer signs with its own key "
                       "(smartcustoms origin sign) and submits the signed package",
                       field="issuer_id", value=issuer.issuer_id)
    return origin.issuer_key(issuer.key_name)


def refuse_reissue(log: CertificateLog, number: str, issuer_id: str) -> None:
    """One certificate per number and issuer: a correction is an amendment."""
    for digest in log.certificates_numbered(number):
        if _issuer_of(log, digest) == issuer_id:
            raise Conflict(f"{issuer_id} already issued certificate {number}; "
                           "amend or revoke it", field="number", value=number)


def store_certificate(session: Session, origin: Origin, committed: CommittedCertificate, *,
                      issuer_id: str, position: int, actor: Principal,
                      now: dt.datetime) -> OriginCertificateRow:
    """The index row of a certificate just appended at ``position``, with its salts."""
    cert = committed.certificate
    qr = QrPayload.create(origin.config.log_origin, position, committed.digest).format()
    row = OriginCertificateRow(
        number=cert.number, issuer_id=issuer_id, digest=committed.digest.hex(),
        leaf_index=position, status="issued", certificate_type=str(cert.certificate_type),
        agreement=None if cert.agreement is None else str(cert.agreement),
        exporting_country=cert.exporting_country, importing_country=cert.importing_country,
        issue_date=cert.validity.issue_date, valid_until=cert.validity.valid_until,
        committed=committed_to_json(committed), qr_payload=qr, issued_by=actor.username,
        issued_at=now)
    session.add(row)
    session.flush()
    return row


def issue_certificate(session: Session, settings: Settings,
                      certificate: Certificate | bytes | str, *, issuer_id: str,
                      actor: Principal, now: dt.datetime) -> CertificateInfo:
    """Commit the certificate with fresh salts, sign its digest with the issuer's key,
    append the issue statement and publish; store the committed certificate."""
    actor.require(Permission.issue_origin)
    cert = read_certificate(certificate)
    issuer = issuer_row(session, issuer_id)
    origin = load_origin(settings)
    private = held_key(origin, issuer)
    committed = commit(cert)
    with open_log(origin) as log:
        refuse_reissue(log, cert.number, issuer_id)
        signed = sign_statement(
            issue_statement(committed, issuer_id=issuer_id, private_key=private), private)
        position = log.append(signed)
        publish(origin, log, now=now)
        size = log.checkpoint.size
    row = store_certificate(session, origin, committed, issuer_id=issuer_id,
                            position=position, actor=actor, now=now)
    audit.record(session, actor=actor.username, action="origin.certificate.issue",
                 entity_type="origin_certificate", entity_id=cert.number,
                 detail={"issuer_id": issuer_id, "digest": row.digest, "position": position,
                         "signed_by": "administration"},
                 now=now)
    return certificate_info(row, size)


def _issuer_of(log: CertificateLog, digest: str) -> str | None:
    status = log.status(digest)
    return status.statement.issuer_id if status.statement else None


def certificate_row(session: Session, number: str, issuer_id: str | None = None
                    ) -> OriginCertificateRow:
    """The current certificate under ``number`` (the newest row: an amendment, if any)."""
    query = select(OriginCertificateRow).where(OriginCertificateRow.number == number)
    if issuer_id is not None:
        query = query.where(OriginCertificateRow.issuer_id == issuer_id)
    rows = session.execute(query.order_by(OriginCertificateRow.id.desc())).scalars().all()
    if not rows:
        raise NotFound(f"no certificate {number!r} issued here", field="number", value=number)
    if len({r.issuer_id for r in rows}) > 1:
        raise InvalidInput(f"several issuers numbered a certificate {number!r}: name the "
                           "issuer", field="issuer_id", value=None)
    return rows[0]


def get_certificate(session: Session, number: str, *, actor: Principal,
                    issuer_id: str | None = None) -> CertificateInfo:
    actor.require(Permission.verify_origin)
    return certificate_info(certificate_row(session, number, issuer_id))


def certificate_document(session: Session, number: str, *, actor: Principal,
                         issuer_id: str | None = None) -> tuple[CertificateInfo, Certificate]:
    """The certificate with all its fields, for its printed form (issuers' staff only)."""
    actor.require(Permission.issue_origin)
    row = certificate_row(session, number, issuer_id)
    return certificate_info(row), committed_from_json(row.committed).certificate


def list_certificates(session: Session, *, limit: int = 100) -> list[CertificateInfo]:
    rows = session.execute(select(OriginCertificateRow)
                           .order_by(OriginCertificateRow.id.desc()).limit(limit))
    return [certificate_info(r) for r in rows.scalars()]


def revoke_certificate(session: Session, settings: Settings, number: str, *,
                       reason: RevocationReason | str, actor: Principal, now: dt.datetime,
                       issuer_id: str | None = None) -> CertificateInfo:
    """A revocation statement, signed by the issuer's key (the root key where the
    administration no longer holds a valid one)."""
    actor.require(Permission.issue_origin)
    why = RevocationReason(reason)
    row = certificate_row(session, number, issuer_id)
    if row.status == "revoked":
        raise Conflict(f"certificate {number} is already revoked", field="number", value=number)
    origin = load_origin(settings)
    issuer = issuer_row(session, row.issuer_id)
    statement = RevokeStatement(certificate_number=row.number, issuer_id=row.issuer_id,
                                digest=row.digest, reason=why, revocation_date=now.date())
    with open_log(origin) as log:
        signer = origin.root_key
        if issuer.key_name is not None and issuer.status == "active":
            held = origin.issuer_key(issuer.key_name)
            if log.registry.key_valid_at(row.issuer_id, key_id(held.public_key()),
                                         log.next_position):
                signer = held
        position = log.append(sign_statement(statement, signer))
        publish(origin, log, now=now)
        size = log.checkpoint.size
    row.status, row.revocation_reason, row.revoked_at = "revoked", str(why), position
    session.flush()
    audit.record(session, actor=actor.username, action="origin.certificate.revoke",
                 entity_type="origin_certificate", entity_id=number,
                 detail={"digest": row.digest, "reason": str(why), "position": position},
                 now=now)
    return certificate_info(row, size)


def current_balances(log: CertificateLog, digest: str) -> tuple[ItemBalance, ...]:
    """What remains of a certificate, counting what was drawn on the certificates it
    amends: ``fold_status`` counts a digest's own draw-downs only, while an amendment
    carries its predecessors' over (``utilisation_ledger`` follows the chain)."""
    chain, current = [digest], log.status(digest).statement
    while isinstance(current, AmendStatement) and current.supersedes not in chain:
        chain.append(current.supersedes)
        current = log.status(current.supersedes).statement
    if len(chain) == 1:
        return log.status(digest).balances
    indexes = sorted({i for d in chain for i in log.lookup(digest_key(d))})
    ledger = utilisation_ledger(log.read_statement(i) for i in indexes)
    return ledger.balances.get(digest, ())


def _balances(log: CertificateLog, digest: str) -> list[BalanceOut]:
    return [BalanceOut(sequence=b.sequence, unit=b.unit, declared=b.declared, drawn=b.drawn,
                       remaining=b.remaining) for b in current_balances(log, digest)]


def record_utilisation(origin: Origin, log: CertificateLog, digest: str, number: str, *,
                       declaration_reference: str, date: dt.date,
                       items: Sequence[tuple[int, Decimal, str]], now: dt.datetime) -> int:
    """Append the administration's (root-signed) utilise statement and publish."""
    statement = UtiliseStatement(
        certificate_number=number, certificate_digest=digest,
        administration=origin.config.country, declaration_reference=declaration_reference,
        utilisation_date=date,
        items=[ItemQuantity(sequence=s, quantity=StatementQuantity(value=v, unit=u))
               for s, v, u in sorted(items)])
    position = log.append(sign_statement(statement, origin.root_key))
    publish(origin, log, now=now)
    return position


def utilise(session: Session, settings: Settings, number: str, *, declaration_reference: str,
            item: int, quantity: Decimal, actor: Principal, now: dt.datetime,
            date: dt.date | None = None) -> UtilisationInfo:
    """Draw ``quantity`` (in the certificate item's unit) of item ``item``."""
    actor.require(Permission.issue_origin)
    row = certificate_row(session, number)
    origin = load_origin(settings)
    with open_log(origin) as log:
        status = log.status(row.digest)
        balance = next((b for b in current_balances(log, row.digest) if b.sequence == item),
                       None)
        if balance is None:
            raise InvalidInput(f"certificate {number} has no item {item}", field="item",
                               value=item)
        if quantity <= 0:
            raise InvalidInput("the quantity must be positive", field="quantity",
                               value=str(quantity))
        if status.revoked:
            raise Conflict(f"certificate {number} is revoked", field="number", value=number)
        if status.superseded:
            raise Conflict(f"certificate digest {row.digest} is superseded by an amendment",
                           field="number", value=number)
        if quantity > balance.remaining:
            raise Conflict(f"item {item}: {quantity} {balance.unit} asked, "
                           f"{balance.remaining} remain", field="quantity",
                           value=str(quantity))
        position = record_utilisation(
            origin, log, row.digest, number, declaration_reference=declaration_reference,
            date=date or now.date(), items=[(item, quantity, balance.unit)], now=now)
        balances = _balances(log, row.digest)
    audit.record(session, actor=actor.username, action="origin.certificate.utilise",
                 entity_type="origin_certificate", entity_id=number,
                 detail={"digest": row.digest, "declaration": declaration_reference,
                         "item": item, "quantity": str(quantity), "position": position},
                 now=now)
    return UtilisationInfo(certificate_number=number, digest=row.digest,
                           declaration_reference=declaration_reference, position=position,
                           items=[{"sequence": item, "value": quantity,
                                   "unit": balance.unit}], balances=balances)


# ------------------------------------------------------------------- bundles, verify

DEFAULT_DISCLOSURE = (
    "number", "certificate_type", "agreement", "exporting_country", "importing_country",
    "validity", "goods_items",
)


def make_certificate_bundle(session: Session, settings: Settings, number: str, *,
                            disclose: Sequence[str] = DEFAULT_DISCLOSURE, actor: Principal,
                            now: dt.datetime, issuer_id: str | None = None) -> bytes:
    """A proof bundle disclosing ``disclose`` (paths and everything below them), against
    a checkpoint cosigned recently enough for the trust policy."""
    actor.require(Permission.issue_origin)
    row = certificate_row(session, number, issuer_id)
    committed = committed_from_json(row.committed)
    origin = load_origin(settings)
    from smartcustoms.origin.bundle import make_bundle

    with open_log(origin) as log:
        ensure_fresh(origin, log, now=now)
        return make_bundle(log, committed, disclose_paths=list(disclose))


def verify_offline(data: bytes, policy: TrustPolicy, *, now: dt.datetime) -> VerdictOut:
    """The offline verdict: the bundle and the policy alone (no network, no database)."""
    return verdict_out(verify_bundle(data, policy, now))


def verify_policy_file(data: bytes, policy_path: str, *, now: dt.datetime) -> VerificationReport:
    offline = verify_offline(data, load_trust_policy(policy_path), now=now)
    return VerificationReport(ok=offline.ok, offline=offline)


def verify_local(settings: Settings, data: bytes, *, actor: Principal,
                 now: dt.datetime) -> VerificationReport:
    """Offline with the administration's own policy, then online against its log."""
    actor.require(Permission.verify_origin)
    origin = load_origin(settings)
    policy = origin.policy()
    offline = verify_offline(data, policy, now=now)
    with open_log(origin) as log:
        ensure_fresh(origin, log, now=now)
        online = verdict_out(verify_online(data, log, policy, now))
    return VerificationReport(ok=offline.ok and online.ok, offline=offline, online=online)


class QrLookup(BaseModel):
    payload: str
    certificate: CertificateInfo | None
    status: CheckOut


def lookup_qr(session: Session, settings: Settings, payload: str, *, actor: Principal,
              now: dt.datetime) -> QrLookup:
    """What the local log says about the certificate a QR code names."""
    actor.require(Permission.verify_origin)
    qr = parse_qr(payload.strip())
    origin = load_origin(settings)
    if not qr.names_log(origin.config.log_origin):
        return QrLookup(payload=payload, certificate=None, status=CheckOut(
            ok=False, code="other-log", reason="the code names another administration's "
            "log: verify the bundle the holder presents with that administration's policy"))
    row = session.execute(select(OriginCertificateRow).where(
        OriginCertificateRow.digest == qr.digest.hex())).scalar_one_or_none()
    with open_log(origin) as log:
        status = log.status(qr.digest.hex())
    if not status.issued or status.position != qr.leaf_index:
        check = CheckOut(ok=False, code="not-logged", reason=f"no issue statement for "
                         f"{qr.digest.hex()} at position {qr.leaf_index}")
    elif status.revoked:
        index, revocation = status.revocations[0]
        check = CheckOut(ok=False, code="revoked", reason=f"revoked ({revocation.reason}) "
                         f"on {revocation.revocation_date}, log position {index}")
    elif status.superseded:
        check = CheckOut(ok=False, code="superseded", reason="replaced by an amendment")
    elif status.statement is not None and not (
            status.statement.issue_date <= now.date() <= status.statement.valid_until):
        check = CheckOut(ok=False, code="outside-validity", reason=f"valid "
                         f"{status.statement.issue_date} to {status.statement.valid_until}")
    else:
        check = CheckOut(ok=True, code="ok", reason=f"issued at log position "
                         f"{status.position}, not revoked as of size {status.as_of}")
    return QrLookup(payload=payload, certificate=certificate_info(row) if row else None,
                    status=check)


def bundle_digest(data: bytes) -> tuple[str | None, str | None]:
    """The digest and number a bundle names (unverified; for filing), or Nones."""
    try:
        bundle = parse_bundle(data)
        entry = next(e for e in bundle.entries if e.index == bundle.certificate)
        from smartcustoms.origin.statements import parse_signed_statement

        st = parse_signed_statement(entry.statement).statement
        if isinstance(st, IssueStatement):
            return st.digest, st.certificate_number
        return getattr(st, "digest", None), getattr(st, "certificate_number", None)
    except Exception:  # anything malformed: the verdict says why
        return None, None


__all__ = [
    "DEFAULT_DISCLOSURE",
    "BalanceOut",
    "CertificateInfo",
    "CheckOut",
    "QrLookup",
    "UtilisationInfo",
    "VerdictOut",
    "VerificationReport",
    "certificate_document",
    "export_policy",
    "get_certificate",
    "list_certificates",
    "lookup_qr",
    "make_certificate_bundle",
    "revoke_certificate",
    "setup",
    "utilise",
    "verify_local",
    "verify_offline",
    "verify_policy_file",
]
