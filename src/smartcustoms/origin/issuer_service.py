"""Issuer service functions: register, rotate, revoke and list certificate issuers.

Each change is a statement signed by the administration's root key, appended to the log
and published, then mirrored into ``origin_issuers`` in the caller's transaction.

An issuer's signing key is either *held* (generated here into the data directory; the
administration signs its certificates for it) or *issuer-held*: the issuer sends only its
public key (``smartcustoms origin keygen`` on its own machine) and submits certificates it
signed itself (``smartcustoms origin sign``). ``OriginIssuerRow.key_name`` is None for
the second kind, which is how the rest of the service tells them apart.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.config import Settings
from smartcustoms.declarations.types import Code, CountryCode, Text
from smartcustoms.errors import Conflict, InvalidInput, NotFound
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.origin.issuers import IssuerRecord
from smartcustoms.origin.models import Agreement, CertificateType
from smartcustoms.origin.registry_log import CertificateLog
from smartcustoms.origin.signing import format_public_key, generate_key, key_id, parse_public_key
from smartcustoms.origin.statements import (
    IssuerAdded,
    IssuerKey,
    IssuerKind,
    IssuerRevoked,
    IssuerScope,
    KeyRevocationReason,
    KeyRevoked,
    KeyRotated,
    sign_statement,
)
from smartcustoms.origin.store import Origin, load_origin, open_log, publish
from smartcustoms.origin.tables import OriginCertificateRow, OriginIssuerRow

PUBLIC_KEY_FIELD = Field(
    None, description="The issuer's own Ed25519 public key (``smartcustoms origin keygen``): "
    "the administration then never holds its private key. Omitted: a key is generated "
    "and held here.", examples=["ed25519:MCowBQYDK2VwAyEA…"])

# --------------------------------------------------------------------------- shapes


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IssuerCreate(_In):
    issuer_id: Code = Field(description="Short stable id, never reused.", examples=["CCPIT-SZ"])
    kind: IssuerKind = Field(description="authority, chamber or registered_exporter.")
    name: Text
    country: CountryCode = Field(description="The exporting country it certifies for.")
    certificate_types: list[CertificateType] = Field(min_length=1, max_length=2)
    agreements: list[Agreement] = Field(
        default_factory=list, description="Agreements for preferential certificates.")
    public_key: str | None = PUBLIC_KEY_FIELD


class IssuerKeyRotate(_In):
    public_key: str | None = PUBLIC_KEY_FIELD


class IssuerInfo(BaseModel):
    issuer_id: str
    kind: str
    name: str
    country: str
    certificate_types: list[str]
    agreements: list[str]
    current_key_id: str | None
    key_held: bool = Field(description="The administration holds this issuer's signing key.")
    status: str
    added_at: int = Field(description="Log position of the issuer_added statement.")
    revoked_at: int | None
    position: int | None = Field(None, description="Log position of the statement just made.")


# ---------------------------------------------------------------------------- keys


def _key_name(issuer_id: str, kid: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", issuer_id.lower()).strip("-")[:40] or "issuer"
    return f"issuer-{slug}-{kid[:8]}"


def _new_issuer_key(origin: Origin, issuer_id: str,
                    public_key: str | None) -> tuple[IssuerKey, str | None]:
    """The key to register and the name of its private key file here (None: the issuer
    holds it, and nothing is generated or stored)."""
    if public_key is not None:
        key = parse_public_key(public_key)  # KeyFileInvalid (422) names public_key
        if key_id(key) == key_id(origin.root_key.public_key()):
            # The root key may revoke any certificate: it must never also be an issuer's.
            raise InvalidInput("that is the administration's root key, not an issuer's",
                               field="public_key", value=public_key)
        return IssuerKey(key_id=key_id(key), public_key=format_public_key(key)), None
    name = _key_name(issuer_id, secrets.token_hex(4))
    info = generate_key(origin.paths.keys, name)
    return IssuerKey(key_id=info.key_id, public_key=info.public_key), name


_KEEP: Any = object()  # sync_issuer: leave key_name as it is


def sync_issuer(session: Session, record: IssuerRecord, *, now: dt.datetime,
                key_name: str | None = _KEEP) -> OriginIssuerRow:
    """Mirror the registry's record into the row; ``key_name`` names the private key
    file of a newly registered key (None: the issuer holds it)."""
    row = session.get(OriginIssuerRow, record.issuer_id)
    if row is None:
        row = OriginIssuerRow(issuer_id=record.issuer_id, key_name=None)
        session.add(row)
    row.kind, row.name, row.country = str(record.kind), record.name, record.country
    row.scope = record.scope.model_dump(mode="json")
    row.current_key_id = record.current_key
    if key_name is not _KEEP:
        row.key_name = key_name
    if record.current_key is None:  # key revoked or issuer revoked: nothing left to sign with
        row.key_name = None
    row.status = "revoked" if record.revoked_at is not None else "active"
    row.added_at, row.revoked_at, row.updated_at = record.added_at, record.revoked_at, now
    session.flush()
    return row


def issuer_info(row: OriginIssuerRow, position: int | None = None) -> IssuerInfo:
    return IssuerInfo(
        issuer_id=row.issuer_id, kind=row.kind, name=row.name, country=row.country,
        certificate_types=list(row.scope.get("certificate_types", [])),
        agreements=list(row.scope.get("agreements", [])), current_key_id=row.current_key_id,
        key_held=row.key_name is not None, status=row.status, added_at=row.added_at,
        revoked_at=row.revoked_at, position=position)


def issuer_row(session: Session, issuer_id: str) -> OriginIssuerRow:
    row = session.get(OriginIssuerRow, issuer_id)
    if row is None:
        raise NotFound(f"no issuer {issuer_id!r}", field="issuer_id", value=issuer_id)
    return row


# ------------------------------------------------------------------- use cases


def add_issuer(session: Session, settings: Settings, data: IssuerCreate, *, actor: Principal,
               now: dt.datetime) -> IssuerInfo:
    """Register an issuer: its key (given, or generated and held here), the root-signed
    issuer_added statement."""
    actor.require(Permission.manage_issuers)
    origin = load_origin(settings)
    scope = IssuerScope(certificate_types=sorted(set(data.certificate_types)),
                        agreements=sorted(set(data.agreements)))
    with open_log(origin) as log:
        if data.issuer_id in log.registry.issuers:
            raise Conflict(f"issuer {data.issuer_id!r} exists; ids are never reused",
                           field="issuer_id", value=data.issuer_id)
        key, name = _new_issuer_key(origin, data.issuer_id, data.public_key)
        statement = IssuerAdded(issuer_id=data.issuer_id, kind=data.kind, name=data.name,
                                country=data.country, scope=scope, key=key)
        position = log.append(sign_statement(statement, origin.root_key))
        publish(origin, log, now=now)
        row = sync_issuer(session, log.registry.issuers[data.issuer_id], now=now,
                          key_name=name)
    audit.record(session, actor=actor.username, action="origin.issuer.add",
                 entity_type="origin_issuer", entity_id=data.issuer_id,
                 detail={"position": position, "key_id": key.key_id, "kind": str(data.kind),
                         "country": data.country, "scope": scope.model_dump(mode="json"),
                         "key_held": name is not None},
                 now=now)
    return issuer_info(row, position)


def rotate_issuer_key(session: Session, settings: Settings, issuer_id: str, *,
                      public_key: str | None = None, actor: Principal,
                      now: dt.datetime) -> IssuerInfo:
    """A new key for the issuer (``public_key``: its own, else one generated and held
    here); the current one is retired (what it signed stays valid)."""
    actor.require(Permission.manage_issuers)
    origin = load_origin(settings)
    issuer_row(session, issuer_id)
    with open_log(origin) as log:
        record = log.registry.issuers.get(issuer_id)
        if record is None:
            raise NotFound(f"no issuer {issuer_id!r} in the log", field="issuer_id",
                           value=issuer_id)
        key, name = _new_issuer_key(origin, issuer_id, public_key)
        statement = KeyRotated(issuer_id=issuer_id, new_key=key,
                               previous_key_id=record.current_key)
        position = log.append(sign_statement(statement, origin.root_key))
        publish(origin, log, now=now)
        row = sync_issuer(session, log.registry.issuers[issuer_id], now=now, key_name=name)
    audit.record(session, actor=actor.username, action="origin.issuer.rotate",
                 entity_type="origin_issuer", entity_id=issuer_id,
                 detail={"position": position, "key_id": key.key_id,
                         "previous_key_id": record.current_key, "key_held": name is not None},
                 now=now)
    return issuer_info(row, position)


def revoke_issuer(session: Session, settings: Settings, issuer_id: str, *, reason: str,
                  compromised_from: int | None = None, actor: Principal,
                  now: dt.datetime) -> IssuerInfo:
    """Revoke the issuer (from now on). With ``compromised_from`` its current key is
    revoked first, from that log position: certificates it signed since fail."""
    actor.require(Permission.manage_issuers)
    origin = load_origin(settings)
    issuer_row(session, issuer_id)
    with open_log(origin) as log:
        record = log.registry.issuers.get(issuer_id)
        if record is None or record.revoked_at is not None:
            raise Conflict(f"issuer {issuer_id!r} is not active", field="issuer_id",
                           value=issuer_id)
        if compromised_from is not None and record.current_key is not None:
            log.append(sign_statement(KeyRevoked(
                issuer_id=issuer_id, key_id=record.current_key,
                reason=KeyRevocationReason.compromised,
                effective_position=compromised_from), origin.root_key))
        position = log.append(sign_statement(
            IssuerRevoked(issuer_id=issuer_id, reason=reason), origin.root_key))
        publish(origin, log, now=now)
        row = sync_issuer(session, log.registry.issuers[issuer_id], now=now)
        refresh_statuses(session, log)
    audit.record(session, actor=actor.username, action="origin.issuer.revoke",
                 entity_type="origin_issuer", entity_id=issuer_id,
                 detail={"position": position, "reason": reason,
                         "compromised_from": compromised_from}, now=now)
    return issuer_info(row, position)


def list_issuers(session: Session) -> list[IssuerInfo]:
    rows = session.execute(select(OriginIssuerRow).order_by(OriginIssuerRow.issuer_id))
    return [issuer_info(r) for r in rows.scalars()]


# ----------------------------------------------------------------- index maintenance


def refresh_statuses(session: Session, log: CertificateLog) -> None:
    """Certificate rows as the log says now: revoked wins over superseded (a revoked
    certificate is out of force whatever replaced it)."""
    for row in session.execute(select(OriginCertificateRow).where(
            OriginCertificateRow.status != "revoked")).scalars():
        status = log.status(row.digest)
        if status.revoked:
            index, revocation = status.revocations[0]
            row.status, row.revocation_reason = "revoked", str(revocation.reason)
            row.revoked_at = index
        elif status.superseded:
            row.status = "superseded"


def rebuild_index(session: Session, settings: Settings, *, actor: Principal,
                  now: dt.datetime) -> dict[str, int]:
    """Bring the issuer and certificate index in line with the log (the log wins)."""
    actor.require(Permission.manage_issuers)
    origin = load_origin(settings)
    with open_log(origin) as log:
        for record in log.registry.issuers.values():
            sync_issuer(session, record, now=now)
        refresh_statuses(session, log)
        size = log.checkpoint.size
    return {"issuers": len(log.registry.issuers), "log_size": size}


__all__ = [
    "IssuerCreate",
    "IssuerInfo",
    "IssuerKeyRotate",
    "add_issuer",
    "issuer_info",
    "issuer_row",
    "list_issuers",
    "rebuild_index",
    "refresh_statuses",
    "revoke_issuer",
    "rotate_issuer_key",
    "sync_issuer",
]
