"""A small certificate-of-origin world for the bundle, verify and registry-log tests.

One issuing administration (root key, log key, three partner witnesses), one chamber
of commerce as issuer, a two-item RCEP certificate. Keys have fixed seeds; witnesses
cosign directly (the witness protocol has its own tests), at a timestamp the test
chooses, so age and quorum failures need no clock patching.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcustoms.origin.bundle import b64url, b64url_decode, make_bundle
from smartcustoms.origin.commitments import SCHEMA_ID, CommittedCertificate, Disclosure, commit
from smartcustoms.origin.compact import decode_disclosure, encode_disclosure
from smartcustoms.origin.cosignature import CosignatureSigner
from smartcustoms.origin.models import Certificate
from smartcustoms.origin.note import Ed25519Signer, parse_note
from smartcustoms.origin.policy import TrustPolicy
from smartcustoms.origin.registry_log import CertificateLog
from smartcustoms.origin.signing import format_public_key, key_id
from smartcustoms.origin.statements import (
    IssuerAdded,
    IssuerKey,
    ItemQuantity,
    KeyRevoked,
    RevokeStatement,
    SignedStatement,
    StatementQuantity,
    UtiliseStatement,
    canonical_bytes,
    issue_statement,
    sign_statement,
)

ORIGIN = "customs.cn.example/origin"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # inside the certificate's validity


def _key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


ROOT = _key(0x21)
ISSUER = _key(0x22)
OTHER = _key(0x23)
KR_ROOT = _key(0x24)
JP_ROOT = _key(0x25)
LOG_SIGNER = Ed25519Signer(ORIGIN, _key(0x26))
WITNESSES = [CosignatureSigner(f"witness{i}.example", _key(0x30 + i)) for i in range(3)]
TYPICAL = [
    "number",
    "certificate_type",
    "agreement",
    "exporting_country",
    "importing_country",
    "validity",
    "goods_items[0].hs_code",
    "goods_items[0].quantity",
    "goods_items[0].origin_criterion",
    "goods_items[1].hs_code",
    "goods_items[1].quantity",
    "goods_items[1].origin_criterion",
]


def certificate(number: str = "RCEP-CN-2026-000123", **changes: Any) -> Certificate:
    data: dict[str, Any] = {
        "number": number,
        "certificate_type": "preferential",
        "agreement": "RCEP",
        "issuing_authority": {"name": "CCPIT Shenzhen", "country": "CN"},
        "exporter": {"name": "Example Electronics", "country": "CN"},
        "consignee": {"name": "Seoul Import Trading", "country": "KR"},
        "exporting_country": "CN",
        "importing_country": "KR",
        "goods_items": [
            {
                "sequence": 1,
                "description": "Smartphones, secret model X",
                "hs_code": "851713",
                "quantity": {"value": "100", "unit": "H87"},
                "origin_country": "CN",
                "origin_criterion": "CTC",
            },
            {
                "sequence": 2,
                "description": "Chargers",
                "hs_code": "850440",
                "quantity": {"value": "250.5", "unit": "KGM"},
                "origin_country": "CN",
                "origin_criterion": "RVC",
            },
        ],
        "validity": {"issue_date": "2026-11-01", "valid_until": "2027-10-31"},
    }
    data.update(changes)
    return Certificate.model_validate(data)


def issuer_added(
    key: Ed25519PrivateKey = ISSUER,
    types: Sequence[str] = ("non_preferential", "preferential"),
    agreements: Sequence[str] = ("RCEP",),
    issuer_id: str = "CCPIT-SZ",
) -> SignedStatement:
    public = key.public_key()
    statement = IssuerAdded(
        issuer_id=issuer_id,
        kind="chamber",
        name="CCPIT Shenzhen",
        country="CN",
        scope={"certificate_types": list(types), "agreements": list(agreements)},
        key=IssuerKey(key_id=key_id(public), public_key=format_public_key(public)),
    )
    return sign_statement(statement, ROOT)


def revocation(committed: CommittedCertificate, when: dt.date = dt.date(2026, 12, 2)) -> Any:
    statement = RevokeStatement(
        certificate_number=committed.certificate.number,
        issuer_id="CCPIT-SZ",
        digest=committed.digest.hex(),
        reason="fraud",
        revocation_date=when,
    )
    return sign_statement(statement, ISSUER)


def key_revoked(effective: int) -> SignedStatement:
    statement = KeyRevoked(
        issuer_id="CCPIT-SZ",
        key_id=key_id(ISSUER.public_key()),
        reason="compromised",
        effective_position=effective,
    )
    return sign_statement(statement, ROOT)


def utilisation(
    committed: CommittedCertificate,
    amount: str,
    *,
    ref: str = "KR-MRN-1",
    administration: str = "KR",
    root: Ed25519PrivateKey = KR_ROOT,
) -> SignedStatement:
    statement = UtiliseStatement(
        certificate_number=committed.certificate.number,
        certificate_digest=committed.digest.hex(),
        administration=administration,
        declaration_reference=ref,
        utilisation_date=dt.date(2026, 12, 1),
        items=[
            ItemQuantity(sequence=1, quantity=StatementQuantity(value=Decimal(amount), unit="H87"))
        ],
    )
    return sign_statement(statement, root)


class World:
    """The issuing administration's log with an issuer, and helpers to issue and prove."""

    def __init__(self, directory: Path, *, add_issuer: bool = True) -> None:
        self.directory = directory
        self.log = CertificateLog.open(directory, LOG_SIGNER, [ROOT.public_key()], batch_size=64)
        self.rng = random.Random(7)
        if add_issuer:
            self.log.append(issuer_added())

    def policy(
        self, *, quorum: int = 2, max_age: timedelta | None = timedelta(days=1)
    ) -> TrustPolicy:
        return TrustPolicy.create(
            log_origin=ORIGIN,
            log_keys=[LOG_SIGNER.verifier()],
            witnesses=[w.verifier() for w in WITNESSES],
            quorum=quorum,
            max_age=max_age,
            registry_roots=[ROOT.public_key()],
        )

    def commit(
        self, cert: Certificate | None = None, schema_id: str = SCHEMA_ID
    ) -> CommittedCertificate:
        return commit(cert or certificate(), rng=self.rng.randbytes, schema_id=schema_id)

    def issue(
        self,
        cert: Certificate | None = None,
        key: Ed25519PrivateKey = ISSUER,
        schema_id: str = SCHEMA_ID,
    ) -> tuple[CommittedCertificate, int]:
        committed = self.commit(cert, schema_id)
        signed = sign_statement(
            issue_statement(committed, issuer_id="CCPIT-SZ", private_key=key), key
        )
        return committed, self.log.append(signed)

    def append_raw(self, signed: SignedStatement) -> int:
        """Sequence a statement around the service's checks: a misbehaving log."""
        return self.log.sequencer.append_statement(canonical_bytes(signed))

    def publish(self, *, witnesses: int = 3, at: datetime = NOW) -> str:
        """Commit, have ``witnesses`` cosign at time ``at``, publish; returns the note."""
        note = parse_note(self.log.commit())
        stamp = int(at.timestamp())
        cosigned = note.with_signatures([w.cosign(note.text, stamp) for w in WITNESSES[:witnesses]])
        self.log.sequencer.publish(cosigned.format())
        return cosigned.format()

    def bundle(self, committed: CommittedCertificate, paths: Sequence[str] = TYPICAL) -> bytes:
        return make_bundle(self.log, committed, disclose_paths=paths)


def rewrite(
    bundle: bytes, change: Callable[[dict[str, Any]], None], *, canonical: bool = True
) -> bytes:
    """The bundle with its JSON changed by ``change`` (a forger's edit)."""
    raw = json.loads(bundle)
    change(raw)
    return rfc8785.dumps(raw) if canonical else json.dumps(raw).encode()


def rewrite_disclosure(bundle: bytes, change: Callable[[Disclosure], Disclosure]) -> bytes:
    def edit(raw: dict[str, Any]) -> None:
        disclosure = decode_disclosure(b64url_decode(raw["disclosure"], "disclosure"))
        raw["disclosure"] = b64url(encode_disclosure(change(disclosure)))

    return rewrite(bundle, edit)
