"""Tariff service functions: the CLI, the HTTP API and the console all call these.

A model version is a pickled ``TariffModel`` under ``DATA_DIR/models/tariff`` named by
its sha256, which the ``tariff_models`` row records and which is checked before the
file is loaded. One version is active. Precedents an administration adds after a
version was trained go into the loaded model's index at once (no refit, no restart);
retraining folds them into the learned parts and is compared with the active version
before an analyst activates it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from smartcustoms.config import Settings
from smartcustoms.errors import Conflict, InvalidInput, NotFound, SmartCustomsError
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.reference import load_hs2022
from smartcustoms.tariff.classifier import Classifier, Suggestion, Verification, declared_subheading
from smartcustoms.tariff.corpus import Precedent, code_texts, shipped_precedents, with_series_groups
from smartcustoms.tariff.model import Config, TariffModel
from smartcustoms.tariff.tables import TariffCheckRow, TariffModelRow, TariffPrecedentRow

Progress = Callable[[str], None]


class NoTariffModel(SmartCustomsError):
    code = "no-tariff-model"
    title = "No tariff model is active"
    http_status = 409


class ModelVersion(BaseModel):
    id: int
    content_sha256: str
    status: str
    precedent_count: int
    precedents_through: int
    config: dict[str, Any]
    metrics: dict[str, Any]
    created_by: str
    created_at: dt.datetime
    activated_by: str | None
    activated_at: dt.datetime | None


def model_version(row: TariffModelRow) -> ModelVersion:
    return ModelVersion(
        id=row.id, content_sha256=row.content_sha256, status=row.status,
        precedent_count=row.precedent_count, precedents_through=row.precedents_through,
        config=row.config, metrics=row.metrics, created_by=row.created_by,
        created_at=row.created_at, activated_by=row.activated_by,
        activated_at=row.activated_at)


# --- precedents ---------------------------------------------------------------------------
class PrecedentIn(BaseModel):
    """A classified description to learn from: a ruling, or an accepted suggestion."""

    ref: str = Field(min_length=1, max_length=128, description="Ruling reference or id")
    description: str = Field(min_length=3, max_length=20_000)
    code: str = Field(description="HS code decided: 6 digits, or a national 8/10-digit code")
    decided_on: dt.date | None = None


class PrecedentReport(BaseModel):
    added: int
    unchanged: int
    rejected: list[dict[str, Any]] = Field(
        default_factory=list, description="Line/ref, field, value and what was expected")


def stored_precedents(session: Session, *, after: int = 0, through: int | None = None
                      ) -> list[Precedent]:
    """The administration's precedents with ``after < id <= through``."""
    query = select(TariffPrecedentRow).where(TariffPrecedentRow.id > after)
    if through is not None:
        query = query.where(TariffPrecedentRow.id <= through)
    return [_precedent(r) for r in session.execute(query.order_by(TariffPrecedentRow.id))
            .scalars()]


def _precedent(row: TariffPrecedentRow) -> Precedent:
    return Precedent(ref=row.ref, text=row.text, code=row.code, hs6=row.hs6,
                     source=row.source, group=f"{row.source}:{row.ref}",
                     date=row.decided_on.isoformat() if row.decided_on else "",
                     accepted_by=str(row.added_by) if row.added_by is not None else None)


def add_precedents(session: Session, records: Iterable[tuple[str, PrecedentIn | dict[str, Any]]],
                   *, source: str, actor: Principal, now: dt.datetime) -> PrecedentReport:
    """Validate and store precedents; ``records`` are (where, data) with ``where`` a line
    number or reference for the report. Rejected records are reported with their reason
    and nothing else of them is stored; the same (source, ref) twice adds nothing."""
    actor.require(Permission.add_precedents)
    hs = load_hs2022()
    added = unchanged = 0
    rejected: list[dict[str, Any]] = []
    for where, data in records:
        try:
            item = data if isinstance(data, PrecedentIn) else PrecedentIn.model_validate(data)
            hs6 = _checked_code(item.code, hs)
        except InvalidInput as exc:
            rejected.append({"at": where, "field": exc.field, "value": exc.value,
                             "error": str(exc)})
            continue
        except ValueError as exc:  # pydantic's ValidationError
            for err in getattr(exc, "errors", lambda: [])() or [{"loc": (), "msg": str(exc)}]:
                rejected.append({"at": where, "field": ".".join(map(str, err.get("loc", ()))),
                                 "value": err.get("input"), "error": err.get("msg")})
            continue
        existing = session.execute(select(TariffPrecedentRow).where(
            TariffPrecedentRow.source == source, TariffPrecedentRow.ref == item.ref)
        ).scalar_one_or_none()
        if existing is not None:
            if (existing.text, existing.code) == (item.description, _digits(item.code)):
                unchanged += 1
            else:
                rejected.append({"at": where, "field": "ref", "value": item.ref,
                                 "error": f"{source}/{item.ref} is already stored with "
                                          f"another text or code (code {existing.code})"})
            continue
        session.add(TariffPrecedentRow(
            source=source, ref=item.ref, text=item.description, code=_digits(item.code),
            hs6=hs6, decided_on=item.decided_on, added_by=actor.user_id, created_at=now))
        added += 1
    session.flush()
    if added:
        audit.record(session, actor=actor.username, action="tariff.precedents.add",
                     entity_type="tariff_precedents", entity_id=source,
                     detail={"added": added, "unchanged": unchanged,
                             "rejected": len(rejected)}, now=now)
    return PrecedentReport(added=added, unchanged=unchanged, rejected=rejected)


def accept_suggestion(session: Session, declaration_id: str, item_sequence: int, code: str, *,
                      actor: Principal, now: dt.datetime) -> PrecedentReport:
    """An officer accepts a code for a declared item: the item's description becomes a
    precedent, recorded with who accepted it."""
    from smartcustoms.declarations import get_declaration

    actor.require(Permission.add_precedents)
    declaration = get_declaration(session, declaration_id, actor=actor)
    item = next((i for i in declaration.declared.items if i.sequence == item_sequence), None)
    if item is None:
        raise NotFound(f"declaration {declaration_id} has no item {item_sequence}",
                       field="item_sequence", value=item_sequence)
    if not item.description:
        raise InvalidInput("the item has no goods description to learn from",
                           field="items.description", value=None)
    ref = f"{declaration_id}/{item_sequence}"
    # A dict, not a PrecedentIn: a description too short to learn from is a rejected
    # record with its reason, like any other.
    report = add_precedents(session, [(ref, {"ref": ref, "description": item.description,
                                             "code": code})],
                            source="accepted", actor=actor, now=now)
    if report.rejected:
        first = report.rejected[0]
        raise InvalidInput(first["error"], field=first["field"], value=first["value"])
    row = session.execute(select(TariffPrecedentRow).where(
        TariffPrecedentRow.source == "accepted",
        TariffPrecedentRow.ref == f"{declaration_id}/{item_sequence}")).scalar_one()
    row.declaration_id, row.item_sequence = declaration_id, item_sequence
    audit.record(session, actor=actor.username, action="tariff.suggestion.accept",
                 entity_type="declaration", entity_id=declaration_id,
                 detail={"item": item_sequence, "code": row.code}, now=now)
    return report


def _checked_code(code: str, hs: Any) -> str:
    try:
        hs6 = declared_subheading(code)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="code", value=code) from None
    if len(hs6) != 6:
        raise InvalidInput("a precedent needs a subheading: 6 digits or a national 8/10-digit "
                           "code", field="code", value=code)
    # Chapter 99 is UN Comtrade's "not specified" bucket, not a WCO classification.
    if hs6 not in hs.subheadings or hs6.startswith("99"):
        raise InvalidInput(f"{hs6} is not an HS 2022 subheading", field="code", value=code)
    return hs6


def _digits(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


# --- model versions -----------------------------------------------------------------------
def model_dir(settings: Settings) -> Path:
    return settings.data_dir / "models" / "tariff"


def train_model(session: Session, settings: Settings, *, actor: Principal, now: dt.datetime,
                config: Config | None = None, semantic: bool | None = None,
                evaluation: dict[str, Any] | None = None,
                progress: Progress | None = None) -> ModelVersion:
    """Fit a version on the shipped rulings plus the administration's precedents and
    store it as a candidate (the first version becomes active at once)."""
    actor.require(Permission.train_tariff_models)
    config = config or Config()
    through = session.execute(select(func.max(TariffPrecedentRow.id))).scalar() or 0
    own = stored_precedents(session, through=through)
    precedents = with_series_groups(shipped_precedents()) + own
    encoder = default_encoder(os.cpu_count() or 1) if semantic is None or semantic else None
    if semantic and encoder is None:
        raise InvalidInput("the semantic encoder is not installed", field="semantic",
                           value=True)
    if encoder is not None:
        from smartcustoms.tariff.embedding import MemoEncoder, model_digest, shipped_vectors

        # Vectors are kept between trainings, and the shipped texts' vectors ship with
        # the encoder: a training encodes only what is new (most of a first training's
        # time was encoding the nomenclature and rulings).
        encoder = MemoEncoder(encoder, settings.data_dir / "cache" / "tariff" /
                              f"vectors-{model_digest()[:16]}.npz", seeds=[shipped_vectors()])
    model = TariffModel(config).fit(precedents, code_texts(), encoder=encoder,
                                    progress=progress)
    if encoder is not None:
        encoder.save()
    return store_model(session, settings, model, precedents_through=through,
                       administration_precedents=len(own), evaluation=evaluation,
                       actor=actor, now=now)


def store_model(session: Session, settings: Settings, model: TariffModel, *,
                precedents_through: int, administration_precedents: int,
                evaluation: dict[str, Any] | None, actor: Principal, now: dt.datetime
                ) -> ModelVersion:
    """Write a fitted model's file and record the version (the same model twice is one
    version: a fit is deterministic, so retraining on unchanged data changes nothing)."""
    actor.require(Permission.train_tariff_models)
    artifact = _dumps(model)
    digest = hashlib.sha256(artifact).hexdigest()
    existing = session.execute(select(TariffModelRow).where(
        TariffModelRow.content_sha256 == digest)).scalar_one_or_none()
    if existing is not None:
        return model_version(existing)
    name = f"{digest}.pkl"
    _write_atomic(model_dir(settings) / name, artifact)
    first = session.execute(select(func.count(TariffModelRow.id))).scalar() == 0
    row = TariffModelRow(
        content_sha256=digest, status="active" if first else "candidate",
        config={**asdict(model.config), "semantic": model.encoder is not None,
                **_encoder_config(model.encoder)},
        precedents_through=precedents_through, precedent_count=len(model.precedents),
        metrics={"training": {"candidate_recall": round(model.recall_at_candidates, 4),
                              "temperature": round(model.temperature, 4),
                              "administration_precedents": administration_precedents},
                 **({"evaluation": evaluation} if evaluation else {})},
        artifact=name, created_by=actor.username, created_at=now,
        activated_by=actor.username if first else None, activated_at=now if first else None)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor.username, action="tariff-model.train",
                 entity_type="tariff_model", entity_id=str(row.id),
                 detail={"content_sha256": digest, "status": row.status}, now=now)
    return model_version(row)


def list_models(session: Session, *, actor: Principal) -> list[ModelVersion]:
    actor.require(Permission.read_all_declarations)  # staff: how the model was judged
    rows = session.execute(select(TariffModelRow).order_by(TariffModelRow.id.desc())).scalars()
    return [model_version(r) for r in rows]


def activate_model(session: Session, model_id: int, *, actor: Principal, now: dt.datetime
                   ) -> ModelVersion:
    """Make one version the one that classifies; the previous active one is retired."""
    actor.require(Permission.train_tariff_models)
    row = session.get(TariffModelRow, model_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no tariff model {model_id}", field="model_id", value=model_id)
    if row.status == "active":
        raise Conflict(f"tariff model {model_id} is already active", field="model_id",
                       value=model_id)
    session.execute(update(TariffModelRow).where(TariffModelRow.status == "active")
                    .values(status="retired"))
    row.status, row.activated_by, row.activated_at = "active", actor.username, now
    audit.record(session, actor=actor.username, action="tariff-model.activate",
                 entity_type="tariff_model", entity_id=str(row.id),
                 detail={"content_sha256": row.content_sha256}, now=now)
    session.flush()
    return model_version(row)


def default_encoder(threads: int = 1) -> Any:
    """The shipped sentence encoder, or None when its files or runtime are missing.
    One thread answers a request; training encodes thousands of texts and may use all
    cores."""
    try:
        from smartcustoms.tariff.embedding import SentenceEncoder

        encoder = SentenceEncoder(threads=threads)
        encoder.encode(["probe"])
    except (ImportError, OSError, ValueError):
        return None
    return encoder


def _dumps(model: TariffModel) -> bytes:
    encoder, model.encoder = model.encoder, None  # the encoder ships in data/, not here
    try:
        return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        model.encoder = encoder


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# --- the loaded classifier ----------------------------------------------------------------
class Classifiers:
    """The active version, loaded once per process and kept current: precedents added
    since (here or by another process) join its index before each use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int, str] | None = None  # (database, version id, sha256)
        self._classifier: Classifier | None = None
        self._through = 0

    def get(self, session: Session, settings: Settings) -> tuple[Classifier, int]:
        row = session.execute(select(TariffModelRow).where(
            TariffModelRow.status == "active")).scalar_one_or_none()
        if row is None:
            raise NoTariffModel("no tariff model is active; an analyst trains one with "
                                "`smartcustoms tariff train`", field="model", value=None)
        key = (str(session.get_bind().url), row.id, row.content_sha256)
        with self._lock:
            if self._key != key or self._classifier is None:
                self._classifier = Classifier(_load(settings, row))
                self._key, self._through = key, row.precedents_through
            latest = session.execute(select(func.max(TariffPrecedentRow.id))).scalar() or 0
            if latest > self._through:
                # Requests may be ranking with the current model in other threads: the
                # new precedents go into a copy, which then replaces it.
                model = self._classifier.model.with_precedents(
                    stored_precedents(session, after=self._through, through=latest))
                self._classifier = Classifier(model, self._classifier.hs)
                self._through = latest
            return self._classifier, row.id

    def invalidate(self) -> None:
        with self._lock:
            self._key, self._classifier = None, None


def _load(settings: Settings, row: TariffModelRow) -> TariffModel:
    path = model_dir(settings) / row.artifact
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NoTariffModel(f"the file of tariff model {row.id} cannot be read: {exc}",
                            field="artifact", value=str(path)) from None
    # The file is only unpickled when it is the one the database recorded.
    if hashlib.sha256(data).hexdigest() != row.content_sha256:
        raise NoTariffModel(f"the file of tariff model {row.id} does not match its recorded "
                            "sha256; retrain", field="artifact", value=str(path))
    model: TariffModel = pickle.loads(data)
    if getattr(model, "format", None) != TariffModel.FORMAT:
        raise NoTariffModel(f"tariff model {row.id} was stored by another version of "
                            "smartcustoms; train a new one (`smartcustoms tariff train "
                            "--activate`)", field="artifact", value=row.artifact)
    if row.config.get("semantic"):
        model.encoder = default_encoder()
        if model.encoder is None:
            raise NoTariffModel(f"tariff model {row.id} needs the semantic encoder, which is "
                                "not installed", field="semantic", value=True)
        # The stored vectors only compare with queries encoded by the same model file: a
        # version trained before the encoder changed (an upgrade) is retrained, not served.
        from smartcustoms.tariff.embedding import encoder_digest

        trained_with = row.config.get("encoder_sha256")
        if trained_with != encoder_digest(model.encoder):
            raise NoTariffModel(
                f"tariff model {row.id} was trained with another sentence encoder than the "
                "one installed; train a new one (`smartcustoms tariff train --activate`)",
                field="encoder_sha256", value=trained_with)
    return model


def _encoder_config(encoder: Any) -> dict[str, str]:
    """The encoder a version was fitted with, recorded beside its config."""
    if encoder is None:
        return {}
    from smartcustoms.tariff.embedding import encoder_digest

    digest = encoder_digest(encoder)
    return {} if digest is None else {"encoder_sha256": digest}


# --- classification and verification --------------------------------------------------------
def suggest(classifiers: Classifiers, session: Session, settings: Settings, texts: Sequence[str],
            *, k: int, actor: Principal) -> list[list[Suggestion]]:
    actor.require(Permission.classify_goods)
    classifier, _ = classifiers.get(session, settings)
    return classifier.suggest_many(list(texts), k=k)


def verify(classifiers: Classifiers, session: Session, settings: Settings, text: str,
           declared_code: str, *, actor: Principal) -> Verification:
    actor.require(Permission.classify_goods)
    try:
        declared_subheading(declared_code)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="declared_code", value=declared_code) from None
    classifier, _ = classifiers.get(session, settings)
    return classifier.verify(text, declared_code)


class ItemCheck(BaseModel):
    item_sequence: int
    declared: str
    verdict: str
    probability: float
    reason: str
    better: list[dict[str, Any]]
    model_id: int | None
    checked_at: dt.datetime


def check_declaration(classifiers: Classifiers, session: Session, settings: Settings,
                      declaration_id: str, *, now: dt.datetime) -> list[ItemCheck]:
    """Verify every described item of a stored declaration and store the verdicts (an
    item without a goods description, or coded in an older HS edition, gets none)."""
    from smartcustoms.declarations.repository import get_declaration
    from smartcustoms.declarations.service import to_declaration

    row = get_declaration(session, declaration_id)
    if row is None:
        raise NotFound(f"no declaration {declaration_id}", field="declaration_id",
                       value=declaration_id)
    declaration = to_declaration(row)
    # The label space is HS 2022: an item declared under an older edition is not judged.
    items = [i for i in declaration.declared.items
             if i.description and i.hs_edition == "HS2022"]
    if not items:
        return []
    classifier, model_id = classifiers.get(session, settings)
    results = classifier.verify_many([(i.description, i.hs_code) for i in items])
    out = []
    for item, result in zip(items, results, strict=True):
        better = [{"hs6": s.hs6, "probability": s.probability} for s in result.better]
        row = session.execute(select(TariffCheckRow).where(
            TariffCheckRow.declaration_id == declaration_id,
            TariffCheckRow.item_sequence == item.sequence)).scalar_one_or_none()
        if row is None:
            row = TariffCheckRow(declaration_id=declaration_id, item_sequence=item.sequence)
            session.add(row)
        row.declared, row.verdict, row.probability = result.declared, result.verdict, \
            result.probability
        row.reason, row.better, row.model_id, row.checked_at = result.reason, better, \
            model_id, now
        out.append(ItemCheck(item_sequence=item.sequence, declared=result.declared,
                             verdict=result.verdict, probability=result.probability,
                             reason=result.reason, better=better, model_id=model_id,
                             checked_at=now))
    session.flush()
    return out


def declaration_checks(session: Session, declaration_id: str) -> list[ItemCheck]:
    rows = session.execute(select(TariffCheckRow).where(
        TariffCheckRow.declaration_id == declaration_id)
        .order_by(TariffCheckRow.item_sequence)).scalars()
    return [ItemCheck(item_sequence=r.item_sequence, declared=r.declared, verdict=r.verdict,
                      probability=r.probability, reason=r.reason, better=r.better,
                      model_id=r.model_id, checked_at=r.checked_at) for r in rows]
