"""What OFAC's legacy CSV hides in its Remarks column.

The CSV has no alias, nationality or identifier columns: ``sdn.csv`` carries them as
semicolon-separated phrases ("DOB 09 Feb 1951; nationality Egypt; Passport 92/664
(Egypt); a.k.a. 'ABU-'UMAR'."). Aliases are taken first, by their quotes (an alias may
hold an apostrophe or a semicolon, so a plain split would cut it); the rest is split on
semicolons and each phrase read by its leading label. Identifiers are read only after a
known label, or a label ending in "No.", "Number", "ID" or "Code": free text such as
"Gender Male" or "Target Type Government Entity" must not become an identifier.

OFAC cuts Remarks at 1,000 characters; an alias whose closing quote was cut off is left
out, since its end is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smartcustoms.screening._countries import country_code
from smartcustoms.screening.models import (
    Alias,
    AliasStrength,
    AliasType,
    Country,
    CountryRole,
    Identifier,
)

_ALIAS = re.compile(
    r"\b(?P<type>[afn])\.k\.a\.,?\s+(?P<weak>weak\s+)?'(?P<name>.*?)'(?=\s*(?:;|\.?\s*$))")
_ALIAS_TYPES = {"a": AliasType.aka, "f": AliasType.fka, "n": AliasType.nka}
_ALT = re.compile(r"^(?:alt\.|Alt\.)\s*")
_COUNTRY_IN_PARENS = re.compile(r"\s*\((?P<country>[^()]+)\)\s*")
_TRAILER = re.compile(r",?\s+(?:issued|expires|expired|Issue Date|Expiration Date)\b.*$")

# Labels seen in the 2021 and 2024 snapshots, longest first so that "Diplomatic
# Passport" wins over "Passport". The second group are labels the generic rule below
# would not recognise.
_KNOWN_LABELS = sorted((
    "Passport", "Diplomatic Passport", "National ID No.", "Registration ID",
    "Tax ID No.", "Cedula No.", "C.U.R.P.", "R.F.C.", "RFC", "Identification Number",
    "Business Registration Document #", "Company Number", "UK Company Number",
    "SWIFT/BIC", "MMSI", "Commercial Registry Number", "V.A.T. Number",
    "Trade License No.", "Unified Social Credit Code (USCC)",
    "United Social Credit Code Certificate (USCCC)", "Legal Entity Number", "C.R. No.",
    "Economic Register Number (CBLS)", "Government Gazette Number",
    "Folio Mercantil No.", "Matricula Mercantil No", "D.N.I.",
    "Chamber of Commerce Number", "D-U-N-S Number", "Central Registration System Number",
    "Birth Certificate Number", "Driver's License No.", "Electoral Registry No.",
    "BIK (RU)", "Enterprise Number", "Personal ID Card", "Italian Fiscal Code", "SSN",
    "US FEIN", "Residency Number", "Credencial electoral", "C.U.I.", "C.U.I.T.",
    "C.U.I.P.", "Public Security and Immigration No.", "Registered Charity No.",
    "Istanbul Chamber of Comm. No.", "Dubai Chamber of Commerce Membership No.",
    "Certificate of Incorporation Number", "Turkish Identification Number",
    "Numero de Identidad", "LE Number", "Kenyan ID No.", "Travel Document Number", "RTN",
    "Permit Number", "I.F.E.", "Citizen's Card Number", "Branch Unit Number",
    "Cartilla de Servicio Militar Nacional", "VisaNumberID", "License",
    "Aircraft Construction Number (also called L/N or S/N or F/N)",
    "Aircraft Manufacturer's Serial Number (MSN)", "Aircraft Tail Number",
    "Previous Aircraft Tail Number", "Aircraft Mode S Transponder Code",
    "Vessel Registration Identification", "IMO", "Chinese Commercial Code",
    "Digital Currency Address - [A-Z]{2,5}",
), key=len, reverse=True)
_LABELS = ("|".join(re.escape(label) if "[" not in label else label
                    for label in _KNOWN_LABELS)
           + r"|[A-Z][\w.'/&#()-]*(?: [\w.'/&#()-]+){0,5} (?:No\.?|Number|ID|Code|Card|#)")
_LABEL = re.compile(r"^(?P<label>" + _LABELS + r")\s+(?P<rest>\S.*)$")
_LABEL_ONLY = re.compile(r"(?:" + _LABELS + r"|[A-Z][\w.'/&#()-]*)$")
_NOT_IDENTIFIERS = ("Phone Number", "Telephone", "Fax", "Email", "Website", "Gender")


@dataclass(slots=True)
class RemarkFacts:
    aliases: list[Alias] = field(default_factory=list)
    countries: list[Country] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)


def parse_remarks(remarks: str | None) -> RemarkFacts:
    """Aliases, countries, identifiers and birth dates read out of a Remarks field."""
    facts = RemarkFacts()
    if not remarks:
        return facts
    for match in _ALIAS.finditer(remarks):
        name = match["name"].strip()
        if name:
            strength = AliasStrength.weak if match["weak"] else AliasStrength.strong
            facts.aliases.append(Alias(name, _ALIAS_TYPES[match["type"]], strength))
    rest = _ALIAS.sub("", remarks)
    for raw in rest.split(";"):
        phrase = _ALT.sub("", raw.strip()).rstrip(".").strip()
        if phrase:
            _read_phrase(phrase, facts)
    return facts


def _read_phrase(phrase: str, facts: RemarkFacts) -> None:
    lower = phrase.casefold()
    if lower.startswith("dob "):
        facts.birth_dates.append(phrase[4:].strip())
        return
    for prefix, role in (("nationality of registration ", CountryRole.registration),
                         ("nationality ", CountryRole.nationality),
                         ("citizen ", CountryRole.citizenship),
                         ("other vessel flag ", CountryRole.flag),
                         ("vessel flag ", CountryRole.flag)):
        if lower.startswith(prefix):
            name = phrase[len(prefix):].strip()
            facts.countries.append(Country(country_code(name), name, role))
            return
    if lower.startswith("pob "):
        place = phrase[4:].strip()
        name = place.rsplit(",", 1)[-1].strip()
        code = country_code(name)
        if code:
            facts.countries.append(Country(code, name, CountryRole.birth))
        return
    identifier = _read_identifier(phrase)
    if identifier is not None:
        facts.identifiers.append(identifier)


def _read_identifier(phrase: str) -> Identifier | None:
    if phrase.startswith(_NOT_IDENTIFIERS):
        return None
    match = _LABEL.match(phrase)
    if match is None:
        return None
    label, rest = match["label"], match["rest"]
    if label == "Vessel Registration Identification":
        # "Vessel Registration Identification IMO 7406784": the number is an IMO number.
        parts = rest.split(None, 1)
        if len(parts) == 2 and parts[0] == "IMO":
            label, rest = "IMO", parts[1]
    rest = _TRAILER.sub("", rest)
    country = None
    found = _COUNTRY_IN_PARENS.search(rest)
    if found is not None:
        country = country_code(found["country"])
        rest = rest[:found.start()] + rest[found.end():]
    value = rest.strip().rstrip(".,")
    if not value or (not any(ch.isdigit() for ch in value) and len(value) < 6):
        return None
    return Identifier(label, value, country)


def identifier_from_xml(label: str, value: str, country: str | None) -> Identifier | None:
    """An identifier from an XML id element (OFAC ``idList``), or None when its type is
    not one (OFAC's XML also files "Gender" and "Website" there)."""
    label, value = label.strip(), value.strip()
    if not value or label.startswith(_NOT_IDENTIFIERS) or not _LABEL_ONLY.match(label):
        return None
    if label == "Vessel Registration Identification" and value.startswith("IMO "):
        label, value = "IMO", value[4:].strip()
    return Identifier(label, value, country_code(country) if country else None)
