"""Certificates of origin over HTTP: the registry (admin), issuing (supervisor), bundles,
verification (anyone authenticated), the public tlog-tiles endpoints, a declaration's
certificate, and the witness endpoint cosigning a partner's log."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcustoms.config import Settings
from smartcustoms.origin import partners
from smartcustoms.origin.models import parse_certificate
from smartcustoms.origin.policy_file import format_trust_policy
from smartcustoms.origin.signed_certificate import sign_certificate
from smartcustoms.origin.signing import format_public_key, key_id
from smartcustoms.origin.statements import IssuerAdded, IssuerKey, sign_statement
from smartcustoms.origin.store import ensure_setup, load_origin, open_log
from smartcustoms.origin.witness import AddCheckpointRequest

CERTIFICATE = json.loads((Path(__file__).resolve().parents[1] / "vectors"
                          / "certificate_of_origin.json").read_text())
CHAMBER = {"issuer_id": "CCPIT-SZ", "kind": "chamber", "name": "CCPIT Shenzhen",
           "country": "CN", "certificate_types": ["preferential"], "agreements": ["EU_GSP"]}
NUMBER = CERTIFICATE["number"]


def _issue(api: Any) -> dict[str, Any]:
    assert api.client.post("/api/v1/origin/issuers", json=CHAMBER,
                           headers=api.auth("admin")).status_code == 201
    r = api.client.post("/api/v1/origin/certificates",
                        json={"issuer_id": "CCPIT-SZ", "certificate": CERTIFICATE},
                        headers=api.auth("supervisor"))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_registry_and_issuing_follow_the_roles(api: Any, kit: SimpleNamespace) -> None:
    kit.assert_problem(api.client.post("/api/v1/origin/issuers", json=CHAMBER,
                                       headers=api.auth("supervisor")), 403,
                       "permission-denied")
    kit.assert_problem(api.client.get("/api/v1/origin/issuers"), 401, "authentication-failed")
    issued = _issue(api)
    assert (issued["leaf_index"], issued["status"]) == (1, "issued")
    kit.assert_problem(api.client.post("/api/v1/origin/certificates", json={
        "issuer_id": "CCPIT-SZ", "certificate": CERTIFICATE}, headers=api.auth("officer")),
        403, "permission-denied")
    [issuer] = api.client.get("/api/v1/origin/issuers", headers=api.auth("trader")).json()
    assert issuer["issuer_id"] == "CCPIT-SZ" and issuer["status"] == "active"
    bad = dict(CERTIFICATE, importing_country="CN")
    kit.assert_problem(api.client.post("/api/v1/origin/certificates", json={
        "issuer_id": "CCPIT-SZ", "certificate": bad}, headers=api.auth("supervisor")),
        422, "invalid-input")


def test_bundle_verify_revoke_and_the_public_log(api: Any, kit: SimpleNamespace) -> None:
    _issue(api)
    r = api.client.get(f"/api/v1/origin/certificates/{NUMBER}/bundle",
                       params=[("disclose", "number"), ("disclose", "importing_country")],
                       headers=api.auth("supervisor"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    bundle = r.content
    kit.assert_problem(api.client.get(f"/api/v1/origin/certificates/{NUMBER}/bundle",
                                      headers=api.auth("trader")), 403, "permission-denied")
    raw = api.client.post("/api/v1/origin/verify", content=bundle,
                          headers={**api.auth("trader"), "content-type": "application/json"})
    assert raw.status_code == 200 and raw.json()["ok"], raw.text
    assert raw.json()["offline"]["disclosed"] == {"number": NUMBER, "importing_country": "DE"}
    upload = api.client.post("/api/v1/origin/verify", files={"bundle": ("b.json", bundle)},
                             headers=api.auth("officer"))
    assert upload.json()["online"]["integrity"]["ok"]
    assert api.client.post(f"/api/v1/origin/certificates/{NUMBER}/revoke",
                           json={"reason": "fraud"},
                           headers=api.auth("supervisor")).json()["status"] == "revoked"
    after = api.client.post("/api/v1/origin/verify", content=bundle,
                            headers={**api.auth("officer"), "content-type": "application/json"})
    assert not after.json()["ok"] and after.json()["online"]["status"]["code"] == "revoked"
    qr = api.client.get("/api/v1/origin/qr", headers=api.auth("officer"), params={
        "payload": api.client.get(f"/api/v1/origin/certificates/{NUMBER}",
                                  headers=api.auth("officer")).json()["qr_payload"]})
    assert qr.json()["status"]["code"] == "revoked"
    # The log itself is public: what partners mirror.
    checkpoint = api.client.get("/origin/log/checkpoint")
    assert checkpoint.status_code == 200 and checkpoint.text.startswith(
        "smartcustoms.example/origin\n3\n")
    assert "\u2014 smartcustoms.example/witness " in checkpoint.text  # cosigned
    tile = api.client.get("/origin/log/tile/0/000.p/3")
    assert tile.status_code == 200 and len(tile.content) == 3 * 32
    assert "immutable" in tile.headers["cache-control"]
    assert api.client.get("/origin/log/tile/entries/000.p/3").status_code == 200
    kit.assert_problem(api.client.get("/origin/log/tile/../keys/root.key"), 404, "not-found")
    kit.assert_problem(api.client.get("/origin/log/tile/0/001"), 404, "not-found")
    policy = api.client.get("/api/v1/origin/policy", headers=api.auth("trader"))
    assert policy.text.startswith("version = 1\n") and "PRIVATE" not in policy.text


def test_a_trader_links_a_certificate_to_its_declaration(api: Any, kit: SimpleNamespace
                                                         ) -> None:
    _issue(api)
    declaration = api.submit(kit.vector()).json()["id"]
    bundle = api.client.get(f"/api/v1/origin/certificates/{NUMBER}/bundle",
                            headers=api.auth("supervisor")).content
    r = api.client.post(f"/api/v1/declarations/{declaration}/origin",
                        files={"bundle": ("bundle.json", bundle)}, headers=api.auth("trader"))
    assert r.status_code == 201, r.text
    assert r.json()["ok"] and [d["unit"] for d in r.json()["drawn"]] == ["H87", "KGM"]
    kit.assert_problem(api.client.post(f"/api/v1/declarations/{declaration}/origin",
                                       content=bundle, headers=api.auth("other-trader")),
                       404, "not-found")
    links = api.client.get(f"/api/v1/declarations/{declaration}/origin",
                           headers=api.auth("officer")).json()
    assert [link["ok"] for link in links] == [True]


def test_the_witness_cosigns_a_followed_partner_log(api: Any, tmp_path: Path) -> None:
    partner = Settings(data_dir=tmp_path / "partner", environment="test")
    ensure_setup(partner, log_origin="customs.kr.example/origin", country="KR")
    theirs = load_origin(partner)
    key = Ed25519PrivateKey.generate().public_key()
    added = IssuerAdded(issuer_id="KCCI", kind="chamber", name="Korea Chamber", country="KR",
                        scope={"certificate_types": ["non_preferential"], "agreements": []},
                        key=IssuerKey(key_id=key_id(key), public_key=format_public_key(key)))
    with open_log(theirs) as log:
        log.append(sign_statement(added, theirs.root_key))
        note = log.commit()
    policy = tmp_path / "partner.toml"
    policy.write_text(format_trust_policy(theirs.policy()))
    assert api.client.post("/origin/witness/add-checkpoint",
                           content=b"old 0\n\n" + note.encode()).status_code == 404
    partners.follow_log(api.settings, policy)
    api.client.app.state.origin_witness = None  # built again with the followed log
    body = AddCheckpointRequest(0, (), note).body()
    r = api.client.post("/origin/witness/add-checkpoint", content=body)
    assert r.status_code == 200, r.text
    assert r.text.startswith("\u2014 smartcustoms.example/witness ")
    # A log asking from a size the witness has moved past learns the right one.
    stale = api.client.post("/origin/witness/add-checkpoint", content=body)
    assert (stale.status_code, stale.text) == (409, "1\n")
    assert stale.headers["content-type"].startswith("text/x.tlog.size")
    again = api.client.post("/origin/witness/add-checkpoint",
                            content=AddCheckpointRequest(1, (), note).body())
    assert again.status_code == 200  # the same checkpoint again: cosigned again
    forged = api.client.post("/origin/witness/add-checkpoint", content=b"old x\n\n")
    assert forged.status_code == 400


def test_amend_through_the_api(api: Any, kit: SimpleNamespace) -> None:
    issued = _issue(api)
    fixed = dict(CERTIFICATE, remarks="Corrected")
    url = f"/api/v1/origin/certificates/{NUMBER}/amend"
    kit.assert_problem(api.client.post(url, json={"certificate": fixed},
                                       headers=api.auth("officer")), 403, "permission-denied")
    kit.assert_problem(api.client.post(url, json={"certificate": dict(fixed, number="X-1")},
                                       headers=api.auth("supervisor")), 422, "invalid-input")
    r = api.client.post(url, json={"certificate": fixed, "reason": "remarks"},
                        headers=api.auth("supervisor"))
    assert r.status_code == 201, r.text
    assert r.json()["digest"] != issued["digest"] and r.json()["leaf_index"] == 2
    current = api.client.get(f"/api/v1/origin/certificates/{NUMBER}",
                             headers=api.auth("officer")).json()
    assert current["digest"] == r.json()["digest"]
    old = api.client.get("/api/v1/origin/qr", params={"payload": issued["qr_payload"]},
                         headers=api.auth("officer")).json()
    assert old["status"]["code"] == "superseded" and old["certificate"]["status"] == "superseded"
    assert api.client.post(f"/api/v1/origin/certificates/{NUMBER}/revoke",
                           json={"reason": "fraud"},
                           headers=api.auth("supervisor")).status_code == 200
    body = kit.assert_problem(api.client.post(url, json={"certificate": fixed},
                                              headers=api.auth("supervisor")), 409, "conflict")
    assert body["errors"][0]["field"] == "status"


def test_an_issuer_with_its_own_key_submits_signed_packages(api: Any,
                                                            kit: SimpleNamespace) -> None:
    key = Ed25519PrivateKey.generate()
    chamber = dict(CHAMBER, public_key=format_public_key(key.public_key()))
    added = api.client.post("/api/v1/origin/issuers", json=chamber, headers=api.auth("admin"))
    assert added.status_code == 201 and added.json()["key_held"] is False
    signed = sign_certificate(parse_certificate(json.dumps(CERTIFICATE)), issuer_id="CCPIT-SZ",
                              private_key=key).to_bytes()
    url = "/api/v1/origin/certificates/signed"
    json_body = {"content-type": "application/json"}
    kit.assert_problem(api.client.post(url, content=signed,
                                       headers={**api.auth("officer"), **json_body}),
                       403, "permission-denied")
    tampered = json.loads(signed)
    tampered["committed"]["salts"][0] = "00" * 32
    body = kit.assert_problem(api.client.post(url, content=json.dumps(tampered),
                                              headers={**api.auth("supervisor"), **json_body}),
                              422, "origin-signed-certificate-invalid")
    assert body["errors"][0]["field"] == "committed.digest"
    r = api.client.post(url, content=signed, headers={**api.auth("supervisor"), **json_body})
    assert r.status_code == 201, r.text
    assert r.json()["number"] == NUMBER and r.json()["issuer_id"] == "CCPIT-SZ"
    kit.assert_problem(api.client.post(url, content=signed,
                                       headers={**api.auth("supervisor"), **json_body}),
                       409, "conflict")  # the same package again: the number is taken
    rotated = api.client.post("/api/v1/origin/issuers/CCPIT-SZ/rotate",
                              json={"public_key": format_public_key(
                                  Ed25519PrivateKey.generate().public_key())},
                              headers=api.auth("admin"))
    assert rotated.status_code == 200 and rotated.json()["key_held"] is False
    held = api.client.post("/api/v1/origin/issuers/CCPIT-SZ/rotate", headers=api.auth("admin"))
    assert held.status_code == 200 and held.json()["key_held"] is True
