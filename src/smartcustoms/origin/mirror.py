"""A partner administration's full copy of the origin log, verified hash by hash.

``Mirror.sync`` fetches the log's published checkpoint, checks it (the log key, or a
whole trust policy), fetches every tile and entry bundle added since the last sync,
and writes them locally only after all of it verified:

* every new entry hashes to its level-0 tile hash, every new full tile hashes to its
  place one tile level up, and the right edge leads to the checkpoint root;
* the previous mirrored root is recomputed from the new tiles, so the new checkpoint
  is proven to extend the old one (a rewritten history is refused).

``fetch(path) -> bytes`` is any transport: a directory today, HTTP GET on the log's
tlog-tiles prefix later. It raises ``TileMissing`` for an absent resource.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from smartcustoms.origin._atomic import write_file_durably, write_files_durably
from smartcustoms.origin.checkpoint import Checkpoint, parse_checkpoint
from smartcustoms.origin.errors import TileMissing, VerificationFailed
from smartcustoms.origin.merkle import HASH_SIZE, tree_root_from
from smartcustoms.origin.note import Ed25519Verifier, open_note
from smartcustoms.origin.policy import TrustPolicy, verify_checkpoint
from smartcustoms.origin.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    DirectoryTiles,
    TileHashReader,
    bundle_path,
    decode_bundle,
    encode_bundle,
    tile_levels,
    tile_path,
    tile_width,
    verify_tree,
)

Fetch = Callable[[str], bytes]
MIRRORED_PATH = "checkpoint"


class Mirror:
    """Keeps ``directory`` an exact, verified copy of a remote log up to a checkpoint."""

    def __init__(
        self,
        fetch: Fetch,
        directory: Path | str,
        *,
        log_key: Ed25519Verifier | None = None,
        policy: TrustPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if (log_key is None) == (policy is None):
            raise ValueError("give either log_key or policy (with clock)")
        if policy is not None and clock is None:
            raise ValueError("a policy needs a clock to judge cosignature age")
        self.fetch = fetch
        self.directory = Path(directory)
        self.log_key = log_key
        self.policy = policy
        self.clock = clock
        self.local = DirectoryTiles(self.directory)

    def _check(self, note_text: str) -> Checkpoint:
        if self.policy is not None and self.clock is not None:
            return verify_checkpoint(note_text, self.policy, now=self.clock())
        assert self.log_key is not None
        return parse_checkpoint(open_note(note_text, [self.log_key]).text)

    def mirrored(self) -> Checkpoint | None:
        path = self.directory / MIRRORED_PATH
        if not path.exists():
            return None
        # Already verified when mirrored; only the log signature is rechecked here, so an
        # old copy does not fail the policy's maximum cosignature age.
        keys = list(self.policy.log_keys) if self.policy is not None else []
        keys += [self.log_key] if self.log_key is not None else []
        return parse_checkpoint(open_note(path.read_text("utf-8"), keys).text)

    def _fetch_tile(self, path: str) -> bytes:
        try:
            return self.fetch(path)
        except TileMissing:
            # The log may have replaced a partial tile by the full one (tlog-tiles allows
            # it); the full tile's prefix is what the partial held, and verify_tree checks.
            full, sep, width = path.partition(".p/")
            if not sep:
                raise
            data = self.fetch(full)
            if full.startswith("tile/entries/"):
                return encode_bundle(decode_bundle(data)[: int(width)])
            return data[: int(width) * HASH_SIZE]

    def sync(self) -> Checkpoint:
        """Bring the copy up to the remote checkpoint; returns it. Nothing is written on
        any failure."""
        note_text = self.fetch(MIRRORED_PATH).decode("utf-8")
        checkpoint = self._check(note_text)
        old = self.mirrored()
        start = old.size if old else 0
        if old and checkpoint.size < old.size:
            raise VerificationFailed(
                f"remote checkpoint size {checkpoint.size} is behind the mirrored {old.size}"
            )
        staged = {path: self._fetch_tile(path) for path in _paths_to_fetch(checkpoint.size, start)}

        def source(path: str) -> bytes:
            if path in staged:
                return staged[path]
            return self.local(path)

        verify_tree(source, checkpoint.size, checkpoint.root_hash, start=start)
        if old:
            reader = TileHashReader(source, checkpoint.size)
            if tree_root_from(reader, old.size) != old.root_hash:
                raise VerificationFailed(
                    f"the log rewrote history: size {old.size} has another root now"
                )
        write_files_durably({self.directory / p: data for p, data in staged.items()})
        write_file_durably(self.directory / MIRRORED_PATH, note_text.encode())
        return checkpoint


def _paths_to_fetch(size: int, start: int) -> list[str]:
    """Tiles and bundles that hold anything from leaf ``start`` to ``size``."""
    paths = []
    for level in range(tile_levels(size)):
        shift = TILE_HEIGHT * level
        first = (start >> shift) // TILE_WIDTH
        last = ((size >> shift) - 1) // TILE_WIDTH
        for index in range(first, last + 1):
            paths.append(tile_path(level, index, tile_width(size, level, index)))
            if level == 0:
                paths.append(bundle_path(index, tile_width(size, 0, index)))
    return paths


def fetch_from_directory(root: Path | str) -> Fetch:
    """A ``fetch`` over another log's directory (tests, a shared filesystem)."""
    return DirectoryTiles(root)
