"""Column-mapping files: how the columns of a CSV of item rows become declarations.

An administration brings its own extracts; a YAML mapping names, for each
declaration field, the column it comes from, the constants that are a stated
rule of the source (e.g. "prices are in KRW"), and the fields the source does
not carry at all (recorded as absent, never invented). See docs/mappings.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from smartcustoms.declarations.models import DeclarationCreate, GoodsItem, PartyRole
from smartcustoms.declarations.validation import errors_from_pydantic
from smartcustoms.errors import FieldError, MappingInvalid

_HEADER_FIELDS = set(DeclarationCreate.model_fields) - {"parties", "items", "national"}
_ITEM_FIELDS = set(GoodsItem.model_fields) - {"documents"}
_PARTY_FIELDS = {"identifier", "name", "address.street", "address.city", "address.postcode",
                 "address.country"}
_NUMERIC_LEAVES = {"amount", "value", "net_mass_kg", "gross_mass_kg", "duty_rate_percent",
                   "exchange_rate", "total_gross_mass_kg"}
_DATE_LEAVES = {"declaration_date", "issue_date"}


class CsvOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    delimiter: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"
    decimal_separator: Literal[".", ","] = "."
    date_format: str | None = Field(
        None, description="strptime format of date columns; default ISO 8601 (YYYY-MM-DD)."
    )


class MappingSpec(BaseModel):
    """A validated mapping file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    csv: CsvOptions = CsvOptions()
    declaration_key: str = Field(
        description="Column whose value groups item rows into one declaration; rows of a "
        "declaration must be consecutive."
    )
    fields: dict[str, str] = Field(description="target field path -> source column")
    constants: dict[str, str | int | float] = Field(default_factory=dict)
    absent: list[str] = Field(default_factory=list)
    null_values: dict[str, list[str]] = Field(
        default_factory=dict,
        description="target -> cell values that mean 'not declared' in this source (e.g. 'ZZ' "
        "for an unknown country); the field is left empty and the original cell is kept "
        "with the declaration.",
    )
    round: dict[str, int] = Field(
        default_factory=dict,
        description="target -> decimal places: numbers are rounded half-even to that many "
        "places (e.g. float artefacts of a generator); the original cell is kept.",
    )
    keep_unmapped: bool = Field(
        True, description="Keep columns that map to no field verbatim with the declaration."
    )
    sha256: str = ""

    @field_validator("fields", "constants")
    @classmethod
    def _known_targets(cls, value: dict[str, Any]) -> dict[str, Any]:
        for target in value:
            problem = _target_problem(target)
            if problem:
                raise ValueError(f"target {target!r}: {problem}")
        return value

    @field_validator("null_values", "round")
    @classmethod
    def _mapped_targets(cls, value: dict[str, Any], info: Any) -> dict[str, Any]:
        fields = info.data.get("fields", {})
        for target in value:
            if target not in fields:
                raise ValueError(f"target {target!r} is not mapped from a column in 'fields'")
        return value

    @field_validator("absent")
    @classmethod
    def _known_absent(cls, value: list[str]) -> list[str]:
        for target in value:
            head = target.split(".")
            if head[0] == "items" and len(head) == 2 and head[1] in _ITEM_FIELDS:
                continue
            if len(head) == 1 and head[0] in _HEADER_FIELDS:
                continue
            raise ValueError(f"absent {target!r}: not a header field or 'items.<field>'")
        return value

    def column_of(self, field_path: str) -> str | None:
        """The source column behind a declaration error path like 'items[0].hs_code'."""
        generic = _strip_indexes(field_path)
        for target, column in self.fields.items():
            if _generic_target(target) == generic:
                return column
        return None


def _strip_indexes(path: str) -> str:
    out, skip = [], False
    for ch in path:
        if ch == "[":
            skip = True
        elif ch == "]":
            skip = False
        elif not skip:
            out.append(ch)
    return "".join(out)


def _generic_target(target: str) -> str:
    parts = target.split(".")
    if parts[0] == "parties" and len(parts) >= 3:
        return "parties." + ".".join(parts[2:])
    return target


def _target_problem(target: str) -> str | None:
    parts = target.split(".")
    if parts[0] == "items":
        if len(parts) < 2 or parts[1] not in _ITEM_FIELDS:
            return f"items.<field> with a field of {sorted(_ITEM_FIELDS)}"
        return None
    if parts[0] == "parties":
        roles = [r.value for r in PartyRole]
        if len(parts) < 3 or parts[1] not in roles or ".".join(parts[2:]) not in _PARTY_FIELDS:
            return (f"parties.<role>.<field> with role in {roles} "
                    f"and field in {sorted(_PARTY_FIELDS)}")
        return None
    if parts[0] == "national":
        return None if len(parts) == 2 and parts[1] else "national.<name>"
    if parts[0] not in _HEADER_FIELDS:
        return f"not a declaration field; header fields are {sorted(_HEADER_FIELDS)}"
    return None


def load_mapping(path: Path) -> MappingSpec:
    """Read and validate a mapping file; errors name the file and key."""
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise MappingInvalid(f"cannot read mapping {path}: {exc.strerror}",
                             field="mapping", value=str(path)) from exc
    try:
        raw = yaml.safe_load(raw_bytes)
    except yaml.YAMLError as exc:
        raise MappingInvalid(f"{path}: not valid YAML: {exc}", field="mapping",
                             value=str(path)) from exc
    if not isinstance(raw, dict):
        raise MappingInvalid(f"{path}: a mapping file is a YAML object", field="mapping",
                             value=str(path))
    raw["sha256"] = hashlib.sha256(raw_bytes).hexdigest()
    try:
        return MappingSpec.model_validate(raw)
    except ValidationError as exc:
        errors = [FieldError(f"{path.name}:{e.field}", e.message, e.value)
                  for e in errors_from_pydantic(exc)]
        raise MappingInvalid(f"{path}: {errors[0]}", errors=errors) from None


def _converter(
    leaf: str, options: CsvOptions, *, nulls: Sequence[str] = (), places: int | None = None
) -> Callable[[str], Any] | None:
    """The cell converter of a target; None when the cell is taken as it is (the hot path)."""
    base = _base_converter(leaf, options)
    if not nulls and places is None:
        return base
    base = base or str
    null_set = frozenset(nulls)
    quantum = Decimal(1).scaleb(-places) if places is not None else None

    def convert(cell: str) -> Any:
        if cell in null_set:
            return None
        value = base(cell)
        if quantum is not None:
            try:
                number = Decimal(value)
                rounded = number.quantize(quantum, rounding=ROUND_HALF_EVEN)
            except (InvalidOperation, TypeError, ValueError):
                return value  # the model reports the bad number with the value received
            if rounded != number:  # only a real change is a change (keeps the original)
                return str(rounded)
        return value

    return convert


def _base_converter(leaf: str, options: CsvOptions) -> Callable[[str], Any] | None:
    if leaf in _NUMERIC_LEAVES and options.decimal_separator == ",":
        return lambda v: v.replace(".", "").replace(",", ".")
    if leaf in _DATE_LEAVES and options.date_format:
        fmt = options.date_format

        def to_iso(v: str) -> str:
            try:
                return dt.datetime.strptime(v, fmt).date().isoformat()
            except ValueError:
                return v  # the model reports it with the value received
        return to_iso
    return None


class CompiledMapping:
    """A mapping turned into fast row -> dict functions for one file's header."""

    def __init__(self, spec: MappingSpec, header: Sequence[str]) -> None:
        self.spec = spec
        self.header = list(header)
        index = {name: i for i, name in enumerate(self.header)}
        missing = [col for col in [*spec.fields.values(), spec.declaration_key]
                   if col not in index]
        if missing:
            raise MappingInvalid(
                f"mapping '{spec.name}' names columns the file does not have: "
                f"{', '.join(repr(m) for m in missing)}; the file has {self.header}",
                field="header", value=missing[0],
            )
        self.key_index = index[spec.declaration_key]
        Conv = Callable[[str], Any] | None
        self.header_cols: list[tuple[int, list[str], Conv]] = []
        self.party_cols: list[tuple[int, str, list[str], Conv]] = []
        self.item_cols: list[tuple[int, list[str], Conv]] = []
        for target, column in spec.fields.items():
            parts = target.split(".")
            conv = _converter(parts[-1], spec.csv, nulls=spec.null_values.get(target, ()),
                              places=spec.round.get(target))
            if parts[0] == "items":
                self.item_cols.append((index[column], parts[1:], conv))
            elif parts[0] == "parties":
                self.party_cols.append((index[column], parts[1], parts[2:], conv))
            else:
                self.header_cols.append((index[column], parts, conv))
        mapped = {index[c] for c in spec.fields.values()}
        self.unmapped = ([(i, name) for i, name in enumerate(self.header) if i not in mapped]
                         if spec.keep_unmapped else [])
        self.header_constants = [(k.split("."), v) for k, v in spec.constants.items()
                                 if not k.startswith(("items.", "parties."))]
        self.item_constants = [(k.split(".")[1:], v) for k, v in spec.constants.items()
                               if k.startswith("items.")]
        self.party_constants = [(k.split(".")[1], k.split(".")[2:], v)
                                for k, v in spec.constants.items() if k.startswith("parties.")]
        self.header_indexes = [i for i, _, _ in self.header_cols] + [
            i for i, _, _, _ in self.party_cols]

    def key(self, row: Sequence[str]) -> str:
        return row[self.key_index]

    def build(
        self, rows: Sequence[Sequence[str]]
    ) -> tuple[dict[str, Any], dict[str, str], set[str]]:
        """The declaration dict for one group of item rows, and the cells kept verbatim
        beside it (unmapped columns, and originals a stated rule changed), and the fields a
        ``null_values`` rule left empty (absent for this declaration)."""
        first = rows[0]
        decl: dict[str, Any] = {}
        extra = {name: first[i] for i, name in self.unmapped}
        nulled: set[str] = set()
        for i, path, conv in self.header_cols:
            cell = first[i].strip()
            if not cell:
                continue
            if conv is not None:
                cell = _convert(conv, cell, first[i], self.header[i], extra)
                if cell is None:
                    nulled.add(path[0])
                    continue
            if len(path) == 1:
                decl[path[0]] = cell
            else:
                _put(decl, path, cell)
        # Constants after columns: a column value wins, and a nested constant (a
        # currency) only completes an object a column created.
        for path, value in self.header_constants:
            if len(path) == 1:
                decl.setdefault(path[0], value)
            else:
                _put(decl, path, value, only_if_parent=True)
        parties: dict[str, dict[str, Any]] = {}
        for i, role, path, conv in self.party_cols:
            cell = first[i].strip()
            if not cell:
                continue
            if conv is not None:
                cell = _convert(conv, cell, first[i], self.header[i], extra)
                if cell is None:
                    continue
            party = parties.get(role)
            if party is None:
                party = parties[role] = {"role": role}
            if len(path) == 1:
                party[path[0]] = cell
            else:
                _put(party, path, cell)
        for role, path, value in self.party_constants:
            if role in parties:
                _put(parties[role], path, value, only_if_parent=len(path) > 1)
        decl["parties"] = list(parties.values())
        items = []
        for seq, row in enumerate(rows, start=1):
            item: dict[str, Any] = {"sequence": seq}
            for i, path, conv in self.item_cols:
                cell = row[i].strip()
                if not cell:
                    continue
                if conv is not None:
                    column = self.header[i] if seq == 1 else f"{self.header[i]}#{seq}"
                    cell = _convert(conv, cell, row[i], column, extra)
                    if cell is None:
                        nulled.add("items." + path[0])
                        continue
                if len(path) == 1:
                    item[path[0]] = cell
                else:
                    _put(item, path, cell)
            for path, value in self.item_constants:
                if len(path) == 1:
                    item.setdefault(path[0], value)
                else:
                    _put(item, path, value, only_if_parent=True)
            items.append(item)
        decl["items"] = items
        return decl, extra, nulled

    def header_mismatch(self, rows: Sequence[Sequence[str]]) -> list[FieldError]:
        """Header columns must agree across the item rows of one declaration."""
        errors = []
        first = rows[0]
        for n, row in enumerate(rows[1:], start=1):
            for i in self.header_indexes:
                if row[i].strip() != first[i].strip():
                    errors.append(FieldError(
                        self.header[i],
                        f"differs between item rows of one declaration (row 1 has "
                        f"{first[i]!r}, row {n + 1} has it otherwise)", row[i],
                    ))
        return errors


def _convert(conv: Callable[[str], Any], cell: str, raw: str, column: str,
             extra: dict[str, str]) -> Any:
    """Apply a stated rule to a cell; keep the original cell when the rule changed it."""
    value = conv(cell)
    if value != cell:
        extra[column] = raw
    return value


def _put(target: dict[str, Any], path: list[str], value: Any, only_if_parent: bool = False) -> None:
    node = target
    for part in path[:-1]:
        child = node.get(part)
        if child is None:
            if only_if_parent:
                return
            child = node[part] = {}
        node = child
    node.setdefault(path[-1], value)


# A shipped mapping is named, never located: no path separators, no dots.
MAPPING_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_MAPPING_NAME = re.compile(MAPPING_NAME_PATTERN)


def shipped_mapping(name: str) -> MappingSpec:
    """A mapping shipped in ``data/mappings`` by name; never a path (safe for web input)."""
    from smartcustoms.paths import MAPPINGS_DIR

    names = sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))
    if not _MAPPING_NAME.match(name) or name not in names:
        raise MappingInvalid(f"no shipped mapping {name!r}; shipped: {names}",
                             field="mapping_name", value=name)
    return load_mapping(MAPPINGS_DIR / f"{name}.yaml")


def resolve_mapping(name_or_path: str) -> MappingSpec:
    """For the operator's CLI: a mapping file by path, else a shipped mapping by name."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return load_mapping(path)
    return shipped_mapping(name_or_path)
