"""Tariff service: model versions, precedents, accepted suggestions, declaration checks,
permissions.

Every test runs on a fresh migrated database (SQLite, and PostgreSQL under ``-m postgres``)
with the session's fitted ``tariff_model`` stored as a version (no training here).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms import tariff
from smartcustoms.config import Settings
from smartcustoms.db import unit_of_work
from smartcustoms.declarations import import_file, shipped_mapping, submit_declaration
from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role
from smartcustoms.identity.tables import AuditRow
from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.tariff.service import model_dir
from smartcustoms.tariff.tables import TariffCheckRow, TariffModelRow, TariffPrecedentRow

ROOT = Path(__file__).resolve().parents[2]
VECTOR = json.loads((ROOT / "tests" / "vectors" / "declaration_full.json").read_text())
ADMIN = Principal(user_id=None, username="admin", role=Role.admin)
ANALYST = Principal(user_id=None, username="ana", role=Role.analyst)
OFFICER = Principal(user_id=None, username="off", role=Role.officer)
TRADER = Principal(user_id=None, username="tra", role=Role.trader, company_id="DE9876543210987")

CHOCOLATE = "Milk chocolate bar with whole hazelnuts, 100 g"
TYRES = "New pneumatic radial tyres of rubber for passenger motor cars"
CUSHION = "Decorative cushion filled with polyester fibre, velvet cover with zip, 45 x 45 cm"


TINY_RULINGS = [
    ("180631", "Milk chocolate bar with hazelnuts"),
    ("180631", "Filled chocolate tablet with caramel"),
    ("180632", "Plain dark chocolate bar, 70 % cocoa"),
    ("180690", "Chocolate spread with hazelnuts in jars"),
    ("180500", "Cocoa powder, unsweetened"),
    ("180400", "Cocoa butter, deodorised"),
    ("401110", "New pneumatic radial tyres for passenger cars"),
    ("401120", "New pneumatic tyres for lorries and buses"),
    ("401150", "New bicycle tyres of rubber"),
    ("401693", "Rubber O-rings and gaskets"),
    ("400121", "Smoked sheets of natural rubber"),
    ("940171", "Upholstered garden chair with metal frame"),
    ("940490", "Decorative cushion with polyester filling"),
]


# --- helpers ------------------------------------------------------------------------------------
def store(sessions: sessionmaker[Session], settings: Settings, model: Any,
          now: dt.datetime) -> tariff.ModelVersion:
    with unit_of_work(sessions) as session:
        return tariff.store_model(session, settings, model, precedents_through=0,
                                  administration_precedents=0, evaluation=None, actor=ADMIN,
                                  now=now)


def tiny_model(encoder: Any = None) -> Any:
    """A model of a tiny label space (three chapters), fitted in a second or two."""
    from smartcustoms.tariff.corpus import code_texts

    codes = {c: t for c, t in code_texts().items() if c[:2] in ("18", "40", "94")}
    precedents = [tariff.Precedent(ref=f"T-{i}", text=text, code=code, hs6=code,
                                   source="t", group=f"t:{i}")
                  for i, (code, text) in enumerate(TINY_RULINGS)]
    return tariff.TariffModel().fit(precedents, codes, encoder=encoder)


def another_version(model: Any) -> Any:
    """The same fitted model under another config: another file, another version (the
    seed only matters when fitting). A shallow copy: the session's model is not touched."""
    other = copy.copy(model)
    other.config = replace(model.config, seed=model.config.seed + 1)
    return other


def audit_entries(session: Session, action: str) -> list[AuditRow]:
    return list(session.scalars(select(AuditRow).where(AuditRow.action == action)
                                .order_by(AuditRow.seq)))


def count(session: Session, table: Any) -> int:
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def submit(sessions: sessionmaker[Session], now: dt.datetime, reference: str = "LRN-1",
           **items: Any) -> str:
    """The test vector under ``reference`` with its items changed (``item1={...}``),
    stored; its id."""
    data = copy.deepcopy(VECTOR)
    data["reference"] = reference
    for key, changes in items.items():
        data["items"][int(key.removeprefix("item")) - 1].update(changes)
    with unit_of_work(sessions) as session:
        return submit_declaration(session, data, actor=SYSTEM, now=now).declaration.id


def undescribed_declaration(sessions: sessionmaker[Session], tmp_path: Path,
                            now: dt.datetime) -> str:
    """A KCS declaration: its source carries no goods description (and codes in HS 2017)."""
    lines = (SAMPLES_DIR / "kcs" / "df_syn_test_eng.csv").read_text(
        encoding="utf-8-sig").splitlines()[:2]
    path = tmp_path / "kcs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(sessions, path, actor=SYSTEM, clock=lambda: now,
                         mapping=shipped_mapping("kcs"), workers=0)
    assert report.rows_quarantined == 0
    with sessions() as session:
        return session.execute(select(DeclarationRow.id).where(
            DeclarationRow.import_run_id.is_not(None))).scalar_one()


@pytest.fixture
def installed(sessions: sessionmaker[Session], settings: Settings, tariff_model: Any,
              clock: Any) -> tariff.ModelVersion:
    return store(sessions, settings, tariff_model, clock())


# --- model versions -----------------------------------------------------------------------------
class TestVersions:
    def test_the_first_stored_version_is_active_and_its_file_is_named_by_its_hash(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings, clock: Any) -> None:
        import hashlib

        assert installed.status == "active"
        assert installed.activated_by == "admin" and installed.activated_at == clock()
        assert installed.precedents_through == 0 and installed.precedent_count > 0
        assert installed.config["semantic"] is False
        assert installed.metrics["training"]["administration_precedents"] == 0
        path = model_dir(settings) / f"{installed.content_sha256}.pkl"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == installed.content_sha256
        with sessions() as session:
            [entry] = audit_entries(session, "tariff-model.train")
            assert entry.entity_id == str(installed.id) and entry.actor == "admin"
            assert [v.id for v in tariff.list_models(session, actor=OFFICER)] == [installed.id]
            with pytest.raises(PermissionDenied):  # how a model was judged is for staff
                tariff.list_models(session, actor=TRADER)
            classifier, model_id = tariff.Classifiers().get(session, settings)
            assert model_id == installed.id
            assert classifier.suggest(CHOCOLATE, k=1)[0].hs6[:2] == "18"

    def test_storing_the_same_model_again_is_the_same_version(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings, tariff_model: Any, clock: Any) -> None:
        clock.advance(hours=1)
        again = store(sessions, settings, tariff_model, clock())
        assert again == installed
        with sessions() as session:
            assert count(session, TariffModelRow) == 1
            assert len(audit_entries(session, "tariff-model.train")) == 1
        assert [p.name for p in model_dir(settings).iterdir()] == [
            f"{installed.content_sha256}.pkl"]

    def test_activating_another_version_retires_the_previous_one(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings, tariff_model: Any, clock: Any) -> None:
        classifiers = tariff.Classifiers()
        with sessions() as session:
            assert classifiers.get(session, settings)[1] == installed.id
        clock.advance(hours=1)
        candidate = store(sessions, settings, another_version(tariff_model), clock())
        assert candidate.id != installed.id and candidate.status == "candidate"
        assert candidate.activated_by is None
        with sessions() as session:
            assert [(v.id, v.status) for v in tariff.list_models(session, actor=OFFICER)] == [
                (candidate.id, "candidate"), (installed.id, "active")]
            # Only who trains models activates them.
            with pytest.raises(PermissionDenied):
                tariff.activate_model(session, candidate.id, actor=OFFICER, now=clock())

        with unit_of_work(sessions) as session:
            active = tariff.activate_model(session, candidate.id, actor=ANALYST, now=clock())
        assert active.status == "active" and active.activated_by == "ana"
        assert active.activated_at == clock()
        with sessions() as session:
            assert [(v.id, v.status) for v in tariff.list_models(session, actor=OFFICER)] == [
                (candidate.id, "active"), (installed.id, "retired")]
            [entry] = audit_entries(session, "tariff-model.activate")
            assert entry.entity_id == str(candidate.id) and entry.actor == "ana"
            assert entry.detail["content_sha256"] == candidate.content_sha256
            # The loaded classifier follows the activation without a restart.
            assert classifiers.get(session, settings)[1] == candidate.id

        with unit_of_work(sessions) as session, pytest.raises(Conflict):
            tariff.activate_model(session, candidate.id, actor=ANALYST, now=clock())
        with unit_of_work(sessions) as session, pytest.raises(NotFound):
            tariff.activate_model(session, 999, actor=ANALYST, now=clock())
        # A retired version can be brought back.
        with unit_of_work(sessions) as session:
            assert tariff.activate_model(session, installed.id, actor=ANALYST,
                                         now=clock()).status == "active"
        with sessions() as session:
            statuses = {v.id: v.status for v in tariff.list_models(session, actor=OFFICER)}
            assert statuses == {installed.id: "active", candidate.id: "retired"}
    def test_retraining_on_unchanged_data_is_the_same_version(
            self, sessions: sessionmaker[Session], settings: Settings, clock: Any) -> None:
        first = store(sessions, settings, tiny_model(), clock())
        again = store(sessions, settings, tiny_model(), clock())
        assert again.id == first.id

    def test_a_version_trained_with_another_encoder_is_not_served(
            self, sessions: sessionmaker[Session], settings: Settings, clock: Any) -> None:
        from smartcustoms.tariff.embedding import SentenceEncoder, model_digest

        stored = store(sessions, settings, tiny_model(SentenceEncoder()), clock())
        assert stored.config["semantic"] is True
        assert stored.config["encoder_sha256"] == model_digest()
        with sessions() as session:
            served = tariff.Classifiers().get(session, settings)[0]
            assert served.suggest(CHOCOLATE, k=1)[0].hs6.startswith("18")
        # As after an upgrade that changed the encoder, and as a version stored before
        # versions recorded theirs: refused, naming what to do.
        for recorded in ("0" * 64, None):
            with unit_of_work(sessions) as session:
                row = session.get(TariffModelRow, stored.id)
                config = {k: v for k, v in row.config.items() if k != "encoder_sha256"}
                row.config = config if recorded is None else {**config,
                                                              "encoder_sha256": recorded}
            with sessions() as session, pytest.raises(tariff.NoTariffModel) as caught:
                tariff.Classifiers().get(session, settings)
            assert "another sentence encoder" in caught.value.detail
            assert "tariff train --activate" in caught.value.detail
            assert caught.value.field == "encoder_sha256" and caught.value.value == recorded

    def test_a_modified_or_missing_file_is_never_loaded(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings) -> None:
        path = model_dir(settings) / f"{installed.content_sha256}.pkl"
        data = path.read_bytes()
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        with sessions() as session, pytest.raises(tariff.NoTariffModel, match="sha256"):
            tariff.Classifiers().get(session, settings)
        path.unlink()
        with sessions() as session, pytest.raises(tariff.NoTariffModel, match="cannot be read"):
            tariff.Classifiers().get(session, settings)

    def test_without_a_stored_version_there_is_no_model(
            self, sessions: sessionmaker[Session], settings: Settings) -> None:
        with sessions() as session:
            with pytest.raises(tariff.NoTariffModel) as caught:
                tariff.Classifiers().get(session, settings)
            assert caught.value.http_status == 409 and caught.value.code == "no-tariff-model"
            assert tariff.list_models(session, actor=ADMIN) == []

    def test_only_who_trains_models_stores_them(
            self, sessions: sessionmaker[Session], settings: Settings, tariff_model: Any,
            clock: Any) -> None:
        for who in (OFFICER, TRADER):
            with unit_of_work(sessions) as session, pytest.raises(PermissionDenied):
                tariff.store_model(session, settings, tariff_model, precedents_through=0,
                                   administration_precedents=0, evaluation=None, actor=who,
                                   now=clock())
        assert not model_dir(settings).exists()


# --- precedents ---------------------------------------------------------------------------------
GOOD = [
    ("line 2", {"ref": "R-1", "description": CHOCOLATE, "code": "1806.31.00",
                "decided_on": "2025-03-01"}),
    ("line 3", {"ref": "R-2", "description": TYRES, "code": "4011100000"}),
]
BAD = [
    ("line 4", {"ref": "R-3", "description": "", "code": "180631"}),
    ("line 5", {"ref": "R-4", "description": "Milk chocolate in bars", "code": "98765432"}),
    ("line 6", {"ref": "R-5", "description": "Milk chocolate in bars", "code": "abc"}),
    ("line 7", {"ref": "R-6", "description": "Milk chocolate in bars", "code": "1806"}),
]


def add(sessions: sessionmaker[Session], records: list[Any], now: dt.datetime, *,
        actor: Principal = OFFICER, source: str = "rulings") -> tariff.PrecedentReport:
    with unit_of_work(sessions) as session:
        return tariff.add_precedents(session, records, source=source, actor=actor, now=now)


class TestPrecedents:
    def test_good_rows_are_stored_and_bad_ones_reported_with_field_and_value(
            self, sessions: sessionmaker[Session], clock: Any) -> None:
        report = add(sessions, GOOD + BAD, clock())
        assert (report.added, report.unchanged) == (2, 0)
        by_line = {r["at"]: r for r in report.rejected}
        assert sorted(by_line) == ["line 4", "line 5", "line 6", "line 7"]
        assert by_line["line 4"]["field"] == "description" and by_line["line 4"]["value"] == ""
        for line, value in (("line 5", "98765432"), ("line 6", "abc"), ("line 7", "1806")):
            assert by_line[line]["field"] == "code" and by_line[line]["value"] == value
        assert all(isinstance(r["error"], str) and r["error"] for r in report.rejected)
        assert "HS 2022" in by_line["line 5"]["error"]
        assert "subheading" in by_line["line 7"]["error"]
        with sessions() as session:
            rows = session.scalars(select(TariffPrecedentRow)
                                   .order_by(TariffPrecedentRow.id)).all()
            assert [(r.source, r.ref, r.code, r.hs6) for r in rows] == [
                ("rulings", "R-1", "18063100", "180631"),
                ("rulings", "R-2", "4011100000", "401110")]
            assert rows[0].decided_on == dt.date(2025, 3, 1) and rows[1].decided_on is None
            assert rows[0].text == CHOCOLATE and rows[0].created_at == clock()
            assert rows[0].declaration_id is None and rows[0].item_sequence is None
            [entry] = audit_entries(session, "tariff.precedents.add")
            assert entry.actor == "off" and entry.entity_id == "rulings"
            assert entry.detail == {"added": 2, "unchanged": 0, "rejected": 4}

    def test_adding_the_same_rows_again_adds_nothing(
            self, sessions: sessionmaker[Session], clock: Any) -> None:
        add(sessions, GOOD, clock())
        again = add(sessions, GOOD + BAD, clock())
        assert (again.added, again.unchanged, len(again.rejected)) == (0, 2, 4)
        # The same code written another way is the same precedent.
        same = add(sessions, [("x", {"ref": "R-1", "description": CHOCOLATE,
                                     "code": "18063100"})], clock())
        assert (same.added, same.unchanged, same.rejected) == (0, 1, [])
        with sessions() as session:
            assert count(session, TariffPrecedentRow) == 2
            # Nothing added, nothing audited.
            assert len(audit_entries(session, "tariff.precedents.add")) == 1

    def test_a_stored_ref_with_another_code_is_rejected_naming_the_ref(
            self, sessions: sessionmaker[Session], clock: Any) -> None:
        add(sessions, GOOD, clock())
        report = add(sessions, [("line 2", {"ref": "R-1", "description": CHOCOLATE,
                                            "code": "180632"})], clock())
        assert report.added == 0 and report.unchanged == 0
        [rejected] = report.rejected
        assert rejected["at"] == "line 2" and rejected["field"] == "ref"
        assert rejected["value"] == "R-1" and "R-1" in rejected["error"]
        # Another collection may use the same ref.
        other = add(sessions, [("line 2", {"ref": "R-1", "description": CHOCOLATE,
                                           "code": "180632"})], clock(), source="other")
        assert other.added == 1
        with sessions() as session:
            codes = dict(session.execute(select(TariffPrecedentRow.source,
                                                TariffPrecedentRow.code)
                                         .where(TariffPrecedentRow.ref == "R-1")).all())
            assert codes == {"rulings": "18063100", "other": "180632"}

    def test_precedent_objects_are_accepted_as_well_as_mappings(
            self, sessions: sessionmaker[Session], clock: Any) -> None:
        report = add(sessions, [("R-9", tariff.PrecedentIn(
            ref="R-9", description=TYRES, code="401110"))], clock())
        assert report.added == 1 and report.rejected == []
    def test_a_chapter_99_code_is_not_an_hs_2022_subheading(
            self, sessions: sessionmaker[Session], clock: Any) -> None:
        report = add(sessions, [("line 2", {"ref": "R-99", "description": CHOCOLATE,
                                            "code": "99999999"})], clock())
        assert report.added == 0
        [rejected] = report.rejected
        assert rejected["field"] == "code" and rejected["value"] == "99999999"

    def test_a_trader_cannot_add_precedents_an_officer_and_an_analyst_can(
            self, sessions: sessionmaker[Session], clock: Any) -> None:
        with pytest.raises(PermissionDenied):
            add(sessions, GOOD, clock(), actor=TRADER)
        with sessions() as session:
            assert count(session, TariffPrecedentRow) == 0
        assert add(sessions, GOOD[:1], clock(), actor=OFFICER).added == 1
        assert add(sessions, GOOD[1:], clock(), actor=ANALYST).added == 1

    def test_a_precedent_added_after_loading_is_used_without_a_restart(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings, clock: Any) -> None:
        classifiers = tariff.Classifiers()
        with sessions() as session:
            loaded, _ = classifiers.get(session, settings)
            before = tariff.suggest(classifiers, session, settings, [CUSHION], k=3,
                                    actor=TRADER)[0]
        assert all(p.ref != "OWN-1" for s in before for p in s.precedents)

        report = add(sessions, [("line 2", {"ref": "OWN-1", "description": CUSHION,
                                            "code": "9404.90.00"})], clock(), source="own")
        assert report.added == 1
        with sessions() as session:
            [top, *_] = tariff.suggest(classifiers, session, settings, [CUSHION], k=3,
                                       actor=TRADER)[0]
            # Not reloaded from its file: a copy with the precedent shares the fitted parts
            # (requests still ranking with the previous copy are not disturbed).
            current = classifiers.get(session, settings)[0]
            assert current.model._chapter_model is loaded.model._chapter_model
            assert len(current.model.precedents) == len(loaded.model.precedents) + 1
        assert top.hs6 == "940490"
        mine = [p for p in top.precedents if p.ref == "OWN-1"]
        assert mine and mine[0].source == "own" and mine[0].code == "94049000"
        assert mine[0].similarity == pytest.approx(1.0, abs=1e-3)

        # A second process (a fresh Classifiers) sees it too.
        with sessions() as session:
            fresh = tariff.suggest(tariff.Classifiers(), session, settings, [CUSHION], k=1,
                                   actor=TRADER)[0][0]
        assert "OWN-1" in [p.ref for p in fresh.precedents]


# --- suggestions and verification ---------------------------------------------------------------
class TestSuggestAndVerify:
    def test_a_trader_may_classify_and_verify(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings) -> None:
        classifiers = tariff.Classifiers()
        with sessions() as session:
            chocolate, tyres = tariff.suggest(classifiers, session, settings,
                                              [CHOCOLATE, TYRES], k=4, actor=TRADER)
            assert len(chocolate) == 4 and len(tyres) == 4
            assert chocolate[0].hs6[:4] == "1806" and tyres[0].hs6[:4] == "4011"
            probabilities = [s.probability for s in chocolate]
            assert probabilities == sorted(probabilities, reverse=True)
            assert all(0 <= p <= 1 for p in probabilities)
            top = chocolate[0]
            assert [step.level for step in top.path][-3:] == ["chapter", "heading",
                                                              "subheading"]
            assert top.path[-1].code == top.hs6 and "chocolate" in top.matched_terms

            fits = tariff.verify(classifiers, session, settings, CHOCOLATE, "1806.31.00",
                                 actor=TRADER)
            assert fits.verdict == "fits" and fits.declared == "180631" and fits.better == []
            misfit = tariff.verify(classifiers, session, settings, CHOCOLATE, "8703.23",
                                   actor=TRADER)
            assert misfit.verdict == "misfit" and misfit.probability < 0.05
            assert misfit.better and all(b.hs6[:2] == "18" for b in misfit.better)
            heading = tariff.verify(classifiers, session, settings, CHOCOLATE, "1806",
                                    actor=TRADER)
            assert heading.verdict == "fits" and heading.declared == "1806"

    def test_a_malformed_declared_code_is_invalid_input_naming_the_field(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings) -> None:
        with sessions() as session, pytest.raises(InvalidInput) as caught:
            tariff.verify(tariff.Classifiers(), session, settings, CHOCOLATE, "abc",
                          actor=TRADER)
        assert caught.value.field == "declared_code" and caught.value.value == "abc"

    def test_a_role_without_the_permission_may_not_classify(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings) -> None:
        from smartcustoms.identity.roles import ROLE_PERMISSIONS, Permission

        without = [r for r in Role if Permission.classify_goods not in ROLE_PERMISSIONS[r]]
        for role in without:
            nobody = Principal(user_id=None, username="x", role=role)
            with sessions() as session, pytest.raises(PermissionDenied):
                tariff.suggest(tariff.Classifiers(), session, settings, [CHOCOLATE], k=1,
                               actor=nobody)


# --- accepted suggestions -----------------------------------------------------------------------
class TestAcceptSuggestion:
    def test_an_accepted_code_becomes_a_precedent_of_the_item(
            self, sessions: sessionmaker[Session], clock: Any) -> None:
        decl_id = submit(sessions, clock())
        with unit_of_work(sessions) as session:
            report = tariff.accept_suggestion(session, decl_id, 1, "8517.62.00",
                                              actor=OFFICER, now=clock())
        assert (report.added, report.unchanged, report.rejected) == (1, 0, [])
        with sessions() as session:
            row = session.execute(select(TariffPrecedentRow)).scalar_one()
            assert row.source == "accepted" and row.ref == f"{decl_id}/1"
            assert (row.declaration_id, row.item_sequence) == (decl_id, 1)
            assert row.text == VECTOR["items"][0]["description"]
            assert (row.code, row.hs6) == ("85176200", "851762")
            [entry] = audit_entries(session, "tariff.suggestion.accept")
            assert entry.actor == "off" and entry.entity_id == decl_id
            assert entry.detail == {"item": 1, "code": "85176200"}
        # Accepting the same code again changes nothing.
        with unit_of_work(sessions) as session:
            again = tariff.accept_suggestion(session, decl_id, 1, "85176200",
                                             actor=OFFICER, now=clock())
        assert (again.added, again.unchanged) == (0, 1)
        # Another code for an accepted item is refused, naming the precedent.
        with unit_of_work(sessions) as session, pytest.raises(InvalidInput) as caught:
            tariff.accept_suggestion(session, decl_id, 1, "851769", actor=OFFICER,
                                     now=clock())
        assert caught.value.field == "ref" and caught.value.value == f"{decl_id}/1"

    def test_what_cannot_be_accepted(self, sessions: sessionmaker[Session], tmp_path: Path,
                                     clock: Any) -> None:
        decl_id = submit(sessions, clock())
        with unit_of_work(sessions) as session:
            with pytest.raises(PermissionDenied):
                tariff.accept_suggestion(session, decl_id, 1, "851762", actor=TRADER,
                                         now=clock())
            with pytest.raises(NotFound):
                tariff.accept_suggestion(session, decl_id, 9, "851762", actor=OFFICER,
                                         now=clock())
            with pytest.raises(NotFound):
                tariff.accept_suggestion(session, "no-such-declaration", 1, "851762",
                                         actor=OFFICER, now=clock())
            with pytest.raises(InvalidInput) as caught:
                tariff.accept_suggestion(session, decl_id, 1, "abc", actor=OFFICER,
                                         now=clock())
            assert caught.value.field == "code"

        bare = undescribed_declaration(sessions, tmp_path, clock())
        with unit_of_work(sessions) as session, pytest.raises(InvalidInput) as caught:
            tariff.accept_suggestion(session, bare, 1, "851762", actor=OFFICER, now=clock())
        assert caught.value.field == "items.description"
        with sessions() as session:
            assert count(session, TariffPrecedentRow) == 0
            assert audit_entries(session, "tariff.suggestion.accept") == []
    def test_a_too_short_item_description_is_invalid_input(
            self, sessions: sessionmaker[Session], clock: Any) -> None:
        decl_id = submit(sessions, clock(), item1={"description": "TV", "hs_code": "852872"})
        with unit_of_work(sessions) as session, pytest.raises(InvalidInput):
            tariff.accept_suggestion(session, decl_id, 1, "852872", actor=OFFICER,
                                     now=clock())


# --- declaration checks -------------------------------------------------------------------------
class TestCheckDeclaration:
    def test_each_described_hs2022_item_gets_one_stored_verdict(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings, clock: Any) -> None:
        decl_id = submit(sessions, clock(),
                         item1={"description": CHOCOLATE, "hs_code": "8703.23"})
        classifiers = tariff.Classifiers()
        with unit_of_work(sessions) as session:
            checks = tariff.check_declaration(classifiers, session, settings, decl_id,
                                              now=clock())
        assert [c.item_sequence for c in checks] == [1, 2]
        chocolate, battery = checks
        assert chocolate.declared == "870323" and chocolate.verdict == "misfit"
        assert chocolate.better and chocolate.better[0]["hs6"][:2] == "18"
        assert set(chocolate.better[0]) == {"hs6", "probability"}
        assert chocolate.model_id == installed.id and chocolate.reason
        assert battery.declared == "850760" and battery.verdict == "fits"
        assert battery.better == [] and battery.probability >= 0.25
        with sessions() as session:
            assert count(session, TariffCheckRow) == 2
            assert tariff.declaration_checks(session, decl_id) == checks

        # A re-check replaces the verdicts: one row per item.
        clock.advance(hours=2)
        with unit_of_work(sessions) as session:
            again = tariff.check_declaration(classifiers, session, settings, decl_id,
                                             now=clock())
        assert [(c.item_sequence, c.verdict) for c in again] == [(1, "misfit"), (2, "fits")]
        with sessions() as session:
            assert count(session, TariffCheckRow) == 2
            stored = tariff.declaration_checks(session, decl_id)
            assert [c.checked_at for c in stored] == [clock(), clock()]

    def test_the_right_code_fits(self, installed: tariff.ModelVersion,
                                 sessions: sessionmaker[Session], settings: Settings,
                                 clock: Any) -> None:
        decl_id = submit(sessions, clock(),
                         item1={"description": CHOCOLATE, "hs_code": "1806.31"})
        with unit_of_work(sessions) as session:
            checks = tariff.check_declaration(tariff.Classifiers(), session, settings,
                                              decl_id, now=clock())
        assert [(c.declared, c.verdict) for c in checks] == [("180631", "fits"),
                                                             ("850760", "fits")]

    def test_items_of_an_older_edition_or_without_description_are_not_judged(
            self, sessions: sessionmaker[Session], settings: Settings, tmp_path: Path,
            clock: Any) -> None:
        # No model is stored: nothing to judge means no model is needed either.
        bare = undescribed_declaration(sessions, tmp_path, clock())
        with unit_of_work(sessions) as session:
            assert tariff.check_declaration(tariff.Classifiers(), session, settings, bare,
                                            now=clock()) == []
        older = submit(sessions, clock(), "LRN-2017", item1={"hs_edition": "HS2017"},
                       item2={"hs_edition": "HS2017"})
        with unit_of_work(sessions) as session:
            assert tariff.check_declaration(tariff.Classifiers(), session, settings, older,
                                            now=clock()) == []
        mixed = submit(sessions, clock(), "LRN-MIXED", item2={"hs_edition": "HS2017"})
        with unit_of_work(sessions) as session, pytest.raises(tariff.NoTariffModel):
            tariff.check_declaration(tariff.Classifiers(), session, settings, mixed,
                                     now=clock())
        with sessions() as session:
            assert count(session, TariffCheckRow) == 0

    def test_only_the_hs2022_item_is_checked_once_a_model_is_there(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings, clock: Any) -> None:
        mixed = submit(sessions, clock(), item2={"hs_edition": "HS2017"})
        with unit_of_work(sessions) as session:
            checks = tariff.check_declaration(tariff.Classifiers(), session, settings, mixed,
                                              now=clock())
        assert [c.item_sequence for c in checks] == [1]

    def test_an_unknown_declaration_is_not_found(
            self, sessions: sessionmaker[Session], settings: Settings, clock: Any) -> None:
        with unit_of_work(sessions) as session, pytest.raises(NotFound):
            tariff.check_declaration(tariff.Classifiers(), session, settings, "nope",
                                     now=clock())


# --- findings for risk targeting ------------------------------------------------------------
class TestRiskInputs:
    def test_verdicts_join_the_risk_frame_and_rules_can_select_misfits(
            self, installed: tariff.ModelVersion, sessions: sessionmaker[Session],
            settings: Settings, clock: Any) -> None:
        from smartcustoms.risk.frame import load_frame
        from smartcustoms.risk.rule_store import RULE_FIELDS
        from smartcustoms.risk.rules import compile_rule

        declaration_id = submit(sessions, clock(), item2={
            "description": "Milk chocolate bars filled with hazelnut praline",
            "hs_code": "8507.60"})
        with unit_of_work(sessions) as session:
            tariff.check_declaration(tariff.Classifiers(), session, settings, declaration_id,
                                     now=clock())
        with sessions() as session:
            frame = load_frame(session)
        verdicts = dict(zip(frame["sequence"], frame["tariff_verdict"], strict=True))
        assert verdicts[2] == "misfit"
        assert verdicts[1] in ("fits", "doubtful")
        assert frame["tariff_fit"].null_count() == 0
        rule = compile_rule('tariff_verdict = "misfit" and tariff_fit < 0.05',
                            fields=RULE_FIELDS)
        assert frame.filter(rule.expr())["sequence"].to_list() == [2]
