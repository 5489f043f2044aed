"""Batch risk scoring throughput: `score_file` on a 1,000,000-row file, one core and Dask.

Builds a throwaway SQLite database from the bundled KCS sample (54,000 declarations,
outcomes recorded), trains and promotes a model, exports the risk frame and repeats its
rows with new declaration ids, dated after the history, into a 1,000,000-row Parquet file
(and the same rows as CSV). Then measures, against the 100,000 rows/s target:

- the local engine on one core: a child process bound to one CPU (sched_setaffinity)
  with POLARS_MAX_THREADS=1 and OMP_NUM_THREADS=1 set before Polars and LightGBM load.
  `RiskModel.predict` passes no thread count to LightGBM (its artifact says
  num_threads=0: all cores), so the environment is what pins it;
- each with the trees compiled to machine code (lleaves, the default of
  `risk score-file`) and with LightGBM's own predictor (the baseline), side by side;
- the Dask engine on a local cluster of 2 worker processes, one thread each (the time
  includes starting the cluster), with the compiled trees;
- `build_history` on the stored frame, on one core and on all.

Both engines' outputs are compared (same rows, same probabilities). Run:
`.venv/bin/python benchmarks/risk_scoring.py [--rows 1000000] [--json]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET = 100_000  # rows per second on one core


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _scoring_inputs(data_dir: Path) -> tuple[Any, Any, Any, float]:
    """The promoted model, the stored frame, its history and the seconds to build it."""
    from smartcustoms.config import Settings
    from smartcustoms.db import make_engine, session_factory
    from smartcustoms.risk import service
    from smartcustoms.risk.features import build_history
    from smartcustoms.risk.frame import load_frame
    from smartcustoms.risk.model import RiskModel

    engine = make_engine(Settings(data_dir=data_dir))
    with session_factory(engine)() as session:
        model = RiskModel.from_artifact(service.promoted_model(session).artifact)
        frame = load_frame(session)
    engine.dispose()
    start = time.perf_counter()
    history = build_history(frame, model.spec)
    return model, frame, history, time.perf_counter() - start


def one_core(work: Path) -> None:
    """Child process: the local engine, already bound to one CPU by the parent."""
    from smartcustoms.risk.batch import read_batches, score_file
    from smartcustoms.risk.model import RiskModel

    model, _, history, history_seconds = _scoring_inputs(work / "data")
    result: dict[str, Any] = {"history_seconds": history_seconds,
                              "cpus": sorted(os.sched_getaffinity(0))}
    start = time.perf_counter()
    rows = sum(len(b) for b in read_batches(work / "batch.parquet"))
    result["read_parquet"] = {"rows": rows, "seconds": time.perf_counter() - start}
    compiled = RiskModel.from_artifact(model.artifact())
    start = time.perf_counter()  # the parent compiled: this loads the cached library
    assert compiled.use_compiled_trees(work / "trees"), "lleaves could not compile the model"
    result["load_compiled_seconds"] = time.perf_counter() - start
    result["stages"] = stages(work / "batch.parquet", model, history, compiled)
    for name in ("parquet", "csv"):
        for predictor, scorer in (("compiled", compiled), ("lightgbm", model)):
            report = score_file(work / f"batch.{name}",
                                work / f"local-{name}-{predictor}.scores.parquet",
                                scorer, history)
            result[f"local_{name}_{predictor}"] = {"rows": report.rows,
                                                   "seconds": report.seconds}
    print(json.dumps(result))


def stages(path: Path, model: Any, history: Any, compiled: Any, repeat: int = 3
           ) -> dict[str, float]:
    """Seconds per stage of `score_batch` on the file's first batch (best of `repeat`)."""
    from smartcustoms.risk.batch import read_batches
    from smartcustoms.risk.features import attach

    batch = next(read_batches(path))
    best = {"rows": float(len(batch)), "attach": 1e9, "matrix": 1e9, "lightgbm": 1e9,
            "compiled": 1e9}
    for _ in range(repeat):
        t0 = time.perf_counter()
        features, _ = attach(batch, history, model.spec)
        t1 = time.perf_counter()
        matrix = model.matrix(features)
        t2 = time.perf_counter()
        model.booster.predict(matrix, num_iteration=model.best_iteration)
        t3 = time.perf_counter()
        compiled.raw_scores(features, matrix)
        t4 = time.perf_counter()
        for name, seconds in (("attach", t1 - t0), ("matrix", t2 - t1), ("lightgbm", t3 - t2),
                              ("compiled", t4 - t3)):
            best[name] = min(best[name], seconds)
    return best


def build_database(work: Path) -> None:
    from smartcustoms.config import Settings
    from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade, utcnow
    from smartcustoms.declarations import import_file, shipped_mapping
    from smartcustoms.identity import SYSTEM
    from smartcustoms.paths import SAMPLES_DIR
    from smartcustoms.risk import service
    from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes

    engine = make_engine(Settings(data_dir=work / "data"))
    upgrade(engine)
    sessions = session_factory(engine)
    for name in ("train", "valid", "test"):
        import_file(sessions, SAMPLES_DIR / "kcs" / f"df_syn_{name}_eng.csv", actor=SYSTEM,
                    clock=utcnow, mapping=shipped_mapping("kcs"))
    with unit_of_work(sessions) as session:
        record_source_outcomes(session, OutcomeColumns(
            irregular="Fraud", critical="Critical Fraud", critical_values=frozenset({"2"})),
            actor=SYSTEM, now=utcnow())
        version, _ = service.train_model(session, actor=SYSTEM, now=utcnow())
        service.promote_model(session, version.id, actor=SYSTEM, now=utcnow())
    engine.dispose()


def write_batch_files(frame: Any, rows: int, work: Path) -> None:
    """The frame's rows over and over, new ids, dated after the whole history."""
    import polars as pl

    from smartcustoms.risk.batch import write_frame

    first, last = frame["date"].min(), frame["date"].max()
    shift = dt.timedelta(days=(last - first).days + 1)
    copies = -(-rows // len(frame))
    repeated = pl.concat([
        frame.drop("irregular", "critical").with_columns(
            pl.col("declaration_id") + f"-b{k}", pl.col("date") + shift)
        for k in range(copies)]).head(rows)
    write_frame(repeated, work / "batch.parquet")
    write_frame(repeated, work / "batch.csv")


def cluster_start_seconds(workers: int) -> float:
    """What `score_file(engine="dask")` spends starting and stopping its local cluster."""
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as c, \
            Client(c):
        pass
    return time.perf_counter() - start


def run_one_core(work: Path) -> dict[str, Any]:
    cpu = min(os.sched_getaffinity(0))
    env = {**os.environ, "POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, __file__, "--one-core", str(work)], env=env, check=True,
        capture_output=True, text=True, preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def same_scores(a: Path, b: Path, exact: bool = False) -> bool:
    import numpy as np
    import polars as pl

    x = pl.read_parquet(a).sort("declaration_id", "sequence")
    y = pl.read_parquet(b).sort("declaration_id", "sequence")
    if exact:
        return x.equals(y)
    return x.select("declaration_id", "sequence", "date").equals(
        y.select("declaration_id", "sequence", "date")) and bool(np.allclose(
            x["probability"].to_numpy(), y["probability"].to_numpy(), rtol=0, atol=1e-12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one-core", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_core:
        one_core(args.one_core)
        return

    import dask
    import distributed
    import lightgbm
    import polars as pl
    import psutil

    from smartcustoms.risk.batch import score_file

    machine = (f"{platform.node()}: {_cpu_model()}, {psutil.cpu_count()} CPUs, "
               f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python "
               f"{platform.python_version()}, Polars {pl.__version__}, LightGBM "
               f"{lightgbm.__version__}, Dask {dask.__version__} / distributed "
               f"{distributed.__version__}")
    work = Path(tempfile.mkdtemp(prefix="sc-score-"))
    try:
        start = time.perf_counter()
        build_database(work)
        model, frame, history, history_seconds = _scoring_inputs(work / "data")
        write_batch_files(frame, args.rows, work)
        setup = time.perf_counter() - start
        from smartcustoms.risk.model import RiskModel

        start = time.perf_counter()  # compiled once, cached for the workers and the child
        assert RiskModel.from_artifact(model.artifact()).use_compiled_trees(work / "trees")
        compile_seconds = time.perf_counter() - start
        dask_report = score_file(work / "batch.parquet", work / "dask.scores.parquet", model,
                                 history, engine="dask", workers=args.workers,
                                 compiled_cache=work / "trees")
        cluster_seconds = cluster_start_seconds(args.workers)
        local = run_one_core(work)
        compiled_parquet = work / "local-parquet-compiled.scores.parquet"
        identical = same_scores(compiled_parquet, work / "dask.scores.parquet", exact=True)
        identical_csv = same_scores(compiled_parquet,
                                    work / "local-csv-compiled.scores.parquet", exact=True)
        as_lightgbm = same_scores(compiled_parquet,
                                  work / "local-parquet-lightgbm.scores.parquet")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("local engine, Parquet, 1 core, compiled trees", local["local_parquet_compiled"]),
        ("local engine, Parquet, 1 core, LightGBM predictor (baseline)",
         local["local_parquet_lightgbm"]),
        ("local engine, CSV, 1 core, compiled trees", local["local_csv_compiled"]),
        ("local engine, CSV, 1 core, LightGBM predictor (baseline)",
         local["local_csv_lightgbm"]),
        ("reading only (no scoring), Parquet, 1 core", local["read_parquet"]),
        (f"dask engine, Parquet, {args.workers} workers × 1 thread, compiled trees "
         "(cluster start included)",
         {"rows": dask_report.rows, "seconds": dask_report.seconds}),
    ]
    result = {"machine": machine, "history_rows": len(frame),
              "build_history_seconds_1_core": round(local["history_seconds"], 3),
              "build_history_seconds_all_cores": round(history_seconds, 3),
              "identical_local_dask": identical, "identical_csv_parquet": identical_csv,
              "compiled_as_lightgbm_1e-12": as_lightgbm,
              "compile_seconds": round(compile_seconds, 2),
              "load_compiled_seconds": round(local["load_compiled_seconds"], 3),
              "setup_seconds": round(setup, 1), "trees": model.best_iteration,
              "dask_cluster_start_stop_seconds": round(cluster_seconds, 2),
              "stages_1_core": local["stages"], "results": [
                  {"measurement": name, "rows": r["rows"], "seconds": round(r["seconds"], 3),
                   "rows_per_second": round(r["rows"] / r["seconds"])} for name, r in rows]}
    if args.json:
        print(json.dumps(result))
        return
    print(f"# {machine}")
    print(f"history: {len(frame):,} stored items; build_history {local['history_seconds']:.2f} s "
          f"on 1 core, {history_seconds:.2f} s on all cores; local and Dask outputs identical: "
          f"{'yes' if identical else 'NO'}; CSV and Parquet identical: "
          f"{'yes' if identical_csv else 'NO'}; compiled trees = LightGBM to 1e-12: "
          f"{'yes' if as_lightgbm else 'NO'}; setup {setup:.0f} s")
    st = local["stages"]
    print(f"one core, one batch of {st['rows']:,.0f} rows: features (attach) "
          f"{st['attach']:.3f} s, model matrix {st['matrix']:.3f} s, LightGBM predict "
          f"{st['lightgbm']:.3f} s, compiled trees {st['compiled']:.3f} s "
          f"({model.best_iteration} trees, compiled in {compile_seconds:.1f} s, "
          f"loaded from the cache in {local['load_compiled_seconds']:.2f} s); "
          f"a local Dask cluster of "
          f"{args.workers} workers starts and stops in {cluster_seconds:.1f} s")
    print(f"| measurement | rows | seconds | rows/s | vs {TARGET:,} rows/s |")
    print("|---|---:|---:|---:|---:|")
    for r in result["results"]:
        print(f"| {r['measurement']} | {r['rows']:,} | {r['seconds']:.2f} | "
              f"{r['rows_per_second']:,} | {r['rows_per_second'] / TARGET:.2f}× |")


if __name__ == "__main__":
    main()
