"""`smartcustoms transit devices|trips|alerts …` on a real SQLite file, in-process."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pdfplumber
from typer.testing import CliRunner, Result

from smartcustoms.cli import app
from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory
from smartcustoms.transit.scenario import generate_scenario, inbound_items
from smartcustoms.transit.service import TransitService

ENV: dict[str, str | None] = {"SMARTCUSTOMS_DATA_DIR": None, "SMARTCUSTOMS_ENVIRONMENT": None,
                              "COLUMNS": "200"}


def run(code: int, tmp: Path, *args: str) -> Result:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp / "data"), *args], env=ENV)
    assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
    return result


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def test_devices_trips_alerts_and_evidence(tmp_path: Path) -> None:
    run(0, tmp_path, "init")
    now = dt.datetime.now(dt.UTC)
    scenario = generate_scenario(0, epcis_share=0.0, start=now - dt.timedelta(hours=30))
    device = scenario.trip.device_id
    secret = as_json(run(0, tmp_path, "--json", "transit", "devices", "add", device,
                         "--description", "truck 7"))
    assert secret["device_id"] == device and len(secret["secret"]) >= 40
    run(4, tmp_path, "transit", "devices", "add", device)  # already registered: a conflict
    refused = run(2, tmp_path, "transit", "devices", "add", "smartcustoms-intake")
    assert "reserved" in refused.stderr

    trip_file = tmp_path / "trip.json"
    trip_file.write_text(scenario.trip.model_dump_json(), encoding="utf-8")
    run(0, tmp_path, "transit", "trips", "add", str(trip_file))
    listed = as_json(run(0, tmp_path, "--json", "transit", "trips", "list", "--status",
                         "active"))
    assert [t["trip"]["reference"] for t in listed] == [scenario.trip.reference]

    # The reports arrive as the intake would hand them over.
    engine = make_engine(Settings(data_dir=tmp_path / "data", environment="test"))
    service = TransitService(session_factory(engine))
    items = inbound_items(scenario)
    for i in range(0, len(items), 500):
        service.ingest(items[i:i + 500])
    engine.dispose()

    alerts = as_json(run(0, tmp_path, "--json", "transit", "alerts", "list"))
    deviation = next(a for a in alerts if a["alert"]["kind"] == "route_deviation")
    pdf = tmp_path / "evidence.pdf"
    run(0, tmp_path, "transit", "alerts", "evidence", deviation["alert"]["alert_id"], "-o",
        str(pdf))
    with pdfplumber.open(pdf) as doc:
        assert deviation["alert"]["alert_id"] in doc.pages[0].extract_text()
    pack = tmp_path / "evidence.json"
    run(0, tmp_path, "transit", "alerts", "evidence", deviation["alert"]["alert_id"], "-o",
        str(pack))
    assert json.loads(pack.read_bytes())["trip"]["reference"] == scenario.trip.reference

    run(0, tmp_path, "transit", "trips", "close", scenario.trip.reference)
    devices = as_json(run(0, tmp_path, "--json", "transit", "devices", "list"))
    assert devices[0]["active_trip"] is None
    run(0, tmp_path, "transit", "devices", "disable", device)
    assert as_json(run(0, tmp_path, "--json", "transit", "devices", "list"))[0]["status"] \
        == "disabled"


def test_listen_needs_a_broker_url(tmp_path: Path) -> None:
    run(0, tmp_path, "init")
    result = run(2, tmp_path, "transit", "listen")
    assert "SMARTCUSTOMS_MQTT_URL" in result.stderr
