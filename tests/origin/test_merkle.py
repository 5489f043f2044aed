"""RFC 9162 hashing and proofs: golden vectors, then properties over many tree sizes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.origin.errors import ProofInvalid
from smartcustoms.origin.merkle import (
    EMPTY_ROOT,
    MemoryHashes,
    hash_children,
    hash_leaf,
    prove_consistency,
    prove_inclusion,
    root_from_inclusion,
    tree_root,
    tree_root_from,
    verify_consistency,
    verify_inclusion,
)

from .vectors import CONSISTENCY, INCLUSION, RFC6962_LEAVES, ROOTS


def hexes(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def unhex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


class TestGoldenVectors:
    def test_empty_tree_is_sha256_of_nothing(self) -> None:
        assert EMPTY_ROOT.hex() == ROOTS[0]

    @pytest.mark.parametrize("size", range(1, 9))
    def test_roots_match_rfc6962_test_data(self, size: int) -> None:
        assert tree_root(RFC6962_LEAVES[:size]).hex() == ROOTS[size]
        reader = MemoryHashes.from_entries(RFC6962_LEAVES)
        assert tree_root_from(reader, size).hex() == ROOTS[size]

    @pytest.mark.parametrize(("index", "size"), sorted(INCLUSION))
    def test_inclusion_paths_match_and_verify(self, index: int, size: int) -> None:
        reader = MemoryHashes.from_entries(RFC6962_LEAVES)
        proof = prove_inclusion(reader, index, size)
        assert hexes(proof) == INCLUSION[(index, size)]
        verify_inclusion(
            hash_leaf(RFC6962_LEAVES[index]), index, size, proof, bytes.fromhex(ROOTS[size])
        )

    @pytest.mark.parametrize(("old", "new"), sorted(CONSISTENCY))
    def test_consistency_proofs_match_and_verify(self, old: int, new: int) -> None:
        reader = MemoryHashes.from_entries(RFC6962_LEAVES)
        proof = prove_consistency(reader, old, new)
        assert hexes(proof) == CONSISTENCY[(old, new)]
        verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), proof)


class TestSevenLeafTreeOfRfc9162:
    """RFC 9162 section 2.1.5 names the nodes of a seven-leaf tree (a..l) and lists the
    proofs in those names; we build the names by hand from the figure."""

    @pytest.fixture
    def nodes(self) -> dict[str, bytes]:
        d = [hash_leaf(x) for x in RFC6962_LEAVES[:7]]
        a, b, c, dd, e, f = d[:6]
        g, h, i = hash_children(a, b), hash_children(c, dd), hash_children(e, f)
        j = d[6]
        k, ll = hash_children(g, h), hash_children(i, j)
        return {
            "a": a, "b": b, "c": c, "d": dd, "e": e, "f": f, "g": g, "h": h,
            "i": i, "j": j, "k": k, "l": ll, "root": hash_children(k, ll),
        }  # fmt: skip

    @pytest.fixture
    def reader(self) -> MemoryHashes:
        return MemoryHashes.from_entries(RFC6962_LEAVES[:7])

    def test_root_is_hash_of_k_and_l(self, nodes: dict[str, bytes], reader: MemoryHashes) -> None:
        assert tree_root_from(reader, 7) == nodes["root"]
        assert nodes["root"].hex() == ROOTS[7]

    @pytest.mark.parametrize(
        ("leaf", "names"),
        [(0, "b h l"), (3, "c g l"), (4, "f j k"), (6, "i k")],
    )
    def test_inclusion_proofs(
        self, nodes: dict[str, bytes], reader: MemoryHashes, leaf: int, names: str
    ) -> None:
        assert prove_inclusion(reader, leaf, 7) == [nodes[n] for n in names.split()]

    @pytest.mark.parametrize(
        ("old", "names"),
        [(3, "c d g l"), (4, "l"), (6, "i j k")],
    )
    def test_consistency_proofs(
        self, nodes: dict[str, bytes], reader: MemoryHashes, old: int, names: str
    ) -> None:
        assert prove_consistency(reader, old, 7) == [nodes[n] for n in names.split()]


class TestVerifierRefusals:
    """Mutations of good proofs, after the checks of Trillian's verifier tests."""

    def setup_method(self) -> None:
        self.reader = MemoryHashes.from_entries(RFC6962_LEAVES)
        self.root8 = bytes.fromhex(ROOTS[8])
        self.leaf5 = hash_leaf(RFC6962_LEAVES[5])
        self.proof = unhex(INCLUSION[(5, 8)])

    @pytest.mark.parametrize(("index", "size"), [(4, 8), (6, 8), (7, 8), (5, 16), (5, 4)])
    def test_wrong_index_or_size_fails(self, index: int, size: int) -> None:
        with pytest.raises(ProofInvalid):
            verify_inclusion(self.leaf5, index, size, self.proof, self.root8)

    def test_index_outside_tree_fails(self) -> None:
        with pytest.raises(ProofInvalid, match="outside"):
            root_from_inclusion(self.leaf5, 8, 8, self.proof)

    def test_extra_or_missing_hash_fails(self) -> None:
        with pytest.raises(ProofInvalid, match="too long"):
            verify_inclusion(self.leaf5, 5, 8, [*self.proof, self.root8], self.root8)
        with pytest.raises(ProofInvalid, match="too short"):
            verify_inclusion(self.leaf5, 5, 8, self.proof[:-1], self.root8)
        with pytest.raises(ProofInvalid):
            verify_inclusion(self.leaf5, 5, 8, [self.root8, *self.proof], self.root8)

    def test_hash_of_wrong_length_fails(self) -> None:
        with pytest.raises(ProofInvalid, match="32-byte"):
            verify_inclusion(self.leaf5, 5, 8, [b"", *self.proof[1:]], self.root8)

    def test_consistency_edge_cases(self) -> None:
        r1, r2 = bytes.fromhex(ROOTS[1]), bytes.fromhex(ROOTS[2])
        verify_consistency(0, 5, EMPTY_ROOT, r2, [])  # anything extends the empty tree
        verify_consistency(1, 1, r1, r1, [])
        with pytest.raises(ProofInvalid, match="same size"):
            verify_consistency(1, 1, r1, r2, [])
        with pytest.raises(ProofInvalid, match="must be empty"):
            verify_consistency(1, 1, r1, r1, [r1])
        with pytest.raises(ProofInvalid, match="empty consistency"):
            verify_consistency(1, 2, r1, r2, [])
        with pytest.raises(ProofInvalid, match="between 0"):
            verify_consistency(2, 1, r2, r1, [])

    def test_swapped_roots_fail(self) -> None:
        proof = unhex(CONSISTENCY[(6, 8)])
        with pytest.raises(ProofInvalid):
            verify_consistency(6, 8, self.root8, bytes.fromhex(ROOTS[6]), proof)


# --- properties ------------------------------------------------------------------------

MAX_SIZE = 1000
LEAVES = [f"statement {i}".encode() for i in range(MAX_SIZE)]
READER = MemoryHashes.from_entries(LEAVES)
ROOT_AT = [tree_root_from(READER, n) for n in range(MAX_SIZE + 1)]


def test_every_leaf_of_every_size_up_to_128_has_a_verifying_proof() -> None:
    """Exhaustive on the small sizes where the shapes vary most; sampled above (below)."""
    for size in range(1, 129):
        for index in range(size):
            proof = prove_inclusion(READER, index, size)
            verify_inclusion(READER.read_nodes([(0, index)])[0], index, size, proof, ROOT_AT[size])


def test_roots_from_reader_match_the_recursive_definition() -> None:
    for size in (1, 2, 3, 255, 256, 257, 511, 999, 1000):
        assert ROOT_AT[size] == tree_root(LEAVES[:size])


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


def flip(data: bytes, position: int, bit: int) -> bytes:
    changed = bytearray(data)
    changed[position % len(changed)] ^= 1 << bit
    return bytes(changed)


@settings(max_examples=400, deadline=None)
@given(size_and_index())
def test_inclusion_proof_verifies_for_any_leaf(case: tuple[int, int]) -> None:
    size, index = case
    proof = prove_inclusion(READER, index, size)
    verify_inclusion(hash_leaf(LEAVES[index]), index, size, proof, ROOT_AT[size])


@settings(max_examples=300, deadline=None)
@given(size_and_index(), st.integers(0, 10_000), st.integers(0, 7), st.integers(0, 31))
def test_one_flipped_bit_anywhere_fails_inclusion(
    case: tuple[int, int], which: int, bit: int, position: int
) -> None:
    size, index = case
    leaf = hash_leaf(LEAVES[index])
    proof = prove_inclusion(READER, index, size)
    root = ROOT_AT[size]
    # Flip one bit in the leaf hash, the root, or one proof hash.
    target = which % (len(proof) + 2)
    if target == 0:
        leaf = flip(leaf, position, bit)
    elif target == 1:
        root = flip(root, position, bit)
    else:
        proof[target - 2] = flip(proof[target - 2], position, bit)
    with pytest.raises(ProofInvalid):
        verify_inclusion(leaf, index, size, proof, root)


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(0, new)), new


@settings(max_examples=400, deadline=None)
@given(two_sizes())
def test_consistency_between_any_two_sizes(sizes: tuple[int, int]) -> None:
    old, new = sizes
    proof = prove_consistency(READER, old, new)
    verify_consistency(old, new, ROOT_AT[old], ROOT_AT[new], proof)


@settings(max_examples=300, deadline=None)
@given(two_sizes(), st.integers(0, 10_000), st.integers(0, 7), st.integers(0, 31))
def test_one_flipped_bit_fails_consistency(
    sizes: tuple[int, int], which: int, bit: int, position: int
) -> None:
    old, new = sizes
    proof = prove_consistency(READER, old, new)
    old_root, new_root = ROOT_AT[old], ROOT_AT[new]
    if old == 0:
        return  # nothing to tamper with: every tree extends the empty one
    target = which % (len(proof) + 2)
    if target == 0:
        old_root = flip(old_root, position, bit)
    elif target == 1:
        new_root = flip(new_root, position, bit)
    else:
        proof[target - 2] = flip(proof[target - 2], position, bit)
    with pytest.raises(ProofInvalid):
        verify_consistency(old, new, old_root, new_root, proof)


@settings(max_examples=100, deadline=None)
@given(two_sizes())
def test_a_different_history_is_not_consistent(sizes: tuple[int, int]) -> None:
    """A log that changed any earlier leaf cannot prove consistency with its old root."""
    old, new = sizes
    if old == 0:
        return
    forked = list(LEAVES[:new])
    forked[old - 1] = b"rewritten"
    fork_reader = MemoryHashes.from_entries(forked)
    proof = prove_consistency(fork_reader, old, new)
    with pytest.raises(ProofInvalid):
        verify_consistency(old, new, ROOT_AT[old], tree_root_from(fork_reader, new), proof)
