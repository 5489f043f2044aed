"""The declaration a broker would lodge for a shipment, and labelled inconsistencies.

``build_declaration`` turns a shipment into a ``DeclarationCreate`` that passes the
declaration's validators (``parse_declaration``): one goods item per invoice line, item
prices net of any discount so they add up to ``invoice_total`` (the goods value; freight
and insurance are declared apart), masses and packages from the packing list, containers
from the bill of lading. The model has no seal element yet (WCO ID 165), so seal numbers
travel as ``national['seals.<container>']``.

``inject`` changes the declaration so it disagrees with the documents in one labelled way,
keeping it valid on its own: sums still add up, gross mass stays at least the net mass,
container numbers keep a correct check digit. Each ``Inconsistency`` names the declaration
paths changed and the document paths that state the true value
(``commercial_invoice.total``, ``bill_of_lading.containers[0].seals``).
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smartcustoms.declarations.models import DeclarationCreate
from smartcustoms.declarations.types import iso6346_check_digit
from smartcustoms.documents.generate.catalog import PRODUCTS
from smartcustoms.documents.generate.content import CENT, Shipment
from smartcustoms.reference import load_hs2022


class InconsistencyKind(enum.StrEnum):
    total_changed = "total_changed"
    currency_changed = "currency_changed"
    quantity_changed = "quantity_changed"
    net_mass_changed = "net_mass_changed"
    gross_mass_changed = "gross_mass_changed"
    package_count_changed = "package_count_changed"
    party_name_changed = "party_name_changed"
    incoterm_freight_inconsistent = "incoterm_freight_inconsistent"
    invoice_date_after_declaration = "invoice_date_after_declaration"
    container_number_typo = "container_number_typo"
    seal_mismatch = "seal_mismatch"
    hs_code_unrelated_chapter = "hs_code_unrelated_chapter"


class Inconsistency(BaseModel):
    """One injected difference between the declaration and the documents."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: InconsistencyKind
    declaration_paths: list[str] = Field(min_length=1)
    document_paths: list[str] = Field(
        min_length=1, description="'<document type>.<field path>' stating the true value."
    )
    declared: str = Field(description="The value now declared, as text.")
    documented: str = Field(description="The value the documents state, as text.")


def seal_key(container: str) -> str:
    return f"seals.{container}"


def build_declaration(shipment: Shipment) -> DeclarationCreate:
    currency = shipment.currency
    prices = _net_prices(shipment)
    seller, buyer = shipment.seller, shipment.buyer

    def address(company: Any) -> dict[str, str]:
        place = company.place
        return {"street": place.street, "city": place.city, "postcode": place.postcode,
                "country": place.country}

    data: dict[str, Any] = {
        "reference": shipment.reference, "profile": "full", "type_code": "IM",
        "declaration_date": shipment.declaration_date.isoformat(), "office": shipment.office,
        "dispatch_country": seller.place.country,
        "parties": [
            {"role": "declarant", "identifier": shipment.declarant.tax_id,
             "name": shipment.declarant.name, "address": address(shipment.declarant)},
            {"role": "importer", "identifier": buyer.tax_id, "name": buyer.name,
             "address": address(buyer)},
            {"role": "exporter", "name": seller.name, "address": address(seller)},
            {"role": "seller", "name": seller.name, "address": address(seller)},
            {"role": "buyer", "identifier": buyer.tax_id, "name": buyer.name,
             "address": address(buyer)},
        ],
        "items": [
            {"sequence": index, "description": line.product.names[0], "hs_edition": "HS2022",
             "hs_code": line.product.hs6 + "00", "origin_country": line.origin,
             "net_mass_kg": str(line.net_kg), "gross_mass_kg": str(line.gross_kg),
             "quantity": {"value": str(line.quantity), "unit": line.product.unit},
             "price": {"amount": str(price), "currency": currency},
             "packages": line.packages}
            for index, (line, price) in enumerate(zip(shipment.lines, prices, strict=True),
                                                  start=1)
        ],
        "trade_terms": {"incoterm": shipment.incoterm, "place": shipment.incoterm_place},
        "transport": {"mode_at_border": "1", "means_identifier": shipment.vessel},
        "containers": [number for number, _seals in shipment.containers],
        "documents": [
            {"type_code": "380", "reference": shipment.invoice_number,
             "issue_date": shipment.invoice_date.isoformat()},
            {"type_code": "271", "reference": shipment.packing_number,
             "issue_date": shipment.packing_date.isoformat()},
            {"type_code": "705", "reference": shipment.bl_number,
             "issue_date": shipment.bl_date.isoformat()},
        ],
        "invoice_total": {"amount": str(sum(prices, Decimal(0))), "currency": currency},
        "total_gross_mass_kg": str(shipment.total_gross_kg),
        "total_packages": shipment.total_packages,
        "national": {seal_key(number): " ".join(seals)
                     for number, seals in shipment.containers},
    }
    if shipment.freight is not None:
        data["freight"] = {"amount": str(shipment.freight), "currency": currency}
    if shipment.insurance is not None:
        data["insurance"] = {"amount": str(shipment.insurance), "currency": currency}
    return DeclarationCreate.model_validate(data)


def _net_prices(shipment: Shipment) -> list[Decimal]:
    """Line amounts less their share of the discount; they sum to subtotal - discount."""
    amounts = [line.amount for line in shipment.lines]
    if not shipment.discount:
        return amounts
    shares = [(a * shipment.discount / shipment.subtotal).quantize(CENT, ROUND_HALF_UP)
              for a in amounts]
    shares[-1] += shipment.discount - sum(shares, Decimal(0))
    return [a - s for a, s in zip(amounts, shares, strict=True)]


def _set(data: dict[str, Any], path: list[Any], value: Any) -> None:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def inject(
    declaration: DeclarationCreate,
    shipment: Shipment,
    kind: InconsistencyKind,
    rng: random.Random,
) -> tuple[DeclarationCreate, Inconsistency]:
    """``declaration`` changed in one ``kind`` of way; raises ValueError if it cannot be
    (e.g. a seal mismatch without seals)."""
    data = declaration.model_dump(mode="json")
    items = data["items"]
    index = rng.randrange(len(items))
    handler = _INJECTORS[kind]
    declared_paths, document_paths, declared, documented = handler(data, shipment, index, rng)
    changed = DeclarationCreate.model_validate(data)
    return changed, Inconsistency(kind=kind, declaration_paths=declared_paths,
                                  document_paths=document_paths, declared=declared,
                                  documented=documented)


_Result = tuple[list[str], list[str], str, str]


def _total(data: dict[str, Any], shipment: Shipment, index: int, rng: random.Random) -> _Result:
    factor = Decimal(rng.choice(("0.55", "0.6", "0.7", "0.75", "0.8", "0.85", "1.25")))
    paths = []
    for i, item in enumerate(data["items"]):
        amount = (Decimal(item["price"]["amount"]) * factor).quantize(CENT, ROUND_HALF_UP)
        item["price"]["amount"] = str(max(amount, CENT))
        paths.append(f"items[{i}].price.amount")
    total = sum((Decimal(item["price"]["amount"]) for item in data["items"]), Decimal(0))
    before = data["invoice_total"]["amount"]
    data["invoice_total"]["amount"] = str(total)
    lines = [f"commercial_invoice.lines[{i}].amount" for i in range(len(data["items"]))]
    return (["invoice_total.amount", *paths], ["commercial_invoice.total", *lines],
            str(total), before)


def _currency(data: dict[str, Any], shipment: Shipment, index: int,
              rng: random.Random) -> _Result:
    other = rng.choice([c for c in ("USD", "EUR", "GBP", "CNY", "CHF") if c != shipment.currency])
    paths = ["invoice_total.currency"]
    data["invoice_total"]["currency"] = other
    for i, item in enumerate(data["items"]):
        item["price"]["currency"] = other
        paths.append(f"items[{i}].price.currency")
    for key in ("freight", "insurance"):
        if data.get(key):
            data[key]["currency"] = other
            paths.append(f"{key}.currency")
    return paths, ["commercial_invoice.currency"], other, shipment.currency


def _quantity(data: dict[str, Any], shipment: Shipment, index: int,
              rng: random.Random) -> _Result:
    item = data["items"][index]
    before = Decimal(item["quantity"]["value"])
    factor = Decimal(rng.choice(("0.5", "0.8", "1.5", "2")))
    after = (before * factor).quantize(Decimal("1") if before == before.to_integral_value()
                                       else Decimal("0.1"), ROUND_HALF_UP)
    if after == before:
        after = before + 1
    item["quantity"]["value"] = str(after)
    return ([f"items[{index}].quantity.value"],
            [f"commercial_invoice.lines[{index}].quantity",
             f"packing_list.lines[{index}].quantity"], str(after), str(before))


def _net_mass(data: dict[str, Any], shipment: Shipment, index: int,
              rng: random.Random) -> _Result:
    item = data["items"][index]
    before = Decimal(item["net_mass_kg"])
    after = (before * Decimal(rng.choice(("0.5", "0.6", "0.75", "0.85")))).quantize(CENT)
    item["net_mass_kg"] = str(max(after, CENT))
    return ([f"items[{index}].net_mass_kg"], [f"packing_list.lines[{index}].net_mass_kg"],
            item["net_mass_kg"], str(before))


def _gross_mass(data: dict[str, Any], shipment: Shipment, index: int,
                rng: random.Random) -> _Result:
    item = data["items"][index]
    before, net = Decimal(item["gross_mass_kg"]), Decimal(item["net_mass_kg"])
    lowered = (before * Decimal("0.8")).quantize(CENT)
    after = lowered if lowered >= net and rng.random() < 0.5 else (
        before * Decimal(rng.choice(("1.2", "1.3", "1.5")))).quantize(CENT)
    item["gross_mass_kg"] = str(after)
    total = Decimal(data["total_gross_mass_kg"]) - before + after
    data["total_gross_mass_kg"] = str(total)
    return ([f"items[{index}].gross_mass_kg", "total_gross_mass_kg"],
            [f"packing_list.lines[{index}].gross_mass_kg", "packing_list.total_gross_mass_kg",
             "bill_of_lading.gross_mass_kg"], str(after), str(before))


def _packages(data: dict[str, Any], shipment: Shipment, index: int,
              rng: random.Random) -> _Result:
    item = data["items"][index]
    before = item["packages"]
    after = before + rng.choice((-1, 1, 2, 5, 10)) if before > 1 else before + rng.choice((1, 3))
    item["packages"] = after
    data["total_packages"] += after - before
    return ([f"items[{index}].packages", "total_packages"],
            ["packing_list.total_packages", "bill_of_lading.packages",
             f"packing_list.lines[{index}].packages"],
            str(data["total_packages"]), str(shipment.total_packages))


def _party(data: dict[str, Any], shipment: Shipment, index: int,
           rng: random.Random) -> _Result:
    from smartcustoms.documents.generate.catalog import company_name

    country = shipment.buyer.place.country
    other = shipment.buyer.name
    while other == shipment.buyer.name:
        other = company_name(country, rng.choice)
    paths = []
    for i, party in enumerate(data["parties"]):
        if party["role"] in ("importer", "buyer"):
            party["name"] = other
            paths.append(f"parties[{i}].name")
    return (paths, ["commercial_invoice.buyer.name", "packing_list.consignee.name",
                    "bill_of_lading.consignee.name"], other, shipment.buyer.name)


def _incoterm(data: dict[str, Any], shipment: Shipment, index: int,
              rng: random.Random) -> _Result:
    before = shipment.incoterm
    if shipment.freight is not None:
        after = rng.choice(("EXW", "FCA", "FOB"))
        data.pop("freight", None)
        data.pop("insurance", None)
        paths = ["trade_terms.incoterm", "freight"]
        if shipment.insurance is not None:
            paths.append("insurance")
        documents = ["commercial_invoice.trade_terms.incoterm", "commercial_invoice.freight"]
    else:
        after = rng.choice(("CFR", "CIF", "CPT", "CIP"))
        paths = ["trade_terms.incoterm", "freight"]
        documents = ["commercial_invoice.trade_terms.incoterm", "commercial_invoice.total"]
    data["trade_terms"]["incoterm"] = after
    return paths, documents, after, before


def _date(data: dict[str, Any], shipment: Shipment, index: int, rng: random.Random) -> _Result:
    after = shipment.invoice_date - dt.timedelta(days=rng.randrange(3, 30))
    data["declaration_date"] = after.isoformat()
    # Lodged "before" the invoice: the broker gave no issue dates (else the declaration's
    # own rules would reject it), so only the documents show the contradiction.
    for document in data["documents"]:
        document["issue_date"] = None
    return (["declaration_date"], ["commercial_invoice.date"], after.isoformat(),
            shipment.invoice_date.isoformat())


def _container(data: dict[str, Any], shipment: Shipment, index: int,
               rng: random.Random) -> _Result:
    which = rng.randrange(len(data["containers"]))
    before = data["containers"][which]
    after = before
    while after == before:
        digits = list(before[4:10])
        position = rng.randrange(6)
        digits[position] = str((int(digits[position]) + rng.randrange(1, 10)) % 10)
        first_ten = before[:4] + "".join(digits)
        after = first_ten + str(iso6346_check_digit(first_ten))
    data["containers"][which] = after
    data["national"][seal_key(after)] = data["national"].pop(seal_key(before))
    return ([f"containers[{which}]", f"national[{seal_key(after)}]"],
            [f"bill_of_lading.containers[{which}].number",
             f"packing_list.containers[{which}]"], after, before)


def _seal(data: dict[str, Any], shipment: Shipment, index: int, rng: random.Random) -> _Result:
    which = rng.randrange(len(shipment.containers))
    number = data["containers"][which]
    before = data["national"][seal_key(number)]
    after = before
    while after == before:
        after = str(rng.randrange(10**6, 10**7))
    data["national"][seal_key(number)] = after
    return ([f"national[{seal_key(number)}]"],
            [f"bill_of_lading.containers[{which}].seals"], after, before)


def _hs(data: dict[str, Any], shipment: Shipment, index: int, rng: random.Random) -> _Result:
    item = data["items"][index]
    before = item["hs_code"]
    nomenclature = load_hs2022()

    def section(code: str) -> str | None:
        chapter = nomenclature.get(code[:2])
        return chapter.section if chapter is not None else None

    others = sorted({p.hs6 for p in PRODUCTS if section(p.hs6) != section(before)})
    after = rng.choice(others) + "00"
    item["hs_code"] = after
    return ([f"items[{index}].hs_code"],
            [f"commercial_invoice.lines[{index}].hs_code",
             f"commercial_invoice.lines[{index}].description"], after, before)


_INJECTORS = {
    InconsistencyKind.total_changed: _total,
    InconsistencyKind.currency_changed: _currency,
    InconsistencyKind.quantity_changed: _quantity,
    InconsistencyKind.net_mass_changed: _net_mass,
    InconsistencyKind.gross_mass_changed: _gross_mass,
    InconsistencyKind.package_count_changed: _packages,
    InconsistencyKind.party_name_changed: _party,
    InconsistencyKind.incoterm_freight_inconsistent: _incoterm,
    InconsistencyKind.invoice_date_after_declaration: _date,
    InconsistencyKind.container_number_typo: _container,
    InconsistencyKind.seal_mismatch: _seal,
    InconsistencyKind.hs_code_unrelated_chapter: _hs,
}
