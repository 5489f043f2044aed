"""Salted per-field commitments of a certificate, and selective disclosure.

Every node of the certificate becomes one *leaf*: its path, a type tag, its canonical
value and a fresh 32-byte salt, hashed under a domain tag and the schema version.
Objects and arrays are leaves too (an object leaf names its schema type, an array leaf
its length), so "empty", "null" and "absent" are three different things. The digest
the issuer signs is one hash over every (path, leaf hash) pair in the canonical order
of the schema walk. A holder discloses some leaves (value and salt) and, for the
others, only path and hash; the verifier recomputes the digest.

The known failures of salted-hash documents (OpenAttestation/TradeTrust flattened the
JSON into ``"a.b"`` keys and hashed them as a set) and what stops each one here:

- added or moved fields: paths come from an explicit schema walk, not from the data;
  a path the schema does not have is refused, and the digest binds every path;
- path injection (a key containing the separator): path segments are length-prefixed
  in the hash, and textual paths must match the schema's identifier grammar;
- type confusion (``"1"`` vs ``1``, a date vs the same text): the type tag is hashed
  and must be the one the schema allows at that path;
- reordered array elements: the index is part of each element's path, the length is a
  leaf of its own;
- duplicated keys or leaves: strict JSON parsing refuses duplicated keys, and the
  verifier walks the schema over the leaf list, so each path appears exactly once and
  in one order (a malicious issuer cannot commit two values for one path and show each
  to a different holder);
- empty containers and nulls: an empty array is a length-0 leaf, a null is a null leaf,
  a field under a null parent is absent, and the walk refuses any other combination;
- weak salts: a salt is exactly 32 bytes and salts repeated within a certificate are
  refused (they betray a broken random source).

Two schemes, both verifiable forever (a certificate names its scheme in ``schema_id``):

- ``smartcustoms/eco/1`` (flat): the digest is one hash over every (path, leaf hash)
  pair, so a disclosure lists every leaf and shows the whole shape of the certificate
  (which optional parts exist, how many goods items).
- ``smartcustoms/eco/2`` (nested, what ``commit`` writes): an object or array stands
  for a *node hash* over its own leaf and its children's node hashes, and the digest
  is taken over the top-level node hashes. A holder hides a whole part (the exporter,
  an item's invoice) behind one hash, so a typical disclosure is about a third smaller
  than the flat one, and a hidden part's shape stays hidden too. Opening a part
  reveals its own leaf (type name, or element count) and lists every child. The node
  hash is a fixed-width encoding under its own domain tag, so a leaf hash cannot pass
  for a node hash or the reverse, and a node's children cannot be regrouped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import os
import re
import struct
import types
import typing
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Annotated, Any

import rfc8785
from annotated_types import MaxLen
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smartcustoms.errors import ConfigurationError
from smartcustoms.origin.models import (
    Certificate,
    DisclosureInvalid,
    OriginInputInvalid,
    load_json_strict,
)

SCHEMA_V1 = "smartcustoms/eco/1"
SCHEMA_V2 = "smartcustoms/eco/2"
SCHEMA_ID = SCHEMA_V2
"""The scheme ``commit`` writes; ``SCHEMA_IDS`` are all the schemes that verify."""
SCHEMA_IDS = (SCHEMA_V1, SCHEMA_V2)
SALT_BYTES = 32
MAX_LEAVES = 100_000

JSONScalar = str | int | bool | None
Path = tuple[str | int, ...]


class LeafType(enum.StrEnum):
    string = "string"
    integer = "integer"
    decimal = "decimal"
    date = "date"
    bool = "bool"
    null = "null"
    array = "array"  # value: the number of elements
    object = "object"  # value: the schema type name


_TYPE_TAG = {
    LeafType.string: b"s",
    LeafType.integer: b"i",
    LeafType.decimal: b"d",
    LeafType.date: b"t",
    LeafType.bool: b"b",
    LeafType.null: b"n",
    LeafType.array: b"a",
    LeafType.object: b"o",
}


class SaltInvalid(ConfigurationError):
    """The random source gave salts of the wrong length or repeated itself."""

    code = "origin-salt-invalid"
    title = "The random source gave unusable salts"


# ----------------------------------------------------------------------- schema


@dataclasses.dataclass(frozen=True, slots=True)
class _Node:
    kind: LeafType
    nullable: bool = False
    name: str = ""  # object: schema type name
    fields: tuple[tuple[str, _Node], ...] = ()  # object: sorted by name
    item: _Node | None = None  # array
    max_length: int = 0  # array

    def allows(self, kind: LeafType) -> bool:
        return kind is self.kind or (kind is LeafType.null and self.nullable)

    def describe(self) -> str:
        if self.kind is LeafType.object:
            inner = ",".join(f"{n}:{c.describe()}" for n, c in self.fields)
            text = f"{self.name}{{{inner}}}"
        elif self.kind is LeafType.array:
            assert self.item is not None
            text = f"[{self.item.describe()}]<={self.max_length}"
        else:
            text = self.kind.value
        return text + ("?" if self.nullable else "")


_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _node(tp: Any, metadata: Iterable[Any] = ()) -> _Node:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        base, *extra = typing.get_args(tp)
        return _node(base, [*metadata, *extra])
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1 or len(args) != 2:
            raise TypeError(f"only 'X | None' unions can be committed; got {tp}")
        return dataclasses.replace(_node(inner[0], metadata), nullable=True)
    if origin is list:
        (item,) = typing.get_args(tp)
        limits = [m.max_length for m in metadata if isinstance(m, MaxLen)]
        if not limits:
            raise TypeError(f"list {tp} needs a max_length to be committed")
        return _Node(LeafType.array, item=_node(item), max_length=min(limits))
    if isinstance(tp, type):
        if issubclass(tp, BaseModel):
            fields = []
            for name, info in sorted(tp.model_fields.items()):
                if not _NAME.fullmatch(name):
                    raise TypeError(f"field name {name!r} is not a committable identifier")
                fields.append((name, _node(info.annotation, info.metadata)))
            return _Node(LeafType.object, name=tp.__name__, fields=tuple(fields))
        if issubclass(tp, bool):
            return _Node(LeafType.bool)
        if issubclass(tp, str):  # StrEnum included: codes commit as their text
            return _Node(LeafType.string)
        if issubclass(tp, int):
            return _Node(LeafType.integer)
        if issubclass(tp, Decimal):
            return _Node(LeafType.decimal)
        if issubclass(tp, dt.date) and not issubclass(tp, dt.datetime):
            return _Node(LeafType.date)
    raise TypeError(f"no leaf type for {tp!r}")


_ROOT = _node(Certificate)
SCHEMA_FINGERPRINT = hashlib.sha256(_ROOT.describe().encode()).hexdigest()
"""Changes whenever the certificate model changes; a test pins it so that such a change
comes with a new ``SCHEMA_ID`` (old certificates keep verifying under the old one)."""


# ------------------------------------------------------------------------ paths

_PATH = re.compile(
    r"[a-z][a-z0-9_]*(\[(0|[1-9][0-9]{0,5})\])*"
    r"(\.[a-z][a-z0-9_]*(\[(0|[1-9][0-9]{0,5})\])*)*"
)
_SEGMENT = re.compile(r"([a-z][a-z0-9_]*)|\[([0-9]+)\]")


@functools.lru_cache(maxsize=1 << 16)  # pure; paths repeat across certificates
def format_path(path: Path) -> str:
    text = ""
    for seg in path:
        text += f"[{seg}]" if isinstance(seg, int) else ("." if text else "") + seg
    return text


@functools.lru_cache(maxsize=1 << 16)  # pure; paths repeat across certificates
def parse_path(text: str) -> Path:
    """``goods_items[2].hs_code`` → ``("goods_items", 2, "hs_code")``; one spelling only."""
    if not isinstance(text, str) or len(text) > 256 or not _PATH.fullmatch(text):
        raise DisclosureInvalid(
            "path-malformed", f"not a canonical field path: {text!r}", field="path", value=text
        )
    return tuple(m[1] if m[1] else int(m[2]) for m in _SEGMENT.finditer(text))


@functools.lru_cache(maxsize=1 << 16)  # pure; paths repeat across certificates
def _schema_at(path: Path) -> _Node:
    node: _Node | None = _ROOT
    for seg in path:
        assert node is not None
        if isinstance(seg, int):
            ok = node.kind is LeafType.array and seg < node.max_length
            node = node.item if ok else None
        else:
            node = dict(node.fields).get(seg) if node.kind is LeafType.object else None
        if node is None:
            raise DisclosureInvalid(
                "path-unknown",
                f"the certificate schema has no path {format_path(path)!r}",
                field="path",
                value=format_path(path),
            )
    assert node is not None
    return node


@functools.lru_cache(maxsize=1 << 16)  # pure; paths repeat across certificates
def _path_bytes(path: Path) -> bytes:
    # Each segment typed and length-prefixed: a field named "a.b" or "a[1]" can never
    # encode like the path a → b or a → [1].
    out = [struct.pack(">H", len(path))]
    for seg in path:
        if isinstance(seg, int):
            out.append(b"\x02" + struct.pack(">I", seg))
        else:
            raw = seg.encode()
            out.append(b"\x01" + struct.pack(">H", len(raw)) + raw)
    return b"".join(out)


# ----------------------------------------------------------------------- values

_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def canonical_decimal(value: Decimal) -> str:
    """Plain notation, no exponent, no trailing zeros, no negative zero: 1.50 → "1.5"."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _to_json(kind: LeafType, value: Any, path: Path) -> JSONScalar:
    """A model value in its disclosure (JSON) form, refusing anything off-type."""
    ok = {
        LeafType.string: isinstance(value, str),
        LeafType.integer: type(value) is int,
        LeafType.decimal: isinstance(value, Decimal) and value.is_finite(),
        LeafType.date: type(value) is dt.date,
        LeafType.bool: type(value) is bool,
    }.get(kind, False)
    if not ok:
        raise TypeError(f"{format_path(path)}: {type(value).__name__} is not a {kind}")
    if kind is LeafType.decimal:
        return canonical_decimal(value)
    if kind is LeafType.date:
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    return value  # type: ignore[no-any-return]


def _value_bytes(kind: LeafType, value: Any, node: _Node) -> bytes | None:
    """Canonical bytes of a JSON value of ``kind``, or None when it is not one."""
    if kind is LeafType.string and isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            return None
    if kind in (LeafType.integer, LeafType.array) and type(value) is int:
        # Bounded like a JSON-safe integer (RFC 8785), which every schema integer is.
        if abs(value) >= 2**53 or (kind is LeafType.array and value < 0):
            return None
        return str(value).encode()
    if kind is LeafType.decimal and isinstance(value, str) and _DECIMAL.fullmatch(value):
        return value.encode() if value != "-0" else None
    if kind is LeafType.date and isinstance(value, str) and _DATE.fullmatch(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return None
        return value.encode()
    if kind is LeafType.bool and type(value) is bool:
        return b"true" if value else b"false"
    if kind is LeafType.null and value is None:
        return b""
    if kind is LeafType.object and value == node.name:
        return value.encode()
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class _Scheme:
    """What one ``schema_id`` hashes under; the tags make the schemes' hashes disjoint."""

    schema_id: str
    nested: bool  # eco/2: a container's hash covers its subtree
    leaf_prefix: bytes
    node_tag: bytes
    digest_tag: bytes

    @classmethod
    def make(cls, schema_id: str, version: int, *, nested: bool) -> _Scheme:
        def tag(kind: str) -> bytes:
            return f"smartcustoms/origin/eco-{kind}/v{version}\x00".encode()

        schema = struct.pack(">I", len(schema_id)) + schema_id.encode()
        return cls(schema_id, nested, tag("leaf") + schema, tag("node"), tag("digest") + schema)


_SCHEMES = {
    SCHEMA_V1: _Scheme.make(SCHEMA_V1, 1, nested=False),
    SCHEMA_V2: _Scheme.make(SCHEMA_V2, 2, nested=True),
}


def _scheme(schema_id: str) -> _Scheme:
    scheme = _SCHEMES.get(schema_id)
    if scheme is None:
        raise DisclosureInvalid(
            "schema-unknown",
            f"schema {schema_id!r} is none of {', '.join(SCHEMA_IDS)}",
            field="schema_id",
            value=schema_id,
        )
    return scheme


def _leaf_hash(
    path: Path,
    kind: LeafType,
    value_bytes: bytes,
    salt: bytes,
    scheme: _Scheme = _SCHEMES[SCHEMA_ID],
) -> bytes:
    path_raw = _path_bytes(path)
    return hashlib.sha256(
        b"".join(
            (
                scheme.leaf_prefix,
                struct.pack(">I", len(path_raw)),
                path_raw,
                _TYPE_TAG[kind],
                struct.pack(">I", len(value_bytes)),
                value_bytes,
                salt,
            )
        )
    ).digest()


def _node_hash(own: bytes, children: list[bytes], scheme: _Scheme) -> bytes:
    """eco/2: an object or array over its own (salted, path-bound) leaf and its children
    in schema order. Fixed widths, so the encoding parses one way only."""
    return hashlib.sha256(
        scheme.node_tag + own + struct.pack(">I", len(children)) + b"".join(children)
    ).digest()


def _digest(pairs: list[tuple[Path, bytes]], scheme: _Scheme = _SCHEMES[SCHEMA_ID]) -> bytes:
    h = hashlib.sha256(scheme.digest_tag + struct.pack(">I", len(pairs)))
    for path, leaf in pairs:
        raw = _path_bytes(path)
        h.update(struct.pack(">I", len(raw)) + raw + leaf)
    return h.digest()


# ----------------------------------------------------------------------- commit


@dataclasses.dataclass(frozen=True, slots=True)
class Leaf:
    path: str
    type: LeafType
    value: JSONScalar
    salt: bytes
    hash: bytes  # what stands for this node when hidden (eco/2 containers: the node hash)


@dataclasses.dataclass(frozen=True, slots=True)
class CommittedCertificate:
    """A certificate with its salts, leaf hashes and digest. Made by ``commit`` only;
    the holder keeps it (the salts are the secret that makes hiding work)."""

    certificate: Certificate
    leaves: tuple[Leaf, ...]
    digest: bytes
    schema_id: str = SCHEMA_ID


_Walked = list[tuple[Path, LeafType, Any, _Node]]


def _walk(node: _Node, path: Path, value: Any, out: _Walked) -> None:
    if value is None:
        if not node.nullable:
            raise TypeError(f"{format_path(path)} may not be null")
        out.append((path, LeafType.null, None, node))
    elif node.kind is LeafType.object:
        if type(value).__name__ != node.name or not isinstance(value, BaseModel):
            raise TypeError(f"{format_path(path)} must be a {node.name}")
        out.append((path, LeafType.object, node.name, node))
        for name, child in node.fields:
            _walk(child, (*path, name), getattr(value, name), out)
    elif node.kind is LeafType.array:
        assert node.item is not None
        if not isinstance(value, list | tuple) or len(value) > node.max_length:
            raise TypeError(f"{format_path(path)} must be a list of at most {node.max_length}")
        out.append((path, LeafType.array, len(value), node))
        for index, element in enumerate(value):
            _walk(node.item, (*path, index), element, out)
    else:
        out.append((path, node.kind, _to_json(node.kind, value, path), node))


def _fold(
    paths: list[Path], kinds: list[LeafType], hashes: list[bytes], scheme: _Scheme
) -> list[bytes]:
    """eco/2 node hashes of a pre-order walk: bottom-up, each container over its children."""
    out = list(hashes)
    stack: list[tuple[int, bytes]] = []  # (depth, node hash); the top is the next sibling
    for k in reversed(range(len(paths))):
        depth = len(paths[k])
        if kinds[k] in (LeafType.object, LeafType.array):
            children = []
            while stack and stack[-1][0] == depth + 1:
                children.append(stack.pop()[1])
            out[k] = _node_hash(hashes[k], children, scheme)
        stack.append((depth, out[k]))
    return out


def commit(
    certificate: Certificate,
    rng: Callable[[int], bytes] = os.urandom,
    *,
    schema_id: str = SCHEMA_ID,
) -> CommittedCertificate:
    """Salt and hash every field of the certificate; the digest is what the issuer signs.

    ``schema_id`` other than the default only re-commits a stored older certificate."""
    if type(certificate) is not Certificate:
        raise TypeError("commit() takes a validated Certificate")
    scheme = _scheme(schema_id)
    walked: _Walked = []
    for name, child in _ROOT.fields:
        _walk(child, (name,), getattr(certificate, name), walked)
    salts = [rng(SALT_BYTES) for _ in walked]
    if any(not isinstance(s, bytes) or len(s) != SALT_BYTES for s in salts):
        raise SaltInvalid(f"the random source must give {SALT_BYTES}-byte salts")
    if len(set(salts)) != len(salts):
        raise SaltInvalid("the random source repeated a salt: it is not random")
    hashes = []
    for (path, kind, value, node), salt in zip(walked, salts, strict=True):
        raw = _value_bytes(kind, value, node)
        assert raw is not None, (path, kind, value)
        hashes.append(_leaf_hash(path, kind, raw, salt, scheme))
    paths = [w[0] for w in walked]
    if scheme.nested:
        hashes = _fold(paths, [w[1] for w in walked], hashes, scheme)
    leaves = tuple(
        Leaf(format_path(path), kind, value, salt, h)
        for (path, kind, value, _), salt, h in zip(walked, salts, hashes, strict=True)
    )
    pairs = [(p, h) for p, h in zip(paths, hashes, strict=True) if not scheme.nested or len(p) == 1]
    return CommittedCertificate(certificate, leaves, _digest(pairs, scheme), schema_id)


# --------------------------------------------------------------------- disclose

_Hex = Annotated[str, Field(max_length=128)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class RevealedLeaf(_Strict):
    path: Annotated[str, Field(max_length=256)]
    type: Annotated[LeafType, Field(strict=False)]  # JSON gives the code as text
    value: JSONScalar
    salt: _Hex = Field(description="The leaf's salt, 64 lowercase hex digits.")


class HiddenLeaf(_Strict):
    path: Annotated[str, Field(max_length=256)]
    hash: _Hex = Field(description="The leaf hash, 64 lowercase hex digits.")


class Disclosure(_Strict):
    """Every leaf of a certificate in schema order: revealed with value and salt, or
    hidden behind its hash."""

    schema_id: str
    leaves: list[RevealedLeaf | HiddenLeaf] = Field(max_length=MAX_LEAVES)


def disclose(committed: CommittedCertificate, paths: Iterable[str]) -> Disclosure:
    """Reveal the leaves at ``paths`` and everything below them; hide the rest (under
    eco/2, each hidden part behind the one hash of its largest hidden subtree)."""
    chosen = [parse_path(p) for p in paths]
    known = {leaf.path for leaf in committed.leaves}
    for path in chosen:
        if format_path(path) not in known:
            raise DisclosureInvalid(
                "path-unknown",
                f"the certificate has no leaf {format_path(path)!r}",
                field="paths",
                value=format_path(path),
            )
    nested = _scheme(committed.schema_id).nested
    out: list[RevealedLeaf | HiddenLeaf] = []
    hidden_below: Path | None = None  # eco/2: the subtree hidden behind one hash
    for leaf in committed.leaves:
        segs = parse_path(leaf.path)
        if hidden_below is not None and segs[: len(hidden_below)] == hidden_below:
            continue
        chosen_here = any(segs[: len(c)] == c for c in chosen)
        # eco/2 opens every part on the way to a chosen path (its own leaf revealed).
        if chosen_here or (nested and any(c[: len(segs)] == segs for c in chosen)):
            out.append(
                RevealedLeaf(path=leaf.path, type=leaf.type, value=leaf.value, salt=leaf.salt.hex())
            )
        else:
            out.append(HiddenLeaf(path=leaf.path, hash=leaf.hash.hex()))
            hidden_below = segs if nested else None
    return Disclosure(schema_id=committed.schema_id, leaves=out)


def disclosure_bytes(disclosure: Disclosure) -> bytes:
    """The disclosure as canonical JSON (RFC 8785)."""
    return rfc8785.dumps(disclosure.model_dump(mode="json"))


def parse_disclosure(data: bytes | str) -> Disclosure:
    """A disclosure from JSON: duplicated keys, unknown fields and floats refused."""
    try:
        raw = load_json_strict(data, error=OriginInputInvalid)
        return Disclosure.model_validate(raw)
    except OriginInputInvalid as exc:
        raise DisclosureInvalid("malformed", exc.detail) from exc
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise DisclosureInvalid("malformed", f"{first['loc']}: {first['msg']}") from exc


# ----------------------------------------------------------------------- verify

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _brief(value: object) -> str:
    """A value short enough for a message (a 10**5000 cannot even be printed)."""
    if isinstance(value, int) and abs(value) >= 2**53:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclasses.dataclass(frozen=True, slots=True)
class _Entry:
    path: Path
    leaf: RevealedLeaf | HiddenLeaf


def _shape_error(detail: str, path: Path) -> DisclosureInvalid:
    return DisclosureInvalid("shape-invalid", detail, field="leaves", value=format_path(path))


def _expect(node: _Node, path: Path, entries: list[_Entry], i: int) -> RevealedLeaf | HiddenLeaf:
    """The leaf at position ``i``, which the schema walk says must be ``path``, of a type
    the schema allows there."""
    if i >= len(entries) or entries[i].path != path:
        got = format_path(entries[i].path) if i < len(entries) else "the end"
        raise _shape_error(
            f"expected leaf {format_path(path)!r} at position {i}; got {got!r}", path
        )
    leaf = entries[i].leaf
    if isinstance(leaf, RevealedLeaf) and not node.allows(leaf.type):
        raise DisclosureInvalid(
            "type-mismatch",
            f"{format_path(path)} is a {node.describe()} leaf; the disclosure says {leaf.type}",
            field=format_path(path),
            value=str(leaf.type),
        )
    return leaf


def _descend(node: _Node, path: Path, entries: list[_Entry], i: int) -> int:
    """Consume the leaves of ``node`` at ``path`` in canonical order; return the next index."""
    leaf = _expect(node, path, entries, i)
    declared = leaf.type if isinstance(leaf, RevealedLeaf) else None
    i += 1
    depth = len(path)

    def below(j: int) -> bool:
        return j < len(entries) and len(entries[j].path) > depth and entries[j].path[:depth] == path

    if node.kind is LeafType.object:
        if declared is LeafType.null or (declared is None and not below(i)):
            if not node.nullable:
                raise _shape_error(f"{format_path(path)} must be an object", path)
            if below(i):
                raise _shape_error(f"{format_path(path)} is null but has fields", path)
            return i
        for name, child in node.fields:
            i = _descend(child, (*path, name), entries, i)
    elif node.kind is LeafType.array:
        assert node.item is not None
        count = 0
        while below(i) and entries[i].path[depth] == count:
            if count >= node.max_length:
                raise _shape_error(f"{format_path(path)} has over {node.max_length} elements", path)
            i = _descend(node.item, (*path, count), entries, i)
            count += 1
        if declared is LeafType.null and count:
            raise _shape_error(f"{format_path(path)} is null but has elements", path)
        if declared is LeafType.array and isinstance(leaf, RevealedLeaf) and leaf.value != count:
            raise _shape_error(
                f"{format_path(path)} says {leaf.value!r} elements; {count} follow", path
            )
    return i


def _check_shape(entries: list[_Entry]) -> None:
    i = 0
    for name, child in _ROOT.fields:
        i = _descend(child, (name,), entries, i)
    if i != len(entries):
        raise _shape_error(f"unexpected leaf {format_path(entries[i].path)!r}", entries[i].path)


def _entry_hash(entry: _Entry, node: _Node, salts: set[str], scheme: _Scheme) -> bytes:
    """A hidden entry's hash as given, or a revealed entry's leaf hash, each checked."""
    leaf, where = entry.leaf, format_path(entry.path)
    if isinstance(leaf, HiddenLeaf):
        if not _HEX64.fullmatch(leaf.hash):
            raise DisclosureInvalid(
                "hash-invalid",
                f"{where}: the hash must be 64 lowercase hex digits",
                field=where,
                value=leaf.hash,
            )
        return bytes.fromhex(leaf.hash)
    if not _HEX64.fullmatch(leaf.salt):
        raise DisclosureInvalid(
            "salt-invalid",
            f"{where}: the salt must be {SALT_BYTES} bytes as 64 lowercase hex digits",
            field=where,
            value=leaf.salt,
        )
    if leaf.salt in salts:
        raise DisclosureInvalid(
            "salt-reused",
            f"{where}: salt already used by another leaf",
            field=where,
            value=leaf.salt,
        )
    salts.add(leaf.salt)
    raw = _value_bytes(leaf.type, leaf.value, node)
    if raw is None:
        brief = _brief(leaf.value)
        raise DisclosureInvalid(
            "value-invalid",
            f"{where}: {brief} is not a canonical {leaf.type} value",
            field=where,
            value=brief,
        )
    return _leaf_hash(entry.path, leaf.type, raw, bytes.fromhex(leaf.salt), scheme)


def _nested_pairs(
    entries: list[_Entry], salts: set[str], scheme: _Scheme
) -> list[tuple[Path, bytes]]:
    """eco/2: walk the schema over the entries, folding node hashes bottom-up; a hidden
    entry ends its subtree, an opened container lists every child."""

    def visit(node: _Node, path: Path, i: int) -> tuple[int, bytes]:
        leaf = _expect(node, path, entries, i)
        own = _entry_hash(entries[i], node, salts, scheme)
        i += 1
        if isinstance(leaf, HiddenLeaf) or leaf.type not in (LeafType.object, LeafType.array):
            return i, own
        children: list[bytes] = []
        if leaf.type is LeafType.object:
            for name, child in node.fields:
                i, h = visit(child, (*path, name), i)
                children.append(h)
        else:
            assert node.item is not None and isinstance(leaf.value, int)
            if leaf.value > node.max_length:
                raise _shape_error(f"{format_path(path)} has over {node.max_length} elements", path)
            for index in range(leaf.value):
                i, h = visit(node.item, (*path, index), i)
                children.append(h)
        return i, _node_hash(own, children, scheme)

    i, pairs = 0, []
    for name, child in _ROOT.fields:
        i, h = visit(child, (name,), i)
        pairs.append(((name,), h))
    if i != len(entries):
        raise _shape_error(f"unexpected leaf {format_path(entries[i].path)!r}", entries[i].path)
    return pairs


def verify_disclosure(
    disclosure: Disclosure, *, require: Iterable[str] = (), expected: bytes | None = None
) -> bytes:
    """The digest the disclosure commits to, or ``DisclosureInvalid`` with the reason.

    The caller then checks the issuer's signature over the returned digest and the
    digest's place in the log (or passes the signed digest as ``expected``);
    ``require`` names paths that must be revealed.
    """
    scheme = _scheme(disclosure.schema_id)
    if not 1 <= len(disclosure.leaves) <= MAX_LEAVES:
        raise _shape_error(f"{len(disclosure.leaves)} leaves", ())
    entries = [_Entry(parse_path(leaf.path), leaf) for leaf in disclosure.leaves]
    nodes = [_schema_at(e.path) for e in entries]
    salts: set[str] = set()
    if scheme.nested:
        pairs = _nested_pairs(entries, salts, scheme)
    else:
        _check_shape(entries)
        pairs = [
            (entry.path, _entry_hash(entry, node, salts, scheme))
            for entry, node in zip(entries, nodes, strict=True)
        ]
    for wanted in require:
        # Revealed with everything below it: an opened eco/2 part alone does not count.
        at = parse_path(wanted)
        under = [e for e in entries if e.path[: len(at)] == at]
        if not under or under[0].path != at or any(isinstance(e.leaf, HiddenLeaf) for e in under):
            raise DisclosureInvalid("path-not-revealed", f"{wanted} must be revealed", field=wanted)
    digest = _digest(pairs, scheme)
    if expected is not None and digest != expected:
        raise DisclosureInvalid(
            "digest-mismatch", f"the leaves hash to {digest.hex()}, not to {expected.hex()}"
        )
    return digest


@dataclasses.dataclass(frozen=True, slots=True)
class VerifiedDisclosure:
    digest: bytes
    values: dict[str, Any]  # path → str | int | Decimal | date | bool | None


def read_disclosure(
    disclosure: Disclosure, *, require: Iterable[str] = (), expected: bytes | None = None
) -> VerifiedDisclosure:
    """Verify, then return the revealed values typed (decimals as Decimal, dates as date)."""
    digest = verify_disclosure(disclosure, require=require, expected=expected)
    values: dict[str, Any] = {}
    for leaf in disclosure.leaves:
        if isinstance(leaf, RevealedLeaf) and leaf.type is not LeafType.object:
            value: Any = leaf.value
            if leaf.type is LeafType.decimal:
                value = Decimal(str(leaf.value))
            elif leaf.type is LeafType.date:
                value = dt.date.fromisoformat(str(leaf.value))
            values[leaf.path] = value
    return VerifiedDisclosure(digest, values)


__all__ = [
    "MAX_LEAVES",
    "SALT_BYTES",
    "SCHEMA_FINGERPRINT",
    "SCHEMA_ID",
    "SCHEMA_IDS",
    "SCHEMA_V1",
    "SCHEMA_V2",
    "CommittedCertificate",
    "Disclosure",
    "HiddenLeaf",
    "Leaf",
    "LeafType",
    "RevealedLeaf",
    "SaltInvalid",
    "VerifiedDisclosure",
    "canonical_decimal",
    "commit",
    "disclose",
    "disclosure_bytes",
    "format_path",
    "parse_disclosure",
    "parse_path",
    "read_disclosure",
    "verify_disclosure",
]
