"""`smartcustoms transit …` through typer's CliRunner (in-process). No database: files in
tmp_path only. One module-wide scenario directory (2 trips) keeps the tests fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from smartcustoms.cli import app
from smartcustoms.transit.alerts import Alert
from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.engine import TripMonitor
from smartcustoms.transit.replay import alerts_digest
from smartcustoms.transit.scenario import generate_scenario

ENV: dict[str, str | None] = {"SMARTCUSTOMS_DATA_DIR": None, "SMARTCUSTOMS_ENVIRONMENT": None,
                              "COLUMNS": "200"}


def run(code: int, *args: str, tmp: Path) -> Result:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp / "data"), *args], env=ENV)
    assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def json_lines(result: Result) -> list[Any]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("transit")
    run(0, "transit", "scenario", str(tmp / "scn"), "--seed", "7", "--count", "2", tmp=tmp)
    return tmp / "scn"


def test_scenario_writes_the_three_files(scenario_dir: Path, tmp_path: Path) -> None:
    trips = json.loads((scenario_dir / "trips.json").read_text())["trips"]
    labels = json.loads((scenario_dir / "labels.json").read_text())["scenarios"]
    assert [t["reference"] for t in trips] == [s["trip"] for s in labels]
    assert all("expected_alert_kinds" in s and s["faults"] for s in labels)
    again = tmp_path / "again"
    [info] = json_lines(run(0, "--json", "transit", "scenario", str(again), "--seed", "7",
                            "--count", "2", tmp=tmp_path))
    assert info["scenarios"] == 2 and len(info["trips"]) == 2
    assert (again / "events.jsonl").read_bytes() == (scenario_dir / "events.jsonl").read_bytes()


def test_replay_json_reproduces_each_scenarios_alerts(scenario_dir: Path, tmp_path: Path
                                                      ) -> None:
    rows = json_lines(run(0, "--json", "transit", "replay", str(scenario_dir / "events.jsonl"),
                          "--trips", str(scenario_dir / "trips.json"), tmp=tmp_path))
    *alerts, last = rows
    summary = last["summary"]
    expected: list[Alert] = []
    for seed in (700_000, 700_001):  # --seed 7: seeds 7 * 100_000 + i
        scenario = generate_scenario(seed)
        monitor = TripMonitor(scenario.trip, CorridorGeometry(scenario.corridor))
        for d in scenario.deliveries:
            monitor.receive(d.payload, d.kind, d.received_at)
        expected += monitor.alerts
    assert alerts and summary["alerts_sha256"] == alerts_digest(expected)
    assert alerts == [a.model_dump(mode="json") for a in sorted(
        expected, key=lambda a: (a.trip_ref, a.opened_at, a.kind, a.alert_id))]
    assert summary["bad_lines"]["count"] == 0 and summary["unrouted"]["count"] == 0
    assert sum(t["records"] for t in summary["trips"].values()) == summary["records"]


def test_replay_human_shows_alerts_counters_and_bad_lines(scenario_dir: Path, tmp_path: Path
                                                          ) -> None:
    events = tmp_path / "events.jsonl"
    lines = (scenario_dir / "events.jsonl").read_text().splitlines()
    events.write_text("\n".join([lines[0], "{oops", *lines[1:]]) + "\n")
    evidence = tmp_path / "evidence"
    result = run(0, "transit", "replay", str(events), "--trips",
                 str(scenario_dir / "trips.json"), "--as-of", "2025-03-06T00:00:00+00:00",
                 "--evidence", str(evidence), tmp=tmp_path)
    assert "alert(s)" in result.stdout and "alerts sha256" in result.stdout
    assert "quarantined" in result.stdout and "duplicates" in result.stdout
    assert "1 bad line(s)" in result.stderr and "line 2: not JSON" in result.stderr
    packs = sorted(evidence.glob("*.json"))
    assert packs and json.loads(packs[0].read_text())["alert"]["alert_id"] == packs[0].stem


def test_bad_trips_file_exits_2_naming_the_field(scenario_dir: Path, tmp_path: Path) -> None:
    trips = json.loads((scenario_dir / "trips.json").read_text())
    trips["trips"][1]["device_id"] = "!"
    bad = tmp_path / "trips.json"
    bad.write_text(json.dumps(trips))
    events = str(scenario_dir / "events.jsonl")
    result = run(2, "transit", "replay", events, "--trips", str(bad), tmp=tmp_path)
    assert "trips[1].device_id" in result.stderr
    bad.write_text("[{")
    assert "is not JSON" in run(2, "transit", "replay", events, "--trips", str(bad),
                                tmp=tmp_path).stderr
    missing = run(2, "transit", "replay", str(tmp_path / "none.jsonl"), "--trips",
                  str(scenario_dir / "trips.json"), tmp=tmp_path)
    assert "cannot read the events file" in missing.stderr
    assert "--as-of" in run(2, "transit", "replay", events, "--trips",
                            str(scenario_dir / "trips.json"), "--as-of", "soon",
                            tmp=tmp_path).stderr


def test_export_epcis_writes_json_ld(scenario_dir: Path, tmp_path: Path) -> None:
    trips = json.loads((scenario_dir / "trips.json").read_text())["trips"]
    mrn = trips[0]["reference"]
    target = tmp_path / "trip.jsonld"
    common = ["transit", "export-epcis", str(scenario_dir / "events.jsonl"), "--trips",
              str(scenario_dir / "trips.json")]
    run(0, *common, "--trip", mrn, "-o", str(target), tmp=tmp_path)
    document = json.loads(target.read_text())
    assert "@context" in document and document["type"] == "EPCISDocument"
    events = document["epcisBody"]["eventList"]
    assert events and all(mrn in e["bizTransactionList"][0]["bizTransaction"] for e in events)
    streamed = json.loads(run(0, *common, "--trip", mrn, tmp=tmp_path).stdout)
    assert len(streamed["epcisBody"]["eventList"]) == len(events)
    assert "not in trips.json" in run(3, *common, "--trip", "25XX000000000000X0",
                                      tmp=tmp_path).stderr
