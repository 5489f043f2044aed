"""Screening service functions: the CLI, the HTTP API and the console all call these.

Lists are stored in the database (one row per loaded version, its entries as parsed),
so every server process screens against the same versions. The newest version of each
list source is active; the screener over the active versions is built once per
process and rebuilt when another version is loaded.

Every named party of a declaration is screened when it is submitted. A hit stays open
until an officer decides on the pair (the party, the listed entry): a false positive
clears that pair on every declaration naming the party, and keeps clearing it until the
party's name, country or identifier changes or the list changes the entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from smartcustoms.errors import InvalidInput, NotFound, SmartCustomsError
from smartcustoms.identity import SYSTEM, Permission, Principal, audit
from smartcustoms.screening.codec import entry_digest, entry_from_dict, entry_to_dict
from smartcustoms.screening.lists import load_default_list, load_list
from smartcustoms.screening.matcher import Hit, Party, PartyKind, Screener
from smartcustoms.screening.models import Address, ScreeningList
from smartcustoms.screening.normalise import NameKind, normalise_name
from smartcustoms.screening.tables import (
    ScreeningCheckRow,
    ScreeningDecisionRow,
    ScreeningEntryRow,
    ScreeningHitRow,
    ScreeningListRow,
)

Progress = Callable[[str], None]
Decision = Literal["true_match", "false_positive"]


class NoScreeningList(SmartCustomsError):
    code = "no-screening-list"
    title = "No sanctions list is loaded"
    http_status = 409


# --- lists ---------------------------------------------------------------------------------
class ListInfo(BaseModel):
    id: int
    source: str
    version: str
    content_sha256: str
    entry_count: int
    rejected: int
    status: str
    origin: str
    loaded_by: str
    loaded_at: dt.datetime


class LoadReport(BaseModel):
    list: ListInfo
    created: bool = Field(description="False when this very version was loaded before")
    rejected: list[dict[str, Any]] = Field(
        default_factory=list, description="Records of the file that could not be read, "
                                          "with where and why (at most 1,000 shown)")
    changed_entries: int = Field(0, description="Entries new or different from the version "
                                                "it replaces")


def _info(row: ScreeningListRow) -> ListInfo:
    return ListInfo(id=row.id, source=row.source, version=row.version,
                    content_sha256=row.content_sha256, entry_count=row.entry_count,
                    rejected=len(row.rejected), status=row.status, origin=row.origin,
                    loaded_by=row.loaded_by, loaded_at=row.loaded_at)


def _content_sha256(parsed: ScreeningList) -> str:
    sources = sorted((s.name.casefold(), s.sha256) for s in parsed.sources)
    return hashlib.sha256(orjson.dumps(sources)).hexdigest()


def store_list(session: Session, parsed: ScreeningList, *, origin: str, actor: Principal,
               now: dt.datetime) -> LoadReport:
    """Store a parsed list as the active version of its source; the same files again
    store nothing."""
    actor.require(Permission.update_screening_lists)
    sha = _content_sha256(parsed)
    rejected = [asdict(r) for r in parsed.rejections]
    existing = session.execute(select(ScreeningListRow).where(
        ScreeningListRow.source == parsed.list_id,
        ScreeningListRow.content_sha256 == sha)).scalar_one_or_none()
    if existing is not None:
        return LoadReport(list=_info(existing), created=False, rejected=rejected[:1000])
    if not parsed.entries:
        raise InvalidInput(f"{origin} holds no readable entry", field="entries", value=0)
    previous = session.execute(select(ScreeningListRow.id).where(
        ScreeningListRow.source == parsed.list_id, ScreeningListRow.status == "active")
    ).scalar_one_or_none()
    old_digests = dict(session.execute(select(ScreeningEntryRow.entry_id,
                                              ScreeningEntryRow.digest)
                                       .where(ScreeningEntryRow.list_id == previous)).all()
                       ) if previous is not None else {}
    session.execute(update(ScreeningListRow).where(
        ScreeningListRow.source == parsed.list_id, ScreeningListRow.status == "active")
        .values(status="retired"))
    row = ScreeningListRow(source=parsed.list_id, version=parsed.version or "",
                           content_sha256=sha, entry_count=len(parsed.entries),
                           rejected=rejected, status="active", origin=origin,
                           loaded_by=actor.username, loaded_at=now)
    session.add(row)
    session.flush()
    records = [{"list_id": row.id, "entry_id": e.entry_id, "kind": e.kind.value,
                "name": e.name, "digest": entry_digest(e), "data": entry_to_dict(e)}
               for e in parsed.entries]
    for start in range(0, len(records), 2_000):
        session.execute(insert(ScreeningEntryRow), records[start:start + 2_000])
    changed = sum(1 for r in records if old_digests.get(r["entry_id"]) != r["digest"])
    audit.record(session, actor=actor.username, action="screening.list.load",
                 entity_type="screening_list", entity_id=str(row.id),
                 detail={"source": row.source, "version": row.version, "sha256": sha,
                         "entries": row.entry_count, "rejected": len(rejected),
                         "changed_entries": changed, "origin": origin}, now=now)
    return LoadReport(list=_info(row), created=True, rejected=rejected[:1000],
                      changed_entries=changed)


def load_list_file(session: Session, path: Path | str, *, actor: Principal, now: dt.datetime,
                   version: str | None = None) -> LoadReport:
    """Read a list file or folder (OFAC CSV / SDN XML, UN consolidated XML) and store it."""
    actor.require(Permission.update_screening_lists)
    return store_list(session, load_list(path, version=version), origin=str(path),
                      actor=actor, now=now)


def ensure_default_list(session: Session, *, now: dt.datetime) -> LoadReport | None:
    """On a database with no list at all, store the shipped OFAC SDN snapshot (a dated
    test fixture: production loads the current publication with `screening update`)."""
    if session.execute(select(ScreeningListRow.id).limit(1)).first() is not None:
        return None
    return store_list(session, load_default_list(), origin="shipped: data/sanctions",
                      actor=SYSTEM, now=now)


def list_versions(session: Session) -> list[ListInfo]:
    rows = session.execute(select(ScreeningListRow).order_by(
        ScreeningListRow.status, ScreeningListRow.source, ScreeningListRow.id.desc()))
    return [_info(r) for r in rows.scalars()]


# --- the screener over the active lists ------------------------------------------------------
class Screeners:
    """The screener over the active list versions, built once per process and rebuilt
    when a version is loaded (by this process or another)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, tuple[int, ...]] | None = None
        self._screener: Screener | None = None
        self._list_of: dict[str, int] = {}
        self._digests: dict[tuple[str, str], str] = {}

    def get(self, session: Session) -> tuple[Screener, dict[str, int],
                                             dict[tuple[str, str], str]]:
        """(screener, {source: list version id}, {(source, entry id): entry digest})."""
        active = session.execute(select(ScreeningListRow.id, ScreeningListRow.source).where(
            ScreeningListRow.status == "active").order_by(ScreeningListRow.id)).all()
        if not active:
            raise NoScreeningList("no sanctions list is loaded; a supervisor loads one with "
                                  "`smartcustoms screening update PATH`", field="lists",
                                  value=None)
        key = (str(session.get_bind().url), tuple(i for i, _ in active))
        with self._lock:
            if key != self._key or self._screener is None:
                lists, digests = [], {}
                for list_id, source in active:
                    row = session.get(ScreeningListRow, list_id)
                    assert row is not None
                    entries = []
                    for entry_id, digest, data in session.execute(
                            select(ScreeningEntryRow.entry_id, ScreeningEntryRow.digest,
                                   ScreeningEntryRow.data)
                            .where(ScreeningEntryRow.list_id == list_id)
                            .order_by(ScreeningEntryRow.id)):
                        entries.append(entry_from_dict(data))
                        digests[(source, entry_id)] = digest
                    lists.append(ScreeningList(source, source, row.version, (),
                                               tuple(entries)))
                self._screener = Screener(*lists)
                self._list_of = {source: list_id for list_id, source in active}
                self._digests, self._key = digests, key
            return self._screener, self._list_of, self._digests

    def invalidate(self) -> None:
        with self._lock:
            self._key, self._screener = None, None


# --- searching ---------------------------------------------------------------------------
class PartyIn(BaseModel):
    """A name to screen, with what else is known of the party (each optional)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=500)
    kind: PartyKind | None = Field(None, description="person, organisation, vessel, aircraft")
    country: str | None = Field(None, max_length=64, description="ISO code or country name")
    identifier: str | None = Field(None, max_length=64, description="Registration, tax, "
                                   "passport or IMO number")
    city: str | None = Field(None, max_length=128)


class HitOut(BaseModel):
    """A listed entry a party resembles, and why."""

    source: str
    entry_id: str
    entry_name: str
    entry_kind: str
    programs: list[str]
    score: float
    matched_name: str
    matched_as: str = Field(description="primary name, or the alias type (aka, fka, nka)")
    alias_strength: str
    reasons: list[str] = Field(description="The explanation, one line per fact")
    explanation: dict[str, Any]


class SearchResult(BaseModel):
    query: PartyIn
    hits: list[HitOut]


def hit_out(hit: Hit) -> HitOut:
    matched = hit.matched_name
    return HitOut(
        source=hit.list_id, entry_id=hit.entry_id, entry_name=hit.entry.name,
        entry_kind=hit.entry.kind.value, programs=list(hit.entry.programs),
        score=round(hit.score, 4), matched_name=matched.text,
        matched_as="primary name" if matched.primary else str(matched.alias_type),
        alias_strength=str(matched.strength), reasons=hit.explanation.lines(),
        explanation=orjson.loads(orjson.dumps(asdict(hit.explanation))))


def _party(p: PartyIn) -> Party:
    address = Address(city=p.city, country=None) if p.city else None
    return Party(p.name, kind=p.kind, country=p.country, identifier=p.identifier,
                 address=address)


def search(screeners: Screeners, session: Session, parties: Sequence[PartyIn], *,
           actor: Principal, threshold: float | None = None, limit: int = 10
           ) -> list[SearchResult]:
    """Screen names against the active lists: hits at or above ``threshold`` (default:
    the calibrated one), best first."""
    actor.require(Permission.screen_parties)
    if threshold is not None and not 0 < threshold <= 1:
        raise InvalidInput("threshold must be in (0, 1]", field="threshold", value=threshold)
    screener, _, _ = screeners.get(session)
    answers = screener.screen_many([_party(p) for p in parties], threshold=threshold,
                                   limit=limit)
    return [SearchResult(query=p, hits=[hit_out(h) for h in hits])
            for p, hits in zip(parties, answers, strict=True)]


# --- declarations ----------------------------------------------------------------------------
class StoredHit(HitOut):
    id: int
    declaration_id: str
    party_index: int
    party_role: str
    party_name: str
    status: str = Field(description="open, cleared (false positive) or confirmed")
    decision: dict[str, Any] | None = None


class DeclarationScreening(BaseModel):
    declaration_id: str
    screened_at: dt.datetime | None
    lists: list[ListInfo]
    parties_screened: int
    hits: list[StoredHit]


def party_key(name: str, country: str | None, identifier: str | None) -> str:
    """Who a decision is about: the party's normalised name (legal forms aside), its
    country and identifier. A change of any of them makes it another party."""
    norm = normalise_name(name, NameKind.organisation).text
    raw = f"{norm}\x1f{(country or '').upper()}\x1f{(identifier or '').upper()}"
    return hashlib.sha256(raw.encode()).hexdigest()


def screen_declaration(screeners: Screeners, session: Session, declaration_id: str, *,
                       now: dt.datetime) -> DeclarationScreening:
    """Screen every named party of a stored declaration and store the hits (replacing
    those of an earlier screening); decided pairs keep their decision."""
    from smartcustoms.declarations.repository import get_declaration

    row = get_declaration(session, declaration_id)
    if row is None:
        raise NotFound(f"no declaration {declaration_id}", field="declaration_id",
                       value=declaration_id)
    screener, list_of, digests = screeners.get(session)
    parties = orjson.loads(row.document).get("parties", [])
    named = [(i, p) for i, p in enumerate(parties) if (p.get("name") or "").strip()]
    queries = [Party(p["name"], country=(p.get("address") or {}).get("country"),
                     identifier=p.get("identifier"),
                     address=Address(city=(p.get("address") or {}).get("city"),
                                     country=(p.get("address") or {}).get("country")))
               for _, p in named]
    answers = screener.screen_many(queries) if queries else []
    session.execute(delete(ScreeningHitRow).where(
        ScreeningHitRow.declaration_id == declaration_id))
    rows = []
    for (index, party), hits in zip(named, answers, strict=True):
        key = party_key(party["name"], (party.get("address") or {}).get("country"),
                        party.get("identifier"))
        for hit in hits:
            digest = digests[(hit.list_id, hit.entry_id)]
            decision = _decision_for(session, key, hit.list_id, hit.entry_id, digest)
            out = hit_out(hit)
            rows.append(ScreeningHitRow(
                declaration_id=declaration_id, party_index=index, party_role=party["role"],
                party_name=party["name"], party_key=key, list_id=list_of[hit.list_id],
                source=hit.list_id, entry_id=hit.entry_id, entry_digest=digest,
                entry_name=hit.entry.name, score=out.score,
                explanation=out.model_dump(mode="json", exclude={"score"}),
                status=_status(decision), decision_id=decision.id if decision else None,
                screened_at=now))
    session.add_all(rows)
    check = session.execute(select(ScreeningCheckRow).where(
        ScreeningCheckRow.declaration_id == declaration_id)).scalar_one_or_none()
    if check is None:
        check = ScreeningCheckRow(declaration_id=declaration_id)
        session.add(check)
    check.list_ids = sorted(list_of.values())
    check.parties_screened = len(named)
    check.open_hits = sum(1 for r in rows if r.status == "open")
    check.max_score = max((r.score for r in rows), default=None)
    check.screened_at = now
    session.flush()
    return declaration_screening(session, declaration_id)


def _decision_for(session: Session, key: str, source: str, entry_id: str, digest: str
                  ) -> ScreeningDecisionRow | None:
    return session.execute(select(ScreeningDecisionRow).where(
        ScreeningDecisionRow.party_key == key, ScreeningDecisionRow.source == source,
        ScreeningDecisionRow.entry_id == entry_id, ScreeningDecisionRow.entry_digest == digest)
        .order_by(ScreeningDecisionRow.id.desc()).limit(1)).scalar_one_or_none()


def _status(decision: ScreeningDecisionRow | None) -> str:
    if decision is None:
        return "open"
    return "cleared" if decision.decision == "false_positive" else "confirmed"


def rescreen(screeners: Screeners, session: Session, *, now: dt.datetime,
             only_unscreened: bool = False, progress: Progress | None = None) -> dict[str, int]:
    """Screen the stored declarations again (after a list update), or only those never
    screened (after an import). A declaration without a named party is recorded as
    screened with none, once: a new list version changes nothing for it."""
    from smartcustoms.declarations.tables import DeclarationRow

    say = progress or (lambda _message: None)
    screened = select(ScreeningCheckRow.declaration_id)
    query = select(DeclarationRow.id, DeclarationRow.document).order_by(DeclarationRow.seq)
    if only_unscreened:
        query = query.where(~DeclarationRow.id.in_(screened))
    else:
        query = query.where(~DeclarationRow.id.in_(
            screened.where(ScreeningCheckRow.parties_screened == 0)))
    list_ids: list[int] | None = None
    unnamed: list[dict[str, Any]] = []
    named: list[str] = []
    for declaration_id, document in session.execute(query.execution_options(yield_per=5_000)):
        parties = orjson.loads(document).get("parties", [])
        if any((p.get("name") or "").strip() for p in parties):
            named.append(declaration_id)
        else:
            if list_ids is None:
                list_ids = sorted(screeners.get(session)[1].values())
            unnamed.append({"declaration_id": declaration_id, "list_ids": list_ids,
                            "parties_screened": 0, "open_hits": 0, "max_score": None,
                            "screened_at": now})
    for start in range(0, len(unnamed), 5_000):
        session.execute(insert(ScreeningCheckRow), unnamed[start:start + 5_000])
    hits = 0
    for n, declaration_id in enumerate(named, 1):
        hits += len(screen_declaration(screeners, session, declaration_id, now=now).hits)
        if n % 200 == 0:
            say(f"{n:,} of {len(named):,} declarations with named parties screened")
    return {"declarations": len(named) + len(unnamed), "with_named_parties": len(named),
            "hits": hits}


def _stored(row: ScreeningHitRow, decision: ScreeningDecisionRow | None) -> StoredHit:
    return StoredHit(
        id=row.id, declaration_id=row.declaration_id, party_index=row.party_index,
        party_role=row.party_role, party_name=row.party_name, status=row.status, score=row.score,
        decision=None if decision is None else {
            "id": decision.id, "decision": decision.decision, "note": decision.note,
            "decided_by": decision.decided_by, "decided_at": decision.decided_at.isoformat()},
        **row.explanation)


def declaration_screening(session: Session, declaration_id: str) -> DeclarationScreening:
    check = session.execute(select(ScreeningCheckRow).where(
        ScreeningCheckRow.declaration_id == declaration_id)).scalar_one_or_none()
    rows = session.execute(select(ScreeningHitRow, ScreeningDecisionRow).outerjoin(
        ScreeningDecisionRow, ScreeningDecisionRow.id == ScreeningHitRow.decision_id)
        .where(ScreeningHitRow.declaration_id == declaration_id)
        .order_by(ScreeningHitRow.party_index, ScreeningHitRow.score.desc())).all()
    lists = [] if check is None else [
        _info(r) for r in session.execute(select(ScreeningListRow).where(
            ScreeningListRow.id.in_(check.list_ids))).scalars()]
    return DeclarationScreening(
        declaration_id=declaration_id, screened_at=check.screened_at if check else None,
        lists=lists, parties_screened=check.parties_screened if check else 0,
        hits=[_stored(h, d) for h, d in rows])


def open_hits(session: Session, *, actor: Principal, limit: int = 100) -> list[StoredHit]:
    """Hits waiting for an officer, best score first (the review queue)."""
    actor.require(Permission.decide_screening_hits)
    rows = session.execute(select(ScreeningHitRow).where(ScreeningHitRow.status == "open")
                           .order_by(ScreeningHitRow.score.desc(), ScreeningHitRow.id)
                           .limit(limit)).scalars()
    return [_stored(r, None) for r in rows]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    note: str = Field(min_length=3, max_length=2000,
                      description="Why: what was compared (dates of birth, addresses, ids)")


def decide(session: Session, hit_id: int, body: DecisionIn, *, actor: Principal,
           now: dt.datetime) -> StoredHit:
    """Record an officer's decision on a hit's pair; every stored hit of the same pair
    (any declaration) takes it."""
    actor.require(Permission.decide_screening_hits)
    hit = session.get(ScreeningHitRow, hit_id)
    if hit is None:
        raise NotFound(f"no screening hit {hit_id}", field="hit_id", value=hit_id)
    decision = ScreeningDecisionRow(
        party_key=hit.party_key, party_name=hit.party_name, source=hit.source,
        entry_id=hit.entry_id, entry_digest=hit.entry_digest, decision=body.decision,
        note=body.note, decided_by=actor.username, decided_at=now)
    session.add(decision)
    session.flush()
    status = _status(decision)
    session.execute(update(ScreeningHitRow).where(
        ScreeningHitRow.party_key == hit.party_key, ScreeningHitRow.source == hit.source,
        ScreeningHitRow.entry_id == hit.entry_id,
        ScreeningHitRow.entry_digest == hit.entry_digest)
        .values(status=status, decision_id=decision.id))
    _recount(session, hit.party_key)
    audit.record(session, actor=actor.username, action="screening.hit.decide",
                 entity_type="declaration", entity_id=hit.declaration_id,
                 detail={"hit": hit.id, "party": hit.party_name, "source": hit.source,
                         "entry": hit.entry_id, "decision": body.decision}, now=now)
    session.refresh(hit)
    return _stored(hit, decision)


def _recount(session: Session, key: str) -> None:
    """Keep each affected declaration's count of open hits current."""
    affected = select(ScreeningHitRow.declaration_id).where(ScreeningHitRow.party_key == key)
    for check in session.execute(select(ScreeningCheckRow).where(
            ScreeningCheckRow.declaration_id.in_(affected))).scalars():
        check.open_hits = session.execute(select(func.count()).where(
            ScreeningHitRow.declaration_id == check.declaration_id,
            ScreeningHitRow.status == "open")).scalar_one()
