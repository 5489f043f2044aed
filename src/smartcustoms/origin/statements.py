"""Log statements about certificates and issuers, in canonical JSON (RFC 8785).

The log holds these and nothing else. Certificate statements carry the digest of the
certificate, never its commercial content: no names, descriptions or HS codes; only
what partner administrations need to count draw-downs (per-item declared quantities),
to check validity, and to find the issuer's key.

Every statement travels in a ``SignedStatement``: issuer statements signed by the
administration's root key, certificate statements by the issuer's key, utilisations
by the importing administration's key. The signature covers the SHA-256 of the
statement's canonical bytes under the ``statement`` purpose tag, so it can never be
confused with a certificate-digest signature.

``parse_statement`` is strict: unknown fields and duplicated keys are refused, and the
bytes must be exactly the canonical encoding of what they parse to (no other key
order, spacing, number spelling or escaping), so one statement has one hash.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any, Literal

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from smartcustoms.declarations.types import PRINTABLE, Code, CountryCode, Text, UnitCode
from smartcustoms.origin.commitments import CommittedCertificate, canonical_decimal
from smartcustoms.origin.models import (
    Agreement,
    CertificateType,
    KeyFileInvalid,
    SignatureInvalid,
    StatementInvalid,
    field_errors,
    load_json_strict,
)
from smartcustoms.origin.signing import (
    Purpose,
    key_id,
    parse_public_key,
    sign_digest,
    verify_digest,
)

Hex32 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="32 bytes, lowercase hex.")]
Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{128}$", description="64 bytes, lowercase hex.")]
KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="Key id (signing.key_id).")]
IssuerId = Code
Reference = Annotated[str, Field(min_length=1, max_length=35, pattern=PRINTABLE)]


def _amount(value: Decimal) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise PydanticCustomError("amount", "must be a positive finite decimal")
    if len(value.as_tuple().digits) > 20:
        raise PydanticCustomError("amount", "must have at most 20 digits")
    return value


# Decimals travel as canonical strings ("1.5", never "1.50" or "15E-1"): with the
# canonical re-check in parse_statement, one quantity has one spelling.
Amount = Annotated[
    Decimal,
    AfterValidator(_amount),
    PlainSerializer(canonical_decimal, return_type=str, when_used="json"),
]


class _Statement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatementQuantity(_Statement):
    value: Amount
    unit: UnitCode


class ItemQuantity(_Statement):
    sequence: Annotated[int, Field(ge=1, le=999)]
    quantity: StatementQuantity


def _items_in_order(items: list[ItemQuantity], *, dense: bool) -> None:
    seqs = [item.sequence for item in items]
    if dense and seqs != list(range(1, len(seqs) + 1)):
        raise PydanticCustomError("item_sequence", "items must be numbered 1, 2, 3 …")
    if seqs != sorted(set(seqs)):
        raise PydanticCustomError("item_sequence", "items must be in ascending order, once each")


# ------------------------------------------------------------ certificate statements


class _CertificateStatement(_Statement):
    certificate_number: Code
    issuer_id: IssuerId
    key_id: KeyId = Field(description="The issuer key that signed the digest.")
    certificate_type: CertificateType
    agreement: Agreement | None
    exporting_country: CountryCode
    importing_country: CountryCode
    schema_id: Literal["smartcustoms/eco/1", "smartcustoms/eco/2"] = Field(
        description="The commitment scheme of the digest (see origin.commitments)."
    )
    digest: Hex32 = Field(description="Digest of the certificate's commitments.")
    signature: Hex64 = Field(description="Issuer's Ed25519 signature of the digest.")
    issue_date: dt.date
    valid_until: dt.date
    items: list[ItemQuantity] = Field(
        min_length=1, max_length=999, description="Declared quantity per goods item."
    )

    @model_validator(mode="after")
    def _check(self) -> Any:
        _items_in_order(self.items, dense=True)
        if self.valid_until < self.issue_date:
            raise PydanticCustomError("validity_order", "valid_until is before issue_date")
        return self


class IssueStatement(_CertificateStatement):
    type: Literal["issue"] = "issue"


class AmendStatement(_CertificateStatement):
    """A replacement certificate; draw-downs of the superseded one carry over."""

    type: Literal["amend"] = "amend"
    supersedes: Hex32 = Field(description="Digest of the certificate it replaces.")

    @model_validator(mode="after")
    def _not_itself(self) -> AmendStatement:
        if self.supersedes == self.digest:
            raise PydanticCustomError("supersedes_self", "a certificate cannot supersede itself")
        return self


class RevocationReason(enum.StrEnum):
    issued_in_error = "issued_in_error"
    verification_failed = "verification_failed"  # origin not confirmed on verification
    fraud = "fraud"
    withdrawn = "withdrawn"  # at the exporter's request


class RevokeStatement(_Statement):
    type: Literal["revoke"] = "revoke"
    certificate_number: Code
    issuer_id: IssuerId
    digest: Hex32
    reason: RevocationReason
    revocation_date: dt.date


class UtiliseStatement(_Statement):
    """An importing administration drew quantities of a certificate on a declaration."""

    type: Literal["utilise"] = "utilise"
    certificate_number: Code
    certificate_digest: Hex32
    administration: CountryCode = Field(description="The importing administration.")
    declaration_reference: Reference = Field(description="MRN or national reference.")
    utilisation_date: dt.date
    items: list[ItemQuantity] = Field(min_length=1, max_length=999)

    @model_validator(mode="after")
    def _check(self) -> UtiliseStatement:
        _items_in_order(self.items, dense=False)
        return self


# ----------------------------------------------------------------- issuer statements


class IssuerKind(enum.StrEnum):
    authority = "authority"  # a government issuing authority
    chamber = "chamber"  # a chamber of commerce or other delegated issuing body
    registered_exporter = "registered_exporter"  # self-certification (REX, approved exporter)


class KeyRevocationReason(enum.StrEnum):
    compromised = "compromised"
    lost = "lost"
    superseded = "superseded"


class IssuerKey(_Statement):
    key_id: KeyId
    public_key: str = Field(description="Printable Ed25519 key, 'ed25519:<base64>'.")

    @model_validator(mode="after")
    def _id_matches(self) -> IssuerKey:
        try:
            derived = key_id(parse_public_key(self.public_key))
        except (KeyFileInvalid, ValueError) as exc:
            raise PydanticCustomError("public_key", "not a printable Ed25519 key") from exc
        if derived != self.key_id:
            raise PydanticCustomError("key_id", "key_id is not the id of public_key")
        return self

    def load(self) -> Ed25519PublicKey:
        return parse_public_key(self.public_key)


def _sorted_unique(values: list[Any]) -> list[Any]:
    if values != sorted(set(values)):
        raise PydanticCustomError("sorted_unique", "must be sorted, each value once")
    return values


class IssuerScope(_Statement):
    certificate_types: Annotated[list[CertificateType], AfterValidator(_sorted_unique)] = Field(
        min_length=1, max_length=2
    )
    agreements: Annotated[list[Agreement], AfterValidator(_sorted_unique)] = Field(
        max_length=50, description="Agreements for preferential certificates."
    )

    @model_validator(mode="after")
    def _coherent(self) -> IssuerScope:
        preferential = CertificateType.preferential in self.certificate_types
        if preferential != bool(self.agreements):
            raise PydanticCustomError(
                "scope", "agreements are named exactly when preferential certificates are"
            )
        return self


class IssuerAdded(_Statement):
    type: Literal["issuer_added"] = "issuer_added"
    issuer_id: IssuerId
    kind: IssuerKind
    name: Text
    country: CountryCode
    scope: IssuerScope
    key: IssuerKey


class KeyRotated(_Statement):
    type: Literal["key_rotated"] = "key_rotated"
    issuer_id: IssuerId
    new_key: IssuerKey
    previous_key_id: KeyId | None = Field(
        description="The issuer's current key, retired here; null after a revocation."
    )


class KeyRevoked(_Statement):
    type: Literal["key_revoked"] = "key_revoked"
    issuer_id: IssuerId
    key_id: KeyId
    reason: KeyRevocationReason
    effective_position: Annotated[int, Field(ge=0, le=2**53 - 1)] = Field(
        description="Log position from which the key is invalid; may precede this "
        "statement (a compromise discovered late)."
    )


class IssuerRevoked(_Statement):
    type: Literal["issuer_revoked"] = "issuer_revoked"
    issuer_id: IssuerId
    reason: Text


Statement = Annotated[
    IssueStatement
    | AmendStatement
    | RevokeStatement
    | UtiliseStatement
    | IssuerAdded
    | KeyRotated
    | KeyRevoked
    | IssuerRevoked,
    Field(discriminator="type"),
]
IssuerStatement = IssuerAdded | KeyRotated | KeyRevoked | IssuerRevoked
CertificateStatement = IssueStatement | AmendStatement


class SignedStatement(_Statement):
    statement: Statement
    signer: KeyId
    signature: Hex64


_STATEMENT = TypeAdapter(Statement)


# ------------------------------------------------------------------- encoding


def canonical_bytes(statement: BaseModel) -> bytes:
    """RFC 8785 canonical JSON of a statement or signed statement."""
    return rfc8785.dumps(statement.model_dump(mode="json"))


def statement_hash(statement: BaseModel) -> bytes:
    return hashlib.sha256(canonical_bytes(statement)).digest()


def _parse(data: bytes, validate: Any) -> Any:
    if not isinstance(data, bytes):
        raise StatementInvalid("a statement is parsed from bytes")
    load_json_strict(data, error=StatementInvalid)  # duplicated keys, floats, bad UTF-8
    try:
        parsed = validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        raise StatementInvalid("; ".join(str(e) for e in errors[:5]), errors=errors) from exc
    if canonical_bytes(parsed) != data:
        raise StatementInvalid(
            "not in canonical form (RFC 8785): the same statement must always have the same bytes"
        )
    return parsed


def parse_statement(data: bytes) -> Any:
    """A statement from its canonical bytes; anything else raises ``StatementInvalid``."""
    return _parse(data, lambda d: _STATEMENT.validate_json(d, strict=True))


def parse_signed_statement(data: bytes) -> SignedStatement:
    return _parse(data, lambda d: SignedStatement.model_validate_json(d, strict=True))


def sign_statement(statement: BaseModel, private_key: Ed25519PrivateKey) -> SignedStatement:
    signature = sign_digest(private_key, statement_hash(statement), Purpose.statement)
    return SignedStatement(
        statement=statement, signer=key_id(private_key.public_key()), signature=signature.hex()
    )


def verify_statement(signed: SignedStatement, public_key: Ed25519PublicKey) -> None:
    """Return if ``public_key`` signed the statement; raise ``SignatureInvalid`` if not."""
    if key_id(public_key) != signed.signer:
        raise SignatureInvalid(
            "signer-mismatch", f"signed by {signed.signer}, not by {key_id(public_key)}"
        )
    verify_digest(
        public_key,
        statement_hash(signed.statement),
        bytes.fromhex(signed.signature),
        Purpose.statement,
    )


def issue_statement(
    committed: CommittedCertificate,
    *,
    issuer_id: str,
    private_key: Ed25519PrivateKey,
    supersedes: bytes | None = None,
) -> IssueStatement | AmendStatement:
    """The issue (or, with ``supersedes``, amend) statement of a committed certificate,
    with the issuer's signature of its digest."""
    cert = committed.certificate
    fields: dict[str, Any] = {
        "certificate_number": cert.number,
        "issuer_id": issuer_id,
        "key_id": key_id(private_key.public_key()),
        "certificate_type": cert.certificate_type,
        "agreement": cert.agreement,
        "exporting_country": cert.exporting_country,
        "importing_country": cert.importing_country,
        "schema_id": committed.schema_id,
        "digest": committed.digest.hex(),
        "signature": sign_digest(private_key, committed.digest).hex(),
        "issue_date": cert.validity.issue_date,
        "valid_until": cert.validity.valid_until,
        "items": [
            ItemQuantity(
                sequence=item.sequence,
                quantity=StatementQuantity(value=item.quantity.value, unit=item.quantity.unit),
            )
            for item in cert.goods_items
        ],
    }
    if supersedes is None:
        return IssueStatement(**fields)
    return AmendStatement(**fields, supersedes=supersedes.hex())


# ------------------------------------------------------------------ utilisation


class LedgerFindingCode(enum.StrEnum):
    over_use = "over-use"
    unit_mismatch = "unit-mismatch"
    unknown_certificate = "unknown-certificate"
    unknown_item = "unknown-item"
    revoked = "utilised-after-revocation"
    outside_validity = "utilised-outside-validity"
    wrong_administration = "wrong-administration"
    conflicting_utilisation = "conflicting-utilisation"
    superseded = "superseded-certificate"
    conflicting_amendment = "conflicting-amendment"
    conflicting_issue = "conflicting-issue"


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class LedgerFinding:
    """A suspicion for an officer to look at, not an error: the ledger still counts."""

    certificate_digest: str
    code: LedgerFindingCode
    sequence: int | None
    detail: str


@dataclasses.dataclass(frozen=True, slots=True)
class ItemBalance:
    sequence: int
    unit: str
    declared: Decimal
    drawn: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.declared - self.drawn  # negative when over-used


@dataclasses.dataclass(frozen=True, slots=True)
class UtilisationLedger:
    balances: dict[str, tuple[ItemBalance, ...]]  # current certificate digest → items
    successor: dict[str, str]  # superseded digest → the digest that replaced it
    findings: tuple[LedgerFinding, ...]

    def current(self, digest: str) -> str:
        seen = {digest}
        while digest in self.successor and self.successor[digest] not in seen:
            digest = self.successor[digest]
            seen.add(digest)
        return digest

    def remaining(self, digest: str, sequence: int) -> Decimal:
        for item in self.balances[self.current(digest)]:
            if item.sequence == sequence:
                return item.remaining
        raise KeyError(sequence)


def utilisation_ledger(statements: Iterable[BaseModel]) -> UtilisationLedger:
    """Remaining quantity per certificate item over the statements of any number of logs.

    The result does not depend on the order of the input: partners' logs have no common
    order, and the same statement mirrored in two logs counts once (deduplicated by its
    canonical hash). Over-use and the other anomalies are findings, not exceptions.
    """
    unique: dict[bytes, BaseModel] = {}
    for item in statements:
        st = item.statement if isinstance(item, SignedStatement) else item
        unique.setdefault(statement_hash(st), st)
    ordered = [unique[h] for h in sorted(unique)]
    findings: set[LedgerFinding] = set()

    def flag(digest: str, code: LedgerFindingCode, detail: str, seq: int | None = None) -> None:
        findings.add(LedgerFinding(digest, code, seq, detail))

    certs: dict[str, IssueStatement | AmendStatement] = {}
    revoked: dict[str, dt.date] = {}
    amends: dict[str, list[AmendStatement]] = {}
    for st in ordered:
        if isinstance(st, IssueStatement | AmendStatement):
            if st.digest in certs:
                flag(
                    st.digest,
                    LedgerFindingCode.conflicting_issue,
                    "two different statements issue this digest",
                )
                continue
            certs[st.digest] = st
            if isinstance(st, AmendStatement):
                amends.setdefault(st.supersedes, []).append(st)
        elif isinstance(st, RevokeStatement):
            revoked[st.digest] = min(st.revocation_date, revoked.get(st.digest, st.revocation_date))
    successor: dict[str, str] = {}
    for old, replacements in amends.items():
        if len(replacements) > 1:
            flag(
                old,
                LedgerFindingCode.conflicting_amendment,
                f"{len(replacements)} amendments supersede this certificate",
            )
        else:
            successor[old] = replacements[0].digest
    ledger = UtilisationLedger({}, successor, ())
    drawn: dict[tuple[str, int], Decimal] = {}
    by_declaration: dict[tuple[str, str, str], int] = {}
    for st in ordered:
        if not isinstance(st, UtiliseStatement):
            continue
        named = st.certificate_digest
        key = (st.administration, st.declaration_reference, named)
        by_declaration[key] = by_declaration.get(key, 0) + 1
        if by_declaration[key] == 2:
            flag(
                named,
                LedgerFindingCode.conflicting_utilisation,
                f"{st.administration} {st.declaration_reference} draws on it twice "
                "with different contents",
            )
        if named not in certs:
            flag(
                named,
                LedgerFindingCode.unknown_certificate,
                f"{st.administration} {st.declaration_reference} names an unknown digest",
            )
            continue
        target = ledger.current(named)
        cert = certs[target]
        if target != named and st.utilisation_date >= cert.issue_date:
            flag(
                named,
                LedgerFindingCode.superseded,
                f"{st.declaration_reference} drew on it after it was replaced by {target}",
            )
        chain = {named, target}
        when = min((revoked[d] for d in chain if d in revoked), default=None)
        if when is not None and st.utilisation_date >= when:
            flag(
                target,
                LedgerFindingCode.revoked,
                f"{st.declaration_reference} on {st.utilisation_date}, revoked {when}",
            )
        if not cert.issue_date <= st.utilisation_date <= cert.valid_until:
            flag(
                target,
                LedgerFindingCode.outside_validity,
                f"{st.declaration_reference} on {st.utilisation_date}; valid "
                f"{cert.issue_date} to {cert.valid_until}",
            )
        if st.administration != cert.importing_country:
            flag(
                target,
                LedgerFindingCode.wrong_administration,
                f"{st.administration} drew on a certificate for {cert.importing_country}",
            )
        declared = {i.sequence: i.quantity for i in cert.items}
        for line in st.items:
            have = declared.get(line.sequence)
            if have is None:
                flag(
                    target,
                    LedgerFindingCode.unknown_item,
                    f"{st.declaration_reference} draws on item {line.sequence}",
                    line.sequence,
                )
            elif have.unit != line.quantity.unit:
                flag(
                    target,
                    LedgerFindingCode.unit_mismatch,
                    f"{st.declaration_reference} draws {line.quantity.unit}; declared in "
                    f"{have.unit}",
                    line.sequence,
                )
            else:
                slot = (target, line.sequence)
                drawn[slot] = drawn.get(slot, Decimal(0)) + line.quantity.value
    balances: dict[str, tuple[ItemBalance, ...]] = {}
    for digest, cert in certs.items():
        if digest in successor:
            continue
        items = tuple(
            ItemBalance(
                i.sequence,
                i.quantity.unit,
                i.quantity.value,
                drawn.get((digest, i.sequence), Decimal(0)),
            )
            for i in cert.items
        )
        balances[digest] = items
        for item in items:
            if item.remaining < 0:
                flag(
                    digest,
                    LedgerFindingCode.over_use,
                    f"item {item.sequence}: drawn {item.drawn} of {item.declared} {item.unit}",
                    item.sequence,
                )
    return UtilisationLedger(balances, successor, tuple(sorted(findings)))


__all__ = [
    "AmendStatement",
    "CertificateStatement",
    "IssueStatement",
    "IssuerAdded",
    "IssuerKey",
    "IssuerKind",
    "IssuerRevoked",
    "IssuerScope",
    "IssuerStatement",
    "ItemBalance",
    "ItemQuantity",
    "KeyRevocationReason",
    "KeyRevoked",
    "KeyRotated",
    "LedgerFinding",
    "LedgerFindingCode",
    "RevocationReason",
    "RevokeStatement",
    "SignedStatement",
    "Statement",
    "StatementQuantity",
    "UtilisationLedger",
    "UtiliseStatement",
    "canonical_bytes",
    "issue_statement",
    "parse_signed_statement",
    "parse_statement",
    "sign_statement",
    "statement_hash",
    "utilisation_ledger",
    "verify_statement",
]
