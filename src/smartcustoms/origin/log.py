"""The single-writer sequencer of the origin log, stored as C2SP tlog-tiles.

Statements arrive as bytes (RFC 8785 canonical JSON from ``rfc8785.dumps``), are
buffered, and committed in batches:

1. the batch's entry bundles and tiles (full ones, and the partial right edge of each
   level) are written to temp files, fsynced, renamed into place, directories fsynced;
2. only then is the new checkpoint signed with the log key and written, durably, to
   ``log/committed``: that rename is the commit point.

So after a crash the committed checkpoint never names data that is not on disk, and
anything beyond it is a torn batch. ``Sequencer.open`` reads the committed checkpoint,
checks the edge tiles against its root (``LogCorrupted`` if not: committed data is never
silently dropped), and deletes the torn files. ``checkpoint`` (the tlog-tiles URL) is
only written by ``publish``, once witnesses have cosigned (see ``publish``).

One process at a time: an exclusive ``flock`` on ``log/lock`` makes a second sequencer
fail with ``LogLocked`` instead of interleaving writes.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

import rfc8785

from smartcustoms.origin._atomic import TEMP_PREFIX, write_file_durably, write_files_durably
from smartcustoms.origin.checkpoint import Checkpoint, parse_checkpoint
from smartcustoms.origin.errors import (
    CheckpointInvalid,
    EntryInvalid,
    LogCorrupted,
    LogLocked,
    NoteInvalid,
    TileMissing,
    VerificationFailed,
)
from smartcustoms.origin.merkle import (
    EMPTY_ROOT,
    hash_leaf,
    prove_consistency,
    prove_inclusion,
    root_of_hashes,
    tree_root_from,
)
from smartcustoms.origin.note import Ed25519Signer, open_note, parse_note, sign_note
from smartcustoms.origin.tiles import (
    MAX_ENTRY_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    DirectoryTiles,
    TileCache,
    TileHashReader,
    bundle_path,
    edge_tiles,
    encode_bundle,
    read_bundle,
    root_from_edge,
    tile_path,
)

COMMITTED_PATH = "log/committed"
PUBLISHED_PATH = "checkpoint"
LOCK_PATH = "log/lock"
DEFAULT_BATCH_SIZE = 1024


def check_canonical_json(statement: bytes) -> None:
    """Refuse bytes that are not exactly ``rfc8785.dumps`` of what they parse to."""
    try:
        canonical = rfc8785.dumps(json.loads(statement))
    except (ValueError, TypeError, rfc8785.CanonicalizationError) as exc:
        raise EntryInvalid(f"statement is not JSON: {exc}", field="statement") from exc
    if canonical != statement:
        raise EntryInvalid(
            "statement must be RFC 8785 canonical JSON (rfc8785.dumps)", field="statement"
        )


class _Batch:
    """Files and new right edge for one batch, computed before anything is written."""

    def __init__(self, size: int, edge: list[list[bytes]], edge_entries: list[bytes]) -> None:
        self.size = size
        self.edge = [list(level) for level in edge]
        self.counts = [size >> (TILE_HEIGHT * level) for level in range(len(edge))]
        self.edge_entries = list(edge_entries)
        self.files: dict[str, bytes] = {}
        self.changed: set[int] = set()

    def _push(self, level: int, node: bytes) -> None:
        while True:
            if level == len(self.edge):
                self.edge.append([])
                self.counts.append(0)
            self.edge[level].append(node)
            self.counts[level] += 1
            self.changed.add(level)
            if len(self.edge[level]) < TILE_WIDTH:
                return
            # A tile filled up: write it whole, and its hash becomes a node one level up.
            full = self.edge[level]
            self.files[tile_path(level, self.counts[level] // TILE_WIDTH - 1)] = b"".join(full)
            node = root_of_hashes(full)
            self.edge[level] = []
            level += 1

    def add(self, entries: Sequence[bytes]) -> None:
        for entry in entries:
            self.edge_entries.append(entry)
            self._push(0, hash_leaf(entry))
            self.size += 1
            if len(self.edge_entries) == TILE_WIDTH:
                self.files[bundle_path(self.size // TILE_WIDTH - 1)] = encode_bundle(
                    self.edge_entries
                )
                self.edge_entries = []
        for level in sorted(self.changed):
            if self.edge[level]:
                index = self.counts[level] // TILE_WIDTH
                self.files[tile_path(level, index, len(self.edge[level]))] = b"".join(
                    self.edge[level]
                )
        if entries and self.edge_entries:
            self.files[bundle_path(self.size // TILE_WIDTH, len(self.edge_entries))] = (
                encode_bundle(self.edge_entries)
            )


class Sequencer:
    """Appends statements to the log directory; the only writer. Use ``Sequencer.open``."""

    def __init__(
        self,
        directory: Path,
        signer: Ed25519Signer,
        origin: str,
        lock_fd: int,
        *,
        batch_size: int,
        require_canonical_json: bool,
        cache: TileCache,
    ) -> None:
        self.directory = directory
        self.signer = signer
        self.origin = origin
        self.batch_size = batch_size
        self.require_canonical_json = require_canonical_json
        self.cache = cache
        self.source = DirectoryTiles(directory)
        self._lock_fd: int | None = lock_fd
        self._pending: list[bytes] = []
        self._edge: list[list[bytes]] = []
        self._edge_entries: list[bytes] = []
        self._checkpoint = Checkpoint(origin, 0, EMPTY_ROOT)
        self._note = ""
        self.rolled_back: list[str] = []

    # --- opening and recovery ----------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path | str,
        signer: Ed25519Signer,
        *,
        origin: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        require_canonical_json: bool = True,
        cache: TileCache | None = None,
    ) -> Sequencer:
        """Open (or create) a log directory, recovering from a crash if needed."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}")
        directory = Path(directory)
        (directory / "log").mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / LOCK_PATH, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise LogLocked(f"{directory} is held by another sequencer") from exc
        log = cls(
            directory,
            signer,
            origin or signer.name,
            fd,
            batch_size=batch_size,
            require_canonical_json=require_canonical_json,
            cache=cache or TileCache(),
        )
        try:
            log._recover()
        except BaseException:
            log.close()
            raise
        return log

    def _recover(self) -> None:
        committed = self.directory / COMMITTED_PATH
        if committed.exists():
            text = committed.read_text("utf-8")
            try:
                verified = open_note(text, [self.signer.verifier()])
                checkpoint = parse_checkpoint(verified.text)
            except (NoteInvalid, CheckpointInvalid, VerificationFailed) as exc:
                raise LogCorrupted(
                    f"{committed} is not a checkpoint signed by this log: {exc}"
                ) from exc
            if checkpoint.origin != self.origin:
                raise LogCorrupted(
                    f"{committed} is for origin {checkpoint.origin!r}, not {self.origin!r}"
                )
            self._checkpoint, self._note = checkpoint, text
        size = self._checkpoint.size
        try:
            edge = edge_tiles(self.source, size)
            entries = (
                read_bundle(self.source, size // TILE_WIDTH, size) if size % TILE_WIDTH else []
            )
        except (TileMissing, VerificationFailed) as exc:
            raise LogCorrupted(f"committed tiles of size {size} are damaged: {exc.detail}") from exc
        leaves = edge[0] if edge else []
        if [hash_leaf(e) for e in entries] != leaves[: len(entries)] or len(entries) != len(leaves):
            raise LogCorrupted(f"the last entry bundle does not match its tile at size {size}")
        if root_from_edge(edge) != self._checkpoint.root_hash:
            raise LogCorrupted(f"the tiles of size {size} do not lead to the committed root")
        self._edge, self._edge_entries = edge, entries
        self.rolled_back = self._remove_beyond(size)

    def _remove_beyond(self, size: int) -> list[str]:
        """Delete files of a torn batch (beyond ``size``) and leftover temp files."""
        removed: list[str] = []
        for name in os.listdir(self.directory / "log"):
            if name.startswith(TEMP_PREFIX):
                os.remove(self.directory / "log" / name)
                removed.append(str(self.directory / "log" / name))
        tile_root = self.directory / "tile"
        if not tile_root.is_dir():
            return removed
        for name in sorted(os.listdir(tile_root)):
            if name == "entries":
                count = size
            elif name.isdigit():
                count = size >> (TILE_HEIGHT * int(name))
            else:
                continue
            _sweep(tile_root / name, 0, count // TILE_WIDTH, count % TILE_WIDTH, removed)
        return [str(Path(p).relative_to(self.directory)) for p in removed]

    # --- appending -----------------------------------------------------------------------

    def append_statement(self, statement: bytes) -> int:
        """Queue a statement; returns its leaf index (durable once its batch commits)."""
        if not isinstance(statement, bytes):
            raise EntryInvalid("statement must be bytes", field="statement", value=type(statement))
        if len(statement) > MAX_ENTRY_SIZE:
            raise EntryInvalid(
                f"statement must be at most {MAX_ENTRY_SIZE} bytes; got {len(statement)}",
                field="statement",
                value=len(statement),
            )
        if self.require_canonical_json:
            check_canonical_json(statement)
        self._pending.append(statement)
        index = self._checkpoint.size + len(self._pending) - 1
        if len(self._pending) >= self.batch_size:
            self.commit_batch()
        return index

    def append_statements(self, statements: Iterable[bytes]) -> list[int]:
        return [self.append_statement(s) for s in statements]

    @property
    def pending(self) -> int:
        return len(self._pending)

    def commit_batch(self) -> str:
        """Make pending statements durable and sign the new checkpoint; returns its note."""
        self._require_open()
        if not self._pending and self._note:
            return self._note
        batch = _Batch(self._checkpoint.size, self._edge, self._edge_entries)
        batch.add(self._pending)
        write_files_durably({self.directory / p: data for p, data in batch.files.items()})
        checkpoint = Checkpoint.create(self.origin, batch.size, root_from_edge(batch.edge))
        note = sign_note(checkpoint.text(), [self.signer])
        write_file_durably(self.directory / COMMITTED_PATH, note.encode())
        self._checkpoint, self._note = checkpoint, note
        self._edge, self._edge_entries = batch.edge, batch.edge_entries
        self._pending = []
        return note

    # --- reading ------------------------------------------------------------------------

    @property
    def checkpoint(self) -> Checkpoint:
        """The latest committed checkpoint (pending statements are not in it)."""
        return self._checkpoint

    @property
    def checkpoint_note(self) -> str:
        return self._note

    def reader(self, size: int | None = None) -> TileHashReader:
        size = self._checkpoint.size if size is None else size
        if size > self._checkpoint.size:
            raise ValueError(f"size {size} is beyond the committed size {self._checkpoint.size}")
        return TileHashReader(self.source, size, self.cache)

    def prove_inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        size = self._checkpoint.size if size is None else size
        return prove_inclusion(self.reader(size), index, size)

    def prove_consistency(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self._checkpoint.size if new_size is None else new_size
        return prove_consistency(self.reader(new_size), old_size, new_size)

    def read_entry(self, index: int) -> bytes:
        size = self._checkpoint.size
        if not 0 <= index < size:
            raise ValueError(f"index must be below the committed size {size}; got {index}")
        return read_bundle(self.source, index // TILE_WIDTH, size)[index % TILE_WIDTH]

    # --- publishing ---------------------------------------------------------------------

    def publish(self, note_text: str) -> None:
        """Serve a (cosigned) checkpoint at ``checkpoint``; it must be one this log signed."""
        self._require_open()
        note = parse_note(note_text)
        open_note(note, [self.signer.verifier()])
        checkpoint = parse_checkpoint(note.text)
        if checkpoint.origin != self.origin or checkpoint.size > self._checkpoint.size:
            raise VerificationFailed(f"checkpoint of size {checkpoint.size} was not committed here")
        if checkpoint.root_hash != self._root_at(checkpoint.size):
            raise VerificationFailed(
                f"checkpoint root for size {checkpoint.size} is not this log's"
            )
        write_file_durably(self.directory / PUBLISHED_PATH, note_text.encode())

    def _root_at(self, size: int) -> bytes:
        if size == self._checkpoint.size:
            return self._checkpoint.root_hash
        return tree_root_from(self.reader(), size)

    # --- lifecycle ----------------------------------------------------------------------

    def _require_open(self) -> None:
        if self._lock_fd is None:
            raise RuntimeError("the sequencer is closed")

    def close(self) -> None:
        """Release the lock; pending (uncommitted) statements are dropped, not written."""
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Sequencer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and self._lock_fd is not None and self._pending:
            self.commit_batch()
        self.close()


def _sweep(directory: Path, prefix: int, edge: int, width: int, removed: list[str]) -> None:
    """Remove, under one tile level, files for tiles past the committed edge.

    ``edge`` is the index of the level's partial tile at the committed size and ``width``
    its width: a full tile at or past ``edge``, or a partial wider than ``width`` (or past
    ``edge``), can only come from a torn batch.
    """
    with os.scandir(directory) as it:
        entries = list(it)
    for entry in entries:
        name = entry.name
        if name.startswith(TEMP_PREFIX):
            os.remove(entry.path)
            removed.append(entry.path)
        elif name.startswith("x") and name[1:].isdigit() and entry.is_dir():
            _sweep(Path(entry.path), prefix * 1000 + int(name[1:]), edge, width, removed)
        elif name.endswith(".p") and name[:-2].isdigit() and entry.is_dir():
            index = prefix * 1000 + int(name[:-2])
            with os.scandir(entry.path) as partials:
                for partial in list(partials):
                    stale = (
                        partial.name.startswith(TEMP_PREFIX)
                        or index > edge
                        or (index == edge and partial.name.isdigit() and int(partial.name) > width)
                    )
                    if stale:
                        os.remove(partial.path)
                        removed.append(partial.path)
        elif name.isdigit() and prefix * 1000 + int(name) >= edge:
            os.remove(entry.path)
            removed.append(entry.path)
