"""What runs beside the HTTP server for transit: the clock ticker, the MQTT intake, and the
broker's credential files.

- The ticker evaluates every active trip every ``transit_tick_seconds``: a silent device
  or an overdue trip sends nothing that would trigger an evaluation.
- With ``mqtt_url`` set, an ``MqttIntake`` subscribes as ``INTAKE_USER`` and hands its
  batches to the same ``TransitService`` the API and console use (so the console's
  WebSocket sees MQTT alerts at once).
- With ``mqtt_broker_dir`` set, the broker's ``passwd`` and ``acl`` are written from the
  registered devices (and the intake user) at start and after every device change, and
  the broker reloads them: a disabled device is refused from that moment on.

The intake's own secret is generated once into the data directory (``mqtt/intake.secret``,
mode 0600), never in the repository.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path

from smartcustoms.config import Settings
from smartcustoms.mqtt.broker import BrokerFiles
from smartcustoms.mqtt.intake import MqttIntake
from smartcustoms.transit.credentials import generate_secret, hash_secret
from smartcustoms.transit.registry import device_credentials
from smartcustoms.transit.service import TransitService

log = logging.getLogger(__name__)

INTAKE_USER = "smartcustoms-intake"


def intake_secret(data_dir: Path) -> str:
    """The intake's MQTT password, made on first use."""
    path = data_dir / "mqtt" / "intake.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(generate_secret())
    return path.read_text(encoding="ascii").strip()


class TransitRuntime:
    def __init__(self, service: TransitService, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self.intake: MqttIntake | None = None
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick_loop, name="transit-ticker",
                                        daemon=True)
        self._files = (BrokerFiles(settings.mqtt_broker_dir)
                       if settings.mqtt_broker_dir is not None else None)

    def start(self) -> list[str]:
        """Start what is configured; returns one line per part for the operator."""
        lines = []
        self.service.load()
        if self._files is not None:
            self.service.on_devices_changed = self.write_broker_files
            with self.service.sessions() as session:
                self.write_broker_files(device_credentials(session))
            lines.append(f"MQTT broker files: {self._files.directory} (devices and ACL)")
        if self.settings.mqtt_url:
            self.intake = self._start_intake(self.settings.mqtt_url)
            lines.append(f"MQTT intake: {self.settings.mqtt_url} as {INTAKE_USER}")
        self._ticker.start()
        lines.append(f"transit clock: every trip evaluated every "
                     f"{self.settings.transit_tick_seconds:g} s")
        return lines

    def _start_intake(self, url: str, attempts: int = 10) -> MqttIntake:
        # The broker re-reads its password file on SIGHUP, asynchronously: the intake's
        # own account may not be known for a moment after the files were written.
        for attempt in range(attempts):
            intake = MqttIntake(url, INTAKE_USER, intake_secret(self.settings.data_dir),
                                self.service.ingest,
                                client_id=f"{INTAKE_USER}-{socket.gethostname()}"[:64])
            try:
                intake.start()
                return intake
            except ConnectionError:
                if attempt == attempts - 1 or self._files is None:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def stop(self) -> None:
        self._stop.set()
        if self.intake is not None:
            self.intake.stop()  # the session stays: messages wait in the broker
        if self._ticker.is_alive():
            self._ticker.join(timeout=5)

    def write_broker_files(self, credentials: list[tuple[str, str]]) -> None:
        if self._files is None:
            return
        own = (INTAKE_USER, hash_secret(intake_secret(self.settings.data_dir)))
        self._files.publish([own, *credentials], [INTAKE_USER])

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.settings.transit_tick_seconds):
            try:
                self.service.tick()
            except Exception:  # the next tick tries again; the log says why
                log.exception("transit tick failed")
