"""Risk over HTTP: lanes on submission, the queue, results, rules, models; staff only."""

from __future__ import annotations

import datetime as dt
import types
from pathlib import Path
from typing import Any

from smartcustoms.db import session_factory, unit_of_work
from smartcustoms.declarations import import_file, shipped_mapping
from smartcustoms.identity import SYSTEM
from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.risk import lanes, service
from smartcustoms.risk.evaluate import Window
from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes
from smartcustoms.risk.selectivity import LaneSettings


def _with_model(api: Any, tmp_path: Path, rows: int = 3000) -> None:
    """The first rows of the KCS test file, their outcomes, a promoted model."""
    lines = (SAMPLES_DIR / "kcs" / "df_syn_test_eng.csv").read_text(
        encoding="utf-8-sig").splitlines()[:rows + 1]
    path = tmp_path / "kcs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sessions = session_factory(api.engine)
    import_file(sessions, path, actor=SYSTEM, clock=api.clock,
                mapping=shipped_mapping("kcs"), workers=0)
    with unit_of_work(sessions) as session:
        record_source_outcomes(session, OutcomeColumns(irregular="Fraud"), actor=SYSTEM,
                               now=api.clock())
        version, _ = service.train_model(session, actor=SYSTEM, now=api.clock())
        service.promote_model(session, version.id, actor=SYSTEM, now=api.clock())


def test_a_submission_gets_its_lane_and_reasons_which_only_staff_see(
        api: Any, kit: types.SimpleNamespace, tmp_path: Path) -> None:
    _with_model(api, tmp_path)
    created = api.submit(kit.variant("RISK-1"))
    assert created.status_code == 201, created.text
    decl_id = created.json()["id"]
    risk = api.client.get(f"/api/v1/declarations/{decl_id}/risk", headers=api.auth("officer"))
    assert risk.status_code == 200, risk.text
    body = risk.json()
    assert body["lane"] in ("red", "yellow", "blue", "green")
    assert body["selected_by"] in ("random", "model", "none")
    assert 0 <= body["probability"] <= 1 and body["model_id"] and body["reasons"]
    assert all(r["text"] for r in body["reasons"])
    kit.assert_problem(api.client.get(f"/api/v1/declarations/{decl_id}/risk",
                                      headers=api.auth("trader")), 403, "permission-denied")
    # A retried submission is not decided twice.
    assert api.submit(kit.variant("RISK-1")).status_code == 200
    assert api.count("lane_decisions") == 1


def test_the_queue_and_recording_results(api: Any, kit: types.SimpleNamespace,
                                         tmp_path: Path) -> None:
    _with_model(api, tmp_path)
    with unit_of_work(session_factory(api.engine)) as session:
        lanes.decide_lanes(session, Window(dt.date(2021, 4, 1), dt.date(2021, 4, 7)),
                           actor=SYSTEM, now=api.clock(), settings=LaneSettings(seed=3))
    queue = api.client.get("/api/v1/risk/queue", headers=api.auth("officer"))
    assert queue.status_code == 200, queue.text
    items = queue.json()
    assert items and items[0]["lane"] == "red"
    lanes_seen = [i["lane"] for i in items]
    assert lanes_seen == sorted(lanes_seen, key=lambda x: x != "red")
    first = items[0]["declaration_id"]
    url = f"/api/v1/declarations/{first}/inspection"
    recorded = api.client.put(url, json={"irregular": True, "duty_recovered": "125.40",
                                         "notes": "short-shipped"}, headers=api.auth("officer"))
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["source"] == "officer"
    again = api.client.put(url, json={"irregular": False}, headers=api.auth("officer"))
    assert again.status_code == 200
    after = api.client.get("/api/v1/risk/queue", headers=api.auth("officer")).json()
    assert first not in {i["declaration_id"] for i in after}
    kit.assert_problem(api.client.put(url, json={"irregular": "maybe"},
                                      headers=api.auth("officer")), 422, "invalid-input")
    kit.assert_problem(api.client.put(url, json={"irregular": True},
                                      headers=api.auth("trader")), 403, "permission-denied")
    kit.assert_problem(api.client.get("/api/v1/risk/queue", headers=api.auth("analyst")),
                       403, "permission-denied")
    feedback = api.client.get("/api/v1/risk/feedback", headers=api.auth("supervisor")).json()
    assert feedback["inspected_with_result"] > 0


def test_rules_lists_and_models(api: Any, kit: types.SimpleNamespace, tmp_path: Path) -> None:
    _with_model(api, tmp_path, rows=1500)
    analyst = api.auth("analyst")
    saved = api.client.put("/api/v1/risk/lists/watch", json={"values": ["CN", "VN"]},
                           headers=analyst)
    assert saved.status_code == 200 and saved.json()["values"] == ["CN", "VN"]
    bad = api.client.post("/api/v1/risk/rules", headers=analyst, json={
        "name": "broken", "condition": "origin in @watch and", "lane": "red"})
    body = kit.assert_problem(bad, 422, "rule-invalid")
    assert "column" in body["detail"]
    tried = api.client.post("/api/v1/risk/rules/test", headers=analyst,
                            json={"condition": "origin in @watch"})
    assert tried.status_code == 200 and tried.json()["fired"] > 0
    rule = api.client.post("/api/v1/risk/rules", headers=analyst, json={
        "name": "watched origins", "condition": "origin in @watch", "lane": "yellow",
        "priority": 3})
    assert rule.status_code == 201, rule.text
    listed = api.client.get("/api/v1/risk/rules", headers=api.auth("officer")).json()
    assert [r["rule"]["name"] for r in listed] == ["watched origins"]
    kit.assert_problem(api.client.post("/api/v1/risk/rules", headers=api.auth("officer"),
                                       json={"name": "x", "condition": "origin = 'CN'",
                                             "lane": "red"}), 403, "permission-denied")
    models = api.client.get("/api/v1/risk/models", headers=analyst).json()
    assert [m["status"] for m in models] == ["promoted"]
    kit.assert_problem(api.client.post(f"/api/v1/risk/models/{models[0]['id']}/promote",
                                       headers=analyst), 409, "conflict")


def test_a_model_version_with_calibration_and_importance(
        api: Any, kit: types.SimpleNamespace, tmp_path: Path) -> None:
    _with_model(api, tmp_path, rows=1500)
    listed = api.client.get("/api/v1/risk/models", headers=api.auth("officer")).json()
    model_id = listed[0]["id"]
    got = api.client.get(f"/api/v1/risk/models/{model_id}", headers=api.auth("officer"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["version"] == listed[0]
    assert body["params"]["trees"] == listed[0]["trees"] and body["params"]["learning_rate"]
    calibration = body["calibration"]
    assert len(calibration["bins"]) == 10
    assert sum(b["count"] for b in calibration["bins"]) == body["version"]["rows_valid"]
    assert 0 <= calibration["brier"] <= 1
    shares = [f["share"] for f in body["importance"]]
    assert 0 < len(shares) <= 20 and shares == sorted(shares, reverse=True)
    assert abs(sum(shares) + body["importance_rest"] - 1) < 1e-4
    assert all(f["label"] and f["feature"] for f in body["importance"])
    kit.assert_problem(api.client.get(f"/api/v1/risk/models/{model_id}",
                                      headers=api.auth("trader")), 403, "permission-denied")
    kit.assert_problem(api.client.get("/api/v1/risk/models/999",
                                      headers=api.auth("officer")), 404, "not-found")
