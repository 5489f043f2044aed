"""Label normalisation and matching: exact, compact, fuzzy, and the guards against
values passing for labels."""

from __future__ import annotations

import pytest

from smartcustoms.documents.extract.labels import Lexicon, match_label
from smartcustoms.documents.extract.layout import Segment, Word
from smartcustoms.documents.extract.lexicon import (
    COLUMNS,
    INVOICE_LABELS,
    LADING_LABELS,
    PACKING_LABELS,
    TITLES,
    label_key,
)

LEXICON = Lexicon(INVOICE_LABELS)


def segment(text: str) -> Segment:
    words, x = [], 40.0
    for part in text.split(" "):
        width = 5.0 * len(part)
        words.append(Word(part, x, x + width, 100, 109, 9, False, False, 1))
        x += width + 2.5
    return Segment(tuple(words), 0, 1)


@pytest.mark.parametrize(("text", "key"), [
    ("Facture n°:", "facture no"), ("Factura n.º", "factura no"), ("Rechnungs-Nr.", "rechnungs no"),
    ("Invoice #", "invoice no"), ("N° de facture", "no de facture"),
    ("Numéro de facture", "numero de facture"), ("B/L No.", "b l no"), ("Nbre colis", "nbre colis"),
])
def test_label_key_reads_number_signs_as_no(text, key):
    assert label_key(text) == key


@pytest.mark.parametrize(("text", "key", "value"), [
    ("Invoice No.: INV-1", "number", "INV-1"), ("Rechnungsnummer", "number", ""),
    ("Date: 2026-01-02", "date", "2026-01-02"), ("Sub-total", "subtotal", ""),
    ("Total Amount EUR", "total", "EUR"), ("Bill to:", "buyer", ""),
    ("Conditions de livraison : CIF Lyon", "terms", "CIF Lyon"),
    ("VAT No.: DE123", "party.id", "DE123"), ("Payment Terms: 30 days", "ignore", "30 days"),
])
def test_match_label_finds_the_longest_label_and_its_value(text, key, value):
    hit = match_label(segment(text), LEXICON)
    assert hit is not None and hit.key == key
    assert " ".join(w.text for w in hit.value_words) == value


def test_match_label_tolerates_one_typo_in_a_long_label():
    hit = match_label(segment("Invocie Number: 12"), LEXICON)
    assert hit is not None and hit.key == "number" and not hit.exact


@pytest.mark.parametrize("text", ["To the best of our knowledge", "A 12", "5 PACKAGES",
                                  "De Vries Trading B.V.", "Invocie 12"])
def test_match_label_guards_values_and_short_words(text):
    hit = match_label(segment(text), LEXICON)
    assert hit is None or hit.key not in ("buyer", "seller", "number")


def test_lexicon_tables_have_no_blank_phrases():
    for table in (INVOICE_LABELS, PACKING_LABELS, LADING_LABELS, COLUMNS, TITLES):
        assert all(phrase and phrase == phrase.strip() for phrase in table)
