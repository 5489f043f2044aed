"""MQTT intake benchmark: devices → Mosquitto → MqttIntake → sink, with no loss.

With ``--sink service`` the sink is the platform's own path, ``TransitService.ingest``:
each batch is committed to the raw log, then evaluated by the trips' monitors and the
alert table brought in line, before the intake acks it. Otherwise (``--sink sqlite``, the
intake alone) it is the following.

N simulated devices, each logged in with its own credentials (``$7$`` hashes in the
broker's password file, topic ACL), publish M canonical JSON telemetry events each at
QoS 1 from separate publisher processes. One ``MqttIntake`` (persistent session, manual
ack) hands batches to a sink that decodes every payload with ``decode_json`` and appends
the batch to a real SQLite file (WAL, one ``executemany`` + commit per batch); messages
are acked only after the commit. Reports:

- throughput: committed events per second from the first publish to the last commit
  (sustained: the whole run, not a peak), and the publish rate;
- loss (published and PUBACKed by the broker, but never committed), duplicates (committed
  more than once, by device and sequence number);
- latency from publish to commit, p50 / p95 / p99;
- CPU seconds spent by the broker, the intake process and the publishers.

The broker is a throwaway one started with ``scripts/mosquitto-throwaway.sh`` in a
temporary directory (and stopped afterwards), so its password and ACL files are ours.

    .venv/bin/python benchmarks/transit_mqtt.py                        # 100,000 events
    .venv/bin/python benchmarks/transit_mqtt.py --rate 5000            # paced at 5,000/s
    .venv/bin/python benchmarks/transit_mqtt.py --devices 50 --events 200000
    .venv/bin/python benchmarks/transit_mqtt.py --rate 5000 --fail-every 50  # redelivery
    .venv/bin/python benchmarks/transit_mqtt.py --sink service --rate 5000   # whole path
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import selectors
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from _broker import WINDOW, cpu_seconds, mosquitto_version, start_broker, stop_broker
from _stats import percentile  # benchmarks/ is on the path when run as a script
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy import func, select

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade
from smartcustoms.identity import SYSTEM
from smartcustoms.mqtt.broker import BrokerFiles
from smartcustoms.mqtt.intake import MqttIntake, parse_mqtt_url
from smartcustoms.transit.alert_store import list_alerts
from smartcustoms.transit.credentials import generate_secret, hash_secret
from smartcustoms.transit.decode import decode_json
from smartcustoms.transit.inbound import Inbound, telemetry_topic
from smartcustoms.transit.registry import add_corridor
from smartcustoms.transit.service import TransitService
from smartcustoms.transit.tables import TransitRawRow
from smartcustoms.transit.trips import container_check_digit

# --- publishers (child processes) -----------------------------------------------------


def _payload(device_id: str, seq: int, t0: datetime) -> bytes:
    return orjson.dumps({
        "device_id": device_id, "device_seq": seq,
        "device_time": (t0 + timedelta(seconds=seq)).isoformat(),
        "lat": 1.0 + seq * 1e-5, "lon": 36.0, "speed_kmh": 70.0, "seal_status": "sealed",
        "temperature_c": 4.0, "battery_pct": 98.0,
    })


class _Device:
    """One device's MQTT connection, driven by its process's single event loop."""

    def __init__(self, url: str, device_id: str, secret: str, count: int,
                 t0: datetime) -> None:
        host, port = parse_mqtt_url(url)
        # MQTT 3.1.1 as the intake: the publishers share the 2 cores, so spend little here.
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{device_id}",
                                  protocol=MQTTProtocolVersion.MQTTv311)
        self.client.username_pw_set(device_id, secret)
        self.client.max_inflight_messages_set(WINDOW)
        self.client.on_publish = self._on_publish
        self.client.connect(host, port)
        self.topic = telemetry_topic(device_id)
        self.payloads = [_payload(device_id, seq, t0) for seq in range(count)]
        self.times: list[float] = []
        self.acked = self.failures = 0

    def _on_publish(self, _c: object, _u: object, _mid: int, rc: mqtt.ReasonCode,
                    _p: object) -> None:
        self.acked += 1
        self.failures += rc.is_failure

    @property
    def done(self) -> bool:
        return self.acked == len(self.payloads)

    def publish_due(self, start_at: float, rate: float) -> None:
        """Publish what the pace allows, keeping at most WINDOW messages unacked."""
        now = time.time()
        while (len(self.times) < len(self.payloads) and len(self.times) - self.acked < WINDOW
               and (not rate or start_at + len(self.times) / rate <= now)):
            self.times.append(time.time())
            self.client.publish(self.topic, self.payloads[len(self.times) - 1], qos=1)


def _drive(devices: list[_Device], until: Callable[[], bool], start_at: float | None,
           rate: float) -> None:
    """One thread, one selector for all of a process's devices: no GIL hand-offs."""
    selector = selectors.DefaultSelector()
    for device in devices:
        selector.register(device.client.socket(), selectors.EVENT_READ, device)
    last_misc = time.monotonic()
    while not until():
        if start_at is not None and time.time() >= start_at:
            for device in devices:
                device.publish_due(start_at, rate)
        for device in devices:
            if device.client.want_write():
                device.client.loop_write()
        for key, _ in selector.select(timeout=0.002):
            key.data.client.loop_read()
        if time.monotonic() - last_misc > 1.0:  # keepalive pings
            last_misc = time.monotonic()
            for device in devices:
                device.client.loop_misc()
    selector.close()


def _publisher(url: str, credentials: list[tuple[str, str]], count: int, rate: float,
               start_at: float, t0: datetime, out: mp.Queue) -> None:  # type: ignore[type-arg]
    devices = [_Device(url, device_id, secret, count, t0) for device_id, secret in credentials]
    _drive(devices, lambda: all(d.client.is_connected() for d in devices), None, rate)
    _drive(devices, lambda: all(d.done for d in devices), start_at, rate)
    for device in devices:
        device.client.disconnect()
    times = {d.topic.split("/")[-2]: d.times for d in devices}
    out.put((times, sum(d.failures for d in devices), os.times()))


# --- the intake's sink ------------------------------------------------------------------


class SqliteSink:
    """Decode, then append the batch to SQLite in one transaction; returns after commit."""

    def __init__(self, path: Path, fail_every: int = 0) -> None:
        self.fail_every = fail_every  # raise on every n-th call, before writing anything
        self.calls = 0
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE raw (device_id TEXT NOT NULL, device_seq INTEGER, "
                        "received_at TEXT NOT NULL, payload BLOB NOT NULL)")
        self.commits: list[tuple[float, list[tuple[str, int]]]] = []
        self.invalid = 0
        self.batches = 0

    def __call__(self, batch: Sequence[Inbound]) -> None:
        self.calls += 1
        if self.fail_every and self.calls % self.fail_every == 0:
            raise RuntimeError("injected sink failure (--fail-every)")
        rows = []
        keys = []
        for item in batch:
            (event,) = decode_json(item.payload)
            if event.device_id != item.device_id or event.device_seq is None:
                self.invalid += 1  # would be refused by the transit service
                continue
            rows.append((item.device_id, event.device_seq, item.received_at.isoformat(),
                         item.payload))
            keys.append((event.device_id, event.device_seq))
        with self.db:  # one transaction, committed on exit
            self.db.executemany("INSERT INTO raw VALUES (?, ?, ?, ?)", rows)
        self.commits.append((time.time(), keys))
        self.batches += 1

    @property
    def committed(self) -> int:
        return sum(len(keys) for _, keys in self.commits)

    def rows_and_unique(self) -> tuple[int, int]:
        return self.db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT device_id || '/' || device_seq) FROM raw"
        ).fetchone()  # type: ignore[no-any-return]

    def describe(self) -> str:
        return "decode + SQLite append"


class ServiceSink:
    """The platform's own path: ``TransitService.ingest`` (raw log committed, then the
    trip monitors and the alert table), one trip per device on a straight corridor."""

    def __init__(self, directory: Path, fail_every: int = 0) -> None:
        self.fail_every = fail_every
        self.calls = 0
        self.batches = 0
        self.invalid = 0
        self.commits: list[tuple[float, list[tuple[str, int]]]] = []
        settings = Settings(data_dir=directory / "data", environment="test")
        self.engine = make_engine(settings)
        upgrade(self.engine)
        self.service = TransitService(session_factory(self.engine))
        self.service.load()
        with unit_of_work(self.service.sessions) as session:
            add_corridor(session, SYSTEM, BENCH_CORRIDOR, datetime.now(UTC))

    def register(self, device_id: str, index: int, t0: datetime) -> str:
        """A device and its trip; returns the device's secret (its MQTT password)."""
        secret = self.service.register_device(SYSTEM, device_id).secret
        head = f"BNCU{index:06d}"
        self.service.register_trip(SYSTEM, {
            "reference": f"26KE{index:013d}X", "declaration_ref": f"BENCH-{index}",
            "container_id": head + str(container_check_digit(head)),
            "seal_ids": [f"SEAL-B{index:05d}"], "device_id": device_id,
            "office_of_departure": "KEDEP001", "office_of_destination": "KEDST001",
            "corridor_id": "BENCH-NORTH", "departure_at": t0.isoformat(),
            "time_limit": (t0 + timedelta(days=3)).isoformat()})
        return secret

    def __call__(self, batch: Sequence[Inbound]) -> None:
        self.calls += 1
        if self.fail_every and self.calls % self.fail_every == 0:
            raise RuntimeError("injected sink failure (--fail-every)")
        report = self.service.ingest(batch)
        keys = [(i.device_id or "", orjson.loads(i.payload)["device_seq"]) for i in batch]
        self.invalid += report.rejected + report.quarantined
        self.commits.append((time.time(), keys))
        self.batches += 1

    @property
    def committed(self) -> int:
        return sum(len(keys) for _, keys in self.commits)

    def rows_and_unique(self) -> tuple[int, int]:
        keys = [k for _, batch in self.commits for k in batch]
        return len(keys), len(set(keys))

    def describe(self) -> str:
        with self.service.sessions() as session:
            alerts = len(list_alerts(session, SYSTEM, limit=1000))
            raw = session.scalar(select(func.count()).select_from(TransitRawRow))
        return f"TransitService.ingest ({raw:,} raw rows stored, {alerts} alerts)"


# A straight 111 km road north from (36.0 E, 1.0 N): the publishers drive up it.
BENCH_CORRIDOR = {"corridor_id": "BENCH-NORTH", "name": "benchmark road",
                  "route": [[36.0, 1.0], [36.0, 2.0]], "width_m": 500, "synthetic": True}


# --- broker -------------------------------------------------------------------------------










# --- the run ------------------------------------------------------------------------------


def _wait_for_commits(sink: SqliteSink | ServiceSink, expected: int, idle_s: float = 10.0) -> None:
    last, since = -1, time.monotonic()
    while sink.committed < expected:
        if sink.committed != last:
            last, since = sink.committed, time.monotonic()
        elif time.monotonic() - since > idle_s:
            return
        time.sleep(0.01)


def _report(args: argparse.Namespace, sink: SqliteSink | ServiceSink, intake: MqttIntake,
            published: dict[str, list[float]], failures: int, db_path: Path,
            cpu: dict[str, float]) -> int:
    sent = sum(len(t) for t in published.values())
    rows, unique = sink.rows_and_unique()
    first_publish = min(t[0] for t in published.values() if t)
    last_publish = max(t[-1] for t in published.values() if t)
    last_commit = sink.commits[-1][0] if sink.commits else first_publish
    latencies = []
    seen: set[tuple[str, int]] = set()
    for committed_at, keys in sink.commits:
        for key in keys:
            if key not in seen:  # the first commit counts; a redelivery is a duplicate
                seen.add(key)
                latencies.append(committed_at - published[key[0]][key[1]])
    span = last_commit - first_publish
    c = intake.counters
    print(f"published {sent:,} events from {args.devices} devices in {args.processes} "
          f"processes ({failures} PUBACK failures), {last_publish - first_publish:.2f} s: "
          f"{sent / max(last_publish - first_publish, 1e-9):,.0f}/s")
    print(f"committed {unique:,} unique events ({rows:,} rows) in {sink.batches:,} batches, "
          f"first publish to last commit {span:.2f} s: {unique / span:,.0f} events/s sustained")
    print(f"loss {sent - unique:,}   duplicates {rows - unique:,}   invalid {sink.invalid}")
    print(f"latency publish→commit: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
          f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
          f"max {max(latencies, default=0) * 1000:.1f} ms")
    print(f"intake: received {c.received:,}, passed {c.passed:,}, acked {c.acked:,}, "
          f"unknown topic {c.unknown_topic}, sink failures {c.sink_failures}, "
          f"connections {c.connections}")
    print("cpu seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
          + f"  (wall {span:.1f} s, {os.cpu_count()} cpus)")
    print(f"sink: {sink.describe()}; sqlite file {db_path.stat().st_size / 1e6:.1f} MB (+ WAL)")
    ok = sent - unique == 0 and failures == 0
    print("OK: no loss" if ok else "FAIL: events lost or refused")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="total events")
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2, help="publisher processes")
    parser.add_argument("--rate", type=float, default=0, help="total events/s; 0 = flat out")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--batch-ms", type=float, default=50)
    parser.add_argument("--sink", choices=("sqlite", "service"), default="sqlite",
                        help="sqlite: decode and append; service: the transit service")
    parser.add_argument("--fail-every", type=int, default=0,
                        help="the sink raises on every n-th batch (redelivery check)")
    args = parser.parse_args()
    per_device = args.events // args.devices

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}, paho-mqtt {version('paho-mqtt')}, "
          f"mosquitto {mosquitto_version()}, sqlite {sqlite3.sqlite_version}, "
          f"pydantic {version('pydantic')}")
    print(f"{args.devices} devices x {per_device:,} events, QoS 1, window {WINDOW}/device, "
          f"rate {args.rate or 'flat out'}, batch {args.batch_size} / {args.batch_ms} ms")

    with tempfile.TemporaryDirectory(prefix="smartcustoms-mqtt-bench.") as tmp:
        directory = Path(tmp)
        url = start_broker(directory / "broker")
        files = BrokerFiles(directory / "broker")
        try:
            # Device times end now: the service believes reports up to a week old.
            t0 = datetime.now(UTC) - timedelta(seconds=per_device)
            names = [f"ESEAL-B{i:05d}" for i in range(args.devices)]
            sink: SqliteSink | ServiceSink
            if args.sink == "service":
                sink = ServiceSink(directory, args.fail_every)
                devices = [(d, sink.register(d, i, t0)) for i, d in enumerate(names)]
                db_path = directory / "data" / "smartcustoms.db"
            else:
                db_path = directory / "raw.sqlite"
                sink = SqliteSink(db_path, args.fail_every)
                devices = [(d, generate_secret()) for d in names]
            intake_secret = generate_secret()
            files.publish([(d, hash_secret(s)) for d, s in devices]
                          + [("smartcustoms-intake", hash_secret(intake_secret))],
                          ["smartcustoms-intake"])
            broker_pid = int(files.pid_file.read_text().split()[0])
            broker_cpu0 = cpu_seconds(broker_pid)
            own_cpu0 = cpu_seconds(os.getpid())
            intake = MqttIntake(url, "smartcustoms-intake", intake_secret, sink,
                                client_id="bench-intake", batch_size=args.batch_size,
                                batch_ms=args.batch_ms)
            intake.start()

            out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
            start_at = time.time() + 1.0 + 0.02 * args.devices  # after every connect
            rate = args.rate / args.devices
            groups = [devices[i::args.processes] for i in range(args.processes)]
            procs = [mp.Process(target=_publisher,
                                args=(url, group, per_device, rate, start_at, t0, out))
                     for group in groups if group]
            for proc in procs:
                proc.start()
            published: dict[str, list[float]] = {}
            failures = 0
            publisher_cpu = 0.0
            for _ in procs:
                times, failed, cpu = out.get()
                published.update(times)
                failures += failed
                publisher_cpu += cpu.user + cpu.system
            for proc in procs:
                proc.join()
            _wait_for_commits(sink, sum(len(t) for t in published.values()))
            intake.stop(end_session=True)
            cpu = {"broker": cpu_seconds(broker_pid) - broker_cpu0,
                   "intake+sink": cpu_seconds(os.getpid()) - own_cpu0,
                   "publishers": publisher_cpu}
            return _report(args, sink, intake, published, failures, db_path, cpu)
        finally:
            stop_broker(directory / "broker")


if __name__ == "__main__":
    sys.exit(main())
