"""The column-wise fast path against the exact row-by-row path.

Strategy: the exact path (mapping.build, parse_declaration, prepare — what
ingest._validate_csv_chunk does with each group) is the oracle. Every group the fast path
accepts must come out identical to the oracle's declaration, and every group the oracle
rejects must be declined. Groups come from the bundled KCS files, from KCS rows mutated
by hypothesis, and from a second mapping with other options (decimal comma, date format,
several items a declaration, totals, parties with names and addresses).
"""

from __future__ import annotations

import csv
import datetime as dt
import pickle
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcustoms.declarations import ingest, shipped_mapping
from smartcustoms.declarations._columnar.kinds import (
    CODE,
    COUNT,
    HS_EDITION,
    NATIONAL,
    NON_NEGATIVE,
    POSITIVE,
    POSTCODE,
    PROFILE,
    RATE,
    REFERENCE,
    TEXT,
    Context,
    Kind,
)
from smartcustoms.declarations.columnar import CsvGroup, FastPath, decline_reason, fast_prepare
from smartcustoms.declarations.mapping import CompiledMapping, MappingSpec
from smartcustoms.declarations.prepare import PreparedDeclaration, prepare
from smartcustoms.declarations.validation import parse_declaration
from smartcustoms.errors import DeclarationInvalid

ROOT = Path(__file__).resolve().parents[2]
KCS_FILES = sorted((ROOT / "data/samples/kcs").glob("*.csv"))
KCS = shipped_mapping("kcs")
TODAY = dt.date(2026, 11, 20)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def exact(mapping: CompiledMapping, group: CsvGroup, *, today: dt.date,
          absent: frozenset[str]) -> PreparedDeclaration | None:
    """What ingest._validate_csv_chunk makes of one group; None: quarantined."""
    first_line, lines_rows = group
    if any(n < 0 for n, _ in lines_rows):
        return None
    rows = [r for _, r in lines_rows]
    errors = mapping.header_mismatch(rows)
    data, extra, nulled = mapping.build(rows)
    absent_here = absent | nulled if nulled else absent
    try:
        decl = parse_declaration(data, today=today, absent=absent_here)
    except DeclarationInvalid:
        return None
    if errors:
        return None
    return prepare(decl, absent=absent_here, extra=extra, line=first_line)


def assert_equivalent(spec: MappingSpec, header: list[str], groups: list[CsvGroup], *,
                      today: dt.date = TODAY) -> tuple[int, int]:
    """Fast path against the oracle, group by group; (accepted, declined)."""
    fast = FastPath.for_mapping(spec, header)
    assert fast is not None, decline_reason(spec, header)
    mapping = CompiledMapping(spec, header)
    absent = frozenset(spec.absent)
    prepared, declined = fast.prepare(groups, today=today, absent=absent)
    by_line = {p.line: p for p in prepared}
    assert len(by_line) == len(prepared), "lines are unique in these examples"
    assert sorted([*by_line, *(g[0] for g in declined)]) == sorted(g[0] for g in groups)
    for group in groups:
        expected = exact(mapping, group, today=today, absent=absent)
        if group[0] in by_line:
            assert expected is not None, f"accepted a group the exact path rejects: {group}"
            assert by_line[group[0]] == expected
    return len(prepared), len(declined)


def read_groups(path: Path, spec: MappingSpec) -> tuple[list[str], list[CsvGroup]]:
    from smartcustoms.declarations.sources import csv_header_and_rows

    header, rows = csv_header_and_rows(path, delimiter=",", encoding="utf-8-sig")
    return header, list(ingest.group_csv_rows(rows, CompiledMapping(spec, header).key_index))


def numbered(rows: Iterable[list[str]], width: int) -> list[tuple[int, list[str]]]:
    """(line, row) as sources.csv_header_and_rows gives them: a ragged row padded, and its
    line negative."""
    out = []
    for line, row in enumerate(rows, start=2):
        if len(row) == width:
            out.append((line, row))
        else:
            out.append((-line, row + [""] * (width - len(row))))
    return out


def grouped(numbered_rows: list[tuple[int, list[str]]], key: int) -> list[CsvGroup]:
    return list(ingest.group_csv_rows(iter(numbered_rows), key))


# --- the bundled KCS sample ---------------------------------------------------------------

def test_shipped_kcs_mapping_is_supported() -> None:
    header, _ = read_groups(KCS_FILES[0], KCS)
    assert decline_reason(KCS, header) is None


@pytest.mark.parametrize("path", KCS_FILES, ids=lambda p: p.stem)
def test_kcs_sample_is_accepted_whole_and_identical(path: Path) -> None:
    header, groups = read_groups(path, KCS)
    for chunk in ingest.chunked(iter(groups), 5000):
        accepted, declined = assert_equivalent(KCS, header, chunk)
        assert (accepted, declined) == (len(chunk), 0)


def test_an_empty_chunk_gives_nothing() -> None:
    fast = FastPath.for_mapping(KCS, HEADER)
    assert fast is not None
    assert fast.prepare([], today=TODAY, absent=frozenset(KCS.absent)) == ([], [])


def test_oracle_is_what_ingest_validates() -> None:
    """The oracle above restates ingest._validate_csv_chunk; pin it to the real thing."""
    header, groups = read_groups(KCS_FILES[-1], KCS)
    groups = groups[:300] + mutated_kcs_groups(header)
    job = ingest.ImportJob(run_id=1, file_sha256="-", today=TODAY, clock=dt.datetime.now,
                           spec=KCS, header=header)
    ingest._init_worker(job)
    both_paths = ingest._validate_csv_chunk(groups)  # what an import does
    ingest._worker["fast"] = None
    result = ingest._validate_csv_chunk(groups)  # the exact path alone
    mapping = CompiledMapping(KCS, header)
    absent = frozenset(KCS.absent)
    oracle = [exact(mapping, g, today=TODAY, absent=absent) for g in groups]
    assert result.good == [p for p in oracle if p is not None]
    assert len(result.bad) == sum(p is None for p in oracle) > 0
    assert both_paths.good == result.good and both_paths.bad == result.bad
    assert both_paths.rows == result.rows


def mutated_kcs_groups(header: list[str]) -> list[CsvGroup]:
    col = {name: i for i, name in enumerate(header)}
    rows = [list(r) for r in BASE[:8]]
    rows[0][col["HS6 Code"]] = "ABC123"
    rows[1][col["Net Mass"]] = "-5"
    rows[2][col["Date"]] = "2026-11-22"
    rows[3] = rows[3][:-1]
    rows[5][col["Declaration ID"]] = rows[4][col["Declaration ID"]]  # two items
    return grouped(numbered(rows, len(header)), col["Declaration ID"])


# --- KCS rows, mutated ---------------------------------------------------------------------

def _kcs_base() -> tuple[list[str], list[list[str]]]:
    with KCS_FILES[0].open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [row for _, row in zip(range(4000), reader, strict=False)]
    col = {name: i for i, name in enumerate(header)}
    # plain rows, and rows with each stated rule at work: ZZ, 0.0 mass, float artefacts,
    # no seller, a courier
    special = [
        next(r for r in rows if r[col["Country of Departure"]] == "ZZ"),
        next(r for r in rows if r[col["Country of Origin"]] == "ZZ"),
        next(r for r in rows if r[col["Net Mass"]] == "0.0"),
        next(r for r in rows if len(r[col["Item Price"]].partition(".")[2]) > 6),
        next(r for r in rows if not r[col["Seller ID"]]),
        next(r for r in rows if r[col["Courier ID"]]),
    ]
    return header, [*rows[:12], *special]


HEADER, BASE = _kcs_base()
KEY = HEADER.index("Declaration ID")

TRICKY = [
    "", " ", "\t", "ZZ", "zz", " ZZ ", "KR", "kr", " kr", "XK", "EU", "XX", "0", "0.0", "00",
    "-1", "-0", "+5", "1e3", "1E+2", ".5", "5.", "00.5", "1,5", "1.234,5", "1_000", "NaN",
    "inf", "1.0000000", "0.000001", "0.0000001", "0.0000000", "99999999999999",
    "999999999999999", "12345678901234.123456", "241.58000000000004", "0.004", "0.005",
    "1000", "1000.0", "1000.01", "2021-02-29", "2020-02-29", "2021-13-01", "2021-4-01",
    "20210401", "2021-04-01T00:00:00", "1617235200", "1987-12-31", "1988-01-01",
    (TODAY + dt.timedelta(days=1)).isoformat(), (TODAY + dt.timedelta(days=2)).isoformat(),
    "851762", "8517.62", "85 17 62", "85176200", "8517620000", "851762000", "999999",
    "000000", "0101", "9999", "A", "a b", 'a"b', "a\\b", "é", "\u00a0x", "x\u00a0", "x\u2028y",
    "\x00", "\x1c", "x\x7f", "\ufeff", "🚢", "B", "FCN1", "Y", "G", "10", "40", "A" * 35,
    "A" * 36, "x" * 257, "a/b-c.d_e", "a b",
    # whitespace Python strips and pydantic (Rust) may not, and the other way round
    "\u3000KR", "KR\u2029", "\x1cB", "B\x1f", "B\u180e", "\u200bB", "\x85G", "G\u202f",
]


def cells(column: int | None = None) -> st.SearchStrategy[str]:
    real = st.sampled_from(sorted({r[column] for r in BASE})) if column is not None else (
        st.sampled_from(sorted({c for r in BASE for c in r})))
    return st.one_of(
        st.sampled_from(TRICKY),
        st.text(max_size=10),
        real,
        real.map(lambda v: f" {v} "),
        real.map(lambda v: v.lower()),
    )


@st.composite
def kcs_groups(draw: st.DrawFn) -> list[CsvGroup]:
    picks = draw(st.lists(st.integers(0, len(BASE) - 1), min_size=1, max_size=8))
    rows = [list(BASE[i]) for i in picks]
    for _ in range(draw(st.integers(0, 6))):
        r = draw(st.integers(0, len(rows) - 1))
        action = draw(st.sampled_from(["cell", "cell", "cell", "item", "merge", "ragged"]))
        if action == "cell":
            c = draw(st.integers(0, len(HEADER) - 1))
            if c < len(rows[r]):  # not cut off by a ragged edit
                rows[r][c] = draw(cells(c))
        elif action == "item" and len(rows[r]) == len(HEADER):  # another item row
            extra = list(rows[r])
            c = draw(st.sampled_from([HEADER.index(n) for n in (
                "HS6 Code", "Country of Origin", "Net Mass", "Item Price", "Tax Rate")]))
            extra[c] = draw(cells(c))
            rows.insert(r + 1, extra)
        elif action == "merge" and r > 0:  # the next declaration takes this one's key
            rows[r][KEY] = rows[r - 1][KEY]
        elif action == "ragged":
            rows[r] = rows[r][:draw(st.integers(1, len(HEADER) - 1))] if draw(
                st.booleans()) else [*rows[r], "x"]
    return grouped(numbered(rows, len(HEADER)), KEY)


@SETTINGS
@given(groups=kcs_groups(), today=st.sampled_from(
    [TODAY, dt.date(2021, 1, 1), dt.date(2020, 6, 30)]))
def test_mutated_kcs_rows_are_declined_or_identical(groups: list[CsvGroup],
                                                    today: dt.date) -> None:
    assert_equivalent(KCS, HEADER, groups, today=today)


@SETTINGS
@given(groups=kcs_groups())
def test_fast_prepare_matches_the_compiled_fast_path(groups: list[CsvGroup]) -> None:
    mapping = CompiledMapping(KCS, HEADER)
    absent = frozenset(KCS.absent)
    fast = FastPath.for_mapping(KCS, HEADER)
    assert fast is not None
    revived = pickle.loads(pickle.dumps(fast))  # as sent to a worker process
    expected = fast.prepare(groups, today=TODAY, absent=absent)
    assert fast_prepare(groups, mapping, today=TODAY, absent=absent) == expected
    assert revived.prepare(groups, today=TODAY, absent=absent) == expected
    prepared, declined = expected  # each list keeps the order of the groups
    assert [p.line for p in prepared] == sorted(p.line for p in prepared)
    assert [g[0] for g in declined] == sorted(g[0] for g in declined)


# --- a second mapping: decimal comma, dates, several items, totals ---------------------

TRADER_HEADER = [
    "LRN", "Lodged", "Office", "Declarant EORI", "Declarant Name", "Importer EORI",
    "Importer Name", "Importer City", "Importer Country", "Consignee Name", "Mode",
    "Incoterm", "Place", "Invoice Total", "Currency", "Gross Total", "Packages Total",
    "HS", "Description", "Origin", "Net", "Gross", "Qty", "Unit", "Price", "Packages",
    "Procedure", "Note", "Type", "Edition",
]


def trader_mapping(profile: str = "full", **overrides: Any) -> MappingSpec:
    raw: dict[str, Any] = {
        "name": "trader-extract",
        "csv": {"delimiter": ";", "decimal_separator": ",", "date_format": "%d.%m.%Y"},
        "declaration_key": "LRN",
        "fields": {
            "reference": "LRN", "declaration_date": "Lodged", "office": "Office",
            "parties.declarant.identifier": "Declarant EORI",
            "parties.declarant.name": "Declarant Name",
            "parties.importer.identifier": "Importer EORI",
            "parties.importer.name": "Importer Name",
            "parties.importer.address.city": "Importer City",
            "parties.importer.address.country": "Importer Country",
            "parties.consignee.name": "Consignee Name",
            "transport.mode_at_border": "Mode",
            "trade_terms.incoterm": "Incoterm", "trade_terms.place": "Place",
            "invoice_total.amount": "Invoice Total", "invoice_total.currency": "Currency",
            "total_gross_mass_kg": "Gross Total", "total_packages": "Packages Total",
            "items.hs_code": "HS", "items.description": "Description",
            "items.origin_country": "Origin", "items.net_mass_kg": "Net",
            "items.gross_mass_kg": "Gross", "items.quantity.value": "Qty",
            "items.quantity.unit": "Unit", "items.price.amount": "Price",
            "items.packages": "Packages", "national.procedure": "Procedure",
            "type_code": "Type", "items.hs_edition": "Edition",
        },
        "constants": {"profile": profile, "items.price.currency": "EUR",
                      "national.source": "test extract"},
        "null_values": {"items.origin_country": ["--"],
                        "parties.importer.address.country": ["??"],
                        "items.hs_edition": ["?"], "type_code": ["?"]},
        "round": {"items.net_mass_kg": 3},
    }
    raw.update(overrides)
    return MappingSpec.model_validate(raw)


HS_2022 = ["851762", "420231", "610910", "940360", "847130", "090111"]


def _number(value: str) -> str:
    """A decimal as this extract writes it: decimal comma, dots grouping thousands."""
    whole, _, fraction = value.partition(".")
    grouped_whole = f"{int(whole):,}".replace(",", ".")
    return f"{grouped_whole},{fraction}" if fraction else grouped_whole


@st.composite
def trader_declaration(draw: st.DrawFn, n: int) -> list[list[str]]:
    """The rows of one valid declaration (totals consistent), n items."""
    day = draw(st.dates(dt.date(2019, 1, 1), TODAY))
    header = {
        "LRN": f"LRN-{n}-{draw(st.integers(0, 10**6))}",
        "Lodged": day.strftime("%d.%m.%Y"), "Office": draw(st.sampled_from(["DE001", "FR-7"])),
        "Declarant EORI": draw(st.sampled_from(["DE123456789", "FR998877"])),
        "Declarant Name": draw(st.sampled_from(["", "Müller & Söhne GmbH", 'The "Best" Co'])),
        "Importer EORI": draw(st.sampled_from(["", "NL000111"])),
        "Importer Name": draw(st.sampled_from(["Acme BV", ""])),
        "Importer City": draw(st.sampled_from(["", "Rotterdam", "s-Hertogenbosch"])),
        "Importer Country": draw(st.sampled_from(["NL", "nl", "", "??"])),
        "Consignee Name": draw(st.sampled_from(["", "Depot 7"])),
        "Mode": draw(st.sampled_from(["1", "4"])),
        "Incoterm": draw(st.sampled_from(["CIF", "fob", "DAP"])),
        "Place": draw(st.sampled_from(["", "Hamburg"])),
        "Currency": "EUR", "Procedure": draw(st.sampled_from(["4000", "", "40 00"])),
        "Note": draw(st.sampled_from(["", "urgent", "a;b"])),
        "Type": draw(st.sampled_from(["", "IM", "?", "CO"])),  # empty, null: the default
    }
    items = []
    for _ in range(n):
        net = draw(st.decimals(min_value="0.001", max_value="99999", places=3))
        gross = net + draw(st.decimals(min_value="0", max_value="50", places=1))
        items.append({
            "HS": draw(st.sampled_from([*HS_2022, "8517.62"])),
            "Description": draw(st.sampled_from(["Phones", "Cotton T-shirts, 12\"", "Kaffee"])),
            "Origin": draw(st.sampled_from(["CN", "VN", "--", "de"])),
            "Net": str(net), "Gross": str(gross),
            "Qty": draw(st.sampled_from(["", "10", "2,5"])), "Unit": "H87",
            "Price": str(draw(st.decimals(min_value="0", max_value="150000", places=2))),
            "Packages": str(draw(st.integers(0, 40))),
            "Edition": draw(st.sampled_from(["", "?", "HS2022", "HS2017"])),
        })
    header["Invoice Total"] = _number(str(sum(Decimal(i["Price"]) for i in items)))
    header["Gross Total"] = _number(str(sum(Decimal(i["Gross"]) for i in items)))
    header["Packages Total"] = str(sum(int(i["Packages"]) for i in items))
    rows = []
    for item in items:
        item = item | {k: _number(item[k]) for k in ("Net", "Gross", "Price")}
        rows.append([{**header, **item}.get(name, "") for name in TRADER_HEADER])
    for row in rows:  # the Qty unit goes with a quantity only
        if not row[TRADER_HEADER.index("Qty")]:
            row[TRADER_HEADER.index("Unit")] = ""
    return rows


@st.composite
def trader_groups(draw: st.DrawFn, mutate: bool) -> list[CsvGroup]:
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(1, 3))):
        rows += draw(trader_declaration(draw(st.integers(1, 3))))
    if mutate:
        trader_cells = st.one_of(st.sampled_from(TRICKY), st.text(max_size=8),
                                 st.sampled_from(["1.234,5", "12,50", "01.02.2020",
                                                  "31.02.2020", "2020-02-01", "1.2.3"]))
        for _ in range(draw(st.integers(1, 4))):
            r = draw(st.integers(0, len(rows) - 1))
            rows[r][draw(st.integers(0, len(TRADER_HEADER) - 1))] = draw(trader_cells)
    return grouped(numbered(rows, len(TRADER_HEADER)), 0)


@SETTINGS
@given(groups=trader_groups(mutate=False), profile=st.sampled_from(["full", "low_value"]))
def test_second_mapping_accepts_valid_multi_item_declarations(groups: list[CsvGroup],
                                                              profile: str) -> None:
    spec = trader_mapping(profile)
    _, declined = assert_equivalent(spec, TRADER_HEADER, groups)
    mapping = CompiledMapping(spec, TRADER_HEADER)
    absent = frozenset(spec.absent)
    # the fast path declines only what the exact path rejects
    rejected = sum(exact(mapping, g, today=TODAY, absent=absent) is None for g in groups)
    assert declined == rejected


@SETTINGS
@given(groups=trader_groups(mutate=True), profile=st.sampled_from(["full", "low_value"]))
def test_second_mapping_mutated_rows_are_declined_or_identical(groups: list[CsvGroup],
                                                               profile: str) -> None:
    assert_equivalent(trader_mapping(profile), TRADER_HEADER, groups)


def test_second_mapping_keeps_changed_cells_of_later_items() -> None:
    rows = [
        ["L1", "01.02.2020", "DE001", "DE1", "", "NL1", "", "", "??", "", "1", "CIF", "",
         "30,00", "EUR", "3", "2", "851762", "Phones", "--", "1,0004", "1,5", "", "",
         "10,00", "1", "4000", "n", "", "?"],
        ["L1", "01.02.2020", "DE001", "DE1", "", "NL1", "", "", "??", "", "1", "CIF", "",
         "30,00", "EUR", "3", "2", "851762", "Cases", "CN", "0,5", "1,5", "", "", "20,00",
         "1", "4000", "n", "", "?"],
    ]
    spec = trader_mapping()
    groups = grouped(numbered(rows, len(TRADER_HEADER)), 0)
    assert assert_equivalent(spec, TRADER_HEADER, groups) == (1, 0)
    fast = FastPath.for_mapping(spec, TRADER_HEADER)
    assert fast is not None
    [prepared], _ = fast.prepare(groups, today=TODAY, absent=frozenset())
    assert orjson.loads(str(prepared.row[12])) == {  # source_extra
        "Note": "n", "Lodged": "01.02.2020", "Invoice Total": "30,00",
        "Importer Country": "??", "Origin": "--", "Net": "1,0004",
        "Gross": "1,5", "Price": "10,00", "Edition": "?", "Net#2": "0,5", "Gross#2": "1,5",
        "Price#2": "20,00", "Edition#2": "?"}
    document = orjson.loads(prepared.document)
    assert document["type_code"] == "IM"  # the default, where the cell is empty
    assert [i["hs_edition"] for i in document["items"]] == ["HS2022", "HS2022"]


# --- mappings the fast path declines ------------------------------------------------------

FIELDS = trader_mapping().fields


def _moved_to_end(target: str) -> dict[str, str]:
    return {**{t: c for t, c in FIELDS.items() if t != target}, target: FIELDS[target]}


@pytest.mark.parametrize(("change", "reason"), [
    ({"constants": {"parties.declarant.name": "X"}}, "party constant"),
    ({"fields": {**FIELDS, "profile": "Note"}}, "profile comes from a column"),
    ({"fields": {**FIELDS, "items.price": "Note"}}, "target 'items.price'"),
    ({"fields": {**FIELDS, "containers": "Note"}}, "target 'containers'"),
    ({"fields": {**FIELDS, "items.sequence": "Note"}}, "target 'items.sequence'"),
    ({"constants": {"office": "DE001"}}, "both a column and a constant"),
    ({"constants": {"type_code": "I M"}}, "constant 'type_code' is not valid"),
    ({"constants": {"exchange_rate": 1.5}}, "constant 'exchange_rate'"),
    ({"fields": _moved_to_end("parties.declarant.name")}, "not consecutive"),
])
def test_unsupported_mappings_are_declined_whole(change: dict[str, Any], reason: str) -> None:
    spec = trader_mapping(**change)
    assert reason in (decline_reason(spec, TRADER_HEADER) or "")
    assert FastPath.for_mapping(spec, TRADER_HEADER) is None
    groups = grouped(numbered([["L1"] + [""] * (len(TRADER_HEADER) - 1)],
                              len(TRADER_HEADER)), 0)
    mapping = CompiledMapping(spec, TRADER_HEADER)
    assert fast_prepare(groups, mapping, today=TODAY, absent=frozenset()) == ([], groups)


def test_a_header_naming_a_kept_original_is_declined() -> None:
    header = [*TRADER_HEADER, "Net#2"]
    assert "column 'Net#2'" in (decline_reason(trader_mapping(), header) or "")


# --- the value kinds ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", [CODE, TEXT, REFERENCE, POSTCODE, NATIONAL, HS_EDITION,
                                  PROFILE, POSITIVE, NON_NEGATIVE, RATE, COUNT])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_plain_values_are_kept_as_they_are(kind: Kind, data: st.DataObject) -> None:
    """The whole-column check may only pass what the value check keeps unchanged."""
    assert kind.plain is not None
    value = data.draw(st.from_regex(kind.plain, fullmatch=True))
    assert kind.check(value, Context(TODAY, "HS2022")) == value

