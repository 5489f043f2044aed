"""Lane settings as stored versions: saving, no-op saves, roll back, audit, permissions;
batch lanes and the submission scorer under the version in force.

Service tests run on a fresh migrated database (SQLite, and PostgreSQL under ``-m
postgres``). The selection tests share the first 1,500 rows of the KCS test file with a
promoted model, built once; each test works on a copy of that SQLite file.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade
from smartcustoms.declarations import import_file, shipped_mapping
from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.errors import InvalidInput, NotFound, PermissionDenied
from smartcustoms.identity import SYSTEM, Principal, Role, audit, create_user, principal_of
from smartcustoms.identity.tables import AuditRow
from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.risk import lane_store, lanes, service
from smartcustoms.risk.evaluate import Window
from smartcustoms.risk.lane_preview import day_slots, preview_lane_capacity
from smartcustoms.risk.online import Scorer, decide_on_submission
from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes
from smartcustoms.risk.selectivity import Capacity, Lane, LaneSettings
from smartcustoms.risk.tables import LaneDecisionRow, LaneSettingsRow

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
OFFICER = Principal(user_id=None, username="off", role=Role.officer)
ANALYST = Principal(user_id=None, username="ana", role=Role.analyst)
TRADER = Principal(user_id=None, username="tra", role=Role.trader, company_id="X")
MORE_RED = LaneSettings(seed=7, random_rate=0.05, capacity={
    Lane.red: Capacity(count=3), Lane.yellow: Capacity(share=0.05),
    Lane.blue: Capacity(share=0.1)}, offices={"30": {Lane.red: Capacity(count=10)}})
ALL_RANDOM = LaneSettings(seed=7, random_rate=1.0)


@pytest.fixture
def supervisor(sessions: sessionmaker[Session]) -> Principal:
    with unit_of_work(sessions) as session:
        user = create_user(session, username="sup", password="sup-secret-enough",
                           role=Role.supervisor, company_id=None, display_name=None,
                           actor=SYSTEM, now=NOW)
        return principal_of(user)


def _audit(session: Session, action: str) -> list[AuditRow]:
    return list(session.scalars(select(AuditRow).where(AuditRow.action == action)
                                .order_by(AuditRow.seq)))


class TestActiveLaneSettings:
    def test_the_shipped_default_is_in_force_until_settings_are_saved(
            self, session: Session) -> None:
        assert lane_store.active_lane_settings(session) == lane_store.load_lane_settings()
        current = lane_store.current_lane_settings(session, actor=OFFICER)
        assert current.id is None and current.active
        assert current.sha256 == lane_store.load_lane_settings().digest()
        assert lane_store.active_lane_settings_sha256(session) == current.sha256
        assert lane_store.lane_settings_history(session, actor=OFFICER) == []

    def test_a_trader_may_not_read_them(self, session: Session) -> None:
        with pytest.raises(PermissionDenied, match="declarations:read-all"):
            lane_store.current_lane_settings(session, actor=TRADER)
        with pytest.raises(PermissionDenied):
            lane_store.lane_settings_history(session, actor=TRADER)


class TestSaveLaneSettings:
    def test_a_save_stores_a_version_in_force_and_the_default_before_it(
            self, sessions: sessionmaker[Session], supervisor: Principal) -> None:
        with unit_of_work(sessions) as session:
            version, created = lane_store.save_lane_settings(
                session, MORE_RED, actor=supervisor, note="  office 30 got inspectors ",
                now=NOW)
        assert created and version.id == 2 and version.active
        assert (version.note, version.author, version.activated_by) == (
            "office 30 got inspectors", "sup", "sup")
        assert version.sha256 == MORE_RED.digest() and version.settings == MORE_RED
        with sessions() as session:
            assert lane_store.active_lane_settings(session) == MORE_RED
            assert lane_store.active_lane_settings(session).digest() == MORE_RED.digest()
            history = lane_store.lane_settings_history(session, actor=OFFICER)
            row = session.get(LaneSettingsRow, 2)
            assert row is not None and row.created_by == supervisor.user_id
            assert row.settings == MORE_RED.model_dump(mode="json")  # canonical JSON
        assert [(v.id, v.active) for v in history] == [(2, True), (1, False)]
        default = history[1]
        assert default.settings == lane_store.load_lane_settings()
        assert default.author == "system" and "shipped default" in (default.note or "")

    def test_saving_the_settings_in_force_adds_nothing(
            self, sessions: sessionmaker[Session], supervisor: Principal) -> None:
        with unit_of_work(sessions) as session:
            same, created = lane_store.save_lane_settings(
                session, lane_store.load_lane_settings(), actor=supervisor, note="x", now=NOW)
            assert not created and same.id is None
            lane_store.save_lane_settings(session, MORE_RED, actor=supervisor, note=None,
                                          now=NOW)
        with unit_of_work(sessions) as session:
            again, created = lane_store.save_lane_settings(
                session, MORE_RED.model_dump(mode="json"), actor=supervisor,
                note="another note", now=LATER)
            assert not created and again.id == 2 and again.note is None
            assert len(lane_store.lane_settings_history(session, actor=OFFICER)) == 2
            assert len(_audit(session, "lane-settings.save")) == 1

    def test_every_field_in_error_is_named_with_its_value(
            self, session: Session, supervisor: Principal) -> None:
        bad = {"random_rate": 2, "policy": "luck", "bogus": 1,
               "capacity": {"red": {"share": 0.1, "count": 3}},
               "offices": {"30": {"red": {"count": -1}}}}
        with pytest.raises(InvalidInput) as exc:
            lane_store.save_lane_settings(session, bad, actor=supervisor, note=None, now=NOW)
        errors = {e.field: e for e in exc.value.errors}
        assert set(errors) == {"random_rate", "policy", "bogus", "capacity.red",
                               "offices.30.red.count"}
        assert errors["random_rate"].value == 2
        assert "less than or equal to 1" in errors["random_rate"].message
        assert errors["policy"].message == "Input should be 'probability' or 'duty'"
        assert errors["bogus"].message.startswith("unknown key; expected one of seed,")
        assert "exactly one of share or count" in errors["capacity.red"].message
        assert exc.value.detail.startswith("the lane settings: ")
        assert session.scalars(select(LaneSettingsRow)).all() == []

    def test_green_has_no_capacity_and_a_note_has_a_limit(
            self, session: Session, supervisor: Principal) -> None:
        with pytest.raises(InvalidInput) as exc:
            lane_store.save_lane_settings(session, {"capacity": {"green": {"share": 0.5}}},
                                          actor=supervisor, note=None, now=NOW)
        assert [(e.field, e.message) for e in exc.value.errors] == [
            ("capacity", "green is what is left: it has no capacity")]
        with pytest.raises(InvalidInput, match="at most 4000"):
            lane_store.save_lane_settings(session, MORE_RED, actor=supervisor,
                                          note="n" * 4001, now=NOW)

    @pytest.mark.parametrize("actor", [OFFICER, ANALYST, TRADER])
    def test_only_supervisors_and_admins_change_them(
            self, session: Session, actor: Principal) -> None:
        with pytest.raises(PermissionDenied, match="lanes:configure"):
            lane_store.save_lane_settings(session, MORE_RED, actor=actor, note=None, now=NOW)
        version, created = lane_store.save_lane_settings(session, MORE_RED, actor=SYSTEM,
                                                         note=None, now=NOW)
        assert created and version.author == "system"

    def test_the_save_is_in_the_audit_log(self, sessions: sessionmaker[Session],
                                          supervisor: Principal) -> None:
        with unit_of_work(sessions) as session:
            lane_store.save_lane_settings(session, MORE_RED, actor=supervisor,
                                          note="more red", now=NOW)
        with sessions() as session:
            [entry] = _audit(session, "lane-settings.save")
            assert (entry.actor, entry.entity_type, entry.entity_id) == (
                "sup", "lane_settings", "2")
            assert entry.detail["sha256"] == MORE_RED.digest()
            assert entry.detail["settings"] == MORE_RED.model_dump(mode="json")
            assert entry.detail["note"] == "more red"
            assert entry.detail["previous_version"] == 1
            assert entry.detail["previous_sha256"] == lane_store.load_lane_settings().digest()
            assert audit.verify(session).ok


class TestActivateVersion:
    def test_going_back_puts_the_earlier_version_in_force(
            self, sessions: sessionmaker[Session], supervisor: Principal) -> None:
        with unit_of_work(sessions) as session:
            lane_store.save_lane_settings(session, MORE_RED, actor=supervisor, note=None,
                                          now=NOW)
            lane_store.save_lane_settings(session, ALL_RANDOM, actor=supervisor, note=None,
                                          now=NOW)
        with unit_of_work(sessions) as session:
            back = lane_store.activate_version(session, 2, actor=SYSTEM, now=LATER)
        assert back.active and back.activated_by == "system" and back.activated_at == LATER
        with sessions() as session:
            assert lane_store.active_lane_settings(session) == MORE_RED
            active = session.scalars(select(LaneSettingsRow.id).where(
                LaneSettingsRow.active.is_(True))).all()
            assert active == [2]
            [entry] = _audit(session, "lane-settings.activate")
            assert entry.entity_id == "2" and entry.actor == "system"
            assert entry.detail["previous_version"] == 3
            assert entry.detail["previous_sha256"] == ALL_RANDOM.digest()
            assert audit.verify(session).ok

    def test_the_shipped_default_can_come_back(self, sessions: sessionmaker[Session],
                                               supervisor: Principal) -> None:
        with unit_of_work(sessions) as session:
            lane_store.save_lane_settings(session, MORE_RED, actor=supervisor, note=None,
                                          now=NOW)
            lane_store.activate_version(session, 1, actor=supervisor, now=LATER)
        with sessions() as session:
            assert lane_store.active_lane_settings(session) == lane_store.load_lane_settings()
            assert lane_store.current_lane_settings(session, actor=OFFICER).id == 1

    def test_activating_the_version_in_force_changes_nothing(
            self, sessions: sessionmaker[Session], supervisor: Principal) -> None:
        with unit_of_work(sessions) as session:
            lane_store.save_lane_settings(session, MORE_RED, actor=supervisor, note=None,
                                          now=NOW)
            same = lane_store.activate_version(session, 2, actor=supervisor, now=LATER)
            assert same.activated_at == NOW
            assert _audit(session, "lane-settings.activate") == []

    def test_an_unknown_version_and_an_officer_are_refused(
            self, sessions: sessionmaker[Session], supervisor: Principal) -> None:
        with unit_of_work(sessions) as session:
            lane_store.save_lane_settings(session, MORE_RED, actor=supervisor, note=None,
                                          now=NOW)
        with sessions() as session:
            with pytest.raises(NotFound, match="no lane settings version 9"):
                lane_store.activate_version(session, 9, actor=supervisor, now=LATER)
            with pytest.raises(PermissionDenied, match="lanes:configure"):
                lane_store.activate_version(session, 1, actor=OFFICER, now=LATER)

    def test_the_database_admits_one_active_version_only(
            self, sessions: sessionmaker[Session], supervisor: Principal) -> None:
        with unit_of_work(sessions) as session:
            lane_store.save_lane_settings(session, MORE_RED, actor=supervisor, note=None,
                                          now=NOW)
        for active in (True, False):  # a second active row; a 'false' that would allow it
            with sessions() as session, pytest.raises(IntegrityError):
                session.add(LaneSettingsRow(settings={}, sha256="0" * 64, author="x",
                                            created_at=NOW, active=active))
                session.flush()


class TestPreview:
    def test_lanes_fill_in_turn_and_never_exceed_the_day(self) -> None:
        settings = LaneSettings(capacity={Lane.red: Capacity(share=0.6),
                                          Lane.yellow: Capacity(share=0.6),
                                          Lane.blue: Capacity(count=5)},
                                offices={"30": {Lane.red: Capacity(count=1)}})
        assert day_slots(settings, "10", 10) == {Lane.red: 6, Lane.yellow: 4, Lane.blue: 0}
        assert day_slots(settings, "30", 10) == {Lane.red: 1, Lane.yellow: 6, Lane.blue: 3}
        assert day_slots(LaneSettings(capacity={}), "10", 10) == dict.fromkeys(
            (Lane.red, Lane.yellow, Lane.blue), 0)


# --- selection under the stored settings ----------------------------------------------------

WINDOW = Window(dt.date(2021, 4, 14), dt.date(2021, 4, 15))
UNDECIDED_DAY = dt.date(2021, 4, 13)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 KCS declarations with their outcomes and a promoted model; never written to
    by a test (each works on a copy). LightGBM on one thread: see test_risk_pages."""
    root = tmp_path_factory.mktemp("lane-store")
    lines = (SAMPLES_DIR / "kcs" / "df_syn_test_eng.csv").read_text(
        encoding="utf-8-sig").splitlines()[:1501]
    (root / "kcs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    engine = make_engine(Settings(data_dir=root / "data", environment="test"))
    upgrade(engine)
    sessions = session_factory(engine)
    import_file(sessions, root / "kcs.csv", actor=SYSTEM, clock=lambda: NOW,
                mapping=shipped_mapping("kcs"), workers=0)
    with threadpool_limits(1), unit_of_work(sessions) as session:
        record_source_outcomes(session, OutcomeColumns(irregular="Fraud"), actor=SYSTEM,
                               now=NOW)
        version, _ = service.train_model(session, actor=SYSTEM, now=NOW)
        service.promote_model(session, version.id, actor=SYSTEM, now=NOW)
    engine.dispose()
    return root / "data"


@pytest.fixture
def with_model(template: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    shutil.copytree(template, tmp_path / "data")
    engine = make_engine(Settings(data_dir=tmp_path / "data", environment="test"))
    yield session_factory(engine)
    engine.dispose()


def _decisions(session: Session) -> list[LaneDecisionRow]:
    return list(session.scalars(select(LaneDecisionRow)))


def test_batch_lanes_use_the_version_in_force_unless_settings_are_given(
        with_model: sessionmaker[Session]) -> None:
    with unit_of_work(with_model) as session:
        stored, _ = lane_store.save_lane_settings(session, ALL_RANDOM, actor=SYSTEM,
                                                  note="explore", now=NOW)
    with threadpool_limits(1), unit_of_work(with_model) as session:
        report = lanes.decide_lanes(session, WINDOW, actor=ANALYST, now=NOW)
        decisions = _decisions(session)
    assert report.settings_sha256 == stored.sha256 and report.decided == len(decisions) > 20
    assert {(d.lane, d.selected_by, d.settings_sha256) for d in decisions} == {
        ("red", "random", stored.sha256)}

    explicit = LaneSettings(random_rate=0.0)  # an explicit file wins
    with threadpool_limits(1), unit_of_work(with_model) as session:
        redone = lanes.decide_lanes(session, WINDOW, actor=ANALYST, now=NOW,
                                    settings=explicit, redo=True)
        decisions = _decisions(session)
    assert redone.settings_sha256 == explicit.digest()
    assert {d.settings_sha256 for d in decisions} == {explicit.digest()}
    assert "random" not in {d.selected_by for d in decisions}


def test_the_submission_scorer_follows_the_version_in_force(
        with_model: sessionmaker[Session]) -> None:
    with with_model() as session:
        first, second = session.scalars(select(DeclarationRow.id).where(
            DeclarationRow.declaration_date == UNDECIDED_DAY).order_by(DeclarationRow.id)
            .limit(2)).all()
    scorer = Scorer()  # as the HTTP app builds it: no settings of its own
    with unit_of_work(with_model) as session:
        stored, _ = lane_store.save_lane_settings(session, ALL_RANDOM, actor=SYSTEM,
                                                  note=None, now=NOW)
    with threadpool_limits(1), unit_of_work(with_model) as session:
        row = decide_on_submission(session, first, scorer, decided_by="system", now=NOW)
        assert row is not None
        assert (row.lane, row.selected_by, row.settings_sha256) == (
            "red", "random", stored.sha256)

    with unit_of_work(with_model) as session:  # back to the shipped default
        lane_store.activate_version(session, 1, actor=SYSTEM, now=LATER)
    with threadpool_limits(1), unit_of_work(with_model) as session:
        row = decide_on_submission(session, second, scorer, decided_by="system", now=LATER)
        assert row is not None
        assert row.settings_sha256 == lane_store.load_lane_settings().digest()


def test_the_preview_counts_each_office_day(with_model: sessionmaker[Session]) -> None:
    with with_model() as session:
        preview = preview_lane_capacity(session, MORE_RED, actor=OFFICER,
                                        today=dt.date(2021, 4, 15), days=3)
        with pytest.raises(PermissionDenied):
            preview_lane_capacity(session, MORE_RED, actor=TRADER, today=NOW.date())
        with pytest.raises(InvalidInput, match="1 to 92 days"):
            preview_lane_capacity(session, MORE_RED, actor=OFFICER, today=NOW.date(), days=0)
    assert (preview.start, preview.end) == (dt.date(2021, 4, 13), dt.date(2021, 4, 15))
    assert preview.offices and preview.settings_sha256 == MORE_RED.digest()
    assert preview.total.declarations == sum(o.declarations for o in preview.offices)
    assert preview.total.days == 3
    for office in preview.offices:
        red = MORE_RED.capacity_for(office.office, Lane.red)
        assert red is not None and red.count is not None
        assert office.slots[Lane.red] <= red.count * office.days
        assert sum(office.slots.values()) <= office.declarations
        assert office.own_capacity == (office.office == "30")
