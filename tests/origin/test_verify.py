"""Offline and online verification of proof bundles: one test per way to fail.

Strategy: a real log in ``tmp_path`` (see ``world``), bundles made by ``make_bundle``,
and forgeries made by editing the bundle's JSON the way an attacker could. Every
verdict is checked part by part: which part failed, its stable code, and that the
others did not pass by accident.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from smartcustoms.origin.bundle import b64url
from smartcustoms.origin.commitments import (
    SCHEMA_V1,
    SCHEMA_V2,
    Disclosure,
    HiddenLeaf,
    LeafType,
    RevealedLeaf,
    commit,
    disclose,
)
from smartcustoms.origin.mirror import Mirror, fetch_from_directory
from smartcustoms.origin.registry_log import MirrorView
from smartcustoms.origin.signing import key_id
from smartcustoms.origin.statements import issue_statement, sign_statement
from smartcustoms.origin.verify import Verdict, verify_bundle, verify_online

from .world import (
    ISSUER,
    NOW,
    OTHER,
    TYPICAL,
    World,
    certificate,
    issuer_added,
    key_revoked,
    revocation,
    rewrite,
    rewrite_disclosure,
)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path / "log")


def codes(verdict: Verdict) -> tuple[str, str, str]:
    return verdict.integrity.code, verdict.status.code, verdict.issuer.code


def test_end_to_end_offline_with_a_subset_disclosed(world: World) -> None:
    committed, position = world.issue()
    world.publish()
    verdict = verify_bundle(world.bundle(committed), world.policy(), NOW)
    assert verdict.ok, verdict
    assert codes(verdict) == ("ok", "ok", "ok")
    assert verdict.position == position and verdict.checkpoint_size == 2
    assert verdict.disclosed["goods_items[0].hs_code"] == "851713"
    assert "exporter.name" not in verdict.disclosed  # hidden stays hidden
    assert "as of checkpoint 2" in verdict.status.reason
    assert "not known offline" in verdict.status.reason
    assert "item 1: 100 H87" in verdict.status.reason


def test_an_eco1_certificate_still_verifies_beside_eco2(world: World) -> None:
    # Certificates committed under the flat scheme before eco/2 keep verifying.
    old, _ = world.issue(certificate(number="RCEP-CN-2026-000001"), schema_id=SCHEMA_V1)
    new, _ = world.issue(certificate(number="RCEP-CN-2026-000002"))
    world.publish()
    assert (old.schema_id, new.schema_id) == (SCHEMA_V1, SCHEMA_V2)
    for committed in (old, new):
        verdict = verify_bundle(world.bundle(committed), world.policy(), NOW)
        assert codes(verdict) == ("ok", "ok", "ok"), verdict
        assert verdict.disclosed["goods_items[0].hs_code"] == "851713"


def test_disclosure_under_another_scheme_than_the_statement_fails(world: World) -> None:
    committed, _ = world.issue()
    world.publish()
    flat = commit(committed.certificate, rng=world.rng.randbytes, schema_id=SCHEMA_V1)

    def change(d: Disclosure) -> Disclosure:
        return disclose(flat, TYPICAL)

    verdict = verify_bundle(
        rewrite_disclosure(world.bundle(committed), change), world.policy(), NOW
    )
    assert verdict.integrity.code == "schema-mismatch" and not verdict.ok


def test_tampered_disclosed_value_fails_integrity(world: World) -> None:
    committed, _ = world.issue()
    world.publish()

    def change(d: Disclosure) -> Disclosure:
        leaves = [
            leaf.model_copy(update={"value": "847130"})
            if isinstance(leaf, RevealedLeaf) and leaf.path == "goods_items[0].hs_code"
            else leaf
            for leaf in d.leaves
        ]
        return Disclosure(schema_id=d.schema_id, leaves=leaves)

    verdict = verify_bundle(
        rewrite_disclosure(world.bundle(committed), change), world.policy(), NOW
    )
    assert not verdict.ok
    assert verdict.integrity.code == "digest-mismatch"
    assert verdict.disclosed == {}


def test_hidden_field_claimed_fails_integrity(world: World) -> None:
    committed, _ = world.issue()
    world.publish()

    def change(d: Disclosure) -> Disclosure:
        leaves: list[Any] = []
        for leaf in d.leaves:
            if isinstance(leaf, HiddenLeaf) and leaf.path == "goods_items[0].description":
                leaf = RevealedLeaf(
                    path=leaf.path, type=LeafType.string, value="Cotton shirts", salt="ab" * 32
                )
            leaves.append(leaf)
        return Disclosure(schema_id=d.schema_id, leaves=leaves)

    verdict = verify_bundle(
        rewrite_disclosure(world.bundle(committed), change), world.policy(), NOW
    )
    assert verdict.integrity.code == "digest-mismatch"
    assert not verdict.ok


def test_digest_signed_by_another_key_fails_integrity(world: World) -> None:
    committed = world.commit()
    statement = issue_statement(committed, issuer_id="CCPIT-SZ", private_key=OTHER)
    # Names the registered key but carries another key's signature of the digest.
    forged = statement.model_copy(update={"key_id": key_id(ISSUER.public_key())})
    world.append_raw(sign_statement(forged, ISSUER))
    world.publish()
    verdict = verify_bundle(world.bundle(committed), world.policy(), NOW)
    assert verdict.integrity.code == "signature-mismatch"
    assert verdict.issuer.code == "signature-mismatch"
    assert not verdict.ok


def test_key_revoked_back_to_before_the_certificate_fails_issuer(world: World) -> None:
    committed, position = world.issue()
    world.log.commit()
    world.log.append(key_revoked(effective=position))  # compromise found late
    world.publish()
    verdict = verify_bundle(world.bundle(committed), world.policy(), NOW)
    assert verdict.issuer.code == "key-not-valid"
    assert f"position {position}" in verdict.issuer.reason
    assert verdict.integrity.ok  # the signature is genuine; the key was not valid


def test_key_revoked_after_the_certificate_leaves_it_valid(world: World) -> None:
    committed, position = world.issue()
    world.log.commit()
    world.log.append(key_revoked(effective=position + 1))
    world.publish()
    verdict = verify_bundle(world.bundle(committed), world.policy(), NOW)
    assert verdict.ok, verdict


def test_issuer_out_of_scope_fails_issuer(tmp_path: Path) -> None:
    world = World(tmp_path / "log", add_issuer=False)
    world.log.append(issuer_added(types=("non_preferential",), agreements=()))
    committed = world.commit()
    statement = issue_statement(committed, issuer_id="CCPIT-SZ", private_key=ISSUER)
    world.append_raw(sign_statement(statement, ISSUER))  # the service would refuse it
    world.publish()
    verdict = verify_bundle(world.bundle(committed), world.policy(), NOW)
    assert verdict.issuer.code == "out-of-scope"
    assert verdict.integrity.ok and not verdict.ok


def test_revoked_before_the_checkpoint_fails_status_offline(world: World) -> None:
    committed, _ = world.issue()
    world.log.commit()
    world.log.append(revocation(committed))
    world.publish()
    verdict = verify_bundle(world.bundle(committed), world.policy(), NOW)
    assert verdict.status.code == "revoked"
    assert "fraud" in verdict.status.reason
    assert verdict.integrity.ok and verdict.issuer.ok


def test_revoked_after_the_bundle_offline_says_as_of_checkpoint_online_finds_it(
    world: World,
) -> None:
    committed, _ = world.issue()
    world.publish()
    bundle = world.bundle(committed)
    world.log.append(revocation(committed))
    world.publish()
    offline = verify_bundle(bundle, world.policy(), NOW)
    assert offline.ok and "as of checkpoint 2" in offline.status.reason
    online = verify_online(bundle, world.log, world.policy(), NOW)
    assert online.status.code == "revoked"
    assert online.checkpoint_size == 3 and online.integrity.ok


def test_omitted_revocation_is_caught_by_the_index_note(world: World) -> None:
    committed, _position = world.issue()
    world.log.commit()
    revoked_at = world.log.append(revocation(committed))
    world.publish()

    def drop(raw: dict[str, Any]) -> None:
        raw["entries"] = [e for e in raw["entries"] if e["i"] != revoked_at]

    verdict = verify_bundle(rewrite(world.bundle(committed), drop), world.policy(), NOW)
    assert verdict.status.code == "evidence-incomplete"
    assert str(revoked_at) in verdict.status.reason and not verdict.ok


def test_superseded_certificate_fails_status(world: World) -> None:
    committed, _ = world.issue()
    world.log.commit()
    replacement = world.commit(certificate(remarks="corrected consignee"))
    amend = issue_statement(
        replacement, issuer_id="CCPIT-SZ", private_key=ISSUER, supersedes=committed.digest
    )
    world.log.append(sign_statement(amend, ISSUER))
    world.publish()
    assert verify_bundle(world.bundle(committed), world.policy(), NOW).status.code == "superseded"
    assert verify_bundle(world.bundle(replacement), world.policy(), NOW).ok


def test_expired_validity_fails_status(world: World) -> None:
    committed, _ = world.issue()
    later = NOW + timedelta(days=400)
    world.publish(at=later)
    verdict = verify_bundle(world.bundle(committed), world.policy(), later)
    assert verdict.status.code == "expired"
    assert verdict.integrity.ok and verdict.issuer.ok


def test_checkpoint_too_old_fails(world: World) -> None:
    committed, _ = world.issue()
    world.publish()
    verdict = verify_bundle(world.bundle(committed), world.policy(), NOW + timedelta(days=2))
    assert verdict.integrity.code == "witness-quorum"
    assert "older than" in verdict.integrity.reason
    assert verdict.status.code == verdict.issuer.code == "not-evaluated"


def test_not_enough_witness_cosignatures_fails(world: World) -> None:
    committed, _ = world.issue()
    world.publish(witnesses=1)
    verdict = verify_bundle(world.bundle(committed), world.policy(quorum=2), NOW)
    assert verdict.integrity.code == "witness-quorum"
    assert "1 of the required 2" in verdict.integrity.reason
    assert not verdict.ok


def test_inclusion_proof_for_another_tree_size_fails(world: World) -> None:
    committed, position = world.issue()
    world.log.commit()
    world.log.append(revocation(committed, when=NOW.date()))  # grows the tree
    world.log.commit()
    stale = world.log.sequencer.prove_inclusion(position, 2)
    world.publish()

    def swap(raw: dict[str, Any]) -> None:
        for entry in raw["entries"]:
            if entry["i"] == position:
                entry["proof"] = b64url(b"".join(stale))

    verdict = verify_bundle(rewrite(world.bundle(committed), swap), world.policy(), NOW)
    assert verdict.integrity.code == "inclusion-proof"
    assert verdict.status.code == "not-evaluated"


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],
        lambda b: rewrite(b, lambda raw: raw.update(extra=1)),
        lambda b: rewrite(b, lambda raw: raw["entries"][0].update(note="x")),
        lambda b: rewrite(b, lambda raw: None, canonical=False),
        lambda b: b.replace(b'"format"', b'"format":"x","format"', 1),
        lambda b: b"",
    ],
    ids=["truncated", "extra-member", "extra-entry-member", "non-canonical", "duplicate", "empty"],
)
def test_malformed_bundle_fails_every_part(world: World, damage: Any) -> None:
    committed, _ = world.issue()
    world.publish()
    verdict = verify_bundle(damage(world.bundle(committed)), world.policy(), NOW)
    assert codes(verdict) == ("bundle-malformed",) * 3
    assert not verdict.ok


def test_online_against_a_verified_mirror(world: World, tmp_path: Path) -> None:
    committed, _ = world.issue()
    world.publish()
    bundle = world.bundle(committed)
    world.log.append(revocation(committed))
    world.publish()
    mirror = Mirror(
        fetch_from_directory(world.directory),
        tmp_path / "mirror",
        policy=world.policy(),
        clock=lambda: NOW,
    )
    mirror.sync()
    verdict = verify_online(bundle, MirrorView(tmp_path / "mirror"), world.policy(), NOW)
    assert verdict.status.code == "revoked" and verdict.integrity.ok


def test_online_refuses_a_log_that_rewrote_history(world: World, tmp_path: Path) -> None:
    committed, _ = world.issue()
    world.publish()
    bundle = world.bundle(committed)
    fork = World(tmp_path / "fork")  # same keys, different history
    fork.issue(certificate(number="RCEP-CN-2026-999999"))
    fork.log.commit()
    fork.issue(certificate(number="RCEP-CN-2026-999998"))
    fork.publish()
    verdict = verify_online(bundle, fork.log, world.policy(), NOW)
    assert verdict.integrity.code == "inconsistent-log"
    assert not verdict.ok


def test_policy_without_registry_roots_fails_closed(world: World) -> None:
    committed, _ = world.issue()
    world.publish()
    policy = dataclasses.replace(world.policy(), registry_roots=())
    verdict = verify_bundle(world.bundle(committed), policy, NOW)
    assert verdict.issuer.code == "registry-invalid" and not verdict.ok
