"""Cross-field validation: pure functions from a parsed declaration to errors.

The shapes in ``models.py`` check each value alone; these rules check values
against each other, against the profile and against reference data. All
errors are collected so a trader sees every problem in one answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

from smartcustoms.declarations.models import DeclarationCreate, PartyRole, Profile
from smartcustoms.errors import FieldError

# EU H7 threshold (Regulation 2015/2446 Art. 143a): intrinsic value up to EUR 150.
LOW_VALUE_THRESHOLD_EUR = Decimal("150")
# Rounding slack when header totals are compared with the sum of the items.
AMOUNT_TOLERANCE = Decimal("0.01")
MASS_TOLERANCE_KG = Decimal("0.001")
EARLIEST_DATE = dt.date(1988, 1, 1)  # the HS came into force
# Enum members as module constants: attribute access on an Enum class is slow in a hot loop.
_DECLARANT, _IMPORTER, _CONSIGNEE = PartyRole.declarant, PartyRole.importer, PartyRole.consignee
_FULL, _LOW_VALUE = Profile.full, Profile.low_value

_REQUIRED_ITEM_FIELDS = {
    Profile.full: ("description", "origin_country", "net_mass_kg", "gross_mass_kg", "price"),
    Profile.low_value: ("description", "price"),
}
_REQUIRED_HEADER_FIELDS = {
    Profile.full: ("trade_terms", "transport", "invoice_total"),
    Profile.low_value: ("invoice_total",),
}


def check_declaration(
    decl: DeclarationCreate,
    *,
    today: dt.date,
    absent: Collection[str] = (),
) -> list[FieldError]:
    """Every cross-field error of ``decl``; empty when it passes.

    ``absent`` names fields the source system does not carry (from an import
    mapping, e.g. ``items.description``); they are exempt from the profile's
    required fields, and recorded as absent rather than invented.
    """
    errors: list[FieldError] = []
    errors += _check_parties(decl)
    errors += _check_required(decl, absent)
    errors += _check_items(decl)
    errors += _check_totals(decl)
    errors += _check_dates(decl, today)
    return errors


def _check_parties(decl: DeclarationCreate) -> list[FieldError]:
    errors: list[FieldError] = []
    counts: dict[PartyRole, int] = {}
    for party in decl.parties:
        counts[party.role] = counts.get(party.role, 0) + 1
    for index, party in enumerate(decl.parties):
        if counts[party.role] > 1:
            errors.append(FieldError(
                f"parties[{index}].role", "each role may appear once per declaration",
                party.role.value,
            ))
        if party.identifier is None and party.name is None:
            errors.append(FieldError(
                f"parties[{index}]", "a party needs an identifier or a name", party.role.value
            ))
    declarant = next((p for p in decl.parties if p.role is _DECLARANT), None)
    if declarant is None:
        errors.append(FieldError("parties", "a declarant party is required", None))
    elif declarant.identifier is None:
        errors.append(FieldError(
            "parties[role=declarant].identifier",
            "the declarant must be identified (the LRN is unique per declarant)", None,
        ))
    if decl.profile is _FULL:
        if _IMPORTER not in counts:
            errors.append(FieldError("parties", "profile 'full' requires an importer", None))
    elif _IMPORTER not in counts and _CONSIGNEE not in counts:
        errors.append(FieldError(
            "parties", "profile 'low_value' requires an importer or a consignee", None
        ))
    return errors


def _check_required(decl: DeclarationCreate, absent: Collection[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    for name in _REQUIRED_HEADER_FIELDS[decl.profile]:
        if getattr(decl, name) is None and name not in absent:
            errors.append(FieldError(name, f"required in profile '{decl.profile.value}'", None))
    for name in _REQUIRED_ITEM_FIELDS[decl.profile]:
        if f"items.{name}" in absent:
            continue
        for index, item in enumerate(decl.items):
            if getattr(item, name) is None:
                errors.append(FieldError(
                    f"items[{index}].{name}", f"required in profile '{decl.profile.value}'", None
                ))
    return errors


def _check_items(decl: DeclarationCreate) -> list[FieldError]:
    # HS code existence and gross >= net are checked by GoodsItem itself.
    return [
        FieldError(f"items[{index}].sequence",
                   f"items must be numbered 1, 2, 3 … in order; expected {index + 1}",
                   item.sequence)
        for index, item in enumerate(decl.items)
        if item.sequence != index + 1
    ]


def _check_totals(decl: DeclarationCreate) -> list[FieldError]:
    errors: list[FieldError] = []
    prices = [item.price for item in decl.items]
    if decl.invoice_total is not None and all(p is not None for p in prices):
        currencies = {p.currency for p in prices if p is not None}
        if currencies != {decl.invoice_total.currency}:
            errors.append(FieldError(
                "invoice_total.currency",
                f"items are priced in {', '.join(sorted(currencies))}; the total must be in "
                "the same single currency", decl.invoice_total.currency,
            ))
        else:
            total = sum((p.amount for p in prices if p is not None), Decimal(0))
            if abs(total - decl.invoice_total.amount) > AMOUNT_TOLERANCE * len(prices):
                errors.append(FieldError(
                    "invoice_total.amount",
                    f"must equal the sum of the item prices, {total}",
                    str(decl.invoice_total.amount),
                ))
            if (
                decl.profile is _LOW_VALUE
                and decl.invoice_total.currency == "EUR"
                and decl.invoice_total.amount > LOW_VALUE_THRESHOLD_EUR
            ):
                errors.append(FieldError(
                    "invoice_total.amount",
                    f"profile 'low_value' allows at most EUR {LOW_VALUE_THRESHOLD_EUR}; "
                    "use profile 'full'", str(decl.invoice_total.amount),
                ))
    gross = [item.gross_mass_kg for item in decl.items]
    if decl.total_gross_mass_kg is not None and all(g is not None for g in gross):
        total_mass = sum((g for g in gross if g is not None), Decimal(0))
        if abs(total_mass - decl.total_gross_mass_kg) > MASS_TOLERANCE_KG * len(gross):
            errors.append(FieldError(
                "total_gross_mass_kg", f"must equal the sum of the items' gross mass, {total_mass}",
                str(decl.total_gross_mass_kg),
            ))
    packages = [item.packages for item in decl.items]
    if decl.total_packages is not None and all(p is not None for p in packages):
        total_packages = sum(p for p in packages if p is not None)
        if total_packages != decl.total_packages:
            errors.append(FieldError(
                "total_packages", f"must equal the sum of the items' packages, {total_packages}",
                decl.total_packages,
            ))
    return errors


def _check_dates(decl: DeclarationCreate, today: dt.date) -> list[FieldError]:
    errors: list[FieldError] = []
    # One day of slack: a trader east of UTC may lodge on "tomorrow" in UTC terms.
    if decl.declaration_date > today + dt.timedelta(days=1):
        errors.append(FieldError(
            "declaration_date", f"must not be in the future (today is {today.isoformat()})",
            decl.declaration_date.isoformat(),
        ))
    if decl.declaration_date < EARLIEST_DATE:
        errors.append(FieldError(
            "declaration_date", f"must be on or after {EARLIEST_DATE.isoformat()}",
            decl.declaration_date.isoformat(),
        ))
    documents = [(f"documents[{i}]", d) for i, d in enumerate(decl.documents)]
    for index, item in enumerate(decl.items):
        documents += [(f"items[{index}].documents[{j}]", d) for j, d in enumerate(item.documents)]
    for path, doc in documents:
        if doc.issue_date is not None and doc.issue_date > decl.declaration_date:
            errors.append(FieldError(
                f"{path}.issue_date",
                f"a supporting document cannot be issued after the declaration date "
                f"({decl.declaration_date.isoformat()})", doc.issue_date.isoformat(),
            ))
    return errors
