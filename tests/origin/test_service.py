"""Origin service: keys in the data directory, the issuer registry, issuing, bundles,
revocation seen online, utilisation, a declaration's certificate and the risk finding.

Runs on a fresh migrated database (SQLite, and PostgreSQL under ``-m postgres``) with the
log and keys under the test's data directory; the clock is fixed and passed in.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.config import Settings
from smartcustoms.db import unit_of_work
from smartcustoms.declarations import submit_declaration
from smartcustoms.errors import ConfigurationError, Conflict, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.identity.tables import AuditRow
from smartcustoms.origin import issuer_service, linkage
from smartcustoms.origin import service as origin
from smartcustoms.origin.signed_certificate import committed_from_json
from smartcustoms.origin.tables import OriginCertificateRow, OriginIssuerRow
from smartcustoms.risk.frame import load_frame

ROOT = Path(__file__).resolve().parents[2]
VECTOR = json.loads((ROOT / "tests" / "vectors" / "declaration_full.json").read_text())
CERTIFICATE = (ROOT / "tests" / "vectors" / "certificate_of_origin.json").read_bytes()
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
OFFICER = Principal(user_id=None, username="off", role=Role.officer)
SUPERVISOR = Principal(user_id=None, username="sup", role=Role.supervisor)
CHAMBER = issuer_service.IssuerCreate(issuer_id="CCPIT-SZ", kind="chamber", name="CCPIT Shenzhen",
                              country="CN", certificate_types=["preferential"],
                              agreements=["EU_GSP"])


def certificate(number: str = "GSP-CN-2026-000777", **changes: Any) -> bytes:
    data = json.loads(CERTIFICATE)
    data["number"] = number
    data.update(changes)
    return json.dumps(data).encode()


@pytest.fixture
def issued(sessions: sessionmaker[Session], settings: Settings) -> origin.CertificateInfo:
    with unit_of_work(sessions) as s:
        issuer_service.add_issuer(s, settings, CHAMBER, actor=SYSTEM, now=NOW)
    with unit_of_work(sessions) as s:
        return origin.issue_certificate(s, settings, certificate(), issuer_id="CCPIT-SZ",
                                        actor=SUPERVISOR, now=NOW)


def bundle(sessions: sessionmaker[Session], settings: Settings, number: str,
           paths: tuple[str, ...] = origin.DEFAULT_DISCLOSURE) -> bytes:
    with sessions() as s:
        return origin.make_certificate_bundle(s, settings, number, disclose=paths,
                                              actor=SUPERVISOR, now=NOW)


def test_keys_are_generated_once_outside_the_repository(settings: Settings) -> None:
    first = origin.setup(settings)
    assert first.created_keys == ("root", "log", "witness")
    keys = Path(first.directory) / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert (keys / ".gitignore").read_text() == "*\n"
    for name in first.created_keys:
        assert stat.S_IMODE((keys / f"{name}.key").stat().st_mode) == 0o600
    assert origin.setup(settings).created_keys == ()
    assert origin.setup(settings, country="kr").config.country == "KR"  # log still empty
    policy = origin.export_policy(settings)
    assert 'log_origin = "smartcustoms.example/origin"' in policy
    assert "PRIVATE" not in policy and "registry_roots" in policy


def test_issue_prove_and_verify_offline_with_the_exported_policy(
        sessions: sessionmaker[Session], settings: Settings, issued: origin.CertificateInfo,
        tmp_path: Path) -> None:
    assert (issued.leaf_index, issued.status, issued.checkpoint_size) == (1, "issued", 2)
    assert issued.qr_payload.startswith("SCO1:")
    policy = tmp_path / "policy.toml"
    policy.write_text(origin.export_policy(settings))
    data = bundle(sessions, settings, issued.number,
                  ("number", "importing_country", "goods_items[0].hs_code"))
    report = origin.verify_policy_file(data, str(policy), now=NOW)
    assert report.ok, report
    disclosed = report.offline.disclosed
    assert disclosed["goods_items[0].hs_code"] == "851762"
    assert "goods_items[0].description" not in disclosed  # hidden
    assert "exporter.name" not in disclosed
    with sessions() as s:
        row = s.execute(select(OriginCertificateRow)).scalar_one()
        assert committed_from_json(row.committed).digest.hex() == issued.digest
        assert s.get(OriginIssuerRow, "CCPIT-SZ").key_name is not None  # type: ignore[union-attr]
        actions = s.execute(select(AuditRow.action).order_by(AuditRow.seq)).scalars().all()
    assert actions == ["origin.issuer.add", "origin.certificate.issue"]


def test_the_same_number_twice_and_roles_are_refused(
        sessions: sessionmaker[Session], settings: Settings,
        issued: origin.CertificateInfo) -> None:
    with pytest.raises(Conflict, match="already issued"), unit_of_work(sessions) as s:
        origin.issue_certificate(s, settings, certificate(), issuer_id="CCPIT-SZ",
                                 actor=SUPERVISOR, now=NOW)
    with pytest.raises(PermissionDenied), unit_of_work(sessions) as s:
        origin.issue_certificate(s, settings, certificate("X-2"), issuer_id="CCPIT-SZ",
                                 actor=OFFICER, now=NOW)
    with pytest.raises(PermissionDenied), unit_of_work(sessions) as s:
        issuer_service.add_issuer(s, settings, CHAMBER, actor=SUPERVISOR, now=NOW)
    with pytest.raises(ConfigurationError, match="fixed"):
        origin.setup(settings, log_origin="other.example/origin")


def test_revocation_is_found_online_after_the_bundle_was_made(
        sessions: sessionmaker[Session], settings: Settings,
        issued: origin.CertificateInfo) -> None:
    data = bundle(sessions, settings, issued.number)
    with unit_of_work(sessions) as s:
        revoked = origin.revoke_certificate(s, settings, issued.number, reason="fraud",
                                            actor=SUPERVISOR, now=NOW)
        assert (revoked.status, revoked.revocation_reason) == ("revoked", "fraud")
    report = origin.verify_local(settings, data, actor=OFFICER, now=NOW)
    assert report.offline.ok  # "not revoked as of checkpoint 2": true then
    assert "as of checkpoint 2" in report.offline.status.reason
    assert report.online is not None and not report.online.ok
    assert report.online.status.code == "revoked" and report.online.integrity.ok
    assert not report.ok
    with sessions() as s:
        lookup = origin.lookup_qr(s, settings, issued.qr_payload, actor=OFFICER, now=NOW)
    assert (lookup.status.ok, lookup.status.code) == (False, "revoked")


def test_utilisation_draws_down_and_refuses_over_use(
        sessions: sessionmaker[Session], settings: Settings,
        issued: origin.CertificateInfo) -> None:
    with unit_of_work(sessions) as s:
        used = origin.utilise(s, settings, issued.number, declaration_reference="DE-MRN-1",
                              item=1, quantity=Decimal("600"), actor=SUPERVISOR, now=NOW)
    assert [(b.sequence, b.remaining) for b in used.balances] == [(1, 400), (2, 150)]
    with pytest.raises(Conflict, match="400 remain"), unit_of_work(sessions) as s:
        origin.utilise(s, settings, issued.number, declaration_reference="DE-MRN-2", item=1,
                       quantity=Decimal("401"), actor=SUPERVISOR, now=NOW)


def test_rotation_and_revocation_of_the_issuer(
        sessions: sessionmaker[Session], settings: Settings,
        issued: origin.CertificateInfo) -> None:
    with unit_of_work(sessions) as s:
        rotated = issuer_service.rotate_issuer_key(s, settings, "CCPIT-SZ", actor=SYSTEM, now=NOW)
    with unit_of_work(sessions) as s:
        second = origin.issue_certificate(s, settings, certificate("GSP-2"),
                                          issuer_id="CCPIT-SZ", actor=SUPERVISOR, now=NOW)
    report = origin.verify_local(settings, bundle(sessions, settings, second.number),
                                 actor=OFFICER, now=NOW)
    assert report.ok and rotated.current_key_id in report.offline.issuer.reason
    with unit_of_work(sessions) as s:
        gone = issuer_service.revoke_issuer(s, settings, "CCPIT-SZ", reason="licence withdrawn",
                                    actor=SYSTEM, now=NOW)
    assert gone.status == "revoked"
    with pytest.raises(Conflict, match="is revoked"), \
            unit_of_work(sessions) as s:
        origin.issue_certificate(s, settings, certificate("GSP-3"), issuer_id="CCPIT-SZ",
                                 actor=SUPERVISOR, now=NOW)
    with unit_of_work(sessions) as s:
        assert issuer_service.rebuild_index(s, settings, actor=SYSTEM, now=NOW)["issuers"] == 1
    with sessions() as s:
        assert [i.status for i in issuer_service.list_issuers(s)] == ["revoked"]


def _declaration(sessions: sessionmaker[Session], reference: str = "LRN-ORIGIN-1") -> str:
    data = copy.deepcopy(VECTOR)
    data["reference"] = reference
    for item in data["items"]:
        item["preference_code"] = "GSP"
    with unit_of_work(sessions) as s:
        return submit_declaration(s, data, actor=SYSTEM, now=NOW).declaration.id


def test_a_declaration_links_its_certificate_and_failures_reach_the_risk_frame(
        sessions: sessionmaker[Session], settings: Settings,
        issued: origin.CertificateInfo) -> None:
    first, second = _declaration(sessions), _declaration(sessions, "LRN-ORIGIN-2")
    data = bundle(sessions, settings, issued.number)
    with unit_of_work(sessions) as s:
        link = linkage.link_certificate(s, settings, first, data, actor=OFFICER, now=NOW)
    assert link.ok, link.declaration
    assert [(d.declaration_item, d.certificate_item, d.value, d.unit) for d in link.drawn] == [
        (1, 1, Decimal("800"), "H87"), (2, 2, Decimal("95"), "KGM")]
    assert link.utilisation_index is not None
    # The same certificate again: 200 routers remain, 800 are declared.
    with unit_of_work(sessions) as s:
        again = linkage.link_certificate(s, settings, second, data, actor=OFFICER, now=NOW)
    assert not again.ok and "over-use" in again.declaration.reason
    assert again.utilisation_index is None and again.drawn == []
    with sessions() as s:
        frame = load_frame(s)
        assert len(linkage.declaration_links(s, first, actor=OFFICER)) == 1
    failed = dict(zip(frame["declaration_id"], frame["origin_failed"], strict=True))
    assert failed[first] == 0 and failed[second] == 1


def test_a_revoked_or_foreign_certificate_fails_the_link(
        sessions: sessionmaker[Session], settings: Settings,
        issued: origin.CertificateInfo) -> None:
    declaration = _declaration(sessions)
    with unit_of_work(sessions) as s:
        other = origin.issue_certificate(
            s, settings, certificate("GSP-KR", importing_country="KR"), issuer_id="CCPIT-SZ",
            actor=SUPERVISOR, now=NOW)
    with unit_of_work(sessions) as s:
        link = linkage.link_certificate(s, settings, declaration,
                                        bundle(sessions, settings, other.number),
                                        actor=OFFICER, now=NOW)
    assert not link.ok and "imports into KR, not DE" in link.declaration.reason
    data = bundle(sessions, settings, issued.number)
    with unit_of_work(sessions) as s:
        origin.revoke_certificate(s, settings, issued.number, reason="withdrawn",
                                  actor=SUPERVISOR, now=NOW)
    with unit_of_work(sessions) as s:
        link = linkage.link_certificate(s, settings, declaration, data, actor=OFFICER,
                                        now=NOW)
    assert not link.ok and link.online is not None and link.online.status.code == "revoked"
    assert link.declaration.code == "not-evaluated"
    with unit_of_work(sessions) as s:
        junk = linkage.link_certificate(s, settings, declaration, b"{}", actor=OFFICER,
                                        now=NOW)
    assert not junk.ok and junk.digest is None
