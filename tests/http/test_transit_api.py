"""Transit over HTTP: devices and their secrets, trips, buffered uploads with device
credentials, the alert queue and its case steps, evidence, raw-log export, EPCIS."""

from __future__ import annotations

import base64
import hashlib
import io
import types
from typing import Any

import orjson
import pdfplumber
import pytest

from smartcustoms.transit.engine import RecordKind
from smartcustoms.transit.evidence import evidence_json
from smartcustoms.transit.rawfile import read_raw_records
from smartcustoms.transit.scenario import FaultKind, Scenario, generate_scenario

URL = "/api/v1/transit"


def _basic(device: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{device}:{secret}".encode()).decode()}


def _detour_scenario() -> Scenario:
    """Seed 0 drives off the corridor (and its battery runs low); telemetry alone raises
    the route deviation (a tamper alert would need the officers' arming commands)."""
    scenario = generate_scenario(0, epcis_share=0.0)
    assert FaultKind.DETOUR in {label.kind for label in scenario.labels}
    return scenario


@pytest.fixture
def trip(api: Any) -> tuple[Scenario, str]:
    scenario = _detour_scenario()
    r = api.client.post(URL + "/devices", headers=api.auth("supervisor"),
                        json={"device_id": scenario.trip.device_id, "description": "truck"})
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    r = api.client.post(URL + "/trips", headers=api.auth("supervisor"),
                        json=scenario.trip.model_dump(mode="json"))
    assert r.status_code == 201, r.text
    return scenario, secret


def _upload(api: Any, scenario: Scenario, secret: str) -> dict[str, int]:
    """The scenario's telemetry as NDJSON uploads of 200 lines, in arrival order, received
    when the trip ends (the reports are then in the device's store-and-forward window)."""
    api.clock.now = scenario.deliveries[-1].received_at
    lines = [d.payload for d in scenario.deliveries if d.kind is RecordKind.TELEMETRY_JSON]
    total: dict[str, int] = {}
    for i in range(0, len(lines), 200):
        r = api.client.post(f"{URL}/devices/{scenario.trip.device_id}/events",
                            content=b"\n".join(lines[i:i + 200]),
                            headers={**_basic(scenario.trip.device_id, secret),
                                     "Content-Type": "application/x-ndjson"})
        assert r.status_code == 202, r.text
        for key in ("records", "accepted", "duplicates", "rejected"):
            total[key] = total.get(key, 0) + r.json()[key]
    return total


def test_device_upload_raises_alerts_that_officers_work(api: Any, trip: tuple[Scenario, str]
                                                        ) -> None:
    scenario, secret = trip
    totals = _upload(api, scenario, secret)
    assert totals["records"] > 100 and totals["rejected"] == 0
    ref = scenario.trip.reference
    r = api.client.get(URL + "/alerts", params={"trip": ref, "open": True},
                       headers=api.auth("officer"))
    assert r.status_code == 200, r.text
    detour = next(a for a in r.json() if a["alert"]["kind"] == "route_deviation")
    alert_id = detour["alert"]["alert_id"]
    assert detour["case_status"] == "open"
    resolution = {"reason": "confirmed_infringement", "note": "driver left the corridor"}
    for action, body in (("acknowledge", None), ("assign", {"assignee": "officer.kim"}),
                         ("resolve", resolution)):
        r = api.client.post(f"{URL}/alerts/{alert_id}/{action}", json=body,
                            headers=api.auth("officer"))
        assert r.status_code == 200, r.text
    assert r.json()["case_status"] == "resolved"
    r = api.client.get(f"{URL}/alerts/{alert_id}/evidence", headers=api.auth("officer"))
    assert r.status_code == 200
    pack = r.json()
    assert pack["alert"]["alert_id"] == alert_id and pack["track"] and pack["rule"]["name"]
    r = api.client.get(f"{URL}/alerts/{alert_id}/evidence.pdf", headers=api.auth("officer"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(r.content)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    # The PDF names the alert and ties itself to the JSON pack by its digest.
    assert alert_id in text and "route deviation" in text and "driver left" in text
    assert hashlib.sha256(evidence_json(pack)).hexdigest() in text.replace("\n", "")
    state = api.client.get(f"{URL}/trips/{ref}", headers=api.auth("officer")).json()
    assert state["counters"]["accepted"] == totals["accepted"] and state["track"]


def test_upload_refuses_wrong_or_foreign_credentials(api: Any, kit: types.SimpleNamespace,
                                                     trip: tuple[Scenario, str]) -> None:
    scenario, secret = trip
    device = scenario.trip.device_id
    payload = next(d.payload for d in scenario.deliveries
                   if d.kind is RecordKind.TELEMETRY_JSON)
    path = f"{URL}/devices/{device}/events"
    json_type = {"Content-Type": "application/json"}
    r = api.client.post(path, content=payload, headers={**_basic(device, "wrong"), **json_type})
    kit.assert_problem(r, 401, "authentication-failed")
    r = api.client.post(path, content=payload, headers={**api.auth("admin"), **json_type})
    kit.assert_problem(r, 401, "authentication-failed")  # a user token is not a device
    r = api.client.post(path, content=payload,
                        headers={**_basic(device, secret), "Content-Type": "text/csv"})
    body = kit.assert_problem(r, 422, "invalid-input")
    assert "content type" in body["detail"]
    # Rotating the secret locks the old one out at once.
    r = api.client.post(f"{URL}/devices/{device}/rotate", headers=api.auth("supervisor"))
    assert r.status_code == 200
    r = api.client.post(path, content=payload, headers={**_basic(device, secret), **json_type})
    kit.assert_problem(r, 401, "authentication-failed")


def test_a_bad_payload_is_kept_and_reported(api: Any, trip: tuple[Scenario, str]) -> None:
    scenario, secret = trip
    device = scenario.trip.device_id
    bad = orjson.dumps({"device_id": device, "device_time": "yesterday"})
    r = api.client.post(f"{URL}/devices/{device}/events", content=bad,
                        headers={**_basic(device, secret), "Content-Type": "application/json"})
    assert r.status_code == 202
    assert r.json()["rejected"] == 1 and "device_time" in r.json()["errors"][0]
    raw = api.client.get(f"{URL}/trips/{scenario.trip.reference}/raw",
                         headers=api.auth("officer"))
    records = list(read_raw_records(raw.content.splitlines()))
    assert len(records) == 1 and records[0][1].payload == bad  # type: ignore[union-attr]


def test_roles_and_registration_errors(api: Any, kit: types.SimpleNamespace,
                                       trip: tuple[Scenario, str]) -> None:
    scenario, _ = trip
    r = api.client.post(URL + "/devices", headers=api.auth("officer"),
                        json={"device_id": "TRK-X-1"})
    kit.assert_problem(r, 403, "permission-denied")
    r = api.client.get(URL + "/alerts", headers=api.auth("trader"))
    kit.assert_problem(r, 403, "permission-denied")
    r = api.client.post(URL + "/trips", headers=api.auth("supervisor"),
                        json=scenario.trip.model_dump(mode="json"))
    kit.assert_problem(r, 409, "conflict")
    bad = dict(scenario.trip.model_dump(mode="json"), container_id="MSCU1234560",
               reference="25KE00000000000999")
    r = api.client.post(URL + "/trips", headers=api.auth("supervisor"), json=bad)
    body = kit.assert_problem(r, 422, "transit-trip-invalid")
    assert "check digit" in body["detail"]


def test_commands_exports_and_closing(api: Any, trip: tuple[Scenario, str]) -> None:
    scenario, secret = trip
    ref = scenario.trip.reference
    r = api.client.post(f"{URL}/trips/{ref}/commands", json={"kind": "assign"},
                        headers=api.auth("officer"))
    assert r.status_code == 200, r.text
    assert r.json()["seal_state"] == "assigned" and r.json()["refused"] == []
    _upload(api, scenario, secret)
    r = api.client.get(f"{URL}/trips/{ref}/epcis", headers=api.auth("analyst"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/ld+json"
    assert r.json()["type"] == "EPCISDocument"
    r = api.client.post(f"{URL}/trips/{ref}/close", headers=api.auth("supervisor"))
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = api.client.get(URL + "/trips", params={"status": "active"},
                       headers=api.auth("officer"))
    assert r.json() == []
    r = api.client.get(URL + "/devices", headers=api.auth("officer"))
    assert r.json()[0]["active_trip"] is None
