"""CLI: document compliance — valuation bands fitted on the declaration history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from smartcustoms.cli.common import (
    LazyModule,
    emit,
    err,
    handled,
    iso_date,
    operator,
    out,
    require_schema,
    state,
)
from smartcustoms.db import unit_of_work

if TYPE_CHECKING:
    from smartcustoms.documents import valuation_service as valuation
else:  # Polars loads only for the commands that need it
    valuation = LazyModule("smartcustoms.documents.valuation_service")

app = typer.Typer(no_args_is_help=True,
                  help="Document compliance: valuation bands, checks against declarations.")
bands_app = typer.Typer(no_args_is_help=True, help="Unit-value bands per HS6 × origin "
                        "from the declaration history: risk indications, never customs values.")
app.add_typer(bands_app, name="bands")


@bands_app.command("fit")
def bands_fit(
    ctx: typer.Context,
    until: Annotated[str | None, typer.Option(help="Fit on declarations lodged up to this "
                                              "date (YYYY-MM-DD); default: all.")] = None,
    min_count: Annotated[int, typer.Option(min=2, help="Items a group needs for a band.")] = 20,
    threshold: Annotated[float, typer.Option(
        min=0.5, help="Robust scales below the median that count as below the band.")] = 3.0,
    check: Annotated[bool, typer.Option("--check/--no-check", help="Then read every "
                                        "stored item against the new bands.")] = True,
) -> None:
    """Fit the bands on the stored declarations and make them the active version."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        version, counts = fit_and_check(st, until=iso_date(until, "until"),
                                        min_count=min_count, threshold=threshold, check=check)

        def human() -> None:
            out.print(f"valuation bands #{version.id} active "
                      f"({version.fit_start} to {version.fit_end})", highlight=False)
            for currency, summary in version.summary.items():
                out.print(f"  {currency}: {summary['bands']:,} bands from "
                          f"{summary['rows']:,} items", highlight=False)
            if counts:
                out.print(f"  {counts['items']:,} stored items read: {counts['with_band']:,} "
                          f"have a band, {counts['below_band']:,} are below it",
                          highlight=False)

        emit(st, {"bands": version.model_dump(mode="json"), "checked": counts}, human)


def fit_and_check(st: Any, *, until: Any = None, min_count: int = 20, threshold: float = 3.0,
                  check: bool = True) -> tuple[Any, dict[str, int] | None]:
    from rich.status import Status

    with Status("fitting valuation bands…", console=err) as status:
        def say(message: str) -> None:
            status.update(f"valuation bands: {escape(message)}")

        with unit_of_work(st.sessions) as session:
            version = valuation.fit_bands(session, actor=operator(), now=st.clock(),
                                          until=until, min_count=min_count,
                                          threshold=threshold, progress=say)
        counts = None
        if check:
            with unit_of_work(st.sessions) as session:
                counts = valuation.check_all_values(session, now=st.clock(), progress=say)
    return version, counts


@bands_app.command("show")
def bands_show(
    ctx: typer.Context,
    hs6: Annotated[str, typer.Argument(help="HS subheading, 6 digits (dots allowed).")],
    origin: Annotated[str | None, typer.Option(help="Country of origin (ISO alpha-2).")] = None,
    currency: Annotated[str | None, typer.Option(help="Price currency (ISO 4217).")] = None,
) -> None:
    """The active bands of one HS6 subheading: per origin and for all origins."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        code = hs6.replace(".", "").strip()
        with st.sessions() as session:
            rows = valuation.band_table(session, code, currency=currency,
                                        origin=origin.upper() if origin else None)

        def human() -> None:
            if not rows:
                out.print(f"no band for HS {escape(code)}", highlight=False)
                return
            table = Table(title=f"valuation bands of HS {code[:4]}.{code[4:]}",
                          title_justify="left")
            for column in ("currency", "origin", "items", "p5", "low", "median", "p95",
                           "from", "to"):
                table.add_column(column, justify="right" if column not in (
                    "currency", "origin") else "left")
            for r in rows:
                table.add_row(r["currency"], r["origin"] or "(all)", f"{r['count']:,}",
                              f"{r['p5']:,.2f}", f"{r['low']:,.2f}", f"{r['median']:,.2f}",
                              f"{r['p95']:,.2f}", str(r["first_date"]), str(r["last_date"]))
            out.print(table)
            out.print("per kg, in the price's currency; a risk indication, not a customs "
                      "value (WTO Valuation Agreement Art. 7.2)", style="dim")

        emit(st, {"hs6": code, "bands": rows}, human)


@bands_app.command("list")
def bands_list(ctx: typer.Context) -> None:
    """Every fitted version, the active one first."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            versions = valuation.list_bands(session)

        def human() -> None:
            table = Table("id", "status", "fitted on", "currencies", "by", "at")
            for v in versions:
                table.add_row(str(v.id), v.status, f"{v.fit_start} to {v.fit_end}",
                              ", ".join(f"{c} ({s['bands']:,})" for c, s in v.summary.items()),
                              escape(v.created_by), v.created_at.isoformat(timespec="seconds"))
            out.print(table)

        emit(st, [v.model_dump(mode="json") for v in versions], human)
