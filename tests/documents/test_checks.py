"""Cross-checks of documents against the declaration.

Strategy: a small hand-built shipment (two goods items, one container) whose declaration
and documents agree, changed one field at a time, pins each check, its tolerance edges and
its severity; the corpus generator's cases (ground truth, and a few read from their PDFs)
show the checks silent on clean pairs and firing on every kind of injected inconsistency;
hypothesis perturbs generated cases to show ``cross_check`` never raises.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from smartcustoms.declarations.models import DeclarationCreate
from smartcustoms.documents.checks import (
    CHECKS,
    INCOTERM_COSTS,
    ContainerCheck,
    Finding,
    Severity,
    Tolerance,
    compare_party_names,
    container_check_digit_ok,
    cross_check,
)
from smartcustoms.documents.generate import GeneratedCase, InconsistencyKind, generate_case
from smartcustoms.documents.models import (
    BillOfLading,
    CommercialInvoice,
    DocumentReading,
    Evidence,
    PackingList,
    ReadProblem,
)

# --- a small shipment that agrees with itself ---------------------------------------------------
CONTAINER = "CSQU3054383"  # the ISO 6346 example: check digit 3
OTHER_CONTAINER = "MSCU1234566"


def _declaration_data() -> dict[str, Any]:
    return {
        "reference": "LRN-1", "declaration_date": "2025-03-10", "office": "DE004800",
        "parties": [
            {"role": "declarant", "identifier": "DE146172109990", "name": "Elbe Technik AG"},
            {"role": "importer", "identifier": "DE639028352",
             "name": "Acme Trading Company Limited"},
            {"role": "seller", "name": "Shenzhen Sunrise Electronics Co., Ltd."},
        ],
        "items": [
            {"sequence": 1, "description": "Wireless network router, dual band",
             "hs_code": "85176200", "origin_country": "CN", "net_mass_kg": "35.00",
             "gross_mass_kg": "40.00", "quantity": {"value": "100", "unit": "H87"},
             "price": {"amount": "1800.00", "currency": "USD"}, "packages": 5},
            {"sequence": 2, "description": "Power adapter 65 W, USB-C",
             "hs_code": "85044000", "origin_country": "CN", "net_mass_kg": "22.00",
             "gross_mass_kg": "25.00", "quantity": {"value": "100", "unit": "H87"},
             "price": {"amount": "900.00", "currency": "USD"}, "packages": 3},
        ],
        "trade_terms": {"incoterm": "FOB", "place": "Shenzhen"},
        "containers": [CONTAINER],
        "documents": [
            {"type_code": "380", "reference": "INV-1", "issue_date": "2025-02-20"},
            {"type_code": "271", "reference": "PL-1", "issue_date": "2025-02-20"},
            {"type_code": "705", "reference": "BL-1", "issue_date": "2025-02-25"},
        ],
        "invoice_total": {"amount": "2700.00", "currency": "USD"},
        "total_gross_mass_kg": "65.00", "total_packages": 8,
        "national": {f"seals.{CONTAINER}": "SL-123456"},
    }


def _invoice_data() -> dict[str, Any]:
    usd = "USD"
    return {
        "number": "INV-1", "date": "2025-02-20",
        "seller": {"name": "SHENZHEN SUNRISE ELECTRONICS CO LTD", "country": "CN"},
        "buyer": {"name": "ACME TRADING CO., LTD.", "country": "DE",
                  "identifier": "DE639028352"},
        "currency": usd, "trade_terms": {"incoterm": "FOB", "place": "Shenzhen"},
        "lines": [
            {"description": "Wireless network router, dual band",
             "quantity": {"value": "100", "unit": "H87"},
             "unit_price": {"amount": "18.00", "currency": usd},
             "amount": {"amount": "1800.00", "currency": usd}},
            {"description": "Power adapter 65 W, USB-C",
             "quantity": {"value": "100", "unit": "H87"},
             "unit_price": {"amount": "9.00", "currency": usd},
             "amount": {"amount": "900.00", "currency": usd}},
        ],
        "total": {"amount": "2700.00", "currency": usd},
    }


def _packing_data() -> dict[str, Any]:
    return {
        "number": "PL-1", "date": "2025-02-20",
        "shipper": {"name": "Shenzhen Sunrise Electronics Co., Ltd."},
        "consignee": {"name": "Acme Trading Co. Ltd"},
        "lines": [
            {"description": "Wireless network router, dual band",
             "quantity": {"value": "100", "unit": "H87"}, "packages": 5,
             "net_mass_kg": "35.00", "gross_mass_kg": "40.00"},
            {"description": "Power adapter 65 W, USB-C",
             "quantity": {"value": "100", "unit": "H87"}, "packages": 3,
             "net_mass_kg": "22.00", "gross_mass_kg": "25.00"},
        ],
        "total_packages": 8, "total_net_mass_kg": "57.00", "total_gross_mass_kg": "65.00",
        "containers": [CONTAINER],
    }


def _lading_data() -> dict[str, Any]:
    return {
        "number": "BL-1", "date": "2025-02-25",
        "shipper": {"name": "Shenzhen Sunrise Electronics Co., Ltd."},
        "consignee": {"name": "ACME TRADING COMPANY LIMITED"},
        "containers": [{"number": CONTAINER, "seals": ["SL-123456"]}],
        "packages": 8, "gross_mass_kg": "65.00",
    }


def _apply(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` keyed by dotted paths ('items.0.price.amount'); None deletes the key."""
    out = copy.deepcopy(data)
    for path, value in changes.items():
        *parents, last = path.split(".")
        target: Any = out
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key: Any = int(last) if isinstance(target, list) else last
        if value is None and isinstance(target, dict):
            target.pop(key, None)
        else:
            target[key] = value
    return out


def declaration(**changes: Any) -> DeclarationCreate:
    return DeclarationCreate.model_validate(_apply(_declaration_data(), _dotted(changes)))


def invoice(**changes: Any) -> CommercialInvoice:
    return CommercialInvoice.model_validate(_apply(_invoice_data(), _dotted(changes)))


def packing(**changes: Any) -> PackingList:
    return PackingList.model_validate(_apply(_packing_data(), _dotted(changes)))


def lading(**changes: Any) -> BillOfLading:
    return BillOfLading.model_validate(_apply(_lading_data(), _dotted(changes)))


def _dotted(changes: dict[str, Any]) -> dict[str, Any]:
    return {key.replace("__", "."): value for key, value in changes.items()}


def check(decl: DeclarationCreate | None = None, *documents: Any, **options: Any
          ) -> list[Finding]:
    documents = documents or (invoice(), packing(), lading())
    return cross_check(decl or declaration(), documents, **options)


def serious(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity.at_least(Severity.low)]


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in serious(findings)}


def one(findings: list[Finding], code: str) -> Finding:
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, [(f.code, f.message) for f in findings]
    return found[0]


# --- the clean pair ---------------------------------------------------------------------------
class TestCleanPair:
    def test_a_consistent_shipment_gives_no_finding_above_info(self) -> None:
        findings = check()
        assert serious(findings) == []
        # FOB with no freight declared: worth saying, not a disagreement.
        assert [f.code for f in findings] == ["declaration-field-missing"]
        assert findings[0].declared is not None and findings[0].declared.path == "freight"

    @pytest.mark.parametrize("seed", range(12))
    def test_generated_clean_cases_are_silent_on_their_ground_truth(self, seed: int) -> None:
        case = generate_case(500 + seed)
        assert serious(cross_check(case.declaration, [d.truth for d in case.documents])) == []

    def test_a_generated_clean_case_read_from_its_pdfs_is_silent(self) -> None:
        from smartcustoms.documents import read_document

        case = generate_case(512, line_count=6)
        readings = [read_document(d.pdf) for d in case.documents]
        assert serious(cross_check(case.declaration, readings)) == []

    def test_a_finding_is_json_and_round_trips(self) -> None:
        finding = serious(check(declaration(total_packages=9)))[0]
        data = json.loads(finding.model_dump_json())
        assert data["code"] == "packages-mismatch" and data["severity"] == "medium"
        assert Finding.model_validate(data) == finding

    def test_findings_come_most_severe_first(self) -> None:
        findings = check(declaration(total_packages=9, declaration_date="2025-02-01",
                                     documents=[]))
        ranks = [f.severity.rank for f in findings]
        assert ranks == sorted(ranks, reverse=True)
        assert findings[0].code == "invoice-after-declaration"

    def test_an_empty_set_of_checks_is_refused(self) -> None:
        with pytest.raises(ValueError, match="at least one check"):
            check(checks=())

    def test_every_check_names_its_codes(self) -> None:
        assert {c.name for c in CHECKS} == {
            "invoice-value", "goods-lines", "shipment-totals", "parties", "incoterm",
            "dates", "containers", "classification"}
        assert all(c.codes for c in CHECKS)


# --- money ------------------------------------------------------------------------------------
class TestMoney:
    def test_a_lower_declared_total_is_high_with_both_sides(self) -> None:
        findings = check(declaration(invoice_total={"amount": "2000.00", "currency": "USD"}))
        found = one(findings, "invoice-total-mismatch")
        assert found.severity is Severity.high
        assert found.declared is not None and found.declared.path == "invoice_total"
        assert found.declared.value == "2000.00 USD"
        assert found.document is not None and found.document.path == "total"
        assert found.document.document_number == "INV-1"
        assert found.tolerance is not None and "0.5 %" in found.tolerance
        assert "700.00 USD below" in found.message

    def test_a_higher_declared_total_is_medium(self) -> None:
        found = one(check(declaration(invoice_total={"amount": "3000.00", "currency": "USD"})),
                    "invoice-total-mismatch")
        assert found.severity is Severity.medium

    @pytest.mark.parametrize(("amount", "fires"), [
        # 2 lines x 0.01 + 0.5 % of 2700.00 = 13.52
        ("2713.52", False), ("2713.53", True), ("2686.48", False), ("2686.47", True)])
    def test_the_total_tolerance_is_a_cent_per_line_plus_half_a_percent(
            self, amount: str, fires: bool) -> None:
        decl = declaration(invoice_total={"amount": amount, "currency": "USD"})
        assert ("invoice-total-mismatch" in codes(check(decl))) is fires

    @pytest.mark.parametrize(("amount", "fires"), [("1809.01", False), ("1809.02", True)])
    def test_an_item_price_may_differ_by_a_cent_plus_half_a_percent(
            self, amount: str, fires: bool) -> None:
        decl = declaration(items__0__price={"amount": amount, "currency": "USD"},
                           invoice_total=None)
        assert ("item-price-mismatch" in codes(check(decl))) is fires

    def test_item_prices_net_of_an_invoice_discount_agree(self) -> None:
        # 5 % discount: 1800 -> 1710, 900 -> 855; the invoice total is 2565.
        doc = invoice(subtotal={"amount": "2700.00", "currency": "USD"},
                      discount={"amount": "135.00", "currency": "USD"},
                      total={"amount": "2565.00", "currency": "USD"})
        decl = declaration(items__0__price={"amount": "1710.00", "currency": "USD"},
                           items__1__price={"amount": "855.00", "currency": "USD"},
                           invoice_total={"amount": "2565.00", "currency": "USD"})
        assert serious(check(decl, doc, packing(), lading())) == []

    def test_the_goods_value_is_the_total_less_invoiced_freight_and_insurance(self) -> None:
        doc = invoice(trade_terms={"incoterm": "CIF", "place": "Hamburg"},
                      subtotal={"amount": "2700.00", "currency": "USD"},
                      freight={"amount": "650.00", "currency": "USD"},
                      insurance={"amount": "18.00", "currency": "USD"},
                      total={"amount": "3368.00", "currency": "USD"})
        decl = declaration(trade_terms={"incoterm": "CIF", "place": "Hamburg"},
                           freight={"amount": "650.00", "currency": "USD"},
                           insurance={"amount": "18.00", "currency": "USD"})
        assert serious(check(decl, doc, packing(), lading())) == []
        # The grand total declared as the invoice total is an observation, not a mismatch.
        grand = declaration(trade_terms={"incoterm": "CIF", "place": "Hamburg"},
                            freight={"amount": "650.00", "currency": "USD"},
                            insurance={"amount": "18.00", "currency": "USD"},
                            invoice_total={"amount": "3368.00", "currency": "USD"})
        found = check(grand, doc, packing(), lading())
        assert one(found, "invoice-total-includes-charges").severity is Severity.info

    def test_two_invoices_are_compared_by_their_sum(self) -> None:
        first = invoice(lines=_invoice_data()["lines"][:1],
                        total={"amount": "1800.00", "currency": "USD"})
        second = invoice(number="INV-2", lines=_invoice_data()["lines"][1:],
                         total={"amount": "900.00", "currency": "USD"})
        decl = declaration(documents=[
            {"type_code": "380", "reference": "INV-1"}, {"type_code": "380", "reference": "INV-2"}])
        assert serious(check(decl, first, second, packing(), lading())) == []


class TestCurrency:
    def _in_eur(self, rate: str | None, total: str = "2430.00") -> DeclarationCreate:
        return declaration(
            invoice_total={"amount": total, "currency": "EUR"}, exchange_rate=rate,
            items__0__price={"amount": "1620.00", "currency": "EUR"},
            items__1__price={"amount": "810.00", "currency": "EUR"})

    def test_another_currency_without_a_rate_is_high_and_stops_money_comparisons(self) -> None:
        findings = check(self._in_eur(None))
        assert codes(findings) == {"currency-mismatch"}
        found = one(findings, "currency-mismatch")
        assert found.severity is Severity.high
        assert found.declared is not None and found.declared.value == "EUR"
        assert found.document is not None and found.document.value == "USD"

    def test_amounts_agree_at_the_declared_rate(self) -> None:
        findings = check(self._in_eur("0.9"))
        assert serious(findings) == []
        assert "1 USD = 0.9 EUR" in one(findings, "currency-converted").message

    def test_a_wrong_amount_is_found_after_conversion(self) -> None:
        found = one(check(self._in_eur("0.9", total="2000.00")), "invoice-total-mismatch")
        assert "converted at the declared rate 1 USD = 0.9 EUR" in found.message
        assert found.details["documented_in_declared_currency"] == "2430.000"

    def test_a_rate_that_does_not_explain_the_amounts_is_a_mismatch(self) -> None:
        assert "invoice-total-mismatch" in codes(check(self._in_eur("1.1")))


# --- goods lines and totals --------------------------------------------------------------------
class TestGoodsLines:
    def test_a_changed_quantity_is_found_on_the_invoice_and_the_packing_list(self) -> None:
        findings = check(declaration(items__1__quantity={"value": "80", "unit": "H87"}))
        found = [f for f in findings if f.code == "quantity-mismatch"]
        assert {f.document.document_type.value for f in found if f.document} == {
            "commercial_invoice", "packing_list"}
        assert all(f.declared and f.declared.path == "items[1].quantity" for f in found)
        assert all(f.tolerance == "exact (counted unit)" for f in found)

    def test_another_unit_is_a_quantity_mismatch(self) -> None:
        found = one(check(declaration(items__0__quantity={"value": "100", "unit": "SET"}),
                          invoice(), lading()), "quantity-mismatch")
        assert "another unit" in found.message

    @pytest.mark.parametrize(("value", "fires"), [("102", False), ("102.01", True)])
    def test_a_measured_quantity_may_differ_by_two_percent(self, value: str,
                                                           fires: bool) -> None:
        doc = invoice(lines__0__quantity={"value": "100", "unit": "KGM"})
        decl = declaration(items__0__quantity={"value": value, "unit": "KGM"})
        assert ("quantity-mismatch" in codes(check(decl, doc))) is fires

    @pytest.mark.parametrize(("net", "fires"), [
        ("35.70", False), ("35.71", True),  # 2 % of 35 kg is 0.70 kg
        ("34.30", False), ("34.29", True)])
    def test_a_mass_may_differ_by_two_percent(self, net: str, fires: bool) -> None:
        decl = declaration(items__0__net_mass_kg=net)
        assert ("net-mass-mismatch" in codes(check(decl, packing()))) is fires

    @pytest.mark.parametrize(("gross", "fires"), [("10.50", False), ("10.51", True),
                                                   ("9.50", False), ("9.49", True)])
    def test_a_small_mass_may_differ_by_half_a_kilogram(self, gross: str, fires: bool) -> None:
        # 2 % of 10 kg is 0.2 kg: for light lines the 0.5 kg floor applies.
        light = packing(lines__1__net_mass_kg="9.00", lines__1__gross_mass_kg="10.00")
        decl = declaration(items__1__net_mass_kg="9.00", items__1__gross_mass_kg=gross,
                           total_gross_mass_kg=None)
        line = [f for f in check(decl, light) if f.code == "gross-mass-mismatch"
                and f.declared and f.declared.path == "items[1].gross_mass_kg"]
        assert bool(line) is fires

    def test_packages_must_agree_exactly(self) -> None:
        findings = check(declaration(items__0__packages=6, total_packages=9))
        found = [f for f in findings if f.code == "packages-mismatch"]
        assert {(f.declared.path, f.document.path) for f in found  # type: ignore[union-attr]
                } == {("items[0].packages", "lines[0].packages"),
                      ("total_packages", "total_packages"), ("total_packages", "packages")}
        assert all(f.tolerance == "exact" for f in found)

    def test_lines_are_paired_by_printed_hs_code_whatever_their_order(self) -> None:
        lines = _invoice_data()["lines"]
        lines[0]["hs_code"], lines[1]["hs_code"] = "851762", "850440"
        doc = invoice(lines=[lines[1], lines[0]])
        assert serious(check(declaration(), doc, packing(), lading())) == []

    def test_lines_are_paired_by_description_whatever_their_order(self) -> None:
        lines = _invoice_data()["lines"]
        doc = invoice(lines=[lines[1], lines[0]])
        assert serious(check(declaration(), doc, packing(), lading())) == []

    def test_an_extra_line_is_unmatched_and_the_others_stay_paired(self) -> None:
        lines = _invoice_data()["lines"]
        extra = {"description": "Samples, no commercial value",
                 "quantity": {"value": "2", "unit": "H87"},
                 "amount": {"amount": "0.00", "currency": "USD"}}
        # In another language, so only the order can pair them.
        lines[0]["description"], lines[1]["description"] = "WLAN-Router", "Netzteil 65 W"
        doc = invoice(lines=[lines[0], extra, lines[1]])
        findings = check(declaration(), doc)
        assert codes(findings) == {"line-unmatched"}
        assert one(findings, "line-unmatched").document.path == "lines[1]"  # type: ignore[union-attr]

    def test_an_item_without_a_line_is_unmatched(self) -> None:
        doc = invoice(lines=_invoice_data()["lines"][:1],
                      total={"amount": "1800.00", "currency": "USD"})
        found = one(check(declaration(invoice_total=None), doc), "item-unmatched")
        assert found.declared is not None and found.declared.path == "items[1]"

    @pytest.mark.parametrize(("printed", "severity"), [
        ("851769", Severity.low), ("851310", Severity.medium), ("940171", Severity.high)])
    def test_a_printed_hs_code_rates_by_how_far_it_is(self, printed: str,
                                                       severity: Severity) -> None:
        doc = invoice(lines__0__hs_code=printed)
        found = one(check(declaration(), doc), "hs-code-mismatch")
        assert found.severity is severity
        assert found.declared is not None and found.declared.path == "items[0].hs_code"

    def test_a_printed_origin_must_agree(self) -> None:
        found = one(check(declaration(), invoice(lines__1__origin_country="VN")),
                    "origin-mismatch")
        assert found.declared is not None and found.declared.value == "CN"

    def test_the_packing_list_totals_are_checked_against_the_declared_items(self) -> None:
        findings = check(declaration(), invoice(), packing(total_net_mass_kg="70.00"))
        found = one(findings, "net-mass-mismatch")
        assert found.declared is not None and found.declared.path == "items[*].net_mass_kg"
        assert found.declared.value == "57.00"

    def test_a_value_the_reader_missed_is_info_never_a_mismatch(self) -> None:
        lines = _invoice_data()["lines"]
        for line in lines:
            del line["amount"]
        reading = DocumentReading(document=invoice(total=None, lines=lines), page_count=1,
                                  missing=["total", "lines[0].amount", "lines[1].amount"])
        findings = check(declaration(invoice_total={"amount": "1.00", "currency": "USD"},
                                     items__0__price=None, items__1__price=None),
                         reading)
        found = one(findings, "document-field-missing")
        assert found.severity is Severity.info
        assert found.document is not None and found.document.path == "total"
        assert "invoice-total-mismatch" not in codes(findings)
        # A value the document does not print at all is no finding.
        quiet = check(declaration(invoice_total={"amount": "1.00", "currency": "USD"},
                                  items__0__price=None, items__1__price=None),
                      invoice(total=None))
        assert "document-field-missing" not in {f.code for f in quiet}


# --- parties ------------------------------------------------------------------------------------
class TestParties:
    @pytest.mark.parametrize(("left", "right"), [
        ("ACME TRADING CO., LTD.", "Acme Trading Company Limited"),
        ("Nordwerk Handels GmbH", "NORDWERK HANDELS GMBH"),
        ("Coromandel Forge Works Pvt. Ltd.", "Coromandel Forge Works Private Limited"),
        ("Levante Comercial S.L.", "LEVANTE COMERCIAL SL"),
        ("Rhône Import SAS", "Rhone Import S.A.S."),
        ("Acme Trading", "Acme Trading Ltd"),  # one side without a legal form
    ])
    def test_legal_form_variants_are_the_same_party(self, left: str, right: str) -> None:
        assert compare_party_names(left, right).same

    @pytest.mark.parametrize(("left", "right"), [
        ("Acme Tradings", "Apex Trading"),
        ("Maas Trading B.V.", "Delta Trading B.V."),
        ("Nordwerk Handels AG", "Nordwerk Handels GmbH"),
        ("Hanbit Tech Industrial Co., Ltd.", "Hanbit Tech Industrial Corp."),
        ("Nordwerk Handels GmbH", "Nordwerk Handels GmbH & Co. KG"),
    ])
    def test_other_names_or_legal_forms_are_another_party(self, left: str, right: str) -> None:
        match = compare_party_names(left, right)
        assert not match.same and match.reason

    def test_another_importer_is_high_unless_the_identifier_agrees(self) -> None:
        decl = declaration(parties__1__name="Apex Trading GmbH")
        findings = check(decl, invoice(), packing(), lading())
        by_document = {f.document.document_type.value: f  # type: ignore[union-attr]
                       for f in findings if f.code == "party-mismatch"}
        # The invoice prints the importer's identifier: same id, other name.
        assert by_document["commercial_invoice"].severity is Severity.medium
        assert "identifiers agree" in by_document["commercial_invoice"].message
        assert by_document["bill_of_lading"].severity is Severity.high
        assert by_document["bill_of_lading"].declared.path == "parties[1].name"  # type: ignore[union-attr]
        assert by_document["bill_of_lading"].document.path == "consignee.name"  # type: ignore[union-attr]

    def test_a_bill_to_order_names_no_consignee(self) -> None:
        assert serious(check(declaration(), lading(consignee={"name": "TO ORDER"}))) == []


# --- Incoterms, freight and insurance -----------------------------------------------------------
class TestIncoterms:
    def test_the_table_says_what_the_price_includes(self) -> None:
        carriage = {rule for rule, costs in INCOTERM_COSTS.items() if costs.main_carriage}
        insured = {rule for rule, costs in INCOTERM_COSTS.items() if costs.insurance}
        assert carriage == {"CFR", "CPT", "CIF", "CIP", "DAP", "DPU", "DDP"}
        assert insured == {"CIF", "CIP", "DAP", "DPU", "DDP"}
        assert set(INCOTERM_COSTS) == {"EXW", "FCA", "FAS", "FOB", "CFR", "CPT", "CIF", "CIP",
                                       "DAP", "DPU", "DDP"}

    def test_declared_cif_over_a_fob_invoice_needs_freight_declared(self) -> None:
        findings = check(declaration(trade_terms={"incoterm": "CIF", "place": "Hamburg"}),
                         invoice())
        assert one(findings, "incoterm-mismatch").severity is Severity.high
        freight = one(findings, "freight-inconsistent-with-incoterm")
        assert freight.severity is Severity.high
        assert freight.declared is not None and freight.declared.path == "freight"
        assert one(findings, "insurance-inconsistent-with-incoterm").severity is Severity.medium

    def test_invoiced_freight_left_out_of_the_declaration_is_high(self) -> None:
        doc = invoice(trade_terms={"incoterm": "CFR", "place": "Hamburg"},
                      freight={"amount": "650.00", "currency": "USD"},
                      total={"amount": "3350.00", "currency": "USD"})
        findings = check(declaration(trade_terms={"incoterm": "FOB", "place": "Shenzhen"}), doc)
        assert one(findings, "freight-mismatch").severity is Severity.high
        assert one(findings, "incoterm-mismatch").severity is Severity.high

    def test_declared_freight_must_match_the_invoice(self) -> None:
        doc = invoice(trade_terms={"incoterm": "CFR", "place": "Hamburg"},
                      freight={"amount": "650.00", "currency": "USD"},
                      total={"amount": "3350.00", "currency": "USD"})
        decl = declaration(trade_terms={"incoterm": "CFR", "place": "Hamburg"},
                           freight={"amount": "500.00", "currency": "USD"})
        assert one(check(decl, doc), "freight-mismatch").severity is Severity.high
        same = declaration(trade_terms={"incoterm": "CFR", "place": "Hamburg"},
                           freight={"amount": "650.00", "currency": "USD"})
        assert serious(check(same, doc)) == []

    def test_fob_with_freight_zero_needs_a_freight_invoice(self) -> None:
        zero = {"amount": "0", "currency": "USD"}
        found = one(check(declaration(freight=zero)), "freight-inconsistent-with-incoterm")
        assert found.severity is Severity.medium
        documents = [*_declaration_data()["documents"],
                     {"type_code": "780", "reference": "FRT-9"}]
        assert serious(check(declaration(freight=zero, documents=documents))) == []

    def test_terms_that_include_the_same_costs_differ_only_a_little(self) -> None:
        found = one(check(declaration(trade_terms={"incoterm": "FCA", "place": "Shenzhen"})),
                    "incoterm-mismatch")
        assert found.severity is Severity.low


# --- dates and references ------------------------------------------------------------------------
class TestDates:
    def test_an_invoice_after_the_declaration_is_high(self) -> None:
        findings = check(declaration(declaration_date="2025-02-19", documents=[]))
        found = one(findings, "invoice-after-declaration")
        assert found.severity is Severity.high and found.details["days"] == 1
        assert found.declared is not None and found.declared.path == "declaration_date"
        later = [f for f in findings if f.code == "document-after-declaration"]
        assert {f.document.path for f in later} == {"date"}  # type: ignore[union-attr]
        assert all(f.severity is Severity.medium for f in later)
        assert serious(check(declaration(declaration_date="2025-02-25"))) == []

    def test_a_declared_reference_must_name_the_document(self) -> None:
        findings = check(declaration(documents__0__reference="INV-9"))
        found = one(findings, "document-reference-mismatch")
        assert found.declared is not None and found.declared.path == "documents[0].reference"
        assert found.document is not None and found.document.value == "INV-1"

    def test_a_declared_issue_date_must_match(self) -> None:
        found = one(check(declaration(documents__0__issue_date="2025-02-21")),
                    "document-date-mismatch")
        assert found.severity is Severity.low


# --- containers and seals -------------------------------------------------------------------------
class TestContainers:
    @pytest.mark.parametrize(("number", "ok"), [
        ("CSQU3054383", True), ("CSQU3054384", False), ("MSCU1234566", True),
        ("MSCU 123456 6", True), ("MSCU123456", False), ("1234567890A", False)])
    def test_the_iso_6346_check_digit(self, number: str, ok: bool) -> None:
        assert container_check_digit_ok(number) is ok

    def test_a_mistyped_container_is_one_finding_per_document_with_both_numbers(
            self) -> None:
        typo = "CSQU3054399"  # one digit off, its own check digit right
        decl = declaration(containers=[typo], national={})
        found = [f for f in check(decl) if f.code == "container-mismatch"]
        assert len(found) == 2
        assert all(f.severity is Severity.high and f.declared.value == typo  # type: ignore[union-attr]
                   and f.document.value == CONTAINER for f in found)  # type: ignore[union-attr]
        assert {f.document.path for f in found} == {  # type: ignore[union-attr]
            "containers[0].number", "containers[0]"}

    def test_unrelated_containers_are_reported_on_each_side(self) -> None:
        decl = declaration(containers=[OTHER_CONTAINER], national={})
        found = [f for f in check(decl, lading()) if f.code == "container-mismatch"]
        assert sorted(f.message.split(" ")[0] + " " + f.message.split(" ")[1]
                      for f in found) == ["Container CSQU3054383", "Declared container"]

    def test_a_check_digit_failure_on_the_document_is_reported_with_its_evidence(
            self) -> None:
        evidence = Evidence(page=1, bbox=(10, 20, 90, 30), method="pdf-text", confidence=0.9,
                            text="CSQU3054384")
        reading = DocumentReading(
            document=lading(containers=[]), page_count=1, problems=[ReadProblem(
                field="containers", message="container number CSQU3054384 has a wrong ISO "
                "6346 check digit", text="CSQU3054384", evidence=evidence)])
        findings = check(declaration(), reading)
        found = one(findings, "container-check-digit")
        assert found.severity is Severity.medium
        assert found.document is not None and found.document.evidence == evidence

    def test_a_declared_number_failing_its_check_digit_is_high(self) -> None:
        decl = declaration().model_copy(update={"containers": ["CSQU3054384"]})
        findings = cross_check(decl, [lading()], checks=[ContainerCheck()])
        assert one(findings, "container-check-digit").severity is Severity.high

    def test_declared_seals_must_be_the_bill_of_ladings(self) -> None:
        decl = declaration(national={f"seals.{CONTAINER}": "SL-999999"})
        found = one(check(decl), "seal-mismatch")
        assert found.declared is not None and found.declared.path == f"national[seals.{CONTAINER}]"
        assert found.document is not None and found.document.path == "containers[0].seals"
        # Case, spaces and dashes do not matter; no declared seals: nothing to compare.
        assert serious(check(declaration(national={f"seals.{CONTAINER}": "sl123456"}))) == []
        assert serious(check(declaration(national={}))) == []

    def test_a_seal_printed_twice_is_low(self) -> None:
        doc = lading(containers=[{"number": CONTAINER, "seals": ["SL-123456"]},
                                 {"number": OTHER_CONTAINER, "seals": ["SL-123456"]}])
        decl = declaration(containers=[CONTAINER, OTHER_CONTAINER])
        assert one(check(decl, doc), "seal-duplicate").severity is Severity.low


# --- HS code against the description -------------------------------------------------------
class _Verdict:
    def __init__(self, verdict: str, probability: float, chapter: float,
                 better: list[str]) -> None:
        self.verdict, self.probability, self.chapter_probability = verdict, probability, chapter
        self.reason = f"the description points to {better[0] if better else '?'}"
        self.better = [type("Suggestion", (), {"hs6": code})() for code in better]


class FakeClassifier:
    """Misfit for every code in ``misfits``; records what it was asked."""

    def __init__(self, misfits: dict[str, float]) -> None:
        self.misfits, self.asked = misfits, []  # type: list[tuple[str, str]]

    def verify_many(self, pairs: Any) -> list[_Verdict]:
        self.asked += list(pairs)
        return [_Verdict("misfit", 0.001, self.misfits[code], ["940171"])
                if code in self.misfits else _Verdict("fits", 0.8, 0.9, [])
                for _text, code in pairs]


class TestClassification:
    def test_a_misfit_pointing_to_another_chapter_is_medium_with_the_better_code(
            self) -> None:
        classifier = FakeClassifier({"85044000": 0.001})
        found = one(check(classifier=classifier), "hs-description-misfit")
        assert found.severity is Severity.medium
        assert found.details["better"] == "940171" and found.details["probability"] == 0.001
        assert found.declared is not None and found.declared.path == "items[1].hs_code"
        assert found.document is not None and found.document.path == "lines[1].description"
        assert classifier.asked == [("Wireless network router, dual band", "85176200"),
                                    ("Power adapter 65 W, USB-C", "85044000")]

    def test_a_misfit_within_a_likely_chapter_is_info(self) -> None:
        found = one(check(classifier=FakeClassifier({"85044000": 0.2})),
                    "hs-description-misfit")
        assert found.severity is Severity.info

    def test_without_a_classifier_the_check_is_silent(self) -> None:
        assert "hs-description-misfit" not in {f.code for f in check()}

    def test_the_invoice_description_stands_in_for_a_missing_declared_one(self) -> None:
        classifier = FakeClassifier({})
        check(declaration(items__0__description=None), classifier=classifier)
        assert classifier.asked[0] == ("Wireless network router, dual band", "85176200")

    def test_the_tolerance_sets_the_chapter_threshold(self) -> None:
        loose = Tolerance(hs_chapter_probability=0.5)
        found = one(check(classifier=FakeClassifier({"85044000": 0.2}), tolerance=loose),
                    "hs-description-misfit")
        assert found.severity is Severity.medium


# --- the generator's inconsistencies --------------------------------------------------------
EXPECTED = {
    InconsistencyKind.total_changed: "invoice-total-mismatch",
    InconsistencyKind.currency_changed: "currency-mismatch",
    InconsistencyKind.quantity_changed: "quantity-mismatch",
    InconsistencyKind.net_mass_changed: "net-mass-mismatch",
    InconsistencyKind.gross_mass_changed: "gross-mass-mismatch",
    InconsistencyKind.package_count_changed: "packages-mismatch",
    InconsistencyKind.party_name_changed: "party-mismatch",
    InconsistencyKind.incoterm_freight_inconsistent: "incoterm-mismatch",
    InconsistencyKind.invoice_date_after_declaration: "invoice-after-declaration",
    InconsistencyKind.container_number_typo: "container-mismatch",
    InconsistencyKind.seal_mismatch: "seal-mismatch",
    InconsistencyKind.hs_code_unrelated_chapter: "hs-code-mismatch",
}


def _case_for(kind: InconsistencyKind, start: int) -> GeneratedCase:
    """A case with ``kind`` injected; for the HS kind one whose invoice prints HS codes (the
    only way to see it without a classifier)."""
    for seed in range(start, start + 40):
        case = generate_case(seed, inconsistencies=[kind])
        if kind is not InconsistencyKind.hs_code_unrelated_chapter or (
                "hs" in case.document("commercial_invoice").style.options):
            return case
    raise AssertionError(f"no case for {kind} in 40 seeds")


class TestGeneratedInconsistencies:
    @pytest.mark.parametrize("kind", list(InconsistencyKind), ids=lambda k: k.value)
    def test_each_injected_kind_is_found_on_the_changed_field(
            self, kind: InconsistencyKind) -> None:
        case = _case_for(kind, 900 + 50 * list(InconsistencyKind).index(kind))
        injected = case.inconsistencies[0]
        findings = cross_check(case.declaration, [d.truth for d in case.documents])
        expected = [f for f in serious(findings) if f.code == EXPECTED[kind]]
        assert expected, [(f.code, f.message) for f in findings]
        assert any(f.declared and any(p.startswith(f.declared.path) or f.declared.path ==
                                      p.split("[")[0] for p in injected.declaration_paths)
                   for f in expected), (injected, expected)

    def test_a_finding_on_a_read_pdf_points_at_the_page_and_box(self) -> None:
        from smartcustoms.documents import read_document

        case = generate_case(42, line_count=3,
                             inconsistencies=[InconsistencyKind.quantity_changed])
        readings = [read_document(d.pdf) for d in case.documents]
        found = [f for f in cross_check(case.declaration, readings)
                 if f.code == "quantity-mismatch"]
        assert found
        for finding in found:
            assert finding.document is not None and finding.document.evidence is not None
            assert finding.document.evidence.page == 1
            assert finding.document.evidence.text
            assert Finding.model_validate_json(finding.model_dump_json()) == finding


# --- never raises --------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _base_cases() -> tuple[GeneratedCase, ...]:
    return tuple(generate_case(seed) for seed in (3, 14, 15))


_DECIMAL_FIELDS = ("net_mass_kg", "gross_mass_kg")


@st.composite
def _perturbed(draw: st.DrawFn) -> tuple[DeclarationCreate, list[Any]]:
    case = draw(st.sampled_from(_base_cases()))
    decl = case.declaration.model_dump(mode="json")
    documents = [d.truth.model_dump(mode="json") for d in case.documents]
    for key in ("freight", "insurance", "invoice_total", "trade_terms", "total_packages",
                "total_gross_mass_kg", "containers", "documents", "national"):
        if draw(st.booleans()) and draw(st.integers(0, 3)) == 0:
            decl.pop(key, None)
    if draw(st.booleans()):
        decl["exchange_rate"] = str(draw(st.decimals("0.01", "200", places=4)))
    if draw(st.booleans()):
        currency = draw(st.sampled_from(["EUR", "USD", "GBP", "JPY"]))
        for money in [decl.get("invoice_total")] + [i.get("price") for i in decl["items"]]:
            if money:
                money["currency"] = currency
    items = decl["items"]
    if len(items) > 1 and draw(st.booleans()):
        del items[draw(st.integers(0, len(items) - 1))]
        for number, item in enumerate(items, start=1):
            item["sequence"] = number
    for item in items:
        factor = draw(st.sampled_from(["1", "1", "0.5", "1.02", "3"]))
        for field in _DECIMAL_FIELDS:
            if item.get(field) is not None:
                item[field] = str(Decimal(item[field]) * Decimal(factor))
        if draw(st.integers(0, 4)) == 0:
            for field in ("quantity", "price", "packages", "description", "origin_country"):
                item[field] = None
    decl["declaration_date"] = (dt.date(2025, 1, 1) + dt.timedelta(
        days=draw(st.integers(0, 800)))).isoformat()
    for document in documents:
        lines = document.get("lines")
        if lines and draw(st.booleans()):
            lines[:] = draw(st.permutations(lines))[:draw(st.integers(0, len(lines)))]
        for key in ("total", "currency", "trade_terms", "date", "number", "buyer",
                    "consignee", "containers", "total_gross_mass_kg", "gross_mass_kg",
                    "freight"):
            if key in document and draw(st.integers(0, 5)) == 0:
                document[key] = [] if key == "containers" else None
    documents = draw(st.lists(st.sampled_from(documents), max_size=4))
    try:
        declaration = DeclarationCreate.model_validate(decl)
        shapes = {"commercial_invoice": CommercialInvoice, "packing_list": PackingList,
                  "bill_of_lading": BillOfLading}
        parsed = [shapes[d["document_type"]].model_validate(d) for d in documents]
    except ValidationError:
        assume(False)
        raise
    return declaration, parsed


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_perturbed(), st.booleans())
def test_cross_check_never_raises_on_perturbed_valid_models(
        pair: tuple[DeclarationCreate, list[Any]], with_classifier: bool) -> None:
    decl, documents = pair
    classifier = FakeClassifier({item.hs_code: 0.001 for item in decl.items[:1]})
    findings = cross_check(decl, documents, classifier=classifier if with_classifier else None)
    for finding in findings:
        assert Finding.model_validate_json(finding.model_dump_json()) == finding
    assert [f.severity.rank for f in findings] == sorted(
        (f.severity.rank for f in findings), reverse=True)
