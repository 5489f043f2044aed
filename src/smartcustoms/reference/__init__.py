"""Reference data for declarations: HS nomenclature and standard code lists.

Self-contained: imports nothing from the rest of smartcustoms, so any layer may use it.
"""

from smartcustoms.reference.codes import (
    COUNTRY_CODES,
    CURRENCY_CODES,
    INCOTERMS_2020,
    UNIT_CODES,
    Incoterm,
    country_name,
    currency_name,
)
from smartcustoms.reference.errors import ReferenceDataError
from smartcustoms.reference.hs import HSEntry, HSNomenclature, load_hs2022, normalize_hs_code

# Editions a declaration may cite. Only HS2022 ships a full table (load_hs2022); older
# editions are accepted as labels but their codes cannot be validated here.
HS_EDITIONS: tuple[str, ...] = ("HS2022", "HS2017", "HS2012")

__all__ = [
    "COUNTRY_CODES",
    "CURRENCY_CODES",
    "HS_EDITIONS",
    "INCOTERMS_2020",
    "UNIT_CODES",
    "HSEntry",
    "HSNomenclature",
    "Incoterm",
    "ReferenceDataError",
    "country_name",
    "currency_name",
    "load_hs2022",
    "normalize_hs_code",
]
