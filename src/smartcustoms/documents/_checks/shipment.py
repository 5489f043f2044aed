"""Parties, delivery terms with freight and insurance, dates and document references."""

from __future__ import annotations

import re
from dataclasses import dataclass

from smartcustoms.declarations.models import Money, Party, PartyRole
from smartcustoms.documents.models import DocumentParty, DocumentReading, DocumentType

from .findings import Context, Finding, Severity, text
from .parties import compare_party_names, is_to_order
from .values import doc_name, missing_finding

_R = PartyRole
_INVOICE, _PACKING, _LADING = (DocumentType.commercial_invoice, DocumentType.packing_list,
                               DocumentType.bill_of_lading)

# --- parties ----------------------------------------------------------------------------------
# A document's party and the declared roles it stands for, first present role compared.
PARTY_ROLES: dict[tuple[DocumentType, str], tuple[PartyRole, ...]] = {
    (_INVOICE, "seller"): (_R.seller, _R.exporter, _R.consignor),
    (_INVOICE, "buyer"): (_R.buyer, _R.importer, _R.consignee),
    (_PACKING, "shipper"): (_R.consignor, _R.exporter, _R.seller),
    (_PACKING, "consignee"): (_R.consignee, _R.importer, _R.buyer),
    (_LADING, "shipper"): (_R.consignor, _R.exporter, _R.seller),
    (_LADING, "consignee"): (_R.consignee, _R.importer, _R.buyer),
}


def _identifier(value: str | None) -> str | None:
    return re.sub(r"[^0-9A-Z]", "", value.upper()) or None if value else None


class PartyCheck:
    """Seller, buyer, shipper and consignee on the documents against the declared parties
    (fuzzy names, legal forms normalised; see ``compare_party_names``)."""

    name = "parties"
    codes = frozenset({"party-mismatch", "document-field-missing"})

    def check(self, ctx: Context) -> list[Finding]:
        declared = {p.role: (i, p) for i, p in enumerate(ctx.declaration.parties)
                    if p.name is not None}
        out: list[Finding] = []
        for reading in ctx.readings:
            for (kind, field), roles in PARTY_ROLES.items():
                if reading.document.document_type != kind:
                    continue
                role = next((r for r in roles if r in declared), None)
                if role is None:
                    continue
                index, party = declared[role]
                printed: DocumentParty | None = getattr(reading.document, field)
                if printed is None or printed.name is None:
                    if ctx.reader_missed(reading, f"{field}.name"):
                        out.append(missing_finding(ctx, reading, f"{field}.name",
                                                   f"parties[{index}].name", party.name,
                                                   f"The {field}'s name"))
                    continue
                if is_to_order(printed.name):
                    continue
                found = self._compare(ctx, reading, field, printed, index, party)
                if found is not None:
                    out.append(found)
        return out

    @staticmethod
    def _compare(ctx: Context, reading: DocumentReading, field: str, printed: DocumentParty,
                 index: int, party: Party) -> Finding | None:
        assert party.name is not None and printed.name is not None
        match = compare_party_names(party.name, printed.name,
                                    threshold=ctx.tolerance.party_similarity)
        if match.same:
            return None
        same_id = (_identifier(party.identifier) is not None
                   and _identifier(party.identifier) == _identifier(printed.identifier))
        names_differ = match.similarity < ctx.tolerance.party_similarity
        severity = Severity.high if names_differ and not same_id else Severity.medium
        note = "; the identifiers agree" if same_id else ""
        return Finding(
            code="party-mismatch", severity=severity,
            message=f"Declared {party.role.value} '{party.name}' is not the {field} "
                    f"'{printed.name}' on the {doc_name(reading)}: {match.reason}{note}",
            declared=ctx.declared(f"parties[{index}].name", party.name),
            document=ctx.documented(reading, f"{field}.name", printed.name),
            tolerance=f"similarity >= {ctx.tolerance.party_similarity:.0f} of 100, legal forms "
                      "set aside but not contradicting",
            details={"similarity": match.similarity, "role": party.role.value,
                     "declared_legal_forms": "/".join(sorted(match.left.legal_forms)) or None,
                     "documented_legal_forms": "/".join(sorted(match.right.legal_forms))
                     or None})


# --- delivery terms -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class IncotermCosts:
    """What the price on an invoice under an Incoterms 2020 rule covers."""

    main_carriage: bool  # carriage to the named place of destination
    insurance: bool      # insurance of the main carriage (or the seller bears that risk)


INCOTERM_COSTS: dict[str, IncotermCosts] = {
    # E and F rules: the buyer pays the main carriage and bears its risk.
    "EXW": IncotermCosts(False, False), "FCA": IncotermCosts(False, False),
    "FAS": IncotermCosts(False, False), "FOB": IncotermCosts(False, False),
    # C rules: the seller pays the main carriage; under CIF and CIP also the insurance.
    "CFR": IncotermCosts(True, False), "CPT": IncotermCosts(True, False),
    "CIF": IncotermCosts(True, True), "CIP": IncotermCosts(True, True),
    # D rules: the seller delivers at destination, carrying cost and risk.
    "DAP": IncotermCosts(True, True), "DPU": IncotermCosts(True, True),
    "DDP": IncotermCosts(True, True),
}
# UN/EDIFACT 1001 document that proves the cost of transport: 780 freight invoice.
FREIGHT_DOCUMENTS = frozenset({"780", "N780"})


class IncotermCheck:
    """The declared Incoterm against the invoice's, and declared freight and insurance
    against what the terms include and what the invoice charges (``INCOTERM_COSTS``)."""

    name = "incoterm"
    codes = frozenset({"incoterm-mismatch", "freight-mismatch", "insurance-mismatch",
                       "freight-inconsistent-with-incoterm",
                       "insurance-inconsistent-with-incoterm", "declaration-field-missing",
                       "document-field-missing"})

    def check(self, ctx: Context) -> list[Finding]:
        decl = ctx.declaration
        declared_terms = decl.trade_terms.incoterm if decl.trade_terms else None
        reading = next((r for r in ctx.invoices if r.document.trade_terms is not None),
                       ctx.invoices[0] if ctx.invoices else None)
        terms = reading.document.trade_terms if reading is not None else None  # type: ignore[union-attr]
        documented_terms = terms.incoterm if terms is not None else None
        out: list[Finding] = []
        if reading is not None and documented_terms is None and declared_terms and (
                ctx.reader_missed(reading, "trade_terms.incoterm")):
            out.append(missing_finding(ctx, reading, "trade_terms.incoterm",
                                       "trade_terms.incoterm", declared_terms, "The Incoterm"))
        if declared_terms and documented_terms and declared_terms != documented_terms:
            assert reading is not None
            out.append(self._mismatch(ctx, reading, declared_terms, documented_terms))
        governing = documented_terms or declared_terms
        if governing is None or governing not in INCOTERM_COSTS:
            return out
        out += self._charge(ctx, reading, "freight", governing, declared_terms,
                            documented_terms)
        out += self._charge(ctx, reading, "insurance", governing, declared_terms,
                            documented_terms)
        return out

    @staticmethod
    def _mismatch(ctx: Context, reading: DocumentReading, declared: str,
                  documented: str) -> Finding:
        a, b = INCOTERM_COSTS.get(declared), INCOTERM_COSTS.get(documented)
        changes_value = a != b
        effect = (" and they differ in whether the price includes main carriage or insurance"
                  if changes_value else "")
        return Finding(
            code="incoterm-mismatch", severity=Severity.high if changes_value else Severity.low,
            message=f"Declared Incoterm {declared} differs from {documented} on the "
                    f"{doc_name(reading)}{effect}",
            declared=ctx.declared("trade_terms.incoterm", declared),
            document=ctx.documented(reading, "trade_terms.incoterm", documented))

    @staticmethod
    def _charge(ctx: Context, reading: DocumentReading | None, charge: str, governing: str,
                declared_terms: str | None, documented_terms: str | None) -> list[Finding]:
        declared: Money | None = getattr(ctx.declaration, charge)
        invoiced: Money | None = (getattr(reading.document, charge) if reading is not None
                                  else None)
        included = getattr(INCOTERM_COSTS[governing], "main_carriage" if charge == "freight"
                           else "insurance")
        code = f"{charge}-inconsistent-with-incoterm"
        if reading is not None and invoiced is not None:
            if declared is None:
                return [Finding(
                    code=f"{charge}-mismatch",
                    severity=Severity.high if charge == "freight" else Severity.medium,
                    message=f"The {doc_name(reading)} ({documented_terms or governing}) charges "
                            f"{charge} of {text(invoiced)}, but no {charge} is declared",
                    declared=ctx.declared(charge, None),
                    document=ctx.documented(reading, charge, invoiced))]
            converted = ctx.in_declared_currency(declared, invoiced)
            if converted is None:
                return []
            allowed = ctx.tolerance.money_allowed(converted)
            if abs(declared.amount - converted) <= allowed:
                return []
            return [Finding(
                code=f"{charge}-mismatch",
                severity=Severity.high if declared.amount < converted else Severity.medium,
                message=f"Declared {charge} {text(declared)} differs from {text(invoiced)} on "
                        f"the {doc_name(reading)}{ctx.rate_text()}",
                declared=ctx.declared(charge, declared),
                document=ctx.documented(reading, charge, invoiced),
                tolerance=ctx.tolerance.money_text(),
                details={"difference": str(declared.amount - converted)})]
        document = (ctx.documented(reading, "trade_terms.incoterm", documented_terms)
                    if reading is not None and documented_terms else None)
        if included:
            # The price includes it and the invoice shows no separate amount.
            if declared is not None and reading is not None and ctx.reader_missed(
                    reading, charge):
                return [missing_finding(ctx, reading, charge, charge, declared,
                                        f"The {charge}")]
            if declared is not None and declared.amount > 0 and documented_terms:
                return [Finding(
                    code=code, severity=Severity.low,
                    message=f"{charge.capitalize()} of {text(declared)} is declared although "
                            f"the invoice price ({documented_terms}) already includes it; it "
                            "must not be added twice",
                    declared=ctx.declared(charge, declared), document=document)]
            return []
        declared_includes = declared_terms is not None and getattr(
            INCOTERM_COSTS.get(declared_terms, IncotermCosts(False, False)),
            "main_carriage" if charge == "freight" else "insurance")
        if declared is None:
            if declared_includes and documented_terms:
                return [Finding(
                    code=code, severity=Severity.high if charge == "freight" else Severity.medium,
                    message=f"Declared {declared_terms} includes {charge}, but the invoice is "
                            f"{documented_terms}, whose price excludes it: the {charge} must be "
                            "declared",
                    declared=ctx.declared(charge, None), document=document)]
            if charge == "freight":
                return [Finding(
                    code="declaration-field-missing", severity=Severity.info,
                    message=f"No freight is declared; under {governing} the price excludes "
                            "main carriage, so the cost of transport to the place of entry "
                            "belongs in the customs value",
                    declared=ctx.declared(charge, None), document=document)]
            return []
        if charge == "freight" and declared.amount == 0 and not _has_freight_document(ctx):
            return [Finding(
                code=code, severity=Severity.medium,
                message=f"Freight is declared as 0 under {governing}, whose price excludes main "
                        "carriage, and no freight invoice (document 780) is declared",
                declared=ctx.declared(charge, declared), document=document)]
        return []


def _has_freight_document(ctx: Context) -> bool:
    decl = ctx.declaration
    references = [*decl.documents, *(d for item in decl.items for d in item.documents)]
    return any(d.type_code.upper() in FREIGHT_DOCUMENTS for d in references)


# --- dates and references ------------------------------------------------------------------
# UN/EDIFACT 1001 codes (with the EU's 'N' prefix) under which each document is declared.
DOCUMENT_CODES: dict[DocumentType, frozenset[str]] = {
    _INVOICE: frozenset({"380"}),
    _PACKING: frozenset({"271"}),
    _LADING: frozenset({"705", "706", "714"}),
}


def _reference_key(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", value.upper())


class DateCheck:
    """Document dates against the declaration date, and the declared document references
    (number and issue date) against the documents."""

    name = "dates"
    codes = frozenset({"invoice-after-declaration", "document-after-declaration",
                       "document-reference-mismatch", "document-date-mismatch"})

    def check(self, ctx: Context) -> list[Finding]:
        decl = ctx.declaration
        out: list[Finding] = []
        for reading in ctx.readings:
            date = reading.document.date
            if date is not None and date > decl.declaration_date:
                invoice = reading.document_type is _INVOICE
                days = (date - decl.declaration_date).days
                out.append(Finding(
                    code="invoice-after-declaration" if invoice else "document-after-declaration",
                    severity=Severity.high if invoice else Severity.medium,
                    message=f"The {doc_name(reading)} is dated {date.isoformat()}, {days} day(s) "
                            f"after the declaration date {decl.declaration_date.isoformat()}",
                    declared=ctx.declared("declaration_date", decl.declaration_date),
                    document=ctx.documented(reading, "date", date), tolerance="0 days",
                    details={"days": days}))
            out += self._reference(ctx, reading)
        return out

    @staticmethod
    def _reference(ctx: Context, reading: DocumentReading) -> list[Finding]:
        number = reading.document.number
        codes = DOCUMENT_CODES[reading.document_type]
        declared = [(i, d) for i, d in enumerate(ctx.declaration.documents)
                    if d.type_code.upper().removeprefix("N") in codes]
        if number is None or not declared:
            return []
        key = _reference_key(number)
        same = next(((i, d) for i, d in declared if _reference_key(d.reference) == key), None)
        if same is None:
            index, first = declared[0]
            listed = ", ".join(d.reference for _, d in declared)
            return [Finding(
                code="document-reference-mismatch", severity=Severity.medium,
                message=f"The {doc_name(reading)} is not among the declared references of its "
                        f"type ({listed})",
                declared=ctx.declared(f"documents[{index}].reference", first.reference),
                document=ctx.documented(reading, "number", number))]
        index, ref = same
        date = reading.document.date
        if ref.issue_date is None or date is None or ref.issue_date == date:
            return []
        return [Finding(
            code="document-date-mismatch", severity=Severity.low,
            message=f"Declared issue date {ref.issue_date.isoformat()} of document "
                    f"{ref.reference} differs from {date.isoformat()} on the {doc_name(reading)}",
            declared=ctx.declared(f"documents[{index}].issue_date", ref.issue_date),
            document=ctx.documented(reading, "date", date))]
