"""Where in the log each certificate, digest and issuer is mentioned.

The log answers "what is entry i"; a verifier asks "which entries are about certificate
X". The index answers that: key -> ascending leaf indexes, and leaf hash -> index. It
is derived data, kept beside the tiles in ``index/`` and rebuilt from the entries
whenever it is missing, damaged or describes another tree than the log's (the log is
the source of truth; the index is a cache of it).

Keys (``statement_keys``):

- ``n:<certificate number>``  every statement naming the number;
- ``d:<digest hex>``          issue/amend of that digest, amendments superseding it,
                              its revocations and utilisations;
- ``r:<issuer id>``           the registry statements about that issuer;
- ``registry``                every registry statement (replayed on open).

Files: ``index/records.jsonl`` has one line per entry, ``{"h": leaf hash, "i": index,
"k": [keys]}``, appended and fsynced; ``index/state.json`` (written durably after the
lines) names the size and root they cover. A crash between the two leaves extra lines,
which the next open drops.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from pathlib import Path

from smartcustoms.origin._atomic import write_file_durably
from smartcustoms.origin.errors import TileMissing, VerificationFailed
from smartcustoms.origin.merkle import hash_leaf, tree_root_from
from smartcustoms.origin.tiles import TILE_WIDTH, TileHashReader, TileSource, read_bundle

INDEX_VERSION = 1
STATE_PATH = "index/state.json"
RECORDS_PATH = "index/records.jsonl"
REGISTRY_KEY = "registry"
_REGISTRY_TYPES = frozenset({"issuer_added", "key_rotated", "key_revoked", "issuer_revoked"})


def number_key(number: str) -> str:
    return f"n:{number}"


def digest_key(digest_hex: str) -> str:
    return f"d:{digest_hex}"


def issuer_key(issuer_id: str) -> str:
    return f"r:{issuer_id}"


def statement_keys(entry: bytes) -> list[str]:
    """The keys an entry is filed under, read without full validation.

    Entries were validated when appended; one that is not a signed statement (written
    by another tool straight into the tiles) gets no keys rather than stopping the index.
    """
    try:
        st = json.loads(entry)["statement"]
        kind = st["type"]
    except (ValueError, KeyError, TypeError):
        return []
    if not isinstance(st, dict) or not isinstance(kind, str):
        return []
    keys: list[str] = []
    if kind in _REGISTRY_TYPES:
        keys += [issuer_key(str(st.get("issuer_id"))), REGISTRY_KEY]
    if "certificate_number" in st:
        keys.append(number_key(str(st["certificate_number"])))
    for field in ("digest", "supersedes", "certificate_digest"):
        if isinstance(st.get(field), str):
            keys.append(digest_key(st[field]))
    return sorted(set(keys))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class StatementIndex:
    """Keys -> leaf indexes for one log directory. Build with ``StatementIndex.open``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.size = 0
        self.rebuilt = False
        self._keys: dict[str, list[int]] = {}
        self._leaves: dict[bytes, int] = {}

    @classmethod
    def open(cls, directory: Path | str, source: TileSource, size: int) -> StatementIndex:
        """Load the index of ``directory`` and bring it to ``size`` (the committed size),
        rebuilding it from the entries when the files do not describe this log."""
        index = cls(Path(directory))
        (index.directory / "index").mkdir(parents=True, exist_ok=True)
        if not index._load(source, size):
            index._reset()
            index.rebuilt = True
        index.catch_up(source, size)
        return index

    def _reset(self) -> None:
        self.size = 0
        self._keys, self._leaves = {}, {}
        write_file_durably(self.directory / RECORDS_PATH, b"")
        self._write_state(b"")

    def _write_state(self, root: bytes) -> None:
        state = {"root": _b64(root), "size": self.size, "version": INDEX_VERSION}
        write_file_durably(self.directory / STATE_PATH, json.dumps(state).encode())

    def _load(self, source: TileSource, committed: int) -> bool:
        """True when the files describe a prefix of this log; the maps are then filled."""
        try:
            state = json.loads((self.directory / STATE_PATH).read_bytes())
            size, root = state["size"], _unb64(state["root"])
            if state["version"] != INDEX_VERSION or not 0 <= size <= committed:
                return False
            if size and tree_root_from(TileHashReader(source, committed), size) != root:
                return False  # the index is of another log (or of a rolled-back batch)
            lines = (self.directory / RECORDS_PATH).read_bytes().splitlines()
            if len(lines) < size:
                return False
            for expected, line in enumerate(lines[:size]):
                record = json.loads(line)
                if record["i"] != expected:
                    return False
                self._file(expected, _unb64(record["h"]), record["k"])
            if len(lines) > size:  # a crash after the lines, before the state
                write_file_durably(
                    self.directory / RECORDS_PATH, b"".join(line + b"\n" for line in lines[:size])
                )
        except (OSError, ValueError, KeyError, TypeError, TileMissing, VerificationFailed):
            return False
        self.size = size
        return True

    def _file(self, index: int, leaf_hash: bytes, keys: Iterable[str]) -> None:
        self._leaves[leaf_hash] = index
        for key in keys:
            self._keys.setdefault(key, []).append(index)

    def catch_up(self, source: TileSource, size: int) -> list[int]:
        """Index entries from the current size to ``size``; returns the new indexes."""
        if size < self.size:
            raise ValueError(f"the index covers {self.size} entries; the log has only {size}")
        if size == self.size:
            return []
        lines: list[bytes] = []
        new = list(range(self.size, size))
        for tile in range(self.size // TILE_WIDTH, (size - 1) // TILE_WIDTH + 1):
            entries = read_bundle(source, tile, size)
            for offset, entry in enumerate(entries):
                position = tile * TILE_WIDTH + offset
                if position < self.size:
                    continue
                leaf, keys = hash_leaf(entry), statement_keys(entry)
                self._file(position, leaf, keys)
                record = {"h": _b64(leaf), "i": position, "k": keys}
                lines.append(json.dumps(record, separators=(",", ":")).encode() + b"\n")
        with open(self.directory / RECORDS_PATH, "ab") as out:
            out.write(b"".join(lines))
            out.flush()
            os.fsync(out.fileno())
        self.size = size
        self._write_state(tree_root_from(TileHashReader(source, size), size))
        return new

    # --- queries ------------------------------------------------------------------------

    def lookup(self, key: str, size: int | None = None) -> list[int]:
        """Ascending indexes of the entries filed under ``key``, below ``size``."""
        found = self._keys.get(key, [])
        if size is None:
            return list(found)
        return [i for i in found if i < size]

    def keys_with_prefix(self, prefix: str) -> list[str]:
        return [k for k in self._keys if k.startswith(prefix)]

    def index_of_leaf(self, leaf_hash: bytes) -> int | None:
        return self._leaves.get(leaf_hash)
