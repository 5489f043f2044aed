"""Batch risk scoring of a large file (CSV or Parquet), in-process or on Dask.

The core is one pure function, ``score_batch``: a batch of risk-frame rows and a
``History`` in, one probability per row out. ``score_file`` streams a file through it,
batch by batch on this machine (``engine="local"``) or partition by partition on a Dask
cluster (``engine="dask"``); both give the same rows and the same probabilities, because
both parse the file with the same reader and score with the same function.

A batch file is scored against the stored history, *as if each declaration were
submitted alone*: a row dated d sees the outcomes and volumes of the history strictly
before d (``features.attach``), never the other rows of the file. Batching and
partitioning therefore cannot change a result.
"""

from __future__ import annotations

import csv
import functools
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel

from smartcustoms.errors import FieldError, InvalidInput
from smartcustoms.risk.features import History, attach
from smartcustoms.risk.frame import FINDING_COLUMNS
from smartcustoms.risk.model import RiskModel

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client

Engine = Literal["local", "dask"]
ENGINES: tuple[Engine, ...] = ("local", "dask")

# The risk frame's canonical columns (frame.records_to_frame) a batch file must have.
FRAME_FILE_COLUMNS: tuple[str, ...] = (
    "declaration_id", "sequence", "date", "office", "declarant", "importer", "seller", "hs6",
    "origin", "departure", "transport_mode", "preference_code", "currency", "net_mass_kg",
    "price", "duty_rate",
)
# Read when present; hs4 / hs2 are derived from hs6 otherwise. Labels (irregular,
# critical) and any other column are not read at all.
DERIVED_COLUMNS = ("hs4", "hs2")
_HS_DIGITS = {"hs4": 4, "hs2": 2}
NATIONAL_PREFIX = "national."
_ORDER = ("declaration_id", "sequence", "date", "office", "declarant", "importer", "seller",
          "hs6", "hs4", "hs2", "origin", "departure", "transport_mode", "preference_code",
          "currency", "net_mass_kg", "price", "duty_rate")
_NUMBERS = ("net_mass_kg", "price", "duty_rate")
_REQUIRED_VALUES = ("declaration_id", "sequence", "date")  # a row is nothing without them
_CSV_BLOCK_BYTES = 8 << 20
ROW_GROUP_ROWS = 100_000
_MAX_ERRORS = 10

OUTPUT_SCHEMA = pa.schema([
    ("declaration_id", pa.string()), ("sequence", pa.int32()), ("date", pa.date32()),
    ("probability", pa.float64()), ("duty_at_stake", pa.float64()),
    ("expected_duty", pa.float64()),
])


class ScoreFileReport(BaseModel):
    rows: int
    batches: int
    seconds: float
    rows_per_second: float
    engine: str
    out_path: str
    # "compiled" (the trees as machine code, see risk.compiled) or "lightgbm".
    predictor: str = "lightgbm"


# --- reading ---------------------------------------------------------------------------------

def file_format(path: Path) -> Literal["csv", "parquet"]:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".csv":
        return "csv"
    raise InvalidInput(f"a batch file must be .csv or .parquet, not {path.name}",
                       field="file", value=str(path))


def target_dtype(column: str) -> pl.DataType:
    if column == "sequence":
        return pl.Int32()
    if column == "date":
        return pl.Date()
    if column in _NUMBERS:
        return pl.Float64()
    return pl.String()


def columns_to_read(names: Iterable[str], path: Path) -> list[str]:
    """The file's columns that scoring reads; InvalidInput names the missing ones."""
    present = list(names)
    missing = [c for c in FRAME_FILE_COLUMNS if c not in present]
    if missing:
        raise InvalidInput(
            f"the batch file {path.name} lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}",
            errors=[FieldError(c, "is a required column of a batch file") for c in missing])
    optional = [c for c in DERIVED_COLUMNS if c in present]
    national = sorted(c for c in present if c.startswith(NATIONAL_PREFIX))
    return [*FRAME_FILE_COLUMNS, *optional, *national]


def typed_schema(columns: Iterable[str]) -> dict[str, pl.DataType]:
    """The schema of a conformed batch, in canonical order (hs4 / hs2 always there)."""
    names = set(columns) | set(DERIVED_COLUMNS)
    national = sorted(c for c in names if c.startswith(NATIONAL_PREFIX))
    return {c: target_dtype(c) for c in [*_ORDER, *national] if c in names}


def _cast(column: str, source: pl.DataType) -> pl.Expr:
    col, target = pl.col(column), target_dtype(column)
    if target == pl.Date:
        if source == pl.String:
            return col.str.to_date("%Y-%m-%d", strict=False)
        return col.dt.date() if isinstance(source, pl.Datetime) else col.cast(pl.Date,
                                                                                strict=False)
    return col.cast(target, strict=False)


def _unreadable(raw: pl.DataFrame, typed: pl.DataFrame, column: str) -> pl.Series:
    """Rows whose value did not survive the cast (or, for the keys, is missing)."""
    bad = raw[column].is_not_null() & typed[column].is_null()
    if column == "sequence" and raw.schema[column].is_float():
        bad = bad | (raw[column] != typed[column].cast(pl.Float64)).fill_null(False)
    if column in _REQUIRED_VALUES:
        bad = bad | typed[column].is_null()
    return bad


def _describe(column: str) -> str:
    kind = target_dtype(column)
    if kind == pl.Date:
        return "is not an ISO date (YYYY-MM-DD)"
    if kind == pl.Int32:
        return "is not an item number"
    return "is not a number" if kind == pl.Float64 else "is missing"


def _check(raw: pl.DataFrame, typed: pl.DataFrame, first_row: int, where: str) -> None:
    errors: list[FieldError] = []
    for column in raw.columns:
        if target_dtype(column) == pl.String and column not in _REQUIRED_VALUES:
            continue  # any value reads as text
        rows = _unreadable(raw, typed, column).arg_true()
        for i in rows.head(_MAX_ERRORS - len(errors)).to_list():
            value = raw[column][i]
            problem = "is missing" if value is None else _describe(column)
            errors.append(FieldError(column, f"{where}row {first_row + i}: {problem}", value))
        if len(errors) >= _MAX_ERRORS:
            break
    if errors:
        e = errors[0]
        got = "" if e.value is None else f"; got {e.value!r}"
        raise InvalidInput(f"column {e.field}, {e.message}{got}", errors=errors)


def with_derived(batch: pl.DataFrame) -> pl.DataFrame:
    """hs4 / hs2 from hs6 where the file has none (as frame.frame_record derives them);
    the findings of other capabilities (tariff, valuation, screening), which a file does
    not carry, as null (rules naming them then select nothing rather than fail)."""
    missing = [c for c in DERIVED_COLUMNS if c not in batch.columns]
    batch = batch.with_columns(
        pl.col("hs6").str.slice(0, _HS_DIGITS[c]).alias(c) for c in missing)
    return batch.with_columns(
        pl.lit(None, dtype=dtype).alias(c)
        for c, dtype in FINDING_COLUMNS.items() if c not in batch.columns)


def conform(raw: pl.DataFrame, first_row: int = 1, where: str = "") -> pl.DataFrame:
    """Raw columns as the risk frame's types, in canonical order.

    ``first_row`` is the 1-based number of the batch's first data row in its file
    (the header not counted): InvalidInput names the column, the row and the value.
    """
    typed = raw.select(_cast(c, raw.schema[c]) for c in raw.columns)
    _check(raw, typed, first_row, where)
    return with_derived(typed).select(list(typed_schema(raw.columns)))


def _rebatch(chunks: Iterable[pl.DataFrame], size: int) -> Iterator[pl.DataFrame]:
    """Chunks of any length as batches of exactly ``size`` rows (the last one shorter)."""
    held: list[pl.DataFrame] = []
    count = 0
    for chunk in chunks:
        while len(chunk):
            head = chunk.slice(0, size - count)
            chunk = chunk.slice(len(head))
            held.append(head)
            count += len(head)
            if count == size:
                yield pl.concat(held)
                held, count = [], 0
    if count:
        yield pl.concat(held)


def _unreadable_file(path: Path, exc: Exception) -> InvalidInput:
    return InvalidInput(f"cannot read the batch file {path.name}: {exc}", field="file",
                        value=str(path))


def _csv_header(path: Path) -> bytes:
    """The header line, as bytes (a Dask block after the first needs it again)."""
    try:
        with path.open("rb") as f:
            return f.readline()
    except OSError as exc:
        raise _unreadable_file(path, exc) from None


def _csv_columns(header: bytes, path: Path) -> list[str]:
    try:
        names = next(csv.reader([header.decode("utf-8-sig")]), [])
    except UnicodeDecodeError as exc:
        raise _unreadable_file(path, exc) from None
    return columns_to_read(names, path)


def _csv_options(columns: list[str]) -> tuple[pacsv.ReadOptions, pacsv.ConvertOptions]:
    # Every column as text, only an empty field as missing: "NA" is Namibia, not null.
    # Values are parsed afterwards by `conform`, the same way for CSV and Parquet.
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in columns}, include_columns=columns,
        null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True)
    return pacsv.ReadOptions(block_size=_CSV_BLOCK_BYTES), convert


def _csv_chunks(source: Any, columns: list[str], path: Path) -> Iterator[pl.DataFrame]:
    read, convert = _csv_options(columns)
    try:
        reader = pacsv.open_csv(source, read_options=read, convert_options=convert)
        for record_batch in reader:
            yield pl.from_arrow(record_batch)  # type: ignore[misc]
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable_file(path, exc) from None


def _parquet_file(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable_file(path, exc) from None


def _parquet_chunks(path: Path, batch_size: int) -> Iterator[pl.DataFrame]:
    parquet = _parquet_file(path)
    columns = columns_to_read(parquet.schema_arrow.names, path)
    try:
        for record_batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
            yield pl.from_arrow(record_batch)  # type: ignore[misc]
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable_file(path, exc) from None


def read_batches(path: Path, batch_size: int = 100_000) -> Iterator[pl.DataFrame]:
    """Stream a CSV or Parquet file (by suffix) as conformed batches of ``batch_size`` rows.

    The file is never loaded whole. A missing column or an unreadable value raises
    InvalidInput naming the column, and for a value its row (1-based, header not counted).
    """
    if batch_size < 1:
        raise InvalidInput("the batch size must be at least 1", field="batch_size",
                           value=batch_size)
    if file_format(path) == "parquet":
        chunks = _parquet_chunks(path, batch_size)
    else:
        columns = _csv_columns(_csv_header(path), path)
        chunks = _csv_chunks(str(path), columns, path)
    first_row = 1
    for raw in _rebatch(chunks, batch_size):
        yield conform(raw, first_row)
        first_row += len(raw)


def write_frame(frame: pl.DataFrame, path: Path) -> None:
    """A risk frame as a batch file, Parquet or CSV by suffix (dates ISO, floats exact).

    Row groups of ``ROW_GROUP_ROWS`` let a Dask cluster read a Parquet file in parallel.
    """
    try:
        if file_format(path) == "parquet":
            frame.write_parquet(path, row_group_size=ROW_GROUP_ROWS)
        else:
            frame.write_csv(path)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc}", field="out", value=str(path)
                           ) from None


# --- scoring ---------------------------------------------------------------------------------

def _empty_output() -> pl.DataFrame:
    return pl.DataFrame(schema={"declaration_id": pl.String, "sequence": pl.Int32,
                                "date": pl.Date, "probability": pl.Float64,
                                "duty_at_stake": pl.Float64, "expected_duty": pl.Float64})


def score_batch(batch: pl.DataFrame, model: RiskModel, history: History) -> pl.DataFrame:
    """One row per input row (same order): calibrated P(irregular) and duty at stake.

    Pure and deterministic: each row sees ``history`` strictly before its own date and
    nothing else, so the result of a row does not depend on the batch it came in.
    """
    if batch.is_empty():
        return _empty_output()
    features, _ = attach(with_derived(batch), history, model.spec)
    probability = pl.Series("probability", model.predict(features), dtype=pl.Float64)
    # No price or rate: nothing known at stake (as the declaration ranking counts it).
    duty = pl.col("duty_at_stake").fill_nan(0.0).fill_null(0.0)
    return features.select(
        "declaration_id", "sequence", "date", probability, duty.alias("duty_at_stake"),
    ).with_columns((pl.col("probability") * pl.col("duty_at_stake")).alias("expected_duty"))


def _to_arrow(scored: pl.DataFrame) -> pa.Table:
    return scored.to_arrow().cast(OUTPUT_SCHEMA)


@contextmanager
def _parquet_output(out_path: Path) -> Iterator[pq.ParquetWriter]:
    """A Parquet writer that replaces ``out_path`` only once everything is written."""
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        with pq.ParquetWriter(partial, OUTPUT_SCHEMA) as writer:
            yield writer
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)


OnRows = Callable[[int], None]  # called with the rows of each batch written


def _score_local(path: Path, writer: pq.ParquetWriter, model: RiskModel, history: History,
                 batch_size: int, on_rows: OnRows | None) -> tuple[int, int]:
    rows = batches = 0
    for batch in read_batches(path, batch_size):
        writer.write_table(_to_arrow(score_batch(batch, model, history)))
        rows, batches = rows + len(batch), batches + 1
        if on_rows is not None:
            on_rows(len(batch))
    return rows, batches


def score_file(path: Path, out_path: Path, model: RiskModel, history: History, *,
               engine: Engine = "local", batch_size: int = 100_000,
               workers: int | None = None, scheduler_address: str | None = None,
               processes: bool = True, on_rows: OnRows | None = None,
               compiled_cache: Path | None = None) -> ScoreFileReport:
    """Score every row of a CSV or Parquet file into a Parquet file of scores.

    ``engine="dask"`` scores partitions of ``batch_size`` rows on a local cluster of
    ``workers`` processes (threads with ``processes=False``), or on the cluster at
    ``scheduler_address``, whose workers must be able to read ``path``. The scores come
    back to this process and are written in file order, so both engines write the same
    file. With ``compiled_cache`` (a directory), the trees are compiled to machine code,
    cached there, and score every batch on both engines. The time counts reading,
    scoring and writing (and a local cluster's start, and compiling when not cached).
    """
    if engine not in ENGINES:
        raise InvalidInput(f"the engine must be one of {', '.join(ENGINES)}", field="engine",
                           value=engine)
    if batch_size < 1:
        raise InvalidInput("the batch size must be at least 1", field="batch_size",
                           value=batch_size)
    file_format(path)
    if not out_path.parent.is_dir():
        raise InvalidInput(f"no directory {out_path.parent} for the output", field="out",
                           value=str(out_path))
    if out_path.resolve() == path.resolve():
        raise InvalidInput("the output must not overwrite the batch file", field="out",
                           value=str(out_path))
    start = time.perf_counter()
    compiled = compiled_cache is not None and model.use_compiled_trees(compiled_cache)
    with _parquet_output(out_path) as writer:
        if engine == "local":
            rows, batches = _score_local(path, writer, model, history, batch_size, on_rows)
        else:
            rows, batches = _score_dask(path, writer, model, history, batch_size=batch_size,
                                        workers=workers, scheduler_address=scheduler_address,
                                        processes=processes, on_rows=on_rows,
                                        compiled_cache=compiled_cache if compiled else None)
    seconds = time.perf_counter() - start
    return ScoreFileReport(rows=rows, batches=batches, seconds=round(seconds, 3),
                           rows_per_second=round(rows / seconds, 1) if seconds else 0.0,
                           engine=engine, out_path=str(out_path),
                           predictor="compiled" if compiled else "lightgbm")


# --- Dask ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _model_from(artifact: str, compiled_cache: Path | None) -> RiskModel:
    """One model per worker and artifact: rebuilding a booster per partition is waste.
    The compiled trees come from the cache the client filled before scoring."""
    model = RiskModel.from_artifact(artifact)
    if compiled_cache is not None and not model.use_compiled_trees(compiled_cache):
        # Identical results on both engines or none: never mix the two predictors.
        raise RuntimeError("this Dask worker cannot load the compiled trees")
    return model


def _as_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    # Arrow-backed columns: dates, Int32 and nulls cross to pandas and back unchanged.
    return frame.to_pandas(use_pyarrow_extension_array=True)


def _score_partition(part: pd.DataFrame, artifact: str, history: History,
                     compiled_cache: Path | None) -> pd.DataFrame:
    batch = pl.from_pandas(part)
    return _as_pandas(score_batch(batch, _model_from(artifact, compiled_cache), history))


def _parquet_parts(path: Path, batch_size: int) -> list[tuple[str, tuple[int, ...], int]]:
    """Runs of whole row groups of about ``batch_size`` rows, each with its first row."""
    meta = _parquet_file(path).metadata
    parts: list[tuple[str, tuple[int, ...], int]] = []
    groups: list[int] = []
    first = held = 0
    for group in range(meta.num_row_groups):
        groups.append(group)
        held += meta.row_group(group).num_rows
        if held >= batch_size:
            parts.append((str(path), tuple(groups), first + 1))
            first, held, groups = first + held, 0, []
    if groups:
        parts.append((str(path), tuple(groups), first + 1))
    return parts


def _read_parquet_part(part: tuple[str, tuple[int, ...], int], wanted: list[str]
                       ) -> pd.DataFrame:
    path, groups, first_row = part
    table = pq.ParquetFile(path).read_row_groups(list(groups), columns=wanted)
    return _as_pandas(conform(pl.from_arrow(table), first_row))  # type: ignore[arg-type]


def _read_csv_block(block: bytes, header: bytes | None, columns: list[str], number: int,
                    path: str) -> pd.DataFrame:
    """A byte block of the CSV file (from a line start), parsed as the local reader does."""
    data = pa.py_buffer(block if header is None else header + block)
    chunks = list(_csv_chunks(pa.BufferReader(data), columns, Path(path)))
    raw = pl.concat(chunks) if chunks else pl.DataFrame(
        schema={c: pl.String for c in columns})
    # Rows are numbered within the block: the cluster does not know where blocks start.
    return _as_pandas(conform(raw, 1, where=f"block {number} of the file, "))


def _dask_frame(path: Path, batch_size: int) -> dd.DataFrame:
    import dask
    import dask.dataframe as dd
    from dask.bytes import read_bytes

    if file_format(path) == "parquet":
        columns = columns_to_read(_parquet_file(path).schema_arrow.names, path)
        meta = _as_pandas(pl.DataFrame(schema=typed_schema(columns)))
        return dd.from_map(functools.partial(_read_parquet_part, wanted=columns),
                           _parquet_parts(path, batch_size), meta=meta,
                           enforce_metadata=False)
    header = _csv_header(path)
    columns = _csv_columns(header, path)
    meta = _as_pandas(pl.DataFrame(schema=typed_schema(columns)))
    # Byte blocks that start at a line (no line breaks inside quoted fields, as for
    # dask.dataframe.read_csv), of about batch_size rows.
    block_bytes = max(1 << 20, _bytes_per_row(path) * batch_size)
    _, blocks = read_bytes(str(path), delimiter=b"\n", blocksize=block_bytes, sample=False)
    parts = [dask.delayed(_read_csv_block)(block, None if i == 0 else header, columns, i + 1,
                                           str(path))
             for i, block in enumerate(blocks[0])]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _bytes_per_row(path: Path, sample_rows: int = 1000) -> int:
    """Mean line length of the first rows: the size of a CSV block of ``n`` rows."""
    with path.open("rb") as f:
        f.readline()
        lines = [len(line) for _, line in zip(range(sample_rows), f, strict=False)]
    return max(1, sum(lines) // max(1, len(lines)))


@contextmanager
def _dask_client(workers: int | None, scheduler_address: str | None, processes: bool
                 ) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    if scheduler_address is not None:
        with Client(scheduler_address) as client:
            yield client
        return
    # One thread per worker, and single-threaded Polars and LightGBM inside it: the
    # cluster's parallelism is its workers, not threads fighting over the same cores.
    env = {"env": {"POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1"}} if processes else {}
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                      dashboard_address=None, **env) as cluster, Client(cluster) as client:
        yield client


def _score_dask(path: Path, writer: pq.ParquetWriter, model: RiskModel, history: History, *,
                batch_size: int, workers: int | None, scheduler_address: str | None,
                processes: bool, on_rows: OnRows | None,
                compiled_cache: Path | None) -> tuple[int, int]:
    import dask

    # Partitions are Arrow-backed already: no conversion pass over every string column.
    with dask.config.set({"dataframe.convert-string": False}):
        frame = _dask_frame(path, batch_size)  # a missing column fails before any cluster
        with _dask_client(workers, scheduler_address, processes) as client:
            # Sent once to every worker, not once per partition.
            artifact = dask.delayed(client.scatter(model.artifact(), broadcast=True))
            shared = dask.delayed(client.scatter(history, broadcast=True))
            scored = frame.map_partitions(_score_partition, artifact, shared, compiled_cache,
                                          meta=_as_pandas(_empty_output()),
                                          enforce_metadata=False)
            return _write_in_order(client.compute(scored.to_delayed()), writer, on_rows)


def _write_in_order(futures: list[Any], writer: pq.ParquetWriter, on_rows: OnRows | None
                    ) -> tuple[int, int]:
    """Partitions are written in file order as they arrive, each released once written."""
    rows = 0
    for future in futures:
        part = future.result()
        future.release()
        writer.write_table(pa.Table.from_pandas(part, preserve_index=False)
                           .cast(OUTPUT_SCHEMA))
        rows += len(part)
        if on_rows is not None:
            on_rows(len(part))
    return rows, len(futures)
