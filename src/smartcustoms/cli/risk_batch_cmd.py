"""CLI: batch risk scoring of a large file, and the risk frame exported as a batch file.

Registered under ``smartcustoms risk`` as ``score-file`` and ``export-frame``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.orm import Session

from smartcustoms.cli.common import (
    LazyModule,
    State,
    emit,
    handled,
    iso_date,
    operator,
    out,
    require_schema,
    state,
)
from smartcustoms.identity import Permission
from smartcustoms.risk.tables import RiskModelRow

if TYPE_CHECKING:
    import polars as pl

    from smartcustoms.risk import batch, features, frame, service
    from smartcustoms.risk import model as risk_model
    from smartcustoms.risk.features import History
    from smartcustoms.risk.model import RiskModel
else:  # imported by the commands that use them (see LazyModule)
    pl = LazyModule("polars")
    batch = LazyModule("smartcustoms.risk.batch")
    features = LazyModule("smartcustoms.risk.features")
    frame = LazyModule("smartcustoms.risk.frame")
    risk_model = LazyModule("smartcustoms.risk.model")
    service = LazyModule("smartcustoms.risk.service")


class EngineChoice(enum.StrEnum):
    local = "local"
    dask = "dask"


def scoring_inputs(session: Session, model_id: int | None
                   ) -> tuple[RiskModelRow, RiskModel, History]:
    """The promoted (or given) model and the history of every stored declaration."""
    operator().require(Permission.read_all_declarations)
    row = service.promoted_model(session, model_id)
    model = risk_model.RiskModel.from_artifact(row.artifact)
    return row, model, features.build_history(frame.load_frame(session), model.spec)


def _rows_in(path: Path) -> int | None:
    """The file's row count where it is cheap to know (Parquet metadata), for progress."""
    if batch.file_format(path) != "parquet":
        return None
    try:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    except (OSError, ValueError):
        return None  # the scorer reports an unreadable file properly


@contextmanager
def _progress(st: State, total: int | None) -> Iterator[batch.OnRows]:
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=out, disable=st.json, transient=True) as progress:
        task = progress.add_task("scoring", total=total)
        yield lambda rows: progress.advance(task, rows)


def score_file_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        help="CSV or Parquet file of risk-frame rows (see `risk export-frame`).")],
    out_path: Annotated[Path, typer.Option("--out", help="Parquet file of scores to write.")],
    engine: Annotated[EngineChoice, typer.Option(
        help="Score in this process ('local') or on a Dask cluster ('dask').")]
    = EngineChoice.local,
    batch_size: Annotated[int, typer.Option(
        min=1, help="Rows per batch (per Dask partition).")] = 100_000,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address (default: a local cluster).")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Workers of the local Dask cluster (default: one per core).")] = None,
    model: Annotated[int | None, typer.Option(
        help="Model id (default: the promoted model).")] = None,
    compiled: Annotated[bool, typer.Option(
        help="Score with the trees compiled to machine code (cached in the data directory; "
        "about 5x faster); --no-compiled scores with LightGBM itself.")] = True,
) -> None:
    """Score every row of a file against the stored history, as if each declaration were
    submitted alone; write one probability per row to a Parquet file."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            row, risk_model, history = scoring_inputs(session, model)
        with _progress(st, _rows_in(file)) as on_rows:
            report = batch.score_file(
                file, out_path, risk_model, history, engine=engine.value,
                batch_size=batch_size, workers=workers, scheduler_address=scheduler,
                on_rows=on_rows, compiled_cache=st.settings.data_dir / "cache" / "trees"
                if compiled else None)
    result = report.model_dump(mode="json") | {
        "model_id": row.id, "model_sha256": row.content_sha256, "history_rows": history.rows}
    emit(st, result, lambda: out.print(
        f"{report.rows:,} rows scored with risk model {row.id} against {history.rows:,} "
        f"stored items in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s, "
        f"{report.engine}, {report.predictor}): {escape(report.out_path)}", highlight=False))


def export_frame_command(
    ctx: typer.Context,
    out_path: Annotated[Path, typer.Argument(
        metavar="OUT", help="The file to write: .parquet or .csv.")],
    date_from: Annotated[str | None, typer.Option(
        "--from", help="First declaration date, ISO (default: the first).")] = None,
    date_to: Annotated[str | None, typer.Option(
        "--to", help="Last declaration date, ISO, inclusive (default: the last).")] = None,
) -> None:
    """Write the stored risk frame (one row per item, canonical columns, labels) to a
    Parquet or CSV file: a batch file `risk score-file` reads."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        start, end = iso_date(date_from, "from"), iso_date(date_to, "to")
        batch.file_format(out_path)
        operator().require(Permission.read_all_declarations)
        with st.sessions() as session:
            rows = frame.load_frame(session, until=end)
        if start is not None:
            rows = rows.filter(pl.col("date") >= start)
        batch.write_frame(rows, out_path)
    result = {"rows": len(rows), "columns": rows.columns, "out_path": str(out_path),
              "from": None if start is None else str(start),
              "to": None if end is None else str(end)}
    emit(st, result, lambda: out.print(
        f"{len(rows):,} rows of the risk frame ({len(rows.columns)} columns) written to "
        f"{escape(str(out_path))}", highlight=False))
