"""Certificates of origin without a blockchain: the transparency-log core.

Statements (canonical JSON bytes) are sequenced into an append-only Merkle log (RFC
9162 hashing) stored as C2SP tlog-tiles; checkpoints are C2SP signed notes; partner
administrations run witnesses (C2SP tlog-witness, tlog-cosignature) and mirrors; a
``TrustPolicy`` decides offline whether a checkpoint is trustworthy. Pure library: no
database, HTTP or CLI here.
"""

from smartcustoms.origin.checkpoint import Checkpoint, parse_checkpoint
from smartcustoms.origin.cosignature import CosignatureSigner, CosignatureVerifier
from smartcustoms.origin.errors import (
    CheckpointInvalid,
    EntryInvalid,
    LogCorrupted,
    LogLocked,
    NoteInvalid,
    ProofInvalid,
    QuorumNotReached,
    TileMissing,
    VerificationFailed,
    WitnessError,
    WitnessProofInvalid,
    WitnessRequestInvalid,
    WitnessRootConflict,
    WitnessSignatureInvalid,
    WitnessSizeConflict,
    WitnessUnknownLog,
)
from smartcustoms.origin.log import Sequencer
from smartcustoms.origin.merkle import (
    hash_leaf,
    prove_consistency,
    prove_inclusion,
    verify_consistency,
    verify_inclusion,
)
from smartcustoms.origin.mirror import Mirror
from smartcustoms.origin.note import Ed25519Signer, Ed25519Verifier, Note, open_note, parse_note
from smartcustoms.origin.policy import TrustPolicy, verify_checkpoint
from smartcustoms.origin.publish import collect_cosignatures, cosign_for_publication
from smartcustoms.origin.tiles import DirectoryTiles, TileCache, TileHashReader
from smartcustoms.origin.witness import (
    AddCheckpointRequest,
    Witness,
    parse_add_checkpoint,
)

__all__ = [
    "AddCheckpointRequest",
    "Checkpoint",
    "CheckpointInvalid",
    "CosignatureSigner",
    "CosignatureVerifier",
    "DirectoryTiles",
    "Ed25519Signer",
    "Ed25519Verifier",
    "EntryInvalid",
    "LogCorrupted",
    "LogLocked",
    "Mirror",
    "Note",
    "NoteInvalid",
    "ProofInvalid",
    "QuorumNotReached",
    "Sequencer",
    "TileCache",
    "TileHashReader",
    "TileMissing",
    "TrustPolicy",
    "VerificationFailed",
    "Witness",
    "WitnessError",
    "WitnessProofInvalid",
    "WitnessRequestInvalid",
    "WitnessRootConflict",
    "WitnessSignatureInvalid",
    "WitnessSizeConflict",
    "WitnessUnknownLog",
    "collect_cosignatures",
    "cosign_for_publication",
    "hash_leaf",
    "open_note",
    "parse_add_checkpoint",
    "parse_checkpoint",
    "parse_note",
    "prove_consistency",
    "prove_inclusion",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
]
