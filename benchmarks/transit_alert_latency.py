"""Transit alert latency, end to end: device → broker → intake → alert → console WebSocket.

Issue #7's target: an alert reaches the console's WebSocket within 2 s of the broker's
receipt of the report that raised it (p95) while the intake takes 500 events/s, and a
seal tamper within 1 s (p99). Everything runs on this machine, as deployed:

- a throwaway Mosquitto (``scripts/mosquitto-throwaway.sh``, stopped afterwards) whose
  password and ACL files ``TransitRuntime`` writes from the registered devices;
- the platform: ``create_app`` served by uvicorn on a loopback port, and beside it
  ``TransitRuntime`` on the app's own ``TransitService`` (MQTT intake feeding
  ``TransitService.ingest``, the clock ticker), SQLite in a temporary data directory;
- N devices on a straight benchmark corridor, each with its trip and its seal assigned
  and armed by an officer command, publishing canonical JSON telemetry at QoS 1 with
  their own credentials, from two publisher processes (one selector loop each), at
  ``--rate`` events/s in all for ``--seconds``: ``device_time`` is the wall clock at
  publish, positions move up the road at 70 km/h, the seal reports "sealed";
- at a random moment, ``--tampers`` devices send one report with ``seal_status``
  "broken" and ``tamper_flags`` ["wire_cut"] (a seal tamper: the seal is armed and
  in transit), and ``--low-battery`` other devices one with the battery at 12 % (a low
  battery alert, raised on the report like a tamper but with severity info). Route
  deviation is not exercised: it is raised only after 3 minutes outside the corridor;
- a WebSocket client on ``/console/transit/ws``, logged in as an officer by the
  console's session cookie, records the receipt time of every message.

Latency of an alert = WebSocket receipt of the first "raised" message for the trip's
alert of that kind − publish time of the report that triggered it. The publish time
comes just before the broker's receipt (loopback), so this is an upper bound of
"from broker receipt"; the broker's PUBACK to the device and the intake's own receipt
time (``transit_raw.received_at``) bracket it from the other side, and the stages in
between (stored: the alert's ``first_seen_at``; pushed: the message's ``sent_at``) are
shown too. Any other alert raised during the run is measured from its ``raised_at``
(the device time of the report, i.e. its publish time). Also reported: the achieved
publish rate, events stored in ``transit_raw`` and loss (published − stored), CPU
seconds of broker, server process and publishers. Exit status 0 when every trigger got
its alert, nothing was lost, the rate was met and the targets hold.

The WebSocket client runs as a thread of the server's process (like the brief's
console, but sharing its GIL), so its receipt times include some contention a browser
on another machine would not add.

    .venv/bin/python benchmarks/transit_alert_latency.py                # 500/s for 60 s
    .venv/bin/python benchmarks/transit_alert_latency.py --rate 1000
    .venv/bin/python benchmarks/transit_alert_latency.py --devices 200 --tampers 100
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import selectors
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import uvicorn
from _broker import WINDOW, cpu_seconds, mosquitto_version, start_broker, stop_broker
from _stats import percentile  # benchmarks/ is on the path when run as a script
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from smartcustoms import identity
from smartcustoms.config import Settings
from smartcustoms.db import make_engine, unit_of_work, upgrade
from smartcustoms.http.app import create_app
from smartcustoms.http.deps import SESSION_COOKIE
from smartcustoms.identity import SYSTEM, Role
from smartcustoms.mqtt.broker import BrokerFiles
from smartcustoms.mqtt.device import DevicePublisher
from smartcustoms.mqtt.intake import parse_mqtt_url
from smartcustoms.mqtt.runtime import TransitRuntime
from smartcustoms.transit.events import CommandKind
from smartcustoms.transit.inbound import telemetry_topic
from smartcustoms.transit.registry import add_corridor
from smartcustoms.transit.service import TransitService
from smartcustoms.transit.tables import TransitRawRow
from smartcustoms.transit.trips import container_check_digit

WS_PATH = "/console/transit/ws"
TAMPER, LOW_BATTERY = "seal_tamper", "low_battery"
TARGET_ALL_P95_S = 2.0
TARGET_TAMPER_P99_S = 1.0

# A straight 111 km road north from (36.0 E, 1.0 N): the devices drive up it.
BENCH_CORRIDOR = {"corridor_id": "BENCH-NORTH", "name": "benchmark road",
                  "route": [[36.0, 1.0], [36.0, 2.0]], "width_m": 500, "synthetic": True}
START_LAT = 1.01  # 1.1 km up the road
SPEED_KMH = 70.0


# --- publishers (child processes) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """One device's run: how many reports, its phase, and which report raises what."""

    device_id: str
    secret: str
    count: int
    offset_s: float  # spreads the devices' reports evenly over each period
    triggers: dict[int, str]  # device_seq -> alert kind it should raise


def _payload(plan: Plan, seq: int, per_s: float) -> bytes:
    body: dict[str, Any] = {
        "device_id": plan.device_id, "device_seq": seq,
        "device_time": datetime.now(UTC).isoformat(),
        "lat": START_LAT + seq * SPEED_KMH / 3.6 / per_s / 111_320, "lon": 36.0,
        "speed_kmh": SPEED_KMH, "seal_status": "sealed", "temperature_c": 4.0,
        "battery_pct": 98.0,
    }
    for at, kind in plan.triggers.items():
        if kind == TAMPER and seq >= at:  # a broken seal stays broken; one flagged report
            body["seal_status"] = "broken"
            if seq == at:
                body["tamper_flags"] = ["wire_cut"]
        elif kind == LOW_BATTERY and seq >= at:
            body["battery_pct"] = 12.0
    return orjson.dumps(body)


class _Device:
    """One device's MQTT connection, driven by its process's single event loop."""

    def __init__(self, url: str, plan: Plan, per_s: float) -> None:
        host, port = parse_mqtt_url(url)
        self.plan = plan
        self.per_s = per_s
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"bench-{plan.device_id}",
                                  protocol=MQTTProtocolVersion.MQTTv311)
        self.client.username_pw_set(plan.device_id, plan.secret)
        self.client.max_inflight_messages_set(WINDOW)
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.connect(host, port)
        self.topic = telemetry_topic(plan.device_id)
        self.refused: str | None = None
        self.sent = self.acked = self.failures = 0
        self.first = self.last = 0.0
        self.trigger_mids: dict[int, int] = {}  # mid -> device_seq
        self.triggers: dict[int, list[Any]] = {}  # seq -> [kind, publish time, PUBACK time]

    def _on_connect(self, _c: object, _u: object, _f: object, reason: mqtt.ReasonCode,
                    _p: object) -> None:
        if reason.is_failure:
            self.refused = str(reason)

    def _on_publish(self, _c: object, _u: object, mid: int, rc: mqtt.ReasonCode,
                    _p: object) -> None:
        self.acked += 1
        self.failures += rc.is_failure
        seq = self.trigger_mids.pop(mid, None)
        if seq is not None:
            self.triggers[seq][2] = time.time()

    @property
    def done(self) -> bool:
        return self.acked == self.plan.count

    def next_due(self, start_at: float) -> float:
        """When the next report is due (infinity once all are sent)."""
        if self.sent >= self.plan.count:
            return float("inf")
        return start_at + self.plan.offset_s + self.sent / self.per_s

    def publish_due(self, start_at: float) -> None:
        """Publish what the pace allows, keeping at most WINDOW messages unacked."""
        while (self.sent - self.acked < WINDOW and self.next_due(start_at) <= time.time()):
            seq = self.sent
            payload = _payload(self.plan, seq, self.per_s)
            now = time.time()
            info = self.client.publish(self.topic, payload, qos=1)
            self.sent += 1
            self.first = self.first or now
            self.last = now
            if seq in self.plan.triggers:
                self.triggers[seq] = [self.plan.triggers[seq], now, None]
                self.trigger_mids[info.mid] = seq


def _drive(devices: list[_Device], until: Callable[[], bool],
           start_at: float | None = None) -> None:
    """One thread, one selector for all of a process's devices: no GIL hand-offs. It
    sleeps in the selector until the next report is due, so that pacing costs the
    machine's two cores (shared with the broker and the server) next to nothing."""
    selector = selectors.DefaultSelector()
    for device in devices:
        selector.register(device.client.socket(), selectors.EVENT_READ, device)
    last_misc = time.monotonic()
    while not until():
        timeout = 0.01
        if start_at is not None:
            for device in devices:
                device.publish_due(start_at)
            due = min(device.next_due(start_at) for device in devices)
            timeout = min(timeout, max(0.0, due - time.time()))
        for device in devices:
            if device.client.want_write():
                device.client.loop_write()
        for key, _ in selector.select(timeout=timeout):
            key.data.client.loop_read()
        if time.monotonic() - last_misc > 1.0:  # keepalive pings
            last_misc = time.monotonic()
            for device in devices:
                device.client.loop_misc()
    selector.close()


def _publisher(url: str, plans: list[Plan], per_s: float, start: Any, ready: Any,
               out: Any) -> None:
    devices = [_Device(url, plan, per_s) for plan in plans]
    deadline = time.monotonic() + 30
    _drive(devices, lambda: time.monotonic() > deadline
           or all(d.client.is_connected() or d.refused for d in devices))
    missing = [f"{d.plan.device_id}: {d.refused or 'no CONNACK'}" for d in devices
               if not d.client.is_connected()]
    if missing:
        ready.put(("error", "; ".join(missing[:3])))
        return
    ready.put(("ready", len(devices)))
    _drive(devices, lambda: start.value > 0)
    before = os.times()
    _drive(devices, lambda: all(d.done for d in devices), start.value)
    after = os.times()
    for device in devices:
        device.client.disconnect()
    out.put({
        "published": sum(d.sent for d in devices),
        "acked": sum(d.acked for d in devices),
        "failures": sum(d.failures for d in devices),
        "first": min(d.first for d in devices), "last": max(d.last for d in devices),
        "triggers": {(d.plan.device_id, seq): tuple(v) for d in devices
                     for seq, v in d.triggers.items()},
        "cpu": after.user + after.system - before.user - before.system,
    })


# --- the console's side ---------------------------------------------------------------


class FeedClient(threading.Thread):
    """The console page's WebSocket: every message with the time it arrived."""

    def __init__(self, url: str, token: str, origin: str) -> None:
        super().__init__(name="ws-client", daemon=True)
        headers = {"Cookie": f"{SESSION_COOKIE}={token}", "Origin": origin}
        self.ws: ClientConnection = connect(url, open_timeout=10, legacy=True,
                                            additional_headers=headers)
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.closed_by_server: str | None = None
        self._closing = False

    def run(self) -> None:
        try:
            while True:
                raw = self.ws.recv()
                self.messages.append((time.time(), json.loads(raw)))
        except ConnectionClosed as exc:
            if not self._closing:
                self.closed_by_server = f"{exc.rcvd.code if exc.rcvd else '?'} {exc}"

    def close(self) -> None:
        self._closing = True
        self.ws.close()
        self.join(timeout=5)

    def first_raised(self) -> dict[tuple[str, str], tuple[float, dict[str, Any]]]:
        """(trip_ref, kind) -> (receipt time, message) of the first "raised" message."""
        first: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        for received, msg in list(self.messages):
            if msg.get("change") == "raised":
                first.setdefault((msg["trip_ref"], msg["alert"]["alert"]["kind"]),
                                 (received, msg))
        return first


# --- set-up ---------------------------------------------------------------------------






def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])






def _trip_ref(index: int) -> str:
    return f"26KE{index:013d}X"


def _register(service: TransitService, index: int, device_id: str, t0: datetime) -> str:
    """Device, trip, and the seal assigned and armed; returns the device's secret."""
    secret = service.register_device(SYSTEM, device_id).secret
    head = f"BNCU{index:06d}"
    ref = _trip_ref(index)
    service.register_trip(SYSTEM, {
        "reference": ref, "declaration_ref": f"BENCH-{index}",
        "container_id": head + str(container_check_digit(head)),
        "seal_ids": [f"SEAL-B{index:05d}"], "device_id": device_id,
        "office_of_departure": "KEDEP001", "office_of_destination": "KEDST001",
        "corridor_id": BENCH_CORRIDOR["corridor_id"], "departure_at": t0.isoformat(),
        "time_limit": (t0 + timedelta(days=3)).isoformat()})
    for kind in (CommandKind.ASSIGN, CommandKind.ARM):
        report = service.command(SYSTEM, ref, kind)
        if report.refused:
            raise RuntimeError(f"{ref}: {kind.value} refused: {report.refused}")
    if report.seal_state != "armed":
        raise RuntimeError(f"{ref}: seal {report.seal_state} after arming")
    return secret


def _plans(args: argparse.Namespace, secrets: list[tuple[str, str]]) -> list[Plan]:
    per_s = args.rate / args.devices
    count = round(per_s * args.seconds)
    rng = random.Random(args.seed)
    order = list(range(args.devices))
    rng.shuffle(order)
    kinds: dict[int, str] = {i: TAMPER for i in order[:args.tampers]}
    kinds |= {i: LOW_BATTERY for i in order[args.tampers:args.tampers + args.low_battery]}
    plans = []
    for i, (device_id, secret) in enumerate(secrets):
        triggers = ({rng.randint(count // 10, count * 9 // 10): kinds[i]} if i in kinds
                    else {})
        plans.append(Plan(device_id, secret, count, i / args.devices / per_s, triggers))
    return plans


def _wait_until_login_works(url: str, plan: Plan) -> None:
    """The broker re-reads its files on SIGHUP, asynchronously: wait for a device login."""
    deadline = time.monotonic() + 10
    while True:
        try:
            DevicePublisher(url, plan.device_id, plan.secret, timeout=2).close()
            return
        except ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --- results --------------------------------------------------------------------------


@dataclass
class Stored:
    rows: int = 0
    unique: int = 0
    received_at: dict[tuple[str, int], float] = field(default_factory=dict)


def _stored(service: TransitService, keys: set[tuple[str, int]]) -> Stored:
    """MQTT telemetry in transit_raw, and the intake's receipt time of the triggers."""
    out = Stored()
    seen: set[tuple[str, int]] = set()
    with service.sessions() as session:
        rows = session.execute(select(TransitRawRow.device_id, TransitRawRow.received_at,
                                      TransitRawRow.payload)
                               .where(TransitRawRow.source == "mqtt"))
        for device_id, received_at, payload in rows:
            out.rows += 1
            key = (device_id or "", orjson.loads(payload)["device_seq"])
            seen.add(key)
            if key in keys:
                out.received_at.setdefault(key, received_at.timestamp())
    out.unique = len(seen)
    return out


def _count_mqtt_rows(service: TransitService) -> int:
    with service.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(TransitRawRow)
                                  .where(TransitRawRow.source == "mqtt")) or 0)


def _ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def _line(label: str, values: Sequence[float]) -> str:
    if not values:
        return f"{label}: none"
    return (f"{label}: n {len(values)}, p50 {percentile(values, 0.5) * 1000:.1f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:.1f} ms, "
            f"p99 {percentile(values, 0.99) * 1000:.1f} ms, "
            f"max {max(values) * 1000:.1f} ms")


def _report(args: argparse.Namespace, results: list[dict[str, Any]], feed: FeedClient,
            stored: Stored, device_trip: dict[str, str], runtime: TransitRuntime,
            cpu: dict[str, float]) -> int:
    published = sum(r["published"] for r in results)
    failures = sum(r["failures"] for r in results)
    first = min(r["first"] for r in results)
    last = max(r["last"] for r in results)
    rate = published / max(last - first, 1e-9)
    triggers: dict[tuple[str, int], tuple[str, float, float | None]] = {}
    for r in results:
        triggers.update(r["triggers"])
    raised = feed.first_raised()

    by_kind: dict[str, list[float]] = {TAMPER: [], LOW_BATTERY: []}
    from_intake: dict[str, list[float]] = {TAMPER: [], LOW_BATTERY: []}
    stages: dict[str, list[float]] = {k: [] for k in
                                      ("publish → PUBACK", "publish → intake receipt",
                                       "publish → alert stored", "stored → sent",
                                       "sent → WebSocket receipt")}
    missing: list[str] = []
    for (device_id, seq), (kind, published_at, puback_at) in sorted(triggers.items()):
        hit = raised.get((device_trip[device_id], kind))
        if hit is None:
            missing.append(f"{device_id}#{seq} {kind}")
            continue
        received, msg = hit
        by_kind[kind].append(received - published_at)
        intake_at = stored.received_at.get((device_id, seq))
        if intake_at is not None:
            from_intake[kind].append(received - intake_at)
        if kind == TAMPER:
            if intake_at is not None:
                stages["publish → intake receipt"].append(intake_at - published_at)
            if puback_at is not None:
                stages["publish → PUBACK"].append(puback_at - published_at)
            seen_at = _ts(msg["alert"]["first_seen_at"])
            stages["publish → alert stored"].append(seen_at - published_at)
            stages["stored → sent"].append(_ts(msg["sent_at"]) - seen_at)
            stages["sent → WebSocket receipt"].append(received - _ts(msg["sent_at"]))
    expected = {(device_trip[d], kind) for (d, _), (kind, _, _) in triggers.items()}
    others = {k: v for k, v in raised.items() if k not in expected}
    other_latency = [received - _ts(msg["alert"]["alert"]["raised_at"])
                     for received, msg in others.values()]
    all_latency = by_kind[TAMPER] + by_kind[LOW_BATTERY] + other_latency

    print(f"published {published:,} events from {args.devices} devices in 2 processes "
          f"({failures} PUBACK failures) over {last - first:.1f} s: {rate:,.0f} events/s "
          f"(target {args.rate:,.0f})")
    print(f"stored in transit_raw {stored.rows:,} rows ({stored.unique:,} unique), "
          f"loss {published - stored.unique:,}, duplicates {stored.rows - stored.unique:,}")
    c = runtime.intake.counters if runtime.intake else None
    if c is not None:
        print(f"intake: received {c.received:,}, passed {c.passed:,}, acked {c.acked:,}, "
              f"sink failures {c.sink_failures}, connections {c.connections}")
    print(f"WebSocket: {len(feed.messages):,} messages"
          + (f", closed by the server: {feed.closed_by_server}" if feed.closed_by_server
             else ""))
    n_tamper = sum(1 for v in triggers.values() if v[0] == TAMPER)
    n_battery = len(triggers) - n_tamper
    print(f"alerts: seal tamper {len(by_kind[TAMPER])}/{n_tamper}, low battery "
          f"{len(by_kind[LOW_BATTERY])}/{n_battery}, others {len(others)} "
          f"({dict(Counter(k for _, k in others)) or '-'})"
          + (f"; MISSING {len(missing)}: {missing[:5]}" if missing else ""))
    print(_line("seal tamper, publish → WebSocket", by_kind[TAMPER]))
    print(_line("seal tamper, intake receipt → WebSocket", from_intake[TAMPER]))
    print(_line("low battery, publish → WebSocket", by_kind[LOW_BATTERY]))
    if others:
        print(_line("other alerts, raised_at → WebSocket", other_latency))
    print(_line("all alerts, publish → WebSocket", all_latency))
    print("seal tamper stages:")
    for label, values in stages.items():
        print("  " + _line(label, values))
    print("cpu seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
          + f"  (wall {last - first:.1f} s, {os.cpu_count()} cpus)")

    tamper_p99 = percentile(by_kind[TAMPER], 0.99)
    all_p95 = percentile(all_latency, 0.95)
    checks = {
        f"all alerts p95 {all_p95:.3f} s ≤ {TARGET_ALL_P95_S:g} s": all_p95 <= TARGET_ALL_P95_S,
        f"seal tamper p99 {tamper_p99:.3f} s ≤ {TARGET_TAMPER_P99_S:g} s":
            tamper_p99 <= TARGET_TAMPER_P99_S,
        f"every trigger alerted ({len(missing)} missing)": not missing and bool(triggers),
        f"no loss ({published - stored.unique} lost, {failures} refused)":
            published == stored.unique and failures == 0,
        f"rate met ({rate:,.0f} ≥ 95 % of {args.rate:,.0f})": rate >= 0.95 * args.rate,
        "feed stayed open": feed.closed_by_server is None,
    }
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {label}")
    ok = all(checks.values())
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


# --- the run --------------------------------------------------------------------------


def _run(args: argparse.Namespace, directory: Path, broker_dir: Path, url: str) -> int:
    settings = Settings(data_dir=directory / "data", environment="test", mqtt_url=url,
                        mqtt_broker_dir=broker_dir, transit_tick_seconds=args.tick)
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    ctx = app.state.ctx
    service: TransitService = ctx.transit  # the one the WebSocket listens to

    t0 = datetime.now(UTC)
    with unit_of_work(service.sessions) as session:
        add_corridor(session, SYSTEM, BENCH_CORRIDOR, t0)
    started = time.perf_counter()
    secrets = []
    device_trip: dict[str, str] = {}
    for i in range(args.devices):
        device_id = f"ESEAL-B{i:05d}"
        secrets.append((device_id, _register(service, i, device_id, t0)))
        device_trip[device_id] = _trip_ref(i)
    plans = _plans(args, secrets)
    print(f"registered {args.devices} devices, trips and armed seals in "
          f"{time.perf_counter() - started:.1f} s")

    with unit_of_work(ctx.sessions) as db:
        officer = identity.create_user(db, username="bench-officer", password="bench-officer-pw",
                                       role=Role.officer, company_id=None,
                                       display_name="Benchmark officer", actor=SYSTEM, now=t0)
        token = identity.issue_token(db, officer, name="bench", now=t0,
                                     ttl=timedelta(hours=2))

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    server_thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    server_thread.start()
    runtime = TransitRuntime(service, settings)
    feed: FeedClient | None = None
    try:
        if not _wait(lambda: server.started, 15):
            raise RuntimeError("uvicorn did not start")
        for line in runtime.start():
            print(f"runtime: {line}")
        feed = FeedClient(f"ws://127.0.0.1:{port}{WS_PATH}", token, f"http://127.0.0.1:{port}")
        feed.start()
        _wait_until_login_works(url, plans[0])

        broker_pid = int(BrokerFiles(broker_dir).pid_file.read_text().split()[0])
        broker_cpu0, own_cpu0 = cpu_seconds(broker_pid), cpu_seconds(os.getpid())
        spawn = mp.get_context("spawn")  # this process has threads: no fork
        start = spawn.Value("d", 0.0)
        ready, out = spawn.Queue(), spawn.Queue()
        per_s = args.rate / args.devices
        groups = [plans[i::2] for i in range(2)]
        procs = [spawn.Process(target=_publisher, args=(url, g, per_s, start, ready, out))
                 for g in groups if g]
        for proc in procs:
            proc.start()
        for _ in procs:
            status, detail = ready.get(timeout=120)
            if status != "ready":
                raise RuntimeError(f"publisher could not connect: {detail}")
        start.value = time.time() + 0.5
        results = [out.get(timeout=args.seconds * 3 + 120) for _ in procs]
        for proc in procs:
            proc.join()
        publisher_cpu = sum(r["cpu"] for r in results)  # while publishing

        published = sum(r["published"] for r in results)
        _wait(lambda: _count_mqtt_rows(service) >= published, 30)
        expected = {(device_trip[d], v[0]) for r in results for (d, _), v in r["triggers"].items()}
        _wait(lambda: expected <= set(feed.first_raised()), 15)
        cpu = {"broker": cpu_seconds(broker_pid) - broker_cpu0,
               "server+intake": cpu_seconds(os.getpid()) - own_cpu0,
               "publishers": publisher_cpu}
        stored = _stored(service, {k for r in results for k in r["triggers"]})
        return _report(args, results, feed, stored, device_trip, runtime, cpu)
    finally:
        if runtime.intake is not None:
            runtime.intake.stop(end_session=True)  # no session left queued in the broker
        runtime.stop()
        if feed is not None:
            feed.close()
        server.should_exit = True
        server_thread.join(timeout=10)
        ctx.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=500, help="total events/s")
    parser.add_argument("--seconds", type=float, default=60, help="how long to publish")
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--tampers", type=int, default=50,
                        help="devices that report a broken seal once")
    parser.add_argument("--low-battery", type=int, default=50,
                        help="other devices whose battery drops under 15 %% once")
    parser.add_argument("--tick", type=float, default=5, help="transit_tick_seconds")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    args.tampers = min(args.tampers, args.devices)
    args.low_battery = min(args.low_battery, args.devices - args.tampers)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}, paho-mqtt {version('paho-mqtt')}, "
          f"mosquitto {mosquitto_version()}, sqlite {sqlite3.sqlite_version}, "
          f"uvicorn {version('uvicorn')}, websockets {version('websockets')}, "
          f"fastapi {version('fastapi')}")
    print(f"{args.devices} devices at {args.rate:,.0f} events/s in all for {args.seconds:g} s, "
          f"QoS 1; {args.tampers} seal tampers, {args.low_battery} low batteries; "
          f"tick {args.tick:g} s, seed {args.seed}")

    with tempfile.TemporaryDirectory(prefix="smartcustoms-alert-bench.") as tmp:
        directory = Path(tmp)
        broker_dir = directory / "broker"
        url = start_broker(broker_dir)
        try:
            return _run(args, directory, broker_dir, url)
        finally:
            stop_broker(broker_dir)


if __name__ == "__main__":
    sys.exit(main())
