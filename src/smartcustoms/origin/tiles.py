"""C2SP tlog-tiles: paths, entry bundles, and a hash reader that serves proofs from tiles.

Layout (c2sp.org/tlog-tiles): ``tile/<L>/<N>`` holds 256 consecutive hashes at tree
level 8*L (level 0 = leaf hashes); the rightmost tile of a level may be partial,
``tile/<L>/<N>.p/<W>`` with W in 1..255. ``<N>`` is written in 3-digit groups, all
but the last prefixed with ``x`` (1234067 -> ``x001/x234/067``), so a directory never
holds a file and a subdirectory of the same name. Entry bundles, ``tile/entries/<N>``,
hold the entries of level-0 tile N, each prefixed by its big-endian uint16 length.

A tile is immutable once written; a partial tile is immutable for its width. So a
reader may cache any tile it has read, forever.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from smartcustoms.origin.errors import EntryInvalid, TileMissing, VerificationFailed
from smartcustoms.origin.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NodeId,
    fold_right,
    hash_leaf,
    range_nodes,
    root_of_hashes,
)

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_SIZE = 0xFFFF  # the uint16 length prefix of entry bundles
MAX_TILE_LEVEL = 63

TileSource = Callable[[str], bytes]
"""Reads a tile or bundle by its tlog-tiles path; raises ``TileMissing`` if absent."""


def encode_tile_index(index: int) -> str:
    if index < 0:
        raise ValueError(f"tile index must be non-negative; got {index}")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def _width_suffix(width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width must be 1 to {TILE_WIDTH}; got {width}")
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    if not 0 <= level <= MAX_TILE_LEVEL:
        raise ValueError(f"tile level must be 0 to {MAX_TILE_LEVEL}; got {level}")
    return f"tile/{level}/{encode_tile_index(index)}{_width_suffix(width)}"


def bundle_path(index: int, width: int = TILE_WIDTH) -> str:
    return f"tile/entries/{encode_tile_index(index)}{_width_suffix(width)}"


_PATH = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


def parse_tile_path(path: str) -> tuple[int | None, int, int]:
    """``(level or None for entries, index, width)`` of a tlog-tiles path, strictly."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise ValueError(f"not a tlog-tiles path: {path!r}")
    width = TILE_WIDTH if match["width"] is None else int(match["width"])
    if width > TILE_WIDTH - 1 and match["width"] is not None:
        raise ValueError(f"a partial tile is 1 to {TILE_WIDTH - 1} wide: {path!r}")
    level = None if match["level"] == "entries" else int(match["level"])
    if level is not None and level > MAX_TILE_LEVEL:
        raise ValueError(f"not a tlog-tiles path: {path!r}")
    groups = match["index"].replace("x", "").split("/")
    if len(groups) > 1 and groups[0] == "000":
        raise ValueError(f"tile index has a leading zero group: {path!r}")
    return level, int("".join(groups)), width


def tile_width(size: int, level: int, index: int) -> int:
    """How many hashes tile (level, index) holds in a tree of ``size`` leaves (0: none)."""
    count = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, count - index * TILE_WIDTH))


def tile_levels(size: int) -> int:
    """Number of tile levels that hold at least one hash at this size."""
    levels = 0
    while size >> (TILE_HEIGHT * levels):
        levels += 1
    return levels


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    parts = []
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise EntryInvalid(
                f"entry must be at most {MAX_ENTRY_SIZE} bytes; got {len(entry)}",
                field="entry",
                value=len(entry),
            )
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def decode_bundle(data: bytes) -> list[bytes]:
    entries = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise VerificationFailed(f"entry bundle ends inside a length prefix at byte {at}")
        length = int.from_bytes(data[at : at + 2], "big")
        at += 2
        if at + length > len(data):
            raise VerificationFailed(f"entry bundle ends inside an entry at byte {at}")
        entries.append(data[at : at + length])
        at += length
    return entries


def split_hashes(data: bytes, width: int, path: str = "tile") -> list[bytes]:
    if len(data) != width * HASH_SIZE:
        raise VerificationFailed(
            f"{path} must hold {width} hashes ({width * HASH_SIZE} bytes); got {len(data)} bytes"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


class DirectoryTiles:
    """A ``TileSource`` over a local directory laid out as tlog-tiles."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __call__(self, path: str) -> bytes:
        try:
            return (self.root / path).read_bytes()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise TileMissing(f"{path} is not in {self.root}", value=path) from exc


def read_tile(source: TileSource, level: int, index: int, size: int) -> list[bytes]:
    """The hashes of tile (level, index) as of tree ``size``.

    A partial tile for an older size may have been replaced by a wider one; per the spec
    the full tile serves as fallback, cut to the width this size needs.
    """
    width = tile_width(size, level, index)
    if width == 0:
        raise ValueError(f"tile ({level}, {index}) is empty at size {size}")
    path = tile_path(level, index, width)
    try:
        return split_hashes(source(path), width, path)
    except TileMissing:
        if width == TILE_WIDTH:
            raise
        full = tile_path(level, index)
        return split_hashes(source(full), TILE_WIDTH, full)[:width]


def read_bundle(source: TileSource, index: int, size: int) -> list[bytes]:
    width = tile_width(size, 0, index)
    path = bundle_path(index, width)
    try:
        entries = decode_bundle(source(path))
    except TileMissing:
        if width == TILE_WIDTH:
            raise
        entries = decode_bundle(source(bundle_path(index)))[:width]
    if len(entries) != width:
        raise VerificationFailed(f"{path} must hold {width} entries; got {len(entries)}")
    return entries


def expand_tile(hashes: Sequence[bytes]) -> list[list[bytes]]:
    """The 8 in-tile levels of complete subtrees above a tile's hashes."""
    # Node hashing inlined: this loop is most of the cost of a cold inclusion proof.
    sha256 = hashlib.sha256
    levels = [list(hashes)]
    for _ in range(TILE_HEIGHT - 1):
        below = levels[-1]
        levels.append(
            [
                sha256(b"\x01" + below[i] + below[i + 1]).digest()
                for i in range(0, len(below) - 1, 2)
            ]
        )
    return levels


class TileCache:
    """LRU of expanded tiles keyed by (level, index, width), shared between readers.

    A full expanded tile is 511 hashes (about 40 KB of Python objects); the default
    keeps the top of a 10^8 log and the hot leaves of recent certificates.
    """

    def __init__(self, max_tiles: int = 1024) -> None:
        self.max_tiles = max_tiles
        self._tiles: OrderedDict[tuple[int, int, int], list[list[bytes]]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, source: TileSource, level: int, index: int, size: int) -> list[list[bytes]]:
        key = (level, index, tile_width(size, level, index))
        tile = self._tiles.get(key)
        if tile is not None:
            self.hits += 1
            self._tiles.move_to_end(key)
            return tile
        self.misses += 1
        tile = expand_tile(read_tile(source, level, index, size))
        self._tiles[key] = tile
        if len(self._tiles) > self.max_tiles:
            self._tiles.popitem(last=False)
        return tile


class TileHashReader:
    """``merkle.HashReader`` for one tree size, reading tiles through a cache.

    Node (level L, index i) lives in tile level L // 8, at in-tile height L % 8; the
    tile is the one whose 256 hashes cover the node's leaves.
    """

    def __init__(self, source: TileSource, size: int, cache: TileCache | None = None) -> None:
        self.source = source
        self.size = size
        self.cache = cache if cache is not None else TileCache()

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        out = []
        for level, index in ids:
            if (index + 1) << level > self.size:
                raise ValueError(f"node ({level}, {index}) is not complete at size {self.size}")
            tile_level, height = divmod(level, TILE_HEIGHT)
            tile_index = (index << height) >> TILE_HEIGHT
            tile = self.cache.get(self.source, tile_level, tile_index, self.size)
            out.append(tile[height][index - tile_index * (TILE_WIDTH >> height)])
        return out


def root_from_edge(edge: Sequence[Sequence[bytes]]) -> bytes:
    """Tree root from the right-edge (partial) tile of every level, lowest level first.

    The tree splits into complete subtrees by the binary digits of its size; each lies
    in the partial tile of its level, so the edge alone determines the root.
    """
    subtrees: list[bytes] = []
    for hashes in reversed(edge):
        at = 0
        for level, _ in range_nodes(0, len(hashes)):
            chunk = 1 << level
            subtrees.append(root_of_hashes(hashes[at : at + chunk]))
            at += chunk
    return fold_right(subtrees) if subtrees else EMPTY_ROOT


def edge_tiles(source: TileSource, size: int) -> list[list[bytes]]:
    """The partial tile of each level (empty list where the level has none)."""
    edge = []
    for level in range(tile_levels(size)):
        index = (size >> (TILE_HEIGHT * level)) // TILE_WIDTH
        width = tile_width(size, level, index)
        edge.append(read_tile(source, level, index, size) if width else [])
    return edge


def _tiles_touching(size: int, level: int, start: int) -> Iterator[int]:
    """Indexes of the tiles at ``level`` holding hashes of leaves at or after ``start``."""
    shift = TILE_HEIGHT * level
    count = size >> shift
    first = (start >> shift) // TILE_WIDTH
    last = (count - 1) // TILE_WIDTH if count else -1
    return iter(range(first, last + 1))


def verify_tree(source: TileSource, size: int, root: bytes, *, start: int = 0) -> None:
    """Check every entry and tile that covers leaves from ``start`` up to ``size``.

    Each entry hashes to its level-0 hash, each full tile hashes to its hash one tile
    level up, and the partial tiles give ``root``. With ``start`` > 0 the earlier part
    must already have been verified (a mirror checks the old root separately).
    """
    levels = tile_levels(size)
    for index in _tiles_touching(size, 0, start):
        entries = read_bundle(source, index, size)
        leaves = read_tile(source, 0, index, size)
        for offset, (entry, leaf) in enumerate(zip(entries, leaves, strict=True)):
            if hash_leaf(entry) != leaf:
                raise VerificationFailed(
                    f"entry {index * TILE_WIDTH + offset} does not match its leaf hash"
                )
    for level in range(levels):
        for index in _tiles_touching(size, level, start):
            if tile_width(size, level, index) < TILE_WIDTH:
                continue
            parent = read_tile(source, level + 1, index // TILE_WIDTH, size)
            if root_of_hashes(read_tile(source, level, index, size)) != parent[index % TILE_WIDTH]:
                raise VerificationFailed(
                    f"{tile_path(level, index)} does not hash to its entry in level {level + 1}"
                )
    if root_from_edge(edge_tiles(source, size)) != root:
        raise VerificationFailed(f"the tiles of size {size} do not lead to the checkpoint root")
