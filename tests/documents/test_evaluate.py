"""Field comparison used by the benchmark and the tests."""

from __future__ import annotations

from decimal import Decimal

from smartcustoms.declarations.models import Money, Quantity
from smartcustoms.documents.evaluate import accuracy, compare_documents, field_name, same_value
from smartcustoms.documents.models import CommercialInvoice, DocumentParty


def test_same_value_normalises_text_and_compares_numbers_as_decimals():
    assert same_value("Société Générale S.A.", "SOCIETE GENERALE S A")
    assert same_value(Money(amount=Decimal("10"), currency="EUR"),
                      Money(amount=Decimal("10.00"), currency="EUR"))
    assert not same_value(Money(amount=Decimal("10"), currency="EUR"),
                          Money(amount=Decimal("10"), currency="USD"))
    assert same_value(Quantity(value=Decimal("2.50"), unit="KGM"),
                      Quantity(value=Decimal("2.5"), unit="KGM"))
    assert same_value(3, Decimal("3.0"))
    assert not same_value(None, "x") and same_value(None, None)


def test_compare_documents_counts_missed_and_spurious_fields():
    truth = CommercialInvoice(number="1", seller=DocumentParty(name="A"))
    read = CommercialInvoice(number="1", buyer=DocumentParty(name="B"))
    outcomes = {o.path: o for o in compare_documents(truth, read)}
    assert outcomes["number"].correct
    assert outcomes["seller.name"].missed
    assert outcomes["buyer.name"].spurious
    assert accuracy(outcomes.values()) == 1 / 3


def test_field_name_pools_list_items():
    assert field_name("lines[12].amount") == "lines[].amount"
    assert field_name("containers[0].seals[1]") == "containers[].seals[]"
