"""Risk targeting figures on the bundled KCS data, beside the dataset paper's baselines.

Imports the 54,000 sample rows into a throwaway SQLite database, records their outcomes,
then, on the official chronological split (train 2020, validation 2021-Q1, test
2021-Q2): precision, recall, critical-fraud recall and duty recall at inspection budgets
of 1, 2, 5 and 10 %, AUC, for both ranking policies; and the time to build features and
train; with `--simulate`, the online simulation of every strategy. Run:
`.venv/bin/python benchmarks/risk.py --simulate` (`--json` for one JSON line per result).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade, utcnow
from smartcustoms.declarations import import_file, shipped_mapping
from smartcustoms.identity import SYSTEM
from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.risk.evaluate import Window, evaluate, training_features, windowed_features
from smartcustoms.risk.frame import load_frame
from smartcustoms.risk.model import fit
from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes
from smartcustoms.risk.simulate import SimulationOptions, simulate
from smartcustoms.risk.spec import load_spec

TRAIN = Window(dt.date(2020, 1, 1), dt.date(2020, 12, 31))
VALID = Window(dt.date(2021, 1, 1), dt.date(2021, 3, 31))
TEST = Window(dt.date(2021, 4, 1), dt.date(2021, 6, 30))
OUTCOMES = OutcomeColumns(irregular="Fraud", critical="Critical Fraud",
                          critical_values=frozenset({"2"}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--simulate", action="store_true",
                        help="also the online simulation (all strategies, a few minutes)")
    args = parser.parse_args()
    print(f"# {platform.node()}: {psutil.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}",
          file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix="sc-risk-"))
    try:
        engine = make_engine(Settings(data_dir=tmp))
        upgrade(engine)
        sessions = session_factory(engine)
        for name in ("train", "valid", "test"):
            import_file(sessions, SAMPLES_DIR / "kcs" / f"df_syn_{name}_eng.csv", actor=SYSTEM,
                        clock=utcnow, mapping=shipped_mapping("kcs"))
        with unit_of_work(sessions) as session:
            record_source_outcomes(session, OUTCOMES, actor=SYSTEM, now=utcnow())
        with sessions() as session:
            frame = load_frame(session)
        spec = load_spec()

        t0 = time.perf_counter()
        train_rows, names = training_features(frame, spec, TRAIN)
        valid_rows, _ = windowed_features(frame, spec, VALID)
        t1 = time.perf_counter()
        model = fit(train_rows, valid_rows, names, spec)
        t2 = time.perf_counter()
        timing = {"feature_seconds": round(t1 - t0, 2), "train_seconds": round(t2 - t1, 2),
                  "rows_train": len(train_rows), "trees": model.best_iteration}

        results = []
        for policy in ("probability", "duty"):
            report, _ = evaluate(frame, spec, train=TRAIN, valid=VALID, test=TEST,
                                 policy=policy, baselines=policy == "probability")
            for r in report.results:
                results.append({"policy": policy, "model": r.name, "auc": r.auc,
                                "at": [m.model_dump() for m in r.at]})
        simulation = None
        if args.simulate:
            t3 = time.perf_counter()
            simulation = simulate(frame, spec, SimulationOptions())
            timing["simulation_seconds"] = round(time.perf_counter() - t3, 1)
        engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        print(json.dumps(timing))
        for r in results:
            print(json.dumps(r))
        if simulation is not None:
            for s in simulation.results:
                print(json.dumps(s.model_dump(mode="json", exclude={"weeks"})))
        return
    print(f"features (train + validation windows): {timing['feature_seconds']} s; training on "
          f"{timing['rows_train']:,} rows: {timing['train_seconds']} s ({timing['trees']} trees)")
    print("| policy | model | AUC | P@1% | P@2% | P@5% | P@10% | R@10% | critical R@10% "
          "| duty R@10% |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        at = {m["budget"]: m for m in r["at"]}
        print(f"| {r['policy']} | {r['model']} | {r['auc']:.3f} | "
              + " | ".join(f"{at[b]['precision']:.3f}" for b in (0.01, 0.02, 0.05, 0.10))
              + f" | {at[0.10]['recall']:.3f} | {at[0.10]['critical_recall']:.3f} | "
              f"{at[0.10]['duty_recall']:.3f} |")
    if simulation is not None:
        o = simulation.options
        print(f"\nonline simulation: {simulation.declarations:,} declarations, "
              f"{simulation.weeks} weeks, budget {o.budget:.0%}, warm-up {o.warmup_weeks} "
              f"weeks, random share {o.random_share:.0%}, explore share {o.explore_share:.0%} "
              f"on `{o.explore}`; {timing['simulation_seconds']} s")
        print("| strategy | precision (all) | recall (all) | critical recall (all) | "
              f"precision (last {o.last_weeks}) | recall (last {o.last_weeks}) | "
              f"critical recall (last {o.last_weeks}) |")
        print("|---|---|---|---|---|---|---|")
        for s in simulation.results:
            print(f"| {s.strategy} | {s.precision_all:.3f} | {s.recall_all:.3f} | "
                  f"{s.critical_recall_all or 0:.3f} | {s.precision_last:.3f} | "
                  f"{s.recall_last:.3f} | {s.critical_recall_last or 0:.3f} |")


if __name__ == "__main__":
    main()
