"""Amendments and issuer-held keys through the service: an amendment supersedes the
certificate it corrects (offline verification with the exported policy says so for both),
and a chamber that keeps its own key submits signed packages, each bad one refused
naming the member at fault.

Same database strategy as test_service.py (SQLite, and PostgreSQL under ``-m postgres``).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.config import Settings
from smartcustoms.db import unit_of_work
from smartcustoms.errors import Conflict, InvalidInput, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.identity.tables import AuditRow
from smartcustoms.origin import issuer_service, submit_service
from smartcustoms.origin import service as origin
from smartcustoms.origin.bundle import make_bundle
from smartcustoms.origin.models import KeyFileInvalid, parse_certificate
from smartcustoms.origin.signed_certificate import (
    SignedCertificateInvalid,
    committed_from_json,
    sign_certificate,
)
from smartcustoms.origin.signing import format_public_key, key_id
from smartcustoms.origin.statements import sign_statement
from smartcustoms.origin.store import ensure_fresh, load_origin, open_log
from smartcustoms.origin.tables import OriginCertificateRow, OriginIssuerRow

ROOT = Path(__file__).resolve().parents[2]
CERTIFICATE = json.loads((ROOT / "tests" / "vectors" / "certificate_of_origin.json").read_text())
NUMBER = CERTIFICATE["number"]
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
OFFICER = Principal(user_id=None, username="off", role=Role.officer)
SUPERVISOR = Principal(user_id=None, username="sup", role=Role.supervisor)
SCOPE: dict[str, Any] = {"kind": "chamber", "country": "CN",
                         "certificate_types": ["preferential"], "agreements": ["EU_GSP"]}
CHAMBER_KEY = Ed25519PrivateKey.generate()


def certificate(**changes: Any) -> bytes:
    return json.dumps(dict(CERTIFICATE, **changes)).encode()


def corrected() -> bytes:
    """The same certificate with a corrected description of item 1."""
    items = json.loads(json.dumps(CERTIFICATE["goods_items"]))
    items[0]["description"] = "Wireless routers, Wi-Fi 6E, 4 ports"
    return certificate(goods_items=items)


def add(sessions: sessionmaker[Session], settings: Settings, issuer_id: str,
        key: Ed25519PrivateKey | None = None, *,
        public: str | None = None) -> issuer_service.IssuerInfo:
    public = public if key is None else format_public_key(key.public_key())
    data = issuer_service.IssuerCreate(issuer_id=issuer_id, name=f"{issuer_id} chamber",
                                       public_key=public, **SCOPE)
    with unit_of_work(sessions) as s:
        return issuer_service.add_issuer(s, settings, data, actor=SYSTEM, now=NOW)


def sign(data: bytes = certificate(), *, issuer_id: str = "CCPIT-SZ",
         key: Ed25519PrivateKey = CHAMBER_KEY, supersedes: str | None = None) -> bytes:
    return sign_certificate(parse_certificate(data), issuer_id=issuer_id, private_key=key,
                            supersedes=None if supersedes is None else bytes.fromhex(supersedes)
                            ).to_bytes()


def submit(sessions: sessionmaker[Session], settings: Settings,
           data: bytes) -> origin.CertificateInfo:
    with unit_of_work(sessions) as s:
        return submit_service.submit_signed_certificate(s, settings, data, actor=SUPERVISOR,
                                                        now=NOW)


def bundle_of(settings: Settings, committed_json: dict[str, Any]) -> bytes:
    """A bundle of any stored certificate, the superseded one included (the service
    bundles the current certificate of a number)."""
    setup = load_origin(settings)
    with open_log(setup) as log:
        ensure_fresh(setup, log, now=NOW)
        return make_bundle(log, committed_from_json(committed_json),
                           disclose_paths=origin.DEFAULT_DISCLOSURE)


def verify(settings: Settings, data: bytes, tmp_path: Path) -> origin.VerdictOut:
    policy = tmp_path / "policy.toml"
    policy.write_text(origin.export_policy(settings))
    return origin.verify_policy_file(data, str(policy), now=NOW).offline


@pytest.fixture
def held(sessions: sessionmaker[Session], settings: Settings) -> origin.CertificateInfo:
    add(sessions, settings, "CCPIT-SZ")
    with unit_of_work(sessions) as s:
        return origin.issue_certificate(s, settings, certificate(), issuer_id="CCPIT-SZ",
                                        actor=SUPERVISOR, now=NOW)


def draw_then_amend(sessions: sessionmaker[Session], settings: Settings) -> None:
    """600 of item 1 drawn on the certificate, then the certificate amended."""
    with unit_of_work(sessions) as s:
        origin.utilise(s, settings, NUMBER, declaration_reference="DE-MRN-1", item=1,
                       quantity=Decimal("600"), actor=SUPERVISOR, now=NOW)
    with unit_of_work(sessions) as s:
        submit_service.amend_certificate(s, settings, NUMBER, corrected(),
                                         actor=SUPERVISOR, now=NOW)


class TestAmendCertificate:
    def test_the_amendment_verifies_and_the_old_one_is_superseded_offline(
            self, sessions: sessionmaker[Session], settings: Settings,
            held: origin.CertificateInfo, tmp_path: Path) -> None:
        with unit_of_work(sessions) as s:
            new = submit_service.amend_certificate(s, settings, NUMBER, corrected(),
                                                   reason="item 1 description",
                                                   actor=SUPERVISOR, now=NOW)
        assert (new.number, new.status, new.leaf_index) == (NUMBER, "issued", 2)
        assert new.digest != held.digest
        with sessions() as s:
            rows = s.execute(select(OriginCertificateRow).order_by(OriginCertificateRow.id)
                             ).scalars().all()
            assert [(r.digest, r.status) for r in rows] == [
                (held.digest, "superseded"), (new.digest, "issued")]
            old_committed, new_committed = rows[0].committed, rows[1].committed
            assert origin.get_certificate(s, NUMBER, actor=OFFICER).digest == new.digest
            audit = s.execute(select(AuditRow).order_by(AuditRow.seq)).scalars().all()
        assert audit[-1].action == "origin.certificate.amend"
        assert audit[-1].detail["supersedes"] == held.digest
        assert audit[-1].detail["reason"] == "item 1 description"
        fresh = verify(settings, bundle_of(settings, new_committed), tmp_path)
        assert fresh.ok, fresh
        assert fresh.supersedes == held.digest and "amends" in fresh.status.reason
        assert fresh.disclosed["goods_items[0].description"].endswith("6E, 4 ports")
        old = verify(settings, bundle_of(settings, old_committed), tmp_path)
        assert not old.ok and old.integrity.ok and old.issuer.ok
        assert old.status.code == "superseded" and new.digest[:16] in old.status.reason
        with sessions() as s:
            lookup = origin.lookup_qr(s, settings, held.qr_payload, actor=OFFICER, now=NOW)
        assert lookup.status.code == "superseded"
        assert lookup.certificate is not None and lookup.certificate.status == "superseded"

    def test_a_bundle_made_before_the_amendment_fails_online(
            self, sessions: sessionmaker[Session], settings: Settings,
            held: origin.CertificateInfo) -> None:
        with sessions() as s:
            data = origin.make_certificate_bundle(s, settings, NUMBER, actor=SUPERVISOR,
                                                  now=NOW)
        with unit_of_work(sessions) as s:
            submit_service.amend_certificate(s, settings, NUMBER, corrected(),
                                             actor=SUPERVISOR, now=NOW)
        report = origin.verify_local(settings, data, actor=OFFICER, now=NOW)
        assert report.offline.ok  # "as of checkpoint 2": true then
        assert report.online is not None and report.online.status.code == "superseded"

    def test_draw_downs_carry_over_to_the_amendment(
            self, sessions: sessionmaker[Session], settings: Settings,
            held: origin.CertificateInfo) -> None:
        draw_then_amend(sessions, settings)
        with pytest.raises(Conflict, match="400 remain"), unit_of_work(sessions) as s:
            origin.utilise(s, settings, NUMBER, declaration_reference="DE-MRN-2", item=1,
                           quantity=Decimal("401"), actor=SUPERVISOR, now=NOW)
        with unit_of_work(sessions) as s:
            used = origin.utilise(s, settings, NUMBER, declaration_reference="DE-MRN-2",
                                  item=1, quantity=Decimal("400"), actor=SUPERVISOR, now=NOW)
        assert [(b.sequence, b.remaining) for b in used.balances] == [(1, 0), (2, 150)]
        # The amendment's bundle carries the draw-downs on the certificate it amends, so
        # offline and online verification count all 1,000 drawn of item 1.
        with sessions() as s:
            data = origin.make_certificate_bundle(s, settings, NUMBER, actor=SUPERVISOR,
                                                  now=NOW)
        report = origin.verify_local(settings, data, actor=OFFICER, now=NOW)
        assert report.online is not None
        for verdict in (report.offline, report.online):
            assert verdict.ok, verdict
            assert [(b.sequence, b.drawn, b.remaining) for b in verdict.balances] == [
                (1, 1000, 0), (2, 0, 150)], verdict.mode
            assert "its draw-downs count here" in verdict.status.reason

    def test_a_bundle_must_carry_the_amended_certificates_statements(
            self, sessions: sessionmaker[Session], settings: Settings,
            held: origin.CertificateInfo, tmp_path: Path) -> None:
        # Dropping the predecessor's draw-downs (to hide over-use) fails completeness.
        draw_then_amend(sessions, settings)
        with sessions() as s:
            data = json.loads(origin.make_certificate_bundle(
                s, settings, NUMBER, actor=SUPERVISOR, now=NOW))
        kinds = [e["statement"]["statement"]["type"] for e in data["entries"]]
        assert kinds.count("utilise") == 1 and "issue" in kinds and "amend" in kinds
        data["entries"] = [e for e in data["entries"]
                           if e["statement"]["statement"]["type"] != "utilise"]
        verdict = verify(settings, rfc8785.dumps(data), tmp_path)
        assert not verdict.ok and verdict.status.code == "evidence-incomplete"

    def test_revoked_renumbered_and_unauthorised_amendments_are_refused(
            self, sessions: sessionmaker[Session], settings: Settings,
            held: origin.CertificateInfo) -> None:
        with pytest.raises(InvalidInput, match="keeps the number") as info, \
                unit_of_work(sessions) as s:
            submit_service.amend_certificate(s, settings, NUMBER, certificate(number="GSP-9"),
                                             actor=SUPERVISOR, now=NOW)
        assert (info.value.field, info.value.value) == ("certificate.number", "GSP-9")
        with pytest.raises(PermissionDenied), unit_of_work(sessions) as s:
            submit_service.amend_certificate(s, settings, NUMBER, corrected(), actor=OFFICER,
                                             now=NOW)
        with unit_of_work(sessions) as s:
            origin.revoke_certificate(s, settings, NUMBER, reason="fraud", actor=SUPERVISOR,
                                      now=NOW)
        with pytest.raises(Conflict, match="is revoked: only a certificate in force") as info, \
                unit_of_work(sessions) as s:
            submit_service.amend_certificate(s, settings, NUMBER, corrected(),
                                             actor=SUPERVISOR, now=NOW)
        assert (info.value.field, info.value.value) == ("status", "revoked")


class TestIssuerHeldKeys:
    def test_an_issuer_registered_with_its_public_key_has_none_stored_here(
            self, sessions: sessionmaker[Session], settings: Settings) -> None:
        keys = Path(settings.data_dir) / "origin" / "keys"
        info = add(sessions, settings, "CCPIT-SZ", CHAMBER_KEY)
        assert info.current_key_id == key_id(CHAMBER_KEY.public_key()) and not info.key_held
        assert not list(keys.glob("issuer-*"))  # no private key generated or kept
        with pytest.raises(Conflict, match="does not hold a signing key"), \
                unit_of_work(sessions) as s:
            origin.issue_certificate(s, settings, certificate(), issuer_id="CCPIT-SZ",
                                     actor=SUPERVISOR, now=NOW)
        with pytest.raises(KeyFileInvalid, match="starts with 'ed25519:'"):
            add(sessions, settings, "BAD", public="ed25519-AAAA")
        root = load_origin(settings).root_key
        with pytest.raises(InvalidInput, match="root key") as err:
            add(sessions, settings, "ROOTED", root)
        assert err.value.field == "public_key"

    def test_a_signed_package_is_issued_verified_and_revoked_with_the_root_key(
            self, sessions: sessionmaker[Session], settings: Settings, tmp_path: Path) -> None:
        add(sessions, settings, "CCPIT-SZ", CHAMBER_KEY)
        issued = submit(sessions, settings, sign())
        assert (issued.number, issued.status, issued.leaf_index) == (NUMBER, "issued", 1)
        with sessions() as s:
            row = s.execute(select(OriginCertificateRow)).scalar_one()
            audit = s.execute(select(AuditRow).order_by(AuditRow.seq.desc())).scalars().first()
        assert audit is not None and audit.detail["signed_by"] == "issuer"
        assert verify(settings, bundle_of(settings, row.committed), tmp_path).ok
        with pytest.raises(Conflict, match="already issued") as info:
            submit(sessions, settings, sign())  # the same number again, fresh salts
        assert info.value.field == "number"
        with unit_of_work(sessions) as s:
            revoked = origin.revoke_certificate(s, settings, NUMBER, reason="withdrawn",
                                                actor=SUPERVISOR, now=NOW)
        assert revoked.status == "revoked"
        setup = load_origin(settings)
        with open_log(setup) as log:  # no issuer key here: the root key signed it
            assert log.read_statement(revoked.revoked_at or 0).signer == \
                key_id(setup.root_key.public_key())

    def test_a_signed_amendment_supersedes_and_a_stale_one_is_refused(
            self, sessions: sessionmaker[Session], settings: Settings) -> None:
        add(sessions, settings, "CCPIT-SZ", CHAMBER_KEY)
        first = submit(sessions, settings, sign())
        second = submit(sessions, settings, sign(corrected(), supersedes=first.digest))
        with sessions() as s:
            assert [r.status for r in s.execute(select(OriginCertificateRow).order_by(
                OriginCertificateRow.id)).scalars()] == ["superseded", "issued"]
        with pytest.raises(Conflict, match="supersedes another digest") as info:
            submit(sessions, settings, sign(corrected(), supersedes=first.digest))
        assert info.value.field == "statement.statement.supersedes"
        assert second.digest != first.digest

    @pytest.mark.parametrize(("case", "field", "match"), [
        ("unregistered key", "statement.statement.key_id", "is not registered"),
        ("other issuer's key", "statement.statement.key_id", "is 'OTHER''s, not 'CCPIT-SZ''s"),
        ("retired key", "statement.statement.key_id", "not valid at log position"),
        ("statement signature", "statement.signature", "signature-mismatch"),
        ("digest signature", "statement.statement.signature", "signature-mismatch"),
        ("out of scope", "statement.statement.certificate_type", "out-of-scope"),
    ])
    def test_bad_packages_are_refused_naming_the_member(
            self, sessions: sessionmaker[Session], settings: Settings, case: str, field: str,
            match: str) -> None:
        add(sessions, settings, "CCPIT-SZ", CHAMBER_KEY)
        other = Ed25519PrivateKey.generate()
        add(sessions, settings, "OTHER", other)
        data = _bad_package(sessions, settings, case, other)
        with pytest.raises(SignedCertificateInvalid, match=match) as info:
            submit(sessions, settings, data)
        assert info.value.field == field, info.value.errors
        with sessions() as s:
            assert s.execute(select(OriginCertificateRow)).first() is None

    def test_rotating_to_an_own_key_drops_the_held_one(
            self, sessions: sessionmaker[Session], settings: Settings,
            held: origin.CertificateInfo) -> None:
        with unit_of_work(sessions) as s:
            info = issuer_service.rotate_issuer_key(
                s, settings, "CCPIT-SZ", public_key=format_public_key(CHAMBER_KEY.public_key()),
                actor=SYSTEM, now=NOW)
        assert not info.key_held and info.current_key_id == key_id(CHAMBER_KEY.public_key())
        with sessions() as s:
            assert s.get(OriginIssuerRow, "CCPIT-SZ").key_name is None  # type: ignore[union-attr]
        amended = submit(sessions, settings, sign(corrected(), supersedes=held.digest))
        assert amended.status == "issued"
        with pytest.raises(Conflict, match="does not hold"), unit_of_work(sessions) as s:
            submit_service.amend_certificate(s, settings, NUMBER, corrected(),
                                             actor=SUPERVISOR, now=NOW)


def _bad_package(sessions: sessionmaker[Session], settings: Settings, case: str,
                 other: Ed25519PrivateKey) -> bytes:
    if case == "unregistered key":
        return sign(key=Ed25519PrivateKey.generate())
    if case == "other issuer's key":
        return sign(key=other)
    if case == "retired key":
        with unit_of_work(sessions) as s:
            issuer_service.rotate_issuer_key(
                s, settings, "CCPIT-SZ",
                public_key=format_public_key(Ed25519PrivateKey.generate().public_key()),
                actor=SYSTEM, now=NOW)
        return sign()
    if case == "out of scope":
        return sign(certificate(certificate_type="non_preferential", agreement=None,
                                goods_items=[dict(i, origin_criterion=None)
                                             for i in CERTIFICATE["goods_items"]]))
    package = json.loads(sign())
    st = package["statement"]
    if case == "statement signature":
        st["signature"] = ("0" if st["signature"][0] != "0" else "1") + st["signature"][1:]
    else:  # the digest signature changed, the statement signed again over it
        from smartcustoms.origin.statements import parse_statement

        inner = dict(st["statement"], signature="ab" * 64)
        statement = parse_statement(json.dumps(inner, sort_keys=True,
                                               separators=(",", ":")).encode())
        package["statement"] = sign_statement(statement, CHAMBER_KEY).model_dump(mode="json")
    return json.dumps(package).encode()
