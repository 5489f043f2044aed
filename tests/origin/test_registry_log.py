"""The certificate log service: refusals before sequencing, the index, status, over-use.

Strategy: real log directories in ``tmp_path``; the index is damaged on disk in the
ways a crash or an operator could (deleted, from another log, extra lines) and must be
rebuilt from the entries, the source of truth.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from smartcustoms.origin.merkle import hash_leaf
from smartcustoms.origin.models import IssuerNotAuthorised, RegistryConflict, SignatureInvalid
from smartcustoms.origin.policy_file import (
    PolicyFileInvalid,
    format_trust_policy,
    parse_trust_policy,
)
from smartcustoms.origin.registry_log import CertificateLog, combined_utilisation
from smartcustoms.origin.signing import key_id
from smartcustoms.origin.statement_index import RECORDS_PATH, STATE_PATH, digest_key
from smartcustoms.origin.statements import LedgerFindingCode, issue_statement, sign_statement

from .world import (
    ISSUER,
    JP_ROOT,
    KR_ROOT,
    LOG_SIGNER,
    OTHER,
    ROOT,
    World,
    certificate,
    issuer_added,
    key_revoked,
    revocation,
    utilisation,
)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path / "log")


def reopen(world: World) -> CertificateLog:
    world.log.close()
    world.log = CertificateLog.open(world.directory, LOG_SIGNER, [ROOT.public_key()])
    return world.log


def test_refuses_statements_the_registry_would_not_accept(world: World) -> None:
    world.log.commit()
    before = world.log.next_position
    with pytest.raises(SignatureInvalid):
        world.log.append(issuer_added(issuer_id="ROGUE").model_copy(update={"signer": "0" * 32}))
    with pytest.raises(IssuerNotAuthorised):
        world.issue(key=OTHER)  # a key nobody registered
    with pytest.raises(RegistryConflict):
        world.log.append(issuer_added())  # the issuer id exists already
    committed = world.commit()
    with pytest.raises(RegistryConflict, match="has not issued"):
        world.log.append(revocation(committed))
    with pytest.raises(SignatureInvalid):
        world.log.append(utilisation(committed, "1"))  # KR's key is not this log's root
    assert world.log.next_position == before


def test_issue_twice_is_refused(world: World) -> None:
    committed, _ = world.issue()
    world.log.commit()
    again = issue_statement(committed, issuer_id="CCPIT-SZ", private_key=ISSUER)
    with pytest.raises(RegistryConflict, match="already issued"):
        world.log.append(sign_statement(again, ISSUER))


def test_status_answers_issued_revoked_superseded_and_remaining(world: World) -> None:
    committed, position = world.issue()
    world.log.commit()
    digest = committed.digest.hex()
    status = world.log.status(digest)
    assert status.issued and status.position == position
    assert not status.revoked and not status.superseded
    assert [b.remaining for b in status.balances] == [Decimal(100), Decimal("250.5")]
    world.log.append(revocation(committed))
    world.log.commit()
    assert world.log.status(digest).revoked
    assert not world.log.status(digest, as_of=position + 1).revoked
    assert world.log.certificates_numbered(committed.certificate.number) == [digest]
    assert not world.log.status("ab" * 32).issued


def test_index_survives_reopen_and_is_rebuilt_when_missing_or_stale(world: World) -> None:
    committed, position = world.issue()
    world.log.commit()
    key = digest_key(committed.digest.hex())
    log = reopen(world)
    assert not log.index.rebuilt and log.lookup(key) == [position]
    (world.directory / STATE_PATH).unlink()
    log = reopen(world)
    assert log.index.rebuilt and log.lookup(key) == [position]
    # An index of another log (same size, other root) is not trusted.
    state = json.loads((world.directory / STATE_PATH).read_text())
    state["root"] = "A" * 43
    (world.directory / STATE_PATH).write_text(json.dumps(state))
    log = reopen(world)
    assert log.index.rebuilt and log.lookup(key) == [position]
    # Lines written after the state (a crash in between) are dropped, not believed.
    with open(world.directory / RECORDS_PATH, "a") as out:
        out.write('{"h":"x","i":99,"k":["d:forged"]}\n')
    log = reopen(world)
    assert not log.index.rebuilt and log.lookup("d:forged") == []
    assert log.index.index_of_leaf(hash_leaf(log.sequencer.read_entry(position))) == position


def test_registry_is_replayed_on_open(world: World) -> None:
    _committed, position = world.issue()
    world.log.commit()
    world.log.append(key_revoked(effective=position + 1))
    world.log.commit()
    log = reopen(world)
    assert not log.registry.key_valid_at("CCPIT-SZ", key_id(ISSUER.public_key()), position + 5)
    with pytest.raises(IssuerNotAuthorised, match="key-not-valid"):
        World.issue(world, certificate(number="RCEP-CN-2026-000124"))


def test_statements_written_around_the_service_are_indexed_on_commit(world: World) -> None:
    world.log.commit()
    committed = world.commit()
    signed = sign_statement(
        issue_statement(committed, issuer_id="CCPIT-SZ", private_key=ISSUER), ISSUER
    )
    position = world.append_raw(signed)
    world.log.commit()
    assert world.log.lookup(digest_key(committed.digest.hex())) == [position]


def test_over_use_across_two_partner_logs(tmp_path: Path) -> None:
    cn = World(tmp_path / "cn")
    committed, _ = cn.issue()
    cn.log.commit()
    kr = CertificateLog.open(tmp_path / "kr", LOG_SIGNER, [KR_ROOT.public_key()], origin="kr")
    jp = CertificateLog.open(tmp_path / "jp", LOG_SIGNER, [JP_ROOT.public_key()], origin="jp")
    kr.append(utilisation(committed, "60"))
    jp.append(utilisation(committed, "60", ref="JP-1", administration="JP", root=JP_ROOT))
    kr.commit()
    jp.commit()
    alone = combined_utilisation([cn.log, kr])
    assert alone.remaining(committed.digest.hex(), 1) == Decimal(40)
    assert not [f for f in alone.findings if f.code is LedgerFindingCode.over_use]
    both = combined_utilisation([cn.log, kr, jp, kr])  # a log given twice counts once
    assert both.remaining(committed.digest.hex(), 1) == Decimal(-20)
    over = [f for f in both.findings if f.code is LedgerFindingCode.over_use]
    assert len(over) == 1 and "drawn 120 of 100" in over[0].detail


def test_trust_policy_file_round_trips(world: World) -> None:
    policy = world.policy()
    text = format_trust_policy(policy)
    parsed = parse_trust_policy(text)
    assert parsed.log_origin == policy.log_origin and parsed.quorum == 2
    assert [w.vkey for w in parsed.witnesses] == [w.vkey for w in policy.witnesses]
    assert parsed.max_age == policy.max_age and len(parsed.registry_roots) == 1
    assert len(text) < 1024


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: t + "quorom = 2\n", "quorom"),
        (lambda t: t.replace("quorum = 2", "quorum = 4"), None),
        (lambda t: t.replace("version = 1", "version = 2"), "version"),
        (lambda t: t.replace("ed25519:", "ed25519:x"), "public_key"),
        (lambda t: t.replace("max_age_seconds = 86400", "max_age_seconds = 0"), "max_age_seconds"),
        (lambda t: "[[", None),
    ],
    ids=["unknown-key", "quorum", "version", "root-key", "max-age", "not-toml"],
)
def test_trust_policy_file_is_strict(world: World, change, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyFileInvalid) as err:
        parse_trust_policy(change(format_trust_policy(world.policy())))
    if field is not None:
        assert err.value.field == field
