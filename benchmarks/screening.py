"""Sanctions screening benchmark: recall and false hits on a labelled set, speed, build time,
beside a plain rapidfuzz baseline.

The labelled set is generated from the shipped OFAC SDN snapshot (2024-05-03) by
``smartcustoms.screening.variants`` with a fixed seed and split by list entry into
validation and test. Thresholds are chosen on validation only, to a false-hit budget of
0.8 % of the negatives (``--budget``; the issue allows 1 %); every figure in the main table
is on the TEST split. The baseline
is rapidfuzz's ``token_set_ratio`` of the query against every list name and alias
(``extractOne``), its threshold chosen on validation to the same budget.

Speed is names per second on one core: ``screen_many`` over a batch of test names (full
hits with explanations, at the shipped threshold), after a warm-up on other names; the
second pass over the same batch shows a warm token cache. CPU time is reported beside
wall time because the machine may be shared.

    .venv/bin/python benchmarks/screening.py              # everything (about 2 minutes)
    .venv/bin/python benchmarks/screening.py --quick      # build time and speed only
    .venv/bin/python benchmarks/screening.py --entries 1000 --batch 2000
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import pickle
import platform
import sys
import time
from importlib.metadata import version

import psutil

from smartcustoms.screening import DEFAULT_THRESHOLD, Screener, load_default_list
from smartcustoms.screening.baseline import TokenSetBaseline
from smartcustoms.screening.evaluate import Outcome, choose_threshold, report, score_rows
from smartcustoms.screening.variants import DEFAULT_SEED, LabelledName, generate_labelled_set

BUDGET = 0.008
EVALUATION_FLOOR = 0.5


def say(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def baseline_outcomes(baseline: TokenSetBaseline, rows: list[LabelledName]) -> list[Outcome]:
    """Recall needs only the expected entry's score, false hits only the best score of a
    negative: the full search (``extractOne``) runs for negatives alone."""
    outcomes = []
    for row in rows:
        if row.expected is not None:
            outcomes.append(Outcome(row, baseline.score_for(row.query, row.expected), 0.0, None))
        else:
            best, entry = baseline.best(row.query)
            outcomes.append(Outcome(row, 0.0, best, entry))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=2500,
                        help="list entries to draw variants from (default 2500)")
    parser.add_argument("--batch", type=int, default=5000, help="names per speed batch")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--quick", action="store_true", help="build time and speed only")
    parser.add_argument("--json", action="store_true", help="one JSON object, no tables")
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="false-hit budget on validation negatives (default 0.008)")
    args = parser.parse_args()
    results: dict[str, object] = {
        "machine": f"{platform.node()}: {psutil.cpu_count()} CPUs, "
                   f"{psutil.virtual_memory().total / 2**30:.0f} GiB, "
                   f"load {os.getloadavg()[0]:.2f}, {platform.platform()}",
        "versions": {p: version(p) for p in ("rigour", "rapidfuzz", "normality")}
        | {"python": platform.python_version()},
    }

    screening_list, load_s, _ = timed(load_default_list)
    screener, build_s, build_cpu = timed(Screener, screening_list)
    blob = pickle.dumps(screener)
    _, unpickle_s, _ = timed(pickle.loads, blob)
    results |= {"entries": len(screening_list), "names_indexed": screener.name_count,
                "load_s": round(load_s, 2), "build_s": round(build_s, 2),
                "build_cpu_s": round(build_cpu, 2), "pickle_mb": round(len(blob) / 1e6, 1),
                "unpickle_s": round(unpickle_s, 2)}
    say(f"loaded {len(screening_list)} entries in {load_s:.1f}s, built in {build_s:.2f}s")

    rows, generate_s, _ = timed(generate_labelled_set, screening_list, seed=args.seed,
                                entries=args.entries)
    validation = [r for r in rows if r.split == "validation"]
    test = [r for r in rows if r.split == "test"]
    results |= {"labelled_rows": len(rows), "generate_s": round(generate_s, 1),
                "validation": {"positives": sum(r.positive for r in validation),
                               "negatives": sum(not r.positive for r in validation)},
                "test": {"positives": sum(r.positive for r in test),
                         "negatives": sum(not r.positive for r in test)}}
    say(f"labelled set: {len(rows)} rows in {generate_s:.1f}s "
        f"(validation {len(validation)}, test {len(test)})")

    # Speed: warm up on validation names, time a batch of test names.
    warmup = [r.query for r in validation[: min(1000, len(validation))]]
    batch = [r.query for r in test][: args.batch]
    screener.screen_many(warmup)
    _, wall, cpu = timed(screener.screen_many, batch)
    _, wall2, cpu2 = timed(screener.screen_many, batch)
    baseline, baseline_build_s, _ = timed(TokenSetBaseline, screening_list.entries)
    sample = batch[: min(1000, len(batch))]
    _, bwall, bcpu = timed(lambda: [baseline.best(q) for q in sample])
    results["speed"] = {
        "batch": len(batch), "distinct": len(set(batch)),
        "names_per_s_wall": round(len(batch) / wall), "names_per_s_cpu": round(len(batch) / cpu),
        "warm_names_per_s_wall": round(len(batch) / wall2),
        "warm_names_per_s_cpu": round(len(batch) / cpu2),
        "baseline_names_per_s_wall": round(len(sample) / bwall),
        "baseline_names_per_s_cpu": round(len(sample) / bcpu),
        "baseline_build_s": round(baseline_build_s, 2),
    }
    say(f"speed: {len(batch) / cpu:.0f} names/s (cpu), baseline {len(sample) / bcpu:.0f}")

    if not args.quick:
        say("scoring validation (floor 0.5) to choose thresholds")
        ours_val = score_rows(validation, lambda q: screener.scores(q, EVALUATION_FLOOR))
        chosen = choose_threshold(ours_val, args.budget)
        base_val = baseline_outcomes(baseline, validation)
        base_threshold = choose_threshold(base_val, args.budget)
        say("scoring test")
        ours_test = score_rows(test, lambda q: screener.scores(q, DEFAULT_THRESHOLD))
        base_test = baseline_outcomes(baseline, test)
        ours, base = report(ours_test, DEFAULT_THRESHOLD), report(base_test, base_threshold)
        val_ours, val_base = report(ours_val, chosen), report(base_val, base_threshold)
        results["quality"] = {
            "threshold_shipped": DEFAULT_THRESHOLD, "threshold_chosen_on_validation": chosen,
            "baseline_threshold_chosen_on_validation": base_threshold,
            "validation": {"recall": val_ours.recall, "false_hit_rate": val_ours.false_hit_rate,
                           "baseline_recall": val_base.recall,
                           "baseline_false_hit_rate": val_base.false_hit_rate},
            "test": {"recall": ours.recall, "false_hit_rate": ours.false_hit_rate,
                     "baseline_recall": base.recall,
                     "baseline_false_hit_rate": base.false_hit_rate},
            "test_by_variant": {k: {"n": n, "ours": ours.variant_rate(k),
                                    "baseline": base.variant_rate(k)}
                                for k, (n, _) in ours.by_variant.items()},
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print_tables(results)


def _pct(x: float) -> str:
    return f"{100 * x:6.2f} %"


def print_tables(results: dict) -> None:  # type: ignore[type-arg]
    print(f"machine: {results['machine']}")
    print(f"versions: {results['versions']}")
    print(f"list: {results['entries']} entries, {results['names_indexed']} names indexed; "
          f"load {results['load_s']} s, build {results['build_s']} s "
          f"(cpu {results['build_cpu_s']} s), pickle {results['pickle_mb']} MB, "
          f"unpickle {results['unpickle_s']} s")
    speed = results["speed"]
    quality = results.get("quality")
    print()
    print(f"{'TEST split':34s} {'screener':>12s} {'baseline':>12s} {'ratio':>8s}")
    if quality:
        test = quality["test"]
        print(f"{'threshold (chosen on validation)':34s} {quality['threshold_shipped']:>12.2f} "
              f"{quality['baseline_threshold_chosen_on_validation']:>12.2f}")
        print(f"{'recall of true variants':34s} {_pct(test['recall']):>12s} "
              f"{_pct(test['baseline_recall']):>12s} "
              f"{test['recall'] / test['baseline_recall']:8.2f}")
        fh, bfh = test["false_hit_rate"], test["baseline_false_hit_rate"]
        print(f"{'false-hit rate on negatives':34s} {_pct(fh):>12s} {_pct(bfh):>12s} "
              f"{(fh / bfh if bfh else float('nan')):8.2f}")
    rate, base_rate = speed["names_per_s_cpu"], speed["baseline_names_per_s_cpu"]
    print(f"{'names/s, one core (cpu time)':34s} {rate:>12d} {base_rate:>12d} "
          f"{rate / base_rate:8.2f}")
    print(f"{'names/s, one core (wall)':34s} {speed['names_per_s_wall']:>12d} "
          f"{speed['baseline_names_per_s_wall']:>12d} "
          f"{speed['names_per_s_wall'] / speed['baseline_names_per_s_wall']:8.2f}")
    print(f"{'names/s, second pass (cpu time)':34s} {speed['warm_names_per_s_cpu']:>12d}")
    print(f"{'batch (distinct names)':34s} {speed['batch']:>6d} ({speed['distinct']})")
    print(f"{'build s':34s} {results['build_s']:>12.2f} {speed['baseline_build_s']:>12.2f}")
    if quality:
        print()
        print(f"{'TEST recall / false hits by kind':34s} {'n':>6s} {'screener':>10s} "
              f"{'baseline':>10s}")
        for kind, row in quality["test_by_variant"].items():
            print(f"  {kind:32s} {row['n']:>6d} {_pct(row['ours']):>10s} "
                  f"{_pct(row['baseline']):>10s}")
        val = quality["validation"]
        print()
        print(f"validation: threshold chosen {quality['threshold_chosen_on_validation']:.2f} "
              f"(shipped {quality['threshold_shipped']:.2f}); recall {_pct(val['recall'])}, "
              f"false hits {_pct(val['false_hit_rate'])}; baseline recall "
              f"{_pct(val['baseline_recall'])}, false hits "
              f"{_pct(val['baseline_false_hit_rate'])}")
        print(f"rows: validation {results['validation']}, test {results['test']}; "
              f"generated in {results['generate_s']} s")


if __name__ == "__main__":
    main()
