"""The intake against a real Mosquitto: credentials, ACL, batching, ack after commit.

Each test provisions its own device and intake users (fresh ids), so tests do not see
each other's messages; the intake client id is fresh too, so every test starts with an
empty persistent session.
"""

from __future__ import annotations

import uuid
from datetime import UTC

import orjson
import pytest

from smartcustoms.mqtt.intake import MqttIntake
from smartcustoms.transit.engine import RecordKind
from smartcustoms.transit.inbound import Source, telemetry_topic

from .conftest import Broker, Collecting, Device

pytestmark = pytest.mark.timeout(30)


def _payload(device_id: str, seq: int) -> bytes:
    return orjson.dumps({"device_id": device_id, "device_seq": seq,
                         "device_time": "2026-11-20T09:30:00Z", "lat": 1.0, "lon": 36.0})


def _intake(broker: Broker, sink: Collecting, client_id: str | None = None) -> MqttIntake:
    user, secret = broker.user("INTAKE", intake=True)
    return MqttIntake(broker.url, user, secret, sink,
                      client_id=client_id or f"intake-{uuid.uuid4().hex[:12]}",
                      batch_size=50, batch_ms=20)


def test_device_message_reaches_the_sink_as_sent(broker: Broker) -> None:
    sink = Collecting()
    intake = _intake(broker, sink)
    intake.start()
    device_id, secret = broker.user()
    device = Device(broker.url, device_id, secret)
    try:
        sent = [_payload(device_id, i) for i in range(5)]
        for body in sent:
            assert not device.publish(telemetry_topic(device_id), body).is_failure
        assert not device.publish(telemetry_topic(device_id, "epcis"), b"{}").is_failure
        got = sink.wait_for(6)
    finally:
        device.close()
        intake.stop(end_session=True)
    assert [item.payload for item in got] == [*sent, b"{}"]
    assert {item.device_id for item in got} == {device_id}
    assert {item.source for item in got} == {Source.MQTT}
    assert [item.kind for item in got] == [RecordKind.TELEMETRY_JSON] * 5 + [
        RecordKind.TELEMETRY_EPCIS]
    assert all(item.received_at.tzinfo is UTC for item in got)
    assert (intake.counters.passed, intake.counters.acked) == (6, 6)


def test_acl_refuses_another_devices_topic(broker: Broker) -> None:
    sink = Collecting()
    intake = _intake(broker, sink)
    intake.start()
    mallory, secret = broker.user()
    victim, _ = broker.user()
    device = Device(broker.url, mallory, secret)
    try:
        refused = device.publish(telemetry_topic(victim), _payload(victim, 1))
        other = device.publish(f"smartcustoms/v1/devices/{mallory}/other", b"x")
        marker = device.publish(telemetry_topic(mallory), _payload(mallory, 2))
        got = sink.wait_for(1)
    finally:
        device.close()
        intake.stop(end_session=True)
    assert refused.is_failure and other.is_failure and not marker.is_failure
    assert [item.device_id for item in got] == [mallory]
    assert intake.counters.received == 1


def test_a_device_cannot_read_other_devices(broker: Broker) -> None:
    sink = Collecting()
    intake = _intake(broker, sink)
    intake.start()
    alice, alice_secret = broker.user()
    eve, eve_secret = broker.user()
    sender = Device(broker.url, alice, alice_secret)
    listener = Device(broker.url, eve, eve_secret)
    try:
        assert listener.subscribe("smartcustoms/v1/devices/+/+")  # granted or not, ...
        assert listener.subscribe("#")
        sender.publish(telemetry_topic(alice), _payload(alice, 1))
        got = sink.wait_for(1)  # the intake has it, so the broker has routed it
    finally:
        sender.close()
        listener.close()
        intake.stop(end_session=True)
    assert len(got) == 1
    assert listener.received == []  # ... nothing is delivered


def test_wrong_password_cannot_connect(broker: Broker) -> None:
    device_id, _ = broker.user()
    device = Device(broker.url, device_id, "not-the-secret")
    try:
        assert device.connack is not None and device.connack.is_failure
    finally:
        device.close()
    with pytest.raises(ConnectionError):
        MqttIntake(broker.url, device_id, "not-the-secret", Collecting(),
                   client_id=f"intake-{uuid.uuid4().hex[:12]}").start(timeout=2)


def test_sink_failure_redelivers_after_reconnect(broker: Broker) -> None:
    sink = Collecting(fail_times=1)
    intake = _intake(broker, sink)
    intake.start()
    device_id, secret = broker.user()
    device = Device(broker.url, device_id, secret)
    try:
        sent = [_payload(device_id, i) for i in range(10)]
        for body in sent:
            device.publish(telemetry_topic(device_id), body)
        got = sink.wait_for(10)
    finally:
        device.close()
        intake.stop(end_session=True)
    # At least once: every payload arrives, redeliveries may come twice, order of first
    # arrival is kept.
    assert list(dict.fromkeys(item.payload for item in got)) == sent
    assert intake.counters.sink_failures == 1
    assert intake.counters.connections >= 2


def test_restarted_intake_gets_what_was_published_while_down(broker: Broker) -> None:
    client_id = f"intake-{uuid.uuid4().hex[:12]}"
    first = Collecting()
    intake = _intake(broker, first, client_id)
    intake.start()  # creates the persistent session and its subscription
    intake.stop()
    device_id, secret = broker.user()
    device = Device(broker.url, device_id, secret)
    try:
        sent = [_payload(device_id, i) for i in range(20)]
        for body in sent:
            device.publish(telemetry_topic(device_id), body)
    finally:
        device.close()
    second = Collecting()
    intake = _intake(broker, second, client_id)
    intake.start()
    try:
        got = second.wait_for(20)
    finally:
        intake.stop(end_session=True)
    assert first.items == []
    assert [item.payload for item in got] == sent


def test_ended_session_gets_nothing_more(broker: Broker) -> None:
    client_id = f"intake-{uuid.uuid4().hex[:12]}"
    intake = _intake(broker, Collecting(), client_id)
    intake.start()
    intake.stop(end_session=True)
    device_id, secret = broker.user()
    device = Device(broker.url, device_id, secret)
    try:
        device.publish(telemetry_topic(device_id), _payload(device_id, 1))
    finally:
        device.close()
    sink = Collecting()
    intake = _intake(broker, sink, client_id)
    intake.start()
    try:
        got = sink.wait_for(1, timeout=0.3)
    finally:
        intake.stop(end_session=True)
    assert got == []
