"""From a validated declaration to the rows that store it.

The output is plain tuples of strings and numbers, ready for a driver-level
``executemany`` on either backend and cheap to send back from a worker process:
dates, decimals and JSON travel as text, which SQLite's column affinity and
PostgreSQL's casts from untyped parameters both store as the column's type.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from smartcustoms.declarations.models import DeclarationCreate, PartyRole

DECLARATION_COLUMNS = (
    "id", "reference", "declarant_id", "importer_id", "profile", "status", "declaration_date",
    "office", "item_count", "content_digest", "document", "absent_in_source", "source_extra",
)
# Appended by the writer, the same for every row of a chunk.
WRITER_COLUMNS = ("import_run_id", "submitted_by", "created_at")
# The writer puts the stored declaration's ``seq`` where a prepared item has its id.
ITEM_COLUMNS = (
    "declaration_seq", "sequence", "hs_code", "hs_edition", "origin_country", "description",
    "net_mass_kg", "price_amount", "price_currency",
)


_DECLARANT, _IMPORTER = PartyRole.declarant, PartyRole.importer


def declaration_id(declarant_id: str, reference: str) -> str:
    """Stable id of (declarant, LRN): the LRN is unique per declarant."""
    key = f"{declarant_id}\x1f{reference}".encode()
    return hashlib.blake2b(key, digest_size=16).hexdigest()


class PreparedDeclaration(NamedTuple):
    id: str
    reference: str
    declarant_id: str
    importer_id: str | None
    content_digest: str
    row: tuple[object, ...]  # DECLARATION_COLUMNS
    items: list[tuple[object, ...]]  # ITEM_COLUMNS, the declaration id first
    line: int = 0

    @property
    def document(self) -> str:
        return str(self.row[10])


def prepare(
    decl: DeclarationCreate,
    *,
    absent: Collection[str] = (),
    extra: dict[str, str] | None = None,
    line: int = 0,
) -> PreparedDeclaration:
    document = decl.model_dump_json(exclude_none=True)
    declarant_id = importer_id = None
    for party in decl.parties:
        if party.role is _DECLARANT:
            declarant_id = party.identifier
        elif party.role is _IMPORTER:
            importer_id = party.identifier
    assert declarant_id is not None  # the rules require an identified declarant
    decl_id = declaration_id(declarant_id, decl.reference)
    digest = hashlib.sha256(document.encode()).hexdigest()
    items = [
        (
            decl_id, item.sequence, item.hs_code, item.hs_edition, item.origin_country,
            item.description,
            None if item.net_mass_kg is None else str(item.net_mass_kg),
            None if item.price is None else str(item.price.amount),
            None if item.price is None else item.price.currency,
        )
        for item in decl.items
    ]
    row = (
        decl_id, decl.reference, declarant_id, importer_id, decl.profile.value, "submitted",
        decl.declaration_date.isoformat(), decl.office, len(decl.items), digest, document,
        orjson.dumps(sorted(absent)).decode() if absent else None,
        orjson.dumps(extra).decode() if extra else None,
    )
    return PreparedDeclaration(decl_id, decl.reference, declarant_id, importer_id, digest, row,
                               items, line)


@dataclass(slots=True)
class Rejected:
    """A source record that failed validation: quarantined with every reason."""

    line: int
    reference: str | None
    record: str
    errors: list[dict[str, Any]]
    rows: int = 1


@dataclass(slots=True)
class ChunkResult:
    good: list[PreparedDeclaration] = field(default_factory=list)
    bad: list[Rejected] = field(default_factory=list)
    rows: int = 0
