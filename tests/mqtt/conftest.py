"""Fixtures for the MQTT tests: the throwaway broker, per-test credentials, a publisher.

The broker comes from ``scripts/mosquitto-throwaway.sh`` (``make test`` starts one and
sets SMARTCUSTOMS_TEST_MQTT_URL and SMARTCUSTOMS_TEST_MQTT_DIR); tests that need it are
skipped without. Every test provisions its own users with fresh ids: the fixture adds
them to the broker's password and ACL files (under a file lock, re-reading what is there)
and removes them afterwards, each time through ``smartcustoms.mqtt.broker``.
"""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from smartcustoms.mqtt.broker import BrokerFiles
from smartcustoms.transit.credentials import generate_secret, hash_secret
from smartcustoms.transit.inbound import Inbound

MQTT_URL = os.environ.get("SMARTCUSTOMS_TEST_MQTT_URL")
MQTT_DIR = os.environ.get("SMARTCUSTOMS_TEST_MQTT_DIR")
needs_broker = pytest.mark.skipif(
    not (MQTT_URL and MQTT_DIR),
    reason="SMARTCUSTOMS_TEST_MQTT_URL / _DIR not set (run `make test`)",
)


def _read_state(files: BrokerFiles) -> tuple[dict[str, str], list[str]]:
    """Credentials and intake users currently in the broker's files."""
    creds: dict[str, str] = {}
    for line in files.passwd.read_text().splitlines():
        if line.strip():
            user, hashed = line.split(":", 1)
            creds[user] = hashed
    intake = [line.split(None, 1)[1] for line in files.acl.read_text().splitlines()
              if line.startswith("user ")]
    return creds, intake


@dataclass
class Broker:
    url: str
    files: BrokerFiles
    added: list[str] = field(default_factory=list)

    def _change(self, add: dict[str, str], intake: Sequence[str], remove: Sequence[str]) -> None:
        with open(self.files.directory / ".test-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            creds, intake_users = _read_state(self.files)
            creds.update(add)
            intake_users += [u for u in intake if u not in intake_users]
            for user in remove:
                creds.pop(user, None)
            intake_users = [u for u in intake_users if u not in remove]
            self.files.publish(creds.items(), intake_users)

    def user(self, prefix: str = "DEV", *, intake: bool = False) -> tuple[str, str]:
        """A new user (device id unless ``intake``) with a fresh secret: (name, secret)."""
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        secret = generate_secret()
        self._change({name: hash_secret(secret)}, [name] if intake else [], [])
        self.added.append(name)
        return name, secret

    def cleanup(self) -> None:
        if self.added:
            self._change({}, [], self.added)


@pytest.fixture
def broker() -> Iterator[Broker]:
    if not (MQTT_URL and MQTT_DIR):
        pytest.skip("SMARTCUSTOMS_TEST_MQTT_URL / _DIR not set (run `make test`)")
    state = Broker(MQTT_URL, BrokerFiles(Path(MQTT_DIR)))
    try:
        yield state
    finally:
        state.cleanup()


class Collecting:
    """A sink that records batches and wakes waiters; may be told to fail."""

    def __init__(self, fail_times: int = 0) -> None:
        self.items: list[Inbound] = []
        self.fail_times = fail_times
        self.calls = 0
        self._cond = threading.Condition()

    def __call__(self, batch: Sequence[Inbound]) -> None:
        with self._cond:
            self.calls += 1
            if self.fail_times > 0:
                self.fail_times -= 1
                raise RuntimeError("sink down (test)")
            self.items.extend(batch)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 4.0) -> list[Inbound]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.items) >= count, timeout)
            return list(self.items)


class Device:
    """A paho publisher logged in as one device (MQTT 5, so refusals carry a reason)."""

    def __init__(self, url: str, username: str, password: str) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{username}",
                                  protocol=MQTTProtocolVersion.MQTTv5)
        self.client.username_pw_set(username, password)
        self.acks: dict[int, ReasonCode] = {}
        self.received: list[bytes] = []
        self.connack: ReasonCode | None = None
        self._connected = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_message = lambda _c, _u, msg: self.received.append(msg.payload)
        self.client.connect(host, int(port))
        self.client.loop_start()
        self._connected.wait(4)

    def _on_connect(self, _c: object, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        self.connack = rc
        self._connected.set()

    def _on_publish(self, _c: object, _u: object, mid: int, rc: ReasonCode, _p: object) -> None:
        self.acks[mid] = rc

    def publish(self, topic: str, payload: bytes) -> ReasonCode:
        """Publish at QoS 1 and wait for the broker's PUBACK; its reason code."""
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(4)
        return self.acks[info.mid]

    def subscribe(self, topic: str) -> list[ReasonCode]:
        """Subscribe at QoS 1 and wait for the SUBACK; its reason codes."""
        done = threading.Event()
        codes: list[ReasonCode] = []

        def on_subscribe(_c: object, _u: object, _mid: int, rcs: list[ReasonCode],
                         _p: object) -> None:
            codes.extend(rcs)
            done.set()

        self.client.on_subscribe = on_subscribe
        self.client.subscribe(topic, qos=1)
        done.wait(4)
        return codes

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
