"""Tariff classification benchmark: accuracy, verification AUC, latency, build time, memory.

Accuracy is top-1/3/5 at 2, 4 and 6 digits: grouped 5-fold CV on EU BTI and KCS (each
fold trains on the other folds plus the other set; product series never straddle a
split), zero-shot on ATLAS and HSCodeComp (never trained on). The TF-IDF centroid floor
(``tariff/baseline.py``) runs in the same process on the same folds, and each figure is
printed with its ratio to the floor. Verification AUC: the probability the model gives
the true code against a sibling subheading, a heading of the same chapter and another
chapter. Latency: one description at a time on one thread, after a warm-up.

    .venv/bin/python benchmarks/tariff.py            # everything (about 15 minutes here)
    .venv/bin/python benchmarks/tariff.py --quick    # latency, build time, memory only
    .venv/bin/python benchmarks/tariff.py --no-semantic   # lexical model only
    .venv/bin/python benchmarks/tariff.py --encoders OLD_DIR data/tariff/minilm
        # the sentence encoder alone: each description through every model in turn
"""

from __future__ import annotations

import os

# One core for latency: set before numpy / onnxruntime start their thread pools.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import platform
import sys
import time

import numpy as np
import psutil

from smartcustoms.tariff.baseline import CentroidBaseline
from smartcustoms.tariff.corpus import (
    code_texts,
    load_benchmark_set,
    shipped_precedents,
    with_series_groups,
)
from smartcustoms.tariff.embedding import MemoEncoder
from smartcustoms.tariff.evaluate import (
    VerificationScores,
    grouped_cv,
    verification,
    zero_shot,
)
from smartcustoms.tariff.model import TariffModel
from smartcustoms.tariff.service import default_encoder

COLUMNS = ("top1@6", "top3@6", "top5@6", "top1@4", "top5@4", "top1@2", "top5@2",
           "seen_top1@6", "unseen_top1@6", "ece")


def say(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="latency, build and memory only")
    parser.add_argument("--no-semantic", action="store_true", help="no sentence encoder")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of tables")
    parser.add_argument("--encoders", nargs="+", metavar="DIR",
                        help="time only these sentence encoder folders against each other")
    args = parser.parse_args()
    if args.encoders:
        _compare_encoders(args.encoders)
        return
    # Training may use both cores (as `tariff train` does); queries are timed on one.
    encoder = None if args.no_semantic else default_encoder(psutil.cpu_count() or 1)
    if encoder is not None:
        encoder = MemoEncoder(encoder)
    print(f"# {platform.node()}: {psutil.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, "
          f"{platform.platform()}; semantic encoder: {'yes' if encoder else 'no'}",
          file=sys.stderr)
    codes = code_texts()
    precedents = shipped_precedents()
    results: list[dict[str, object]] = []

    # Build: the index and model from every shipped ruling, as `tariff train` does.
    before = rss_mib()
    start = time.perf_counter()
    model = TariffModel().fit(with_series_groups(precedents), codes, encoder=encoder)
    build_s = time.perf_counter() - start
    if encoder is not None:
        model.encoder = default_encoder(1)
    texts = [p.text for name in ("atlas", "hscodecomp") for p in load_benchmark_set(name)]
    for text in texts[:20]:
        model.rank([text], k=5)
    latencies = []
    for text in texts:
        t0 = time.perf_counter()
        model.rank([text], k=5)
        latencies.append((time.perf_counter() - t0) * 1000)
    results.append({
        "kind": "performance", "build_s": round(build_s, 1),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "latency_p99_ms": round(float(np.percentile(latencies, 99)), 1),
        "descriptions": len(latencies), "rss_mib": round(rss_mib(), 0),
        "model_mib": round(rss_mib() - before, 0),
    })
    if encoder is not None:
        model.encoder = encoder
    if not args.quick:
        for name in ("eu_bti", "kcs_decisions"):
            say(f"{name}: grouped CV, model")
            verify = VerificationScores()
            ours = grouped_cv(name, precedents, codes, encoder=encoder, verify=verify,
                              progress=say)
            say(f"{name}: grouped CV, baseline")
            floor = grouped_cv(name, precedents, codes,
                               fit=lambda training: CentroidBaseline().fit(training, codes))
            results.append(_row(name, "grouped 5-fold CV", ours.as_dict(), floor.as_dict(),
                                verify.as_dict()))
        baseline = CentroidBaseline().fit(with_series_groups(precedents), codes)
        for name in ("atlas", "hscodecomp"):
            say(f"{name}: zero-shot")
            held = load_benchmark_set(name)
            results.append(_row(name, "zero-shot", zero_shot(model, held).as_dict(),
                                zero_shot(baseline, held).as_dict(),
                                verification(model, held).as_dict()))
    for row in results:
        if args.json:
            print(json.dumps(row))
    if not args.json:
        _print(results)


def _compare_encoders(folders: list[str]) -> None:
    """p50 / p99 of encoding one benchmark description at a time on one thread, for each
    encoder folder; every description goes through all of them in turn, so a machine
    that slows down for a while slows all of them alike. Ratios are to the first."""
    from smartcustoms.tariff.embedding import SentenceEncoder

    encoders = [SentenceEncoder(folder) for folder in folders]
    texts = [p.text for name in ("atlas", "hscodecomp") for p in load_benchmark_set(name)]
    for encoder in encoders:
        encoder.encode(texts[:20])
    times: list[list[float]] = [[] for _ in encoders]
    for text in texts:
        for encoder, spent in zip(encoders, times, strict=True):
            t0 = time.perf_counter()
            encoder.encode([text])
            spent.append((time.perf_counter() - t0) * 1000)
    first = float(np.percentile(times[0], 50))
    print("| encoder | p50 ms | p99 ms | speed-up at p50 |\n|---|---|---|---|")
    for folder, spent in zip(folders, times, strict=True):
        p50, p99 = np.percentile(spent, [50, 99])
        print(f"| {folder} | {p50:.2f} | {p99:.2f} | {first / p50:.2f}× |")


def _row(name: str, method: str, ours: dict[str, float | int], floor: dict[str, float | int],
         verify: dict[str, float | int]) -> dict[str, object]:
    return {"kind": "accuracy", "set": name, "method": method, "n": ours["n"],
            "with_precedent": ours["with_precedent"],
            "model": {c: ours[c] for c in COLUMNS},
            "baseline": {c: floor[c] for c in COLUMNS},
            "verification": verify}


def _print(results: list[dict[str, object]]) -> None:
    for row in results:
        if row["kind"] == "performance":
            print("| build s | latency p50 ms | latency p99 ms | descriptions | RSS MiB | "
                  "model MiB |\n|---|---|---|---|---|---|")
            print(f"| {row['build_s']} | {row['latency_p50_ms']} | {row['latency_p99_ms']} | "
                  f"{row['descriptions']} | {row['rss_mib']:.0f} | {row['model_mib']:.0f} |\n")
    accuracy = [r for r in results if r["kind"] == "accuracy"]
    if not accuracy:
        return
    print("| set | method | n (with precedent) | " + " | ".join(COLUMNS)
          + " |\n|---|---|---|" + "---|" * len(COLUMNS))
    for row in accuracy:
        model, floor = row["model"], row["baseline"]
        assert isinstance(model, dict) and isinstance(floor, dict)
        cells = []
        for c in COLUMNS:
            if c == "ece":
                cells.append(f"{model[c]} ({floor[c]})")
            else:
                ratio = model[c] / floor[c] if floor[c] else float("nan")
                cells.append(f"{model[c]} ({floor[c]}, ×{ratio:.2f})")
        print(f"| {row['set']} | {row['method']} | {row['n']} ({row['with_precedent']}) | "
              + " | ".join(cells) + " |")
    print("\n(model figure (baseline figure, ratio))\n")
    print("| set | AUC sibling subheading | AUC same-chapter heading | AUC other chapter |\n"
          "|---|---|---|---|")
    for row in accuracy:
        v = row["verification"]
        assert isinstance(v, dict)
        print(f"| {row['set']} | {v['auc_sibling_subheading']} | "
              f"{v['auc_same_chapter_heading']} | {v['auc_other_chapter']} |")


if __name__ == "__main__":
    main()
