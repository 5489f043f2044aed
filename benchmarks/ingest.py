"""Ingest benchmark: item rows/s and peak memory of `smartcustoms import`, beside a plain
`executemany` of the same rows, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/ingest.py                 # 54k sample + generated 1M rows
    .venv/bin/python benchmarks/ingest.py --rows 200000   # a smaller generated file
    SMARTCUSTOMS_BENCH_POSTGRES_URL=postgresql+psycopg://… adds PostgreSQL (``make bench``
    starts a throwaway cluster for it)

Each import runs as its own process, the way an operator runs it; peak RSS is the largest
sum over that process and its worker processes, sampled every 20 ms. The baseline reads the
same CSV with the csv module and inserts the raw rows into a 22-column table with the
driver's `executemany`, 5,000 rows per transaction: no validation, no mapping, no JSON.
A SQLite file large enough to be a bulk load is imported a second time with the search
indexes maintained row by row (``SMARTCUSTOMS_IMPORT_BULK_ROWS=0``), for the ratio.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [ROOT / "data/samples/kcs" / f"df_syn_{s}_eng.csv" for s in ("train", "valid", "test")]
OUT = ROOT / "benchmarks/out"


def generate(rows: int) -> Path:
    """A KCS-shaped file of `rows` rows: the real rows over and over, each with a new id."""
    target = OUT / f"kcs_{rows}.csv"
    if target.exists():
        return target
    OUT.mkdir(parents=True, exist_ok=True)
    source: list[list[str]] = []
    for path in SAMPLES:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            source.extend(reader)
    tmp = target.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for n in range(rows):
            row = list(source[n % len(source)])
            row[0] = f"G{n:09d}"
            writer.writerow(row)
    tmp.rename(target)
    return target


def count_rows(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) - 1


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS of the process tree in MiB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return elapsed, peak / 2**20, out


def smartcustoms_import(path: Path, db_url: str | None, data_dir: Path, workers: int | None,
                        **settings: str) -> dict[str, float]:
    env = dict(os.environ, **{f"SMARTCUSTOMS_{k.upper()}": v for k, v in settings.items()})
    if db_url:
        env["SMARTCUSTOMS_DATABASE_URL"] = db_url
    cli = [sys.executable, "-m", "smartcustoms.cli.main", "--data-dir", str(data_dir)]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
    extra = ["--workers", str(workers)] if workers is not None else []
    seconds, peak, out = run_measured([*cli, "--json", "import", str(path), "--mapping", "kcs",
                                       *extra], env)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["rows_quarantined"] == 0, report
    return {"seconds": seconds, "peak_rss_mib": peak, "rows": report["rows_read"],
            "imported": report["declarations_imported"]}


BASELINE = r"""
import csv, sys, time
path, url = sys.argv[1], sys.argv[2]
cols = 22
if url.startswith("sqlite"):
    import sqlite3
    con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=NORMAL")
    ph = ",".join("?" * cols)
else:
    import psycopg
    con = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    ph = ",".join(["%s"] * cols)
cur = con.cursor()
cur.execute("DROP TABLE IF EXISTS baseline_rows")
cur.execute("CREATE TABLE baseline_rows (" + ",".join(f"c{i} TEXT" for i in range(cols)) + ")")
sql = f"INSERT INTO baseline_rows VALUES ({ph})"
with open(path, newline="", encoding="utf-8") as fh:
    reader = csv.reader(fh); next(reader)
    batch = []
    for row in reader:
        batch.append(row)
        if len(batch) == 5000:
            cur.execute("BEGIN"); cur.executemany(sql, batch); cur.execute("COMMIT"); batch = []
    if batch:
        cur.execute("BEGIN"); cur.executemany(sql, batch); cur.execute("COMMIT")
"""


def baseline(path: Path, db_url: str) -> dict[str, float]:
    seconds, peak, _ = run_measured([sys.executable, "-c", BASELINE, str(path), db_url],
                                    dict(os.environ))
    return {"seconds": seconds, "peak_rss_mib": peak}


def fresh_postgres(url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(url).set(database=name).render_as_string(hide_password=False), name


def drop_postgres(url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def stages(path: Path) -> dict[str, float]:
    """Microseconds per row of each import stage, in this process (no workers)."""
    import datetime as dt

    from smartcustoms.config import Settings
    from smartcustoms.db import make_engine, session_factory, upgrade, utcnow
    from smartcustoms.declarations import ingest, shipped_mapping
    from smartcustoms.declarations.mapping import CompiledMapping
    from smartcustoms.declarations.sources import csv_header_and_rows
    from smartcustoms.declarations.tables import ImportRunRow

    tmp = Path(tempfile.mkdtemp(prefix="sc-stages-"))
    try:
        engine = make_engine(Settings(data_dir=tmp))
        upgrade(engine)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            run = ImportRunRow(file_name=path.name, file_sha256="-", file_bytes=0, format="csv",
                               status="running", started_at=utcnow(), rows_read=0,
                               declarations_imported=0, items_imported=0,
                               declarations_unchanged=0, rows_quarantined=0)
            session.add(run)
            session.flush()
            run_id = run.id
        spec = shipped_mapping("kcs")
        t0 = time.perf_counter()
        header, rows = csv_header_and_rows(path, delimiter=",", encoding="utf-8-sig")
        key = CompiledMapping(spec, header).key_index
        chunks = list(ingest.chunked(ingest.group_csv_rows(rows, key), 5000))
        t1 = time.perf_counter()
        job = ingest.ImportJob(run_id=run_id, file_sha256="-", today=dt.date.today(),
                               clock=utcnow, spec=spec, header=header)
        ingest._init_worker(job)
        validate = write = 0.0
        n = 0
        for chunk in chunks:
            a = time.perf_counter()
            result = ingest.validate_csv_chunk(chunk)
            b = time.perf_counter()
            with sessions.begin() as session:
                ingest.write_chunk(session, run_id, "-", result, now=utcnow())
            validate, write, n = validate + b - a, write + time.perf_counter() - b, n + result.rows
        engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"rows": n, "read_group_us": (t1 - t0) / n * 1e6, "validate_us": validate / n * 1e6,
            "write_sqlite_us": write / n * 1e6}


def _prepared(path: Path) -> list[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    """The file's rows validated and prepared as the importer writes them: (declaration
    row, item rows) each."""
    import datetime as dt

    from smartcustoms.declarations import ingest, shipped_mapping
    from smartcustoms.declarations.mapping import CompiledMapping
    from smartcustoms.declarations.sources import csv_header_and_rows

    spec = shipped_mapping("kcs")
    header, rows = csv_header_and_rows(path, delimiter=",", encoding="utf-8-sig")
    job = ingest.ImportJob(run_id=1, file_sha256="-", today=dt.date.today(), clock=None,
                           spec=spec, header=header)  # type: ignore[arg-type]
    ingest._init_worker(job)
    prepared = []
    key = CompiledMapping(spec, header).key_index
    for chunk in ingest.chunked(ingest.group_csv_rows(rows, key), 5000):
        prepared += [(p.row, p.items) for p in ingest.validate_csv_chunk(chunk).good]
    return prepared


def _floor_database(tmp: Path) -> sqlite3.Connection:
    from smartcustoms.config import Settings
    from smartcustoms.db import make_engine, upgrade

    engine = make_engine(Settings(data_dir=tmp))
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(tmp / "smartcustoms.db", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536",
                   "foreign_keys=ON", "temp_store=MEMORY"):
        con.execute(f"PRAGMA {pragma}")
    return con


_WRITTEN_AT = (None, None, "2026-01-01 00:00:00.000000")  # WRITER_COLUMNS of every row


def write_floor(path: Path, chunk_sizes: tuple[int, ...] = (5_000, 50_000)
                ) -> list[dict[str, float | str]]:
    """µs per row of the bare writes: the file's rows validated and prepared first (not
    timed), then inserted with sqlite3's executemany straight into the real schema — no
    ORM, no validation, no worker. What no validator can make faster.

    Then SQLite's own share of it, 50,000 rows per transaction: each chunk bound into
    TEMP tables first (``executemany``: the driver's per-row work, timed apart), then
    ``INSERT … SELECT`` into the schema and ``COMMIT`` (SQLite's C code and the I/O
    alone), with the search indexes kept and with them dropped and built at the end as a
    bulk load does: the floor of any writer, Python or not, with this schema."""
    from smartcustoms.declarations.bulk import deferrable_indexes
    from smartcustoms.declarations.prepare import (
        DECLARATION_COLUMNS,
        ITEM_COLUMNS,
        WRITER_COLUMNS,
    )

    prepared = _prepared(path)
    columns = DECLARATION_COLUMNS + WRITER_COLUMNS
    decl_sql = (f"INSERT INTO declarations ({', '.join(columns)}) VALUES "
                f"({', '.join('?' * len(columns))}) ON CONFLICT DO NOTHING")
    item_sql = (f"INSERT INTO declaration_items ({', '.join(ITEM_COLUMNS)}) VALUES "
                f"({', '.join('?' * len(ITEM_COLUMNS))}) ON CONFLICT DO NOTHING")
    out: list[dict[str, float | str]] = []
    for size in chunk_sizes:
        tmp = Path(tempfile.mkdtemp(prefix="sc-floor-"))
        try:
            con = _floor_database(tmp)
            start = time.perf_counter()
            for i in range(0, len(prepared), size):
                part = prepared[i:i + size]
                con.execute("BEGIN IMMEDIATE")
                con.executemany(decl_sql, [r + _WRITTEN_AT for r, _ in part])
                # New rows got consecutive seqs, as the importer relies on.
                last = con.execute("SELECT last_insert_rowid()").fetchone()[0]
                seqs = {r[0]: last - len(part) + 1 + k for k, (r, _) in enumerate(part)}
                con.executemany(item_sql, [(seqs[it[0]], *it[1:])
                                           for _, items in part for it in items])
                con.execute("COMMIT")
            seconds = time.perf_counter() - start
            con.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        out.append({"rows": len(prepared), "rows_per_transaction": size,
                    "write_us_per_row": seconds / len(prepared) * 1e6,
                    "rows_per_s": len(prepared) / seconds})
    for deferred in (False, True):
        tmp = Path(tempfile.mkdtemp(prefix="sc-floor-"))
        try:
            con = _floor_database(tmp)
            names = [str(index.name) for index in deferrable_indexes()]
            sql = {name: con.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                     (name,)).fetchone()[0] for name in names}
            if deferred:
                for name in names:
                    con.execute(f"DROP INDEX {name}")
            con.execute(f"CREATE TEMP TABLE staged_declarations ({', '.join(columns)})")
            con.execute(f"CREATE TEMP TABLE staged_items ({', '.join(ITEM_COLUMNS)})")
            stage = insert = commit = 0.0
            for i in range(0, len(prepared), 50_000):
                part = prepared[i:i + 50_000]
                a = time.perf_counter()
                con.execute("BEGIN IMMEDIATE")
                con.execute("DELETE FROM staged_declarations")
                con.execute("DELETE FROM staged_items")
                con.executemany(f"INSERT INTO staged_declarations VALUES "
                                f"({', '.join('?' * len(columns))})",
                                [r + _WRITTEN_AT for r, _ in part])
                con.executemany(f"INSERT INTO staged_items VALUES "
                                f"({', '.join('?' * len(ITEM_COLUMNS))})",
                                [it for _, items in part for it in items])
                b = time.perf_counter()
                con.execute(f"INSERT INTO declarations ({', '.join(columns)}) SELECT * FROM "
                            "staged_declarations WHERE true ON CONFLICT DO NOTHING")
                con.execute(
                    f"INSERT INTO declaration_items ({', '.join(ITEM_COLUMNS)}) SELECT d.seq, "
                    f"{', '.join('s.' + c for c in ITEM_COLUMNS[1:])} FROM staged_items s "
                    "JOIN declarations d ON d.id = s.declaration_seq")
                c = time.perf_counter()
                con.execute("COMMIT")
                stage, insert = stage + b - a, insert + c - b
                commit += time.perf_counter() - c
            d = time.perf_counter()
            if deferred:
                for name in names:
                    con.execute(sql[name])
            rebuild = time.perf_counter() - d
            con.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        n = len(prepared)
        sqlite_us = (insert + commit + rebuild) / n * 1e6
        out.append({"rows": n, "search_indexes": "dropped, built at the end" if deferred
                    else "maintained", "driver_binding_us": stage / n * 1e6,
                    "sqlite_insert_us": insert / n * 1e6, "commit_us": commit / n * 1e6,
                    "index_build_us": rebuild / n * 1e6, "sqlite_only_us_per_row": sqlite_us,
                    "sqlite_only_rows_per_s": 1e6 / sqlite_us})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated file")
    parser.add_argument("--workers", type=int, default=None, help="import workers (default: auto)")
    parser.add_argument("--skip-sample", action="store_true", help="only the generated file")
    parser.add_argument("--json", action="store_true", help="one JSON line per result")
    parser.add_argument("--stages", action="store_true",
                        help="only: µs per row of read, validate and write (one process)")
    parser.add_argument("--write-floor", action="store_true",
                        help="only: µs per row of bare executemany writes into the schema, "
                             "and SQLite's own share of them")
    args = parser.parse_args()
    from smartcustoms.declarations.bulk import BULK_MIN_ROWS

    if args.write_floor:
        for figures in write_floor(generate(args.rows)):
            print(", ".join(f"{k} {v:,.1f}" if isinstance(v, float) else
                            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                            for k, v in figures.items()))
        return
    if args.stages:
        for path in SAMPLES:
            figures = stages(path)
            print(f"{path.name}: " + ", ".join(
                f"{k} {v:,.1f}" if isinstance(v, float) else f"{k} {v:,}"
                for k, v in figures.items()))
        return

    files: list[tuple[str, Path]] = []
    if not args.skip_sample:
        merged = OUT / "kcs_sample_54k.csv"
        if not merged.exists():
            OUT.mkdir(parents=True, exist_ok=True)
            with merged.open("w", encoding="utf-8", newline="") as out:
                for i, path in enumerate(SAMPLES):
                    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
                    out.writelines(lines if i == 0 else lines[1:])
        files.append(("KCS sample (54,000 rows)", merged))
    if args.rows:
        files.append((f"generated ({args.rows:,} rows)", generate(args.rows)))
    backends = [("sqlite", None)]
    pg_url = os.environ.get("SMARTCUSTOMS_BENCH_POSTGRES_URL")
    if pg_url:
        backends.append(("postgresql", pg_url))

    print(f"# {platform.node()}: {psutil.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, "
          f"{platform.platform()}", file=sys.stderr)
    results = []
    for label, path in files:
        rows = count_rows(path)
        for backend, url in backends:
            tmp = Path(tempfile.mkdtemp(prefix="sc-bench-"))
            try:
                if backend == "sqlite":
                    ours_url, base_url, cleanup = None, f"sqlite:///{tmp / 'baseline.db'}", None
                else:
                    ours_url, ours_name = fresh_postgres(url)
                    base_url, base_name = fresh_postgres(url)
                    cleanup = [(url, ours_name), (url, base_name)]
                ours = smartcustoms_import(path, ours_url, tmp / "data", args.workers)
                plain = baseline(path, base_url)
                # the same import with its search indexes kept up to date row by row
                maintained = smartcustoms_import(
                    path, ours_url, tmp / "data-maintained", args.workers, import_bulk_rows="0"
                ) if backend == "sqlite" and rows >= BULK_MIN_ROWS else None
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
                for u, n in cleanup or []:
                    drop_postgres(u, n)
            result = {
                "file": label, "backend": backend, "rows": rows,
                "rows_per_s": round(rows / ours["seconds"]),
                "seconds": round(ours["seconds"], 2),
                "peak_rss_mib": round(ours["peak_rss_mib"]),
                "baseline_rows_per_s": round(rows / plain["seconds"]),
                "baseline_peak_rss_mib": round(plain["peak_rss_mib"]),
                "ratio": round(plain["seconds"] / ours["seconds"], 3),
                "indexes_maintained_rows_per_s":
                    round(rows / maintained["seconds"]) if maintained else None,
            }
            results.append(result)
            if args.json:
                print(json.dumps(result), flush=True)
    if not args.json:
        print("| file | backend | rows | smartcustoms rows/s | s | peak RSS MiB | "
              "executemany rows/s | ratio (ours / executemany) | indexes maintained rows/s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in results:
            kept = r["indexes_maintained_rows_per_s"]
            print(f"| {r['file']} | {r['backend']} | {r['rows']:,} | {r['rows_per_s']:,} | "
                  f"{r['seconds']} | {r['peak_rss_mib']} | {r['baseline_rows_per_s']:,} | "
                  f"{r['ratio']} | {'—' if kept is None else f'{kept:,}'} |")


if __name__ == "__main__":
    main()
