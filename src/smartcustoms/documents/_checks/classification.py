"""The declared HS code against the goods description, through the tariff classifier."""

from __future__ import annotations

from smartcustoms.documents.models import DocumentType

from .findings import Context, DocumentValue, Finding, Severity


class ClassificationCheck:
    """Each item's description verified against its declared HS code by the classifier
    given to ``cross_check`` (none given: the check is silent).

    The text verified is the declared description, or when the item has none the
    description on its invoice line: the shipped classifier reads English, and an invoice
    in another language would make a correct code look wrong. A ``misfit`` verdict is a
    medium finding when the declared chapter gets less than
    ``Tolerance.hs_chapter_probability`` (the description points to another chapter),
    else info; ``doubtful`` and ``fits`` are silent."""

    name = "classification"
    codes = frozenset({"hs-description-misfit"})

    def check(self, ctx: Context) -> list[Finding]:
        if ctx.classifier is None:
            return []
        items = ctx.declaration.items
        line_of: dict[int, tuple[int, int]] = {}  # item -> (invoice, line)
        for pair in ctx.pairs(DocumentType.commercial_invoice):
            if pair.reading is not None and pair.line_in_reading is not None and (
                    pair.item is not None):
                line_of[pair.item] = (pair.reading, pair.line_in_reading)
        jobs: list[tuple[int, str, bool]] = []  # (item, text, text is the invoice's)
        for index, item in enumerate(items):
            if item.description:
                jobs.append((index, item.description, False))
            elif index in line_of:
                r, li = line_of[index]
                text = ctx.invoices[r].document.lines[li].description  # type: ignore[union-attr]
                if text:
                    jobs.append((index, text, True))
        if not jobs:
            return []
        verdicts = ctx.classifier.verify_many([(text, items[i].hs_code) for i, text, _ in jobs])
        out: list[Finding] = []
        for (index, text, from_invoice), verdict in zip(jobs, verdicts, strict=True):
            if verdict.verdict != "misfit":
                continue
            item = items[index]
            chapter = verdict.chapter_probability
            severity = (Severity.medium if chapter < ctx.tolerance.hs_chapter_probability
                        else Severity.info)
            better = [getattr(b, "hs6", str(b)) for b in verdict.better]
            suggestion = f"; the classifier suggests {better[0]}" if better else ""
            document: DocumentValue | None = None
            if index in line_of:
                r, li = line_of[index]
                reading = ctx.invoices[r]
                document = ctx.documented(reading, f"lines[{li}].description",
                                          reading.document.lines[li].description)  # type: ignore[union-attr]
            source = "invoice description" if from_invoice else "description"
            out.append(Finding(
                code="hs-description-misfit", severity=severity,
                message=f"Item {item.sequence}: the {source} '{text}' does not fit the declared "
                        f"HS code {item.hs_code} (probability {verdict.probability:.1%}, "
                        f"chapter {chapter:.1%}){suggestion}. {verdict.reason}",
                declared=ctx.declared(f"items[{index}].hs_code", item.hs_code),
                document=document,
                tolerance=f"medium below {ctx.tolerance.hs_chapter_probability:.0%} for the "
                          "declared chapter",
                details={"probability": verdict.probability, "chapter_probability": chapter,
                         "better": better[0] if better else None,
                         "verdict": verdict.verdict}))
        return out
