"""A labelled screening set, generated deterministically from a list.

True variants are what a listed name looks like on a declaration: its case and
punctuation changed, a person's names in natural order, transliteration variants
(Mohammed / Muhammad, kh / h, ou / u, y / i / j, ph / f, -ov / -ow / -off, Abdul / Abd
al), the legal form removed, added or changed (LLC / Limited Liability Company, Ltd,
GmbH, Co.), typing errors (one or two edits, never in the first letter nor in words
under four letters or legal-form words, two edits only in names of 12+ letters), a
middle name dropped, or one of the entry's strong aliases. Each row expects its entry.

Negatives are names that must not hit: another company sharing the listed company's
generic words ("Kestrel Trading Co., Ltd." beside GALAX TRADING CO., LTD.), a common
listed given name or surname with another name, invented company and person names, and
the party names of the sample declarations. A negative is kept only when it is
verifiably not a listed name: no list name accounts for all of its distinctive words
(letter-for-letter, within one edit in four, or as a transliteration variant), and no
list name's distinctive words all appear in it. The notion of "generic" used here is a
fixed word list (``_vocabulary.GENERIC_WORDS``), not the matcher's rarity weights.

Rows are split into validation and test by a hash of their group (the list entry they
come from, or the negative's own text), so an entry's variants never straddle splits and
thresholds chosen on validation say nothing about test.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import OSA

from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.screening._mutations import (
    case_punctuation,
    drop_middle,
    legal_form,
    person_parts,
    reorder,
    style,
    transliterate,
    typos,
)
from smartcustoms.screening._vocabulary import (
    BRAND_WORDS,
    GENERIC_WORDS,
    GIVEN_NAMES,
    INDUSTRY_PHRASES,
    LEGAL_FORMS,
    SURNAMES,
)
from smartcustoms.screening.hits import PartyKind
from smartcustoms.screening.models import AliasStrength, EntryKind, ListEntry, ScreeningList
from smartcustoms.screening.normalise import NameKind, name_kind, normalise_name, token_key

DEFAULT_SEED = 20240503
VARIANT_KINDS = ("case_punctuation", "reordered", "transliteration", "legal_form", "typo",
                 "middle_dropped", "alias")
NEGATIVE_KINDS = ("generic_word", "shared_given_name", "shared_surname", "unlisted_company",
                  "unlisted_person", "sample_party")
_PARTY_KIND = {EntryKind.individual: PartyKind.person, EntryKind.entity: PartyKind.organisation,
               EntryKind.vessel: PartyKind.vessel, EntryKind.aircraft: PartyKind.aircraft}
# Share of each negative kind (sample parties come on top, all of them).
_NEGATIVE_SHARES = (("generic_word", 0.30), ("shared_given_name", 0.15),
                    ("shared_surname", 0.15), ("unlisted_company", 0.25),
                    ("unlisted_person", 0.15))
_COMMON_NAME_MIN = 5


@dataclass(frozen=True, slots=True)
class LabelledName:
    """One labelled query: ``expected`` is the entry id it must hit, None for a negative;
    ``variant`` the kind of variant or negative; ``group`` what keeps rows together in
    one split."""

    query: str
    kind: PartyKind
    expected: str | None
    variant: str
    group: str
    split: str

    @property
    def positive(self) -> bool:
        return self.expected is not None


def split_of(group: str, seed: int = DEFAULT_SEED) -> str:
    """"validation" or "test", by a hash of the group: stable, order-independent."""
    digest = hashlib.sha256(f"{seed}/{group}".encode()).digest()
    return "validation" if digest[0] < 128 else "test"


def sample_party_names(folder: Path = SAMPLES_DIR / "declarations") -> list[str]:
    """Party names of the sample declarations shipped in data/samples."""
    names: list[str] = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text())
        names.extend(p["name"] for p in data.get("parties", ()) if p.get("name"))
    return names


def generate_labelled_set(screening_list: ScreeningList, *, seed: int = DEFAULT_SEED,
                          entries: int = 2500, negatives: int | None = None,
                          sample_parties: Sequence[str] | None = None) -> list[LabelledName]:
    """Variants of ``entries`` sampled list entries and ``negatives`` negatives (default:
    as many as there are positives), plus the sample declarations' party names. The
    same arguments give the same rows, in the same order."""
    rng = random.Random(seed)
    pool = sorted(screening_list.entries, key=lambda e: (e.list_id, _numeric(e.entry_id)))
    chosen = rng.sample(pool, min(entries, len(pool)))
    rows: list[LabelledName] = []
    for entry in chosen:
        group = f"{entry.list_id}:{entry.entry_id}"
        for variant, query in _variants(entry, rng):
            rows.append(LabelledName(query, _PARTY_KIND[entry.kind], entry.entry_id, variant,
                                     group, split_of(group, seed)))
    target = len(rows) if negatives is None else negatives
    verifier = _Verifier(screening_list.entries)
    rows.extend(_negatives(screening_list.entries, verifier, rng, target, seed))
    parties = sample_party_names() if sample_parties is None else list(sample_parties)
    for name in parties:
        if verifier.unlisted(name):
            key = " ".join(normalise_name(name).tokens)
            rows.append(LabelledName(name, PartyKind.organisation, None, "sample_party",
                                     f"negative:{key}", split_of(f"negative:{key}", seed)))
    return rows


def _numeric(entry_id: str) -> tuple[int, str]:
    return (int(entry_id), "") if entry_id.isdigit() else (0, entry_id)


# -- true variants ---------------------------------------------------------------------


def _variants(entry: ListEntry, rng: random.Random) -> Iterable[tuple[str, str]]:
    name = entry.name
    person = entry.kind is EntryKind.individual
    makers: list[tuple[str, Callable[[], str | None]]] = [
        ("case_punctuation", lambda: case_punctuation(name, rng)),
        ("transliteration", lambda: transliterate(name, rng)),
        ("typo", lambda: typos(name, rng)),
    ]
    if person:
        makers.append(("reordered", lambda: reorder(name)))
        makers.append(("middle_dropped", lambda: drop_middle(name, rng)))
    elif entry.kind is EntryKind.entity:
        makers.append(("legal_form", lambda: legal_form(name, rng)))
    makers.append(("alias", lambda: _alias(entry, rng)))
    original = normalise_name(name, name_kind(entry.kind)).tokens
    for variant, make in makers:
        query = make()
        if query is None or not query.strip():
            continue
        if variant not in ("case_punctuation", "reordered", "legal_form", "alias") and \
                normalise_name(query, name_kind(entry.kind)).tokens == original:
            continue
        yield variant, query


def _alias(entry: ListEntry, rng: random.Random) -> str | None:
    primary = normalise_name(entry.name, name_kind(entry.kind)).tokens
    strong = [a.name for a in entry.aliases if a.strength is AliasStrength.strong
              and sum(ch.isalpha() for ch in a.name) >= 5
              and normalise_name(a.name, name_kind(entry.kind)).tokens != primary]
    if not strong:
        return None
    return style(rng.choice(strong), rng)


# -- negatives -------------------------------------------------------------------------


def _similar(a: str, b: str) -> bool:
    """Could ``a`` and ``b`` be one name word? Deliberately generous: a negative must be
    verifiably different, so anything a careful reader might take for the same word
    (Dmitry / Dimitri, Garnier / Karner) counts as the same."""
    if a == b:
        return True
    if min(len(a), len(b)) < 3:
        return False
    key_a, key_b = token_key(a), token_key(b)
    if key_a == key_b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    return (OSA.normalized_similarity(a, b) >= 0.7
            or OSA.normalized_similarity(key_a, key_b) >= 0.8)


def _distinctive(tokens: Iterable[str]) -> list[str]:
    return [t for t in tokens if t not in GENERIC_WORDS and len(t) > 1]


class _Verifier:
    """Decides whether a name is verifiably not a list name (see the module docstring).
    List tokens are found within one edit through their one-letter deletions, and by
    transliteration key."""

    def __init__(self, entries: Sequence[ListEntry]) -> None:
        self.names: list[tuple[tuple[str, ...], list[str]]] = []
        self.by_key: dict[str, set[int]] = defaultdict(set)
        for entry in entries:
            kind = name_kind(entry.kind)
            for text in [entry.name, *(a.name for a in entry.aliases)]:
                tokens = normalise_name(text, kind).tokens
                if not tokens:
                    continue
                n = len(self.names)
                self.names.append((tokens, _distinctive(tokens)))
                for t in set(tokens):
                    for key in self._keys(t):
                        self.by_key[key].add(n)

    @staticmethod
    def _keys(token: str) -> set[str]:
        keys = {f"k:{token_key(token)}", token}
        if len(token) >= 4:
            keys.update(token[:i] + token[i + 1:] for i in range(len(token)))
        return keys

    def _near(self, token: str) -> set[int]:
        found: set[int] = set()
        for key in self._keys(token):
            found.update(self.by_key.get(key, ()))
        return found

    def unlisted(self, text: str) -> bool:
        tokens = set(normalise_name(text, NameKind.person).tokens) | set(
            normalise_name(text, NameKind.organisation).tokens)
        distinctive = _distinctive(tokens)
        if not distinctive:
            return False
        near = {d: self._near(d) for d in distinctive}
        # (a) one list name has every distinctive word of the text
        common = set.intersection(*near.values())
        for n in common:
            listed = self.names[n][0]
            if all(any(_similar(d, t) for t in listed) for d in distinctive):
                return False
        # (b) every distinctive word of one list name is in the text
        for n in set.union(*near.values()):
            listed_distinctive = self.names[n][1]
            if listed_distinctive and all(any(_similar(d, t) for t in tokens)
                                          for d in listed_distinctive):
                return False
        return True


def _negatives(entries: Sequence[ListEntry], verifier: _Verifier, rng: random.Random,
               target: int, seed: int) -> list[LabelledName]:
    ordered = sorted(entries, key=lambda e: (e.list_id, _numeric(e.entry_id)))
    organisations = [e for e in ordered if e.kind is EntryKind.entity
                     and 2 <= len(e.name.split()) <= 5
                     and any(t in GENERIC_WORDS for t in normalise_name(e.name).tokens)
                     and 1 <= len(_distinctive(normalise_name(e.name).tokens)) <= 2]
    people = [e for e in ordered if e.kind is EntryKind.individual and "," in e.name]
    given_counts = Counter(person_parts(e.name)[1][0].lower() for e in people
                           if person_parts(e.name)[1])
    family_counts = Counter(" ".join(person_parts(e.name)[0]).lower() for e in people)
    common_given = [e for e in people if person_parts(e.name)[1]
                    and given_counts[person_parts(e.name)[1][0].lower()] >= _COMMON_NAME_MIN]
    common_family = [e for e in people if len(person_parts(e.name)[0]) == 1
                     and family_counts[person_parts(e.name)[0][0].lower()]
                     >= _COMMON_NAME_MIN]

    def generic_word() -> tuple[str, str, PartyKind] | None:
        entry = rng.choice(organisations)
        distinctive = set(_distinctive(normalise_name(entry.name).tokens))
        brands = iter(rng.sample(BRAND_WORDS, 4))
        words = []
        for word in entry.name.split():
            core = normalise_name(word).tokens
            if len(core) == 1 and core[0] in distinctive:
                words.append(next(brands, "NOVA").upper())
            else:
                words.append(word)
        return style(" ".join(words), rng), f"{entry.list_id}:{entry.entry_id}", \
            PartyKind.organisation

    def shared_given_name() -> tuple[str, str, PartyKind] | None:
        entry = rng.choice(common_given)
        given = person_parts(entry.name)[1][0]
        return style(f"{given} {rng.choice(SURNAMES)}", rng), \
            f"{entry.list_id}:{entry.entry_id}", PartyKind.person

    def shared_surname() -> tuple[str, str, PartyKind] | None:
        entry = rng.choice(common_family)
        family = person_parts(entry.name)[0][0]
        return style(f"{rng.choice(GIVEN_NAMES)} {family}", rng), \
            f"{entry.list_id}:{entry.entry_id}", PartyKind.person

    def unlisted_company() -> tuple[str, str, PartyKind] | None:
        parts = [rng.choice(BRAND_WORDS)]
        if rng.random() < 0.3:
            parts.append(rng.choice(BRAND_WORDS))
        parts.append(rng.choice(INDUSTRY_PHRASES))
        if rng.random() < 0.8:
            parts.append(rng.choice(LEGAL_FORMS))
        text = style(" ".join(parts), rng)
        return text, "", PartyKind.organisation

    def unlisted_person() -> tuple[str, str, PartyKind] | None:
        given = rng.choice(GIVEN_NAMES)
        if rng.random() < 0.25:
            given = f"{given} {rng.choice(GIVEN_NAMES)}"
        family = rng.choice(SURNAMES)
        text = f"{family.upper()}, {given}" if rng.random() < 0.3 else f"{given} {family}"
        return style(text, rng), "", PartyKind.person

    makers = {"generic_word": generic_word, "shared_given_name": shared_given_name,
              "shared_surname": shared_surname, "unlisted_company": unlisted_company,
              "unlisted_person": unlisted_person}
    rows: list[LabelledName] = []
    seen: set[tuple[str, ...]] = set()
    for variant, share in _NEGATIVE_SHARES:
        wanted = round(target * share)
        made = attempts = 0
        while made < wanted and attempts < wanted * 20:
            attempts += 1
            found = makers[variant]()
            if found is None:
                continue
            query, group, kind = found
            key = normalise_name(query).tokens
            if key in seen or not verifier.unlisted(query):
                continue
            seen.add(key)
            group = group or f"negative:{' '.join(key)}"
            rows.append(LabelledName(query, kind, None, variant, group, split_of(group, seed)))
            made += 1
    return rows
