"""A compact binary form of a selective disclosure, for proof bundles and QR-sized use.

The JSON disclosure of ``commitments`` spells every path and every hash in hex: about
22 KB for an ordinary certificate. Everything but the hashes, salts and revealed values
can be recomputed from the schema, so this form walks the schema in the same canonical
order as ``commit`` and writes, per leaf, one flag byte and then:

- hidden:   the 32-byte leaf hash; an array adds its element count (varint), a
            nullable object is flagged null or present (the shape is public anyway: the
            JSON form shows it by which paths follow);
- revealed: the 32-byte salt and the value: nothing for null and objects, a varint for
            array counts and booleans, a length-prefixed UTF-8 text for strings,
            decimals, dates and integers (their canonical spelling, checked on verify).

The first byte is the version: 1 for an ``eco/1`` disclosure, 2 for ``eco/2``. Under
eco/2 a hidden leaf is the hash of its whole subtree, so nothing of it follows (no
element count, no null flag: the shape is hidden too), and an opened object or array
is a revealed leaf whose fields or elements follow.

Decoding rebuilds the ``Disclosure`` (paths, types, hex) and hands it to
``verify_disclosure``, so every check of the JSON form applies unchanged; the decoder
only has to refuse what it cannot read (truncation, trailing bytes, a flag the schema
does not allow). The schema walk is ``commitments``' private tree: this module is its
second reader, on purpose, so that it stays the one definition of the shape.
"""

from __future__ import annotations

import re

from smartcustoms.origin.commitments import (
    _ROOT,
    MAX_LEAVES,
    SALT_BYTES,
    SCHEMA_V1,
    SCHEMA_V2,
    Disclosure,
    HiddenLeaf,
    LeafType,
    RevealedLeaf,
    _Node,
    format_path,
    parse_path,
)
from smartcustoms.origin.models import DisclosureInvalid

_VERSIONS = {SCHEMA_V1: 1, SCHEMA_V2: 2}
_SCHEMAS = {v: k for k, v in _VERSIONS.items()}
_REVEALED = 0x01
_NULL = 0x02
_HASH = 32
_MAX_TEXT = 4096
_INTEGER = re.compile(r"-?(0|[1-9][0-9]{0,15})")

Path = tuple[str | int, ...]


def _malformed(detail: str) -> DisclosureInvalid:
    return DisclosureInvalid("compact-malformed", detail)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


# ------------------------------------------------------------------------ encode


def encode_disclosure(disclosure: Disclosure) -> bytes:
    """The compact form of a disclosure made by ``commitments.disclose``."""
    version = _VERSIONS.get(disclosure.schema_id)
    if version is None:
        raise ValueError(f"{disclosure.schema_id} disclosures have no compact form")
    entries = [(parse_path(leaf.path), leaf) for leaf in disclosure.leaves]
    out = bytearray([version])
    at = 0
    for name, child in _ROOT.fields:
        at = _encode(child, (name,), entries, at, out, nested=version >= 2)
    if at != len(entries):
        raise ValueError(f"leaf {disclosure.leaves[at].path} is not in the schema walk")
    return bytes(out)


def _children(entries: list[tuple[Path, object]], at: int, path: Path) -> int:
    """How many direct array elements follow ``path`` from ``at``."""
    depth, count = len(path), 0
    for p, _ in entries[at:]:
        if len(p) <= depth or p[:depth] != path:
            break
        if len(p) == depth + 1:
            count += 1
    return count


def _encode(
    node: _Node,
    path: Path,
    entries: list[tuple[Path, object]],
    at: int,
    out: bytearray,
    *,
    nested: bool,
) -> int:
    leaf_path, leaf = entries[at]
    if leaf_path != path:
        raise ValueError(f"expected leaf {format_path(path)}; got {format_path(leaf_path)}")
    at += 1
    depth = len(path)
    has_children = at < len(entries) and entries[at][0][:depth] == path
    if isinstance(leaf, HiddenLeaf):
        if nested and has_children:
            raise ValueError(f"{format_path(path)} is hidden but has leaves below it")
        null = not nested and node.kind is LeafType.object and not has_children
        out.append(_NULL if null else 0)
        out += bytes.fromhex(leaf.hash)
        if node.kind is LeafType.array and not nested:
            out += _varint(_children(entries, at, path))
    else:
        assert isinstance(leaf, RevealedLeaf)
        null = leaf.type is LeafType.null
        out.append(_REVEALED | (_NULL if null else 0))
        out += bytes.fromhex(leaf.salt)
        if not null:
            _encode_value(node, leaf.value, out)
    if has_children and node.kind is LeafType.object:
        for name, child in node.fields:
            at = _encode(child, (*path, name), entries, at, out, nested=nested)
    elif has_children and node.kind is LeafType.array:
        assert node.item is not None
        for index in range(_children(entries, at, path)):
            at = _encode(node.item, (*path, index), entries, at, out, nested=nested)
    return at


def _encode_value(node: _Node, value: object, out: bytearray) -> None:
    if node.kind is LeafType.object:
        return
    if node.kind in (LeafType.array, LeafType.bool):
        out += _varint(int(value))  # type: ignore[call-overload]
        return
    raw = str(value).encode("utf-8")
    out += _varint(len(raw)) + raw


# ------------------------------------------------------------------------ decode


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0
        self.leaves: list[RevealedLeaf | HiddenLeaf] = []

    def take(self, count: int) -> bytes:
        if self.at + count > len(self.data):
            raise _malformed(f"ends at byte {len(self.data)}; {count} more bytes expected")
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def varint(self, limit: int) -> int:
        value, shift = 0, 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
            if shift > 28:
                raise _malformed(f"varint too long at byte {self.at}")
        if value > limit or (shift > 7 and byte == 0):
            raise _malformed(f"varint {value} at byte {self.at} is over {limit} or not minimal")
        return value


def decode_disclosure(data: bytes) -> Disclosure:
    """The ``Disclosure`` a compact form stands for; ``DisclosureInvalid`` if unreadable.

    The result still has to pass ``verify_disclosure``, which checks values and digest.
    """
    schema_id = _SCHEMAS.get(data[0]) if isinstance(data, bytes) and data else None
    if schema_id is None:
        raise _malformed(f"must start with a version byte, one of {sorted(_SCHEMAS)}")
    reader = _Reader(data)
    reader.take(1)
    for name, child in _ROOT.fields:
        _decode(child, (name,), reader, nested=schema_id == SCHEMA_V2)
    if reader.at != len(data):
        raise _malformed(f"{len(data) - reader.at} trailing bytes")
    return Disclosure(schema_id=schema_id, leaves=reader.leaves)


def _decode(node: _Node, path: Path, reader: _Reader, *, nested: bool) -> None:
    if len(reader.leaves) >= MAX_LEAVES:
        raise _malformed(f"more than {MAX_LEAVES} leaves")
    flags = reader.take(1)[0]
    where = format_path(path)
    if flags & ~(_REVEALED | _NULL):
        raise _malformed(f"{where}: unknown flag bits {flags:#04x}")
    null = bool(flags & _NULL)
    count = 0
    if flags & _REVEALED:
        if null and not node.nullable:
            raise _malformed(f"{where} may not be null")
        salt = reader.take(SALT_BYTES).hex()
        kind = LeafType.null if null else node.kind
        value = None if null else _decode_value(node, reader, where)
        count = value if kind is LeafType.array else 0  # type: ignore[assignment]
        reader.leaves.append(RevealedLeaf(path=where, type=kind, value=value, salt=salt))
    else:
        if null and (nested or node.kind is not LeafType.object or not node.nullable):
            raise _malformed(f"{where}: only a nullable object is flagged null when hidden")
        reader.leaves.append(HiddenLeaf(path=where, hash=reader.take(_HASH).hex()))
        if nested:
            return  # the hash stands for the whole subtree
        if node.kind is LeafType.array:
            count = reader.varint(node.max_length)
    if node.kind is LeafType.object and not null:
        for name, child in node.fields:
            _decode(child, (*path, name), reader, nested=nested)
    elif node.kind is LeafType.array:
        assert node.item is not None
        for index in range(count):
            _decode(node.item, (*path, index), reader, nested=nested)


def _decode_value(node: _Node, reader: _Reader, where: str) -> str | int | bool | None:
    if node.kind is LeafType.object:
        return node.name
    if node.kind is LeafType.array:
        return reader.varint(node.max_length)
    if node.kind is LeafType.bool:
        return bool(reader.varint(1))
    raw = reader.take(reader.varint(_MAX_TEXT))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"{where}: value is not UTF-8") from exc
    if node.kind is LeafType.integer:
        if not _INTEGER.fullmatch(text):
            raise _malformed(f"{where}: {text!r} is not a canonical integer")
        return int(text)
    return text
