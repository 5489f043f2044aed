"""Trade-document reading benchmark: field accuracy and time per document on digital PDFs.

Generates ``--cases`` shipments from a fixed seed (each: a commercial invoice, a packing
list and a bill of lading; a share of the invoices run to three pages), reads every PDF with
``read_document`` and compares each field with the ground truth (text after normalisation,
numbers as Decimals). Prints accuracy per document type and per field, and time per
document (p50 / p95 / max, and for the multi-page invoices apart), with the machine and
library versions. Timings are wall-clock on one thread, after a warm-up read.

    .venv/bin/python benchmarks/documents.py                 # 60 cases per document type
    .venv/bin/python benchmarks/documents.py --cases 200 --seed 7
    .venv/bin/python benchmarks/documents.py --json out.json # also write the figures

``--scanned`` reads scanned-looking copies instead (``scan_document``: image-only PDFs at
150 dpi, turned up to 1 degree, blurred, noisy, JPEG) through Tesseract OCR, and prints
field accuracy per document type and per field, seconds per page (wall clock, and the CPU
time of the whole reading: Tesseract runs in this process, on one thread, its engines
loaded by the first page) and the Tesseract version. Its cases use their own seed
(default 4242), apart from the seeds the OCR settings were developed on.

    .venv/bin/python benchmarks/documents.py --scanned --cases 20
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import defaultdict
from importlib.metadata import version

from _stats import percentile  # benchmarks/ is on the path when run as a script

from smartcustoms.documents.errors import DocumentError
from smartcustoms.documents.evaluate import FieldOutcome, compare_documents
from smartcustoms.documents.extract import read_document
from smartcustoms.documents.generate import DOCUMENT_TYPES, generate_case

TARGET_ACCURACY = 0.98
TARGET_SECONDS_3_PAGES = 1.0
TARGET_SCANNED_ACCURACY = 0.90
TARGET_SECONDS_PER_SCANNED_PAGE = 5.0
SCANNED_SEED = 4242



def _print_per_field(outcomes: dict[str, list[FieldOutcome]], *, missed: bool
                     ) -> dict[tuple[str, str], list[FieldOutcome]]:
    """Print the accuracy per document type and field, lowest first (``missed``: with the
    count of values not read at all, for scans); returns the outcomes by field."""
    print("\nper field (lowest accuracy first; lines[] pools every line)")
    by_field: dict[tuple[str, str], list[FieldOutcome]] = defaultdict(list)
    for kind in DOCUMENT_TYPES:
        for outcome in outcomes[kind]:
            by_field[(kind, outcome.field)].append(outcome)
    ranked = sorted(by_field.items(), key=lambda item: (
        sum(o.correct for o in item[1]) / len(item[1]), item[0]))
    print(f"{'document type':<20}{'field':<30}{'n':>6}{'accuracy':>10}"
          + (f"{'missed':>8}" if missed else ""))
    for (kind, name), items in ranked:
        share = sum(o.correct for o in items) / len(items)
        print(f"{kind:<20}{name:<30}{len(items):>6}{share:>10.2%}"
              + (f"{sum(o.missed for o in items):>8}" if missed else ""))
    return by_field

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60, help="shipments (= documents per type)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--multipage-share", type=float, default=0.15,
                        help="share of cases whose invoice runs to about three pages")
    parser.add_argument("--json", help="write the figures to this file as well")
    parser.add_argument("--show-errors", type=int, default=10,
                        help="print up to this many wrong fields")
    parser.add_argument("--scanned", action="store_true",
                        help="read scanned copies through OCR (default 20 cases, seed 4242)")
    args = parser.parse_args(argv)
    if args.scanned:
        return scanned(args, argv or sys.argv[1:])

    # Warm-up outside the timings: the first read imports pdfplumber and pdfminer.
    read_document(generate_case(-1).documents[0].pdf)
    outcomes: dict[str, list[FieldOutcome]] = defaultdict(list)
    seconds: dict[str, list[float]] = defaultdict(list)
    errors: list[tuple[int, str, FieldOutcome]] = []
    started = time.perf_counter()
    generate_seconds = 0.0
    for index in range(args.cases):
        multipage = (index * 7919) % 100 < args.multipage_share * 100
        t0 = time.perf_counter()
        case = generate_case(args.seed * 100_003 + index, multipage=multipage)
        generate_seconds += time.perf_counter() - t0
        for document in case.documents:
            t0 = time.perf_counter()
            reading = read_document(document.pdf)
            elapsed = time.perf_counter() - t0
            kind = document.document_type
            pages = reading.page_count
            seconds[kind].append(elapsed)
            if kind == "commercial_invoice" and pages >= 3:
                seconds["invoice_3_pages"].append(elapsed)
            for outcome in compare_documents(document.truth, reading.document):
                outcomes[kind].append(outcome)
                if not outcome.correct:
                    errors.append((case.seed, kind, outcome))
    total_seconds = time.perf_counter() - started

    print(f"# documents benchmark: {args.cases} cases x 3 document types, seed {args.seed}, "
          f"multipage share {args.multipage_share}")
    print(f"# {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"python {platform.python_version()} | pdfplumber {version('pdfplumber')} | "
          f"pdfminer.six {version('pdfminer.six')} | fpdf2 {version('fpdf2')}")
    print()
    header = f"{'document type':<22}{'docs':>6}{'fields':>8}{'correct':>9}{'accuracy':>10}" \
             f"{'missed':>8}{'spurious':>9}{'p50 s':>8}{'p95 s':>8}{'max s':>8}"
    print(header)
    print("-" * len(header))
    summary: dict[str, dict[str, float]] = {}
    every: list[FieldOutcome] = []
    for kind in DOCUMENT_TYPES:
        items = outcomes[kind]
        every += items
        correct = sum(o.correct for o in items)
        times = seconds[kind]
        row = {
            "documents": len(times), "fields": len(items), "correct": correct,
            "accuracy": correct / len(items) if items else 1.0,
            "missed": sum(o.missed for o in items), "spurious": sum(o.spurious for o in items),
            "p50_s": percentile(times, 0.5), "p95_s": percentile(times, 0.95),
            "max_s": max(times, default=0.0),
        }
        summary[kind] = row
        print(f"{kind:<22}{row['documents']:>6}{row['fields']:>8}{row['correct']:>9}"
              f"{row['accuracy']:>10.2%}{row['missed']:>8}{row['spurious']:>9}"
              f"{row['p50_s']:>8.3f}{row['p95_s']:>8.3f}{row['max_s']:>8.3f}")
    overall = sum(o.correct for o in every) / len(every) if every else 1.0
    print("-" * len(header))
    print(f"{'all':<22}{sum(len(seconds[k]) for k in DOCUMENT_TYPES):>6}{len(every):>8}"
          f"{sum(o.correct for o in every):>9}{overall:>10.2%}")
    three = seconds["invoice_3_pages"]
    if three:
        print(f"\n3-page invoices: {len(three)} read, p50 {percentile(three, 0.5):.3f} s, "
              f"p95 {percentile(three, 0.95):.3f} s, max {max(three):.3f} s "
              f"(target < {TARGET_SECONDS_3_PAGES:.0f} s)")
    print(f"generation {generate_seconds:.1f} s, whole run {total_seconds:.1f} s")

    by_field = _print_per_field(outcomes, missed=False)
    if errors and args.show_errors:
        print(f"\nfirst {min(len(errors), args.show_errors)} of {len(errors)} wrong fields:")
        for seed, kind, outcome in errors[:args.show_errors]:
            print(f"  seed {seed} {kind} {outcome.path}: truth {outcome.truth!r}, "
                  f"read {outcome.read!r}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"cases": args.cases, "seed": args.seed, "overall_accuracy": overall,
                       "by_type": summary,
                       "invoice_3_pages_p95_s": percentile(three, 0.95) if three else None,
                       "by_field": {f"{k}:{n}": sum(o.correct for o in v) / len(v)
                                    for (k, n), v in by_field.items()}},
                      handle, indent=2)
    ok = overall >= TARGET_ACCURACY and (not three or
                                          percentile(three, 0.95) < TARGET_SECONDS_3_PAGES)
    return 0 if ok else 1


def scanned(args: argparse.Namespace, argv: list[str]) -> int:
    """Field accuracy and seconds per page on scanned copies, read through OCR."""
    from smartcustoms.documents.extract.ocr import LANGUAGES, PSM, tesseract_version
    from smartcustoms.documents.generate import scan_document

    cases = args.cases if "--cases" in argv else 20
    seed = args.seed if "--seed" in argv else SCANNED_SEED
    outcomes: dict[str, list[FieldOutcome]] = defaultdict(list)
    wall: list[float] = []
    cpu: list[float] = []
    unsure = 0
    failed: list[str] = []
    errors: list[tuple[int, str, str, FieldOutcome]] = []
    started = time.perf_counter()
    load_before = os.getloadavg()
    for index in range(cases):
        multipage = (index * 7919) % 100 < args.multipage_share * 100
        case = generate_case(seed * 100_003 + index, multipage=multipage)
        for document in case.documents:
            scan = scan_document(document.pdf, seed=case.seed)
            t0, c0 = time.perf_counter(), time.process_time()
            kind = document.document_type
            style = f"{document.style.layout}/{document.style.language}/{document.style.font}"
            try:
                reading = read_document(scan.pdf)
            except DocumentError as exc:  # e.g. no title read: every field counts as missed
                failed.append(f"seed {case.seed} {kind} ({style}): {type(exc).__name__}")
                pages = len(scan.pages_png)
                read = type(document.truth)()
            else:
                pages = reading.page_count
                read = reading.document
                unsure += sum(p.message.startswith("OCR read this value")
                              for p in reading.problems)
            wall.append((time.perf_counter() - t0) / pages)
            cpu.append((time.process_time() - c0) / pages)
            for outcome in compare_documents(document.truth, read):
                outcomes[kind].append(outcome)
                if not outcome.correct:
                    errors.append((case.seed, kind, style, outcome))
    total_seconds = time.perf_counter() - started
    load_after = os.getloadavg()

    print(f"# scanned documents benchmark: {cases} cases x 3 document types, seed {seed}, "
          f"multipage share {args.multipage_share}, scans at 150 dpi")
    print(f"# {platform.platform()} | {platform.processor() or platform.machine()} | "
          f"{os.cpu_count()} CPUs | load {load_before[0]:.2f} before, {load_after[0]:.2f} "
          f"after | python {platform.python_version()}")
    print(f"# tesseract {tesseract_version()} in process (tesserocr {version('tesserocr')}; "
          f"{LANGUAGES}, psm {PSM}) | pypdfium2 {version('pypdfium2')}")
    print()
    header = f"{'document type':<22}{'fields':>8}{'correct':>9}{'accuracy':>10}" \
             f"{'missed':>8}{'spurious':>9}{'wrong':>7}"
    print(header)
    print("-" * len(header))
    summary: dict[str, dict[str, float]] = {}
    every: list[FieldOutcome] = []
    for kind in DOCUMENT_TYPES:
        items = outcomes[kind]
        every += items
        correct = sum(o.correct for o in items)
        missed = sum(o.missed for o in items)
        spurious = sum(o.spurious for o in items)
        summary[kind] = {"fields": len(items), "correct": correct,
                         "accuracy": correct / len(items) if items else 1.0,
                         "missed": missed, "spurious": spurious,
                         "wrong": len(items) - correct - missed - spurious}
        row = summary[kind]
        print(f"{kind:<22}{len(items):>8}{correct:>9}{row['accuracy']:>10.2%}{missed:>8}"
              f"{spurious:>9}{row['wrong']:>7}")
    overall = sum(o.correct for o in every) / len(every) if every else 1.0
    print("-" * len(header))
    print(f"{'all':<22}{len(every):>8}{sum(o.correct for o in every):>9}{overall:>10.2%}")
    print(f"(values OCR was unsure of and left out for review: {unsure}; documents not read "
          f"at all, every field counted as missed: {len(failed)})")
    for line in failed:
        print(f"  not read: {line}")
    header_fields = [o for o in every if not o.path.startswith(("lines[", "lines"))]
    if header_fields:
        print(f"fields outside the line tables: {len(header_fields)}, accuracy "
              f"{sum(o.correct for o in header_fields) / len(header_fields):.2%}")
    print(f"\nseconds per page over {len(wall)} documents: wall p50 {percentile(wall, 0.5):.2f}, "
          f"p95 {percentile(wall, 0.95):.2f}, max {max(wall, default=0):.2f} | CPU "
          f"p50 {percentile(cpu, 0.5):.2f}, p95 {percentile(cpu, 0.95):.2f}, "
          f"max {max(cpu, default=0):.2f} (target < {TARGET_SECONDS_PER_SCANNED_PAGE:.0f} s)")
    print(f"whole run {total_seconds:.1f} s (with generating and scanning)")

    by_field = _print_per_field(outcomes, missed=True)
    if errors and args.show_errors:
        print(f"\nfirst {min(len(errors), args.show_errors)} of {len(errors)} wrong fields:")
        for case_seed, kind, style, outcome in errors[:args.show_errors]:
            print(f"  seed {case_seed} {kind} ({style}) {outcome.path}: truth "
                  f"{outcome.truth!r}, read {outcome.read!r}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"mode": "scanned", "cases": cases, "seed": seed,
                       "overall_accuracy": overall, "by_type": summary,
                       "seconds_per_page": {"wall_p50": percentile(wall, 0.5),
                                            "wall_p95": percentile(wall, 0.95),
                                            "cpu_p50": percentile(cpu, 0.5),
                                            "cpu_p95": percentile(cpu, 0.95)},
                       "by_field": {f"{k}:{n}": sum(o.correct for o in v) / len(v)
                                    for (k, n), v in by_field.items()}},
                      handle, indent=2)
    ok = overall >= TARGET_SCANNED_ACCURACY and percentile(
        cpu, 0.95) < TARGET_SECONDS_PER_SCANNED_PAGE
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
