"""Witnesses (C2SP tlog-witness add-checkpoint, tlog-cosignature v1) and trust policy,
ending with the split-view scenario the witnesses exist to catch."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from smartcustoms.origin.checkpoint import Checkpoint
from smartcustoms.origin.cosignature import (
    CosignatureSigner,
    CosignatureVerifier,
    cosignature_timestamp,
    cosigned_message,
)
from smartcustoms.origin.errors import (
    NoteInvalid,
    QuorumNotReached,
    VerificationFailed,
    WitnessProofInvalid,
    WitnessRequestInvalid,
    WitnessRootConflict,
    WitnessSignatureInvalid,
    WitnessSizeConflict,
    WitnessUnknownLog,
)
from smartcustoms.origin.merkle import MemoryHashes, prove_consistency, tree_root_from
from smartcustoms.origin.note import (
    Ed25519Signer,
    Ed25519Verifier,
    parse_note,
    parse_signature_line,
    sign_note,
)
from smartcustoms.origin.policy import TrustPolicy, verify_checkpoint
from smartcustoms.origin.publish import collect_cosignatures, cosign_for_publication
from smartcustoms.origin.witness import (
    AddCheckpointRequest,
    Witness,
    format_cosignature_response,
    parse_add_checkpoint,
    parse_cosignature_response,
)

from .conftest import NOW, ORIGIN
from .vectors import (
    C2SP_ADD_CHECKPOINT_BODY,
    C2SP_CHECKPOINT_TEXT,
    C2SP_COSIGNATURE,
    C2SP_COSIGNATURE_TIME,
)


class FakeLog:
    """A log in memory: leaves, signed checkpoints, proofs. Can be forked."""

    def __init__(self, signer: Ed25519Signer, leaves: list[bytes]) -> None:
        self.signer = signer
        self.leaves = list(leaves)

    def fork(self, at: int, extra: list[bytes]) -> FakeLog:
        return FakeLog(self.signer, self.leaves[:at] + extra)

    def note(self, size: int | None = None) -> str:
        size = len(self.leaves) if size is None else size
        root = tree_root_from(MemoryHashes.from_entries(self.leaves), size)
        return sign_note(Checkpoint.create(ORIGIN, size, root).text(), [self.signer])

    def prove(self, old: int, new: int) -> list[bytes]:
        return prove_consistency(MemoryHashes.from_entries(self.leaves[:new]), old, new)

    def request(self, old: int, size: int | None = None) -> AddCheckpointRequest:
        size = len(self.leaves) if size is None else size
        return AddCheckpointRequest(old, tuple(self.prove(old, size)), self.note(size))


@pytest.fixture
def log(log_signer: Ed25519Signer) -> FakeLog:
    return FakeLog(log_signer, [f"entry {i}".encode() for i in range(20)])


def make_witness(
    name: str, log_signer: Ed25519Signer, tmp_path: Path, clock: Callable[[], datetime]
) -> Witness:
    return Witness(
        CosignatureSigner.generate(name),
        {ORIGIN: [log_signer.verifier()]},
        tmp_path / f"{name.replace('/', '_')}.json",
        clock=clock,
    )


@pytest.fixture
def witness(log_signer: Ed25519Signer, tmp_path: Path, clock: Callable[[], datetime]) -> Witness:
    return make_witness("w1.partner.example/witness", log_signer, tmp_path, clock)


class TestWireFormats:
    def test_spec_request_body_parses_and_formats_back(self) -> None:
        request = parse_add_checkpoint(C2SP_ADD_CHECKPOINT_BODY.encode())
        assert request.old_size == 20852014
        assert len(request.proof) == 4
        assert request.checkpoint.startswith(C2SP_CHECKPOINT_TEXT)
        assert len(parse_note(request.checkpoint).signatures) == 2
        assert request.body() == C2SP_ADD_CHECKPOINT_BODY.encode()

    def test_request_with_empty_proof(self, log: FakeLog) -> None:
        request = log.request(0)
        assert request.body().startswith(b"old 0\n\n")
        assert parse_add_checkpoint(request.body()) == request

    @pytest.mark.parametrize(
        "body",
        [
            b"old 01\n\nx",
            b"old -1\n\nx",
            b"old 5\nnot base64\n\nx",
            b"old 5\nAAAA\n\nx",  # not a 32-byte hash
            b"old 5",
            b"new 5\n\nx",
            b"\xff\n\n",
        ],
    )
    def test_malformed_request_bodies_are_400(self, body: bytes) -> None:
        with pytest.raises(WitnessRequestInvalid) as caught:
            parse_add_checkpoint(body)
        assert caught.value.http_status == 400

    def test_too_many_proof_lines(self) -> None:
        body = b"old 5\n" + b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + b"\nx"
        with pytest.raises(WitnessRequestInvalid, match="at most 63"):
            parse_add_checkpoint(body)

    def test_spec_cosignature_line_carries_its_timestamp(self) -> None:
        sig = parse_signature_line(C2SP_COSIGNATURE.rstrip("\n"))
        assert sig.name == "witness.example.com/w1"
        assert cosignature_timestamp(sig.signature) == C2SP_COSIGNATURE_TIME
        assert parse_cosignature_response(C2SP_COSIGNATURE.encode()) == [sig]
        assert format_cosignature_response([sig]) == C2SP_COSIGNATURE.encode()

    def test_signed_message_is_header_time_and_note_text(self) -> None:
        assert cosigned_message(C2SP_CHECKPOINT_TEXT, C2SP_COSIGNATURE_TIME) == (
            b"cosignature/v1\ntime 1679315147\n" + C2SP_CHECKPOINT_TEXT.encode()
        )

    def test_cosignature_key_id_uses_type_0x04(self) -> None:
        signer = CosignatureSigner.generate("w.example")
        verifier = CosignatureVerifier.from_vkey(signer.verifier().vkey)
        assert verifier.key_id == signer.key_id
        assert base64.b64decode(verifier.vkey.split("+", 2)[2])[0] == 0x04
        with pytest.raises(NoteInvalid, match="type byte 0x01"):
            Ed25519Verifier.from_vkey(verifier.vkey)


class TestAddCheckpoint:
    def test_first_checkpoint_is_cosigned_and_persisted(
        self, witness: Witness, log: FakeLog, tmp_path: Path, clock: Callable[[], datetime]
    ) -> None:
        signatures = witness.add_checkpoint(log.request(0, 10))
        note = parse_note(log.note(10)).with_signatures(signatures)
        verifier = witness.signer.verifier()
        assert verifier.verify(note.text.encode(), signatures[0].signature)
        assert cosignature_timestamp(signatures[0].signature) == int(NOW.timestamp())
        reopened = Witness(witness.signer, witness.logs, witness.state_path, clock=clock)
        assert reopened.latest_size(ORIGIN) == 10

    def test_consistent_growth_is_cosigned(self, witness: Witness, log: FakeLog) -> None:
        witness.add_checkpoint(log.request(0, 10))
        witness.add_checkpoint(log.request(10, 20))
        witness.add_checkpoint(log.request(20, 20))  # same checkpoint again: fine
        assert witness.latest_size(ORIGIN) == 20

    def test_unknown_origin_is_404(self, witness: Witness, tmp_path: Path) -> None:
        other = FakeLog(Ed25519Signer.generate("other.example/log"), [b"x"])
        request = AddCheckpointRequest(
            0,
            (),
            sign_note(Checkpoint.create("other.example/log", 1, bytes(32)).text(), [other.signer]),
        )
        with pytest.raises(WitnessUnknownLog) as caught:
            witness.add_checkpoint(request)
        assert caught.value.http_status == 404

    def test_untrusted_signature_is_403(self, witness: Witness, log: FakeLog) -> None:
        impostor = FakeLog(Ed25519Signer.generate(ORIGIN), log.leaves)
        with pytest.raises(WitnessSignatureInvalid) as caught:
            witness.add_checkpoint(impostor.request(0))
        assert caught.value.http_status == 403

    def test_old_size_beyond_checkpoint_is_400(self, witness: Witness, log: FakeLog) -> None:
        with pytest.raises(WitnessRequestInvalid):
            witness.add_checkpoint(AddCheckpointRequest(30, (), log.note(20)))

    def test_wrong_old_size_is_409_with_latest_size(self, witness: Witness, log: FakeLog) -> None:
        witness.add_checkpoint(log.request(0, 10))
        with pytest.raises(WitnessSizeConflict) as caught:
            witness.add_checkpoint(log.request(5, 20))
        assert caught.value.latest_size == 10
        assert caught.value.http_status == 409

    def test_bad_proof_is_422_and_state_unchanged(self, witness: Witness, log: FakeLog) -> None:
        witness.add_checkpoint(log.request(0, 10))
        request = log.request(10, 20)
        broken = AddCheckpointRequest(10, request.proof[:-1], request.checkpoint)
        with pytest.raises(WitnessProofInvalid) as caught:
            witness.add_checkpoint(broken)
        assert caught.value.http_status == 422
        assert witness.latest_size(ORIGIN) == 10

    def test_nonempty_proof_from_zero_is_422(self, witness: Witness, log: FakeLog) -> None:
        request = log.request(0, 10)
        with pytest.raises(WitnessProofInvalid):
            witness.add_checkpoint(AddCheckpointRequest(0, (bytes(32),), request.checkpoint))

    def test_same_size_other_root_is_409(self, witness: Witness, log: FakeLog) -> None:
        witness.add_checkpoint(log.request(0, 10))
        fork = log.fork(9, [b"forged"])
        with pytest.raises(WitnessRootConflict):
            witness.add_checkpoint(fork.request(10, 10))


class TestTrustPolicy:
    @pytest.fixture
    def witnesses(
        self, log_signer: Ed25519Signer, tmp_path: Path, clock: Callable[[], datetime]
    ) -> list[Witness]:
        return [
            make_witness(f"w{i}.partner.example", log_signer, tmp_path, clock) for i in range(3)
        ]

    def policy(
        self,
        log_signer: Ed25519Signer,
        witnesses: list[Witness],
        quorum: int,
        max_age: timedelta | None = None,
    ) -> TrustPolicy:
        return TrustPolicy.create(
            log_origin=ORIGIN,
            log_keys=[log_signer.verifier()],
            witnesses=[w.signer.verifier() for w in witnesses],
            quorum=quorum,
            max_age=max_age,
        )

    def cosigned(self, log: FakeLog, witnesses: list[Witness]) -> str:
        note = parse_note(log.note())
        for w in witnesses:
            note = note.with_signatures(w.add_checkpoint(log.request(0)))
        return note.format()

    def test_quorum_met(
        self, log_signer: Ed25519Signer, log: FakeLog, witnesses: list[Witness]
    ) -> None:
        text = self.cosigned(log, witnesses[:2])
        checkpoint = verify_checkpoint(text, self.policy(log_signer, witnesses, 2), now=NOW)
        assert checkpoint.size == 20

    def test_quorum_missed_lists_reasons(
        self, log_signer: Ed25519Signer, log: FakeLog, witnesses: list[Witness]
    ) -> None:
        text = self.cosigned(log, witnesses[:1])
        with pytest.raises(QuorumNotReached, match="1 of the required 2"):
            verify_checkpoint(text, self.policy(log_signer, witnesses, 2), now=NOW)

    def test_stale_cosignatures_do_not_count(
        self, log_signer: Ed25519Signer, log: FakeLog, witnesses: list[Witness]
    ) -> None:
        text = self.cosigned(log, witnesses[:2])
        policy = self.policy(log_signer, witnesses, 2, max_age=timedelta(hours=1))
        verify_checkpoint(text, policy, now=NOW + timedelta(minutes=59))
        with pytest.raises(QuorumNotReached, match="older than"):
            verify_checkpoint(text, policy, now=NOW + timedelta(hours=2))
        with pytest.raises(QuorumNotReached, match="in the future"):
            verify_checkpoint(text, policy, now=NOW - timedelta(hours=1))

    def test_missing_log_signature_fails_closed(
        self, log_signer: Ed25519Signer, log: FakeLog, witnesses: list[Witness]
    ) -> None:
        note = parse_note(self.cosigned(log, witnesses))
        cosigs_only = type(note)(note.text, note.signatures[1:]).format()
        with pytest.raises(VerificationFailed, match="no valid signature by the log key"):
            verify_checkpoint(cosigs_only, self.policy(log_signer, witnesses, 1), now=NOW)

    def test_a_forged_cosignature_fails_closed(
        self, log_signer: Ed25519Signer, log: FakeLog, witnesses: list[Witness]
    ) -> None:
        note = parse_note(self.cosigned(log, witnesses))
        forged = type(note.signatures[1])(
            note.signatures[1].name, note.signatures[1].key_id, bytes(72)
        )
        text = type(note)(note.text, (*note.signatures, forged)).format()
        with pytest.raises(VerificationFailed, match="does not verify"):
            verify_checkpoint(text, self.policy(log_signer, witnesses, 1), now=NOW)

    def test_policies_that_can_never_pass_are_refused(
        self, log_signer: Ed25519Signer, witnesses: list[Witness]
    ) -> None:
        with pytest.raises(ValueError, match="quorum"):
            self.policy(log_signer, witnesses, 4)
        with pytest.raises(ValueError, match="quorum"):
            self.policy(log_signer, witnesses, 0)


def test_split_view_is_caught_by_the_witnesses(
    log_signer: Ed25519Signer, log: FakeLog, tmp_path: Path, clock: Callable[[], datetime]
) -> None:
    """The log shows fork A to witness 1 and fork B to witness 2. Each fork gets one
    cosignature; when the log then asks the other witness, consistency fails, and a
    quorum-2 policy publishes neither fork."""
    w1 = make_witness("w1.partner.example", log_signer, tmp_path, clock)
    w2 = make_witness("w2.partner.example", log_signer, tmp_path, clock)
    policy = TrustPolicy.create(
        log_origin=ORIGIN,
        log_keys=[log_signer.verifier()],
        witnesses=[w1.signer.verifier(), w2.signer.verifier()],
        quorum=2,
    )
    # Both witnesses saw the honest history up to 10.
    honest = log.fork(10, [])
    for w in (w1, w2):
        w.add_checkpoint(honest.request(0))

    fork_a = log.fork(10, [b"A: certificate CO-1 revoked"] * 5)
    fork_b = log.fork(10, [b"B: certificate CO-1 still valid"] * 5)
    a_cosig = w1.add_checkpoint(fork_a.request(10))
    b_cosig = w2.add_checkpoint(fork_b.request(10))

    # The second request for each fork fails: same size, different root (409)...
    with pytest.raises(WitnessRootConflict):
        w2.add_checkpoint(fork_a.request(15))
    # ... and a larger fork A cannot be proven consistent with what w2 saw (422).
    fork_a_grown = fork_a.fork(15, [b"A: more"])
    with pytest.raises(WitnessProofInvalid):
        w2.add_checkpoint(fork_a_grown.request(15))

    for fork, cosig in ((fork_a, a_cosig), (fork_b, b_cosig)):
        text = parse_note(fork.note()).with_signatures(cosig).format()
        with pytest.raises(QuorumNotReached, match="1 of the required 2"):
            verify_checkpoint(text, policy, now=NOW)

    # The publishing helper reaches the same verdict and names the refusal.
    sizes: dict[str, int] = {}
    with pytest.raises(QuorumNotReached, match=r"w2\.partner\.example refused"):
        cosign_for_publication(
            fork_a_grown.note(),
            {"w1.partner.example": w1, "w2.partner.example": w2},
            fork_a_grown.prove,
            sizes,
            policy,
            now=NOW,
        )


def test_collect_learns_sizes_from_conflicts(
    log_signer: Ed25519Signer, log: FakeLog, witness: Witness
) -> None:
    witness.add_checkpoint(log.request(0, 10))
    sizes: dict[str, int] = {}  # the log forgot: first request says old 0, gets 409 10
    outcome = collect_cosignatures(log.note(), {"w1": witness}, log.prove, sizes)
    assert outcome.cosigned_by == ["w1"]
    assert sizes == {"w1": 20}
    assert len(parse_note(outcome.note).signatures) == 2
