"""Name normalisation for screening: the same steps on both sides of every comparison.

The heavy lifting is OpenSanctions' ``rigour`` (and its ``normality``), which matching
engines such as yente and nomenklatura use: transliteration of any script to ASCII
(``ascii_text``: Cyrillic, Greek, Arabic, Han ...), casefolding and tokenising
(``normalize(..., CASEFOLD | NAME)``), legal forms (``extract_org_types`` /
``remove_org_types``: "Limited Liability Company", "OOO", "GmbH", "S.A. de C.V."),
honorifics (``remove_person_prefixes``: "Mr", "Dr", "His Excellency"), vessel prefixes
(``remove_obj_prefixes``: "M/V") and stop-words. What this module adds:

- three forms, one per kind of name: a person keeps every token (in "Kim Jong Un" the
  stop-word "un" is a name); an organisation loses its legal forms, its leading article
  and its stop-words; an object (vessel, aircraft) also loses "M/V"-style prefixes.
- legal-form words rigour leaves alone on their own ("Co.", "Company", "Corporation")
  are set aside too, so "Etco International Co" meets "ETCO INTERNATIONAL COMPANY,
  LIMITED". They are never dropped when nothing else would be left.
- letters standing alone in a row are one abbreviation ("S A DE C V" is "S.A. de
  C.V."), "joint stock" is a legal form wherever it stands, and a short legal form that
  is the first word is kept as the name ("SAD IMPORT EXPORT COMPANY") unless it is one
  written first by custom ("OOO", "JSC").
- Arabic ``Abd``-compounds are written one way ("Abd al-Rahman", "Abdel Rahman",
  "Abdul Rahman" -> "abdul rahman"): the article is part of the compound.
- ``spelling_key`` and ``token_key``: transliteration-tolerant keys per token (the
  letter groups transliteration systems disagree on made one; in ``token_key`` vowel
  runs folded too), which the matcher uses to see Mohammed / Muhammad / Mohamad,
  Hizballah / Hezbollah or Ivanov / Ivanow as one token.

Normalising a normalised name changes nothing (tested). Legal forms and dropped words
are kept on the result, for the explanation of a hit.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

from rigour.names import (
    extract_org_types,
    remove_obj_prefixes,
    remove_org_prefixes,
    remove_org_types,
    remove_person_prefixes,
)
from rigour.text import ascii_text
from rigour.text.normalize import Normalize, normalize
from rigour.text.stopwords import is_stopword

from smartcustoms.screening.models import EntryKind

_FOLD = Normalize.CASEFOLD | Normalize.NAME
# Legal-form words rigour recognises only inside longer forms ("co ltd", "joint stock
# company"); standing alone they still name the legal form, not the business.
EXTRA_LEGAL_WORDS = frozenset({
    "co", "company", "corp", "corporation", "cia", "compania", "companhia", "cie",
    "compagnie", "pvt", "anonim", "ltd", "llc", "inc", "limited",
})
# Short legal forms written before the name (Russian, Ukrainian, Kazakh, Korean ...).
LEADING_FORMS = frozenset({"ooo", "oao", "zao", "pao", "ao", "tov", "pat", "llc", "jsc",
                           "ojsc", "cjsc", "pjsc", "ip", "too", "npo", "kb", "pp", "ltd",
                           "chp", "dp", "pt", "cv", "tsk"})
_ABD = frozenset({"abd", "abdu", "abdul", "abdel", "abdal", "abdol", "abdoul", "abdool",
                  "abdil"})
_ABD_ARTICLE = frozenset({"al", "el", "ul", "ol", "il", "ar", "ur", "as", "us", "ad",
                          "an", "az", "at", "ash", "adh", "ud", "ir"})


_LETTER_RUN = re.compile(r"(?<!\S)[a-z](?: [a-z])+(?!\S)")
# "Joint stock" is a legal form wherever it stands (rigour knows it with "company").
_JOINT_STOCK = re.compile(
    r"(?<!\S)(?:(?:open|closed|public|private) )?joint stock(?: co(?:mpany)?)?(?!\S)")


class NameKind(enum.StrEnum):
    """How a name is normalised: as a person's, an organisation's or an object's."""

    person = "person"
    organisation = "organisation"
    object = "object"


def name_kind(kind: EntryKind) -> NameKind:
    if kind is EntryKind.individual:
        return NameKind.person
    if kind is EntryKind.entity:
        return NameKind.organisation
    return NameKind.object


@dataclass(frozen=True, slots=True)
class NormalisedName:
    """A name as compared: ``tokens`` in name order; ``legal_forms`` and ``dropped``
    (prefixes, stop-words) are what was set aside, ``corrected`` the mistyped legal-form
    words put right before that ("limitad -> limited"), kept for explanations."""

    original: str
    kind: NameKind
    tokens: tuple[str, ...]
    legal_forms: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    corrected: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Any script to ASCII, casefolded, punctuation removed, one space between tokens."""
    if not text.isascii():
        text = ascii_text(text)
    return normalize(text, _FOLD) or ""


def _join_abd(tokens: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for i, token in enumerate(tokens):
        if skip:
            skip = False
            continue
        if token in _ABD:
            out.append("abdul")
            skip = i + 1 < len(tokens) - 1 and tokens[i + 1] in _ABD_ARTICLE
            continue
        out.append(token)
    return out


@lru_cache(maxsize=65536)
def normalise_name(text: str, kind: NameKind = NameKind.organisation) -> NormalisedName:
    """Normalise ``text`` as a name of ``kind``. Never raises; an empty or symbol-only
    text gives no tokens."""
    folded = fold(text)
    dropped: list[str] = []
    if kind is NameKind.person:
        stripped = remove_person_prefixes(folded)
        dropped.extend(_removed(folded, stripped))
        tokens = _join_abd(stripped.split())
        return NormalisedName(text, kind, tuple(tokens or folded.split()), (), tuple(dropped))
    if kind is NameKind.object:
        # Most names carry no vessel prefix anywhere it is looked for: then the object
        # form is the organisation form (read once, and memoised for both).
        name, read = _organisation_reading(text, folded, NameKind.organisation)
        if all(remove_obj_prefixes(r) == r for r in read):
            return NormalisedName(text, kind, name.tokens, name.legal_forms, name.dropped,
                                  name.corrected)
    return _organisation_reading(text, folded, kind)[0]


@lru_cache(maxsize=65536)
def _organisation_reading(text: str, folded: str, kind: NameKind
                          ) -> tuple[NormalisedName, tuple[str, ...]]:
    """The organisation or object form of ``text``, with every text it was read from."""
    name = _organisation(text, folded, kind)
    read = [folded]
    # Taking words out can bring single letters together ("B AB B" -> "b b"), which a
    # second reading joins: read again until nothing changes, so that normalising a
    # normalised name changes nothing.
    for _ in range(3):
        if not name.legal_forms and not name.dropped:
            break
        read.append(" ".join(name.tokens))
        again = _organisation(text, read[-1], kind)
        if again.tokens == name.tokens:
            break
        name = NormalisedName(text, kind, again.tokens, name.legal_forms + again.legal_forms,
                              name.dropped + again.dropped)
    return name, tuple(read)


def _organisation(text: str, folded: str, kind: NameKind) -> NormalisedName:
    dropped: list[str] = []
    legal: list[str] = []
    stripped = remove_obj_prefixes(folded) if kind is NameKind.object else folded
    stripped = remove_org_prefixes(stripped)
    dropped.extend(_removed(folded, stripped))
    # "S A DE C V" is "S.A. de C.V." with its dots lost: letters standing alone in a
    # row are one abbreviation.
    stripped = _LETTER_RUN.sub(lambda m: m.group(0).replace(" ", ""), stripped)
    # A short legal form as the first word is the name itself ("SAD IMPORT EXPORT
    # COMPANY", "AG Holding"), unless it is one that stands first by custom ("OOO").
    head = ""
    first, _, rest = stripped.partition(" ")
    if rest and len(first) <= 3 and first not in LEADING_FORMS and extract_org_types(first):
        head, stripped = first, rest
    joint = _JOINT_STOCK.search(stripped)
    if joint is not None and stripped.replace(joint.group(0), " ").strip():
        legal.append(joint.group(0).strip())
        stripped = stripped.replace(joint.group(0), " ")
    if stripped:
        found = extract_org_types(stripped)
        if found:
            without = remove_org_types(stripped, " ")
            if without.strip():
                legal.extend(form for form, _ in found)
                stripped = without
    tokens: list[str] = [head] if head else []
    for token in _join_abd(stripped.split()):
        if token in EXTRA_LEGAL_WORDS:
            legal.append(token)
        elif is_stopword(token):
            dropped.append(token)
        else:
            tokens.append(token)
    if not tokens:
        # Nothing but legal forms and stop-words ("The Company Ltd"): keep them all.
        return NormalisedName(text, kind, tuple(folded.split()))
    return NormalisedName(text, kind, tuple(tokens), tuple(legal), tuple(dropped))


def _removed(before: str, after: str) -> list[str]:
    """The leading words a prefix removal took away."""
    head = before[: len(before) - len(after)] if before.endswith(after) else ""
    return head.split()


_SPELLING = (
    (re.compile(r"^y(?=[aeiou])"), "j"), (re.compile(r"tsch|tch"), "ch"),
    (re.compile(r"sch"), "sh"), (re.compile(r"dzh|dj"), "j"), (re.compile(r"kh"), "h"),
    (re.compile(r"gh"), "g"), (re.compile(r"ph"), "f"), (re.compile(r"th"), "t"),
    (re.compile(r"dh"), "d"), (re.compile(r"ck|q"), "k"), (re.compile(r"c(?!h)"), "k"),
    (re.compile(r"x"), "ks"), (re.compile(r"w"), "v"), (re.compile(r"ou|oo"), "u"),
    (re.compile(r"ee"), "i"), (re.compile(r"y"), "i"),
)
_ENDINGS = ((re.compile(r"(?<=...)(?:off|ow)$"), "ov"), (re.compile(r"(?<=...)(?:eff|ew)$"), "ev"))
_VOWELS = re.compile(r"[aeiou]+")
_REPEATS = re.compile(r"(.)\1+")


@lru_cache(maxsize=262144)
def spelling_key(token: str) -> str:
    """The token with the letter groups transliteration systems disagree on made one:
    kh / h, ph / f, ou / oo / u, ee / i, y / i (initial y before a vowel / j), w / v,
    q / ck / c / k, dzh / dj / j, doubled letters, -off / -ow / -ov. Vowels stay: "Kee"
    and "Ki" share "ki", "Li" and "Liu" do not. Tokens with digits are their own key."""
    if not token.isalpha() or not token.isascii():
        return token
    key = token
    for pattern, replacement in _ENDINGS:
        key = pattern.sub(replacement, key)
    # Until nothing changes: one rewrite can make another's input ("qh" -> "kh" -> "h").
    for _ in range(4):
        before = key
        for pattern, replacement in _SPELLING:
            key = pattern.sub(replacement, key)
        key = _REPEATS.sub(r"\1", key)
        if key == before:
            break
    return key


@lru_cache(maxsize=262144)
def token_key(token: str) -> str:
    """A transliteration-tolerant key: the spelling key with every vowel run one "a".
    Mohammed, Muhammad and Mohamad share "mahamad"; Hizballah and Hezbollah "hazbalah";
    Ivanov, Ivanow and Ivanoff "avanav". Lossy on purpose: the matcher accepts equal
    keys only for spellings that are also close letter by letter."""
    if not token.isalpha() or not token.isascii():
        return token
    return _REPEATS.sub(r"\1", _VOWELS.sub("a", spelling_key(token)))


def join_keys(left: str, right: str) -> str:
    """The key of two words written as one, from their keys ("abdul" + "rahman" ->
    "abdalrahman"): a letter doubled at the seam is written once. Letter groups that
    span the seam ("k" + "h") are not re-read; close enough to find candidates."""
    if left and right and left[-1] == right[0]:
        return left + right[1:]
    return left + right
