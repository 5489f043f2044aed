"""Code lists used on declarations: countries, currencies, Incoterms 2020, units of measure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pycountry

from smartcustoms.reference.errors import ReferenceDataError
from smartcustoms.reference.hs import _read_csv

# --- countries (ISO 3166-1 alpha-2) -----------------------------------------------------------
# Beyond the official list, customs systems need two codes ISO reserves but does not list:
# 'XK' (Kosovo; a user-assigned code used by the EU, WCO members and most customs systems)
# and 'EU' (exceptionally reserved for the European Union; used e.g. for "EU" origin).
_EXTRA_COUNTRIES = {"XK": "Kosovo", "EU": "European Union"}
_COUNTRY_NAMES: Mapping[str, str] = MappingProxyType(
    {c.alpha_2: c.name for c in pycountry.countries} | _EXTRA_COUNTRIES
)
COUNTRY_CODES: frozenset[str] = frozenset(_COUNTRY_NAMES)


def country_name(code: str) -> str | None:
    """ISO short name for an alpha-2 code (case-insensitive); None if unknown."""
    return _COUNTRY_NAMES.get(code.strip().upper())


# --- currencies (ISO 4217 alpha-3) ------------------------------------------------------------
_CURRENCY_NAMES: Mapping[str, str] = MappingProxyType(
    {c.alpha_3: c.name for c in pycountry.currencies}
)
CURRENCY_CODES: frozenset[str] = frozenset(_CURRENCY_NAMES)


def currency_name(code: str) -> str | None:
    """ISO 4217 name for an alpha-3 code (case-insensitive); None if unknown."""
    return _CURRENCY_NAMES.get(code.strip().upper())


# --- Incoterms 2020 ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Incoterm:
    code: str
    name: str
    # True for the four rules ICC restricts to sea and inland waterway transport.
    sea_only: bool


INCOTERMS_2020: Mapping[str, Incoterm] = MappingProxyType(
    {
        t.code: t
        for t in (
            Incoterm("EXW", "Ex Works", False),
            Incoterm("FCA", "Free Carrier", False),
            Incoterm("CPT", "Carriage Paid To", False),
            Incoterm("CIP", "Carriage and Insurance Paid To", False),
            Incoterm("DAP", "Delivered at Place", False),
            Incoterm("DPU", "Delivered at Place Unloaded", False),
            Incoterm("DDP", "Delivered Duty Paid", False),
            Incoterm("FAS", "Free Alongside Ship", True),
            Incoterm("FOB", "Free on Board", True),
            Incoterm("CFR", "Cost and Freight", True),
            Incoterm("CIF", "Cost, Insurance and Freight", True),
        )
    }
)


# --- units of measure (UN/ECE Recommendation 20) ----------------------------------------------
# Hand-transcribed subset shipped as data: no maintained PyPI package carries Rec 20 (only
# Odoo add-ons, which need Odoo). See data/reference/UNECE_REC20_PROVENANCE.md.
UNECE_REC20_FILE = Path(__file__).resolve().parents[3] / "data" / "reference" / "unece_rec20.csv"
_UNIT_CODE = re.compile(r"[A-Z0-9]{2,3}")


def load_unit_codes(path: Path = UNECE_REC20_FILE) -> Mapping[str, str]:
    """code -> name from a ``code,name,symbol`` CSV; raises ReferenceDataError if malformed."""
    units: dict[str, str] = {}
    for line, (code, name, _symbol) in _read_csv(path, ["code", "name", "symbol"]):
        if not _UNIT_CODE.fullmatch(code):
            raise ReferenceDataError(f"bad unit code {code!r}", path=path, line=line, value=code)
        if code in units:
            raise ReferenceDataError(
                f"duplicate unit code {code!r}", path=path, line=line, value=code
            )
        if not name.strip():
            raise ReferenceDataError(
                f"empty name for unit {code!r}", path=path, line=line, value=code
            )
        units[code] = name.strip()
    return MappingProxyType(units)


UNIT_CODES: Mapping[str, str] = load_unit_codes()
