"""The import declaration, in WCO Data Model names.

One schema, two profiles: ``full`` (like an EU H1 standard import declaration)
and ``low_value`` (like H7, e-commerce consignments of low value). The profile
decides which fields are required (see ``rules.py``); the shapes here only fix
types and formats. WCO DM IDs are given in the field descriptions where the
element has one we use as is.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from smartcustoms.declarations.types import (
    PRINTABLE,
    Code,
    ContainerNumber,
    CountryCode,
    CurrencyCode,
    HSCode,
    IncotermCode,
    NonNegativeDecimal,
    PositiveDecimal,
    Text,
    UnitCode,
)
from smartcustoms.reference import load_hs2022


class _Shape(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True
    )


class Profile(enum.StrEnum):
    full = "full"
    low_value = "low_value"


class PartyRole(enum.StrEnum):
    declarant = "declarant"
    importer = "importer"
    exporter = "exporter"
    seller = "seller"
    buyer = "buyer"
    consignor = "consignor"
    consignee = "consignee"
    representative = "representative"
    carrier = "carrier"


HSEdition = Literal["HS2022", "HS2017", "HS2012"]


class Money(_Shape):
    """An amount with its ISO 4217 currency; never a bare number."""

    amount: NonNegativeDecimal = Field(description="Amount in the currency's units.")
    currency: CurrencyCode = Field(description="ISO 4217 alphabetic code.", examples=["EUR"])


class Quantity(_Shape):
    """A quantity with its UN/ECE Recommendation 20 unit."""

    value: PositiveDecimal
    unit: UnitCode = Field(description="UN/ECE Rec 20 unit code.", examples=["H87"])


class Address(_Shape):
    street: Text | None = None
    city: Text | None = None
    postcode: Annotated[str, Field(max_length=17, pattern=PRINTABLE)] | None = None
    country: CountryCode | None = None


class Party(_Shape):
    """A party of the declaration in one role (WCO DM party classes)."""

    role: PartyRole
    identifier: Code | None = Field(
        None, description="Identification number (EORI, TIN or the national trader id)."
    )
    name: Text | None = None
    address: Address | None = None


class TradeTerms(_Shape):
    """Delivery terms: an Incoterms 2020 rule and its named place."""

    incoterm: IncotermCode = Field(examples=["CIF"])
    place: Text | None = Field(None, description="Named place or port.")


class Transport(_Shape):
    mode_at_border: Code | None = Field(
        None,
        description="Mode of transport at the border: UN/ECE Rec 19 code (1 sea, 3 road, "
        "4 air, …) or a national code, as the mapping states.",
    )
    means_identifier: Text | None = Field(None, description="Vessel IMO, flight, plate.")
    means_nationality: CountryCode | None = None


class DocumentReference(_Shape):
    """A supporting document: invoice, certificate of origin, licence, transport document."""

    type_code: Code = Field(description="Document type code (e.g. UN/EDIFACT 1001: 380 invoice).")
    reference: Text
    issue_date: dt.date | None = None


class GoodsItem(_Shape):
    """One goods item (WCO DM GovernmentAgencyGoodsItem)."""

    sequence: Annotated[int, Field(ge=1, le=9999)] = Field(
        description="Goods item number, WCO ID 006; 1, 2, 3 … in order."
    )
    description: Text | None = Field(
        None, description="Description of goods, WCO ID 137."
    )
    hs_edition: HSEdition = Field("HS2022", description="HS edition the code belongs to.")
    hs_code: HSCode = Field(
        description="Commodity classification, WCO ID 145: HS subheading plus national "
        "digits.", examples=["851762"],
    )
    origin_country: CountryCode | None = Field(None, description="Country of origin, WCO ID 063.")
    preference_code: Code | None = Field(
        None, description="Tariff treatment claimed (preference, e.g. an FTA rate code)."
    )
    duty_rate_percent: Annotated[Decimal, Field(ge=0, le=1000)] | None = Field(
        None, description="Duty rate declared for the item, in percent."
    )
    net_mass_kg: PositiveDecimal | None = Field(None, description="Net mass in kg, WCO ID 126.")
    gross_mass_kg: PositiveDecimal | None = Field(
        None, description="Gross mass in kg, WCO ID 131."
    )
    quantity: Quantity | None = Field(None, description="Supplementary quantity.")
    price: Money | None = Field(None, description="Item price (invoice amount of the item).")
    customs_value: Money | None = None
    packages: Annotated[int, Field(ge=0)] | None = None
    documents: list[DocumentReference] = Field(default_factory=list, max_length=99)

    # Checked here rather than in rules.py so they are reported together with the
    # type errors of the rest of the declaration (fields validate in declaration order).
    @field_validator("hs_code")
    @classmethod
    def _hs_code_exists(cls, code: str, info: ValidationInfo) -> str:
        edition = info.data.get("hs_edition")
        hs6 = code[:6]
        if edition == "HS2022":
            if hs6 not in load_hs2022().subheadings:
                raise PydanticCustomError(
                    "hs_code_unknown", "HS 2022 has no subheading {code}",
                    {"code": f"{hs6[:4]}.{hs6[4:]}"},
                )
        elif edition is not None and hs6[:2] not in load_hs2022().chapters:
            # No full table ships for older editions: the chapter is what we can check.
            raise PydanticCustomError(
                "hs_chapter_unknown", "HS has no chapter {chapter}", {"chapter": hs6[:2]}
            )
        return code

    @field_validator("gross_mass_kg")
    @classmethod
    def _gross_at_least_net(cls, gross: Decimal | None, info: ValidationInfo) -> Decimal | None:
        net = info.data.get("net_mass_kg")
        if gross is not None and net is not None and gross < net:
            raise PydanticCustomError(
                "gross_below_net", "gross mass must be at least the net mass ({net} kg)",
                {"net": str(net)},
            )
        return gross


class DeclarationCreate(_Shape):
    """What a trader submits."""

    reference: Annotated[str, Field(min_length=1, max_length=35, pattern=PRINTABLE)] = Field(
        description="Local reference number (LRN), WCO ID D026; unique per declarant.",
        examples=["LRN-2026-000123"],
    )
    profile: Profile = Profile.full
    type_code: Code = Field(
        "IM", description="Declaration type, WCO ID D013 (IM import, EX export, CO community)."
    )
    declaration_date: dt.date = Field(description="Date the declaration is lodged.")
    office: Code = Field(description="Customs office of lodgement (office code).")
    dispatch_country: CountryCode | None = Field(
        None, description="Country of dispatch/export."
    )
    parties: list[Party] = Field(min_length=1, max_length=50)
    items: list[GoodsItem] = Field(min_length=1, max_length=999)
    trade_terms: TradeTerms | None = None
    transport: Transport | None = None
    containers: list[ContainerNumber] = Field(
        default_factory=list, max_length=999, description="Container ids, WCO ID 159."
    )
    documents: list[DocumentReference] = Field(default_factory=list, max_length=99)
    invoice_total: Money | None = Field(None, description="Total amount invoiced.")
    freight: Money | None = None
    insurance: Money | None = None
    exchange_rate: PositiveDecimal | None = Field(
        None, description="Currency exchange rate to the national currency, WCO ID 118."
    )
    total_gross_mass_kg: PositiveDecimal | None = Field(None, description="WCO ID 131.")
    total_packages: Annotated[int, Field(ge=0)] | None = Field(None, description="WCO ID 146.")
    national: dict[Annotated[str, Field(max_length=64, pattern=PRINTABLE)],
                   Annotated[str, Field(max_length=256, pattern=PRINTABLE)]] = (
        Field(
            default_factory=dict,
            max_length=64,
            description="National data elements that have no WCO counterpart "
            "(e.g. a national procedure or payment code), kept verbatim.",
        )
    )


class DeclarationStatus(enum.StrEnum):
    submitted = "submitted"


class Declaration(_Shape):
    """A stored declaration: what was declared, plus what the system recorded about it."""

    id: str
    status: DeclarationStatus
    created_at: dt.datetime
    content_digest: str = Field(description="SHA-256 of the canonical JSON of `declared`.")
    import_run_id: int | None = None
    absent_in_source: list[str] = Field(
        default_factory=list,
        description="Fields the source system does not carry (stated in the import mapping).",
    )
    source_extra: dict[str, str] | None = Field(
        None, description="Columns of the source row not mapped to a field, kept verbatim."
    )
    declared: DeclarationCreate


class DeclarationSummary(_Shape):
    id: str
    reference: str
    profile: Profile
    declaration_date: dt.date
    office: str
    declarant_id: str | None
    importer_id: str | None
    item_count: int
    first_hs_code: str | None
    origin_countries: list[str]
    created_at: dt.datetime
    status: DeclarationStatus


class DeclarationList(_Shape):
    items: list[DeclarationSummary]
    total: int
    limit: int
    offset: int
