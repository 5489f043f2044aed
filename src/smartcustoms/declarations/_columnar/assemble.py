"""The cross-field checks (rules.py and the model's validators) over a chunk's evaluated
rows, and the prepared declarations they make, as prepare.prepare makes them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Iterable
from decimal import Decimal
from functools import partial
from itertools import repeat

import orjson

from smartcustoms.declarations import rules
from smartcustoms.declarations._columnar.evaluate import (
    Evaluation,
    Memo,
    Values,
    at,
    per_row,
)
from smartcustoms.declarations._columnar.plan import Plan
from smartcustoms.declarations.models import Profile
from smartcustoms.declarations.prepare import PreparedDeclaration, declaration_id

# PreparedDeclaration from a tuple of its fields, without _make's Python-level length check
_new_prepared = partial(tuple.__new__, PreparedDeclaration)
# prepare.ITEM_COLUMNS after (declaration_id, sequence), price amount and currency last
_ITEM_VALUES = ("hs_code", "hs_edition", "origin_country", "description", "net_mass_kg")


class Assembly:
    """A chunk's rows, evaluated and checked; declarations made all at once for one-row
    groups (``single_rows``), group by group for the others (``group``)."""

    def __init__(self, plan: Plan, rows: list[list[str]], today: dt.date,
                 absent: frozenset[str], memo: Memo) -> None:
        self.plan, self.rows, self.n, self.absent = plan, rows, len(rows), absent
        ev = self.ev = Evaluation(plan, rows, today, memo)
        for node in plan.item:  # item fields first: their failures count in every row
            ev.node(node, ev.bad_item)
        self.documents = ev.content((*plan.head, ',"items":[{"sequence":1', *plan.item, "}]",
                                     *plan.tail), ev.bad_header)
        self.missing: dict[int, set[str]] = {}  # row -> required fields it lacks
        self._check_required()
        self._check_parties()
        self._check_masses()
        self.reference = ev.values("reference")
        self.declarant = ev.values("parties.declarant.identifier")
        self.importer = ev.values("parties.importer.identifier")
        self.date = ev.values("declaration_date")
        self.office = ev.values("office")
        self.item_values = [*(self._item_values(name) for name in _ITEM_VALUES),
                            self._member_values("items.price", "amount"),
                            self._member_values("items.price", "currency")]
        self._absent_json: dict[frozenset[str], str | None] = {}
        self._parts: list[list[str] | str] = []  # head, item body, tail of larger groups
        self._invoice_total: tuple[Values, Values] | None = None

    # checks over columns

    def _presence(self, target: str) -> list[str] | str:
        plan = self.plan
        return self.ev.presence(plan.leaves.get(target) or plan.objects.get(target))

    def _lacking(self, target: str) -> Iterable[int]:
        fragments = self._presence(target)
        if isinstance(fragments, str):
            return () if fragments else range(self.n)
        return [r for r, f in enumerate(fragments) if not f] if "" in fragments else ()

    def _check_required(self) -> None:
        ev, profile = self.ev, self.plan.profile
        for name in ("reference", "declaration_date", "office"):  # no default in the model
            ev.bad_header.update(self._lacking(name))
        ev.bad_item.update(self._lacking("items.hs_code"))
        # rules._check_required: exempt when absent, or where a null value emptied it
        required = [*rules._REQUIRED_HEADER_FIELDS[profile],
                    *(f"items.{n}" for n in rules._REQUIRED_ITEM_FIELDS[profile])]
        for name in required:
            if name not in self.absent:
                for row in self._lacking(name):
                    self.missing.setdefault(row, set()).add(name)

    def _check_parties(self) -> None:
        """rules._check_parties (each role appears once by construction)."""
        bad = self.ev.bad_header
        bad.update(self._lacking("parties.declarant"))
        bad.update(self._lacking("parties.declarant.identifier"))
        if self.plan.profile is Profile.full:
            bad.update(self._lacking("parties.importer"))
        else:
            consignee = set(self._lacking("parties.consignee"))
            bad.update(r for r in self._lacking("parties.importer") if r in consignee)

    def _check_masses(self) -> None:
        """GoodsItem._gross_at_least_net."""
        net, gross = self.ev.values("items.net_mass_kg"), self.ev.values("items.gross_mass_kg")
        if net is None or gross is None:
            return
        self.ev.bad_item.update(
            r for r, (n, g) in enumerate(zip(per_row(net, self.n), per_row(gross, self.n),
                                             strict=True))
            if n is not None and g is not None and Decimal(g) < Decimal(n))

    def _item_values(self, name: str) -> Values:
        values = self.ev.values(f"items.{name}")
        if name != "hs_edition" or isinstance(values, str):
            return values
        if values is None:
            return "HS2022"  # GoodsItem's default, also where the cell is empty
        return [v or "HS2022" for v in values]

    def _member_values(self, owner: str, key: str) -> Values:
        """A field of an object: a constant one only where the object exists."""
        values = self.ev.values(f"{owner}.{key}")
        if not isinstance(values, str):
            return values
        present = self._presence(owner)
        if isinstance(present, str):
            return values if present else None
        return [values if f else None for f in present]

    def _absent(self, nulled: Collection[str]) -> str | None:
        key = frozenset(nulled)
        if key not in self._absent_json:
            names = self.absent | key
            self._absent_json[key] = orjson.dumps(sorted(names)).decode() if names else None
        return self._absent_json[key]

    # one-row groups, all at once

    def single_rows(self, lines: list[int]) -> list[PreparedDeclaration | None]:
        """The declaration of each row as a group of its own (None: not proven valid);
        ``lines[r]`` is row r's file line (rows of larger groups are made and not used)."""
        ev, n = self.ev, self.n
        bad = ev.bad_header | ev.bad_item
        bad.update(r for r, names in self.missing.items()
                   if not names <= set(ev.nulled.get(r, ())))
        if self.plan.totals:
            bad.update(r for r in range(n) if not self._totals_agree(range(r, r + 1)))
        documents = per_row(self.documents, n)
        digests = [hashlib.sha256(d.encode()).hexdigest() for d in documents]
        references, declarants = per_row(self.reference, n), per_row(self.declarant, n)
        importers = per_row(self.importer, n)
        ids = list(map(declaration_id, declarants, references))
        items = [[t] for t in zip(ids, repeat(1), *(per_row(v, n) for v in self.item_values))]
        absent = [self._absent(())] * n
        for r, names in ev.nulled.items():
            absent[r] = self._absent(names)
        rows = zip(ids, references, declarants, importers, repeat(self.plan.profile.value),
                   repeat("submitted"), per_row(self.date, n), per_row(self.office, n),
                   repeat(1), digests, documents, absent, self._single_extras())
        prepared = map(_new_prepared, zip(
            ids, references, declarants, importers, digests, rows, items, lines, strict=True))
        return [None if r in bad else p for r, p in enumerate(prepared)]

    def _single_extras(self) -> list[str | None]:
        names = [name for _, name in self.plan.unmapped]
        cells = list(zip(*(self.ev.columns[i] for i, _ in self.plan.unmapped), strict=True))
        extras: list[str | None]
        if not names:
            extras = [None] * self.n
        elif len(set(cells)) * 8 <= self.n:  # few combinations (flags): each written once
            written = {c: orjson.dumps(dict(zip(names, c, strict=True))).decode()
                       for c in set(cells)}
            extras = list(map(written.__getitem__, cells))
        else:
            extras = [orjson.dumps(dict(zip(names, c, strict=True))).decode() for c in cells]
        for r, changes in self._changes().items():
            extra = dict(zip(names, cells[r], strict=True)) if names else {}
            extra.update(changes)
            extras[r] = orjson.dumps(extra).decode()
        return extras

    def _changes(self) -> dict[int, dict[str, str]]:
        """Per row, the originals a stated rule changed, in mapping.build's order."""
        out: dict[int, dict[str, str]] = {}
        changed = self.ev.changed
        for leaf in (*self.plan.header_leaves, *self.plan.item_leaves):
            for r, original in changed.get(leaf, {}).items():
                out.setdefault(r, {}).setdefault(leaf.name, original)
        return out

    # larger groups, one at a time

    def group(self, first_line: int, span: range) -> PreparedDeclaration | None:
        ev, first = self.ev, span[0]
        if first in ev.bad_header or any(r in ev.bad_item for r in span):
            return None
        if self._differs(span):
            return None
        nulled = {n for r in span for n in ev.nulled.get(r, ())
                  if r == first or n.startswith("items.")}  # header fields: first row only
        missing = {m for r in span for m in self.missing.get(r, ())}
        if missing - nulled or (self.plan.totals and not self._totals_agree(span)):
            return None
        if not self._parts:
            self._parts = [ev.content(nodes, set())
                           for nodes in (self.plan.head, self.plan.item, self.plan.tail)]
        head, body, tail = self._parts
        items = ",".join(f'{{"sequence":{seq}{at(body, r)}}}'
                         for seq, r in enumerate(span, start=1))
        document = f'{at(head, first)},"items":[{items}]{at(tail, first)}'
        reference, declarant = at(self.reference, first), at(self.declarant, first)
        decl_id = declaration_id(declarant, reference)
        digest = hashlib.sha256(document.encode()).hexdigest()
        item_rows = [(decl_id, seq, *(at(v, r) for v in self.item_values))
                     for seq, r in enumerate(span, start=1)]
        row = (decl_id, reference, declarant, at(self.importer, first),
               self.plan.profile.value, "submitted", at(self.date, first),
               at(self.office, first), len(span), digest, document, self._absent(nulled),
               self._extra(span))
        return PreparedDeclaration(decl_id, reference, declarant, at(self.importer, first),
                                   digest, row, item_rows, first_line)

    def _differs(self, span: range) -> bool:
        """CompiledMapping.header_mismatch: header and party cells, stripped."""
        first = self.rows[span[0]]
        compared = [leaf.column for leaf in self.plan.header_leaves]
        return any(self.rows[r][i].strip() != first[i].strip()
                   for r in span[1:] for i in compared)

    def _extra(self, span: range) -> str | None:
        """source_extra as mapping.build fills it: the first row's unmapped cells, then the
        originals a stated rule changed, header and parties first, then item by item."""
        first = self.rows[span[0]]
        extra = {name: first[i] for i, name in self.plan.unmapped}
        changed = self.ev.changed
        for leaf in self.plan.header_leaves:
            original = changed.get(leaf, {}).get(span[0])
            if original is not None:
                extra[leaf.name] = original
        for seq, r in enumerate(span, start=1):
            for leaf in self.plan.item_leaves:
                original = changed.get(leaf, {}).get(r)
                if original is not None:
                    extra[leaf.name if seq == 1 else f"{leaf.name}#{seq}"] = original
        return orjson.dumps(extra).decode() if extra else None

    def _totals_agree(self, span: range) -> bool:
        """rules._check_totals on this declaration's values."""
        first = span[0]
        *_, prices, currencies = ([at(v, r) for r in span] for v in self.item_values)
        if self._invoice_total is None:
            self._invoice_total = (self._member_values("invoice_total", "amount"),
                                   self._member_values("invoice_total", "currency"))
        amount, currency = (at(v, first) for v in self._invoice_total)
        if amount is not None and None not in prices:
            if set(currencies) != {currency}:
                return False
            total = sum((Decimal(p) for p in prices), Decimal(0))
            if abs(total - Decimal(amount)) > rules.AMOUNT_TOLERANCE * len(prices):
                return False
            if (self.plan.profile is Profile.low_value and currency == "EUR"
                    and Decimal(amount) > rules.LOW_VALUE_THRESHOLD_EUR):
                return False
        total_mass = at(self.ev.values("total_gross_mass_kg"), first)
        gross = [at(self.ev.values("items.gross_mass_kg"), r) for r in span]
        if total_mass is not None and None not in gross:
            mass = sum((Decimal(g) for g in gross), Decimal(0))
            if abs(mass - Decimal(total_mass)) > rules.MASS_TOLERANCE_KG * len(gross):
                return False
        total_packages = at(self.ev.values("total_packages"), first)
        packages = [at(self.ev.values("items.packages"), r) for r in span]
        if total_packages is not None and None not in packages:
            return sum(int(p) for p in packages) == int(total_packages)
        return True
