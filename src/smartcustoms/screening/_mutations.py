"""Text changes that turn a listed name into what a declaration might carry: case and
punctuation, word order, transliteration, typing errors, legal forms. Used by
``variants``; each function returns None where its change does not apply.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from smartcustoms.screening._vocabulary import (
    GENERIC_WORDS,
    LEGAL_FORM_SWAPS,
    LEGAL_FORMS,
    word_list,
)


def style(text: str, rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.4:
        return text
    if choice < 0.8:
        return title(text)
    return text.upper()


def title(text: str) -> str:
    return re.sub(r"[A-Za-z]+", lambda m: m.group(0).capitalize(), text)


def case_punctuation(name: str, rng: random.Random) -> str:
    options = [
        lambda t: title(t),
        lambda t: t.lower(),
        lambda t: re.sub(r"\s+", " ", re.sub(r"[.,'\-]", " ", t)).strip(),
        lambda t: re.sub(r"[.,']", "", t),
        lambda t: "  ".join(t.split()) + ".",
        lambda t: t.replace(" ", "-", 1) if " " in t else t + ".",
    ]
    query = rng.choice(options)(name)
    return query if query != name else title(name).swapcase()


def person_parts(name: str) -> tuple[list[str], list[str]]:
    family, comma, given = name.partition(",")
    if comma:
        return family.split(), given.split()
    words = name.split()
    return words[-1:], words[:-1]


def reorder(name: str) -> str | None:
    family, comma, given = name.partition(",")
    if comma and given.strip():
        return f"{given.strip()} {family.strip()}"
    words = name.split()
    if len(words) < 2:
        return None
    return " ".join(words[-1:] + words[:-1])


def drop_middle(name: str, rng: random.Random) -> str | None:
    family, comma, given = name.partition(",")
    if comma:
        words = given.split()
        if len(words) < 2:
            return None
        del words[rng.randrange(1, len(words))]
        return f"{' '.join(words)} {family.strip()}"
    words = name.split()
    if len(words) < 3:
        return None
    del words[rng.randrange(1, len(words) - 1)]
    return " ".join(words)


# Words of legal forms as lists spell them (Russian, Turkish, Spanish ...), left alone by
# transliteration and typo variants; the legal-form variants change legal forms.
LEGAL_WORDS = frozenset(word_list("""
joint stock company limited liability public closed open aktsionernoe obshchestvo
publichnoe zakrytoe otkrytoe ogranichennoi ogranichennoy otvetstvennostyu
otvetstvennostiu tovarishchestvo sirketi anonim ticaret sociedad anonima limitada
compania comercial sa sas srl ltda llc ltd inc corp co oy ooo ao pao zao oao jsc pjsc
cjsc ojsc gmbh ag kg bv nv plc fze fzco llp sarl spa
"""))
_MOHAMMED = ("Mohammed", "Muhammad", "Mohamad", "Mohamed", "Muhammed", "Mohammad")
_TRANSLIT_RULES: tuple[tuple[str, str, Callable[[random.Random], str]], ...] = (
    ("mohammed", r"\b(?:mohammed|muhammad|mohamad|mohamed|muhammed|mohammad)\b",
     lambda rng: rng.choice(_MOHAMMED).lower()),
    ("kh", r"kh", lambda rng: "h"),
    ("ou", r"ou", lambda rng: "u"),
    ("u", r"(?<=[bcdfghjklmnprstvz])u(?=[bcdfghjklmnprstvz])", lambda rng: "ou"),
    ("y-i", r"(?<=[a-z])y", lambda rng: "i"),
    ("i-y", r"(?<=[aeou])i\b", lambda rng: "y"),
    ("y-j", r"\by(?=[aeiou])", lambda rng: "j"),
    ("j-y", r"\bj(?=[aeiou])", lambda rng: "y"),
    ("ph", r"ph", lambda rng: "f"),
    ("f", r"(?<=[aeiou])f", lambda rng: "ph"),
    ("ov", r"(?<=[a-z]{3})ov\b", lambda rng: rng.choice(("ow", "off"))),
    ("ev", r"(?<=[a-z]{3})ev\b", lambda rng: rng.choice(("ew", "eff"))),
    ("abdul", r"\babdul[ -]?(?=[a-z])", lambda rng: rng.choice(("abd al-", "abdel ", "abd-al "))),
    ("abd-al", r"\babd[ -]al[ -]", lambda rng: rng.choice(("abdul ", "abdel "))),
    ("ee", r"ee", lambda rng: "i"),
    ("oo", r"oo", lambda rng: "u"),
    ("q", r"q", lambda rng: "k"),
    ("sch", r"sch", lambda rng: "sh"),
    ("e-a", r"(?<=\b[a-z]{3})(?<=[bcdfghklmnprstvz])e(?=[dlmnrst]\b)", lambda rng: "a"),
    ("a-e", r"(?<=\b[a-z]{3})(?<=[bcdfghklmnprstvz])a(?=[dlmnrst]\b)", lambda rng: "e"),
    ("double", r"([bdfglmnprst])\1", lambda rng: "@1"),
    ("el-al", r"\bel-", lambda rng: "al-"),
    ("al-el", r"\bal-", lambda rng: "el-"),
)


def _protected(text: str) -> list[tuple[int, int]]:
    """Spans of legal-form and generic trade words: transliteration changes names,
    not "Limited" or "Trading"."""
    legal = {w for form in LEGAL_FORM_SWAPS for w in form.split()} | LEGAL_WORDS
    return [(m.start(), m.end()) for m in re.finditer(r"[a-z]+", text)
            if m.group(0) in legal or m.group(0) in GENERIC_WORDS]


def transliterate(name: str, rng: random.Random) -> str | None:
    lower = name.lower()
    applicable = [rule for rule in _TRANSLIT_RULES if re.search(rule[1], lower)]
    if not applicable:
        return None
    rng.shuffle(applicable)
    text = lower
    for _, pattern, replacement in applicable[: rng.choice((1, 1, 2))]:
        spans = _protected(text)
        matches = [m for m in re.finditer(pattern, text)
                   if not any(a <= m.start() < b for a, b in spans)]
        if not matches:
            continue
        m = rng.choice(matches)
        new = replacement(rng)
        new = m.group(1) if new == "@1" else new
        text = text[:m.start()] + new + text[m.end():]
    if text == lower:
        return None
    return text.upper() if name.isupper() and rng.random() < 0.5 else title(text)


_QWERTY = "qwertyuiop asdfghjkl zxcvbnm"
_ROWS = _QWERTY.split()


def _neighbour(letter: str, rng: random.Random) -> str:
    for r, row in enumerate(_ROWS):
        if letter in row:
            c = row.index(letter)
            near = [row[i] for i in (c - 1, c + 1) if 0 <= i < len(row)]
            for other in (r - 1, r + 1):
                if 0 <= other < len(_ROWS) and c < len(_ROWS[other]):
                    near.append(_ROWS[other][c])
            return rng.choice(near)
    return rng.choice("aeiou")


def _edit(word: str, rng: random.Random) -> str:
    """One typing error in ``word``, never in its first letter."""
    lower = word.lower()
    pos = rng.randrange(1, len(word))
    op = rng.choice(("substitute", "delete", "insert", "transpose"))
    if op == "transpose" and pos < len(word) - 1 and lower[pos] != lower[pos + 1]:
        out = lower[:pos] + lower[pos + 1] + lower[pos] + lower[pos + 2:]
    elif op == "delete":
        out = lower[:pos] + lower[pos + 1:]
    elif op == "insert":
        out = lower[:pos] + _neighbour(lower[pos], rng) + lower[pos:]
    else:
        out = lower[:pos] + _neighbour(lower[pos], rng) + lower[pos + 1:]
    return out.upper() if word.isupper() else out if word.islower() else out.capitalize()


def typos(name: str, rng: random.Random) -> str | None:
    words = name.split(" ")
    legal = {w for form in LEGAL_FORM_SWAPS for w in form.split()} | LEGAL_WORDS
    eligible = [i for i, w in enumerate(words)
                if w.isalpha() and len(w) >= 4 and w.lower() not in legal]
    if not eligible:
        return None
    letters = sum(ch.isalpha() for ch in name)
    edits = 2 if letters >= 12 and rng.random() < 0.5 else 1
    if edits == 2 and len(eligible) >= 2:
        for i in rng.sample(eligible, 2):
            words[i] = _edit(words[i], rng)
    else:
        i = rng.choice(eligible)
        words[i] = _edit(words[i], rng)
        if edits == 2 and len(words[i]) >= 8:
            words[i] = _edit(words[i], rng)
    return " ".join(words)


TRAILING_FORM = re.compile(
    r"(?:,?\s+(?:co\.?,?\s*ltd\.?|company,?\s+limited|limited liability company|l\.?l\.?c\.?"
    r"|ltd\.?|limited|gmbh|s\.a\.|inc\.?|corp\.?|corporation|company|co\.?|jsc|plc))+\s*$",
    re.IGNORECASE)
_LEADING_FORM = re.compile(
    r"^(?:limited liability company|public joint stock company|closed joint stock company|"
    r"open joint stock company|joint stock company|obshchestvo s ogranichennoi "
    r"otvetstvennostyu|aktsionernoe obshchestvo)\s+", re.IGNORECASE)


def legal_form(name: str, rng: random.Random) -> str | None:
    trailing = TRAILING_FORM.search(name)
    leading = _LEADING_FORM.search(name)
    if trailing and trailing.start() > 0:
        core = name[:trailing.start()].rstrip(" ,")
        form = re.sub(r"[.,]", "", trailing.group(0)).strip().lower()
        form = re.sub(r"\s+", " ", form)
        if rng.random() < 0.5:
            return core
        swaps = LEGAL_FORM_SWAPS.get(form) or LEGAL_FORMS
        return f"{core} {rng.choice(swaps)}"
    if leading and leading.end() < len(name):
        core = name[leading.end():]
        if rng.random() < 0.5:
            return core
        form = leading.group(0).strip().lower()
        suffix = "JSC" if "stock" in form or "aktsionernoe" in form else "LLC"
        return f"{core} {suffix}"
    return f"{name} {rng.choice(LEGAL_FORMS)}"
