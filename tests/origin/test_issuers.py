"""The issuer registry folded from root-signed statements, and keys valid by log position.

Strategy: a root key and two issuer keys with fixed seeds; each test builds a short
log (position → signed statement) and asks the registry about positions between its
entries. Refusals must leave the registry as it was.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcustoms.origin.commitments import commit
from smartcustoms.origin.issuers import Registry
from smartcustoms.origin.models import (
    Agreement,
    Certificate,
    CertificateType,
    IssuerNotAuthorised,
    RegistryConflict,
    SignatureInvalid,
)
from smartcustoms.origin.signing import format_public_key, key_id, sign_digest
from smartcustoms.origin.statements import (
    IssuerAdded,
    IssuerKey,
    IssuerRevoked,
    KeyRevoked,
    KeyRotated,
    RevokeStatement,
    SignedStatement,
    issue_statement,
    sign_statement,
)

ROOT = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)
OLD = Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)
NEW = Ed25519PrivateKey.from_private_bytes(b"\x03" * 32)
OLD_ID, NEW_ID = key_id(OLD.public_key()), key_id(NEW.public_key())
PREF, NONPREF = CertificateType.preferential, CertificateType.non_preferential


def issuer_key(private: Ed25519PrivateKey) -> IssuerKey:
    public = private.public_key()
    return IssuerKey(key_id=key_id(public), public_key=format_public_key(public))


def added(
    issuer_id: str = "CCPIT-SZ",
    kind: str = "chamber",
    key: Any = OLD,
    types: tuple[str, ...] = ("non_preferential", "preferential"),
    agreements: tuple[str, ...] = ("RCEP",),
) -> IssuerAdded:
    return IssuerAdded(
        issuer_id=issuer_id,
        kind=kind,
        name="CCPIT Shenzhen",
        country="CN",
        scope={"certificate_types": list(types), "agreements": list(agreements)},
        key=issuer_key(key),
    )


def rooted(statement: Any, key: Ed25519PrivateKey = ROOT) -> SignedStatement:
    return sign_statement(statement, key)


def registry(*entries: tuple[int, Any]) -> Registry:
    return Registry.replay([ROOT.public_key()], [(p, rooted(s)) for p, s in entries])


def rotated(previous: str | None = OLD_ID) -> KeyRotated:
    return KeyRotated(issuer_id="CCPIT-SZ", new_key=issuer_key(NEW), previous_key_id=previous)


def revoked_key(key: str = OLD_ID, effective: int = 5) -> KeyRevoked:
    return KeyRevoked(
        issuer_id="CCPIT-SZ", key_id=key, reason="compromised", effective_position=effective
    )


# -------------------------------------------------------------- key validity


def test_key_is_valid_only_after_it_is_added() -> None:
    reg = registry((3, added()))
    assert not reg.key_valid_at("CCPIT-SZ", OLD_ID, 3)
    assert reg.key_valid_at("CCPIT-SZ", OLD_ID, 4)
    assert not reg.key_valid_at("CCPIT-SZ", NEW_ID, 4)
    assert not reg.key_valid_at("OTHER", OLD_ID, 4)


def test_rotation_retires_the_old_key_at_its_position() -> None:
    reg = registry((0, added()), (10, rotated()))
    assert reg.key_valid_at("CCPIT-SZ", OLD_ID, 9)
    assert not reg.key_valid_at("CCPIT-SZ", OLD_ID, 11)
    assert reg.key_valid_at("CCPIT-SZ", NEW_ID, 11)
    assert not reg.key_valid_at("CCPIT-SZ", NEW_ID, 9)


def test_revocation_reaches_back_to_its_effective_position() -> None:
    reg = registry((0, added()), (10, revoked_key(effective=5)))
    assert reg.key_valid_at("CCPIT-SZ", OLD_ID, 4)
    assert not reg.key_valid_at("CCPIT-SZ", OLD_ID, 5)
    assert not reg.key_valid_at("CCPIT-SZ", OLD_ID, 7)  # logged before the revocation


def test_new_key_after_a_revocation_names_no_previous_key() -> None:
    reg = registry((0, added()), (10, revoked_key()), (11, rotated(previous=None)))
    assert reg.key_valid_at("CCPIT-SZ", NEW_ID, 12)


def test_revoked_issuer_authorises_nothing_afterwards() -> None:
    reg = registry((0, added()), (20, IssuerRevoked(issuer_id="CCPIT-SZ", reason="closed")))
    assert reg.authorises("CCPIT-SZ", PREF, Agreement.RCEP, 19)
    assert not reg.authorises("CCPIT-SZ", PREF, Agreement.RCEP, 21)
    assert reg.key_valid_at("CCPIT-SZ", OLD_ID, 19)
    assert not reg.key_valid_at("CCPIT-SZ", OLD_ID, 21)


@pytest.mark.parametrize(
    ("types", "agreement", "expected"),
    [
        (PREF, Agreement.RCEP, True),
        (PREF, Agreement.EU_GSP, False),
        (PREF, None, False),
        (NONPREF, None, True),
        (NONPREF, Agreement.RCEP, False),
    ],
)
def test_scope_decides_what_an_issuer_may_issue(
    types: CertificateType, agreement: Agreement | None, expected: bool
) -> None:
    assert registry((0, added())).authorises("CCPIT-SZ", types, agreement, 1) is expected


# ----------------------------------------------------------------- refusals


def _snapshot(reg: Registry) -> Any:
    return {
        k: (
            v.current_key,
            v.revoked_at,
            {i: (r.retired_at, r.revoked_from) for i, r in v.keys.items()},
        )
        for k, v in reg.issuers.items()
    }


def _refused(reg: Registry, statement: Any, position: int, error: type, match: str) -> None:
    before = _snapshot(reg)
    with pytest.raises(error, match=match):
        reg.apply(rooted(statement), position)
    assert _snapshot(reg) == before


def test_unknown_issuer_is_refused() -> None:
    _refused(registry(), rotated(), 1, RegistryConflict, "unknown issuer")


def test_rotating_a_revoked_key_is_refused() -> None:
    reg = registry((0, added()), (10, revoked_key()))
    _refused(reg, rotated(), 11, RegistryConflict, "is revoked and cannot be rotated")


def test_rotating_from_a_key_that_is_not_current_is_refused() -> None:
    reg = registry((0, added()), (10, rotated()))
    third = Ed25519PrivateKey.generate()
    stale = KeyRotated(issuer_id="CCPIT-SZ", new_key=issuer_key(third), previous_key_id=OLD_ID)
    _refused(reg, stale, 11, RegistryConflict, "current key")


def test_reused_key_or_issuer_id_is_refused() -> None:
    reg = registry((0, added()))
    _refused(reg, added(issuer_id="OTHER"), 1, RegistryConflict, "never reused")
    _refused(reg, added(key=NEW), 2, RegistryConflict, "already exists")


def test_registered_exporter_cannot_issue_non_preferential() -> None:
    _refused(registry(), added(kind="registered_exporter"), 0, RegistryConflict, "out-of-scope")
    ok = registry((0, added(kind="registered_exporter", types=("preferential",))))
    assert not ok.authorises("CCPIT-SZ", NONPREF, None, 1)


def test_revocation_effective_outside_the_key_life_is_refused() -> None:
    reg = registry((4, added()))
    _refused(reg, revoked_key(effective=11), 10, RegistryConflict, "effective_position")
    _refused(reg, revoked_key(effective=4), 10, RegistryConflict, "effective_position")


def test_double_revocation_is_refused() -> None:
    reg = registry((0, added()), (10, revoked_key()))
    _refused(reg, revoked_key(), 11, RegistryConflict, "already revoked")


def test_statement_not_signed_by_the_root_is_refused() -> None:
    reg = registry()
    with pytest.raises(SignatureInvalid, match="not-root-signed"):
        reg.apply(rooted(added(), key=OLD), 0)
    forged = rooted(added()).model_copy(update={"statement": added(issuer_id="EVIL")})
    with pytest.raises(SignatureInvalid, match="signature-mismatch"):
        reg.apply(forged, 0)
    assert reg.issuers == {}


def test_positions_must_increase() -> None:
    reg = registry((5, added()))
    with pytest.raises(RegistryConflict, match="positions must increase"):
        reg.apply(rooted(rotated()), 5)


def test_registry_needs_a_root_key() -> None:
    with pytest.raises(ValueError, match="root key"):
        Registry([])


# ------------------------------------------------------ certificate statements


def _certificate(**changes: Any) -> Certificate:
    data: dict[str, Any] = {
        "number": "RCEP-CN-1",
        "certificate_type": "preferential",
        "agreement": "RCEP",
        "issuing_authority": {"name": "CCPIT Shenzhen", "country": "CN"},
        "exporter": {"name": "Example Electronics", "country": "CN"},
        "exporting_country": "CN",
        "importing_country": "KR",
        "goods_items": [
            {
                "sequence": 1,
                "description": "Phones",
                "hs_code": "851713",
                "quantity": {"value": "5", "unit": "H87"},
                "origin_country": "CN",
                "origin_criterion": "WO",
            }
        ],
        "validity": {"issue_date": "2026-11-01", "valid_until": "2027-10-31"},
    }
    data.update(changes)
    return Certificate.model_validate(data)


def _issued(key: Ed25519PrivateKey = OLD, **changes: Any) -> SignedStatement:
    committed = commit(_certificate(**changes), rng=random.Random(9).randbytes)
    return sign_statement(issue_statement(committed, issuer_id="CCPIT-SZ", private_key=key), key)


def test_certificate_by_an_authorised_issuer_passes() -> None:
    registry((0, added())).check_certificate_statement(_issued(), 1)


def test_certificate_with_a_retired_key_fails() -> None:
    reg = registry((0, added()), (10, rotated()))
    reg.check_certificate_statement(_issued(), 9)
    with pytest.raises(IssuerNotAuthorised, match="key-not-valid"):
        reg.check_certificate_statement(_issued(), 11)
    reg.check_certificate_statement(_issued(NEW), 11)


def test_certificate_logged_after_a_compromise_fails() -> None:
    reg = registry((0, added()), (10, revoked_key(effective=5)))
    with pytest.raises(IssuerNotAuthorised, match="key-not-valid"):
        reg.check_certificate_statement(_issued(), 6)


def test_certificate_out_of_scope_or_country_fails() -> None:
    reg = registry((0, added()))
    gsp = _issued(
        agreement="EU_GSP",
        goods_items=[
            {
                "sequence": 1,
                "description": "Phones",
                "hs_code": "851713",
                "quantity": {"value": "5", "unit": "H87"},
                "origin_country": "CN",
                "origin_criterion": "P",
            }
        ],
    )
    with pytest.raises(IssuerNotAuthorised, match="out-of-scope"):
        reg.check_certificate_statement(gsp, 1)
    vietnam = _issued(exporting_country="VN")
    with pytest.raises(IssuerNotAuthorised, match="wrong-country"):
        reg.check_certificate_statement(vietnam, 1)


def test_certificate_with_a_bad_digest_signature_fails() -> None:
    signed = _issued()
    bad = signed.statement.model_copy(update={"signature": sign_digest(OLD, b"\x00" * 32).hex()})
    with pytest.raises(SignatureInvalid, match="signature-mismatch"):
        registry((0, added())).check_certificate_statement(sign_statement(bad, OLD), 1)


def test_certificate_statement_signed_by_another_key_fails() -> None:
    signed = _issued()
    with pytest.raises(IssuerNotAuthorised, match="signer-mismatch"):
        registry((0, added())).check_certificate_statement(sign_statement(signed.statement, NEW), 1)


def test_revocation_by_issuer_or_root_passes() -> None:
    reg = registry((0, added()))
    revoke = RevokeStatement(
        certificate_number="RCEP-CN-1",
        issuer_id="CCPIT-SZ",
        digest="ab" * 32,
        reason="withdrawn",
        revocation_date="2026-12-01",
    )
    reg.check_certificate_statement(sign_statement(revoke, OLD), 3)
    reg.check_certificate_statement(sign_statement(revoke, ROOT), 3)
    with pytest.raises(IssuerNotAuthorised, match="key-not-valid"):
        reg.check_certificate_statement(sign_statement(revoke, NEW), 3)


def test_replay_skips_statements_that_are_not_about_issuers() -> None:
    reg = Registry.replay([ROOT.public_key()], [(0, rooted(added())), (1, _issued())])
    assert list(reg.issuers) == ["CCPIT-SZ"]
