"""Trust policy for checkpoints: the log key, witness keys, a quorum and a maximum age.

``verify_checkpoint`` is the one door a verifier (a customs officer's console, an
offline bundle check) goes through: it returns the checkpoint only when the log signed
it and at least ``quorum`` distinct trusted witnesses cosigned it recently enough.
Everything else raises, listing every reason, so a partial pass cannot be mistaken for
a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from smartcustoms.origin.checkpoint import Checkpoint, parse_checkpoint
from smartcustoms.origin.cosignature import CosignatureVerifier, cosignature_timestamp
from smartcustoms.origin.errors import (
    CheckpointInvalid,
    NoteInvalid,
    QuorumNotReached,
    VerificationFailed,
)
from smartcustoms.origin.note import Ed25519Verifier, Note, parse_note

DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """Build with ``TrustPolicy.create``, which refuses a policy that can never pass.

    ``registry_roots`` are the administration root keys that sign issuer statements;
    only certificate verification needs them (a checkpoint check does not).
    """

    log_origin: str
    log_keys: tuple[Ed25519Verifier, ...]
    witnesses: tuple[CosignatureVerifier, ...]
    quorum: int
    max_age: timedelta | None
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW
    registry_roots: tuple[Ed25519PublicKey, ...] = ()

    @classmethod
    def create(
        cls,
        *,
        log_origin: str,
        log_keys: Sequence[Ed25519Verifier],
        witnesses: Sequence[CosignatureVerifier],
        quorum: int,
        max_age: timedelta | None = None,
        clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
        registry_roots: Sequence[Ed25519PublicKey] = (),
    ) -> TrustPolicy:
        if not log_keys:
            raise ValueError("log_keys must hold at least one key")
        names = [(w.name, w.key_id) for w in witnesses]
        if len(set(names)) != len(names):
            raise ValueError("witnesses must be distinct keys")
        if not 1 <= quorum <= len(witnesses):
            raise ValueError(
                f"quorum must be 1 to the number of witnesses ({len(witnesses)}); got {quorum}"
            )
        if max_age is not None and max_age <= timedelta(0):
            raise ValueError(f"max_age must be positive; got {max_age}")
        return cls(
            log_origin,
            tuple(log_keys),
            tuple(witnesses),
            quorum,
            max_age,
            clock_skew,
            tuple(registry_roots),
        )


def _count_witnesses(
    note: Note, policy: TrustPolicy, now: datetime, fatal: list[str], uncounted: list[str]
) -> set[tuple[str, int]]:
    """The trusted witnesses whose cosignature counts.

    A cosignature by a trusted key that does not verify is fatal (the note spec says to
    reject such a note); a stale or future-dated one merely does not count.
    """
    by_slot = {(w.name, w.key_id): w for w in policy.witnesses}
    text = note.text.encode()
    counted: set[tuple[str, int]] = set()
    for sig in note.signatures:
        slot = (sig.name, sig.key_id)
        witness = by_slot.get(slot)
        if witness is None:
            continue
        if not witness.verify(text, sig.signature):
            fatal.append(f"cosignature by {sig.name} does not verify")
            continue
        signed_at = datetime.fromtimestamp(cosignature_timestamp(sig.signature), tz=now.tzinfo)
        if signed_at > now + policy.clock_skew:
            uncounted.append(f"cosignature by {sig.name} is dated in the future ({signed_at})")
        elif policy.max_age is not None and now - signed_at > policy.max_age:
            uncounted.append(
                f"cosignature by {sig.name} is older than {policy.max_age} ({signed_at})"
            )
        else:
            counted.add(slot)
    return counted


def verify_checkpoint(
    data: str | bytes | Note, policy: TrustPolicy, *, now: datetime
) -> Checkpoint:
    """The checkpoint, if the policy's log signed it and its witness quorum cosigned it."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        note = data if isinstance(data, Note) else parse_note(data)
        checkpoint = parse_checkpoint(note.text)
    except (NoteInvalid, CheckpointInvalid) as exc:
        raise VerificationFailed(f"checkpoint is malformed: {exc.detail}") from exc
    fatal: list[str] = []
    if checkpoint.origin != policy.log_origin:
        fatal.append(f"origin is {checkpoint.origin!r}, the policy trusts {policy.log_origin!r}")
    log_slots = {(k.name, k.key_id): k for k in policy.log_keys}
    log_signed = False
    for sig in note.signatures:
        key = log_slots.get((sig.name, sig.key_id))
        if key is None:
            continue
        if key.verify(note.text.encode(), sig.signature):
            log_signed = True
        else:
            fatal.append(f"log signature by {sig.name} does not verify")
    if not log_signed:
        fatal.append("no valid signature by the log key")
    uncounted: list[str] = []
    counted = _count_witnesses(note, policy, now, fatal, uncounted)
    if fatal:
        reasons = fatal + uncounted
        raise VerificationFailed("; ".join(reasons), reasons=reasons)
    if len(counted) < policy.quorum:
        reasons = [
            *uncounted,
            f"{len(counted)} of the required {policy.quorum} witness cosignatures",
        ]
        raise QuorumNotReached("; ".join(reasons), reasons=reasons)
    return checkpoint
