"""A tracker's side of MQTT, for the demo's live trip and for trying a broker: connect
with the device's own credentials, publish reports to its topics at QoS 1."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from smartcustoms.mqtt.intake import parse_mqtt_url
from smartcustoms.transit.engine import RecordKind
from smartcustoms.transit.inbound import TOPIC_FORMATS, telemetry_topic

_FORMAT = {kind: fmt for fmt, kind in TOPIC_FORMATS.items()}


class DevicePublisher:
    def __init__(self, url: str, device_id: str, secret: str, *, timeout: float = 10.0) -> None:
        host, port = parse_mqtt_url(url)
        self.device_id = device_id
        self._timeout = timeout
        self._connected = threading.Event()
        self._refused: str | None = None
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{device_id}",
                                   protocol=MQTTProtocolVersion.MQTTv311)
        self._client.username_pw_set(device_id, secret)
        self._client.on_connect = self._on_connect
        self._client.connect(host, port)
        self._client.loop_start()
        if not self._connected.wait(timeout) or self._refused:
            self.close()
            raise ConnectionError(f"device {device_id} cannot connect to {url}: "
                                  f"{self._refused or 'no answer'}")

    def _on_connect(self, _c: object, _u: object, _f: object, reason: mqtt.ReasonCode,
                    _p: object) -> None:
        if reason.is_failure:
            self._refused = str(reason)
        self._connected.set()

    def publish(self, kind: RecordKind, payload: bytes) -> None:
        """Publish one report and wait for the broker's PUBACK."""
        info = self._client.publish(telemetry_topic(self.device_id, _FORMAT[kind]), payload,
                                    qos=1)
        info.wait_for_publish(self._timeout)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
