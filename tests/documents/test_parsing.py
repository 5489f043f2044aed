"""Parsers of printed values: examples per convention, and properties over any text."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.documents.errors import DocumentNumberAmbiguous, DocumentValueInvalid
from smartcustoms.documents.generate.locale import (
    DATE_STYLES_BY_LANGUAGE,
    LANGUAGES,
    NUMBER_STYLES,
    format_date,
    format_number,
)
from smartcustoms.documents.parsing import (
    infer_decimal_mark,
    parse_amount,
    parse_country,
    parse_currency,
    parse_date,
    parse_incoterm,
    parse_mass_kg,
    parse_number,
    parse_packages,
    parse_quantity,
    parse_unit,
)
from smartcustoms.reference import UNIT_CODES

PARSERS = [parse_number, parse_amount, parse_date, parse_unit, parse_quantity,
           parse_mass_kg, parse_packages, parse_country, parse_currency, parse_incoterm]
SEPARATOR_TEXT = st.text(alphabet="0123456789.,' -()+€$£EURUSDkgpcsStück\u00a0", max_size=30)


class TestParseNumber:
    @pytest.mark.parametrize(("text", "mark", "expected"), [
        ("1,234.56", None, "1234.56"), ("1.234,56", None, "1234.56"),
        ("1 234,56", None, "1234.56"), ("1\u00a0234,56", None, "1234.56"),
        ("1'234.56", None, "1234.56"), ("1234.5", None, "1234.5"), ("1234,5", None, "1234.5"),
        ("0,500", None, "0.500"), ("1.234.567", None, "1234567"),
        ("1,234,567.89", None, "1234567.89"), ("(12.00)", None, "-12.00"),
        ("-3,5", None, "-3.5"), ("12-", None, "-12"), ("1,234", ",", "1.234"),
        ("1,234", ".", "1234"), ("1.234", ",", "1234"), ("12", None, "12"),
    ])
    def test_parse_number_reads_both_conventions(self, text, mark, expected):
        assert parse_number(text, decimal_mark=mark) == Decimal(expected)

    @pytest.mark.parametrize("text", ["1,234", "1.234", "999.000"])
    def test_parse_number_ambiguous_without_decimal_mark(self, text):
        with pytest.raises(DocumentNumberAmbiguous, match="ambiguous"):
            parse_number(text, field="total")

    @pytest.mark.parametrize("text", ["", "  ", "-", "()", "1..2", "1,2,3", "12a", "1.2.3,4,5",
                                      "1,234.567,8", "x" * 500])
    def test_parse_number_refuses_what_is_no_number(self, text):
        with pytest.raises(DocumentValueInvalid, match="number"):
            parse_number(text, field="lines[0].amount")

    def test_parse_number_error_names_field_and_value(self):
        with pytest.raises(DocumentValueInvalid) as info:
            parse_number("12 apples", field="lines[3].amount")
        assert info.value.field == "lines[3].amount"
        assert info.value.value == "12 apples"
        assert "lines[3].amount" in info.value.detail

    @given(value=st.decimals(min_value=Decimal("-99999999"), max_value=Decimal("99999999"),
                             places=2, allow_nan=False, allow_infinity=False),
           style=st.sampled_from(sorted(NUMBER_STYLES)), places=st.sampled_from([0, 1, 2, 3]))
    def test_parse_number_round_trips_formatted_numbers(self, value, style, places):
        text = format_number(value, style, places)
        mark = NUMBER_STYLES[style][1]
        quantum = Decimal(1).scaleb(-places)
        assert parse_number(text, decimal_mark=mark) == value.quantize(quantum, ROUND_HALF_UP)

    @given(text=st.text(max_size=60))
    @settings(max_examples=300)
    def test_parse_number_raises_only_its_own_error(self, text):
        for mark in (None, ".", ","):
            with contextlib.suppress(DocumentValueInvalid):
                parse_number(text, decimal_mark=mark)

    @given(text=SEPARATOR_TEXT)
    @settings(max_examples=300)
    def test_parse_number_near_misses_raise_only_its_own_error(self, text):
        try:
            value = parse_number(text)
        except DocumentValueInvalid:
            return
        assert isinstance(value, Decimal)


class TestInferDecimalMark:
    def test_infer_decimal_mark_from_unambiguous_numbers(self):
        assert infer_decimal_mark(["1.234,56", "12,5", "2026"]) == ","
        assert infer_decimal_mark(["1,234.56", "Invoice", "3"]) == "."
        assert infer_decimal_mark(["1'234.56"]) == "."

    def test_infer_decimal_mark_none_when_nothing_tells(self):
        assert infer_decimal_mark(["1,234", "2026", "14.03.2026"]) is None

    def test_a_mark_no_thousands_separator_could_be_decides(self):
        # Packing lists printed without thousands separators: '1921,500' cannot group.
        assert infer_decimal_mark(["1921,500", "886,050", "12,3456"]) == ","
        assert infer_decimal_mark(["1921.500", "0.250"]) == "."

    def test_specks_and_position_numbers_do_not_tip_the_vote(self):
        # A scan's stray '3.' / '4.' (specks after numbers, position numbers) says nothing.
        assert infer_decimal_mark(["1921,500", "3.", "4.", "12.", "3. 4."]) == ","
        # A one- or two-digit number ('3.1') weighs a quarter: not enough on its own...
        assert infer_decimal_mark(["886,050", "3.1"]) is None
        # ...nor against a whole number; words OCR ran together vote apart.
        assert infer_decimal_mark(["1921,500", "3.1", "4.2"]) == ","
        assert infer_decimal_mark(["3. 12"]) is None
        # An apostrophe that groups no three digits is no Swiss number.
        assert infer_decimal_mark(["5'1", "1921,500"]) == ","
        assert infer_decimal_mark(["5'1"]) is None

    def test_a_page_divided_between_the_marks_does_not_tell(self):
        assert infer_decimal_mark(["12,50", "12.50"]) is None
        assert infer_decimal_mark(["12,50", "7,25", "1,75", "12.50", "3.50"]) is None
        assert infer_decimal_mark(["12,50", "7,25", "12.50"]) == ","

    @given(values=st.lists(st.decimals(min_value=Decimal("-99999999"),
                                       max_value=Decimal("99999999"), places=3,
                                       allow_nan=False, allow_infinity=False),
                           min_size=1, max_size=6),
           style=st.sampled_from(sorted(NUMBER_STYLES)), places=st.sampled_from([2, 3]),
           specks=st.lists(st.integers(0, 999), max_size=10),
           shorts=st.lists(st.integers(0, 99), max_size=12))
    @settings(max_examples=300)
    def test_the_printed_mark_wins_over_scan_noise(self, values, style, places, specks,
                                                   shorts):
        """Numbers a mark tells (two decimals; three after four digits or more) find the
        style's mark whatever trailing specks ('3.') and, up to two per number, short
        numbers of the other mark ('3.1') a scan adds."""
        mark = NUMBER_STYLES[style][1]
        other = "." if mark == "," else ","
        if places == 3:
            values = [v if abs(v) >= 1000 else abs(v) + 1000 for v in values]
        texts = [format_number(v, style, places) for v in values]
        noise = [f"{n}{other}" for n in specks] + [f"{n // 10}{other}{n % 10}"
                                                  for n in shorts[:2 * len(texts)]]
        assert infer_decimal_mark(texts + noise) == mark
        assert infer_decimal_mark(noise[:len(specks)] + texts) == mark


class TestParseAmount:
    @pytest.mark.parametrize(("text", "mark", "expected"), [
        ("EUR 1.234,56", ",", ("1234.56", "EUR")), ("1,234.56 USD", ".", ("1234.56", "USD")),
        ("$ 12.50", None, ("12.50", "USD")), ("£1,200.00", None, ("1200.00", "GBP")),
        ("1234.00", None, ("1234.00", None)), ("-500.00", None, ("-500.00", None)),
    ])
    def test_parse_amount_separates_currency(self, text, mark, expected):
        amount, currency = parse_amount(text, decimal_mark=mark)
        assert (amount, currency) == (Decimal(expected[0]), expected[1])


class TestParseDate:
    @pytest.mark.parametrize("text", [
        "2026-03-14", "14.03.2026", "14/03/2026", "14-03-26", "14 March 2026",
        "March 14, 2026", "14-Mar-2026", "14. März 2026", "14 mars 2026",
        "14 de marzo de 2026", "14th March 2026", "Mar. 14, 2026", "2026/03/14",
    ])
    def test_parse_date_reads_common_forms(self, text):
        assert parse_date(text) == dt.date(2026, 3, 14)

    def test_parse_date_day_first_decides_ambiguous_numeric_dates(self):
        assert parse_date("03/04/2026") == dt.date(2026, 4, 3)
        assert parse_date("03/04/2026", day_first=False) == dt.date(2026, 3, 4)
        assert parse_date("13/04/2026", day_first=False) == dt.date(2026, 4, 13)

    @pytest.mark.parametrize("text", ["31.02.2026", "2026-13-01", "no date", "March 2026",
                                      "", "45/45/45"])
    def test_parse_date_refuses_impossible_or_partial_dates(self, text):
        with pytest.raises(DocumentValueInvalid, match="date"):
            parse_date(text, field="date")

    @given(day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
           language=st.sampled_from(LANGUAGES), choice=st.integers(0, 10))
    def test_parse_date_round_trips_every_generated_format(self, day, language, choice):
        styles = DATE_STYLES_BY_LANGUAGE[language]
        text = format_date(day, styles[choice % len(styles)], language)
        assert parse_date(text) == day

    @given(text=st.text(max_size=60))
    @settings(max_examples=300)
    def test_parse_date_raises_only_its_own_error(self, text):
        with contextlib.suppress(DocumentValueInvalid):
            parse_date(text)


class TestUnitsAndQuantities:
    @pytest.mark.parametrize(("text", "code"), [
        ("pcs", "H87"), ("Pieces", "H87"), ("Stück", "H87"), ("Stk.", "H87"), ("unités", "H87"),
        ("uds.", "H87"), ("piezas", "H87"), ("kg", "KGM"), ("KGS", "KGM"), ("m", "MTR"),
        ("mètres", "MTR"), ("l", "LTR"), ("Liter", "LTR"), ("sets", "SET"), ("Satz", "SET"),
        ("jeux", "SET"), ("pairs", "PR"), ("Paar", "PR"), ("pares", "PR"), ("doz", "DZN"),
        ("m2", "MTK"), ("cbm", "MTQ"), ("H87", "H87"), ("KGM", "KGM"),
    ])
    def test_parse_unit_maps_words_to_rec20(self, text, code):
        assert parse_unit(text) == code
        assert code in UNIT_CODES

    def test_parse_unit_refuses_unknown_words(self):
        with pytest.raises(DocumentValueInvalid, match="unit 'bananas'"):
            parse_unit("bananas")

    def test_parse_quantity_with_unit_printed_or_given(self):
        assert parse_quantity("120 pcs") == (Decimal(120), "H87")
        assert parse_quantity("1.200 Stück", decimal_mark=",") == (Decimal(1200), "H87")
        assert parse_quantity("12,5", decimal_mark=",", unit="KGM") == (Decimal("12.5"), "KGM")
        with pytest.raises(DocumentValueInvalid, match="no unit"):
            parse_quantity("12")

    @pytest.mark.parametrize(("text", "kg"), [
        ("1,234.5 kg", "1234.5"), ("1.234,500 KGS", "1234.500"), ("2,5 t", "2500.0"),
        ("100 lbs", "45.359237"), ("12.30", "12.30"),
    ])
    def test_parse_mass_kg_converts_to_kilograms(self, text, kg):
        mark = "," if "," in text and text.index(",") > text.find(".") else "."
        assert parse_mass_kg(text, decimal_mark=mark) == Decimal(kg)

    @pytest.mark.parametrize(("text", "expected"), [
        ("25 cartons", (25, "CT")), ("3 Paletten", (3, "PX")), ("120 CTNS", (120, "CT")),
        ("40", (40, None)), ("1,200 bags", (1200, "BG")), ("7 cajas de cartón", (7, "CT")),
        ("2 colis", (2, "PK")), ("5 Säcke", (5, "SA")),
    ])
    def test_parse_packages_reads_count_and_rec21_kind(self, text, expected):
        assert parse_packages(text) == expected

    @pytest.mark.parametrize("text", ["3,151.500", "12.5 cartons", "many cartons",
                                      "4 spaceships"])
    def test_parse_packages_refuses_fractions_and_unknown_kinds(self, text):
        with pytest.raises(DocumentValueInvalid, match="packages"):
            parse_packages(text)


class TestCodes:
    @pytest.mark.parametrize(("text", "code"), [
        ("Germany", "DE"), ("Deutschland", "DE"), ("Allemagne", "DE"), ("Alemania", "DE"),
        ("DE", "DE"), ("P.R. China", "CN"), ("Viet Nam", "VN"), ("Türkei", "TR"),
        ("Royaume-Uni", "GB"), ("Estados Unidos", "US"), ("Corée du Sud", "KR"),
        ("Made in China", "CN"), ("Netherlands", "NL"),
    ])
    def test_parse_country_in_several_languages(self, text, code):
        assert parse_country(text) == code

    def test_parse_country_refuses_unknown(self):
        with pytest.raises(DocumentValueInvalid, match="country"):
            parse_country("Atlantis")

    @pytest.mark.parametrize(("text", "code"), [
        ("EUR", "EUR"), ("eur", "EUR"), ("Euro", "EUR"), ("US Dollars", "USD"),
        ("US Dollar (USD)", "USD"), ("£", "GBP"), ("Swiss francs", "CHF"),
    ])
    def test_parse_currency(self, text, code):
        assert parse_currency(text) == code

    @pytest.mark.parametrize(("text", "expected"), [
        ("CIF Hamburg", ("CIF", "Hamburg")), ("FOB, Shanghai", ("FOB", "Shanghai")),
        ("Incoterms® 2020: DAP Lyon", ("DAP", "Lyon")),
        ("CIF Hamburg (Incoterms 2020)", ("CIF", "Hamburg")), ("EXW", ("EXW", None)),
    ])
    def test_parse_incoterm_with_named_place(self, text, expected):
        assert parse_incoterm(text) == expected

    def test_parse_incoterm_refuses_text_without_a_rule(self):
        with pytest.raises(DocumentValueInvalid, match="Incoterms 2020"):
            parse_incoterm("free delivery")


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@given(text=st.text(max_size=80))
@settings(max_examples=120)
def test_parsers_raise_only_document_value_invalid(parser, text):
    with contextlib.suppress(DocumentValueInvalid):
        parser(text)


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("value", [None, 12, b"12", ["12"]])
def test_parsers_refuse_non_text_with_their_error(parser, value):
    with pytest.raises(DocumentValueInvalid, match="expected text"):
        parser(value)
