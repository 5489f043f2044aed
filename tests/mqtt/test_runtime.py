"""The platform's own MQTT path on a broker of its own: devices registered through the
transit service appear in the broker's files, report through the intake into the
service, and are locked out when disabled.

A dedicated broker (not the shared one of ``make test``): the runtime writes the whole
password file from the database, which would drop the other tests' users.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, upgrade
from smartcustoms.identity import SYSTEM
from smartcustoms.mqtt.device import DevicePublisher
from smartcustoms.mqtt.runtime import INTAKE_USER, TransitRuntime, intake_secret
from smartcustoms.transit.engine import RecordKind
from smartcustoms.transit.scenario import generate_scenario
from smartcustoms.transit.service import TransitService

from .conftest import MQTT_URL

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "mosquitto-throwaway.sh"
pytestmark = pytest.mark.skipif(not MQTT_URL, reason="no Mosquitto (run `make test`)")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[TransitRuntime]:
    broker_dir = tmp_path / "broker"
    url = subprocess.run([str(SCRIPT), "start", str(broker_dir)], check=True,
                         capture_output=True, text=True).stdout.strip()
    settings = Settings(data_dir=tmp_path / "data", environment="test", mqtt_url=url,
                        mqtt_broker_dir=broker_dir, transit_tick_seconds=3600)
    engine = make_engine(settings)
    upgrade(engine)
    running = TransitRuntime(TransitService(session_factory(engine)), settings)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        engine.dispose()
        subprocess.run([str(SCRIPT), "stop", str(broker_dir)], check=False,
                       capture_output=True)


def _connect(url: str, device: str, secret: str, *, expect: bool) -> DevicePublisher | None:
    """The broker reloads its files asynchronously after SIGHUP: try for a moment."""
    deadline = time.monotonic() + 5
    while True:
        try:
            publisher = DevicePublisher(url, device, secret, timeout=2)
        except ConnectionError:
            if not expect:
                return None
        else:
            if expect:
                return publisher
            publisher.close()
        if time.monotonic() > deadline:
            raise AssertionError(f"{device}: connect {'refused' if expect else 'accepted'}")
        time.sleep(0.1)


def test_registered_device_reports_through_the_intake(runtime: TransitRuntime) -> None:
    service, url = runtime.service, runtime.settings.mqtt_url
    assert url
    now = dt.datetime.now(dt.UTC)
    scenario = generate_scenario(0, epcis_share=0.5, start=now - dt.timedelta(hours=6))
    secret = service.register_device(SYSTEM, scenario.trip.device_id).secret
    service.register_trip(SYSTEM, scenario.trip.model_dump(mode="json"))
    files = runtime.settings.mqtt_broker_dir
    assert files is not None
    passwd = (files / "passwd").read_text()
    assert f"{scenario.trip.device_id}:$7$" in passwd and f"{INTAKE_USER}:$7$" in passwd
    assert intake_secret(runtime.settings.data_dir) not in passwd  # hashes only

    telemetry = [d for d in scenario.deliveries
                 if d.kind in (RecordKind.TELEMETRY_JSON, RecordKind.TELEMETRY_EPCIS)
                 and d.received_at <= now][:40]
    device = _connect(url, scenario.trip.device_id, secret, expect=True)
    assert device is not None
    for d in telemetry:
        device.publish(d.kind, d.payload)
    device.close()
    deadline = time.monotonic() + 5
    while True:
        state = service.trip_state(SYSTEM, scenario.trip.reference)
        done = state.counters["accepted"] + state.counters["duplicates"]
        if done >= len(telemetry) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert state.counters["records"] == len(telemetry)
    assert state.counters["rejected"] == 0


def test_a_disabled_device_is_locked_out_of_the_broker(runtime: TransitRuntime) -> None:
    service, url = runtime.service, runtime.settings.mqtt_url
    assert url
    secret = service.register_device(SYSTEM, "TRK-RT-1").secret
    device = _connect(url, "TRK-RT-1", secret, expect=True)
    assert device is not None
    device.close()
    service.set_device_status(SYSTEM, "TRK-RT-1", False)
    assert _connect(url, "TRK-RT-1", secret, expect=False) is None
    rotated = service.set_device_status(SYSTEM, "TRK-RT-1", True)
    assert rotated.status == "active"
    new = service.rotate_device_secret(SYSTEM, "TRK-RT-1").secret
    assert _connect(url, "TRK-RT-1", secret, expect=False) is None  # the old secret
    device = _connect(url, "TRK-RT-1", new, expect=True)
    assert device is not None
    device.close()
