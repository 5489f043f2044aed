"""Signed certificate packages: what an issuer holding its own key hands the administration.

A chamber that keeps its Ed25519 key on its own machine commits and signs a certificate
there (``smartcustoms origin sign``, no database), and sends the administration one file:

    {"committed": {"certificate": {...}, "digest": "<hex>", "salts": ["<hex>", ...],
                   "schema_id": "smartcustoms/eco/…"},        as the database stores it
     "format": "smartcustoms/origin/signed-certificate/v1",
     "statement": {"signature": "<hex>", "signer": "<key id>",
                   "statement": {"type": "issue" | "amend", ...}}}

``committed`` is the certificate with its salts (the holder's secret: whoever has it can
make proof bundles), ``statement`` the signed issue (or amend) statement exactly as the
log will hold it. The administration trusts none of it: ``parse_signed_certificate``
re-commits the certificate with the salts and checks the digest, and that the statement
says what the certificate says; the service then checks both signatures against the
registry (``submit_service``).

The file is parsed strictly: duplicated keys, fractions (decimals travel as strings),
unknown or missing members and other formats are refused, each naming the member.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from smartcustoms.errors import FieldError
from smartcustoms.origin.commitments import (
    SCHEMA_ID,
    CommittedCertificate,
    SaltInvalid,
    commit,
)
from smartcustoms.origin.models import (
    Certificate,
    CertificateInvalid,
    OriginInputInvalid,
    StatementInvalid,
    field_errors,
    load_json_strict,
    parse_certificate,
)
from smartcustoms.origin.signing import load_private_key
from smartcustoms.origin.statements import (
    AmendStatement,
    IssueStatement,
    SignedStatement,
    issue_statement,
    parse_signed_statement,
    sign_statement,
)

SIGNED_FORMAT = "smartcustoms/origin/signed-certificate/v1"
MAX_SIGNED_BYTES = 4 * 1024 * 1024  # 999 goods items with every field and salt fit
_MEMBERS = frozenset({"committed", "format", "statement"})
_COMMITTED_MEMBERS = frozenset({"certificate", "digest", "salts", "schema_id"})
_HEX32 = re.compile(r"[0-9a-f]{64}")


class SignedCertificateInvalid(OriginInputInvalid):
    code = "origin-signed-certificate-invalid"
    title = "The signed certificate package is not valid"


# ------------------------------------------------------------- committed certificates


def committed_to_json(committed: CommittedCertificate) -> dict[str, Any]:
    """The certificate and its salts in schema order (the holder's secret)."""
    return {"schema_id": committed.schema_id, "digest": committed.digest.hex(),
            "certificate": committed.certificate.model_dump(mode="json"),
            "salts": [leaf.salt.hex() for leaf in committed.leaves]}


def recommit(certificate: Certificate, salts: list[bytes],
             schema_id: str = SCHEMA_ID) -> CommittedCertificate:
    """Commit ``certificate`` again with the given salts (one per leaf, in schema order)."""
    given = iter(salts)

    def rng(_n: int) -> bytes:
        return next(given, b"")  # too few salts: commit refuses the empty one

    # An older scheme (commitments.SCHEMA_IDS) re-commits a stored certificate as it was.
    committed = commit(certificate, rng, schema_id=schema_id)
    if len(committed.leaves) != len(salts):
        raise ValueError(f"{len(salts)} salts for {len(committed.leaves)} leaves")
    return committed


def committed_from_json(data: dict[str, Any]) -> CommittedCertificate:
    """Commit a stored certificate again with its stored salts; the digest must agree."""
    certificate = Certificate.model_validate(data["certificate"])
    committed = recommit(certificate, [bytes.fromhex(s) for s in data["salts"]],
                         data["schema_id"])
    if committed.digest.hex() != data["digest"]:
        raise CertificateInvalid("the stored certificate no longer hashes to its digest")
    return committed


# ------------------------------------------------------------------------ package


@dataclasses.dataclass(frozen=True, slots=True)
class SignedCertificate:
    """A committed certificate and its signed issue or amend statement, checked to agree
    (made by ``sign_certificate`` or ``parse_signed_certificate`` only)."""

    committed: CommittedCertificate
    signed: SignedStatement

    @property
    def statement(self) -> IssueStatement | AmendStatement:
        st = self.signed.statement
        assert isinstance(st, IssueStatement | AmendStatement)
        return st

    def to_json(self) -> dict[str, Any]:
        return {"committed": committed_to_json(self.committed), "format": SIGNED_FORMAT,
                "statement": self.signed.model_dump(mode="json")}

    def to_bytes(self) -> bytes:
        """RFC 8785 canonical JSON: the same package always has the same bytes."""
        return rfc8785.dumps(self.to_json())


def sign_certificate(certificate: Certificate, *, issuer_id: str,
                     private_key: Ed25519PrivateKey, supersedes: bytes | None = None,
                     rng: Callable[[int], bytes] | None = None) -> SignedCertificate:
    """Commit with fresh salts, sign the digest and the issue (or, with ``supersedes``,
    amend) statement with the issuer's key: all on the issuer's machine."""
    committed = commit(certificate) if rng is None else commit(certificate, rng)
    statement = issue_statement(committed, issuer_id=issuer_id, private_key=private_key,
                                supersedes=supersedes)
    return SignedCertificate(committed, sign_statement(statement, private_key))


def sign_certificate_file(data: bytes, *, issuer_id: str, key_path: Path,
                          supersedes: str | None = None) -> SignedCertificate:
    """``sign_certificate`` from the certificate's JSON and the issuer's key file
    (``smartcustoms origin sign``: no database, no administration keys)."""
    certificate = parse_certificate(data)
    if supersedes is not None and not _HEX32.fullmatch(supersedes):
        raise _fail("supersedes", "must be the 64-hex-digit digest of the certificate "
                    "being amended", supersedes)
    return sign_certificate(certificate, issuer_id=issuer_id,
                            private_key=load_private_key(key_path),
                            supersedes=None if supersedes is None else bytes.fromhex(supersedes))


def write_package(path: Path, package: SignedCertificate) -> None:
    """Write the package 0600 (its salts are the holder's secret), never over a file."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise _fail("out", f"{path} exists; choose another file", str(path)) from exc
    except OSError as exc:
        raise _fail("out", f"{path} cannot be written: {exc.strerror}", str(path)) from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(package.to_bytes())


def _fail(field: str, message: str, value: Any = None) -> SignedCertificateInvalid:
    return SignedCertificateInvalid(f"{field}: {message}", field=field, value=value)


def _members(value: object, expected: frozenset[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where or "package", "must be a JSON object", type(value).__name__)
    unknown, missing = sorted(set(value) - expected), sorted(expected - set(value))
    if unknown:
        raise _fail(f"{where}.{unknown[0]}" if where else unknown[0],
                    f"unknown member; the members are {', '.join(sorted(expected))}")
    if missing:
        raise _fail(f"{where}.{missing[0]}" if where else missing[0], "missing")
    return value


def _prefixed(where: str, errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(f"{where}.{e.field}", e.message, e.value) for e in errors]


def _committed(raw: object) -> CommittedCertificate:
    data = _members(raw, _COMMITTED_MEMBERS, "committed")
    if data["schema_id"] != SCHEMA_ID:
        # A fresh signature is made under the scheme commit writes today.
        raise _fail("committed.schema_id", f"must be {SCHEMA_ID!r}", data["schema_id"])
    if not isinstance(data["digest"], str) or not _HEX32.fullmatch(data["digest"]):
        raise _fail("committed.digest", "must be 64 lowercase hex digits", data["digest"])
    salts = data["salts"]
    if not isinstance(salts, list) or not all(
            isinstance(s, str) and _HEX32.fullmatch(s) for s in salts):
        raise _fail("committed.salts", "must be a list of 64-hex-digit salts")
    if len(set(salts)) != len(salts):
        raise _fail("committed.salts", "a salt is repeated: salts are fresh random bytes")
    try:
        certificate = Certificate.model_validate(data["certificate"])
    except ValidationError as exc:
        errors = _prefixed("committed.certificate", field_errors(exc))
        raise SignedCertificateInvalid(
            f"{len(errors)} field error(s): " + "; ".join(str(e) for e in errors[:5]),
            errors=errors) from exc
    try:
        committed = recommit(certificate, [bytes.fromhex(s) for s in salts])
    except (ValueError, SaltInvalid) as exc:
        raise _fail("committed.salts", f"not one salt per leaf of the certificate ({exc})",
                    len(salts)) from exc
    if committed.digest.hex() != data["digest"]:
        raise _fail("committed.digest", f"the certificate and salts hash to "
                    f"{committed.digest.hex()}: the certificate or a salt was changed",
                    data["digest"])
    return committed


def _signed(raw: object) -> SignedStatement:
    if not isinstance(raw, dict):
        raise _fail("statement", "must be a JSON object", type(raw).__name__)
    try:
        return parse_signed_statement(rfc8785.dumps(raw))
    except StatementInvalid as exc:
        errors = _prefixed("statement", exc.errors) or [FieldError("statement", exc.detail)]
        raise SignedCertificateInvalid(f"statement: {exc.detail}", errors=errors) from exc
    except (rfc8785.CanonicalizationError, ValueError, TypeError) as exc:
        raise _fail("statement", f"not canonicalisable JSON: {exc}") from exc


def _expected(committed: CommittedCertificate) -> dict[str, Any]:
    """What an issue statement of ``committed`` must say (``statements.issue_statement``)."""
    cert = committed.certificate
    return {"certificate_number": cert.number, "certificate_type": cert.certificate_type,
            "agreement": cert.agreement, "exporting_country": cert.exporting_country,
            "importing_country": cert.importing_country, "schema_id": committed.schema_id,
            "digest": committed.digest.hex(), "issue_date": cert.validity.issue_date,
            "valid_until": cert.validity.valid_until,
            "items": [(i.sequence, i.quantity.value, i.quantity.unit)
                      for i in cert.goods_items]}


def check_agreement(committed: CommittedCertificate, signed: SignedStatement) -> None:
    """The statement is an issue or amend statement of exactly this certificate."""
    st = signed.statement
    if not isinstance(st, IssueStatement | AmendStatement):
        raise _fail("statement.statement.type", "must be issue or amend", st.type)
    said = {name: getattr(st, name) for name in _expected(committed) if name != "items"}
    said["items"] = [(i.sequence, i.quantity.value, i.quantity.unit) for i in st.items]
    for name, value in _expected(committed).items():
        if said[name] != value:
            shown = said[name] if name != "items" else [list(map(str, i)) for i in said[name]]
            raise _fail(f"statement.statement.{name}", f"the certificate says {value!s}",
                        str(shown))
    if signed.signer != st.key_id:
        raise _fail("statement.signer", f"must be the key that signed the digest, {st.key_id}",
                    signed.signer)


def parse_signed_certificate(data: bytes) -> SignedCertificate:
    """A package from its bytes, its certificate re-committed and its statement checked to
    describe it; anything else raises ``SignedCertificateInvalid`` naming the member.
    Signatures are checked by the caller against the registry."""
    if not isinstance(data, bytes) or not 0 < len(data) <= MAX_SIGNED_BYTES:
        raise _fail("package", f"a signed certificate is 1 to {MAX_SIGNED_BYTES} bytes")
    raw = load_json_strict(data, error=SignedCertificateInvalid)
    package = _members(raw, _MEMBERS, "")
    if package["format"] != SIGNED_FORMAT:
        raise _fail("format", f"must be {SIGNED_FORMAT!r}", package["format"])
    committed = _committed(package["committed"])
    signed = _signed(package["statement"])
    check_agreement(committed, signed)
    return SignedCertificate(committed, signed)


__all__ = [
    "MAX_SIGNED_BYTES",
    "SIGNED_FORMAT",
    "SignedCertificate",
    "SignedCertificateInvalid",
    "check_agreement",
    "committed_from_json",
    "committed_to_json",
    "parse_signed_certificate",
    "recommit",
    "sign_certificate",
    "sign_certificate_file",
    "write_package",
]
