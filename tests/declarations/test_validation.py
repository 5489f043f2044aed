"""The declaration model and its rules: every error names field, value and expectation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.declarations import iso6346_check_digit, parse_declaration
from smartcustoms.errors import DeclarationInvalid

from .conftest import TODAY


def errors_of(data: Any, **kwargs: Any) -> dict[str, tuple[str, Any]]:
    with pytest.raises(DeclarationInvalid) as info:
        parse_declaration(data, today=kwargs.pop("today", TODAY), **kwargs)
    return {e.field: (e.message, e.value) for e in info.value.errors}


def test_the_vector_is_valid_and_normalised(vector: dict[str, Any]) -> None:
    decl = parse_declaration(vector, today=TODAY)
    assert decl.items[0].hs_code == "851762"  # dots removed
    assert decl.invoice_total is not None and str(decl.invoice_total.amount) == "24000.00"
    assert decl.containers == ["CSQU3054383"]


@pytest.mark.parametrize(
    ("owner_serial", "digit"),
    [("CSQU305438", 3), ("BICU123456", 5), ("MSCU123456", 6)],
)
def test_iso6346_check_digits(owner_serial: str, digit: int) -> None:
    # CSQU 305438 3 is the example in ISO 6346; BICU 123456 5 is the BIC's. MSCU 123456:
    # 24·1 + 30·2 + 13·4 + 32·8 + 1·16 + 2·32 + 3·64 + 4·128 + 5·256 + 6·512 = 5528,
    # 5528 mod 11 = 6 (letter values A=10, B=12, … skipping multiples of 11).
    assert iso6346_check_digit(owner_serial) == digit


def test_field_errors_name_path_value_and_expectation(vector: dict[str, Any]) -> None:
    vector["items"][0]["hs_code"] = "8471.3"
    vector["items"][0]["origin_country"] = "XY"
    vector["items"][1]["price"]["currency"] = "EURO"
    vector["containers"] = ["CSQU3054384"]
    vector["trade_terms"]["incoterm"] = "CNF"
    vector["extra_field"] = 1
    errors = errors_of(vector)
    assert errors["items[0].hs_code"][1] == "8471.3"
    assert "6, 8 or 10 digits" in errors["items[0].hs_code"][0]
    assert errors["items[0].origin_country"] == (
        "must be an ISO 3166-1 alpha-2 country code such as 'CN' or 'DE'", "XY")
    assert errors["items[1].price.currency"][1] == "EURO"
    assert errors["containers[0]"] == ("ISO 6346 check digit is wrong: expected 3",
                                      "CSQU3054384")
    assert "Incoterms 2020" in errors["trade_terms.incoterm"][0]
    assert errors["extra_field"] == ("is not a field of the declaration", 1)


def test_item_rules_are_reported_with_the_type_errors(vector: dict[str, Any]) -> None:
    vector["items"][0]["hs_code"] = "851799"  # no such HS 2022 subheading
    vector["items"][1]["gross_mass_kg"] = "90"  # below its net mass of 95
    vector["invoice_total"]["currency"] = "usd1"
    errors = errors_of(vector)
    assert errors["items[0].hs_code"] == ("HS 2022 has no subheading 8517.99", "851799")
    assert errors["items[1].gross_mass_kg"] == (
        "gross mass must be at least the net mass (95 kg)", "90")
    assert errors["invoice_total.currency"][1] == "usd1"


def test_cross_field_rules_are_all_reported_at_once(vector: dict[str, Any]) -> None:
    vector["items"][1]["gross_mass_kg"] = "100"
    vector["invoice_total"]["amount"] = "25000.00"
    vector["total_packages"] = 51
    vector["items"][1]["sequence"] = 3
    vector["documents"][0]["issue_date"] = "2026-11-19"
    errors = errors_of(vector)
    assert errors["invoice_total.amount"] == (
        "must equal the sum of the item prices, 24000.00", "25000.00")
    assert errors["total_packages"] == ("must equal the sum of the items' packages, 50", 51)
    assert errors["total_gross_mass_kg"] == (
        "must equal the sum of the items' gross mass, 612", "622")
    assert errors["items[1].sequence"][1] == 3
    assert errors["documents[0].issue_date"][1] == "2026-11-19"
    assert len(errors) == 5  # nothing claimed where there is nothing wrong


def test_profile_full_requires_what_an_h1_needs(vector: dict[str, Any]) -> None:
    del vector["trade_terms"]
    del vector["items"][0]["description"]
    vector["parties"] = [p for p in vector["parties"] if p["role"] != "importer"]
    errors = errors_of(vector)
    assert errors["trade_terms"] == ("required in profile 'full'", None)
    assert errors["items[0].description"] == ("required in profile 'full'", None)
    assert errors["parties"] == ("profile 'full' requires an importer", None)
    # a mapping that states the source lacks these fields exempts them
    decl_errors = errors_of(vector, absent={"trade_terms", "items.description"})
    assert set(decl_errors) == {"parties"}


def test_low_value_profile_threshold(vector: dict[str, Any]) -> None:
    vector["profile"] = "low_value"
    for item in vector["items"]:
        item["price"]["currency"] = "EUR"
    vector["invoice_total"]["currency"] = "EUR"
    errors = errors_of(vector)
    assert "at most EUR 150" in errors["invoice_total.amount"][0]
    vector["items"] = vector["items"][:1]
    vector["items"][0]["price"]["amount"] = "99.90"
    vector["invoice_total"]["amount"] = "99.90"
    vector["total_gross_mass_kg"] = "512"
    vector["total_packages"] = 40
    assert parse_declaration(vector, today=TODAY).profile.value == "low_value"


def test_dates(vector: dict[str, Any]) -> None:
    vector["declaration_date"] = "2026-11-25"
    assert errors_of(vector)["declaration_date"] == (
        "must not be in the future (today is 2026-11-20)", "2026-11-25")
    vector["declaration_date"] = "2026-02-30"
    assert errors_of(vector)["declaration_date"][1] == "2026-02-30"


def test_parties_rules(vector: dict[str, Any]) -> None:
    vector["parties"].append({"role": "importer", "identifier": "X1"})
    vector["parties"].append({"role": "carrier"})
    errors = errors_of(vector)
    assert errors["parties[4].role"] == ("each role may appear once per declaration", "importer")
    assert errors["parties[5]"] == ("a party needs an identifier or a name", "carrier")
    vector["parties"] = [{"role": "importer", "identifier": "X1"}]
    assert errors_of(vector)["parties"] == ("a declarant party is required", None)


def test_older_editions_are_checked_for_their_chapter(vector: dict[str, Any]) -> None:
    vector["items"][0]["hs_edition"] = "HS2017"
    vector["items"][0]["hs_code"] = "293139"  # HS 2017, gone in HS 2022
    assert parse_declaration(vector, today=TODAY).items[0].hs_edition == "HS2017"
    vector["items"][0]["hs_code"] = "770000"  # chapter 77 is reserved
    assert errors_of(vector)["items[0].hs_code"] == ("HS has no chapter 77", "770000")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_input_is_rejected_with_field_errors_never_a_crash(data: Any) -> None:
    with pytest.raises(DeclarationInvalid) as info:
        parse_declaration(data, today=dt.date(2026, 11, 20))
    assert info.value.errors
    for error in info.value.errors:
        assert error.field and error.message


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(["reference", "declaration_date", "office", "items", "parties",
                            "invoice_total", "exchange_rate", "containers", "trade_terms"]),
       value=json_values)
def test_mutated_vector_either_passes_or_names_the_field(key: str, value: Any) -> None:
    import copy

    from .conftest import VECTOR

    data = copy.deepcopy(VECTOR)
    data[key] = value
    try:
        parse_declaration(data, today=TODAY)
    except DeclarationInvalid as exc:
        assert exc.errors
        assert any(e.field.split("[")[0].split(".")[0] in (key, "items", "parties", "(root)")
                   or e.field.startswith(key) for e in exc.errors)
