"""The intake's batching and ack rules, without a broker (paho client replaced by a fake).

These pin what the broker tests can only sample: what is passed on, what is acked and
when, for unknown topics, sink failures and messages from a connection that has ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from paho.mqtt.client import MQTTMessage

from smartcustoms.mqtt.intake import MqttIntake
from smartcustoms.transit.engine import RecordKind
from smartcustoms.transit.inbound import Inbound, Source

FIXED_NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


class FakeClient:
    def __init__(self) -> None:
        self.acks: list[tuple[int, int]] = []

    def ack(self, mid: int, qos: int) -> None:
        self.acks.append((mid, qos))


class Recording:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[Inbound]] = []
        self.fail = fail

    def __call__(self, batch: Sequence[Inbound]) -> None:
        if self.fail:
            raise RuntimeError("database down (test)")
        self.batches.append(list(batch))


def _intake(sink: Recording, batch_size: int = 10) -> tuple[MqttIntake, FakeClient]:
    intake = MqttIntake("mqtt://127.0.0.1:1", "intake", "secret", sink, client_id="t",
                        batch_size=batch_size, batch_ms=1, clock=lambda: FIXED_NOW)
    fake = FakeClient()
    intake._client = fake  # type: ignore[assignment]
    intake._accepting = True
    intake._connection = 1
    return intake, fake


def _receive(intake: MqttIntake, topic: str, payload: bytes, mid: int, qos: int = 1) -> None:
    message = MQTTMessage(mid, topic.encode())
    message.payload, message.qos = payload, qos
    intake._on_message(None, None, message)  # type: ignore[arg-type]


def _flush(intake: MqttIntake) -> list[bool]:
    results = []
    while intake._pending:
        batch = intake._next_batch()
        assert batch is not None
        results.append(intake._deliver(batch))
    return results


def test_device_topics_pass_on_and_unknown_topics_are_only_acked() -> None:
    sink = Recording()
    intake, client = _intake(sink)
    _receive(intake, "smartcustoms/v1/devices/ESEAL-1/json", b"{}", mid=1)
    _receive(intake, "smartcustoms/v1/devices/ESEAL-1/xml", b"?", mid=2)
    _receive(intake, "elsewhere", b"?", mid=3)
    _receive(intake, "smartcustoms/v1/devices/ESEAL-2/epcis", b"<>", mid=4)
    assert _flush(intake) == [True]
    assert sink.batches == [[
        Inbound(Source.MQTT, RecordKind.TELEMETRY_JSON, b"{}", FIXED_NOW, "ESEAL-1"),
        Inbound(Source.MQTT, RecordKind.TELEMETRY_EPCIS, b"<>", FIXED_NOW, "ESEAL-2"),
    ]]
    assert client.acks == [(1, 1), (2, 1), (3, 1), (4, 1)]  # in the order received
    c = intake.counters
    assert (c.received, c.passed, c.acked, c.unknown_topic) == (4, 2, 4, 2)


def test_batches_are_cut_at_batch_size() -> None:
    sink = Recording()
    intake, client = _intake(sink, batch_size=3)
    for mid in range(1, 8):
        _receive(intake, "smartcustoms/v1/devices/ESEAL-1/json", b"{}", mid=mid)
    assert _flush(intake) == [True, True, True]
    assert [len(batch) for batch in sink.batches] == [3, 3, 1]
    assert [mid for mid, _ in client.acks] == list(range(1, 8))


def test_sink_failure_acks_nothing() -> None:
    sink = Recording(fail=True)
    intake, client = _intake(sink)
    _receive(intake, "smartcustoms/v1/devices/ESEAL-1/json", b"{}", mid=1)
    _receive(intake, "elsewhere", b"?", mid=2)
    assert _flush(intake) == [False]
    assert client.acks == []
    assert (intake.counters.sink_failures, intake.counters.passed) == (1, 0)


def test_messages_from_an_ended_connection_are_passed_on_but_not_acked() -> None:
    sink = Recording()
    intake, client = _intake(sink)
    _receive(intake, "smartcustoms/v1/devices/ESEAL-1/json", b"old", mid=7)
    intake._connection += 2  # disconnected and connected again: mid 7 means nothing now
    _receive(intake, "smartcustoms/v1/devices/ESEAL-1/json", b"new", mid=7)
    assert _flush(intake) == [True]
    assert [item.payload for item in sink.batches[0]] == [b"old", b"new"]
    assert client.acks == [(7, 1)]  # once: for the message of the current connection


def test_qos0_messages_need_no_ack() -> None:
    sink = Recording()
    intake, client = _intake(sink)
    _receive(intake, "smartcustoms/v1/devices/ESEAL-1/json", b"{}", mid=0, qos=0)
    assert _flush(intake) == [True]
    assert client.acks == [] and intake.counters.passed == 1


def test_nothing_is_taken_once_stopping() -> None:
    intake, _ = _intake(Recording())
    intake._accepting = False
    _receive(intake, "smartcustoms/v1/devices/ESEAL-1/json", b"{}", mid=1)
    assert not intake._pending


@pytest.mark.parametrize("url", ["tcp://x:1", "mqtts://x:8883", "mqtt://"])
def test_only_plain_mqtt_urls(url: str) -> None:
    with pytest.raises(ValueError):
        MqttIntake(url, "u", "p", Recording(), client_id="t")
