"""`smartcustoms` — one sub-app per capability; every command calls a service function."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from smartcustoms.cli import (
    declarations_cmd,
    documents_cmd,
    identity_cmd,
    origin_cmd,
    risk_batch_cmd,
    risk_cmd,
    screening_cmd,
    tariff_cmd,
    transit_cmd,
    transit_ops_cmd,
)
from smartcustoms.cli.common import State, emit, err, handled, out, state
from smartcustoms.config import Settings

if TYPE_CHECKING:
    from smartcustoms.cli.transit_demo import LiveSetup

app = typer.Typer(
    name="smartcustoms", no_args_is_help=True, pretty_exceptions_enable=False,
    help="smartcustoms: declarations, risk, tariff, documents, origin, transit.",
)
app.add_typer(identity_cmd.users, name="users")
app.add_typer(identity_cmd.audit_app, name="audit")
app.add_typer(declarations_cmd.declarations, name="declarations")
app.add_typer(declarations_cmd.imports, name="imports")
app.add_typer(declarations_cmd.reference, name="reference")
app.command("import")(declarations_cmd.import_command)
risk_cmd.risk.command("score-file")(risk_batch_cmd.score_file_command)
risk_cmd.risk.command("export-frame")(risk_batch_cmd.export_frame_command)
app.add_typer(risk_cmd.risk, name="risk")
app.add_typer(tariff_cmd.app, name="tariff")
app.add_typer(documents_cmd.app, name="documents")
app.add_typer(screening_cmd.app, name="screening")
app.add_typer(origin_cmd.app, name="origin")
transit_cmd.app.add_typer(transit_ops_cmd.devices_app, name="devices")
transit_cmd.app.add_typer(transit_ops_cmd.trips_app, name="trips")
transit_cmd.app.add_typer(transit_ops_cmd.alerts_app, name="alerts")
transit_cmd.app.command("broker-files")(transit_ops_cmd.broker_files_command)
transit_cmd.app.command("listen")(transit_ops_cmd.listen_command)
app.add_typer(transit_cmd.app, name="transit")
config_app = typer.Typer(no_args_is_help=True, help="Settings.")
app.add_typer(config_app, name="config")


@app.callback()
def root(
    ctx: typer.Context,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output: one JSON "
                                       "document per line.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", envvar="SMARTCUSTOMS_DATA_DIR", help="Data directory.")] = None,
) -> None:
    try:
        settings = Settings(**({"data_dir": data_dir} if data_dir else {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        err.print(f"[bold red]error[/]: setting {'.'.join(map(str, first['loc']))}: "
                  f"{first['msg']}", highlight=False)
        raise typer.Exit(6) from None
    ctx.obj = State(settings=settings, json=json, debug=debug)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the data directory, bring the database schema up to date, and generate the
    origin log's keys (once)."""
    st = state(ctx)
    from smartcustoms.db import upgrade
    from smartcustoms.declarations import restore_indexes_if_idle
    from smartcustoms.origin.service import setup as origin_setup

    with handled(st):
        upgrade(st.engine)
        # a bulk import killed before it rebuilt its search indexes leaves them missing
        restore_indexes_if_idle(st.sessions, now=st.clock())
        origin_setup(st.settings)  # the origin log's root, log and witness keys
    url = st.settings.shown()["database_url"]
    emit(st, {"database": url, "schema": "up to date"},
         lambda: out.print(f"database ready: {escape(url)}", highlight=False))


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print the effective settings (secrets masked)."""
    st = state(ctx)
    shown = st.settings.shown()

    def human() -> None:
        table = Table("setting", "value", "environment variable")
        for name, value in shown.items():
            table.add_row(name, escape(value), f"SMARTCUSTOMS_{name.upper()}")
        out.print(table)

    emit(st, shown, human)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Serve the HTTP API and the console."""
    st = state(ctx)
    from smartcustoms.cli.common import require_schema

    with handled(st):
        require_schema(st)
    _serve(st, host or st.settings.host, port or st.settings.port)


def _serve(st: State, host: str, port: int, live: LiveSetup | None = None) -> None:
    """The HTTP API and console, with the transit runtime beside them (clock ticks, the
    MQTT intake and the broker's files when configured) and the demo's live trip."""
    import uvicorn

    from smartcustoms.cli.transit_demo import LiveTrip, live_sender
    from smartcustoms.http import create_app
    from smartcustoms.mqtt.runtime import TransitRuntime

    app = create_app(st.settings)
    service = app.state.ctx.transit
    runtime = TransitRuntime(service, st.settings)
    driver: LiveTrip | None = None
    try:
        with handled(st):
            for line in runtime.start():
                out.print(f"  {line}", highlight=False)
            if live is not None:
                driver = LiveTrip(live, *live_sender(service, st.settings, live))
                driver.start()
        out.print(f"serving the API and console on [bold]http://{host}:{port}[/] "
                  f"(OpenAPI: http://{host}:{port}/docs)", highlight=False)
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        if driver is not None:
            driver.stop()
        runtime.stop()


@app.command()
def demo(
    ctx: typer.Context,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve",
                                              help="Serve the API and console after setup.")]
    = True,
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Set up the embedded demo: schema, bundled sample data, demo users; then serve."""
    from smartcustoms.cli.demo import run_demo

    st = state(ctx)
    with handled(st):
        live = run_demo(st, live_trip=serve_after)
    if serve_after:
        _serve(st, host or st.settings.host, port or st.settings.port, live)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
