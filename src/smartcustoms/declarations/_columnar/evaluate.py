"""A chunk's rows evaluated a column at a time: for each field of the plan, its JSON
fragment in every row, and the rows where a check failed.

A column with few distinct values (codes, dates, countries) is checked value by value,
each value once (remembered across chunks); a column of many values against one regular
expression over the whole column, cell by cell only where that fails. Fragments stay
columns as long as they can: a column taken as it is (``Raw``) and an object present in
every row (``Splice``) join the document's single join per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import filterfalse, repeat
from typing import Any, NamedTuple

from smartcustoms.declarations._columnar.kinds import HS_CODE, Context, json_value
from smartcustoms.declarations._columnar.plan import Leaf, Node, Obj, Plan


class Raw(NamedTuple):
    """A column whose every cell is written as it is: ``pre + cell + post`` in each row."""

    pre: str
    cells: tuple[str, ...]
    post: str


class Splice(NamedTuple):
    """An object present in every row, written as its parts: joined with its parent's."""

    parts: tuple[Fragments, ...]


Fragments = list[str] | str | Raw | Splice  # a JSON fragment per row, or one for all
Values = list[str | None] | str | None  # a value per row, or one for every row


class Cell(NamedTuple):
    """One distinct cell of a column, checked."""

    fragment: str  # the leaf's fragment; '' where the cell gives no value
    value: str | None  # the value the model keeps
    bad: bool = False
    nulled: bool = False
    changed: bool = False  # a stated rule changed the cell: the original is kept


_EMPTY = Cell("", None)
_NULLED = Cell("", None, nulled=True, changed=True)
_BAD = Cell("", None, bad=True)
_MEMO_LIMIT = 100_000  # outcomes remembered per column across chunks
_FEW = 8  # at most one distinct value in _FEW rows: checked value by value
_SAMPLE = 256  # rows that tell the one from the other
Memo = dict[Leaf, dict[Any, Cell]]


@dataclass(slots=True)
class _LeafColumn:
    fragments: list[str] | Raw
    keys: Sequence[Any]  # the cells, or (edition, cell) pairs for HS codes
    outcomes: dict[Any, Cell]  # every key but the plain cells, taken as they are
    complete: bool  # every key has its outcome

    def values(self) -> list[str | None]:
        if self.complete:
            value = {k: o.value for k, o in self.outcomes.items()}
            return list(map(value.__getitem__, self.keys))
        if not self.outcomes:
            return list(self.keys)  # every cell plain: each is its value
        outcomes = self.outcomes
        return [outcomes[k].value if k in outcomes else k for k in self.keys]


class Evaluation:
    """The plan's fields over a chunk's rows. Failed checks land in a scope: header fields'
    in ``bad_header`` (only a group's first row counts), item fields' in ``bad_item``."""

    def __init__(self, plan: Plan, rows: list[list[str]], today: dt.date, memo: Memo) -> None:
        self.plan = plan
        self.n = len(rows)
        self.columns: list[tuple[str, ...]] = list(zip(*rows, strict=False))  # widths checked
        self.today = today
        self.memo = memo
        self.leaf_columns: dict[Leaf, _LeafColumn] = {}
        self.leaf_values: dict[str, list[str | None]] = {}
        self.object_fragments: dict[Obj, Fragments] = {}
        self.bad_header: set[int] = set()
        self.bad_item: set[int] = set()
        self.nulled: dict[int, list[str]] = {}  # row -> fields a null cell emptied
        self.changed: dict[Leaf, dict[int, str]] = {}  # leaf -> row -> original cell

    def content(self, nodes: Sequence[Node], scope: set[int]) -> list[str] | str:
        """The fragments of ``nodes`` joined, per row."""
        return join([self.node(n, scope) for n in nodes])

    def node(self, node: Node, scope: set[int]) -> Fragments:
        if isinstance(node, str):
            return node
        if isinstance(node, Leaf):
            return self.leaf(node, scope)
        fragments = self.object_fragments.get(node)
        if fragments is None:
            fragments = self.object_fragments[node] = self._object(node, scope)
        return fragments

    def presence(self, node: Node | None) -> list[str] | str:
        """What an evaluated ``node`` wrote in each row, for its truth: '' where nothing."""
        if node is None or isinstance(node, str):
            return node or ""
        fragments = self.node(node, set())
        return "*" if isinstance(fragments, Raw | Splice) else fragments  # '*': in every row

    def values(self, target: str, scope: set[int] | None = None) -> Values:
        """The value the model keeps for ``target`` per row; a constant stands for all."""
        leaf = self.plan.leaves.get(target)
        if leaf is None:
            return self.plan.constants.get(target)
        if target not in self.leaf_values:
            self.leaf(leaf, self.bad_header if scope is None else scope)
            self.leaf_values[target] = self.leaf_columns[leaf].values()
        return self.leaf_values[target]

    # fields

    def leaf(self, leaf: Leaf, scope: set[int]) -> list[str] | Raw:
        column = self.leaf_columns.get(leaf)
        if column is None:
            column = self.leaf_columns[leaf] = self._evaluate(leaf, scope)
        return column.fragments

    def _evaluate(self, leaf: Leaf, scope: set[int]) -> _LeafColumn:
        cells = self.columns[leaf.column]
        sample = cells[:_SAMPLE]
        if leaf.plain is not None and len(set(sample)) * _FEW > len(sample):
            column = self._by_pattern(leaf, cells)
        else:
            column = self._by_value(leaf, cells)
        self._note_exceptions(leaf, column.keys, column.outcomes, scope)
        return column

    def _by_value(self, leaf: Leaf, cells: tuple[str, ...]) -> _LeafColumn:
        """Few distinct values (codes, dates): each checked once, remembered across chunks."""
        memo = self.memo.setdefault(leaf, {})
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        keys: Sequence[Any] = cells
        if leaf.kind is HS_CODE and "items.hs_edition" in self.plan.leaves:
            keys = list(zip(self._editions(), cells, strict=True))  # edition by edition
            outcomes = {k: memo.get(k) or self._cell(leaf, k[1], k[0]) for k in set(keys)}
        else:
            edition = self.plan.constants.get("items.hs_edition", "HS2022")
            outcomes = {k: memo.get(k) or self._cell(leaf, k, edition) for k in set(keys)}
        memo.update(outcomes)
        fragment = {k: o.fragment for k, o in outcomes.items()}
        return _LeafColumn(list(map(fragment.__getitem__, keys)), keys, outcomes, True)

    def _by_pattern(self, leaf: Leaf, cells: tuple[str, ...]) -> _LeafColumn:
        """Many values, mostly plain: one pattern over the column, else cell by cell."""
        assert leaf.plain is not None and leaf.plain_column is not None
        pre, post = (leaf.prefix + '"', '"' + leaf.suffix) if leaf.kind.quoted else (
            leaf.prefix, leaf.suffix)
        joined = "\x00".join(cells)
        if joined.count("\x00") == len(cells) - 1 and leaf.plain_column.fullmatch(joined):
            # (a NUL in a cell is no separator) Every cell plain, empty or a null value.
            odd = {k for k in ("", *leaf.nulls) if k in cells}
            if not odd:
                return _LeafColumn(Raw(pre, cells, post), cells, {}, False)
        else:
            distinct = set(cells)
            odd = {*filterfalse(leaf.plain.fullmatch, distinct), *(leaf.nulls & distinct)}
        outcomes = {k: self._cell(leaf, k, None) for k in odd}
        fragments = [outcomes[c].fragment if c in outcomes else pre + c + post for c in cells]
        return _LeafColumn(fragments, cells, outcomes, False)

    def _cell(self, leaf: Leaf, raw: str, edition: str | None) -> Cell:
        """One cell as mapping.build and the model take it."""
        cell = raw.strip()
        if not cell:  # left out: the model writes its default, if any
            return _EMPTY._replace(fragment=leaf.default) if leaf.default else _EMPTY
        value = cell
        if leaf.conv is not None:
            value = leaf.conv(cell)
            if value is None:
                return _NULLED._replace(fragment=leaf.default) if leaf.default else _NULLED
        normal = leaf.kind.check(value, Context(self.today, edition))
        if normal is None:
            return _BAD
        return Cell(leaf.prefix + json_value(leaf.kind, normal) + leaf.suffix, normal,
                    changed=value != cell)

    def _note_exceptions(self, leaf: Leaf, keys: Sequence[Any], outcomes: dict[Any, Cell],
                         scope: set[int]) -> None:
        """Rows of bad cells into ``scope``; originals a rule changed, fields it emptied."""
        special = {k for k, o in outcomes.items() if o.bad or o.changed}
        if not special:
            return
        changed = self.changed.setdefault(leaf, {})
        cells = self.columns[leaf.column]
        for row in sorted(_rows_of(keys, special)):
            outcome = outcomes[keys[row]]
            if outcome.bad:
                scope.add(row)
                continue
            changed[row] = cells[row]
            if outcome.nulled and leaf.nulled_name:
                self.nulled.setdefault(row, []).append(leaf.nulled_name)

    def _editions(self) -> list[str | None]:
        """Each item's HS edition (GoodsItem's default where none), which decides how its
        HS code is checked."""
        values = self.values("items.hs_edition", self.bad_item)
        if values is None or isinstance(values, str):
            return [values or "HS2022"] * self.n
        return [v or "HS2022" for v in values]

    # objects

    def _object(self, obj: Obj, scope: set[int]) -> Fragments:
        parts = [self.node(n, scope) for n in obj.children]
        if not obj.needs and parts and _in_every_row(parts[0]):
            # It exists in every row and its first field takes the leading comma: its
            # parts join the parent's, with no pass over the rows of its own.
            return Splice((obj.open, _without_comma(parts[0]), *parts[1:], obj.close))
        # mapping._put: constants alone do not make the object
        constant = "".join(p for p in parts if isinstance(p, str))
        start, close, empty = obj.open, obj.close, obj.empty
        fragments = [start + c[1:] + close if (c := "".join(t)) != constant else empty
                     for t in zip(*_columns(parts), strict=False)]  # repeat() is endless
        for group in obj.needs:
            given = [repeat("*") if isinstance(p, Raw | Splice) else p
                     for p in (parts[i] for i in group)]
            scope.update(r for r, (f, *fs) in enumerate(zip(fragments, *given, strict=False))
                         if f != empty and not any(fs))
        return fragments


def join(parts: list[Fragments]) -> list[str] | str:
    """The parts joined in each row (one str: the same in every row)."""
    if all(isinstance(p, str) for p in _flat(parts)):
        return "".join(_flat(parts))  # type: ignore[arg-type]
    return list(map("".join, zip(*_columns(parts), strict=False)))  # repeat() is endless


def per_row(values: Values | Fragments, n: int) -> Sequence[Any]:
    return values if isinstance(values, list) else [values] * n


def at(values: Values | Fragments, row: int) -> Any:
    """Row ``row``'s value; a str or None stands for every row."""
    return values[row] if isinstance(values, list) else values


def _rows_of(keys: Sequence[Any], wanted: set[Any]) -> Iterable[int]:
    """The rows holding one of ``wanted``: for a few rare keys, sequence.index scans in C."""
    if len(wanted) > 8:
        yield from (r for r, k in enumerate(keys) if k in wanted)
        return
    for key in wanted:
        row = -1
        try:
            while True:
                row = keys.index(key, row + 1)
                yield row
        except ValueError:
            continue


def _in_every_row(part: Fragments) -> bool:
    return isinstance(part, Raw | Splice) or (isinstance(part, list) and "" not in part)


def _without_comma(part: Fragments) -> Fragments:
    if isinstance(part, Raw):
        return part._replace(pre=part.pre[1:])
    if isinstance(part, Splice):
        return Splice((_without_comma(part.parts[0]), *part.parts[1:]))
    return part[1:] if isinstance(part, str) else [f[1:] for f in part]


def _flat(parts: Iterable[Fragments]) -> Iterable[Fragments]:
    for part in parts:
        if isinstance(part, Splice):
            yield from _flat(part.parts)
        else:
            yield part


def _columns(parts: list[Fragments]) -> list[Iterable[str]]:
    """Parts to zip row by row: a str repeated (adjacent ones merged), a raw column as its
    prefix, cells and suffix."""
    out: list[Iterable[str]] = []
    fixed = ""
    for part in _flat(parts):
        if isinstance(part, Raw):
            out += [repeat(fixed + part.pre), part.cells]
            fixed = part.post
        elif isinstance(part, str):
            fixed += part
        elif isinstance(part, list):
            out += [repeat(fixed), part] if fixed else [part]
            fixed = ""
    return [*out, repeat(fixed)] if fixed else out
