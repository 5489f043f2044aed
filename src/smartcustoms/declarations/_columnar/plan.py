"""A mapping and a file's header compiled into a plan: the declaration document as a tree
of fixed JSON fragments (constants, defaults, brackets) and fields filled from columns,
in the order pydantic dumps the model (exclude_none)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
from pydantic import BaseModel

from smartcustoms.declarations._columnar.kinds import (
    DATE,
    HEADER_FIELDS,
    HS_CODE,
    ITEM_FIELDS,
    KNOWN_FIELDS,
    NATIONAL,
    NATIONAL_KEY,
    OBJECT_MODELS,
    PARTY_FIELDS,
    Context,
    Kind,
    json_string,
    json_value,
    plain_pattern,
)
from smartcustoms.declarations.mapping import (
    CompiledMapping,
    MappingSpec,
    _base_converter,
    _converter,
)
from smartcustoms.declarations.models import DeclarationCreate, GoodsItem, Party, Profile


class Unsupported(Exception):
    """The mapping uses something the fast path does not reproduce exactly."""


def require(condition: bool, reason: str) -> None:
    if not condition:
        raise Unsupported(reason)


@dataclass(frozen=True, eq=False, slots=True)
class Leaf:
    """A field filled from a column, written ``prefix`` + JSON value + ``suffix``.

    The prefix is ``,"key":`` — or more: an object with one column field is written
    straight from that column, its brackets and constants in the prefix and suffix."""

    target: str
    kind: Kind
    prefix: str
    suffix: str
    column: int
    name: str  # the column's name: its key in source_extra
    conv: Callable[[str], Any] | None  # the mapping's converter for this target
    plain: re.Pattern[str] | None  # a cell valid and unchanged by the mapping's rules
    plain_column: re.Pattern[str] | None  # a whole column of those, empties, null values
    nulls: frozenset[str]
    nulled_name: str  # what a null cell adds to the declaration's absent fields
    default: str  # written where the cell gives no value: the model's default, if any


@dataclass(frozen=True, eq=False, slots=True)
class Obj:
    """A nested object, written ``open`` … ``close`` where a column fills one of its
    fields."""

    open: str  # ',"key":{', or ',{' for an element of the parties list
    children: tuple[Node, ...]
    # Groups of children (indexes) of which one must give a value once the object exists.
    needs: tuple[tuple[int, ...], ...] = ()
    empty: str = ""  # written where no column fills it ('' leaves it out)
    close: str = "}"


Node = Leaf | Obj | str  # str: a fixed fragment (a constant, a default)


@dataclass(frozen=True, slots=True)
class Plan:
    width: int
    head: tuple[Node, ...]  # '{' and the top-level fields before "items", in dump order
    item: tuple[Node, ...]  # a goods item's fields after "sequence"
    tail: tuple[Node, ...]  # the top-level fields after "items", and '}'
    leaves: dict[str, Leaf]  # by target, e.g. 'items.price.amount'
    constants: dict[str, str]  # the value of each constant, by target
    objects: dict[str, Node]  # by target, e.g. 'items.price', 'parties.declarant'
    header_leaves: tuple[Leaf, ...]  # header then party columns, in the mapping's order
    item_leaves: tuple[Leaf, ...]
    unmapped: tuple[tuple[int, str], ...]  # kept verbatim in source_extra
    profile: Profile
    totals: bool  # a header total comes from a column: compare it with the items


def build_plan(spec: MappingSpec, header: list[str]) -> Plan:
    """The plan of ``spec`` for a file with ``header``; raises ``Unsupported``."""
    return _Builder(spec, header).plan()


class _Builder:
    def __init__(self, spec: MappingSpec, header: list[str]) -> None:
        require(all(tuple(m.model_fields) == f for m, f in KNOWN_FIELDS.items()),
                "the declaration models changed since this path was written")
        require(len(set(header)) == len(header), "the header repeats a column name")
        CompiledMapping(spec, header)  # the exact path's column checks (MappingInvalid)
        self.spec, self.header = spec, header
        index = {name: i for i, name in enumerate(header)}
        self.leaves = {t: _column_leaf(spec, t, index[c]) for t, c in spec.fields.items()}
        self.constants = _constants(spec)
        require("profile" not in self.leaves, "the profile comes from a column")
        require(not self.leaves.keys() & self.constants.keys(),
                "a target has both a column and a constant")
        _check_kept_originals(header, self.leaves)
        self.objects: dict[str, Node] = {}
        self.placed: set[str] = set()

    def plan(self) -> Plan:
        spec = self.spec
        names = list(DeclarationCreate.model_fields)
        top = [self._top_field(name) for name in names if name != "items"]
        split = names.index("items")
        item = tuple(self._field(name, GoodsItem, "items.") for name in GoodsItem.model_fields
                     if name != "sequence")
        require(self.placed == set(spec.fields) | set(self.constants),
                "a target has no place in the declaration")
        columns = [t for t in spec.fields if not t.startswith(("items.", "parties."))]
        columns += [t for t in spec.fields if t.startswith("parties.")]
        mapped = {leaf.column for leaf in self.leaves.values()}
        return Plan(
            width=len(self.header), head=("{", *top[:split]), item=item,
            tail=(*top[split:], "}"), leaves=self.leaves, constants=self.constants,
            objects=self.objects, header_leaves=tuple(self.leaves[t] for t in columns),
            item_leaves=tuple(self.leaves[t] for t in spec.fields if t.startswith("items.")),
            unmapped=tuple((i, n) for i, n in enumerate(self.header) if i not in mapped)
            if spec.keep_unmapped else (),
            profile=Profile(self.constants.get("profile", Profile.full.value)),
            totals=any(t.split(".")[0] in ("invoice_total", "total_gross_mass_kg",
                                           "total_packages") for t in spec.fields),
        )

    def _top_field(self, name: str) -> Node:
        if name == "parties":
            roles = _party_roles(self.spec)
            return Obj(',"parties":[', tuple(self._party(r) for r in roles), close="]",
                       empty=',"parties":[]')
        if name == "national":
            return self._national()
        node = self._field(name, DeclarationCreate, "")
        if name == "reference":  # the first field: '{' opens the document instead of ','
            node = _without_comma(node)
            if isinstance(node, Leaf):
                self.leaves["reference"] = node
        return node

    def _field(self, name: str, model: type[BaseModel], owner: str) -> Node:
        target = f"{owner}{name}"
        prefix = f",{json_string(name)}:"
        if target in self.leaves:
            self.placed.add(target)
            return self.leaves[target]
        if target in self.constants:
            self.placed.add(target)
            return prefix + json_value(_kind_of(target), self.constants[target])
        if not any(t.startswith(f"{target}.") for t in (*self.leaves, *self.constants)):
            return _default(model, name, prefix)
        require(name in OBJECT_MODELS, f"target {target!r}")
        sub = OBJECT_MODELS[name]
        children = tuple(self._field(n, sub, f"{target}.") for n in sub.model_fields)
        required = [(i,) for i, f in enumerate(sub.model_fields.values()) if f.is_required()]
        return self._object(target, Obj(prefix + "{", children, _needs(children, required)))

    def _party(self, role: str) -> Node:
        owner = f"parties.{role}"
        children = (f',"role":{json_string(role)}',
                    *(self._field(n, Party, f"{owner}.") for n in Party.model_fields
                      if n != "role"))
        # rules._check_parties: a party needs an identifier or a name
        return self._object(owner, Obj(",{", children, _needs(children, [(1, 2)])))

    def _national(self) -> Node:
        """National elements keep the mapping's order: columns, then constants (which only
        complete a dict a column created)."""
        names = [t for t in (*self.leaves, *self.constants) if t.startswith("national.")]
        require(len(names) <= 64, "more than 64 national elements")
        children = tuple(self._field(t.split(".", 1)[1], DeclarationCreate, "national.")
                         for t in names)
        return self._object("national", Obj(',"national":{', children,
                                            empty=',"national":{}'))

    def _object(self, target: str, obj: Obj) -> Node:
        """The object; or where one column fills it, that column's leaf wearing the
        object's brackets (so no pass over the rows wraps it)."""
        filled = [i for i, c in enumerate(obj.children) if _has_columns(c)]
        node: Node = obj
        if not filled:  # mapping._put: constants alone do not make the object
            node = obj.empty
        elif len(filled) == 1 and not obj.needs and not obj.empty:
            i = filled[0]
            leaf = obj.children[i]
            if isinstance(leaf, Leaf) and not leaf.default:
                before = "".join(obj.children[:i])  # type: ignore[arg-type]  # all str
                after = "".join(obj.children[i + 1:])  # type: ignore[arg-type]
                prefix = obj.open + (before[1:] + leaf.prefix if before else leaf.prefix[1:])
                node = replace(leaf, prefix=prefix, suffix=leaf.suffix + after + obj.close)
                self.leaves[leaf.target] = node
                self.objects = {t: node if o is leaf else o for t, o in self.objects.items()}
        self.objects[target] = node
        return node


def _column_leaf(spec: MappingSpec, target: str, column: int) -> Leaf:
    kind = _kind_of(target)
    parts = target.split(".")
    owner, key = parts[0], parts[-1]
    nulls = spec.null_values.get(target, ())
    places = spec.round.get(target)
    plain = plain_pattern(kind, places) if _base_converter(key, spec.csv) is None else None
    return Leaf(
        target, kind, f",{json_string(key)}:", "", column, spec.fields[target],
        # the exact path's converter: the same function with the same arguments
        _converter(key, spec.csv, nulls=nulls, places=places),
        None if plain is None else re.compile(plain),
        None if plain is None else _column_pattern(plain, nulls),
        frozenset(nulls),
        # mapping.build: an item field by 'items.<field>', a header one by its first part
        "" if owner == "parties" else f"items.{parts[1]}" if owner == "items" else owner,
        _default_of(target),
    )


def _default_of(target: str) -> str:
    """What pydantic writes for a declaration or item field left out: its default (say
    type_code 'IM'); nothing for the fields of nested objects, whose defaults are None."""
    parts = target.split(".")
    if len(parts) == 1:
        return _default(DeclarationCreate, target, f",{json_string(target)}:")
    if parts[0] == "items" and len(parts) == 2:
        return _default(GoodsItem, parts[1], f",{json_string(parts[1])}:")
    return ""


def _column_pattern(plain: str, nulls: Iterable[str]) -> re.Pattern[str]:
    """A whole column, cells joined by NUL: each plain, empty or a null value."""
    cell = "|".join([f"(?:{plain})", *(re.escape(v) for v in nulls if v)])
    return re.compile(f"(?:{cell})?(?:\x00(?:{cell})?)*")


def _kind_of(target: str) -> Kind:
    owner, _, rest = target.partition(".")
    if owner == "items":
        kind = ITEM_FIELDS.get(rest)
    elif owner == "parties":
        kind = PARTY_FIELDS.get(rest.partition(".")[2])
    elif owner == "national":
        require(len(rest) <= 64 and bool(NATIONAL_KEY.fullmatch(rest)), f"key {target!r}")
        kind = NATIONAL
    else:
        kind = HEADER_FIELDS.get(target)
    if kind is None:
        raise Unsupported(f"target {target!r}")
    return kind


def _constants(spec: MappingSpec) -> dict[str, str]:
    """Each constant as the model keeps it."""
    out = {}
    for target, value in spec.constants.items():
        require(not target.startswith("parties."), "a party constant")
        kind = _kind_of(target)
        require(isinstance(value, str) and value == value.strip()
                and kind is not HS_CODE and kind is not DATE, f"constant {target!r}")
        normal = kind.check(str(value), Context(dt.date.min, None))
        require(normal is not None, f"constant {target!r} is not valid")
        out[target] = str(normal)
    return out


def _check_kept_originals(header: list[str], leaves: dict[str, Leaf]) -> None:
    """A later item's changed cell is kept as 'Column#2': no column may have that name."""
    converted = {leaf.name for t, leaf in leaves.items()
                 if t.startswith("items.") and leaf.conv is not None}
    for name in header:
        base, mark, seq = name.rpartition("#")
        require(not (mark and base in converted and seq.isdigit()), f"column {name!r}")


def _party_roles(spec: MappingSpec) -> list[str]:
    """Roles in the order the exact path lists them, by their first filled column: fixed
    when each role's columns are consecutive in the mapping."""
    roles = [t.split(".")[1] for t in spec.fields if t.startswith("parties.")]
    order = list(dict.fromkeys(roles))
    require(roles == [r for r in order for _ in range(roles.count(r))],
            "a party's columns are not consecutive in the mapping")
    return order


def _default(model: type[BaseModel], name: str, prefix: str) -> str:
    """The fragment of a field nothing fills: its default; nothing for None, or for a
    required field (the checks then find it missing)."""
    field = model.model_fields[name]
    default = None if field.is_required() else field.get_default(call_default_factory=True)
    if default is None:
        return ""
    require(isinstance(default, str) or default in ([], {}), f"default of {name!r}")
    return prefix + orjson.dumps(default).decode()  # a StrEnum dumps as its value


def _without_comma(node: Node) -> Node:
    if isinstance(node, Leaf):
        return replace(node, prefix=node.prefix[1:], default=node.default[1:])
    return node[1:] if isinstance(node, str) else node


def _has_columns(node: Node) -> bool:
    if isinstance(node, Obj):
        return any(_has_columns(c) for c in node.children)
    return isinstance(node, Leaf)


def _needs(children: tuple[Node, ...], groups: Sequence[tuple[int, ...]]
           ) -> tuple[tuple[int, ...], ...]:
    """The groups worth checking per row: not those a constant fills, nor those holding
    every column of the object (it exists only where one of them gives a value). A group
    with no column left stays, empty: the object can never have it."""
    filled = {i for i, c in enumerate(children) if _has_columns(c)}
    out = []
    for group in groups:
        if any(isinstance(children[i], str) and children[i] for i in group):
            continue
        columns = tuple(i for i in group if i in filled)
        if not filled <= set(columns):
            out.append(columns)
    return tuple(out)
