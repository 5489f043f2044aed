"""Signed certificate packages, pure: made on the issuer's machine, parsed strictly, the
certificate re-committed and compared with its statement. Each negative changes one
member of a good package; signatures against the registry are the service's
(tests/origin/test_submit_service.py)."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcustoms.origin.commitments import SCHEMA_IDS, commit
from smartcustoms.origin.models import KeyFileInvalid, parse_certificate
from smartcustoms.origin.signed_certificate import (
    SIGNED_FORMAT,
    SignedCertificateInvalid,
    committed_from_json,
    committed_to_json,
    parse_signed_certificate,
    sign_certificate,
    sign_certificate_file,
    write_package,
)
from smartcustoms.origin.signing import generate_key_file, key_id, load_private_key
from smartcustoms.origin.statements import (
    AmendStatement,
    IssueStatement,
    RevokeStatement,
    sign_statement,
    verify_statement,
)

ROOT = Path(__file__).resolve().parents[2]
CERTIFICATE = (ROOT / "tests" / "vectors" / "certificate_of_origin.json").read_bytes()
KEY = Ed25519PrivateKey.generate()


def package() -> dict[str, Any]:
    signed = sign_certificate(parse_certificate(CERTIFICATE), issuer_id="CCPIT-SZ",
                              private_key=KEY)
    return json.loads(signed.to_bytes())  # type: ignore[no-any-return]


def raw(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def refused(data: bytes | dict[str, Any], field: str, match: str) -> None:
    with pytest.raises(SignedCertificateInvalid, match=match) as info:
        parse_signed_certificate(data if isinstance(data, bytes) else raw(data))
    assert info.value.errors[0].field == field, info.value.errors


def test_a_package_round_trips_and_says_what_the_certificate_says() -> None:
    signed = sign_certificate(parse_certificate(CERTIFICATE), issuer_id="CCPIT-SZ",
                              private_key=KEY)
    data = signed.to_bytes()
    parsed = parse_signed_certificate(data)
    assert parsed.to_bytes() == data  # canonical: one package, one spelling
    assert json.loads(data)["format"] == SIGNED_FORMAT
    assert isinstance(parsed.statement, IssueStatement)
    assert parsed.statement.digest == parsed.committed.digest.hex()
    assert parsed.signed.signer == key_id(KEY.public_key())
    verify_statement(parsed.signed, KEY.public_key())
    assert parse_signed_certificate(raw(json.loads(data))).committed.digest == \
        signed.committed.digest  # any spacing or key order parses to the same package


def test_an_amendment_names_the_digest_it_supersedes() -> None:
    old = sign_certificate(parse_certificate(CERTIFICATE), issuer_id="CCPIT-SZ",
                           private_key=KEY)
    new = sign_certificate(parse_certificate(CERTIFICATE), issuer_id="CCPIT-SZ",
                           private_key=KEY, supersedes=old.committed.digest)
    parsed = parse_signed_certificate(new.to_bytes())
    assert isinstance(parsed.statement, AmendStatement)
    assert parsed.statement.supersedes == old.committed.digest.hex()
    assert new.committed.digest != old.committed.digest  # fresh salts


def test_the_envelope_is_strict() -> None:
    good = package()
    refused(dict(good, format="smartcustoms/origin/signed-certificate/v2"), "format",
            "must be 'smartcustoms/origin/signed-certificate/v1'")
    refused(dict(good, extra=1), "extra", "unknown member")
    refused({k: v for k, v in good.items() if k != "statement"}, "statement", "missing")
    refused(b"[]", "package", "JSON object")
    refused(b"", "package", "1 to")
    with pytest.raises(SignedCertificateInvalid, match="duplicated key 'format'"):
        parse_signed_certificate(raw(good)[:-1] + b', "format": "x"}')
    committed = dict(good["committed"], note="x")
    refused(dict(good, committed=committed), "committed.note", "unknown member")
    committed = dict(good["committed"], schema_id="smartcustoms/eco/0")
    refused(dict(good, committed=committed), "committed.schema_id", "must be")


def test_tampered_salts_or_content_do_not_hash_to_the_digest() -> None:
    good = package()
    salts = list(good["committed"]["salts"])
    salts[3] = ("0" if salts[3][0] != "0" else "1") + salts[3][1:]
    refused(dict(good, committed=dict(good["committed"], salts=salts)), "committed.digest",
            "the certificate or a salt was changed")
    certificate = json.loads(json.dumps(good["committed"]["certificate"]))
    certificate["goods_items"][0]["description"] = "Wireless routers, Wi-Fi 7"
    refused(dict(good, committed=dict(good["committed"], certificate=certificate)),
            "committed.digest", "was changed")
    refused(dict(good, committed=dict(good["committed"], salts=salts[:-1])),
            "committed.salts", "one salt per leaf")
    refused(dict(good, committed=dict(good["committed"], salts=[*salts, "ab" * 32])),
            "committed.salts", "one salt per leaf")
    refused(dict(good, committed=dict(good["committed"], salts=[salts[0]] * len(salts))),
            "committed.salts", "repeated")
    refused(dict(good, committed=dict(good["committed"], salts=["xyz", *salts[1:]])),
            "committed.salts", "64-hex-digit")
    certificate["importing_country"] = "CN"  # invalid: the same as the exporting country
    with pytest.raises(SignedCertificateInvalid, match="importing_country must differ"):
        parse_signed_certificate(raw(dict(good, committed=dict(good["committed"],
                                                              certificate=certificate))))


def test_the_statement_must_describe_the_certificate() -> None:
    good = package()
    st = good["statement"]
    for member, value in (("importing_country", "FR"), ("certificate_number", "X-1"),
                          ("digest", "ab" * 32), ("valid_until", "2030-01-01")):
        changed = dict(st, statement=dict(st["statement"], **{member: value}))
        refused(dict(good, statement=changed), f"statement.statement.{member}",
                "the certificate says")
    items = [dict(st["statement"]["items"][0], quantity={"value": "999", "unit": "H87"}),
             st["statement"]["items"][1]]
    changed = dict(st, statement=dict(st["statement"], items=items))
    refused(dict(good, statement=changed), "statement.statement.items", "the certificate says")
    refused(dict(good, statement=dict(st, signer="0" * 32)), "statement.signer",
            "must be the key that signed the digest")
    refused(dict(good, statement=dict(st, statement=dict(st["statement"], type="revoke"))),
            "statement.statement.revoke.reason", "statement:")
    revoke = RevokeStatement(certificate_number=st["statement"]["certificate_number"],
                             issuer_id="CCPIT-SZ", digest=st["statement"]["digest"],
                             reason="fraud", revocation_date=dt.date(2026, 11, 20))
    refused(dict(good, statement=sign_statement(revoke, KEY).model_dump(mode="json")),
            "statement.statement.type", "must be issue or amend")
    refused(dict(good, statement=dict(st, extra=1)), "statement.extra", "statement:")


def test_keygen_writes_0600_once_and_sign_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "chamber.key"
    info = generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert info.public_key.startswith("ed25519:")
    assert key_id(load_private_key(path).public_key()) == info.key_id
    with pytest.raises(KeyFileInvalid, match="never overwritten"):
        generate_key_file(path)
    with pytest.raises(KeyFileInvalid, match="not a directory"):
        generate_key_file(tmp_path / "missing" / "k.key")
    signed = sign_certificate_file(CERTIFICATE, issuer_id="CCPIT-SZ", key_path=path)
    assert signed.signed.signer == info.key_id
    out = tmp_path / "signed.json"
    write_package(out, signed)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # the salts are the holder's secret
    assert parse_signed_certificate(out.read_bytes()).committed.digest == \
        signed.committed.digest
    with pytest.raises(SignedCertificateInvalid, match="exists"):
        write_package(out, signed)
    with pytest.raises(SignedCertificateInvalid, match="64-hex-digit"):
        sign_certificate_file(CERTIFICATE, issuer_id="CCPIT-SZ", key_path=path,
                              supersedes="abc")


@pytest.mark.parametrize("schema_id", SCHEMA_IDS)
def test_a_stored_certificate_recommits_under_its_own_scheme(schema_id: str) -> None:
    # The database keeps certificates committed before eco/2 as they were.
    committed = commit(parse_certificate(CERTIFICATE), schema_id=schema_id)
    again = committed_from_json(json.loads(json.dumps(committed_to_json(committed))))
    assert (again.schema_id, again.digest) == (schema_id, committed.digest)
    assert [leaf.hash for leaf in again.leaves] == [leaf.hash for leaf in committed.leaves]
