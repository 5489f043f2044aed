"""Risk rules: the condition language, its error messages, and one answer on both paths.

Every golden case runs on a record (``evaluate``) and on a one-row Polars frame (``expr``);
the properties check that any text either compiles or is refused cleanly, and that random
well-formed rules give the same answer on records and on frames.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.errors import InvalidInput
from smartcustoms.risk import rules as rules_module
from smartcustoms.risk.rules import CompiledRule, RuleSyntaxError, compile_rule

LISTS: dict[str, list[str]] = {"asia": ["CN", "VN"], "hs_prefixes": ["8517", "85", "847130"],
                               "empty": []}
FIELDS = ["origin", "hs6", "price", "net_mass_kg", "flag", "national.*"]
TEXT_FIELDS = ["origin", "hs6", "national.process_type"]
NUMBER_FIELDS = ["price", "net_mass_kg"]
SCHEMA = {**dict.fromkeys(TEXT_FIELDS, pl.String), **dict.fromkeys(NUMBER_FIELDS, pl.Float64)}


def _dtype(value: Any) -> pl.DataType:
    if isinstance(value, bool):
        return pl.Boolean()
    return pl.Float64() if isinstance(value, int | float) else pl.String()


def _on_frame(rule: CompiledRule, frame: pl.DataFrame) -> list[bool]:
    hits = frame.with_columns(rule.expr().alias("hit"))["hit"]
    assert hits.dtype == pl.Boolean and hits.null_count() == 0
    return hits.to_list()


def _one_row(rule: CompiledRule, record: Mapping[str, Any]) -> bool:
    """The rule on a one-row frame holding the record's values of the rule's fields."""
    columns = {name: pl.Series(name, [record.get(name)], dtype=_dtype(record.get(name)))
               for name in sorted(rule.fields)}
    frame = pl.DataFrame(list(columns.values())) if columns else pl.DataFrame({"row": [0]})
    return _on_frame(rule, frame)[0]


GOLDEN: list[tuple[str, dict[str, Any], bool]] = [
    # comparisons
    ('origin = "CN"', {"origin": "CN"}, True),
    ('origin == "CN"', {"origin": "CN"}, True),
    ("origin = 'CN'", {"origin": "CN"}, True),
    ('origin = "cn"', {"origin": "CN"}, False),
    ('origin != "CN"', {"origin": "VN"}, True),
    ('origin != "CN"', {"origin": "CN"}, False),
    ('origin < "D"', {"origin": "CN"}, True),
    ('origin >= "D"', {"origin": "CN"}, False),
    ('"CN" = origin', {"origin": "CN"}, True),
    ("price < 10", {"price": 9.5}, True),
    ("price <= 10", {"price": 10}, True),
    ("price > 10", {"price": 10}, False),
    ("price >= 10", {"price": 10.0}, True),
    ("price = 10", {"price": 10.0}, True),
    ("price = 1e3", {"price": 1000}, True),
    ("price = 2.5", {"price": 2.5}, True),
    ("price != 2.5", {"price": 2}, True),
    ("flag = true", {"flag": True}, True),
    ("flag = false", {"flag": True}, False),
    ("flag != false", {"flag": True}, True),
    ("true", {}, True),
    ("false", {}, False),
    ("price = net_mass_kg", {"price": 2, "net_mass_kg": 2.0}, True),
    ("origin = hs6", {"origin": "85", "hs6": "85"}, True),
    ("origin < hs6", {"origin": "84", "hs6": "85"}, True),
    # a field holding another kind than it is compared with: false, never an error
    ('price = "10"', {"price": 10}, False),
    ("origin > 5", {"origin": "CN"}, False),
    ("origin = hs6", {"origin": "85", "hs6": 85}, False),
    ("flag = 1", {"flag": True}, False),
    ('origin in ["CN"]', {"origin": 5}, False),
    ('origin not in ["CN"]', {"origin": 5}, False),
    # keywords in any case, free layout
    ('origin IN ["CN"] AND NOT price IS NULL', {"origin": "CN", "price": 1}, True),
    ('origin = "CN"\n  Or price > 1', {"origin": "VN", "price": 2}, True),
    # precedence: not > and > or; arithmetic as usual
    ('origin = "CN" or origin = "VN" and price > 100', {"origin": "CN", "price": 1}, True),
    ('(origin = "CN" or origin = "VN") and price > 100', {"origin": "CN", "price": 1}, False),
    ('not origin = "CN" and price > 1', {"origin": "VN", "price": 5}, True),
    ('not origin = "CN" and price > 1', {"origin": "CN", "price": 5}, False),
    ('not (origin = "CN" and price > 1)', {"origin": "CN", "price": 0}, True),
    ("not not true", {}, True),
    ("true or false and false", {}, True),
    ("(true or false) and false", {}, False),
    ("price + net_mass_kg * 2 = 7", {"price": 1, "net_mass_kg": 3}, True),
    ("(price + net_mass_kg) * 2 = 8", {"price": 1, "net_mass_kg": 3}, True),
    ("price - net_mass_kg - 1 = 0", {"price": 5, "net_mass_kg": 4}, True),
    ("price / net_mass_kg / 2 = 1", {"price": 8, "net_mass_kg": 4}, True),
    ("-price = -5", {"price": 5}, True),
    ("- -price = 5", {"price": 5}, True),
    ("price * -1 < 0", {"price": 5}, True),
    ("1 + 2 * 3 = 7", {}, True),
    # arithmetic and null
    ("price / net_mass_kg < 10", {"price": 50, "net_mass_kg": 10}, True),
    ("price / net_mass_kg < 10", {"price": 50, "net_mass_kg": 0}, False),
    ("price / net_mass_kg >= 10", {"price": 50, "net_mass_kg": 0}, False),
    ("price / net_mass_kg is null", {"price": 50, "net_mass_kg": 0}, True),
    ("price / net_mass_kg is null", {"price": 50, "net_mass_kg": -0.0}, True),
    ("price / net_mass_kg is null", {"price": 50}, True),
    ("price / net_mass_kg is not null", {"price": 50, "net_mass_kg": 5}, True),
    ("not price / net_mass_kg < 10", {"price": 50, "net_mass_kg": 0}, True),
    ("price + 1 is not null", {"price": "abc"}, False),
    ("price + 1 is null", {"price": "abc"}, True),
    ("-price is null", {"price": "abc"}, True),
    ("price - price is null", {"price": math.inf}, True),  # inf - inf is not a number
    ("price * 10 > 1e308", {"price": 1e308}, True),  # overflow is infinity, not null
    ("price is null", {"price": math.nan}, True),
    ("price = price", {"price": math.nan}, False),
    # null semantics
    ("origin is null", {}, True),
    ("origin is null", {"origin": None}, True),
    ('origin is null', {"origin": ""}, False),
    ("origin is not null", {"origin": "CN"}, True),
    ("origin is not null", {}, False),
    ('origin != "CN"', {}, False),
    ('not origin = "CN"', {}, True),
    ('origin < "Z" or origin >= "Z"', {}, False),
    ('origin in ["CN"]', {}, False),
    ('origin not in ["CN"]', {}, False),
    ('not origin in ["CN"]', {}, True),
    ('hs6 startswith "85"', {}, False),
    ('not hs6 startswith "85"', {"hs6": None}, True),
    ('"CN" is null', {}, False),
    ('"CN" is not null', {}, True),
    # lists
    ('origin in ["CN", "VN"]', {"origin": "VN"}, True),
    ('origin in ["CN", "VN",]', {"origin": "CN"}, True),
    ('origin in ["CN", "VN"]', {"origin": "DE"}, False),
    ("origin in @asia", {"origin": "CN"}, True),
    ("origin in @asia", {"origin": "DE"}, False),
    ("origin not in @asia", {"origin": "DE"}, True),
    ("origin not in @asia", {"origin": "VN"}, False),
    ("origin in @empty", {"origin": "CN"}, False),
    ("origin not in @empty", {"origin": "CN"}, True),
    ("price in [1, 2.5, -3]", {"price": -3}, True),
    ("price in [1, 2.5, -3]", {"price": 2.5}, True),
    ("price not in [1, 2]", {"price": 3}, True),
    ("price in [1]", {"price": "1"}, False),
    ("price in [0]", {"price": -0.0}, True),
    ("price * 2 in [5]", {"price": 2.5}, True),
    # startswith
    ('hs6 startswith "8517"', {"hs6": "851712"}, True),
    ('hs6 startswith "8517"', {"hs6": "851"}, False),
    ('hs6 startswith ""', {"hs6": "851"}, True),
    ("hs6 startswith @hs_prefixes", {"hs6": "847130"}, True),
    ("hs6 startswith @hs_prefixes", {"hs6": "8471"}, False),
    ("hs6 startswith @hs_prefixes", {"hs6": "850110"}, True),
    ("hs6 startswith @empty", {"hs6": "850110"}, False),
    ('hs6 startswith ["84", "85"]', {"hs6": "8471"}, True),
    ('hs6 startswith "85"', {"hs6": 8517}, False),
    ('origin startswith "Ñ"', {"origin": "Ñandú"}, True),
    # texts: escapes, quotes, non-ASCII
    ('origin = "a\\"b"', {"origin": 'a"b'}, True),
    ("origin = 'O\\'Brien'", {"origin": "O'Brien"}, True),
    ('origin = "it\'s"', {"origin": "it's"}, True),
    ('origin = "C:\\\\"', {"origin": "C:\\"}, True),
    ('origin = "Ñandú"', {"origin": "Ñandú"}, True),
    # dotted national fields
    ('national.process_type = "4000"', {"national.process_type": "4000"}, True),
    ('national.process_type in ["4000", "4071"]', {"national.process_type": "4071"}, True),
    ("national.process_type is null", {}, True),
]


@pytest.mark.parametrize(("text", "record", "expected"), GOLDEN)
def test_golden(text: str, record: dict[str, Any], expected: bool) -> None:
    rule = compile_rule(text, lists=LISTS)
    assert rule.evaluate(record) is expected
    assert _one_row(rule, record) is expected


ERRORS: list[tuple[str, dict[str, Any], int, str]] = [
    ("origin = ", {}, 9, "expected a value after '=' at column 9, found the end of the rule"),
    ('origin = "CN" and price >', {}, 26, "expected a value after '>'"),
    ("price + ", {}, 8, "expected a value after '+'"),
    ("price * -", {}, 10, "expected a value after '-'"),
    ('origin = "CN" or', {}, 17, "expected a condition after 'or'"),
    ("not", {}, 4, "expected a condition after 'not'"),
    ('"abc', {}, 1, "unterminated text"),
    ("origin = 'CN", {}, 10, "unterminated text"),
    ('origin = "CN\n"', {}, 10, "unterminated text"),
    ('origin = "a\\n"', {}, 12, "unknown escape '\\n'"),
    ("origin => 5", {}, 8, "unknown operator '=>' at column 8 (did you mean '>='?)"),
    ('origin <> "CN"', {}, 8, "unknown operator '<>'"),
    ('origin = "CN" && price > 1', {}, 15, "unknown operator '&&'"),
    ('origin = "CN" $', {}, 15, "unexpected character '$'"),
    ('(origin = "CN"', {}, 15, "expected ')' at column 15, found the end of the rule"),
    ('((origin = "CN")', {}, 17, "to close the '(' at column 1"),
    ('origin = "CN")', {}, 14, "unmatched ')'"),
    ("()", {}, 2, "expected a condition or a value after '('"),
    ("origin in @nope", {"lists": LISTS}, 11, "unknown list '@nope'"),
    ("origin in @asai", {"lists": LISTS}, 11, "did you mean '@asia'?"),
    ("origin in @asia", {}, 11, "unknown list '@asia'"),
    ("origin in @", {}, 12, "expected a list name after '@'"),
    ('orgin = "CN"', {"fields": FIELDS}, 1, "unknown field 'orgin' at column 1"),
    ('orgin = "CN"', {"fields": FIELDS}, 1, "did you mean 'origin'?"),
    ('origin = "CN" and customs.x = 1', {"fields": FIELDS}, 19, "unknown field 'customs.x'"),
    ("national.x = 1", {"fields": ["origin"]}, 1, "unknown field 'national.x'"),
    ('origin = "CN" xyz', {}, 15, "expected 'and', 'or' or the end of the rule"),
    ("1 < price < 3", {}, 11, "comparisons do not chain"),
    ("(1 < price < 3)", {}, 12, "comparisons do not chain"),
    ("origin", {}, 7, "expected a comparison"),
    ("origin and price > 1", {}, 8, "expected a comparison"),
    ('not origin or x = 1', {}, 12, "expected a comparison"),
    ("price + 1", {}, 10, "expected a comparison"),
    ("", {}, 1, "the rule is empty"),
    ("   \n  ", {}, 1, "the rule is empty"),
    ("x" * 2001, {}, 2001, "the rule exceeds 2000 characters"),
    ("price > 1", {"max_length": 5}, 6, "the rule exceeds 5 characters"),
    ("(" * 200 + "x = 1" + ")" * 200, {}, 51, "nests more than 50 levels deep"),
    ("not " * 200 + "x = 1", {}, 201, "nests more than 50 levels deep"),
    ("- " * 200 + "1 = 1", {}, 101, "nests more than 50 levels deep"),
    ("1" + "+1" * 60 + " = 0", {}, 1, "more than 50 arithmetic operators in the value"),
    ("x = (" + "1+" * 30 + "(1" + "*1" * 30 + "))", {}, 6, "more than 50 arithmetic"),
    ("origin = null", {}, 10, "'is null'"),
    ("null is null", {}, 1, "'is null'"),
    ('"CN" = 5', {}, 6, "cannot compare text with a number"),
    ('price * 2 = "x"', {}, 11, "cannot compare a number with text"),
    ("true = 1", {}, 6, "cannot compare true/false with a number"),
    ('"a" + 1 > 0', {}, 1, "arithmetic needs numbers, not text"),
    ("-true = 1", {}, 2, "arithmetic needs numbers"),
    ("(origin = 'CN') + 1 > 0", {}, 2, "expected a value, not a condition"),
    ("(price > 1) = true", {}, 2, "expected a value, not a condition"),
    ('Origin = "CN"', {}, 1, "field names are lower case"),
    ("price = 1.2.3", {}, 9, "malformed number"),
    ("price = 12abc", {}, 9, "malformed number"),
    ("price = 1e999", {}, 9, "number too large"),
    ("origin in []", {}, 12, "a list needs at least one value"),
    ('origin in ["CN", 1]', {}, 18, "not both"),
    ('origin in ["CN" "VN"]', {}, 17, "expected ',' or ']'"),
    ("origin in [true]", {}, 12, "expected a text or a number in the list"),
    ('origin in "CN"', {}, 11, "expected a list [...] or @name after 'in'"),
    ("price * 2 in @asia", {"lists": LISTS}, 11, "cannot look for a number in a list of texts"),
    ('"CN" in [1]', {}, 6, "cannot look for text in a list of numbers"),
    ('origin is "CN"', {}, 11, "expected 'null' after 'is'"),
    ("origin is not 1", {}, 15, "expected 'null' after 'is not'"),
    ('origin not "CN"', {}, 12, "expected 'in' after 'not'"),
    ("hs6 startswith 85", {}, 16, "expected a text, a list [...] or @name"),
    ("hs6 startswith [85]", {}, 16, "startswith needs a list of texts"),
    ('price * 2 startswith "8"', {}, 11, "startswith needs text, not a number"),
    ("origin = @asia", {"lists": LISTS}, 10, "a list can only follow"),
    ("national. = 1", {}, 10, "expected a name after '.'"),
]


@pytest.mark.parametrize(("text", "options", "column", "fragment"), ERRORS)
def test_error_position_and_message(text: str, options: dict[str, Any], column: int,
                                    fragment: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        compile_rule(text, **options)
    error = caught.value
    assert fragment in error.detail
    assert error.column == column
    assert f"column {column}" in error.detail
    assert isinstance(error, InvalidInput)
    [field_error] = error.errors
    assert (field_error.field, field_error.message, field_error.value) == (
        "condition", error.detail, text)


def test_error_names_the_line_of_a_multi_line_rule() -> None:
    text = 'origin = "CN"\nand price >\n'
    with pytest.raises(RuleSyntaxError) as caught:
        compile_rule(text)
    assert (caught.value.position, caught.value.line, caught.value.column) == (25, 2, 12)
    assert "expected a value after '>' at line 2, column 12" in caught.value.detail


def test_named_lists_must_hold_texts() -> None:
    for values in (["CN", 1], "CN"):
        with pytest.raises(RuleSyntaxError, match="must hold texts only"):
            compile_rule("origin in @bad", lists={"bad": values})  # type: ignore[dict-item]


def test_compiled_rule_names_its_fields_and_lists() -> None:
    text = ('origin in @asia and hs6 startswith @hs_prefixes '
            'and price / net_mass_kg > national.rate')
    rule = compile_rule(text, lists=LISTS, fields=FIELDS)
    assert rule.text == text
    assert rule.fields == {"origin", "hs6", "price", "net_mass_kg", "national.rate"}
    assert rule.lists == {"asia", "hs_prefixes"}
    assert compile_rule("true").fields == frozenset() == compile_rule("true").lists
    with pytest.raises(AttributeError):
        rule.text = "false"  # type: ignore[misc]


def test_longest_rules_stay_fast_on_both_paths() -> None:
    terms = itertools.cycle(['hs6 startswith "85"', "price / net_mass_kg > 1",
                             'origin in ["CN", "VN"]', "price * (net_mass_kg - 1) > 1"])
    text = next(terms)
    while len(text) < 1900:
        text += " or " + next(terms)
    records = [{"origin": "CN", "hs6": "1", "price": 1.0, "net_mass_kg": 0.0},
               {"origin": "DE", "hs6": "2", "price": 3.0, "net_mass_kg": 1.0},
               {"origin": None, "hs6": None, "price": None, "net_mass_kg": None}]
    rule = compile_rule(text)
    frame = pl.DataFrame(records, schema={k: v for k, v in SCHEMA.items() if k in rule.fields})
    assert [rule.evaluate(r) for r in records] == _on_frame(rule, frame) == [True, True, False]
    deep = "(" * 50 + "/".join(["price"] * 51) + ")" * 50 + " > 0"
    rule = compile_rule(deep)
    assert [rule.evaluate(r) for r in records] == _on_frame(rule, frame) == [True, True, False]


def test_other_column_types_agree_with_records() -> None:
    frame = pl.DataFrame({
        "i": pl.Series([1, 2, None], dtype=pl.Int64),
        "d": pl.Series([Decimal("1.50"), Decimal("2.00"), None], dtype=pl.Decimal(10, 2)),
        "c": pl.Series(["CN", "VN", None], dtype=pl.Categorical),
        "e": pl.Series(["CN", "VN", None], dtype=pl.Enum(["CN", "VN"])),
        "b": pl.Series([True, False, None], dtype=pl.Boolean),
        "t": pl.Series([dt.date(2021, 1, 1), None, dt.date(2021, 1, 2)], dtype=pl.Date),
        "n": pl.Series([None, None, None], dtype=pl.Null),
    })
    records = frame.to_dicts()
    texts = ['i = 1', 'i + d > 3', 'd = 1.5', 'c = "CN"', 'e in ["VN"]', 'c startswith "V"',
             'b = true', 'b < true', 't is null', 't = 1', 't = "2021-01-01"', 'n is null',
             'n = 1', 'i = d', 'c = e', 'i = c', 'b = c', 'i / (d - d) is null', 'b is null']
    for text in texts:
        rule = compile_rule(text)
        assert [rule.evaluate(r) for r in records] == _on_frame(rule, frame), text


def test_fields_wildcard_admits_national_fields_only() -> None:
    assert compile_rule("national.anything = 1", fields=FIELDS).fields == {"national.anything"}
    with pytest.raises(RuleSyntaxError, match="unknown field 'national'"):
        compile_rule("national = 1", fields=FIELDS)
    assert compile_rule("whatever = 1").fields == {"whatever"}  # no `fields`: any name


def test_source_never_hands_rule_text_to_python() -> None:
    source = Path(rules_module.__file__).read_text()
    for forbidden in ("eval(", "exec(", "import ast", "__import__", "getattr("):
        assert forbidden not in source, forbidden
    assert not re.search(r"(?<![\w.])compile\(", source)  # builtin compile; re.compile is fine


# --- property: any text compiles or is refused with RuleSyntaxError --------------------

SOUP = ["origin", "price", "hs6", "national.process_type", "Origin", '"CN"', "'VN'", '"', "'",
        "\\", "1", "2.5", "1e3", "1e999", "and", "OR", "not", "in", "is", "null", "true",
        "false", "startswith", "(", ")", "[", "]", ",", "=", "==", "!=", "<", "<=", ">", ">=",
        "=>", "+", "-", "*", "/", "@asia", "@nope", "@", ".", "\n", "&&", "!", "é", "\x00"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.lists(st.sampled_from(SOUP), max_size=25).map(" ".join)
       | st.lists(st.sampled_from(SOUP), max_size=25).map("".join))
def test_any_text_compiles_or_raises_rule_syntax_error(text: str) -> None:
    try:
        rule = compile_rule(text, lists=LISTS)
    except RuleSyntaxError as error:
        assert 0 <= error.position <= len(text) and error.column >= 1
        return
    assert isinstance(rule.evaluate({}), bool)
    frame = pl.DataFrame({name: pl.Series([None], dtype=pl.String) for name in rule.fields})
    assert _on_frame(rule, frame if rule.fields else pl.DataFrame({"row": [0]})) in (
        [True], [False])


# --- property: records and frames agree -------------------------------------------------


def _keyword(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from([word, word.upper(), word.title()])


def _quote(text: str, quote: str) -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


FIELD = st.sampled_from([*TEXT_FIELDS, *NUMBER_FIELDS])
TEXT = st.builds(_quote, st.sampled_from(["CN", "VN", "", "8517", "85", "O'Brien", 'a"b', "é"]),
                 st.sampled_from(['"', "'"]))
NUMBER = st.sampled_from(["0", "1", "2.5", "10", "1e3", "0.1", "100000", "3", "1e308"])
OPS = st.sampled_from(["=", "==", "!=", "<", "<=", ">", ">="])
NUMERIC = st.recursive(FIELD | NUMBER, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from("+-*/"), inner).map(" ".join),
    inner.map(lambda v: f"-{v}"),
    inner.map(lambda v: f"({v})")), max_leaves=5)
TEXTUAL = FIELD | TEXT
TEXT_LIST = st.lists(TEXT, min_size=1, max_size=3).map(lambda items: f"[{', '.join(items)}]")
NUMBER_LIST = st.lists(st.tuples(st.sampled_from(["", "-"]), NUMBER).map("".join),
                       min_size=1, max_size=3).map(lambda items: f"[{', '.join(items)}]")
NAMED_LIST = st.sampled_from(["@asia", "@hs_prefixes", "@empty"])


def _join(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map(" ".join)


IN = st.one_of(_keyword("in"), _join(_keyword("not"), _keyword("in")))
TESTS = st.one_of(
    _join(NUMERIC, OPS, NUMERIC),
    _join(TEXTUAL, OPS, TEXTUAL),
    _join(FIELD, OPS, FIELD),
    _join(TEXTUAL, IN, TEXT_LIST | NAMED_LIST),
    _join(NUMERIC, IN, NUMBER_LIST),
    _join(TEXTUAL, _keyword("startswith"), TEXT | TEXT_LIST | NAMED_LIST),
    _join(NUMERIC | TEXTUAL, _keyword("is"), st.sampled_from(["", "not"]), _keyword("null")),
    _keyword("true") | _keyword("false"),
)
CONDITIONS = st.recursive(TESTS, lambda inner: st.one_of(
    _join(inner, _keyword("and"), inner),
    _join(inner, _keyword("or"), inner),
    _join(_keyword("not"), inner),
    inner.map(lambda c: f"({c})")), max_leaves=6)
NUMBER_VALUE = st.none() | st.integers(-10, 10) | st.floats(allow_nan=False) | st.sampled_from(
    [0.0, -0.0, 0.5, 1e308, -1e308, math.inf, -math.inf])
RECORD = st.fixed_dictionaries({}, optional={
    "origin": st.none() | st.sampled_from(["CN", "VN", "DE", "", "O'Brien", "é"])
    | st.text(max_size=3),
    "hs6": st.none() | st.sampled_from(["851712", "8517", "85", "847130"])
    | st.text("0123456789", max_size=6),
    "price": NUMBER_VALUE,
    "net_mass_kg": NUMBER_VALUE,
    "national.process_type": st.none() | st.sampled_from(["4000", "IM4", "EX1"]),
})


@settings(max_examples=250, deadline=None)
@given(CONDITIONS, st.lists(RECORD, min_size=1, max_size=6))
def test_records_and_frames_agree(text: str, records: Sequence[dict[str, Any]]) -> None:
    rule = compile_rule(text, lists=LISTS, fields=[*TEXT_FIELDS, *NUMBER_FIELDS])
    expected = [rule.evaluate(record) for record in records]
    assert all(isinstance(hit, bool) for hit in expected)
    assert _on_frame(rule, pl.DataFrame(records, schema=SCHEMA)) == expected
    assert _on_frame(rule, pl.DataFrame(records[:1], schema=SCHEMA)) == expected[:1]
