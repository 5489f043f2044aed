"""What the classifier learns from: nomenclature texts per HS6 and classified precedents.

Plain data only. The shipped sets are read from ``data/tariff``; an administration's own
rulings and accepted suggestions arrive as ``Precedent`` values too (``precedents.py``).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from smartcustoms.paths import DATA_ROOT
from smartcustoms.reference import HSNomenclature, load_hs2022

TARIFF_DATA = DATA_ROOT / "tariff"

# Shipped sets of real classification decisions, by name. The precedent sets train the
# model and are searched as precedents; the benchmark sets are only ever evaluated on
# (their licences allow it, and their published scores assume nobody trained on them).
_PRECEDENTS = TARIFF_DATA / "precedents"
PRECEDENT_SETS = {
    "eu_bti": _PRECEDENTS / "eu_bti/eu_bti_2025.shared80.normalized.csv",
    "kcs_decisions": _PRECEDENTS / "kcs_decisions/kcs_decisions_2024.shared80.normalized.csv",
}
_BENCHMARKS = TARIFF_DATA / "benchmarks"
BENCHMARK_SETS = {
    "atlas": (_BENCHMARKS / "atlas_cross/atlas_test.shared80.normalized.csv",
              _BENCHMARKS / "atlas_cross/atlas_validation.shared80.normalized.csv"),
    "hscodecomp": (_BENCHMARKS / "hscodecomp/hscodecomp_test_data.shared80.normalized.csv",),
}
CN2023 = TARIFF_DATA / "cn2023/cn2023_en.normalized.csv"
# Korea's tariff table (HSK, 2015 edition on HS 2012): its ten-digit lines name goods in
# other words than the CN's ("Mouse", "Scanners" under 8471.60). Terminology only: its
# codes are neither the label space nor current national codes.
HSK2015 = TARIFF_DATA / "hsk/hsk_table.normalized.csv"

# HSCodeComp listings carry attributes a seller fills in; these describe the goods
# (the others are logistics: package size, brand placeholders, "sold in").
_LISTING_ATTRIBUTES = ("Material", "Item Type", "Metals Type", "Fine or Fashion", "Gender",
                       "Type", "Style", "Function", "Application", "Use")


@dataclass(frozen=True, slots=True)
class Precedent:
    """A description with the code a customs authority gave it.

    ``code`` is the national code as decided (8 or 10 digits, or 6); ``hs6`` its
    international part. ``group`` ties rows of one product series together so that an
    evaluation never tests on a sibling of a training row.
    """

    ref: str
    text: str
    code: str
    hs6: str
    source: str
    group: str = ""
    date: str = ""
    accepted_by: str | None = None


@dataclass(slots=True)
class CodeTexts:
    """The nomenclature's words for one HS6: its own text, its heading's and chapter's,
    the national (CN eight-digit) lines beneath it, which add the trade's terms, and
    ``terminology``: lines of another nomenclature (Korea's HSK) naming goods under it."""

    hs6: str
    subheading: str
    heading: str
    chapter: str
    section: str
    national: list[tuple[str, str]] = field(default_factory=list)
    terminology: list[tuple[str, str]] = field(default_factory=list)

    def document(self) -> str:
        """The text the lexical index sees for this code: every word the nomenclature
        and its national lines have for it. Not the terminology lines: there are many
        under some codes (31 HS 2012-era telecom lines under 8517.62), and in one
        document they would drown the subheading's own words."""
        parts = [self.subheading, self.subheading, self.heading]
        parts += [text for _, text in self.national]
        return " ; ".join(parts)

    def lines(self) -> list[tuple[str, str]]:
        """National and terminology lines, each (code, text)."""
        return self.national + self.terminology

    def sentence(self) -> str:
        """The text the sentence encoder sees: the subheading in its heading's words.
        Short on purpose: the encoder reads 128 word pieces at most, and its cost grows
        with the length."""
        return f"{self.subheading} ; {self.heading}"


def code_texts(hs: HSNomenclature | None = None, *, cn_path: Path | None = CN2023,
               hsk_path: Path | None = HSK2015) -> dict[str, CodeTexts]:
    """Every HS 2022 subheading with the texts of its path, its CN 2023 lines and its
    HSK lines."""
    hs = hs or load_hs2022()
    out: dict[str, CodeTexts] = {}
    for code in sorted(hs.subheadings):
        # Chapter 99 is UN Comtrade's "not specified" bucket, outside the WCO's sections:
        # never a classification.
        if hs.get(code).section is None:
            continue
        path = hs.path(code)
        by_level = {e.level: e for e in path}
        out[code] = CodeTexts(
            hs6=code,
            subheading=by_level["subheading"].description,
            heading=by_level["heading"].description if "heading" in by_level else "",
            chapter=by_level["chapter"].description if "chapter" in by_level else "",
            section=by_level["section"].description if "section" in by_level else "",
        )
    if cn_path is not None and cn_path.exists():
        for row in _read(cn_path):
            entry = out.get(row["hs6"])
            # CN lines at HS6 level repeat the subheading; only the 8-digit splits add words.
            if entry is not None and not row["code"].endswith("00"):
                entry.national.append((row["code"], row["description"]))
    if hsk_path is not None and hsk_path.exists():
        for hs6, code, text in hsk_lines(hsk_path):
            entry = out.get(hs6)
            if entry is not None:
                entry.terminology.append((code, text))
    return out


def hsk_lines(path: Path = HSK2015) -> Iterator[tuple[str, str, str]]:
    """(HS6, HSK code, text) for each ten-digit HSK line whose HS6 still exists in HS 2022.

    An HSK name is relative to its parent ("Mouse" under "Input units" under 8471.60), so
    the text is the names of the seven- to ten-digit levels above and at the line, joined
    by " : ", without the "Other" ones. A line that is nothing but "Other" at every level
    says nothing its subheading does not, and is left out.
    """
    rows = list(_read(path))
    names = {row["code"]: " ".join(row["name_en"].split()).rstrip(" :") for row in rows}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if row["digits"] != "10" or row["hs6_in_hs2022"] != "True":
            continue
        code = row["code"]
        chain = [names.get(code[:digits], "") for digits in (7, 8, 9, 10)]
        words = [n for n in chain if n and not n.casefold().startswith("other")]
        text = " : ".join(dict.fromkeys(words))
        if text and (row["hs6"], text) not in seen:
            seen.add((row["hs6"], text))
            yield row["hs6"], code, text


def load_precedent_set(name: str, path: Path | None = None) -> list[Precedent]:
    """One shipped precedent set, rows without a usable text or HS6 left out."""
    path = path or PRECEDENT_SETS[name]
    out = []
    for row in _read(path):
        text = (row.get("description") or "").strip()
        hs6 = row.get("hs6") or ""
        if not text or len(hs6) != 6 or row.get("hs6_in_hs2022") == "False":
            continue
        out.append(Precedent(ref=row.get("ruling_ref") or row["id"], text=text,
                             code=row.get("hs_code") or hs6, hs6=hs6, source=name,
                             group=f"{name}:{row.get('dup_group') or row['id']}",
                             date=row.get("decision_date") or ""))
    return out


def load_benchmark_set(name: str) -> list[Precedent]:
    """A held-out public benchmark set (never trained on when reported)."""
    out = []
    for path in BENCHMARK_SETS[name]:
        for row in _read(path):
            text = (row.get("description") or "").strip()
            if name == "hscodecomp":
                text = _listing_text(text, row.get("category_path") or "",
                                     row.get("attributes_json") or "")
            ref = f"{path.stem.split('.')[0]}:{row.get('src_line', '')}"
            out.append(Precedent(ref=ref, text=text, code=row["code"], hs6=row["hs6"],
                                 source=name, group=f"{name}:{ref}"))
    return out


def shipped_precedents(names: Iterable[str] = PRECEDENT_SETS) -> list[Precedent]:
    return [p for name in names for p in load_precedent_set(name)]


def series_labels(texts: Sequence[str], seeds: Sequence[str] = (), threshold: float = 0.7
                  ) -> list[int]:
    """Connected components of texts linked by a shared seed label (e.g. identical text)
    or a TF-IDF cosine of at least ``threshold``.

    Rulings come in product series (the same LED module in ten wattages); a split that
    puts siblings on both sides overstates accuracy by about 12 points on EU BTI.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(texts)
    if n == 0:
        return []
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    first: dict[str, int] = {}
    for i, seed in enumerate(seeds):
        if seed:
            union(i, first.setdefault(seed, i))
    try:
        matrix = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2)).fit_transform(texts)
    except ValueError:  # not one word among the texts: only the seeds link rows
        return [find(i) for i in range(n)]
    sims = (matrix @ matrix.T).tocoo()
    for i, j, v in zip(sims.row, sims.col, sims.data, strict=True):
        if i < j and v >= threshold:
            union(i, j)
    return [find(i) for i in range(n)]


def with_series_groups(precedents: Sequence[Precedent], threshold: float = 0.7
                       ) -> list[Precedent]:
    """The precedents with ``group`` widened to their product series within each source."""
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(precedents):
        by_source[p.source].append(i)
    out = list(precedents)
    for idx in by_source.values():
        labels = series_labels([precedents[i].text for i in idx],
                               [precedents[i].group for i in idx], threshold)
        names: dict[int, str] = {}
        for i, label in zip(idx, labels, strict=True):
            out[i] = replace(precedents[i], group=names.setdefault(label, precedents[i].group))
    return out


def _listing_text(title: str, category_path: str, attributes_json: str) -> str:
    words = [title]
    if category_path:
        words.append(category_path.replace(">", ";"))
    try:
        attributes = json.loads(attributes_json) if attributes_json else {}
    except ValueError:
        attributes = {}
    for key in _LISTING_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and value and not value.startswith("NoEnName"):
            words.append(f"{key.lower()} {value}")
    return " ; ".join(words)


def _read(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)
