"""The certificate log service: signed statements in, status and evidence out.

``CertificateLog`` wraps the single-writer ``Sequencer`` and refuses, before anything
is sequenced, a statement the registry would not accept at the position it is about
to take: an issuer statement not signed by the administration's root key or in
conflict with the registry; an issue, amend or revoke statement by an issuer key not
valid then or outside the issuer's scope; a utilisation not signed by this
administration. The log stays a list of statements any verifier can replay to the same
conclusion.

Around it: the ``StatementIndex`` (rebuilt from the entries when stale), the issuer
``Registry`` replayed from the registry statements on open, and the queries a verifier
or officer asks: status of a certificate as of a size, the evidence for a bundle (the
entries filed under some keys, each with its inclusion proof, and the log-signed note
that they are all of them).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from smartcustoms.origin.checkpoint import Checkpoint, parse_checkpoint
from smartcustoms.origin.errors import EntryInvalid, TileMissing, VerificationFailed
from smartcustoms.origin.index_note import StatementIndexNote, sign_index_note
from smartcustoms.origin.issuers import Registry
from smartcustoms.origin.log import PUBLISHED_PATH, Sequencer
from smartcustoms.origin.merkle import prove_consistency, prove_inclusion, tree_root_from
from smartcustoms.origin.mirror import MIRRORED_PATH
from smartcustoms.origin.models import RegistryConflict, SignatureInvalid
from smartcustoms.origin.note import Ed25519Signer, open_note, parse_note
from smartcustoms.origin.signing import key_id
from smartcustoms.origin.statement_index import (
    REGISTRY_KEY,
    StatementIndex,
    digest_key,
    number_key,
)
from smartcustoms.origin.statements import (
    AmendStatement,
    IssuerAdded,
    IssuerRevoked,
    IssueStatement,
    KeyRevoked,
    KeyRotated,
    RevokeStatement,
    SignedStatement,
    UtilisationLedger,
    UtiliseStatement,
    canonical_bytes,
    parse_signed_statement,
    utilisation_ledger,
    verify_statement,
)
from smartcustoms.origin.status import CertificateStatus, fold_status
from smartcustoms.origin.tiles import (
    TILE_WIDTH,
    DirectoryTiles,
    TileCache,
    TileHashReader,
    read_bundle,
)

_REGISTRY_TYPES = IssuerAdded | KeyRotated | KeyRevoked | IssuerRevoked


@dataclasses.dataclass(frozen=True, slots=True)
class Evidence:
    """Entries (index, canonical bytes, inclusion proof) at ``size``, and the log's note
    that they are every entry filed under ``keys`` below that size."""

    size: int
    keys: tuple[str, ...]
    entries: tuple[tuple[int, bytes, tuple[bytes, ...]], ...]
    index_note: str | None  # None from a mirror: the verifier's own copy, complete


class CertificateLog:
    """The origin log of one administration. Use ``CertificateLog.open``."""

    def __init__(
        self, sequencer: Sequencer, root_keys: Sequence[Ed25519PublicKey], index: StatementIndex
    ) -> None:
        self.sequencer = sequencer
        self.root_keys = {key_id(k): k for k in root_keys}
        self.index = index
        self.registry = Registry(root_keys)
        self.unapplied: list[tuple[int, str]] = []  # registry entries the fold refused
        self._registry_position = -1

    @classmethod
    def open(
        cls,
        directory: Path | str,
        signer: Ed25519Signer,
        root_keys: Sequence[Ed25519PublicKey],
        *,
        origin: str | None = None,
        batch_size: int = 1024,
        cache: TileCache | None = None,
    ) -> CertificateLog:
        sequencer = Sequencer.open(
            directory, signer, origin=origin, batch_size=batch_size, cache=cache
        )
        try:
            size = sequencer.checkpoint.size
            index = StatementIndex.open(directory, sequencer.source, size)
            log = cls(sequencer, root_keys, index)
            log._apply_registry(index.lookup(REGISTRY_KEY))
        except BaseException:
            sequencer.close()
            raise
        return log

    # --- appending -------------------------------------------------------------------

    @property
    def next_position(self) -> int:
        return self.sequencer.checkpoint.size + self.sequencer.pending

    def append(self, signed: SignedStatement) -> int:
        """Check the statement against the registry at its future position, queue it,
        and return that position (durable after ``commit``)."""
        position = self.next_position
        st = signed.statement
        if isinstance(st, _REGISTRY_TYPES):
            self.registry.apply(signed, position)  # raises, changing nothing, on conflict
            self._registry_position = position
        elif isinstance(st, IssueStatement | AmendStatement | RevokeStatement):
            self.registry.check_certificate_statement(signed, position)
            self._check_certificate(st)
        elif isinstance(st, UtiliseStatement):
            root = self.root_keys.get(signed.signer)
            if root is None:
                raise SignatureInvalid(
                    "not-root-signed", "a utilisation is signed by this administration's root key"
                )
            verify_statement(signed, root)
        index = self.sequencer.append_statement(canonical_bytes(signed))
        if not self.sequencer.pending:  # the sequencer committed a full batch
            self._sync()
        return index

    def _check_certificate(self, st: IssueStatement | AmendStatement | RevokeStatement) -> None:
        """Issue once per digest; amend and revoke only what this issuer issued (as of the
        committed log: commit an issue before revoking it)."""
        if isinstance(st, IssueStatement | AmendStatement) and self._issued(st.digest) is not None:
            raise RegistryConflict(
                f"digest {st.digest} is already issued", field="digest", value=st.digest
            )
        target = st.supersedes if isinstance(st, AmendStatement) else None
        target = st.digest if isinstance(st, RevokeStatement) else target
        if target is None:
            return
        found = self._issued(target)
        if found is None or found[1].issuer_id != st.issuer_id:
            raise RegistryConflict(
                f"{st.type} names {target}, which {st.issuer_id!r} has not issued in this log",
                field="digest",
                value=target,
            )

    def _issued(self, digest: str) -> tuple[int, IssueStatement | AmendStatement] | None:
        for index in self.index.lookup(digest_key(digest)):
            st = self.read_statement(index).statement
            if isinstance(st, IssueStatement | AmendStatement) and st.digest == digest:
                return index, st
        return None

    def commit(self) -> str:
        """Make queued statements durable; returns the log-signed checkpoint note."""
        note = self.sequencer.commit_batch()
        self._sync()
        return note

    def _sync(self) -> None:
        new = self.index.catch_up(self.sequencer.source, self.sequencer.checkpoint.size)
        if new:
            self._apply_registry(self.index.lookup(REGISTRY_KEY, new[-1] + 1))

    def _apply_registry(self, positions: Iterable[int]) -> None:
        """Fold registry entries not applied yet (those written around this service)."""
        for position in positions:
            if position <= self._registry_position:
                continue
            try:
                self.registry.apply(self.read_statement(position), position)
            except (VerificationFailed, RegistryConflict, EntryInvalid) as exc:
                self.unapplied.append((position, str(exc)))
            self._registry_position = position

    # --- reading ---------------------------------------------------------------------

    @property
    def checkpoint(self) -> Checkpoint:
        return self.sequencer.checkpoint

    @property
    def origin(self) -> str:
        return self.sequencer.origin

    def read_statement(self, index: int) -> SignedStatement:
        return parse_signed_statement(self.sequencer.read_entry(index))

    def published_note(self) -> str:
        """The latest witnessed checkpoint (what ``Sequencer.publish`` wrote)."""
        path = self.sequencer.directory / PUBLISHED_PATH
        try:
            return path.read_text("utf-8")
        except FileNotFoundError as exc:
            raise TileMissing(f"{path}: no checkpoint has been published yet") from exc

    def published_checkpoint(self) -> Checkpoint:
        note = open_note(self.published_note(), [self.sequencer.signer.verifier()])
        return parse_checkpoint(note.text)

    def prove_consistency(self, old_size: int, new_size: int) -> list[bytes]:
        return self.sequencer.prove_consistency(old_size, new_size)

    def lookup(self, key: str, size: int | None = None) -> list[int]:
        return self.index.lookup(key, size)

    def certificates_numbered(self, number: str) -> list[str]:
        """Digests issued (or amended) under a certificate number, in log order."""
        out = []
        for index in self.index.lookup(number_key(number)):
            st = self.read_statement(index).statement
            if isinstance(st, IssueStatement | AmendStatement):
                out.append(st.digest)
        return out

    def status(self, digest: str, *, as_of: int | None = None) -> CertificateStatus:
        """Issued? revoked? superseded? what remains? as of a tree size (default: now),
        judged with everything the registry knows today."""
        size = self.checkpoint.size if as_of is None else as_of
        entries = [(i, self.read_statement(i)) for i in self.index.lookup(digest_key(digest), size)]
        return fold_status(digest, entries, self.registry, as_of=size)

    def ledger(self, size: int | None = None) -> UtilisationLedger:
        """The utilisation ledger of every certificate statement in this log."""
        return utilisation_ledger(_certificate_statements(self, size))

    def evidence(self, keys: Sequence[str], size: int) -> Evidence:
        """Entries filed under ``keys`` below ``size`` with inclusion proofs at ``size``,
        and the log-signed note listing them (see ``index_note``)."""
        if size > self.checkpoint.size:
            raise ValueError(f"size {size} is beyond the committed {self.checkpoint.size}")
        listed = tuple((k, tuple(self.index.lookup(k, size))) for k in sorted(set(keys)))
        root = tree_root_from(self.sequencer.reader(size), size)
        note = sign_index_note(
            StatementIndexNote(self.origin, size, root, listed), self.sequencer.signer
        )
        indexes = sorted({i for _, found in listed for i in found})
        entries = tuple(
            (i, self.sequencer.read_entry(i), tuple(self.sequencer.prove_inclusion(i, size)))
            for i in indexes
        )
        return Evidence(size, tuple(k for k, _ in listed), entries, note)

    # --- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        self.sequencer.close()

    def __enter__(self) -> CertificateLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and self.sequencer.pending:
            self.commit()
        self.close()


def _certificate_statements(log: CertificateLog, size: int | None) -> Iterable[SignedStatement]:
    keys = log.index.keys_with_prefix("d:")
    seen = sorted({i for k in keys for i in log.index.lookup(k, size)})
    return (log.read_statement(i) for i in seen)


def combined_utilisation(
    sources: Iterable[CertificateLog | Iterable[SignedStatement]],
) -> UtilisationLedger:
    """Over-use across partners: one ledger over the certificate statements of several
    logs (the issuing log and every importing administration's), each statement counted
    once however many logs mirror it (``utilisation_ledger`` deduplicates by hash)."""
    streams = [
        _certificate_statements(s, None) if isinstance(s, CertificateLog) else s for s in sources
    ]
    return utilisation_ledger(itertools.chain.from_iterable(streams))


class MirrorView:
    """A verified mirror (``mirror.Mirror``) read for online verification.

    A mirror has every tile and entry, checked hash by hash, but not the log's key: it
    cannot sign index notes, and needs none, because the verifier reads its own copy;
    its index (kept in the mirror directory) is complete by construction.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.source = DirectoryTiles(self.directory)
        size = parse_checkpoint(parse_note(self.published_note()).text).size
        self.index = StatementIndex.open(self.directory, self.source, size)

    def published_note(self) -> str:
        return (self.directory / MIRRORED_PATH).read_text("utf-8")

    def prove_consistency(self, old_size: int, new_size: int) -> list[bytes]:
        return prove_consistency(TileHashReader(self.source, new_size), old_size, new_size)

    def evidence(self, keys: Sequence[str], size: int) -> Evidence:
        self.index.catch_up(self.source, size)
        reader = TileHashReader(self.source, size)
        indexes = sorted({i for k in keys for i in self.index.lookup(k, size)})
        entries = tuple(
            (
                i,
                read_bundle(self.source, i // TILE_WIDTH, size)[i % TILE_WIDTH],
                tuple(prove_inclusion(reader, i, size)),
            )
            for i in indexes
        )
        return Evidence(size, tuple(sorted(set(keys))), entries, None)
