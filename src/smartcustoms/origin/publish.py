"""Collect witness cosignatures for a log checkpoint and publish it at quorum.

The log asks each witness with the size it believes that witness last cosigned; a
``WitnessSizeConflict`` tells it the real one and it asks once more with a proof from
there. A checkpoint is published (``Sequencer.publish``) only when ``verify_checkpoint``
passes under the trust policy, so a forked log, which honest witnesses refuse to
cosign twice, cannot publish either fork to a policy with a quorum of them.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from smartcustoms.origin.checkpoint import Checkpoint, parse_checkpoint
from smartcustoms.origin.errors import (
    QuorumNotReached,
    VerificationFailed,
    WitnessError,
    WitnessSizeConflict,
)
from smartcustoms.origin.note import NoteSignature, parse_note
from smartcustoms.origin.policy import TrustPolicy, verify_checkpoint
from smartcustoms.origin.witness import AddCheckpointRequest


class WitnessEndpoint(Protocol):
    """A witness as the log sees it: in-process ``Witness`` today, HTTP client later."""

    def add_checkpoint(self, request: AddCheckpointRequest) -> list[NoteSignature]: ...


ProveConsistency = Callable[[int, int], Sequence[bytes]]


@dataclass
class CosigningOutcome:
    """The checkpoint with the cosignatures gathered, and each witness's refusal."""

    note: str
    cosigned_by: list[str] = field(default_factory=list)
    refusals: dict[str, WitnessError] = field(default_factory=dict)


def collect_cosignatures(
    note_text: str,
    witnesses: dict[str, WitnessEndpoint],
    prove_consistency: ProveConsistency,
    known_sizes: MutableMapping[str, int],
) -> CosigningOutcome:
    """Ask every witness to cosign; never raises for a refusal, records it instead.

    ``known_sizes`` (witness name -> size it last cosigned) is updated in place, so the
    next round starts from the right size without a conflict round trip.
    """
    note = parse_note(note_text)
    checkpoint: Checkpoint = parse_checkpoint(note.text)
    outcome = CosigningOutcome(note_text)
    gathered: list[NoteSignature] = []
    for name, witness in witnesses.items():
        old = min(known_sizes.get(name, 0), checkpoint.size)
        for attempt in range(2):
            request = AddCheckpointRequest(
                old, tuple(prove_consistency(old, checkpoint.size)), note_text
            )
            try:
                gathered.extend(witness.add_checkpoint(request))
            except WitnessSizeConflict as exc:
                if attempt == 0 and exc.latest_size <= checkpoint.size:
                    old = exc.latest_size
                    continue
                outcome.refusals[name] = exc
            except WitnessError as exc:
                outcome.refusals[name] = exc
            else:
                known_sizes[name] = checkpoint.size
                outcome.cosigned_by.append(name)
            break
    outcome.note = note.with_signatures(gathered).format()
    return outcome


def cosign_for_publication(
    note_text: str,
    witnesses: dict[str, WitnessEndpoint],
    prove_consistency: ProveConsistency,
    known_sizes: MutableMapping[str, int],
    policy: TrustPolicy,
    *,
    now: datetime,
) -> str:
    """The cosigned note if the policy's quorum is met; ``QuorumNotReached`` otherwise
    (with every witness's refusal among the reasons)."""
    outcome = collect_cosignatures(note_text, witnesses, prove_consistency, known_sizes)
    try:
        verify_checkpoint(outcome.note, policy, now=now)
    except VerificationFailed as exc:
        reasons = exc.reasons + [
            f"witness {name} refused: {err.title} ({err.detail})"
            for name, err in outcome.refusals.items()
        ]
        error = QuorumNotReached if isinstance(exc, QuorumNotReached) else VerificationFailed
        raise error("; ".join(reasons), reasons=reasons) from exc
    return outcome.note
