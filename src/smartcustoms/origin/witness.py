"""A witness a partner administration runs (C2SP tlog-witness ``add-checkpoint``).

The witness keeps, per log origin, the size and root of the latest checkpoint it
cosigned, in a small JSON file replaced atomically. It cosigns a new checkpoint only if
a trusted log key signed it and a consistency proof links it to that record, so two
forks of one log cannot both collect its cosignature: that is what defeats a split view.

The request and response bodies are the spec's text formats; the HTTP adapter will only
map the exceptions (each carries the spec's status) and move bytes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from smartcustoms.origin._atomic import write_file_durably
from smartcustoms.origin.checkpoint import parse_checkpoint
from smartcustoms.origin.cosignature import CosignatureSigner
from smartcustoms.origin.errors import (
    CheckpointInvalid,
    LogCorrupted,
    NoteInvalid,
    ProofInvalid,
    VerificationFailed,
    WitnessProofInvalid,
    WitnessRequestInvalid,
    WitnessRootConflict,
    WitnessSignatureInvalid,
    WitnessSizeConflict,
    WitnessUnknownLog,
    shown,
)
from smartcustoms.origin.merkle import HASH_SIZE, verify_consistency
from smartcustoms.origin.note import (
    Note,
    NoteSignature,
    Verifier,
    b64decode_strict,
    b64encode,
    open_note,
    parse_note,
    parse_signature_line,
)

MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"


@dataclass(frozen=True, slots=True)
class AddCheckpointRequest:
    """``old <size>``, the consistency proof, and the signed checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def body(self) -> bytes:
        lines = [f"old {self.old_size}\n", *(b64encode(h) + "\n" for h in self.proof), "\n"]
        return ("".join(lines) + self.checkpoint).encode()


def _bad_request(message: str, value: object) -> WitnessRequestInvalid:
    return WitnessRequestInvalid(message, field="body", value=shown(value))


def parse_add_checkpoint(body: bytes) -> AddCheckpointRequest:
    """Parse an add-checkpoint request body strictly (malformed -> 400)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_request("request body must be UTF-8", body) from exc
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        # With an empty proof the blank line directly follows the old size line.
        raise _bad_request("request needs an empty line before the checkpoint", text)
    lines = head.split("\n")
    old_line, proof_lines = lines[0], lines[1:]
    digits = old_line[4:]
    if (
        not old_line.startswith("old ")
        or not digits.isascii()
        or not digits.isdigit()
        or (digits.startswith("0") and digits != "0")
    ):
        raise _bad_request(f"first line must be 'old <size>'; got {shown(old_line)!r}", old_line)
    if len(proof_lines) > MAX_PROOF_LINES:
        raise _bad_request(f"at most {MAX_PROOF_LINES} proof lines; got {len(proof_lines)}", None)
    proof = []
    for i, line in enumerate(proof_lines):
        try:
            raw = b64decode_strict(line, f"proof[{i}]")
        except NoteInvalid as exc:
            raise _bad_request(exc.detail, line) from exc
        if len(raw) != HASH_SIZE:
            raise _bad_request(f"proof[{i}] must be a {HASH_SIZE}-byte hash", line)
        proof.append(raw)
    return AddCheckpointRequest(int(digits), tuple(proof), checkpoint)


def format_cosignature_response(signatures: Sequence[NoteSignature]) -> bytes:
    return "".join(s.line() for s in signatures).encode()


def parse_cosignature_response(body: bytes) -> list[NoteSignature]:
    text = body.decode("utf-8", errors="strict")
    if not text.endswith("\n"):
        raise NoteInvalid("cosignature response must end with a newline", field="body")
    return [parse_signature_line(line) for line in text[:-1].split("\n")]


def format_size_conflict(latest_size: int) -> bytes:
    return f"{latest_size}\n".encode()


@dataclass(frozen=True, slots=True)
class _Seen:
    size: int
    root_hash: bytes


class Witness:
    """Cosigns checkpoints of the logs it follows, never two inconsistent ones.

    ``logs`` maps each followed origin to the log keys trusted for it; ``clock`` gives
    the time put into cosignatures (injected, so tests need no patching).
    """

    def __init__(
        self,
        signer: CosignatureSigner,
        logs: Mapping[str, Sequence[Verifier]],
        state_path: Path | str,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        if not logs:
            raise ValueError("a witness must follow at least one log")
        self.signer = signer
        self.logs = {origin: list(keys) for origin, keys in logs.items()}
        self.state_path = Path(state_path)
        self.clock = clock
        # One lock around check-and-persist: two requests racing must not roll back a
        # size (the race the spec describes).
        self._lock = threading.Lock()
        self._seen = self._load()

    def _load(self) -> dict[str, _Seen]:
        if not self.state_path.exists():
            return {}
        try:
            data = json.loads(self.state_path.read_text("utf-8"))
            return {
                origin: _Seen(int(v["size"]), b64decode_strict(v["root_hash"], "root_hash"))
                for origin, v in data["logs"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError, NoteInvalid) as exc:
            raise LogCorrupted(f"witness state {self.state_path} is unreadable: {exc}") from exc

    def _persist(self, seen: dict[str, _Seen]) -> None:
        data = {
            "version": 1,
            "logs": {
                origin: {"size": s.size, "root_hash": b64encode(s.root_hash)}
                for origin, s in sorted(seen.items())
            },
        }
        write_file_durably(self.state_path, (json.dumps(data, indent=1) + "\n").encode())

    def latest_size(self, origin: str) -> int:
        seen = self._seen.get(origin)
        return seen.size if seen else 0

    def add_checkpoint(self, request: AddCheckpointRequest) -> list[NoteSignature]:
        """The add-checkpoint call: cosignature lines, or the spec's refusal."""
        try:
            note = parse_note(request.checkpoint)
            checkpoint = parse_checkpoint(note.text)
        except (NoteInvalid, CheckpointInvalid) as exc:
            raise WitnessRequestInvalid(f"checkpoint is malformed: {exc.detail}") from exc
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            raise WitnessUnknownLog(f"this witness does not follow {checkpoint.origin!r}")
        try:
            open_note(note, keys)
        except VerificationFailed as exc:
            raise WitnessSignatureInvalid(exc.detail) from exc
        if request.old_size > checkpoint.size:
            raise WitnessRequestInvalid(
                f"old size {request.old_size} exceeds the checkpoint size {checkpoint.size}",
                field="old",
                value=request.old_size,
            )
        with self._lock:
            seen = self._seen.get(checkpoint.origin, _Seen(0, b""))
            if request.old_size != seen.size:
                raise WitnessSizeConflict(
                    f"the latest cosigned size of {checkpoint.origin} is {seen.size}, "
                    f"not {request.old_size}",
                    latest_size=seen.size,
                )
            if seen.size == checkpoint.size:
                if request.proof:
                    raise WitnessProofInvalid("a proof between equal sizes must be empty")
                if seen.root_hash != checkpoint.root_hash:
                    raise WitnessRootConflict(
                        f"{checkpoint.origin} size {seen.size} was cosigned with another root"
                    )
            elif seen.size == 0:
                if request.proof:
                    raise WitnessProofInvalid("the proof from size 0 must be empty")
            else:
                try:
                    verify_consistency(
                        seen.size,
                        checkpoint.size,
                        seen.root_hash,
                        checkpoint.root_hash,
                        request.proof,
                    )
                except ProofInvalid as exc:
                    raise WitnessProofInvalid(
                        f"{checkpoint.origin}: not consistent with size {seen.size}: {exc.detail}"
                    ) from exc
            updated = dict(self._seen)
            updated[checkpoint.origin] = _Seen(checkpoint.size, checkpoint.root_hash)
            self._persist(updated)  # persist before answering, as the spec requires
            self._seen = updated
            timestamp = int(self.clock().timestamp())
            return [self.signer.cosign(note.text, timestamp)]


def cosigned(note: Note, response: Sequence[NoteSignature]) -> Note:
    """The checkpoint note with a witness's cosignature lines added."""
    return note.with_signatures(response)
