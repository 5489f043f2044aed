"""Validation micro-benchmark: µs per item row of the column-wise fast path
(``columnar.FastPath.prepare``) beside the exact row-by-row path
(``ingest.validate_csv_chunk``) on the same chunks of the bundled KCS sample, in this
process, garbage collector paused as the import pauses it. No database.

    .venv/bin/python benchmarks/validate_columnar.py              # 54,000 rows, 5,000 a chunk
    .venv/bin/python benchmarks/validate_columnar.py --repeat 5 --chunk 2000

Each pass starts from a freshly compiled fast path, as an import does. It also checks
that every declaration the fast path prepares is identical to the exact path's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [ROOT / "data/samples/kcs" / f"df_syn_{s}_eng.csv" for s in ("train", "valid", "test")]
TODAY = dt.date(2026, 11, 20)


def load_chunks(size: int) -> tuple[list[str], list[list[Any]]]:
    from smartcustoms.declarations import ingest, shipped_mapping
    from smartcustoms.declarations.mapping import CompiledMapping
    from smartcustoms.declarations.sources import csv_header_and_rows

    spec = shipped_mapping("kcs")
    chunks: list[list[Any]] = []
    header: list[str] = []
    for path in SAMPLES:  # chunked file by file, as imports are
        header, rows = csv_header_and_rows(path, delimiter=",", encoding="utf-8-sig")
        groups = ingest.group_csv_rows(rows, CompiledMapping(spec, header).key_index)
        chunks += ingest.chunked(groups, size)
    return header, chunks


def init_exact_path(header: list[str]) -> None:
    """Set up ingest's worker state in this process, as benchmarks/ingest.py does."""
    from smartcustoms.db import utcnow
    from smartcustoms.declarations import ingest, shipped_mapping

    job = ingest.ImportJob(run_id=1, file_sha256="-", today=TODAY, clock=utcnow,
                           spec=shipped_mapping("kcs"), header=header)
    ingest._init_worker(job)
    ingest._worker["fast"] = None  # the exact path alone: imports try the fast path first


def timed_pass(run: Callable[[Any], Any], chunks: list[list[Any]]) -> tuple[float, list[Any]]:
    from smartcustoms.declarations.ingest import gc_paused

    seconds, results = 0.0, []
    for chunk in chunks:
        with gc_paused():
            start = time.perf_counter()
            results.append(run(chunk))
            seconds += time.perf_counter() - start
    return seconds, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the file per path")
    parser.add_argument("--chunk", type=int, default=5000, help="groups per chunk")
    args = parser.parse_args()

    from smartcustoms.declarations import ingest, shipped_mapping
    from smartcustoms.declarations.columnar import FastPath

    header, chunks = load_chunks(args.chunk)
    rows = sum(len(g[1]) for chunk in chunks for g in chunk)
    spec = shipped_mapping("kcs")
    absent = frozenset(spec.absent)
    init_exact_path(header)

    exact_s, fast_s, compile_s = [], [], []
    exact_results: list[Any] = []
    fast_results: list[Any] = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        fast = FastPath.for_mapping(spec, header)
        compile_s.append(time.perf_counter() - start)
        assert fast is not None, "the shipped kcs mapping is expected to be supported"
        seconds, fast_results = timed_pass(
            partial(fast.prepare, today=TODAY, absent=absent), chunks)
        fast_s.append(seconds)
        seconds, exact_results = timed_pass(ingest.validate_csv_chunk, chunks)
        exact_s.append(seconds)

    accepted = sum(len(prepared) for prepared, _ in fast_results)
    declined = sum(len(left) for _, left in fast_results)
    mismatches = 0
    for (prepared, _), exact in zip(fast_results, exact_results, strict=True):
        by_line = {p.line: p for p in exact.good}  # a chunk holds lines of one file
        mismatches += sum(1 for p in prepared if by_line.get(p.line) != p)

    def per_row(seconds: list[float]) -> str:
        us = [s / rows * 1e6 for s in seconds]
        return f"best {min(us):6.2f}  mean {statistics.mean(us):6.2f} µs/row"

    print(f"python {platform.python_version()} on {platform.machine()} "
          f"({platform.processor() or platform.platform()}), {rows:,} rows, "
          f"chunks of {args.chunk:,}, {args.repeat} passes")
    print(f"exact path (validate_csv_chunk): {per_row(exact_s)}")
    print(f"fast path  (FastPath.prepare):   {per_row(fast_s)}   "
          f"(compiling the mapping: {min(compile_s) * 1e3:.1f} ms)")
    print(f"ratio: {min(exact_s) / min(fast_s):.1f}x faster (best), "
          f"{statistics.mean(exact_s) / statistics.mean(fast_s):.1f}x (mean)")
    print(f"fast path accepted {accepted:,}, declined {declined:,}; "
          f"identical to the exact path: {accepted - mismatches:,}, "
          f"different: {mismatches}")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
