"""RFC 9162 Merkle tree hashing and proofs (section 2.1), pure.

Leaves hash as SHA-256(0x00 || entry) and interior nodes as SHA-256(0x01 || left ||
right); the prefixes keep a leaf from passing for a node (second preimages).

Proofs are generated from a ``HashReader``: anything that can return the hash of a
*complete* subtree, named ``(level, index)`` = MTH(D[index * 2**level : (index + 1) *
2**level]). Every hash a proof needs is either such a node or the hash of a right-edge
range, which is the right fold of the complete subtrees it splits into. So tiles on
disk (see ``tiles``) can serve proofs for a billion-entry log reading a handful of
files, and an in-memory list serves the tests with the same code.

The verifiers are the RFC's algorithms (2.1.3.2 and 2.1.4.2), written from the text.
They raise ``ProofInvalid``; they never return False.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from smartcustoms.origin.errors import ProofInvalid

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""(level, index): the complete subtree of 2**level leaves starting at index * 2**level."""


def hash_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split_point(n: int) -> int:
    """The largest power of two strictly below n (n > 1): where MTH splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves (RFC 9162 2.1.1), iteratively.

    Pairing left to right level by level and carrying an odd last hash up unchanged
    gives the same tree as the recursive definition: the split point k is always the
    largest power of two below n, so the lone right-edge node is promoted.
    """
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [hash_children(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def tree_root(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of raw entries."""
    return root_of_hashes([hash_leaf(e) for e in entries])


class HashReader(Protocol):
    """Source of complete-subtree hashes for one tree size."""

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The hash of each node, in order; raises if one is not available."""
        ...


def range_nodes(lo: int, hi: int) -> list[NodeId]:
    """The complete subtrees that D[lo:hi] splits into, largest first.

    Only ranges that MTH's recursion produces are asked for (lo aligned to a power of
    two at least as large as the range), so the split is by the binary digits of
    hi - lo and the subtrees shrink left to right.
    """
    nodes: list[NodeId] = []
    while lo < hi:
        size = 1 << ((hi - lo).bit_length() - 1)
        while lo % size:
            size >>= 1
        level = size.bit_length() - 1
        nodes.append((level, lo >> level))
        lo += size
    return nodes


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Hash of a range from its subtrees (largest first): H(s1, H(s2, ... sk))."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = hash_children(h, acc)
    return acc


def _read_ranges(reader: HashReader, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """Hashes of several ranges with one call to the reader (one batch of tile reads)."""
    per_range = [range_nodes(lo, hi) for lo, hi in ranges]
    flat = [node for nodes in per_range for node in nodes]
    hashes = reader.read_nodes(flat)
    out: list[bytes] = []
    at = 0
    for nodes in per_range:
        out.append(fold_right(hashes[at : at + len(nodes)]))
        at += len(nodes)
    return out


def tree_root_from(reader: HashReader, size: int) -> bytes:
    """MTH(D[0:size]) read through ``reader`` (any reader whose tree is at least size)."""
    if size == 0:
        return EMPTY_ROOT
    return _read_ranges(reader, [(0, size)])[0]


def _check_size(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 1 << 63:
        raise ValueError(f"{name} must be an integer in [0, 2**63); got {value!r}")


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges of PATH(index, D[size]) (RFC 9162 2.1.3.1), leaf-side first."""
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise ValueError(f"index must be below the tree size {size}; got {index}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split_point(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges of PROOF(old, D[new]) (RFC 9162 2.1.4.1), in proof order.

    Empty when old is 0 or equal to new: the RFC leaves those undefined, and C2SP
    tlog-witness asks for an empty proof from size 0.
    """
    _check_size("old_size", old_size)
    _check_size("new_size", new_size)
    if old_size > new_size:
        raise ValueError(f"old_size must not exceed new_size {new_size}; got {old_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    m, lo, hi, whole = old_size, 0, new_size, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                ranges.append((lo, hi))
            break
        k = _split_point(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            whole = False
    ranges.reverse()
    return ranges


def prove_inclusion(reader: HashReader, index: int, size: int) -> list[bytes]:
    """The audit path for leaf ``index`` in the tree of ``size`` leaves."""
    return _read_ranges(reader, inclusion_ranges(index, size))


def prove_consistency(reader: HashReader, old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof from ``old_size`` to ``new_size`` (reader at new_size)."""
    return _read_ranges(reader, consistency_ranges(old_size, new_size))


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofInvalid(f"{name} must be a {HASH_SIZE}-byte hash; got {value!r}")


def root_from_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2 steps 1-5)."""
    _check_hash("leaf hash", leaf_hash)
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf_hash
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
        if sn == 0:
            raise ProofInvalid(f"inclusion proof is too long: {len(proof)} hashes")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            if not fn & 1:
                # A right-edge node with no sibling on this level: climb until fn is a
                # right child again (or the leftmost).
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid(f"inclusion proof is too short: {len(proof)} hashes")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Return only if ``proof`` shows leaf ``index`` of the tree ``root`` is ``leaf_hash``."""
    _check_hash("root", root)
    if root_from_inclusion(leaf_hash, index, size, proof) != root:
        raise ProofInvalid(f"inclusion proof for leaf {index} of {size} does not lead to the root")


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Return only if ``proof`` shows tree ``old_root`` is a prefix of ``new_root``.

    RFC 9162 2.1.4.2, plus the edge cases it leaves to the caller: from size 0 anything
    is consistent (with an empty proof); equal sizes need equal roots and no proof.
    """
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    if not 0 <= old_size <= new_size:
        raise ProofInvalid(f"old size {old_size} must be between 0 and new size {new_size}")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise ProofInvalid(f"a proof from size {old_size} to {new_size} must be empty")
        if old_size == new_size and old_root != new_root:
            raise ProofInvalid(f"two different roots for the same size {new_size}")
        return
    if not proof:
        raise ProofInvalid(f"empty consistency proof from {old_size} to {new_size}")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree of the new one: the old root is the first
        # node of the path.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofInvalid(f"consistency proof is too long: {len(proof)} hashes")
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid(f"consistency proof is too short: {len(proof)} hashes")
    if fr != old_root:
        raise ProofInvalid(f"consistency proof does not lead to the old root (size {old_size})")
    if sr != new_root:
        raise ProofInvalid(f"consistency proof does not lead to the new root (size {new_size})")


class MemoryHashes:
    """A ``HashReader`` over leaf hashes held in memory (tests, small trees, mirrors).

    Levels of complete subtrees are built once, so each node is a list lookup.
    """

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.size = len(leaf_hashes)
        self._levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(self._levels[-1]) > 1:
            below = self._levels[-1]
            self._levels.append(
                [hash_children(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    @classmethod
    def from_entries(cls, entries: Sequence[bytes]) -> MemoryHashes:
        return cls([hash_leaf(e) for e in entries])

    def read_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        out = []
        for level, index in ids:
            if level >= len(self._levels) or index >= len(self._levels[level]):
                raise ValueError(f"node ({level}, {index}) is not complete at size {self.size}")
            out.append(self._levels[level][index])
        return out

    def root(self) -> bytes:
        return tree_root_from(self, self.size)
