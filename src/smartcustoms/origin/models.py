"""The electronic certificate of origin (eCO) and the errors of the origin capability.

Field names follow the WCO Data Model where it has the element (exporter, consignee,
goods item, HS code, gross mass) and the UN/CEFACT certificate-of-origin boxes
otherwise (origin criterion, invoice reference, validity). The certificate is the
*content* an issuer signs; what goes into the transparency log is only its digest
(see ``statements.py``).

Code lists are deliberately small and documented at their source:

- ``CertificateType``: non-preferential origin (Revised Kyoto Convention, Specific
  Annex K, chapter 2; certificates usually issued by chambers of commerce) or
  preferential origin under a trade agreement or preference scheme.
- ``Agreement``: RCEP (Regional Comprehensive Economic Partnership, Chapter 3 and the
  certificate form of its Operational Certification Procedures) and EU GSP (the EU
  Generalised Scheme of Preferences, Regulation (EU) No 978/2012; Form A box 8 notes).
- ``OriginCriterion``: the codes printed in the origin-criterion box of those forms:
  RCEP ``WO`` (wholly obtained), ``PE`` (produced exclusively from originating
  materials), ``CTC`` (change in tariff classification), ``RVC`` (regional value
  content), ``CR`` (chemical reaction); GSP Form A ``P`` (wholly obtained) and ``W``
  (sufficiently worked or processed, read together with the item's HS heading).
  RCEP's supplementary indications ``ACU`` (accumulation) and ``DMI`` (de minimis) are
  not modelled yet.

The certificate-side errors live here (``origin/errors.py`` belongs to the log); they
derive from the same ``smartcustoms.errors`` bases, and verification failures from the
log's ``VerificationFailed``.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from smartcustoms.declarations.models import Address, Quantity
from smartcustoms.declarations.types import (
    Code,
    CountryCode,
    HSCode,
    PositiveDecimal,
    Text,
)
from smartcustoms.errors import Conflict, FieldError, InvalidInput
from smartcustoms.origin.errors import VerificationFailed

# --------------------------------------------------------------------------- errors


class OriginInputInvalid(InvalidInput):
    """Base class of the origin capability's input errors."""

    code = "origin-input-invalid"
    title = "The certificate-of-origin input is not valid"


class CertificateInvalid(OriginInputInvalid):
    code = "certificate-invalid"
    title = "The certificate of origin does not pass validation"


class StatementInvalid(OriginInputInvalid):
    code = "origin-statement-invalid"
    title = "The log statement is not valid"


class KeyFileInvalid(OriginInputInvalid):
    code = "origin-key-file-invalid"
    title = "The key file cannot be used"


class RegistryConflict(Conflict):
    """A registry statement contradicts what the log already says."""

    code = "issuer-registry-conflict"
    title = "The issuer statement conflicts with the registry"


class VerificationError(VerificationFailed):
    """A certificate-side check failed: the caller must treat the object as unverified.

    ``reason`` is a stable slug (``digest-mismatch``, ``path-unknown`` …) that tests and
    callers match on; ``detail`` says what was found. A subclass of the log's
    ``VerificationFailed`` so one ``except`` covers every failed origin check.
    """

    code = "certificate-verification-failed"
    title = "Certificate-of-origin verification failed"

    def __init__(
        self, reason: str, detail: str, *, field: str | None = None, value: Any = None
    ) -> None:
        super().__init__(f"{reason}: {detail}", reasons=[reason])
        self.reason = reason
        self.field = field
        self.value = value
        if field is not None:
            self.errors = [FieldError(field, detail, value)]


class DisclosureInvalid(VerificationError):
    code = "disclosure-invalid"
    title = "The selective disclosure does not verify"


class SignatureInvalid(VerificationError):
    code = "signature-invalid"
    title = "The signature does not verify"


class IssuerNotAuthorised(VerificationError):
    code = "issuer-not-authorised"
    title = "The issuer or key was not authorised at that log position"


# ------------------------------------------------------------------ strict JSON


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _refuse_float(text: str) -> Any:
    raise ValueError(f"non-integer number {text}: decimals are sent as strings")


def _refuse_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def load_json_strict(
    data: bytes | str, *, error: type[OriginInputInvalid], floats: bool = False
) -> Any:
    """Parse JSON refusing duplicate keys, NaN/Infinity and (unless ``floats``) fractions.

    Python's ``json`` keeps the last of duplicated keys, so ``{"hs_code": "0101",
    "hs_code": "8471"}`` would mean different things to different parsers; we refuse it.
    Fractions, when allowed, become ``Decimal`` (never a binary float).
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_constant=_refuse_constant,
            parse_float=Decimal if floats else _refuse_float,
        )
    except _Duplicate as exc:
        raise error(f"duplicated key {exc.key!r}", field=exc.key) from exc
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8: {exc.reason} at byte {exc.start}") from exc
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise error(f"not valid JSON: {exc}") from exc


def field_errors(exc: ValidationError) -> list[FieldError]:
    """pydantic's errors as ``FieldError`` with paths like ``goods_items[2].hs_code``."""
    out = []
    for err in exc.errors(include_url=False):
        path = ""
        for part in err["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += ("." if path else "") + str(part)
        out.append(FieldError(path or "(root)", err["msg"], err.get("input")))
    return out


# ------------------------------------------------------------------- code lists


class CertificateType(enum.StrEnum):
    non_preferential = "non_preferential"
    preferential = "preferential"


class Agreement(enum.StrEnum):
    RCEP = "RCEP"
    EU_GSP = "EU_GSP"


class OriginCriterion(enum.StrEnum):
    WO = "WO"  # RCEP: wholly obtained or produced
    PE = "PE"  # RCEP: produced exclusively from originating materials
    CTC = "CTC"  # RCEP: change in tariff classification (product-specific rule)
    RVC = "RVC"  # RCEP: regional value content (product-specific rule)
    CR = "CR"  # RCEP: chemical reaction (product-specific rule)
    P = "P"  # GSP Form A: wholly obtained
    W = "W"  # GSP Form A: sufficiently worked or processed (with the HS heading)


CRITERIA_BY_AGREEMENT: dict[Agreement, frozenset[OriginCriterion]] = {
    Agreement.RCEP: frozenset(
        {
            OriginCriterion.WO,
            OriginCriterion.PE,
            OriginCriterion.CTC,
            OriginCriterion.RVC,
            OriginCriterion.CR,
        }
    ),
    Agreement.EU_GSP: frozenset({OriginCriterion.P, OriginCriterion.W}),
}

# UN/LOCODE: country code plus three letters or digits 2-9.
Locode = Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z2-9]{3}$", examples=["CNSHA"])]
TransportMode = Annotated[str, Field(pattern=r"^[0-9]$", description="UN/ECE Rec 19 code.")]


# ----------------------------------------------------------------------- shapes


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Party(_Shape):
    """Exporter, producer, consignee or issuing authority."""

    name: Text = Field(description="Name of the party.")
    address: Address | None = None
    country: CountryCode = Field(description="Country of the party's address.")
    identifier: Code | None = Field(
        None, description="Identification number: EORI, REX number, TIN or national id."
    )


class Transport(_Shape):
    """Means of transport and route, as far as known (Form A box 3, RCEP box 3)."""

    mode: TransportMode | None = Field(None, description="UN/ECE Rec 19: 1 sea, 3 road, 4 air.")
    means_identifier: Text | None = Field(None, description="Vessel IMO, flight, plate.")
    departure_date: dt.date | None = None
    port_of_loading: Locode | None = None
    port_of_discharge: Locode | None = None
    transit_countries: list[CountryCode] = Field(
        default_factory=list,
        max_length=20,
        description="Countries passed through (direct-transport rules).",
    )


class InvoiceReference(_Shape):
    number: Annotated[str, Field(min_length=1, max_length=35)] = Field(
        description="Commercial invoice number."
    )
    date: dt.date


class GoodsItem(_Shape):
    """One goods item of the certificate."""

    sequence: Annotated[int, Field(ge=1, le=999)] = Field(description="Item number 1, 2, 3 …")
    description: Text = Field(description="Description of goods, WCO ID 137.")
    hs_code: HSCode = Field(description="HS classification, WCO ID 145.", examples=["851762"])
    quantity: Quantity = Field(description="Quantity with its UN/ECE Rec 20 unit.")
    gross_mass_kg: PositiveDecimal | None = Field(None, description="Gross mass, WCO ID 131.")
    packages: Annotated[int, Field(ge=0, le=99_999_999)] | None = None
    marks_and_numbers: Text | None = None
    invoice: InvoiceReference | None = None
    origin_country: CountryCode = Field(description="Country of origin, WCO ID 063.")
    origin_criterion: OriginCriterion | None = Field(
        None, description="Origin criterion (preferential certificates only)."
    )


class Validity(_Shape):
    issue_date: dt.date
    valid_until: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Validity:
        if self.valid_until < self.issue_date:
            raise PydanticCustomError(
                "validity_order",
                "valid_until ({until}) is before issue_date ({issued})",
                {"until": str(self.valid_until), "issued": str(self.issue_date)},
            )
        return self


class Certificate(_Shape):
    """An electronic certificate of origin: what the issuer commits to and signs."""

    MAX_ITEMS: ClassVar[int] = 999

    number: Code = Field(description="Certificate number, unique per issuer.")
    certificate_type: CertificateType
    agreement: Agreement | None = Field(
        None, description="Preference agreement or scheme; none for non-preferential."
    )
    issuing_authority: Party
    exporter: Party
    producer: Party | None = None
    consignee: Party | None = None
    exporting_country: CountryCode
    importing_country: CountryCode
    transport: Transport | None = None
    goods_items: list[GoodsItem] = Field(min_length=1, max_length=999)
    validity: Validity
    remarks: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Certificate:
        problems: list[str] = []
        if self.exporting_country == self.importing_country:
            problems.append("importing_country must differ from exporting_country")
        for index, item in enumerate(self.goods_items):
            if item.sequence != index + 1:
                problems.append(
                    f"goods_items[{index}].sequence must be {index + 1}; got {item.sequence}"
                )
        if self.certificate_type is CertificateType.preferential:
            if self.agreement is None:
                problems.append("a preferential certificate names its agreement")
            else:
                allowed = CRITERIA_BY_AGREEMENT[self.agreement]
                for index, item in enumerate(self.goods_items):
                    if item.origin_criterion not in allowed:
                        problems.append(
                            f"goods_items[{index}].origin_criterion must be one of "
                            f"{', '.join(sorted(allowed))} under {self.agreement}; "
                            f"got {item.origin_criterion}"
                        )
        else:
            if self.agreement is not None:
                problems.append("a non-preferential certificate names no agreement")
            if any(item.origin_criterion is not None for item in self.goods_items):
                problems.append("a non-preferential certificate has no origin criteria")
        if problems:
            raise PydanticCustomError(
                "certificate_inconsistent", "{problems}", {"problems": "; ".join(problems)}
            )
        return self


def parse_certificate(data: bytes | str) -> Certificate:
    """A certificate from JSON: duplicated keys refused, every field error reported."""
    raw = load_json_strict(data, error=CertificateInvalid, floats=True)
    try:
        return Certificate.model_validate(raw)
    except ValidationError as exc:
        errors = field_errors(exc)
        raise CertificateInvalid(
            f"{len(errors)} field error(s): " + "; ".join(str(e) for e in errors[:5]),
            errors=errors,
        ) from exc
