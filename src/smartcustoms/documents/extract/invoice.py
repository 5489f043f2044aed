"""Reading a commercial invoice: header fields, parties, the line table, the totals,
and the arithmetic between them (checked, never corrected)."""

from __future__ import annotations

import re
from decimal import Decimal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from smartcustoms.declarations.models import Money, Quantity, TradeTerms
from smartcustoms.documents.errors import DocumentValueInvalid
from smartcustoms.documents.extract.common import (
    Context,
    date_reader,
    document_currency,
    missing_paths,
    reference,
    return_address,
    window_party,
)
from smartcustoms.documents.extract.labels import Candidate, PageText
from smartcustoms.documents.extract.layout import Word
from smartcustoms.documents.extract.lexicon import COLUMNS, label_key
from smartcustoms.documents.extract.tables import Row, Table, read_table
from smartcustoms.documents.models import CommercialInvoice, InvoiceLine
from smartcustoms.documents.parsing import (
    parse_amount,
    parse_country,
    parse_incoterm,
    parse_unit,
)

_WANTED = (frozenset({"description", "amount"}), frozenset({"description", "unit_price"}),
           frozenset({"description", "qty"}))
LINE_FIELDS = ("description", "quantity", "unit_price", "amount", "hs_code", "origin_country")
_COLUMN_OF = {"quantity": "qty", "unit_price": "unit_price", "amount": "amount",
              "hs_code": "hs", "origin_country": "origin", "description": "description"}
_HS_LABELS = frozenset(p for p, e in COLUMNS.items() if e.key == "hs")
_ORIGIN_LABELS = frozenset(p for p, e in COLUMNS.items() if e.key == "origin")
# An OCR'd 'Código SA' read 'Cédigo SA' or 'Código Ba', 'Country of Origin' read 'County
# of Origin': one letter off a label of at least this many letters is still the code's
# label, when a whole HS code or a country follows it.
_FUZZY_CODE_LABEL = 6
_COMPACT_CODE_LABELS = {p.replace(" ", ""): key for key, labels in (
    ("hs", _HS_LABELS), ("origin", _ORIGIN_LABELS)) for p in labels
    if len(p.replace(" ", "")) >= _FUZZY_CODE_LABEL}
_CODE_LABEL_KEYS = sorted(_COMPACT_CODE_LABELS)  # in a fixed order: the same match each run


def read_invoice(text: PageText, fallback_seller: Candidate | None) -> tuple[
        CommercialInvoice, Context, list[str]]:
    table = read_table(text, wanted=_WANTED, consume_total=False)
    ctx = Context.build(text)
    currency, _certainty = document_currency(ctx, table.currency_word if table else None)

    def terms(c: Candidate) -> tuple[TradeTerms, float]:
        incoterm, place = parse_incoterm(c.text, field="trade_terms")
        return TradeTerms(incoterm=incoterm, place=place), 1.0

    seller = ctx.party("seller", "seller")
    buyer = ctx.party("buyer", "buyer") or ctx.party("consignee", "buyer")
    sender = return_address(ctx, "seller") if seller is None else None
    if sender is not None:
        seller = sender[0]
        if buyer is None:
            buyer = window_party(ctx, sender[1], "buyer")
    elif seller is None and fallback_seller is not None:
        seller = ctx.party("seller", "seller", fallback=fallback_seller)
    values: dict[str, object] = {
        "number": ctx.read("number", "number", reference),
        "date": ctx.read("date", "date", date_reader(ctx)),
        "seller": seller,
        "buyer": buyer,
        "currency": currency,
    }
    trade_terms = ctx.read("terms", "trade_terms", terms)
    if trade_terms is not None:
        evidence = ctx.evidence.pop("trade_terms")
        ctx.evidence["trade_terms.incoterm"] = evidence
        if trade_terms.place:
            ctx.evidence["trade_terms.place"] = evidence
    values["trade_terms"] = trade_terms
    lines, absent = _lines(ctx, table, currency)
    values["lines"] = lines
    for key in ("subtotal", "discount", "freight", "insurance", "total"):
        values[key] = ctx.read(key, key, lambda c, k=key: ctx.amount(c, k, currency),
                               last=True, below=False)
    invoice = CommercialInvoice(**values)  # type: ignore[arg-type]
    _check_sums(ctx, invoice)
    missing = missing_paths(invoice, {"lines": LINE_FIELDS}, {"lines": absent})
    return invoice, ctx, missing


def _lines(ctx: Context, table: Table | None, currency: str | None
           ) -> tuple[list[InvoiceLine], set[str]]:
    if table is None:
        return [], set()
    ctx.learn_from_counts(table.rows)
    inline: set[str] = set()
    out = []
    for index, row in enumerate(table.rows):
        line, found_inline = _line(ctx, table, row, index, currency)
        inline |= found_inline
        out.append(line)
    absent = {f for f, column in _COLUMN_OF.items() if not table.has(column)}
    absent -= {field for field, column in _COLUMN_OF.items() if column in inline}
    if not table.has("unit") and "quantity" in absent:
        absent.add("quantity")
    return out, absent


def _line(ctx: Context, table: Table, row: Row, index: int, currency: str | None
          ) -> tuple[InvoiceLine, set[str]]:
    path = f"lines[{index}]"
    values: dict[str, object] = {}
    description_lines, codes = _description(row)
    if description_lines:
        values["description"] = " ".join(t for t, _ws in description_lines)
        ctx.note(f"{path}.description", [w for _t, ws in description_lines for w in ws],
                 0.93, method="pdf-table")
    mark = ctx.decimal_mark
    certainty = ctx.certainty()
    qty_words = row.cells.get("qty", [])
    unread: tuple[Word, str] | None = None  # a quantity that may have its 'l' run into it
    if qty_words:
        unit_text = row.text("unit") or table.note("qty")
        try:
            unit = parse_unit(unit_text, field=f"{path}.quantity") if unit_text else None
            value, code, sure = ctx.quantity(row.text("qty"), f"{path}.quantity",
                                             unit=unit)
            values["quantity"] = Quantity(value=value, unit=code)
            ctx.note(f"{path}.quantity", qty_words + row.cells.get("unit", []),
                     0.95 * sure, method="pdf-table")
        except (DocumentValueInvalid, ValueError) as exc:
            glued = None if unit_text else _glued_litre(qty_words)
            if glued is None:
                ctx.problem(f"{path}.quantity", str(exc), row.text("qty"))
            else:
                unread = (glued, str(exc))
    for key in ("unit_price", "amount"):
        words = row.cells.get(key, [])
        if not words:
            continue
        try:
            amount, printed = parse_amount(row.text(key), decimal_mark=mark,
                                           field=f"{path}.{key}")
            code = printed or currency
            if code is None:
                raise DocumentValueInvalid(f"{path}.{key}: no currency known",
                                           field=f"{path}.{key}")
            values[key] = Money(amount=abs(amount), currency=code)
            ctx.note(f"{path}.{key}", words, 0.95 * certainty, method="pdf-table")
        except (DocumentValueInvalid, ValueError) as exc:
            ctx.problem(f"{path}.{key}", str(exc), row.text(key))
    hs_words = row.cells.get("hs", []) or codes.get("hs", [])
    if hs_words:
        digits = "".join(ch for ch in " ".join(w.text for w in hs_words) if ch.isdigit())
        if len(digits) in (6, 8, 10):
            values["hs_code"] = digits
            ctx.note(f"{path}.hs_code", hs_words, 0.95, method="pdf-table")
        else:
            ctx.problem(f"{path}.hs_code", "an HS code has 6, 8 or 10 digits",
                        " ".join(w.text for w in hs_words))
    origin_words = row.cells.get("origin", []) or codes.get("origin", [])
    if origin_words:
        text = " ".join(w.text for w in origin_words)
        try:
            values["origin_country"] = parse_country(text, field=f"{path}.origin_country")
            ctx.note(f"{path}.origin_country", origin_words, 0.95, method="pdf-table")
        except DocumentValueInvalid as exc:
            ctx.problem(f"{path}.origin_country", exc.detail, text)
    if unread is not None:
        _take_glued_litre(ctx, values, unread, path)
    line = InvoiceLine(**values)  # type: ignore[arg-type]
    line = _check_line(ctx, line, path) or line
    return line, set(codes)


def _description(row: Row) -> tuple[list[tuple[str, list[Word]]], dict[str, list[Word]]]:
    """Description lines, without 'HS code: 8471.30  Origin: China' lines, which are
    returned apart."""
    lines: list[list[Word]] = []
    for word in row.cells.get("description", []):
        if lines and abs(lines[-1][-1].bottom - word.bottom) <= 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    kept: list[tuple[str, list[Word]]] = []
    codes: dict[str, list[Word]] = {}
    after_codes = False
    for words in lines:
        found = _inline_codes(words)
        if found:
            codes.update(found)
            after_codes = True
            continue
        if after_codes and "origin" in codes and _continues_country(codes["origin"], words):
            codes["origin"] = codes["origin"] + words  # 'Corea del' / 'Sur'
            continue
        after_codes = False
        kept.append((" ".join(w.text for w in words), words))
    return kept, codes


def _continues_country(origin: list[Word], words: list[Word]) -> bool:
    """True when ``words`` complete a country name wrapped from the line above."""
    head = " ".join(w.text for w in origin)
    try:
        parse_country(head)
        return False
    except DocumentValueInvalid:
        pass
    try:
        parse_country(head + " " + " ".join(w.text for w in words))
    except DocumentValueInvalid:
        return False
    return True


def _inline_codes(words: list[Word]) -> dict[str, list[Word]]:
    """{'hs': words, 'origin': words} when the line is 'HS: … Origin: …' (either part)."""
    out: dict[str, list[Word]] = {}
    index = 0
    current: str | None = None
    fuzzy: set[str] = set()  # codes whose label was read one letter off
    keys = [label_key(w.text) for w in words]
    while index < len(words):
        matched = None
        for count in range(min(4, len(words) - index), 0, -1):
            joined = " ".join(k for k in keys[index:index + count] if k)
            if joined in _HS_LABELS or joined == "hs":
                matched = ("hs", count)
            elif joined in _ORIGIN_LABELS:
                matched = ("origin", count)
            elif (misread := _misread_code_label(joined, words[index:index + count])):
                matched = (misread, count)
                fuzzy.add(misread)
            if matched:
                break
        if matched is not None:
            current = matched[0]
            out.setdefault(current, [])
            index += matched[1]
            continue
        if current is None:
            return {}
        if words[index].text not in (":", "-", "/", "|"):
            out[current].append(words[index])
        index += 1
    if "hs" in out and not any(ch.isdigit() for w in out["hs"] for ch in w.text):
        return {}
    if "hs" in fuzzy and len([ch for w in out.get("hs", []) for ch in w.text
                              if ch.isdigit()]) not in (6, 8, 10):
        return {}  # a word like a label ('Partido 2 piezas') starts a description line
    if "origin" in fuzzy and not _is_country(out.get("origin", [])):
        return {}
    return {k: v for k, v in out.items() if v}


def _is_country(words: list[Word]) -> bool:
    try:
        parse_country(" ".join(w.text for w in words))
    except DocumentValueInvalid:
        return False
    return True


def _misread_code_label(joined: str, words: list[Word]) -> str | None:
    """'hs' or 'origin' when OCR'd ``words`` (key ``joined``) are such a label with one
    letter misread; None otherwise."""
    compact = joined.replace(" ", "")
    if len(compact) < _FUZZY_CODE_LABEL or not all(w.source == "ocr" for w in words):
        return None
    found = process.extractOne(compact, _CODE_LABEL_KEYS, scorer=OSA.distance,
                               score_cutoff=1)
    return None if found is None else _COMPACT_CODE_LABELS[found[0]]


_GLUED_LITRE = re.compile(r"^(\d[\d.,'’]*)1$")


def _glued_litre(words: list[Word]) -> Word | None:
    """A quantity cell of one OCR word that may be a number with the litre sign run into
    it as a '1' ('5451' for '545 l'), as that reading (named, less sure); None otherwise."""
    if len(words) != 1 or words[0].source != "ocr":
        return None
    found = _GLUED_LITRE.match(words[0].read_as or words[0].text)  # as OCR read it
    if found is None:
        return None
    from smartcustoms.documents.extract.ocrcells import repaired

    return repaired(words[0], f"{found.group(1)} l")


def _take_glued_litre(ctx: Context, values: dict[str, object], unread: tuple[Word, str],
                      path: str) -> None:
    """The quantity read as '545 l' when the line's unit price × it gives its amount; the
    quantity's problem otherwise. A unit-less '5451' has no reading of its own, and the
    line's arithmetic is what tells the litre sign from a digit."""
    word, problem = unread
    price, amount = values.get("unit_price"), values.get("amount")
    try:
        value, code, _sure = ctx.quantity(word.text, f"{path}.quantity", unit=None)
    except (DocumentValueInvalid, ValueError):
        value = None
    if value is None or not isinstance(price, Money) or not isinstance(amount, Money) or abs(
            value * price.amount - amount.amount) > max(Decimal("0.011"),
                                                        abs(amount.amount) * Decimal("0.0005")):
        ctx.problem(f"{path}.quantity", problem, word.read_as)
        return
    values["quantity"] = Quantity(value=value, unit=code)
    ctx.note(f"{path}.quantity", [word], 0.95 * ARITHMETIC_REPAIR, method="pdf-table")


# OCR at 150 dpi loses a decimal point now and then ('2.57' read as '257'). When a line's
# quantity × unit price misses its amount, and one of the three read by OCR without a
# decimal mark, divided by 10, 100 or 1000, and only that one, makes the line add up, that
# reading is taken: named in the evidence text, with a lower confidence. Where a round
# quantity makes two readings add up, the money value with its cents put back is taken.
ARITHMETIC_REPAIR = 0.85


def _lost_decimal_mark(ctx: Context, line: InvoiceLine, path: str) -> InvoiceLine | None:
    assert line.quantity is not None and line.unit_price is not None
    assert line.amount is not None
    values = {"quantity": line.quantity.value, "unit_price": line.unit_price.amount,
              "amount": line.amount.amount}
    found: list[tuple[str, Decimal]] = []
    for key, value in values.items():
        evidence = ctx.evidence.get(f"{path}.{key}")
        if evidence is None or evidence.method != "ocr" or any(
                mark in evidence.text.split(" (OCR")[0] for mark in ".,'"):
            continue
        for divisor in (Decimal(10), Decimal(100), Decimal(1000)):
            trial = dict(values, **{key: value / divisor})
            expected = trial["quantity"] * trial["unit_price"]
            tolerance = max(Decimal("0.011"), abs(expected) * Decimal("0.0005"))
            if abs(expected - trial["amount"]) <= tolerance:
                found.append((key, trial[key], divisor))
    if len(found) > 1:
        # '100' × '617' = 617.00: the quantity 1.00 or the price 6.17. Money is printed
        # with its cents and a count of pieces mostly without decimals: the price.
        found = [f for f in found if f[0] != "quantity" and f[2] == 100]
    if len(found) != 1:
        return None
    key, value, _divisor = found[0]
    evidence = ctx.evidence[f"{path}.{key}"]
    ctx.evidence[f"{path}.{key}"] = evidence.model_copy(update={
        "confidence": round(evidence.confidence * ARITHMETIC_REPAIR, 3),
        "text": f"{evidence.text} (OCR read {values[key]} without its decimal mark; "
                f"quantity × unit price = amount gives {value})"})
    if key == "quantity":
        assert line.quantity is not None
        return line.model_copy(update={"quantity": line.quantity.model_copy(
            update={"value": value})})
    money = getattr(line, key)
    return line.model_copy(update={key: money.model_copy(update={"amount": value})})


def _check_line(ctx: Context, line: InvoiceLine, path: str) -> InvoiceLine | None:
    if line.quantity is None or line.unit_price is None or line.amount is None:
        return None
    expected = line.quantity.value * line.unit_price.amount
    tolerance = max(Decimal("0.011"), abs(expected) * Decimal("0.0005"))
    if abs(expected - line.amount.amount) > tolerance:
        fixed = _lost_decimal_mark(ctx, line, path)
        if fixed is not None:
            return fixed
        ctx.problem(f"{path}.amount", f"quantity × unit price is {expected:.2f}, the line "
                    f"says {line.amount.amount}", str(line.amount.amount))
        return None
    for key in ("quantity", "unit_price", "amount"):
        evidence = ctx.evidence.get(f"{path}.{key}")
        if evidence is not None:
            ctx.evidence[f"{path}.{key}"] = evidence.model_copy(
                update={"confidence": max(evidence.confidence, 0.99)})
    return None


def _check_sums(ctx: Context, invoice: CommercialInvoice) -> None:
    amounts = [line.amount.amount for line in invoice.lines if line.amount is not None]
    if not amounts or len(amounts) != len(invoice.lines):
        return
    goods = sum(amounts, Decimal(0))
    tolerance = Decimal("0.01")
    if invoice.subtotal is not None and abs(invoice.subtotal.amount - goods) > tolerance:
        ctx.problem("subtotal", f"the lines add up to {goods}, the subtotal says "
                    f"{invoice.subtotal.amount}", str(invoice.subtotal.amount))
    if invoice.total is not None:
        base = invoice.subtotal.amount if invoice.subtotal is not None else goods
        expected = base
        for key, sign in (("discount", -1), ("freight", 1), ("insurance", 1)):
            value = getattr(invoice, key)
            if value is not None:
                expected += sign * value.amount
        if abs(expected - invoice.total.amount) > tolerance:
            ctx.problem("total", f"subtotal, discount, freight and insurance give {expected}, "
                        f"the total says {invoice.total.amount}", str(invoice.total.amount))
        else:
            for key in ("total", "subtotal", "discount", "freight", "insurance"):
                evidence = ctx.evidence.get(key)
                if evidence is not None:
                    ctx.evidence[key] = evidence.model_copy(
                        update={"confidence": max(evidence.confidence, 0.99)})
