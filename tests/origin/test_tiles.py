"""C2SP tlog-tiles layout and the tile-backed hash reader."""

from __future__ import annotations

import pytest

from smartcustoms.origin.errors import EntryInvalid, VerificationFailed
from smartcustoms.origin.merkle import MemoryHashes, prove_consistency, prove_inclusion
from smartcustoms.origin.tiles import (
    TileCache,
    TileHashReader,
    bundle_path,
    decode_bundle,
    edge_tiles,
    encode_bundle,
    encode_tile_index,
    parse_tile_path,
    root_from_edge,
    tile_path,
    tile_width,
)


class TestPaths:
    @pytest.mark.parametrize(
        ("index", "encoded"),
        [(0, "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
    )
    def test_index_encoding(self, index: int, encoded: str) -> None:
        assert encode_tile_index(index) == encoded  # 1234067 is the spec's example

    def test_paths_and_parse_round_trip(self) -> None:
        assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
        assert tile_path(1, 17, 17) == "tile/1/017.p/17"
        assert bundle_path(3, 112) == "tile/entries/003.p/112"
        for path in ("tile/0/x001/x234/067", "tile/1/017.p/17", "tile/entries/003.p/112"):
            level, index, width = parse_tile_path(path)
            rebuilt = bundle_path(index, width) if level is None else tile_path(level, index, width)
            assert rebuilt == path

    @pytest.mark.parametrize(
        "path",
        [
            "tile/0/x000/001",
            "tile/0/1",
            "tile/0/001.p/256",
            "tile/0/001.p/0",
            "tile/0/001.p/05",
            "tile/64/000",
            "tile/00/000",
            "tile/0/001/",
        ],
    )
    def test_non_canonical_paths_are_refused(self, path: str) -> None:
        with pytest.raises(ValueError):
            parse_tile_path(path)

    def test_spec_example_of_70000_leaves(self) -> None:
        # "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1
        # tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1"
        size = 70_000
        assert [tile_width(size, 0, i) for i in (272, 273, 274)] == [256, 112, 0]
        assert [tile_width(size, 1, i) for i in (0, 1)] == [256, 17]
        assert tile_width(size, 2, 0) == 1
        assert tile_width(256, 1, 0) == 1  # size 256: one full tile and a level-1 partial


class TestBundles:
    def test_round_trip_with_length_prefixes(self) -> None:
        entries = [b"", b"a", b"x" * 300]
        data = encode_bundle(entries)
        assert data[:5] == b"\x00\x00\x00\x01a"
        assert decode_bundle(data) == entries

    def test_truncated_bundle_is_refused(self) -> None:
        with pytest.raises(VerificationFailed):
            decode_bundle(encode_bundle([b"abc"])[:-1])

    def test_entry_over_65535_bytes_is_refused(self) -> None:
        with pytest.raises(EntryInvalid, match="65535"):
            encode_bundle([b"x" * 65536])


def _tiles_of(leaf_hashes: list[bytes]) -> dict[str, bytes]:
    """Build the tiles of a tree directly from the definition in the spec."""
    files: dict[str, bytes] = {}
    level_hashes = leaf_hashes
    level = 0
    while level_hashes:
        for index in range(0, (len(level_hashes) + 255) // 256):
            chunk = level_hashes[index * 256 : (index + 1) * 256]
            files[tile_path(level, index, len(chunk))] = b"".join(chunk)
        full = len(level_hashes) // 256
        level_hashes = [
            MemoryHashes(level_hashes[i * 256 : (i + 1) * 256]).root() for i in range(full)
        ]
        level += 1
    return files


@pytest.mark.parametrize("size", [1, 255, 256, 257, 65_536, 65_537, 70_000])
def test_reader_proofs_equal_in_memory_proofs(size: int) -> None:
    memory = MemoryHashes.from_entries([i.to_bytes(4, "big") for i in range(size)])
    files = _tiles_of(memory.read_nodes([(0, i) for i in range(size)]))
    cache = TileCache()
    reader = TileHashReader(files.__getitem__, size, cache)
    assert root_from_edge(edge_tiles(files.__getitem__, size)) == memory.root()
    for index in {0, size // 3, size - 1}:
        assert prove_inclusion(reader, index, size) == prove_inclusion(memory, index, size)
    for old in {1, size // 2, size - 1}:
        if old:
            assert prove_consistency(reader, old, size) == prove_consistency(memory, old, size)
    assert cache.hits > 0 or size == 1
