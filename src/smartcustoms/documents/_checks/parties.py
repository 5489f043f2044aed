"""Are two printed party names the same party?

Both names go through the screening module's organisation normalisation
(``smartcustoms.screening.normalise.normalise_name``: OpenSanctions' ``rigour`` for
transliteration, case folding and legal forms, plus "Co.", "Company", "Corp." standing
alone), so "ACME TRADING CO., LTD." and "Acme Trading Company Limited" both read
``acme trading`` with the legal form ``ltd``. Two names are the same party when

* the names without their legal forms are at least ``threshold`` alike (rapidfuzz
  token-sort ratio, 0-100), and
* their legal forms do not contradict: when both print one, the canonical forms must be
  the same set ("GmbH" is not "AG", "Co., Ltd." is not "Corp."); one side without a legal
  form contradicts nothing.

"Acme Tradings" and "Apex Trading" share a word but not the name (similarity about 80).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rigour.names import extract_org_types

# Legal-form words rigour leaves alone, as canonical keys; None: no legal form by itself
# ("Co." in "Trading Co.", "Private" in "Private Limited").
_WORDS = {"co": None, "company": None, "cia": None, "cie": None, "compania": None,
          "companhia": None, "compagnie": None, "pvt": None, "private": None,
          "corp": "corp", "corporation": "corp", "ltd": "ltd", "limited": "ltd",
          "inc": "inc", "llc": "llc", "sl": "sl", "slu": "sl", "anonim": None}
# rigour's compare forms that name the same legal form.
_ALIASES = {"coltd": "ltd", "pvtltd": "ltd", "ltdsti": "ltd"}
# Trailing words that are legal forms rigour does not take off the name.
_TRAILING = frozenset({"sl", "slu", "pvt", "private"})
_TO_ORDER = ("to order", "to the order")


@dataclass(frozen=True, slots=True)
class PartyName:
    """A party name as compared: the name without legal forms, and the legal forms."""

    original: str
    name: str
    legal_forms: frozenset[str]


@dataclass(frozen=True, slots=True)
class PartyNameMatch:
    same: bool
    similarity: float
    left: PartyName
    right: PartyName
    reason: str


@lru_cache(maxsize=4096)
def party_name(text: str) -> PartyName:
    # Imported on first use: the screening package loads its database layer with it.
    from smartcustoms.screening.normalise import NameKind, normalise_name

    normalised = normalise_name(text, NameKind.organisation)
    tokens = list(normalised.tokens)
    forms: set[str] = set()
    while len(tokens) > 1 and tokens[-1] in _TRAILING:
        key = _WORDS.get(tokens.pop())
        if key is not None:
            forms.add(key)
    for form in normalised.legal_forms:
        found = extract_org_types(form)
        if found:
            forms.update(_ALIASES.get(compare, compare) for _text, compare in found)
        else:
            key = _WORDS.get(form)
            if key is not None:
                forms.add(key)
    return PartyName(text, " ".join(tokens), frozenset(forms))


def is_to_order(text: str) -> bool:
    """'TO ORDER', 'To the order of the shipper': a negotiable bill names no consignee."""
    return party_name(text).name.startswith(_TO_ORDER) or " ".join(
        text.casefold().split()).startswith(_TO_ORDER)


def compare_party_names(left: str, right: str, *, threshold: float = 90.0) -> PartyNameMatch:
    """Whether ``left`` and ``right`` name the same party, with the similarity and why."""
    a, b = party_name(left), party_name(right)
    similarity = round(float(fuzz.token_sort_ratio(a.name, b.name)), 1)
    if similarity < threshold:
        return PartyNameMatch(False, similarity, a, b,
                              f"the names differ (similarity {similarity:.0f} of 100, "
                              f"{threshold:.0f} needed)")
    if a.legal_forms and b.legal_forms and a.legal_forms != b.legal_forms:
        return PartyNameMatch(False, similarity, a, b,
                              f"same name but another legal form ("
                              f"{'/'.join(sorted(a.legal_forms))} vs "
                              f"{'/'.join(sorted(b.legal_forms))})")
    return PartyNameMatch(True, similarity, a, b, "same party")
