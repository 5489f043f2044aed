"""Valuation bands: speed on a synthetic frame, and how "below band" separates fraud on KCS.

1. Throughput on a generated frame of ``--rows`` items (fixed seed; 3,000 HS6 codes, 6
   origins, lognormal unit values over three years): `ValueBands.fit`, `assess` in rows
   per second, `as_of_bands` by month, and `findings` for the rows flagged.
2. Separation on the bundled KCS sample (54,000 synthetic inspected declarations, prices
   in KRW): chronological, bands fitted on the first 80 % of rows by date and the last
   20 % assessed; precision and recall of ``uv_below_band`` against the ``Fraud`` label
   at several thresholds, beside flagging the same share at random (precision = the base
   rate, recall = the share flagged). Also the monthly as-of bands on the same rows, and,
   for comparison only, a leaky fit on every row including the assessed ones.

The KCS CSVs are read directly with the rules of data/mappings/kcs.yaml that matter here
(origin ZZ = not declared; a net mass of 0 is below rounding, so no unit value). Run:
`.venv/bin/python benchmarks/valuation.py [--rows 1000000] [--json]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import psutil

from smartcustoms.documents.valuation import ValueBands, as_of_bands, unit_values

ROOT = Path(__file__).resolve().parents[1]
KCS = [ROOT / "data/samples/kcs" / f"df_syn_{s}_eng.csv" for s in ("train", "valid", "test")]
THRESHOLDS = (2.0, 2.5, 3.0, 4.0)
SEED = 20240611


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def synthetic(rows: int) -> pl.DataFrame:
    rng = np.random.default_rng(SEED)
    codes = np.array([f"{c:06d}" for c in rng.choice(np.arange(10_000, 970_000), 3_000,
                                                     replace=False)])
    pick = rng.integers(0, len(codes), rows)
    level = rng.uniform(0, 8, len(codes))[pick]
    origin = rng.choice(np.array(["CN", "VN", "IT", "DE", "TR", "US", ""]), rows)
    mass = rng.uniform(1, 1_000, rows)
    uv = np.exp(level + rng.normal(0, 0.4, rows))
    start = (dt.date(2021, 1, 1) - dt.date(1970, 1, 1)).days
    return unit_values(pl.DataFrame({
        "declaration_id": [f"G{n:09d}" for n in range(rows)], "sequence": 1,
        "date": pl.Series(start + rng.integers(0, 3 * 365, rows)).cast(pl.Int32)
        .cast(pl.Date),
        "hs6": codes[pick], "origin": pl.Series(origin).replace("", None), "value": uv * mass,
        "net_mass_kg": mass}))


def timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def throughput(rows: int) -> dict[str, Any]:
    frame = synthetic(rows)
    bands, fit_s = timed(lambda: ValueBands.fit(frame))
    bands.assess(frame.head(1000))  # warm-up
    assessed, assess_s = timed(lambda: bands.assess(frame))
    found, findings_s = timed(lambda: bands.findings(frame))
    _, as_of_s = timed(lambda: as_of_bands(frame))
    return {"rows": rows, "bands": len(bands.bands), "fit_s": fit_s, "assess_s": assess_s,
            "assess_rows_per_s": rows / assess_s, "flagged": int(assessed["uv_below_band"].sum()),
            "findings": len(found), "findings_s": findings_s, "as_of_months_s": as_of_s}


def planted(rows: int) -> dict[str, Any]:
    """The synthetic frame with 2 % of rows declared at 15 to 50 % of their price and
    labelled: fit on the first 80 % by date, assess the rest."""
    rng = np.random.default_rng(SEED + 1)
    frame = synthetic(rows).with_columns(fraud=pl.Series(rng.random(rows) < 0.02))
    frame = frame.with_columns(pl.when("fraud").then(
        pl.col("uv") * pl.Series(rng.uniform(0.15, 0.5, rows))).otherwise("uv")).sort("date")
    cut = frame["date"][int(rows * 0.8)]
    out = ValueBands.fit(frame.filter(pl.col("date") < cut)).assess(
        frame.filter(pl.col("date") >= cut))
    flag, fraud = out["uv_below_band"].fill_null(False).to_numpy(), out["fraud"].to_numpy()
    hits = int((flag & fraud).sum())
    return {"rows": rows, "assessed": len(out), "share_flagged": float(flag.mean()),
            "precision": hits / max(int(flag.sum()), 1), "recall": hits / int(fraud.sum()),
            "random_precision": float(fraud.mean())}


def kcs() -> pl.DataFrame:
    frame = pl.concat([pl.read_csv(p, schema_overrides={"HS6 Code": pl.String,
                                                        "Office ID": pl.String})
                       for p in KCS])
    return unit_values(frame.select(
        pl.col("Date").str.to_date().alias("date"), pl.col("HS6 Code").alias("hs6"),
        pl.when(pl.col("Country of Origin") != "ZZ").then(pl.col("Country of Origin"))
        .alias("origin"),
        pl.col("Item Price").alias("value"), pl.col("Net Mass").alias("net_mass_kg"),
        (pl.col("Fraud") == 1).alias("fraud"), (pl.col("Critical Fraud") == 2).alias("critical"),
    ).sort("date"))


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    """Probability that a fraud ranks above a non-fraud (ties count half)."""
    ranks = pl.Series(score).rank("average").to_numpy()
    pos = label.sum()
    neg = len(label) - pos
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def separation(frame: pl.DataFrame) -> list[dict[str, Any]]:
    cut = frame["date"][int(len(frame) * 0.8)]
    history, test = frame.filter(pl.col("date") < cut), frame.filter(pl.col("date") >= cut)
    base_rate = float(test["fraud"].mean())  # type: ignore[arg-type]
    results = []
    for threshold in THRESHOLDS:
        variants = {
            "chronological": ValueBands.fit(history, threshold=threshold).assess(test),
            "as-of monthly": as_of_bands(frame, threshold=threshold).filter(
                pl.col("date") >= cut),
            "leaky (all rows)": ValueBands.fit(frame, threshold=threshold).assess(test),
        }
        for name, out in variants.items():
            flag = out["uv_below_band"].fill_null(False).to_numpy()
            fraud = out["fraud"].to_numpy()
            banded = out["uv_z"].is_not_null().to_numpy()
            hits = int((flag & fraud).sum())
            share = float(flag.mean())
            results.append({
                "bands": name, "threshold": threshold, "cut": cut.isoformat(),
                "history_rows": len(history), "assessed": len(out),
                "with_band": float(banded.mean()), "flagged": int(flag.sum()),
                "share_flagged": share, "precision": hits / max(int(flag.sum()), 1),
                "recall": hits / max(int(fraud.sum()), 1),
                "critical_recall": int((flag & out["critical"].to_numpy()).sum())
                / max(int(out["critical"].sum()), 1),
                "random_precision": base_rate, "random_recall": share,
                "auc_minus_z": _auc(-out["uv_z"].to_numpy()[banded], fraud[banded]),
            })
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    machine = (f"{platform.node()}: {_cpu_model()}, {psutil.cpu_count()} CPUs, "
               f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python "
               f"{platform.python_version()}, polars {pl.__version__}")
    print(f"# {machine}", file=sys.stderr)
    speed = throughput(args.rows)
    quality = separation(kcs())
    plant = planted(min(args.rows, 200_000))
    if args.json:
        for record in (speed, plant, *quality):
            print(json.dumps({"machine": machine} | record))
        return
    print(f"\nsynthetic {speed['rows']:,} rows, {speed['bands']:,} bands")
    print(f"  fit {speed['fit_s']:.2f} s | assess {speed['assess_s']:.2f} s = "
          f"{speed['assess_rows_per_s']:,.0f} rows/s | findings for {speed['findings']:,} "
          f"flagged rows {speed['findings_s']:.2f} s | as_of_bands by month "
          f"{speed['as_of_months_s']:.2f} s")
    print(f"\nplanted: {plant['rows']:,} synthetic rows, 2 % declared at 15-50 % of price; "
          f"last 20 % by date: flagged {plant['share_flagged']:.1%}, precision "
          f"{plant['precision']:.1%}, recall {plant['recall']:.1%} (random: precision "
          f"{plant['random_precision']:.1%}, recall {plant['share_flagged']:.1%})")
    q = quality[0]
    print(f"\nKCS: fit on {q['history_rows']:,} rows dated before {q['cut']}, "
          f"assess {q['assessed']:,}; fraud base rate {q['random_precision']:.1%}")
    print(f"{'bands':<17} {'z<':>4} {'banded':>7} {'flagged':>8} {'share':>6} {'prec':>6} "
          f"{'recall':>6} {'crit.rec':>8} {'random p/r':>12} {'AUC(-z)':>7}")
    for r in quality:
        print(f"{r['bands']:<17} {-r['threshold']:>4.1f} {r['with_band']:>7.1%} "
              f"{r['flagged']:>8,} {r['share_flagged']:>6.1%} {r['precision']:>6.1%} "
              f"{r['recall']:>6.1%} {r['critical_recall']:>8.1%} "
              f"{r['random_precision']:>5.1%}/{r['random_recall']:>5.1%} "
              f"{r['auc_minus_z']:>7.3f}")


if __name__ == "__main__":
    main()
