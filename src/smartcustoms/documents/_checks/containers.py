"""Containers (ISO 6346, declared against the bill of lading and packing list) and seals."""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from smartcustoms.declarations.types import iso6346_check_digit
from smartcustoms.documents.models import DocumentReading, DocumentType

from .findings import Context, Finding, Severity
from .values import doc_name, missing_finding

_LADING = DocumentType.bill_of_lading

SEAL_KEY = "seals."  # national['seals.<container>'] = 'seal seal ...'
_SEAL_SPLIT = re.compile(r"[\s,;/]+")


def check_digit_ok(number: str) -> bool:
    compact = number.replace(" ", "").replace("-", "").upper()
    return (len(compact) == 11 and compact[:4].isalpha() and compact[4:].isdigit()
            and iso6346_check_digit(compact[:10]) == int(compact[10]))


def _seal_key(seal: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", seal.upper())


class ContainerCheck:
    """Declared containers against the bill of lading and packing list (ISO 6346 check
    digits on both sides), and declared seals against the bill of lading.

    The declaration model has no seal element yet (WCO ID 165): seals are read from
    ``national['seals.<container number>']``, separated by spaces, commas or slashes. A
    declaration without such keys has its seals left uncompared; the bill of lading's own
    seals are still checked for numbers repeated across containers."""

    name = "containers"
    codes = frozenset({"container-mismatch", "container-check-digit", "seal-mismatch",
                       "seal-duplicate", "document-field-missing"})

    def check(self, ctx: Context) -> list[Finding]:
        out: list[Finding] = []
        declared = list(ctx.declaration.containers)
        for index, number in enumerate(declared):
            if not check_digit_ok(number):
                out.append(Finding(
                    code="container-check-digit", severity=Severity.high,
                    message=f"Declared container {number} fails the ISO 6346 check digit",
                    declared=ctx.declared(f"containers[{index}]", number)))
        for reading in (*ctx.bills, *ctx.packing_lists):
            out += self._check_digits(ctx, reading)
            out += self._containers(ctx, reading, declared)
        for reading in ctx.bills:
            out += self._seals(ctx, reading)
        return out

    @staticmethod
    def _numbers(reading: DocumentReading) -> list[tuple[str, str]]:
        """(number, field path) of the document's containers."""
        document = reading.document
        if document.document_type == _LADING:
            return [(c.number, f"containers[{i}].number")
                    for i, c in enumerate(document.containers)]  # type: ignore[union-attr]
        return [(c, f"containers[{i}]")
                for i, c in enumerate(document.containers)]  # type: ignore[union-attr]

    @staticmethod
    def _check_digits(ctx: Context, reading: DocumentReading) -> list[Finding]:
        return [Finding(
            code="container-check-digit", severity=Severity.medium,
            message=f"Container {problem.text or ''} on the {doc_name(reading)} fails the ISO "
                    "6346 check digit (misprinted or altered); it was not read as a container",
            document=ctx.documented(reading, "containers", problem.text).model_copy(
                update={"evidence": problem.evidence}))
            for problem in reading.problems
            if problem.field.startswith("containers") and "check digit" in problem.message]

    def _containers(self, ctx: Context, reading: DocumentReading,
                    declared: list[str]) -> list[Finding]:
        printed = self._numbers(reading)
        if not printed:
            if declared and reading.document_type == _LADING and ctx.reader_missed(
                    reading, "containers"):
                return [missing_finding(ctx, reading, "containers", "containers", declared,
                                        "The containers")]
            return []
        if not declared:
            return [Finding(
                code="container-mismatch", severity=Severity.medium,
                message=f"The {doc_name(reading)} lists containers "
                        f"{', '.join(n for n, _ in printed)} but none is declared",
                declared=ctx.declared("containers", None),
                document=ctx.documented(reading, printed[0][1], printed[0][0]))]
        on_document = {n for n, _ in printed}
        extra = [(n, p) for n, p in printed if n not in declared]
        absent = [(i, n) for i, n in enumerate(declared) if n not in on_document]
        out: list[Finding] = []
        for number, path in extra:
            near = min(absent, key=lambda a: Levenshtein.distance(a[1], number), default=None)
            if near is not None and Levenshtein.distance(near[1], number) <= 3:
                absent.remove(near)
                out.append(Finding(
                    code="container-mismatch", severity=Severity.high,
                    message=f"Declared container {near[1]} is {number} on the "
                            f"{doc_name(reading)} ({Levenshtein.distance(near[1], number)} "
                            "character(s) differ)",
                    declared=ctx.declared(f"containers[{near[0]}]", near[1]),
                    document=ctx.documented(reading, path, number)))
            else:
                out.append(Finding(
                    code="container-mismatch", severity=Severity.high,
                    message=f"Container {number} on the {doc_name(reading)} is not declared",
                    declared=ctx.declared("containers", declared),
                    document=ctx.documented(reading, path, number)))
        for index, number in absent:
            out.append(Finding(
                code="container-mismatch", severity=Severity.high,
                message=f"Declared container {number} is not on the {doc_name(reading)}",
                declared=ctx.declared(f"containers[{index}]", number),
                document=ctx.documented(reading, "containers", [n for n, _ in printed])))
        return out

    @staticmethod
    def _seals(ctx: Context, reading: DocumentReading) -> list[Finding]:
        national = ctx.declaration.national
        declared_any = any(key.startswith(SEAL_KEY) for key in national)
        out: list[Finding] = []
        seen: dict[str, str] = {}
        for i, container in enumerate(reading.document.containers):  # type: ignore[union-attr]
            path = f"containers[{i}].seals"
            for seal in container.seals:
                other = seen.setdefault(_seal_key(seal), container.number)
                if other != container.number:
                    out.append(Finding(
                        code="seal-duplicate", severity=Severity.low,
                        message=f"Seal {seal} is printed for containers {other} and "
                                f"{container.number} on the {doc_name(reading)}",
                        document=ctx.documented(reading, path, container.seals)))
            key = f"{SEAL_KEY}{container.number}"
            if not declared_any or key not in national:
                continue
            declared = [s for s in _SEAL_SPLIT.split(national[key]) if s]
            declared_path = f"national[{key}]"
            if not container.seals:
                if ctx.reader_missed(reading, path):
                    out.append(missing_finding(ctx, reading, path, declared_path, declared,
                                               f"The seals of container {container.number}"))
                continue
            if {_seal_key(s) for s in declared} == {_seal_key(s) for s in container.seals}:
                continue
            out.append(Finding(
                code="seal-mismatch", severity=Severity.medium,
                message=f"Declared seals {', '.join(declared)} of container {container.number} "
                        f"differ from {', '.join(container.seals)} on the {doc_name(reading)}",
                declared=ctx.declared(declared_path, declared),
                document=ctx.documented(reading, path, container.seals),
                tolerance="same set of seal numbers (case, spaces and dashes ignored)"))
        return out
