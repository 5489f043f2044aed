"""Errors of the origin transparency log.

Verification fails closed: a proof, signature or checkpoint that does not check out
raises ``VerificationFailed`` (with every reason found), never returns False to a caller
that might forget to look. Malformed text (a note, a checkpoint, a witness request)
raises a parse error naming the field and the value. The witness errors carry the HTTP
status the C2SP tlog-witness protocol prescribes, so the HTTP adapter needs no table.
"""

from __future__ import annotations

from typing import ClassVar

from smartcustoms.errors import (
    Conflict,
    IntegrityViolation,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SmartCustomsError,
)


def shown(value: object, limit: int = 80) -> object:
    """A value short enough to put in a message."""
    if isinstance(value, bytes | str) and len(value) > limit:
        return value[: limit - 3] + ("..." if isinstance(value, str) else b"...")
    return value


class NoteInvalid(InvalidInput):
    """A signed note, signature line or verifier key is not well formed."""

    code = "note-invalid"
    title = "The signed note is not well formed"


class CheckpointInvalid(InvalidInput):
    """A checkpoint body does not follow C2SP tlog-checkpoint."""

    code = "checkpoint-invalid"
    title = "The checkpoint is not well formed"


class EntryInvalid(InvalidInput):
    """A statement the log refuses to sequence (too long, not canonical JSON)."""

    code = "log-entry-invalid"
    title = "The log entry is not acceptable"


class VerificationFailed(SmartCustomsError):
    """A signature, proof or policy check failed; ``reasons`` lists every failure."""

    code = "origin-verification-failed"
    title = "Verification failed"
    http_status = 422
    exit_code = 10

    def __init__(self, detail: str, *, reasons: list[str] | None = None) -> None:
        super().__init__(detail)
        self.reasons = list(reasons or [detail])


class ProofInvalid(VerificationFailed):
    """An inclusion or consistency proof does not verify."""

    code = "proof-invalid"
    title = "The Merkle proof does not verify"


class QuorumNotReached(VerificationFailed):
    """Fewer trusted witnesses cosigned than the trust policy requires."""

    code = "witness-quorum-not-reached"
    title = "Not enough witness cosignatures"


class LogCorrupted(IntegrityViolation):
    """Committed log files do not match the committed checkpoint."""

    code = "log-corrupted"
    title = "The log files do not match the committed checkpoint"


class LogLocked(Conflict):
    """Another sequencer already holds this log directory."""

    code = "log-locked"
    title = "The log is held by another sequencer"


class TileMissing(NotFound):
    """A tile or entry bundle the tree size requires is not available."""

    code = "tile-missing"
    title = "A log tile is missing"


# --- C2SP tlog-witness add-checkpoint outcomes ------------------------------------------


class WitnessError(SmartCustomsError):
    """Base of the add-checkpoint refusals; ``http_status`` is the one the spec names."""

    code: ClassVar[str] = "witness-error"


class WitnessRequestInvalid(WitnessError):
    code = "witness-request-invalid"
    title = "The add-checkpoint request is malformed"
    http_status = 400
    exit_code = 2


class WitnessUnknownLog(WitnessError, NotFound):
    code = "witness-unknown-log"
    title = "The witness does not follow this log"
    http_status = 404


class WitnessSignatureInvalid(WitnessError, PermissionDenied):
    code = "witness-signature-invalid"
    title = "No trusted log signature on the checkpoint"
    http_status = 403


class WitnessSizeConflict(WitnessError, Conflict):
    """The old size is not the witness's latest size; ``latest_size`` tells the client."""

    code = "witness-size-conflict"
    title = "The old size does not match the witness's latest checkpoint"
    http_status = 409

    def __init__(self, detail: str, *, latest_size: int) -> None:
        super().__init__(detail)
        self.latest_size = latest_size


class WitnessRootConflict(WitnessError, Conflict):
    code = "witness-root-conflict"
    title = "Same tree size, different root: the log forked"
    http_status = 409


class WitnessProofInvalid(WitnessError):
    code = "witness-consistency-proof-invalid"
    title = "The consistency proof does not verify"
    http_status = 422
