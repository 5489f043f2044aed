"""E-invoice reading benchmark: field accuracy and time per invoice, CII, UBL and Factur-X.

Generates ``--count`` invoices from a fixed seed in each form (bare CII XML, UBL 2.1 XML,
a Factur-X PDF carrying the CII as ``factur-x.xml``), reads each with ``read_einvoice`` and
compares every field with the ground truth (what the form can carry). Prints accuracy,
problems and time per invoice (p50 / p95 / max) per form, with the machine and library
versions. With ``--printed`` it also reads the Factur-X PDFs' printed text with
``read_document`` (the digital-PDF reader) against the printed invoice's truth, for
comparison. Timings are wall-clock on one thread, after a warm-up read.

    .venv/bin/python benchmarks/einvoices.py                  # 100 invoices per form
    .venv/bin/python benchmarks/einvoices.py --count 300 --seed 7 --printed
    .venv/bin/python benchmarks/einvoices.py --count 20 --lines 999   # long invoices
    .venv/bin/python benchmarks/einvoices.py --json out.json  # also write the figures
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import defaultdict
from importlib.metadata import version

from _stats import percentile  # benchmarks/ is on the path when run as a script

from smartcustoms.documents.evaluate import FieldOutcome, compare_documents
from smartcustoms.documents.extract.einvoice import read_einvoice
from smartcustoms.documents.generate import EINVOICE_FORMS, generate_case, generate_einvoice

TARGET_ACCURACY = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="invoices per form")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--printed", action="store_true",
                        help="also read the Factur-X PDFs' printed text with read_document")
    parser.add_argument("--lines", type=int, default=None,
                        help="lines per invoice (default: 1-12, as generate_case draws)")
    parser.add_argument("--json", help="write the figures to this file as well")
    args = parser.parse_args(argv)

    # Warm-up outside the timings: the first reads import defusedxml and pypdfium2.
    for form in EINVOICE_FORMS:
        read_einvoice(generate_einvoice(-1, form).data)
    outcomes: dict[str, list[FieldOutcome]] = defaultdict(list)
    seconds: dict[str, list[float]] = defaultdict(list)
    problems: dict[str, int] = defaultdict(int)
    sizes: dict[str, list[int]] = defaultdict(list)
    lines: dict[str, int] = defaultdict(int)
    generate_seconds = 0.0
    started = time.perf_counter()
    for index in range(args.count):
        seed = args.seed * 100_003 + index
        for form in EINVOICE_FORMS:
            t0 = time.perf_counter()
            generated = generate_einvoice(seed, form, line_count=args.lines)
            generate_seconds += time.perf_counter() - t0
            t0 = time.perf_counter()
            reading = read_einvoice(generated.data)
            seconds[form].append(time.perf_counter() - t0)
            sizes[form].append(len(generated.data))
            lines[form] += len(generated.truth.lines)
            problems[form] += len(reading.problems)
            outcomes[form] += compare_documents(generated.truth, reading.document)
            if form == "factur-x" and args.printed:
                _read_printed(seed, args.lines, generated.data, outcomes, seconds)
                sizes["factur-x printed"].append(len(generated.data))
                lines["factur-x printed"] += len(generated.truth.lines)
    total_seconds = time.perf_counter() - started

    print(f"# e-invoice benchmark: {args.count} invoices per form, seed {args.seed}, "
          f"lines {args.lines or '1-12'}")
    print(f"# {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"python {platform.python_version()} | defusedxml {version('defusedxml')} | "
          f"pypdfium2 {version('pypdfium2')} | fpdf2 {version('fpdf2')} | "
          f"pydantic {version('pydantic')}")
    print()
    header = (f"{'form':<22}{'docs':>6}{'lines':>7}{'KiB p50':>9}{'fields':>8}{'correct':>9}"
              f"{'accuracy':>10}{'problems':>9}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    print(header)
    print("-" * len(header))
    summary = {}
    kinds = [*EINVOICE_FORMS, *(["factur-x printed"] if args.printed else [])]
    for kind in kinds:
        items, times = outcomes[kind], seconds[kind]
        correct = sum(o.correct for o in items)
        row = {
            "documents": len(times), "lines": lines.get(kind, 0), "fields": len(items),
            "correct": correct, "accuracy": correct / len(items) if items else 1.0,
            "problems": problems.get(kind, 0),
            "size_p50_kib": percentile([s / 1024 for s in sizes[kind]], 0.5),
            "p50_ms": percentile(times, 0.5) * 1000, "p95_ms": percentile(times, 0.95) * 1000,
            "max_ms": max(times, default=0.0) * 1000,
        }
        summary[kind] = row
        print(f"{kind:<22}{row['documents']:>6}{row['lines']:>7}{row['size_p50_kib']:>9.1f}"
              f"{row['fields']:>8}{row['correct']:>9}{row['accuracy']:>10.2%}"
              f"{row['problems']:>9}{row['p50_ms']:>8.2f}{row['p95_ms']:>8.2f}"
              f"{row['max_ms']:>8.2f}")
    print(f"\ngeneration {generate_seconds:.1f} s, whole run {total_seconds:.1f} s")
    wrong = [(kind, o) for kind in kinds for o in outcomes[kind] if not o.correct]
    for kind, outcome in wrong[:10]:
        print(f"  {kind} {outcome.path}: truth {outcome.truth!r}, read {outcome.read!r}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"count": args.count, "seed": args.seed, "by_form": summary}, handle,
                      indent=2)
    xml_rows = [summary[form] for form in EINVOICE_FORMS]
    return 0 if all(row["accuracy"] >= TARGET_ACCURACY for row in xml_rows) else 1


def _read_printed(seed: int, line_count: int | None, pdf: bytes,
                  outcomes: dict[str, list[FieldOutcome]],
                  seconds: dict[str, list[float]]) -> None:
    from smartcustoms.documents.extract import read_document

    case = generate_case(seed, line_count=line_count)  # the same shipment and style
    truth = case.document("commercial_invoice").truth
    t0 = time.perf_counter()
    reading = read_document(pdf)
    seconds["factur-x printed"].append(time.perf_counter() - t0)
    outcomes["factur-x printed"] += compare_documents(truth, reading.document)


if __name__ == "__main__":
    sys.exit(main())
