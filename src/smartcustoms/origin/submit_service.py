"""Amendments, and certificates issuers signed themselves: the service functions.

An amendment replaces a certificate: the corrected certificate is committed with fresh
salts and an *amend* statement naming the digest it supersedes is appended (signed like
an issue statement). The old certificate then verifies as "superseded" and its
draw-downs carry over to the new one. The number stays: an amendment corrects the
same certificate (declarations cite it by number, and the index finds the current one
by number); a different number is a different certificate, to be issued (and the old
one revoked). A revoked or already superseded certificate cannot be amended.

An issuer holding its own key (``key_name`` None) signs on its own machine
(``signed_certificate.sign_certificate``) and submits the package; nothing in it is
trusted: the package is re-committed and compared with its statement on parsing, and
here both signatures are checked against the issuer's key as the registry says it is
at the log position the statement will take, with its scope and the number rules,
before anything is appended.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from smartcustoms.config import Settings
from smartcustoms.errors import Conflict, InvalidInput
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.origin.commitments import CommittedCertificate, commit
from smartcustoms.origin.issuer_service import issuer_row
from smartcustoms.origin.models import Certificate, VerificationError
from smartcustoms.origin.registry_log import CertificateLog
from smartcustoms.origin.service import (
    CertificateInfo,
    certificate_info,
    certificate_row,
    held_key,
    read_certificate,
    refuse_reissue,
    store_certificate,
)
from smartcustoms.origin.signed_certificate import (
    SignedCertificateInvalid,
    parse_signed_certificate,
)
from smartcustoms.origin.signing import verify_digest
from smartcustoms.origin.statements import (
    AmendStatement,
    IssueStatement,
    SignedStatement,
    issue_statement,
    sign_statement,
    verify_statement,
)
from smartcustoms.origin.store import Origin, load_origin, open_log, publish
from smartcustoms.origin.tables import OriginCertificateRow

_STATEMENT = "statement.statement"  # where the statement's fields sit in a package

# ------------------------------------------------------------------- amendments


def _refuse_unamendable(row: OriginCertificateRow, cert: Certificate) -> None:
    if row.status != "issued":
        raise Conflict(f"certificate {row.number} is {row.status}: only a certificate in "
                       "force can be amended", field="status", value=row.status)
    if cert.number != row.number:
        raise InvalidInput(f"an amendment keeps the number {row.number!r}; got "
                           f"{cert.number!r} (a new number is a new certificate: issue it "
                           "and revoke this one)", field="certificate.number",
                           value=cert.number)


def _refuse_out_of_force(log: CertificateLog, row: OriginCertificateRow) -> None:
    """The log wins over the index: it may know of a revocation the row does not."""
    status = log.status(row.digest)
    if status.revoked or status.superseded:
        state = "revoked" if status.revoked else "superseded"
        raise Conflict(f"certificate {row.number} ({row.digest}) is {state} in the log",
                       field="status", value=state)


def _record_amendment(session: Session, origin: Origin, old: OriginCertificateRow,
                      committed: CommittedCertificate, *, position: int, size: int,
                      reason: str | None, signed_by: str, actor: Principal,
                      now: dt.datetime) -> CertificateInfo:
    row = store_certificate(session, origin, committed, issuer_id=old.issuer_id,
                            position=position, actor=actor, now=now)
    old.status = "superseded"
    session.flush()
    audit.record(session, actor=actor.username, action="origin.certificate.amend",
                 entity_type="origin_certificate", entity_id=row.number,
                 detail={"issuer_id": row.issuer_id, "digest": row.digest,
                         "supersedes": old.digest, "position": position, "reason": reason,
                         "signed_by": signed_by}, now=now)
    return certificate_info(row, size)


def amend_certificate(session: Session, settings: Settings, number: str,
                      certificate: Certificate | bytes | str, *, reason: str | None = None,
                      actor: Principal, now: dt.datetime,
                      issuer_id: str | None = None) -> CertificateInfo:
    """Replace certificate ``number`` with a corrected one, signed with the issuer's key
    held here; ``reason`` goes to the audit record (the log states only the digests)."""
    actor.require(Permission.issue_origin)
    cert = read_certificate(certificate)
    old = certificate_row(session, number, issuer_id)
    _refuse_unamendable(old, cert)
    origin = load_origin(settings)
    private = held_key(origin, issuer_row(session, old.issuer_id))
    committed = commit(cert)
    with open_log(origin) as log:
        _refuse_out_of_force(log, old)
        statement = issue_statement(committed, issuer_id=old.issuer_id, private_key=private,
                                    supersedes=bytes.fromhex(old.digest))
        position = log.append(sign_statement(statement, private))
        publish(origin, log, now=now)
        size = log.checkpoint.size
    return _record_amendment(session, origin, old, committed, position=position, size=size,
                             reason=reason, signed_by="administration", actor=actor, now=now)


# ------------------------------------------------------- packages signed by issuers


def _check_signatures(log: CertificateLog, signed: SignedStatement,
                      st: IssueStatement | AmendStatement) -> None:
    """Both signatures by the issuer's key valid at the next position, in scope; each
    failure names the package member at fault."""
    registry, position = log.registry, log.next_position
    owner = next((i.issuer_id for i in registry.issuers.values() if st.key_id in i.keys), None)
    if owner is None:
        raise SignedCertificateInvalid(
            f"key {st.key_id} is not registered: the administration registers the issuer's "
            "public key first (issuer add/rotate --public-key)",
            field=f"{_STATEMENT}.key_id", value=st.key_id)
    if owner != st.issuer_id:
        raise SignedCertificateInvalid(
            f"key {st.key_id} is {owner!r}'s, not {st.issuer_id!r}'s",
            field=f"{_STATEMENT}.key_id", value=st.key_id)
    if not registry.key_valid_at(st.issuer_id, st.key_id, position):
        raise SignedCertificateInvalid(
            f"key {st.key_id} of {st.issuer_id!r} is not valid at log position {position} "
            f"(current key: {registry.issuers[owner].current_key})",
            field=f"{_STATEMENT}.key_id", value=st.key_id)
    key = registry.public_key(st.issuer_id, st.key_id)
    checks: list[tuple[str, Any]] = [
        ("statement.signature", lambda: verify_statement(signed, key)),
        (f"{_STATEMENT}.signature", lambda: verify_digest(
            key, bytes.fromhex(st.digest), bytes.fromhex(st.signature))),
        (_STATEMENT, lambda: registry.check_certificate_statement(signed, position)),
    ]
    for field, check in checks:
        try:
            check()
        except VerificationError as exc:
            where = f"{_STATEMENT}.{exc.field}" if field == _STATEMENT and exc.field else field
            raise SignedCertificateInvalid(f"{exc.reason}: {exc.detail}", field=where,
                                           value=exc.value) from exc


def submit_signed_certificate(session: Session, settings: Settings, data: bytes, *,
                              actor: Principal, now: dt.datetime) -> CertificateInfo:
    """Append the issue (or amend) statement of a package the issuer signed itself,
    after checking all of it; store the committed certificate."""
    actor.require(Permission.issue_origin)
    package = parse_signed_certificate(data)
    st, committed = package.statement, package.committed
    issuer = issuer_row(session, st.issuer_id)
    if issuer.status != "active":
        raise Conflict(f"issuer {st.issuer_id!r} is revoked", field=f"{_STATEMENT}.issuer_id",
                       value=st.issuer_id)
    old = None
    if isinstance(st, AmendStatement):
        old = certificate_row(session, st.certificate_number, st.issuer_id)
        _refuse_unamendable(old, committed.certificate)
        if old.digest != st.supersedes:
            raise Conflict(f"the current certificate {old.number} is {old.digest}; the "
                           "amendment supersedes another digest",
                           field=f"{_STATEMENT}.supersedes", value=st.supersedes)
    origin = load_origin(settings)
    with open_log(origin) as log:
        if old is None:
            refuse_reissue(log, st.certificate_number, st.issuer_id)
        else:
            _refuse_out_of_force(log, old)
        _check_signatures(log, package.signed, st)
        position = log.append(package.signed)
        publish(origin, log, now=now)
        size = log.checkpoint.size
    if old is not None:
        return _record_amendment(session, origin, old, committed, position=position,
                                 size=size, reason=None, signed_by="issuer", actor=actor,
                                 now=now)
    row = store_certificate(session, origin, committed, issuer_id=st.issuer_id,
                            position=position, actor=actor, now=now)
    audit.record(session, actor=actor.username, action="origin.certificate.issue",
                 entity_type="origin_certificate", entity_id=row.number,
                 detail={"issuer_id": row.issuer_id, "digest": row.digest,
                         "position": position, "signed_by": "issuer"}, now=now)
    return certificate_info(row, size)


__all__ = ["amend_certificate", "submit_signed_certificate"]
