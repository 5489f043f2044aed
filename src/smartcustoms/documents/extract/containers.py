"""Container numbers (ISO 6346, check digit verified) and the seal numbers printed with
them, anywhere on a document: in a table cell, after 'Container:' on a line, or wrapped
onto the line under the container."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from smartcustoms.declarations.types import iso6346_check_digit
from smartcustoms.documents.codes import normalise_text
from smartcustoms.documents.extract.labels import PageText
from smartcustoms.documents.extract.layout import Word

# Owner code, serial, check digit; a space may split the serial ('CMAU4 897489': OCR cut
# it, the check digit still decides).
_CONTAINER = re.compile(
    r"(?<![A-Z0-9])([A-Z]{3}[UJZ])[ ]?((?:\d[ ]?){5}\d)[ ]?-?[ ]?(\d)(?![0-9])")
_SEAL = re.compile(r"^(?=.*\d{4})(?!\d{1,4}$)[A-Z0-9][A-Z0-9-]{3,19}$")
_SIZE_TYPE = re.compile(r"^\d{2}[A-Z]\d$|^\d{2}(?:GP|HC|HQ|RF|OT|FR|DV|RH)$")
_SPECKS = "‘’‚“”„'\"|`.,:;"  # what dust on a scan is read as, beside a word
_SEAL_NOISE = frozenset({"seal", "seals", "no", "nos", "sn", "plombe", "plomben", "plomb",
                         "precinto", "precintos", "sello", "scelle", "and", "et", "y", "und"})


@dataclass(slots=True)
class FoundContainer:
    """A container number as found, with the words it and its seals were read from."""

    number: str
    words: list[Word]
    seal_words: list[Word]

    @property
    def seals(self) -> list[str]:
        return [_seal_text(w) for w in self.seal_words]


def _seal_text(word: Word) -> str:
    return word.text.strip(",;").upper().lstrip(":")


def find_containers(
    text: PageText, *, with_seals: bool
) -> tuple[list[FoundContainer], list[str]]:
    """Every ISO 6346 number on the document, in order, with the seals printed after it on
    the same line (or wrapped under it), and the numbers whose check digit is wrong (a
    problem for the caller, not a container)."""
    found: dict[str, FoundContainer] = {}
    wrong: list[str] = []
    for page in text.pages:
        for line in page.lines:
            if not _CONTAINER.search(line.text):
                continue
            words = line.words
            used_until = 0
            for index, _word in enumerate(words):
                if index < used_until:
                    continue
                joined = " ".join(w.text for w in words[index:index + 3])
                # a speck before the number on a scan ('‘TGHU8447203') is no part of it
                start = len(joined) - len(joined.lstrip(_SPECKS)) if words[index].source == (
                    "ocr") else 0
                match = _CONTAINER.match(joined, start)
                if match is None:
                    continue
                number = "".join(match.groups()).replace(" ", "")
                span = _words_spanned(words, index, match.end())
                used_until = index + span
                if iso6346_check_digit(number[:10]) != int(number[10]):
                    wrong.append(number)
                    continue
                seals = _seal_words(words, index + span) if with_seals else []
                glued = _glued_seal(words[index + span - 1], number) if with_seals else None
                if glued is not None:
                    seals.insert(0, glued)  # 'TGHU1234567/HT998877' in one word
                if seals:
                    trailing = _ends_with_slash(words, seals[-1])
                    seals += _seals_wrapped(page.lines, line, seals[0],
                                            words[index] if trailing else None)
                container = FoundContainer(number, list(words[index:index + span]), seals)
                if number not in found or (seals and not found[number].seal_words):
                    found[number] = container
    return list(found.values()), wrong


def _glued_seal(word: Word, number: str) -> Word | None:
    """The seal after the container in the same word: 'MSCU1234565/AB12345'."""
    compact = word.text.replace(" ", "")
    position = compact.find(number[-4:])
    rest = compact[position + 4:].lstrip("/-:") if position >= 0 else ""
    if not rest or not _SEAL.match(rest.upper()):
        return None
    width = (word.x1 - word.x0) / max(1, len(word.text))
    x0 = word.x1 - width * len(rest)
    return replace(word, text=rest, x0=x0)


def _words_spanned(words: Sequence[Word], start: int, length: int) -> int:
    total = -1
    for count, word in enumerate(words[start:], start=1):
        total += len(word.text) + 1
        if total >= length:
            return count
    return len(words) - start


def _seal_words(words: Sequence[Word], start: int) -> list[Word]:
    seals: list[Word] = []
    previous = words[start - 1] if start else None
    for word in words[start:start + 8]:
        # The seal column may stand well apart from the container's; after the first
        # seal, a wide gap is the next column (packages, marks).
        reach = (3 if seals else 20) * word.size
        if previous is not None and word.x0 - previous.x1 > reach:
            break
        previous = word
        token = word.text.strip(",;")
        key = normalise_text(token)
        if token in ("/", "-", ":", "|", ",") or key in _SEAL_NOISE or key in ("seal no",):
            continue
        if key.endswith(":") or token.endswith(":"):
            if key.rstrip(":") in _SEAL_NOISE:
                continue
            break
        candidate = token.upper().lstrip(":")
        if _CONTAINER.match(candidate) or _SIZE_TYPE.match(candidate):
            break
        if _SEAL.match(candidate) and "." not in candidate and "," not in candidate:
            seals.append(word)
            continue
        break
    return seals


def _ends_with_slash(words: Sequence[Word], last_seal: Word) -> bool:
    position = next((i for i, w in enumerate(words) if w is last_seal), None)
    if position is None:
        return False
    return (position + 1 < len(words) and words[position + 1].text == "/") or (
        last_seal.text.endswith("/"))


def _seals_wrapped(lines: Sequence[Any], line: Any, first_seal: Word,
                   container: Word | None) -> list[Word]:
    """Seals wrapped onto the next line of the same cell: starting under the first seal,
    or under the container when the line above ended with '/'."""
    following = lines[line.index + 1] if line.index + 1 < len(lines) else None
    if following is None or following.top - line.bottom > 0.6 * first_seal.size:
        return []
    words = sorted((w for w in following.words if w.x0 >= first_seal.x0 - 120),
                   key=lambda w: w.x0)
    if not words:
        return []
    under_seal = abs(words[0].x0 - first_seal.x0) <= 3 or words[0].text == "/"
    under_container = container is not None and abs(words[0].x0 - container.x0) <= 3
    if not (under_seal or under_container):
        return []
    if under_container:
        words = sorted((w for w in following.words if w.x0 >= container.x0 - 2),  # type: ignore[union-attr]
                       key=lambda w: w.x0)
    if _CONTAINER.search(" ".join(w.text for w in words)):
        return []
    return _seal_words(words, 0)
