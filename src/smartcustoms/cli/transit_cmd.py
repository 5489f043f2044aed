"""CLI: transit monitoring offline — replay a raw-event file over trips, generate labelled
sample scenarios, export a trip as EPCIS 2.0. No database: files in, alerts out."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.table import Table

from smartcustoms.cli.common import State, emit, err, handled, out, state
from smartcustoms.errors import InvalidInput, NotFound
from smartcustoms.transit.corridors import Corridor
from smartcustoms.transit.epcis import export_epcis_json
from smartcustoms.transit.evidence import build_evidence_pack, evidence_json
from smartcustoms.transit.rawfile import write_raw_records
from smartcustoms.transit.replay import (
    ReplayResult,
    load_corridor_list,
    load_trips_document,
    replay_file,
    scenario_labels,
    scenario_records,
)
from smartcustoms.transit.scenario import Scenario, generate_scenario
from smartcustoms.transit.trips import Trip

app = typer.Typer(no_args_is_help=True, help="Transit monitoring: devices, trips, alerts, the "
                  "MQTT intake; offline replay of raw events, sample scenarios, EPCIS export.")

PROGRESS_FROM_BYTES = 1 << 20  # a bar only for files that take a while
SHOWN_PROBLEMS = 20

EventsArg = Annotated[Path, typer.Argument(
    help="JSON Lines of raw records: envelopes {received_at, kind, payload[, trip]} or bare "
         "telemetry events / EPCIS documents.")]
TripsOpt = Annotated[Path, typer.Option(
    "--trips", help="JSON array of trips, or {\"trips\": [...], \"corridors\": [...]}.")]
CorridorsOpt = Annotated[Path | None, typer.Option(
    "--corridors", help="Corridor JSON (one or an array), or a directory of them; added to "
                        "the sample corridors.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Evaluate every trip at this time at the end (ISO 8601 with offset).")]


# ---------------------------------------------------------------------------- inputs


def _read_json(path: Path, what: str) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the {what} {path}: {exc.strerror}", field=what,
                           value=str(path)) from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the {what} {path} is not JSON: {exc}", field=what,
                           value=str(path)) from None


def _corridor_files(path: Path) -> list[Corridor]:
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    return [c for f in files
            for c in load_corridor_list(_read_json(f, "corridors file"), f.name)]


def _inputs(trips_path: Path, corridors_path: Path | None) -> tuple[list[Trip], list[Corridor]]:
    trips, corridors = load_trips_document(_read_json(trips_path, "trips file"))
    if corridors_path is not None:
        corridors += _corridor_files(corridors_path)
    return trips, corridors


def _as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InvalidInput("--as-of must be an ISO 8601 date-time with an offset "
                           "(2025-03-04T12:00:00+00:00)", field="--as-of", value=text)
    return value


@contextmanager
def _open_events(path: Path) -> Iterator[IO[bytes]]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read the events file {path}: {exc.strerror}",
                           field="events file", value=str(path)) from None
    with fh:
        yield fh


def _with_progress(st: State, fh: IO[bytes], size: int) -> Iterator[bytes]:
    """The file's lines, advancing a bar on stderr (human mode, long files only)."""
    with Progress(TextColumn("[bold]replaying"), BarColumn(), DownloadColumn(), console=err,
                  disable=st.json or size < PROGRESS_FROM_BYTES, transient=True) as progress:
        task = progress.add_task("replay", total=size)
        for line in fh:
            progress.advance(task, len(line))
            yield line


def _replay(st: State, events: Path, trips: list[Trip], corridors: list[Corridor],
            as_of: datetime | None) -> ReplayResult:
    with _open_events(events) as fh:
        size = events.stat().st_size
        return replay_file(_with_progress(st, fh, size), trips, corridors, as_of=as_of)


# ---------------------------------------------------------------------------- replay


@app.command("replay")
def replay_command(
    ctx: typer.Context,
    events: EventsArg,
    trips: TripsOpt,
    corridors: CorridorsOpt = None,
    as_of: AsOfOpt = None,
    evidence: Annotated[Path | None, typer.Option(
        "--evidence", help="Write each alert's evidence pack to DIR/<alert_id>.json.")] = None,
) -> None:
    """Run the rule pack over a file of raw events, offline; print the alerts and counters.
    Bad lines and records of no trip are reported and skipped, never fatal."""
    st = state(ctx)
    with handled(st):
        trip_list, corridor_list = _inputs(trips, corridors)
        moment = _as_of(as_of)
        result = _replay(st, events, trip_list, corridor_list, moment)
        if evidence is not None:
            _write_evidence(result, evidence)
    if st.json:
        for alert in result.alerts:
            emit(st, alert, lambda: None)
        emit(st, {"summary": result.summary()}, lambda: None)
        return
    _print_alerts(result)
    _print_counters(result)
    _print_problems(result)


def _write_evidence(result: ReplayResult, directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for monitor in result.monitors.values():
            observations = monitor.observations()
            for alert in monitor.alerts:
                pack = build_evidence_pack(alert, monitor.trip, monitor.geometry.corridor,
                                           observations)
                (directory / f"{alert.alert_id}.json").write_bytes(evidence_json(pack))
    except OSError as exc:
        raise InvalidInput(f"cannot write evidence to {directory}: {exc.strerror}",
                           field="--evidence", value=str(directory)) from None


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else "open"


def _print_alerts(result: ReplayResult) -> None:
    alerts = result.alerts
    table = Table(title=f"{len(alerts)} alert(s)", title_justify="left")
    for column in ("trip", "kind", "severity", "subject", "opened (UTC)", "closed (UTC)",
                   "detail"):
        table.add_column(column, overflow="fold", no_wrap=column in ("trip", "kind"))
    for a in alerts:
        colour = {"critical": "bold red", "warning": "yellow"}.get(a.severity.value, "")
        table.add_row(a.trip_ref, a.kind.value, f"[{colour}]{a.severity.value}[/]" if colour
                      else a.severity.value, escape(a.subject), _when(a.opened_at),
                      _when(a.closed_at), escape(a.detail))
    out.print(table)


def _print_counters(result: ReplayResult) -> None:
    table = Table(title=f"{result.records} record(s) in {result.lines} line(s)",
                  title_justify="left")
    for column in ("trip", "records", "accepted", "duplicates", "quarantined", "corrected",
                   "late", "rejected", "alerts"):
        table.add_column(column, overflow="fold", no_wrap=column == "trip")
    for ref in sorted(result.monitors):
        c = result.trip_counters(ref)
        reasons = "; ".join(f"{n} {why}" for why, n in c["quarantine_reasons"].items())
        quarantined = f"{c['quarantined']} ({escape(reasons)})" if reasons else "0"
        table.add_row(ref, *(str(c[k]) for k in ("records", "accepted", "duplicates")),
                      quarantined, *(str(c[k]) for k in ("corrected", "late", "rejected",
                                                          "alerts")))
    out.print(table)
    out.print(f"alerts sha256 {result.alerts_digest}", highlight=False)


def _print_problems(result: ReplayResult) -> None:
    if result.unrouted_count:
        err.print(f"[yellow]{result.unrouted_count} record(s) of no trip[/]", highlight=False)
        for u in result.unrouted[:SHOWN_PROBLEMS]:
            err.print(f"  line {u.line_no}: {escape(u.reason)}", highlight=False)
    if result.bad_line_count:
        err.print(f"[yellow]{result.bad_line_count} bad line(s), skipped[/]", highlight=False)
        for b in result.bad_lines[:SHOWN_PROBLEMS]:
            err.print(f"  line {b.line_no}: {escape(b.detail)}", highlight=False,
                      soft_wrap=True)
    shown = min(result.bad_line_count, SHOWN_PROBLEMS)
    if result.bad_line_count > shown:
        err.print(f"  … and {result.bad_line_count - shown} more (all in --json's summary, "
                  "up to 100)", highlight=False)


# -------------------------------------------------------------------------- scenario


@app.command("scenario")
def scenario_command(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(help="Directory to write events.jsonl, "
                                            "trips.json and labels.json to.")],
    seed: Annotated[int, typer.Option(min=0, help="Seed: the same seed, the same bytes.")] = 0,
    count: Annotated[int, typer.Option(min=1, max=10_000, help="Scenarios (trips).")] = 3,
    epcis_share: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Share of reports sent as EPCIS documents.")] = 0.3,
) -> None:
    """Generate seeded trips with labelled faults, as files `transit replay` reads."""
    st = state(ctx)
    with handled(st):
        scenarios = [generate_scenario(seed * 100_000 + i, epcis_share=epcis_share)
                     for i in range(count)]
        records = _write_scenarios(out_dir, scenarios)
    data = {"directory": str(out_dir), "scenarios": count, "records": records,
            "trips": [s.trip.reference for s in scenarios]}
    emit(st, data, lambda: out.print(
        f"{count} scenario(s), {records} record(s) in {escape(str(out_dir))}: events.jsonl, "
        "trips.json, labels.json", highlight=False))


def _write_scenarios(out_dir: Path, scenarios: list[Scenario]) -> int:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        records = 0
        with (out_dir / "events.jsonl").open("w", encoding="utf-8") as fh:
            for line in write_raw_records(scenario_records(scenarios)):
                fh.write(line)
                records += 1
        trips = {"trips": [s.trip.model_dump(mode="json") for s in scenarios]}
        (out_dir / "trips.json").write_bytes(orjson.dumps(trips, option=orjson.OPT_INDENT_2))
        (out_dir / "labels.json").write_bytes(
            orjson.dumps(scenario_labels(scenarios), option=orjson.OPT_INDENT_2))
    except OSError as exc:
        raise InvalidInput(f"cannot write to {out_dir}: {exc.strerror}", field="OUT_DIR",
                           value=str(out_dir)) from None
    return records


# ---------------------------------------------------------------------- export-epcis


@app.command("export-epcis")
def export_epcis_command(
    ctx: typer.Context,
    events: EventsArg,
    trips: TripsOpt,
    trip: Annotated[str, typer.Option("--trip", help="The trip's MRN.")],
    corridors: CorridorsOpt = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="File to write (default: standard output).")] = None,
) -> None:
    """Replay the file, then write the trip's accepted events as EPCIS 2.0 JSON-LD."""
    st = state(ctx)
    with handled(st):
        trip_list, corridor_list = _inputs(trips, corridors)
        if trip not in {t.reference for t in trip_list}:
            raise NotFound(f"trip {trip} is not in {trips.name}", field="--trip", value=trip)
        result = _replay(st, events, trip_list, corridor_list, None)
        monitor = result.monitors[trip]
        events_out = monitor.events()
        document = export_epcis_json(monitor.trip, events_out, creation_date=datetime.now(UTC))
        if output is None:
            sys.stdout.write(document.decode() + "\n")
            sys.stdout.flush()
            return
        _write(output, document)
    emit(st, {"trip": trip, "events": len(events_out), "file": str(output)},
         lambda: out.print(f"{len(events_out)} event(s) of {trip} written to "
                           f"{escape(str(output))}", highlight=False))


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}", field="--output",
                           value=str(path)) from None
