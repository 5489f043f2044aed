"""From a validated declaration to the rows that store it (pure, picklable output)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from smartcustoms.declarations.models import DeclarationCreate, PartyRole


def declaration_id(declarant_id: str, reference: str) -> str:
    """Stable id of (declarant, LRN): the LRN is unique per declarant."""
    key = f"{declarant_id}\x1f{reference}".encode()
    return hashlib.blake2b(key, digest_size=16).hexdigest()


@dataclass(slots=True)
class PreparedDeclaration:
    id: str
    reference: str
    declarant_id: str
    importer_id: str | None
    profile: str
    declaration_date: Any
    office: str
    item_count: int
    content_digest: str
    document: str
    absent_in_source: list[str] | None
    source_extra: dict[str, str] | None
    items: list[dict[str, Any]] = field(default_factory=list)
    line: int = 0
    record: str = ""

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id, "reference": self.reference, "declarant_id": self.declarant_id,
            "importer_id": self.importer_id, "profile": self.profile, "status": "submitted",
            "declaration_date": self.declaration_date, "office": self.office,
            "item_count": self.item_count, "content_digest": self.content_digest,
            "document": self.document, "absent_in_source": self.absent_in_source,
            "source_extra": self.source_extra,
        }


def prepare(
    decl: DeclarationCreate,
    *,
    absent: Collection[str] = (),
    extra: dict[str, str] | None = None,
) -> PreparedDeclaration:
    document = decl.model_dump_json(exclude_none=True)
    declarant = decl.party(PartyRole.declarant)
    importer = decl.party(PartyRole.importer)
    assert declarant is not None and declarant.identifier is not None  # checked by the rules
    decl_id = declaration_id(declarant.identifier, decl.reference)
    items = [
        {
            "declaration_id": decl_id,
            "sequence": item.sequence,
            "hs_code": item.hs_code,
            "hs_edition": item.hs_edition,
            "origin_country": item.origin_country,
            "description": item.description,
            "net_mass_kg": item.net_mass_kg,
            "price_amount": item.price.amount if item.price else None,
            "price_currency": item.price.currency if item.price else None,
        }
        for item in decl.items
    ]
    return PreparedDeclaration(
        id=decl_id,
        reference=decl.reference,
        declarant_id=declarant.identifier,
        importer_id=importer.identifier if importer else None,
        profile=decl.profile.value,
        declaration_date=decl.declaration_date,
        office=decl.office,
        item_count=len(decl.items),
        content_digest=hashlib.sha256(document.encode()).hexdigest(),
        document=document,
        absent_in_source=sorted(absent) or None,
        source_extra=extra or None,
        items=items,
    )
