"""Countries, currencies, Incoterms 2020 and UN/ECE Rec 20 units."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcustoms.reference import (
    COUNTRY_CODES,
    CURRENCY_CODES,
    HS_EDITIONS,
    INCOTERMS_2020,
    UNIT_CODES,
    ReferenceDataError,
    country_name,
    currency_name,
)
from smartcustoms.reference.codes import load_unit_codes


def test_countries() -> None:
    assert {"KR", "CN", "DE", "US", "XK", "EU"} <= COUNTRY_CODES
    assert not {"ZZ", "UK", "XX", "", "kr"} & COUNTRY_CODES
    assert all(len(c) == 2 and c.isupper() for c in COUNTRY_CODES)
    assert country_name("kr") == "Korea, Republic of"
    assert country_name("XK") == "Kosovo"
    assert country_name("EU") == "European Union"
    assert country_name("ZZ") is None


def test_currencies() -> None:
    assert {"KRW", "USD", "EUR", "CNY"} <= CURRENCY_CODES
    assert not {"XYZ", "EURO", "US"} & CURRENCY_CODES
    assert currency_name("krw") == "Won"
    assert currency_name("ABC") is None


def test_incoterms() -> None:
    assert len(INCOTERMS_2020) == 11
    rules = {"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"}
    assert set(INCOTERMS_2020) == rules
    assert {c for c, t in INCOTERMS_2020.items() if t.sea_only} == {"FAS", "FOB", "CFR", "CIF"}
    assert INCOTERMS_2020["DPU"].name == "Delivered at Place Unloaded"
    assert "DAT" not in INCOTERMS_2020  # Incoterms 2010, replaced by DPU
    with pytest.raises(TypeError):
        INCOTERMS_2020["XXX"] = INCOTERMS_2020["FOB"]  # type: ignore[index]


def test_units() -> None:
    measures = {"KGM", "GRM", "TNE", "LTR", "MLT", "MTQ", "CMQ", "MTR", "MTK", "KWH", "CTM"}
    counts = {"NAR", "C62", "H87", "PR", "DZN", "SET", "LPA", "KNI", "KPO"}
    required = measures | counts
    assert required <= set(UNIT_CODES)
    assert UNIT_CODES["KGM"] == "kilogram"
    assert UNIT_CODES["NAR"] == "number of articles"
    assert UNIT_CODES["CTM"] == "metric carat"
    assert "KG" not in UNIT_CODES


def test_bad_unit_file(tmp_path: Path) -> None:
    bad = tmp_path / "units.csv"
    bad.write_text("code,name,symbol\nKGM,kilogram,kg\nKGM,again,\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"units\.csv:3:.*duplicate"):
        load_unit_codes(bad)


def test_hs_editions() -> None:
    assert HS_EDITIONS == ("HS2022", "HS2017", "HS2012")
