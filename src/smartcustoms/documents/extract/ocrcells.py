"""Repairs of table cells read by OCR, each named in the word's ``read_as`` (so that the
evidence text says what OCR read) and made less sure (``REPAIRED``), never silent.

- a unit cell read as '|', '1', 'I' or 'i' is the litre unit 'l'; one a letter off a known
  unit word ('pes', 'Stick') is that word, and so is the unit printed after a quantity
  ('200 pes');
- a number split at a decimal mark OCR did not see ('192 00' in a mass or money cell) is
  joined with the decimal mark the table's other numbers show ('192.00');
- a litre sign in a description read as '|' or '1' after a number ('pot 5 |') is 'l';
- a number whose separators all read as the table's decimal mark ('146,174,00' in a table
  with decimal commas) has its thousands separators put back ('146.174,00'), and one whose
  decimal mark is lost after a thousands group ('1.7465') gets it back ('1.746,5');
- a speck read after or before a number with its decimal part ('2,077.65.', '(1158.62'
  with no closing parenthesis) comes off, and a
  package count read as a letter ('I roll', 'Scartons') is the digit it looks like, and a
  package word one letter off ('cartén') is that word;
- a unit or package word read exactly as one of its column's words is as sure as such a
  match is, whatever Tesseract's confidence of its letters (``vocabulary_confidence``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from smartcustoms.documents.codes import UNIT_WORDS, normalise_text
from smartcustoms.documents.extract.layout import Word
from smartcustoms.documents.extract.lexicon import NUMERIC_COLUMNS

REPAIRED = 0.85  # a repaired word is less sure than one read as it stands
FUZZY_UNIT_SCORE = 66
_LITRE = frozenset({"|", "1", "I", "i", "!"})
_DECIMAL_COLUMNS = frozenset({"unit_price", "amount", "net", "gross"})
_INTEGER_PART = re.compile(r"^\d{1,3}(?:[.,'’ ]\d{3})*$|^\d+$")
_CENTS = re.compile(r"^\d{2}$")
_DECIMAL = re.compile(r"\d([.,])\d{1,3}$")


def repaired(word: Word, text: str) -> Word:
    """``word`` read as ``text``, with what OCR read kept and a lower confidence."""
    return replace(word, text=text, read_as=word.read_as or word.text,
                   confidence=round(word.confidence * REPAIRED, 3))


def unit_cell(words: list[Word]) -> list[Word]:
    """The words of a unit cell with OCR's misreadings of a unit undone."""
    if len(words) != 1 or words[0].source != "ocr":
        return words
    word = words[0]
    if word.text in _LITRE:
        return [repaired(word, "l")]
    key = normalise_text(word.text)
    if len(key) < 3 or key in UNIT_WORDS:
        return words
    found = _nearest(key, "units", FUZZY_UNIT_SCORE)
    return words if found is None else [repaired(word, found)]


@lru_cache(maxsize=2)
def _vocabulary(name: str) -> tuple[str, ...]:
    """The words a misreading is matched against: unit words of three letters or more, or
    package words of one word and four letters or more."""
    from smartcustoms.documents.codes import PACKAGE_WORDS

    if name == "units":
        return tuple(w for w in UNIT_WORDS if len(w) >= 3)
    return tuple(w for w in PACKAGE_WORDS if " " not in w and len(w) >= 4)


def _nearest(key: str, vocabulary: str, score: float) -> str | None:
    """The word of ``vocabulary`` that ``key`` is a misreading of, if one is this alike."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(key, _vocabulary(vocabulary), scorer=fuzz.ratio,
                               score_cutoff=score)
    return None if found is None else str(found[0])


def unit_after_count(words: list[Word]) -> list[Word]:
    """A quantity cell that prints its unit ('200 pes', '3,476 murs'): the unit word with
    OCR's misreading undone, as in a unit cell."""
    if len(words) < 2 or not _COUNT.match(words[-2].text.replace(",", "").replace(".", "")):
        return words
    return [*words[:-1], *unit_cell(words[-1:])]


def decimal_mark(numbers: Iterable[str]) -> str | None:
    """The decimal mark most numbers of a table end with ('12.50' -> '.'), if any."""
    marks = Counter(m.group(1) for text in numbers
                    if (m := _DECIMAL.search(text)) and not _thousands_only(text))
    return marks.most_common(1)[0][0] if marks else None


def _thousands_only(text: str) -> bool:
    return bool(re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text))


def join_lost_decimal(words: list[Word], mark: str | None) -> list[Word]:
    """'192' '00' close together in a numeric cell -> '192.00' (with ``mark``)."""
    if mark is None or len(words) < 2:
        return words
    out: list[Word] = []
    index = 0
    while index < len(words):
        word = words[index]
        after = words[index + 1] if index + 1 < len(words) else None
        if (after is not None and word.source == "ocr" and after.source == "ocr"
                and _INTEGER_PART.match(word.text) and _CENTS.match(after.text)
                and abs(after.bottom - word.bottom) < 2
                and 0 <= after.x0 - word.x1 <= 1.2 * word.size
                and mark not in word.text):
            joined = replace(word, x1=after.x1, text=f"{word.text}{mark}{after.text}",
                             read_as=f"{word.text} {after.text}",
                             confidence=round(min(word.confidence, after.confidence)
                                              * REPAIRED, 3))
            out.append(joined)
            index += 2
            continue
        out.append(word)
        index += 1
    return out


_ONE_SEPARATOR = re.compile(r"^\d{1,3}(?:([.,])\d{3})+([.,])(\d{2,3})$")


def one_separator(word: Word, mark: str | None) -> Word:
    """'146,174,00' (or a mass, '1,921,000') where the table's decimal mark is ',': OCR
    read the thousands point as a comma too ('146.174,00'); the last separator is the
    decimal mark, since a number has one."""
    found = _ONE_SEPARATOR.match(word.text)
    if word.source != "ocr" or mark is None or found is None or found.group(1) != found.group(
            2) or found.group(2) != mark:
        return word
    other = "." if mark == "," else ","
    tail = found.group(3)
    head = word.text[:-len(tail) - 1]
    return repaired(word, f"{head.replace(mark, other)}{mark}{tail}")


def mark_after_group(word: Word, mark: str | None) -> Word:
    """'1.7465' where the table's decimal mark is ',': the point can only group thousands,
    and a group has three digits, so the comma OCR lost stood after them ('1.746,5')."""
    if word.source != "ocr" or mark is None:
        return word
    other = "." if mark == "," else ","
    found = re.fullmatch(rf"(\d{{1,3}}(?:\{other}\d{{3}})*\{other}\d{{3}})(\d{{1,3}})",
                         word.text)
    if found is None:
        return word
    return repaired(word, f"{found.group(1)}{mark}{found.group(2)}")


_AFTER_NUMBER = {"|": "l", "!": "l", "1": "l", "I": "l", "mi": "ml", "em": "cm", "om": "cm"}
_COUNT = re.compile(r"^\d+(?:[.,]\d+)?$")


def description_units(words: list[Word]) -> list[Word]:
    """A litre sign in a description read as '|', 'I' or '1' ('pot 5 |', 'bottles of 0,75
    1 litre'), 'ml' read as 'mi', or 'cm' as 'em' or 'om' ('fan 40 em'), right after a
    number: the unit. A '1' only where no number follows it ('5 1 x 2' stays)."""
    out = list(words)
    for index in range(1, len(out)):
        word, before = out[index], out[index - 1]
        meant = _AFTER_NUMBER.get(word.text)
        if (meant is None or word.source != "ocr" or not _COUNT.match(before.text)
                or abs(word.bottom - before.bottom) > 2
                or not 0 <= word.x0 - before.x1 <= word.size):
            continue
        after = out[index + 1] if index + 1 < len(out) else None
        if word.text == "1" and after is not None and any(ch.isdigit() for ch in after.text):
            continue
        out[index] = repaired(word, meant)
    return out


_SPECK_AFTER = re.compile(r"^(\d[\d.,'’]*[.,]\d{1,3})[.,:;]$")


def speck_after_number(word: Word) -> Word:
    """'2,077.65.' or '47.96:' read by OCR: a speck after a number that has its decimal
    part already is no part of it."""
    found = _SPECK_AFTER.match(word.text)
    if word.source != "ocr" or found is None:
        return word
    return repaired(word, found.group(1))


_SPECK_BEFORE = re.compile(r"^[(\[‘'`.,:;](\d[\d.,'’]*[.,]\d{1,3})$")


def speck_before_number(word: Word) -> Word:
    """'(1158.62' or '‘47.96' read by OCR: a speck before a number that has its decimal
    part is no part of it (an opening parenthesis with no closing one is no sign)."""
    found = _SPECK_BEFORE.match(word.text)
    if word.source != "ocr" or found is None:
        return word
    return repaired(word, found.group(1))


# Letters OCR reads for a digit of a package count ('I roll' for 1, 'Scartons' for 5).
_COUNT_DIGIT = {"I": "1", "l": "1", "|": "1", "i": "1", "!": "1", "S": "5", "s": "5",
                "B": "8", "Z": "2"}
_LETTERS_GLUED = re.compile(r"^([Il|i!SsBZ])([^\W\d_]{3,}\.?)$")


def count_read_as_letter(words: list[Word]) -> list[Word]:
    """'I roll', 'l pallet', 'Scartons': a package count of one digit that OCR read as the
    letter it looks like, before a package word (alone or run into it)."""
    from smartcustoms.documents.codes import PACKAGE_WORDS

    if not words or words[0].source != "ocr":
        return words
    first = words[0]
    if (len(words) == 2 and first.text in _COUNT_DIGIT
            and normalise_text(words[1].text) in PACKAGE_WORDS):
        return [repaired(first, _COUNT_DIGIT[first.text]), words[1]]
    glued = _LETTERS_GLUED.match(first.text)
    if len(words) == 1 and glued and normalise_text(glued.group(2)) in PACKAGE_WORDS:
        cut = round(first.x0 + (first.x1 - first.x0) / len(first.text), 2)
        count = replace(first, x1=cut)
        kind = replace(first, text=glued.group(2), x0=cut + 0.5)
        return [repaired(count, _COUNT_DIGIT[glued.group(1)]), kind]
    return words


FUZZY_PACKAGE_SCORE = 80


def package_words(words: list[Word]) -> list[Word]:
    """Words of a package cell one letter off a package word ('cartén' under 'caja de
    cartón'): that word, named. Without it 'caja de cartén' is read as its first word,
    'caja', a box instead of a carton."""
    from smartcustoms.documents.codes import PACKAGE_WORDS

    out = []
    for word in words:
        key = normalise_text(word.text)
        if (word.source == "ocr" and len(key) >= 4 and key.isalpha()
                and key not in PACKAGE_WORDS and key not in UNIT_WORDS):
            found = _nearest(key, "packages", FUZZY_PACKAGE_SCORE)
            if found is not None:
                word = repaired(word, found)
        out.append(word)
    return out


_IN_LEXICON = 0.9  # at least this sure: a word of a column's closed vocabulary
_LEXICON_COLUMNS = ("qty", "unit", "packages", "kind")


def vocabulary_confidence(words: list[Word]) -> list[Word]:
    """Words of a unit or package cell read as one of the column's own words ('cartons',
    'pcs', 'Kartons'): at least ``_IN_LEXICON`` sure. Tesseract's confidence of a word
    is its certainty about each letter taken alone (it gave 'cartons', read right, 0.08);
    a misreading that lands on a word of a short closed list is rare, so the match is
    the better measure of how sure the cell is. Numbers keep their own confidence."""
    from smartcustoms.documents.codes import PACKAGE_WORDS

    out = []
    for word in words:
        key = normalise_text(word.text)
        if (word.source == "ocr" and word.confidence < _IN_LEXICON and len(key) >= 3
                and word.read_as is None and (key in UNIT_WORDS or key in PACKAGE_WORDS)):
            word = replace(word, confidence=_IN_LEXICON)
        out.append(word)
    return out


def repair_cells(cells: dict[str, list[Word]], mark: str | None) -> None:
    """Repairs of one row's cells (in place), as the module's doc lists them: units (in
    a unit cell or after a quantity), package counts read as letters, the confidence of
    vocabulary words, specks after and before numbers, numbers split at a decimal mark, separators
    read as the decimal mark, a decimal mark lost after a thousands group."""
    if "unit" in cells:
        cells["unit"] = unit_cell(cells["unit"])
    if "qty" in cells:
        cells["qty"] = unit_after_count(cells["qty"])
    if "packages" in cells:
        cells["packages"] = count_read_as_letter(cells["packages"])
    for key in ("packages", "kind"):
        if key in cells:
            cells[key] = package_words(cells[key])
    for key in _LEXICON_COLUMNS:
        if key in cells:
            cells[key] = vocabulary_confidence(cells[key])
    for key in NUMERIC_COLUMNS:
        if key in cells:
            cells[key] = [speck_before_number(speck_after_number(w)) for w in cells[key]]
    if "description" in cells:
        cells["description"] = description_units(cells["description"])
    for key in _DECIMAL_COLUMNS:
        if key in cells:
            cells[key] = [one_separator(w, mark) for w in join_lost_decimal(cells[key], mark)]
    for key in NUMERIC_COLUMNS:
        if key in cells:
            cells[key] = [mark_after_group(w, mark) for w in cells[key]]
