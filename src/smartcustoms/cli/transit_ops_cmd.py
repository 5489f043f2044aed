"""CLI: transit monitoring online — devices and their secrets, trips, the alert queue, the
broker's credential files, and an intake process without the HTTP server. Every command
calls the same ``TransitService`` as the API and the console."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from smartcustoms.cli.common import State, emit, handled, operator, out, require_schema, state
from smartcustoms.errors import InvalidInput
from smartcustoms.transit import registry
from smartcustoms.transit.alert_store import list_alerts
from smartcustoms.transit.evidence import evidence_json
from smartcustoms.transit.service import TransitService

devices_app = typer.Typer(no_args_is_help=True, help="Trackers / e-seals and their secrets.")
trips_app = typer.Typer(no_args_is_help=True, help="Transit movements under monitoring.")
alerts_app = typer.Typer(no_args_is_help=True, help="The alert queue and evidence packs.")


def _service(st: State) -> TransitService:
    require_schema(st)
    return TransitService(st.sessions, st.clock)


# ------------------------------------------------------------------------ devices

@devices_app.command("add")
def device_add(ctx: typer.Context, device_id: str,
               description: Annotated[str, typer.Option(help="What and where it is.")] = ""
               ) -> None:
    """Register a tracker; prints its secret (MQTT password, HTTPS upload) once."""
    st = state(ctx)
    with handled(st):
        secret = _service(st).register_device(operator(), device_id, description)
    emit(st, secret, lambda: out.print(
        f"device {escape(secret.device_id)} registered; its secret (shown once): "
        f"[bold]{escape(secret.secret)}[/]", highlight=False))


@devices_app.command("rotate")
def device_rotate(ctx: typer.Context, device_id: str) -> None:
    """A new secret; the old one stops working (broker files are rewritten by `serve`)."""
    st = state(ctx)
    with handled(st):
        secret = _service(st).rotate_device_secret(operator(), device_id)
    emit(st, secret, lambda: out.print(f"new secret for {escape(device_id)}: "
                                       f"[bold]{escape(secret.secret)}[/]", highlight=False))


@devices_app.command("disable")
def device_disable(ctx: typer.Context, device_id: str) -> None:
    """Refuse a lost or compromised device."""
    st = state(ctx)
    with handled(st):
        info = _service(st).set_device_status(operator(), device_id, False)
    emit(st, info, lambda: out.print(f"device {escape(device_id)} disabled", highlight=False))


@devices_app.command("list")
def device_list(ctx: typer.Context) -> None:
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            devices = registry.list_devices(session)

    def human() -> None:
        table = Table("device", "status", "active trip", "registered", "description")
        for d in devices:
            table.add_row(escape(d.device_id), d.status, d.active_trip or "-",
                          f"{d.created_at:%Y-%m-%d %H:%M}", escape(d.description))
        out.print(table)

    emit(st, [d.model_dump(mode="json") for d in devices], human)


# ------------------------------------------------------------------------ trips

@trips_app.command("add")
def trip_add(ctx: typer.Context, file: Annotated[Path, typer.Argument(
        help="A trip as JSON (MRN, declaration, container, seals, device, offices, "
             "corridor, departure, time limit).")]) -> None:
    """Put a transit movement under monitoring."""
    st = state(ctx)
    with handled(st):
        try:
            data = orjson.loads(file.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise InvalidInput(f"cannot read the trip file {file}: {exc}", field="file",
                               value=str(file)) from None
        info = _service(st).register_trip(operator(), data)
    emit(st, info, lambda: out.print(f"trip {info.trip.reference} registered on corridor "
                                     f"{info.trip.corridor_id}", highlight=False))


@trips_app.command("list")
def trip_list(ctx: typer.Context, status: Annotated[str | None, typer.Option(
        help="active or closed")] = None) -> None:
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            trips = registry.list_trips(session, status=status)

    def human() -> None:
        table = Table("MRN", "status", "declaration", "device", "corridor", "time limit")
        for t in trips:
            table.add_row(t.trip.reference, t.status, escape(t.trip.declaration_ref),
                          escape(t.trip.device_id), t.trip.corridor_id,
                          f"{t.trip.time_limit:%Y-%m-%d %H:%M}")
        out.print(table)

    emit(st, [t.model_dump(mode="json") for t in trips], human)


@trips_app.command("close")
def trip_close(ctx: typer.Context, reference: str) -> None:
    """End monitoring (the device is free for another trip; alerts stay)."""
    st = state(ctx)
    with handled(st):
        info = _service(st).close_trip(operator(), reference)
    emit(st, info, lambda: out.print(f"trip {reference} closed", highlight=False))


# ------------------------------------------------------------------------ alerts

@alerts_app.command("list")
def alert_list(ctx: typer.Context,
               trip: Annotated[str | None, typer.Option(help="One trip's alerts.")] = None,
               all_: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
               ) -> None:
    """The queue: open alerts, newest first."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            views = list_alerts(session, operator(), trip_ref=trip, open_only=not all_)

    def human() -> None:
        table = Table("alert", "severity", "kind", "trip", "opened", "case", "detail")
        for v in views:
            a = v.alert
            table.add_row(a.alert_id, a.severity.value, a.kind.value, a.trip_ref,
                          f"{a.opened_at:%Y-%m-%d %H:%M}", v.case_status.value,
                          escape(a.detail))
        out.print(table)

    emit(st, [v.model_dump(mode="json") for v in views], human)


@alerts_app.command("evidence")
def alert_evidence(ctx: typer.Context, alert_id: str,
                   output: Annotated[Path, typer.Option("-o", "--output", help="File to write; "
                                     ".pdf gives the PDF, anything else the JSON pack.")]
                   ) -> None:
    """Write an alert's evidence pack (track, events, rule, thresholds, case)."""
    st = state(ctx)
    with handled(st):
        service = _service(st)
        if output.suffix.lower() == ".pdf":
            body = service.evidence_pdf(operator(), alert_id)
        else:
            body = evidence_json(service.evidence(operator(), alert_id))
        output.write_bytes(body)
    emit(st, {"alert_id": alert_id, "file": str(output), "bytes": len(body)},
         lambda: out.print(f"evidence pack written to {escape(str(output))}", highlight=False))


# ------------------------------------------------------------------------ broker, intake

def broker_files_command(ctx: typer.Context, directory: Annotated[Path, typer.Argument(
        help="The broker's directory (passwd, acl, mosquitto.pid).")]) -> None:
    """Write the broker's password and ACL files from the registered devices and reload
    it (`serve` does this by itself when SMARTCUSTOMS_MQTT_BROKER_DIR is set)."""
    from smartcustoms.config import Settings
    from smartcustoms.mqtt.runtime import TransitRuntime

    st = state(ctx)
    with handled(st):
        service = _service(st)
        settings = Settings(**{**st.settings.model_dump(), "mqtt_broker_dir": directory})
        with st.sessions() as session:
            credentials = registry.device_credentials(session)
        TransitRuntime(service, settings).write_broker_files(credentials)
    emit(st, {"directory": str(directory), "devices": len(credentials)},
         lambda: out.print(f"{len(credentials)} active devices written to {directory}; "
                           "broker reloaded", highlight=False))


def listen_command(ctx: typer.Context) -> None:
    """Run the MQTT intake and the transit clock without the HTTP server (a dedicated
    intake process); stops on Ctrl-C or SIGTERM, after acking what it committed."""
    from smartcustoms.mqtt.runtime import TransitRuntime

    st = state(ctx)
    stop = threading.Event()
    with handled(st):
        if not st.settings.mqtt_url:
            raise InvalidInput("set SMARTCUSTOMS_MQTT_URL (mqtt://host:port) to listen",
                               field="mqtt_url", value=None)
        runtime = TransitRuntime(_service(st), st.settings)
        for line in runtime.start():
            out.print(f"  {line}", highlight=False)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
