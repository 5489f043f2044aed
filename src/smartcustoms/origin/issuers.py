"""The registry of authorised issuers, folded from the issuer statements of the log.

Nothing about issuers is configured out of band: adding an issuer, rotating or
revoking a key and revoking an issuer are statements in the same log as the
certificates, signed by the administration's root key. Replaying the log gives the
registry, and a certificate statement at log position ``q`` is checked against the
registry *as the whole log describes it*: a key is valid at ``q`` when

- it was added (``IssuerAdded`` or ``KeyRotated``) at a position before ``q``,
- it was not retired by a later rotation at or before ``q``,
- no ``KeyRevoked`` makes it invalid from a position at or before ``q`` (a revocation
  may reach back to before its own position: a compromise found late invalidates what
  the thief logged in between, but never what came before the effective position),
- its issuer was not revoked at or before ``q``.

``apply`` refuses a statement that contradicts the registry (unknown issuer, reused
key, rotating away from a revoked key, a scope the issuer kind may not have) and then
leaves the registry unchanged; statements that are not about issuers are skipped, so
a whole log can be folded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from smartcustoms.origin.models import (
    Agreement,
    CertificateType,
    IssuerNotAuthorised,
    RegistryConflict,
    SignatureInvalid,
)
from smartcustoms.origin.signing import key_id, verify_digest
from smartcustoms.origin.statements import (
    AmendStatement,
    IssuerAdded,
    IssuerKind,
    IssuerRevoked,
    IssuerScope,
    IssueStatement,
    KeyRevocationReason,
    KeyRevoked,
    KeyRotated,
    RevokeStatement,
    SignedStatement,
    verify_statement,
)


@dataclasses.dataclass(slots=True)
class IssuerKeyRecord:
    key_id: str
    public_key: Ed25519PublicKey
    added_at: int
    retired_at: int | None = None
    revoked_from: int | None = None
    revocation_reason: KeyRevocationReason | None = None

    def valid_at(self, position: int) -> bool:
        return (
            self.added_at < position
            and (self.retired_at is None or position < self.retired_at)
            and (self.revoked_from is None or position < self.revoked_from)
        )


@dataclasses.dataclass(slots=True)
class IssuerRecord:
    issuer_id: str
    kind: IssuerKind
    name: str
    country: str
    scope: IssuerScope
    added_at: int
    keys: dict[str, IssuerKeyRecord]
    current_key: str | None
    revoked_at: int | None = None

    def active_at(self, position: int) -> bool:
        return self.added_at < position and (self.revoked_at is None or position < self.revoked_at)


def _check_kind_scope(kind: IssuerKind, scope: IssuerScope) -> None:
    # A registered exporter certifies the preferential origin of its own goods (REX,
    # approved exporter); non-preferential certificates come from chambers and authorities.
    if (
        kind is IssuerKind.registered_exporter
        and CertificateType.non_preferential in scope.certificate_types
    ):
        raise RegistryConflict(
            "out-of-scope: a registered exporter may not issue non-preferential certificates",
            field="scope",
            value=[str(t) for t in scope.certificate_types],
        )


class Registry:
    """Issuers and their keys as of the statements applied so far."""

    def __init__(self, root_keys: Iterable[Ed25519PublicKey]) -> None:
        self._roots: dict[str, Ed25519PublicKey] = {key_id(k): k for k in root_keys}
        if not self._roots:
            raise ValueError("a registry needs the administration's root key")
        self._issuers: dict[str, IssuerRecord] = {}
        self._key_owner: dict[str, str] = {}  # every key id ever registered → issuer
        self._last: int = -1

    @classmethod
    def replay(
        cls, root_keys: Iterable[Ed25519PublicKey], entries: Iterable[tuple[int, SignedStatement]]
    ) -> Registry:
        registry = cls(root_keys)
        for position, signed in entries:
            registry.apply(signed, position)
        return registry

    @property
    def issuers(self) -> Mapping[str, IssuerRecord]:
        return dict(self._issuers)

    # ---------------------------------------------------------------- fold

    def apply(self, signed: SignedStatement, position: int) -> None:
        """Fold one log entry into the registry, or raise and change nothing."""
        if type(position) is not int or position <= self._last:
            raise RegistryConflict(
                f"positions must increase: {position} after {self._last}",
                field="position",
                value=position,
            )
        st = signed.statement
        if not isinstance(st, IssuerAdded | KeyRotated | KeyRevoked | IssuerRevoked):
            self._last = position
            return
        root = self._roots.get(signed.signer)
        if root is None:
            raise SignatureInvalid(
                "not-root-signed",
                f"{st.type} must be signed by the administration's root key, not {signed.signer}",
            )
        verify_statement(signed, root)
        if isinstance(st, IssuerAdded):
            self._add(st, position)
        elif isinstance(st, KeyRotated):
            self._rotate(st, position)
        elif isinstance(st, KeyRevoked):
            self._revoke_key(st, position)
        else:
            self._revoke_issuer(st, position)
        self._last = position

    def _issuer(self, issuer_id: str) -> IssuerRecord:
        issuer = self._issuers.get(issuer_id)
        if issuer is None:
            raise RegistryConflict(
                f"unknown issuer {issuer_id!r}", field="issuer_id", value=issuer_id
            )
        return issuer

    def _fresh_key(self, key: str) -> None:
        if key in self._key_owner:
            raise RegistryConflict(
                f"key {key} is already registered to "
                f"{self._key_owner[key]!r}; keys are never reused",
                field="key_id",
                value=key,
            )

    def _add(self, st: IssuerAdded, position: int) -> None:
        if st.issuer_id in self._issuers:
            raise RegistryConflict(
                f"issuer {st.issuer_id!r} already exists; ids are never reused",
                field="issuer_id",
                value=st.issuer_id,
            )
        self._fresh_key(st.key.key_id)
        _check_kind_scope(st.kind, st.scope)
        record = IssuerKeyRecord(st.key.key_id, st.key.load(), position)
        self._issuers[st.issuer_id] = IssuerRecord(
            st.issuer_id,
            st.kind,
            st.name,
            st.country,
            st.scope,
            position,
            {record.key_id: record},
            record.key_id,
        )
        self._key_owner[record.key_id] = st.issuer_id

    def _rotate(self, st: KeyRotated, position: int) -> None:
        issuer = self._issuer(st.issuer_id)
        if issuer.revoked_at is not None:
            raise RegistryConflict(
                f"issuer {st.issuer_id!r} is revoked", field="issuer_id", value=st.issuer_id
            )
        previous = issuer.keys.get(st.previous_key_id or "")
        if previous is not None and previous.revoked_from is not None:
            raise RegistryConflict(
                f"key {previous.key_id} is revoked and cannot be rotated; "
                "name previous_key_id null to install a new key",
                field="previous_key_id",
                value=st.previous_key_id,
            )
        if st.previous_key_id != issuer.current_key:
            raise RegistryConflict(
                f"previous_key_id must be the issuer's current key {issuer.current_key}",
                field="previous_key_id",
                value=st.previous_key_id,
            )
        self._fresh_key(st.new_key.key_id)
        if previous is not None:
            previous.retired_at = position
        issuer.keys[st.new_key.key_id] = IssuerKeyRecord(
            st.new_key.key_id, st.new_key.load(), position
        )
        issuer.current_key = st.new_key.key_id
        self._key_owner[st.new_key.key_id] = st.issuer_id

    def _revoke_key(self, st: KeyRevoked, position: int) -> None:
        issuer = self._issuer(st.issuer_id)
        key = issuer.keys.get(st.key_id)
        if key is None:
            raise RegistryConflict(
                f"key {st.key_id} is not a key of {st.issuer_id!r}", field="key_id", value=st.key_id
            )
        if key.revoked_from is not None:
            raise RegistryConflict(
                f"key {st.key_id} is already revoked", field="key_id", value=st.key_id
            )
        if not key.added_at < st.effective_position <= position:
            raise RegistryConflict(
                f"effective_position must be after the key was added ({key.added_at}) and "
                f"not after this statement ({position})",
                field="effective_position",
                value=st.effective_position,
            )
        key.revoked_from = st.effective_position
        key.revocation_reason = st.reason
        if issuer.current_key == st.key_id:
            issuer.current_key = None

    def _revoke_issuer(self, st: IssuerRevoked, position: int) -> None:
        issuer = self._issuer(st.issuer_id)
        if issuer.revoked_at is not None:
            raise RegistryConflict(
                f"issuer {st.issuer_id!r} is already revoked", field="issuer_id", value=st.issuer_id
            )
        issuer.revoked_at = position
        issuer.current_key = None

    # ------------------------------------------------------------- queries

    def key_valid_at(self, issuer_id: str, key: str, position: int) -> bool:
        issuer = self._issuers.get(issuer_id)
        record = issuer.keys.get(key) if issuer else None
        return bool(issuer and record and issuer.active_at(position) and record.valid_at(position))

    def authorises(
        self,
        issuer_id: str,
        certificate_type: CertificateType,
        agreement: Agreement | None,
        position: int,
    ) -> bool:
        issuer = self._issuers.get(issuer_id)
        if issuer is None or not issuer.active_at(position):
            return False
        if certificate_type not in issuer.scope.certificate_types:
            return False
        if certificate_type is CertificateType.preferential:
            return agreement is not None and agreement in issuer.scope.agreements
        return agreement is None

    def public_key(self, issuer_id: str, key: str) -> Ed25519PublicKey:
        issuer = self._issuers.get(issuer_id)
        if issuer is None or key not in issuer.keys:
            raise IssuerNotAuthorised(
                "key-unknown", f"{issuer_id!r} has no key {key}", field="key_id", value=key
            )
        return issuer.keys[key].public_key

    def check_certificate_statement(self, signed: SignedStatement, position: int) -> None:
        """Return when an issue, amend or revoke statement at ``position`` was made by an
        issuer authorised then, with a key valid then; raise otherwise."""
        st = signed.statement
        if isinstance(st, RevokeStatement):
            if signed.signer in self._roots:  # the administration may revoke any certificate
                verify_statement(signed, self._roots[signed.signer])
                return
            self._require_key(st.issuer_id, signed.signer, position)
            verify_statement(signed, self.public_key(st.issuer_id, signed.signer))
            return
        if not isinstance(st, IssueStatement | AmendStatement):
            raise IssuerNotAuthorised(
                "not-a-certificate-statement", f"{st.type} is not issued by a certificate issuer"
            )
        if signed.signer != st.key_id:
            raise IssuerNotAuthorised(
                "signer-mismatch",
                "the statement must be signed with the key that signed the certificate digest",
                field="signer",
                value=signed.signer,
            )
        self._require_key(st.issuer_id, st.key_id, position)
        issuer = self._issuers[st.issuer_id]
        if not self.authorises(st.issuer_id, st.certificate_type, st.agreement, position):
            raise IssuerNotAuthorised(
                "out-of-scope",
                f"{st.issuer_id!r} may not issue "
                f"{st.certificate_type} certificates under "
                f"{st.agreement}",
                field="certificate_type",
                value=str(st.certificate_type),
            )
        if issuer.country != st.exporting_country:
            raise IssuerNotAuthorised(
                "wrong-country",
                f"{st.issuer_id!r} issues for {issuer.country}, not {st.exporting_country}",
                field="exporting_country",
                value=st.exporting_country,
            )
        key = self.public_key(st.issuer_id, st.key_id)
        verify_statement(signed, key)
        verify_digest(key, bytes.fromhex(st.digest), bytes.fromhex(st.signature))

    def _require_key(self, issuer_id: str, key: str, position: int) -> None:
        if not self.key_valid_at(issuer_id, key, position):
            raise IssuerNotAuthorised(
                "key-not-valid",
                f"key {key} of {issuer_id!r} is not valid at log position {position}",
                field="key_id",
                value=key,
            )
