"""Values OCR is unsure of: taken out of a scanned document's reading, never guessed.

A value read from OCR words carries the engine's confidence in its evidence (see
``layout.evidence_basis``). Below ``OCR_MIN_CONFIDENCE`` the value is dropped from the
document: its path goes to ``missing`` and a problem names what was read and how sure the
engine was, so a person can look at the page. Values a cross-check confirmed (line and
total arithmetic raise their confidence) survive; container numbers, which their ISO 6346
check digit confirms, are kept.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from smartcustoms.documents.extract.common import Context
from smartcustoms.documents.models import ReadProblem

OCR_MIN_CONFIDENCE = 0.5
_STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def drop_unsure(document: BaseModel, ctx: Context, missing: list[str],
                *, threshold: float | None = None) -> tuple[BaseModel, list[str]]:
    """The document without the OCR-read values below ``threshold`` (default
    ``OCR_MIN_CONFIDENCE``), and the longer missing list; the evidence moves to a problem."""
    threshold = OCR_MIN_CONFIDENCE if threshold is None else threshold
    data = document.model_dump()
    cleaned = document
    dropped: list[str] = []
    for path, evidence in sorted(ctx.evidence.items()):
        if evidence.method != "ocr" or evidence.confidence >= threshold:
            continue
        if path.startswith("containers") or path.endswith("]"):
            continue  # check-digit verified, or an item of a list (a seal)
        trial = copy.deepcopy(data)
        if not _clear(trial, path):
            continue
        try:
            cleaned = type(document).model_validate(trial)
        except ValidationError:
            continue  # a value the shape needs (an Incoterm with its place): kept
        data = trial
        dropped.append(path)
    for path in dropped:
        evidence = ctx.evidence.pop(path)
        ctx.problems.append(ReadProblem(
            field=path, text=evidence.text, evidence=evidence,
            message=f"OCR read this value with confidence {evidence.confidence:.2f}, below "
                    f"{threshold:.2f}: it is left out for a person to read"))
    return cleaned, sorted(set(missing) | set(dropped), key=_order(missing))


def _clear(data: dict[str, Any], path: str) -> bool:
    """Set the field at ``path`` (``lines[2].amount``, ``seller.name``) to None."""
    node: Any = data
    steps = path.split(".")
    for position, step in enumerate(steps):
        match = _STEP.fullmatch(step)
        if match is None or not isinstance(node, dict) or match.group(1) not in node:
            return False
        name, index = match.group(1), match.group(2)
        last = position == len(steps) - 1
        if index is None:
            if last:
                node[name] = None
                return True
            node = node[name]
            continue
        items = node[name]
        if not isinstance(items, list) or int(index) >= len(items) or last:
            return False
        node = items[int(index)]
    return False


def _order(missing: list[str]) -> Any:
    known = {path: position for position, path in enumerate(missing)}
    return lambda path: (known.get(path, len(known)), path)
