"""Log statements: canonical bytes, strict parsing, signatures, the utilisation ledger."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.origin.commitments import commit
from smartcustoms.origin.models import SignatureInvalid, StatementInvalid
from smartcustoms.origin.signing import format_public_key, key_id
from smartcustoms.origin.statements import (
    AmendStatement,
    IssuerAdded,
    IssueStatement,
    ItemQuantity,
    LedgerFindingCode,
    RevokeStatement,
    StatementQuantity,
    UtiliseStatement,
    canonical_bytes,
    issue_statement,
    parse_signed_statement,
    parse_statement,
    sign_statement,
    utilisation_ledger,
    verify_statement,
)

from .world import certificate  # the same two-item certificate as the other tests

ISSUER_KEY = Ed25519PrivateKey.from_private_bytes(b"\x11" * 32)




COMMITTED = commit(certificate(), rng=random.Random(1).randbytes)
ISSUE = issue_statement(COMMITTED, issuer_id="CCPIT-SZ", private_key=ISSUER_KEY)
assert isinstance(ISSUE, IssueStatement)
DIGEST = ISSUE.digest


def utilise(
    *items: tuple[int, str, str],
    ref: str = "KR-MRN-1",
    administration: str = "KR",
    digest: str = DIGEST,
    when: dt.date = dt.date(2026, 12, 1),
) -> UtiliseStatement:
    return UtiliseStatement(
        certificate_number="RCEP-CN-2026-000123",
        certificate_digest=digest,
        administration=administration,
        declaration_reference=ref,
        utilisation_date=when,
        items=[
            ItemQuantity(sequence=s, quantity=StatementQuantity(value=Decimal(v), unit=u))
            for s, v, u in items
        ],
    )


def revoke(digest: str = DIGEST, when: dt.date = dt.date(2026, 12, 15)) -> RevokeStatement:
    return RevokeStatement(
        certificate_number="RCEP-CN-2026-000123",
        issuer_id="CCPIT-SZ",
        digest=digest,
        reason="fraud",
        revocation_date=when,
    )


# ------------------------------------------------------------------ encoding


def test_issue_statement_carries_the_digest_not_the_content() -> None:
    raw = canonical_bytes(ISSUE)
    assert ISSUE.digest == COMMITTED.digest.hex()
    for secret in (b"Smartphones", b"Example Electronics", b"851713", b"Seoul"):
        assert secret not in raw
    assert [(i.sequence, str(i.quantity.value)) for i in ISSUE.items] == [(1, "100"), (2, "250.5")]


@pytest.mark.parametrize(
    "statement",
    [ISSUE, revoke(), utilise((1, "10", "H87"))],
    ids=["issue", "revoke", "utilise"],
)
def test_statement_round_trips_through_canonical_bytes(statement: Any) -> None:
    raw = canonical_bytes(statement)
    assert parse_statement(raw) == statement
    assert canonical_bytes(parse_statement(raw)) == raw


def test_amend_statement_names_what_it_supersedes() -> None:
    amended = commit(certificate(remarks="consignee corrected"), rng=random.Random(2).randbytes)
    amend = issue_statement(
        amended, issuer_id="CCPIT-SZ", private_key=ISSUER_KEY, supersedes=COMMITTED.digest
    )
    assert isinstance(amend, AmendStatement) and amend.supersedes == DIGEST
    assert parse_statement(canonical_bytes(amend)) == amend
    with pytest.raises(ValueError, match="cannot supersede itself"):
        AmendStatement(**{**amend.model_dump(), "supersedes": amend.digest})


def _reencoded(change: Any) -> bytes:
    data = json.loads(canonical_bytes(ISSUE))
    change(data)
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (canonical_bytes(ISSUE).replace(b"{", b"{ ", 1), "canonical"),
        (json.dumps(json.loads(canonical_bytes(ISSUE))).encode(), "canonical"),
        (_reencoded(lambda d: d.update(extra=1)), "extra"),
        (_reencoded(lambda d: d.pop("agreement")), "agreement: Field required"),
        (_reencoded(lambda d: d["items"][1]["quantity"].update(value="250.50")), "canonical"),
        (_reencoded(lambda d: d["items"][0]["quantity"].update(value=100)), "canonical"),
        (_reencoded(lambda d: d.update(digest=d["digest"].upper())), "digest"),
        (_reencoded(lambda d: d.update(type="issued")), "type"),
        (_reencoded(lambda d: d.update(issue_date="2026-11-01T00:00:00")), "issue_date"),
        (canonical_bytes(ISSUE).replace(b'"100"', b"100.0"), "decimals are sent as strings"),
        (canonical_bytes(ISSUE).replace(b'{"agreement"', b'{"type":"issue","agreement"'), "dup"),
        (canonical_bytes(ISSUE) + b"\xff", "UTF-8"),
    ],
)
def test_non_canonical_or_malformed_statement_is_refused(raw: bytes, message: str) -> None:
    with pytest.raises(StatementInvalid, match=message):
        parse_statement(raw)


def test_issuer_key_must_match_its_id() -> None:
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(ValueError, match="key_id is not the id"):
        IssuerAdded(
            issuer_id="CCPIT-SZ",
            kind="chamber",
            name="CCPIT Shenzhen",
            country="CN",
            scope={"certificate_types": ["preferential"], "agreements": ["RCEP"]},
            key={"key_id": key_id(ISSUER_KEY.public_key()), "public_key": format_public_key(other)},
        )


def test_scope_lists_are_sorted_and_unique() -> None:
    with pytest.raises(ValueError, match="sorted"):
        IssuerAdded(
            issuer_id="CCPIT-SZ",
            kind="chamber",
            name="CCPIT Shenzhen",
            country="CN",
            scope={"certificate_types": ["preferential"], "agreements": ["RCEP", "EU_GSP"]},
            key={
                "key_id": key_id(ISSUER_KEY.public_key()),
                "public_key": format_public_key(ISSUER_KEY.public_key()),
            },
        )


# ---------------------------------------------------------------- signatures


def test_signed_statement_verifies_and_round_trips() -> None:
    signed = sign_statement(ISSUE, ISSUER_KEY)
    verify_statement(signed, ISSUER_KEY.public_key())
    assert parse_signed_statement(canonical_bytes(signed)) == signed


def test_signed_statement_fails_when_changed_or_signed_by_another() -> None:
    signed = sign_statement(ISSUE, ISSUER_KEY)
    changed = signed.model_copy(
        update={"statement": ISSUE.model_copy(update={"valid_until": dt.date(2030, 1, 1)})}
    )
    with pytest.raises(SignatureInvalid, match="signature-mismatch"):
        verify_statement(changed, ISSUER_KEY.public_key())
    with pytest.raises(SignatureInvalid, match="signer-mismatch"):
        verify_statement(signed, Ed25519PrivateKey.generate().public_key())


def test_certificate_signature_cannot_pass_as_statement_signature() -> None:
    signed = sign_statement(ISSUE, ISSUER_KEY)
    forged = signed.model_copy(update={"signature": ISSUE.signature})
    with pytest.raises(SignatureInvalid):
        verify_statement(forged, ISSUER_KEY.public_key())


# -------------------------------------------------------------------- ledger


def test_ledger_draws_down_per_item() -> None:
    ledger = utilisation_ledger(
        [
            ISSUE,
            utilise((1, "40", "H87")),
            utilise((1, "10", "H87"), (2, "50.5", "KGM"), ref="KR-MRN-2"),
        ]
    )
    assert ledger.remaining(DIGEST, 1) == Decimal("50")
    assert ledger.remaining(DIGEST, 2) == Decimal("200")
    assert ledger.findings == ()


def test_over_use_across_partners_is_flagged() -> None:
    ledger = utilisation_ledger(
        [
            ISSUE,
            utilise((1, "60", "H87")),
            utilise((1, "60", "H87"), ref="JP-1", administration="JP"),
        ]
    )
    codes = {f.code for f in ledger.findings}
    assert LedgerFindingCode.over_use in codes
    assert LedgerFindingCode.wrong_administration in codes
    assert ledger.remaining(DIGEST, 1) == Decimal("-20")


def test_mirrored_statement_counts_once() -> None:
    same = utilise((1, "60", "H87"))
    ledger = utilisation_ledger([ISSUE, same, same, sign_statement(same, ISSUER_KEY)])
    assert ledger.remaining(DIGEST, 1) == Decimal("40")
    assert ledger.findings == ()


def test_same_declaration_twice_with_different_contents_is_flagged() -> None:
    ledger = utilisation_ledger([ISSUE, utilise((1, "10", "H87")), utilise((1, "20", "H87"))])
    assert [f.code for f in ledger.findings] == [LedgerFindingCode.conflicting_utilisation]
    assert ledger.remaining(DIGEST, 1) == Decimal("70")


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (utilise((1, "1", "KGM")), LedgerFindingCode.unit_mismatch),
        (utilise((3, "1", "H87")), LedgerFindingCode.unknown_item),
        (utilise((1, "1", "H87"), digest="ab" * 32), LedgerFindingCode.unknown_certificate),
        (utilise((1, "1", "H87"), when=dt.date(2028, 1, 1)), LedgerFindingCode.outside_validity),
        (utilise((1, "1", "H87"), when=dt.date(2026, 10, 1)), LedgerFindingCode.outside_validity),
    ],
)
def test_anomalies_are_findings(extra: UtiliseStatement, code: LedgerFindingCode) -> None:
    assert [f.code for f in utilisation_ledger([ISSUE, extra]).findings] == [code]


def test_utilisation_after_revocation_is_flagged() -> None:
    before = utilise((1, "1", "H87"), when=dt.date(2026, 12, 14))
    after = utilise((1, "1", "H87"), ref="KR-MRN-9", when=dt.date(2026, 12, 15))
    findings = utilisation_ledger([ISSUE, revoke(), before, after]).findings
    assert [(f.code, "KR-MRN-9" in f.detail) for f in findings] == [
        (LedgerFindingCode.revoked, True)
    ]


def test_amendment_carries_draw_downs_over() -> None:
    amended = commit(certificate(remarks="corrected"), rng=random.Random(3).randbytes)
    amend = issue_statement(
        amended, issuer_id="CCPIT-SZ", private_key=ISSUER_KEY, supersedes=COMMITTED.digest
    )
    early = utilise((1, "30", "H87"), when=dt.date(2026, 10, 31) + dt.timedelta(days=5))
    ledger = utilisation_ledger(
        [ISSUE, early, amend, utilise((1, "30", "H87"), ref="KR-2", digest=amend.digest)]
    )
    assert ledger.current(DIGEST) == amend.digest
    assert ledger.remaining(DIGEST, 1) == ledger.remaining(amend.digest, 1) == Decimal("40")
    assert DIGEST not in ledger.balances
    assert [f.code for f in ledger.findings] == [LedgerFindingCode.superseded]


def test_two_amendments_of_one_certificate_are_flagged() -> None:
    amends = [
        issue_statement(
            commit(certificate(remarks=text), rng=random.Random(seed).randbytes),
            issuer_id="CCPIT-SZ",
            private_key=ISSUER_KEY,
            supersedes=COMMITTED.digest,
        )
        for seed, text in ((4, "first"), (5, "second"))
    ]
    ledger = utilisation_ledger([ISSUE, *amends])
    assert LedgerFindingCode.conflicting_amendment in {f.code for f in ledger.findings}
    assert ledger.current(DIGEST) == DIGEST


STATEMENTS = [
    ISSUE,
    revoke(when=dt.date(2027, 3, 1)),
    utilise((1, "60", "H87")),
    utilise((1, "60", "H87"), ref="JP-1", administration="JP"),
    utilise((2, "1", "H87"), ref="KR-3"),
    utilise((1, "5", "H87"), ref="KR-4", when=dt.date(2027, 4, 1)),
]


@settings(max_examples=40, deadline=None)
@given(st.permutations(STATEMENTS), st.lists(st.sampled_from(STATEMENTS), max_size=4))
def test_ledger_does_not_depend_on_order_or_mirrors(order: list[Any], mirrored: list[Any]) -> None:
    expected = utilisation_ledger(STATEMENTS)
    assert utilisation_ledger([*order, *mirrored]) == expected
