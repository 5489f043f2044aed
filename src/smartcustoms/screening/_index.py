"""The screener's index: every list name normalised once, a vocabulary with rarity
weights, postings from tokens to names, and a typo-tolerant way into the vocabulary.

Candidate generation never compares a query with all ~18,500 names. A query word
reaches vocabulary tokens through a deletion index (SymSpell-style: each spelling and
each transliteration key is stored with its one-letter deletions, so two strings within
one edit share an entry): equal words, transliteration variants ("muhammad" /
"mohammed" share the key "mahamad") and one-edit typos of either. Long words (eight
letters or more) that find nothing close that way are looked up again with two-letter
deletions. Every candidate token is then checked with ``token_similarity``; vocabulary
hits lead to names through postings. Names written as one word or two ("Aerocaribbean"
/ "Aero Caribbean") are reached through the keys of adjacent name words run together.

Rarity is IDF over all list names: "trading", "international" or "bank" weigh a third
of a rare surname, so a shared generic word cannot make a hit by itself. A middle name
weighs half on the list side (declarations often leave it out).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from smartcustoms.screening.models import AliasStrength, AliasType, ListEntry
from smartcustoms.screening.normalise import (
    EXTRA_LEGAL_WORDS,
    NameKind,
    join_keys,
    name_kind,
    normalise_name,
    spelling_key,
    token_key,
)

# Token similarity below this is no similarity: 1 edit in 4 letters (0.75) passes, 2 in
# 6 (0.67) does not.
TOKEN_MIN_SIMILARITY = 0.7
# Tokens with equal transliteration keys ("mohammed" / "muhammad") count this much;
# keys one edit apart count this factor of their own similarity.
KEY_EQUAL_SIMILARITY = 0.92
KEY_SIMILARITY_FACTOR = 0.92
KEY_EQUAL_MIN_RAW = 0.6
# Fuzzy (non-key) matching needs this many letters on the longer token, one less on
# the shorter ("irn" for "iran" passes, "al" for "ali" does not).
FUZZY_MIN_LENGTH = 4
DELETION_MIN_LENGTH = 4
LONG_WORD = 8
# Two-edit neighbours of a long word are looked for only when nothing this close was
# found within one edit.
LONG_WORD_RETRY = 0.85
# A query word this close to a legal-form word of the list is taken for that word.
LEGAL_WORD_SIMILARITY = 0.8
# A middle name (second and later given names, patronymics) is often left out of a
# declared name; on the list side it weighs this share of its rarity.
MIDDLE_NAME_WEIGHT = 0.5


def token_similarity(a: str, key_a: str, b: str, key_b: str) -> float:
    """Similarity of two tokens in [0, 1]: 1 when equal, high for transliteration
    variants, the OSA edit similarity (transpositions count one edit) for typos; 0 below
    ``TOKEN_MIN_SIMILARITY`` and for fuzzy pairs of short tokens or with digits."""
    if a == b:
        return 1.0
    if key_a == key_b:
        raw = OSA.normalized_similarity(a, b)
        # Keys collide ("aero" and "ara" share "ara", "li" and "liu" "la"): equal keys
        # count for equal spelling keys, or for words of four letters or more that are
        # also close letter by letter.
        if spelling_key(a) == spelling_key(b) or (
                raw >= KEY_EQUAL_MIN_RAW and min(len(a), len(b)) >= FUZZY_MIN_LENGTH):
            return max(KEY_EQUAL_SIMILARITY, raw)
    if min(len(a), len(b)) < FUZZY_MIN_LENGTH - 1 or max(len(a), len(b)) < FUZZY_MIN_LENGTH \
            or not (a.isalpha() and b.isalpha()):
        return 0.0
    longest = max(len(a), len(b))
    if (longest - min(len(a), len(b))) / longest > 1.0 - KEY_EQUAL_MIN_RAW:
        return 0.0  # the length difference alone rules out a close spelling
    raw = OSA.normalized_similarity(a, b)
    score = raw
    if raw >= KEY_EQUAL_MIN_RAW:
        # Keys one edit apart: a transliteration variant with a typo ("muhamnad" /
        # "mohammed"). Only for spellings already close: keys are lossy, and "nielsen"
        # / "wilson" ("nalsan" / "valsan") are not one name.
        score = max(raw, KEY_SIMILARITY_FACTOR * OSA.normalized_similarity(key_a, key_b))
    return score if score >= TOKEN_MIN_SIMILARITY else 0.0


def _lookup_forms(token: str, key: str) -> set[str]:
    return {token, key}


def _deletable_forms(token: str, key: str) -> list[str]:
    """Forms whose one-letter deletions are indexed: the spelling from four letters,
    the key from five (short keys are too alike: "ala" is half the Arabic names)."""
    forms = [token] if len(token) >= DELETION_MIN_LENGTH else []
    if key != token and len(key) >= DELETION_MIN_LENGTH + 1:
        forms.append(key)
    return forms


def two_deletions(word: str) -> set[str]:
    n = len(word)
    return {word[:i] + word[i + 1:j] + word[j + 1:] for i in range(n) for j in range(i + 1, n)}


def deletions(key: str) -> list[str]:
    return [key[:i] + key[i + 1:] for i in range(len(key))]


@dataclass(frozen=True, slots=True)
class IndexedName:
    """One list name (primary or alias) of one entry, normalised for its entry's kind."""

    entry: int
    alias: int  # -1 for the primary name
    kind: NameKind
    tokens: tuple[str, ...]
    token_ids: tuple[int, ...]
    weights: tuple[float, ...]
    total: float
    legal_forms: tuple[str, ...]
    dropped: tuple[str, ...]
    weak: bool


class NameIndex:
    """Built once from entries; read-only afterwards (and picklable)."""

    def __init__(self, entries: Iterable[ListEntry]) -> None:
        self.entries: tuple[ListEntry, ...] = tuple(entries)
        vocabulary: dict[str, int] = {}
        drafts: list[tuple[int, int, NameKind, tuple[str, ...], tuple[int, ...],
                           tuple[str, ...], tuple[str, ...], bool, frozenset[int]]] = []
        for e, entry in enumerate(self.entries):
            kind = name_kind(entry.kind)
            seen: set[tuple[str, ...]] = set()
            names = [(entry.name, -1, False)] + [
                (alias.name, a, alias.strength is AliasStrength.weak)
                for a, alias in enumerate(entry.aliases)]
            for text, alias, weak in names:
                normalised = normalise_name(text, kind)
                if not normalised.tokens or normalised.tokens in seen:
                    continue
                seen.add(normalised.tokens)
                ids = tuple(vocabulary.setdefault(t, len(vocabulary))
                            for t in normalised.tokens)
                middle = _middle_names(text, normalised.tokens) if kind is NameKind.person \
                    else frozenset()
                drafts.append((e, alias, kind, normalised.tokens, ids,
                               normalised.legal_forms, normalised.dropped, weak, middle))
        self.tokens: list[str] = list(vocabulary)
        self.vocabulary = vocabulary
        self.keys: list[str] = [token_key(t) for t in self.tokens]
        df = [0] * len(self.tokens)
        for draft in drafts:
            for token_id in set(draft[4]):
                df[token_id] += 1
        self.name_count = len(drafts)
        self.idf: list[float] = [self.weight_for_df(d) for d in df]
        self.unseen_weight = self.weight_for_df(0)
        self.names: list[IndexedName] = []
        self.postings: list[list[int]] = [[] for _ in self.tokens]
        self.exact: dict[tuple[NameKind, tuple[str, ...]], list[int]] = defaultdict(list)
        self.merged: dict[str, list[int]] = {}
        for e, alias, kind, tokens, ids, legal, dropped, weak, middle in drafts:
            weights = tuple(self.idf[i] * (MIDDLE_NAME_WEIGHT if p in middle else 1.0)
                            for p, i in enumerate(ids))
            name_id = len(self.names)
            self.names.append(IndexedName(e, alias, kind, tokens, ids, weights, sum(weights),
                                          legal, dropped, weak))
            postings = self.postings
            for token_id in set(ids):
                postings[token_id].append(name_id)
            self.exact[kind, tuple(sorted(tokens))].append(name_id)
            merged = self.merged
            for a, b in pairwise(tokens):
                merged.setdefault(join_keys(token_key(a), token_key(b)), []).append(name_id)
        self.exact = dict(self.exact)
        self.first_name: list[int] = [-1] * len(self.entries)
        for name_id in range(len(self.names) - 1, -1, -1):
            self.first_name[self.names[name_id].entry] = name_id
        # Keys and spellings both go in, with their one-letter deletions: keys reach
        # transliteration variants with a typo, spellings reach typos that change a
        # key by more than one letter ("suarez" / "susarez": "saraz" / "sasaraz").
        # Token ids are appended in increasing order, each once per form: the lists
        # come out sorted and free of duplicates.
        index: dict[str, list[int]] = {}
        for token_id, (token, key) in enumerate(zip(self.tokens, self.keys, strict=True)):
            forms = _lookup_forms(token, key)
            for form in _deletable_forms(token, key):
                forms.update(deletions(form))
            for form in forms:
                index.setdefault(form, []).append(token_id)
        self.deletion_index = index
        # Long words can carry two typos and still be recognisable (0.8 at ten letters):
        # their two-letter deletions, looked up only for query words that found nothing
        # close in one edit.
        index2: dict[str, list[int]] = {}
        for token_id, token in enumerate(self.tokens):
            if len(token) >= LONG_WORD and token.isalpha():
                for form in two_deletions(token):
                    index2.setdefault(form, []).append(token_id)
        self.deletion2_index = index2
        # Words of the legal forms found in list names ("obshchestvo", "liability"):
        # a query word within an edit or two of one is a mistyped legal form.
        self.legal_words: tuple[str, ...] = tuple(sorted(
            {w for name in self.names for form in name.legal_forms for w in form.split()
             if len(w) >= 5 and w.isalpha()} | {w for w in EXTRA_LEGAL_WORDS if len(w) >= 5}))
        self.identifiers: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for e, entry in enumerate(self.entries):
            for i, identifier in enumerate(entry.identifiers):
                # "7406784" and "IMO 7406784" both find the vessel.
                value = normalise_identifier(identifier.value)
                typed = normalise_identifier(identifier.type + identifier.value)
                for form in {value, typed}:
                    if len(value) >= 4:
                        self.identifiers[form].append((e, i))
        self.identifiers = dict(self.identifiers)

    def weight_for_df(self, df: int) -> float:
        return math.log((self.name_count + 1) / (df + 0.5))

    def legal_word(self, token: str) -> str | None:
        """The legal-form word ``token`` is a misspelling of, if any ("limitad")."""
        if len(token) < 5 or not token.isalpha():
            return None
        found = process.extractOne(token, self.legal_words, scorer=OSA.normalized_similarity,
                                   score_cutoff=LEGAL_WORD_SIMILARITY)
        return found[0] if found else None

    def vocabulary_matches(self, token: str) -> tuple[tuple[int, float], ...]:
        """Vocabulary tokens similar to ``token``, with their similarity."""
        key = token_key(token)
        candidates: set[int] = set()
        exact = self.vocabulary.get(token)
        if exact is not None:
            candidates.add(exact)
        index = self.deletion_index
        for form in _lookup_forms(token, key):
            candidates.update(index.get(form, ()))
        for form in _deletable_forms(token, key):
            for deleted in deletions(form):
                candidates.update(index.get(deleted, ()))
        matches = self._verified(token, key, candidates)
        if len(token) >= LONG_WORD and token.isalpha() and (
                not matches or matches[0][1] < LONG_WORD_RETRY):
            once = set(deletions(token))
            twice = two_deletions(token)
            index2 = self.deletion2_index
            more: set[int] = set()
            for form in once | twice | {token}:
                more.update(index2.get(form, ()))
                if form in twice:
                    more.update(index.get(form, ()))
            matches = self._verified(token, key, candidates | more)
        return matches

    def _verified(self, token: str, key: str,
                  candidates: set[int]) -> tuple[tuple[int, float], ...]:
        """``token_similarity`` against each candidate, best first. rapidfuzz's
        ``cdist`` rules most candidates out in one call: a pair whose spellings are
        under ``KEY_EQUAL_MIN_RAW`` apart and whose keys differ cannot pass."""
        if not candidates:
            return ()
        ids = sorted(candidates)
        tokens, keys = self.tokens, self.keys
        raw = process.cdist([token], [tokens[i] for i in ids],
                            scorer=OSA.normalized_similarity, dtype=np.float32)[0]
        keyed = process.cdist([key], [keys[i] for i in ids],
                              scorer=OSA.normalized_similarity, dtype=np.float32)[0]
        maybe = np.flatnonzero((raw >= KEY_EQUAL_MIN_RAW - 1e-4) | (keyed >= 1.0 - 1e-6))
        matches = []
        for k in maybe.tolist():
            token_id = ids[k]
            similarity = token_similarity(token, key, tokens[token_id], keys[token_id])
            if similarity > 0.0:
                matches.append((token_id, similarity))
        matches.sort(key=lambda m: (-m[1], m[0]))
        return tuple(matches)

    def alias_label(self, name: IndexedName) -> tuple[str, AliasType | None]:
        entry = self.entries[name.entry]
        if name.alias < 0:
            return entry.name, None
        alias = entry.aliases[name.alias]
        return alias.name, alias.type


def _middle_names(text: str, tokens: tuple[str, ...]) -> frozenset[int]:
    """Positions of middle names in a person's normalised tokens: in "LAST, First
    Middle Other" the given names after the first; without a comma, the tokens between
    the first and the last of a name of three or more."""
    family, comma, given = text.partition(",")
    if comma:
        first = normalise_name(family, NameKind.person).tokens
        rest = normalise_name(given, NameKind.person).tokens
        if first + rest == tokens and len(rest) >= 2:
            return frozenset(range(len(first) + 1, len(tokens)))
        return frozenset()
    return frozenset(range(1, len(tokens) - 1)) if len(tokens) >= 3 else frozenset()


def normalise_identifier(value: str) -> str:
    """Letters and digits only, upper case: "92/664" and "92664" are one number."""
    return "".join(ch for ch in value.upper() if ch.isalnum())
