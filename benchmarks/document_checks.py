"""Document cross-check benchmark: recall of injected inconsistencies, false findings on
clean pairs, and time per case.

For every inconsistency kind the corpus generator can inject, ``--cases`` shipments from a
fixed seed with that one inconsistency; plus ``--cases`` clean shipments. Each case is
checked twice: on the documents as read from their digital PDFs (``read_document``), and
on their ground truth (no reading), which separates the checker's errors from the
reader's. An injected inconsistency is found when a finding of severity low or above has
one of the kind's codes and names one of the changed declaration fields (or one of the
document fields stating the true value). A clean case is a false alarm when any finding
of severity low or above comes up. Times: the check alone, and read + check (the three
PDFs), wall-clock on one thread after a warm-up.

    .venv/bin/python benchmarks/document_checks.py                  # 20 cases per kind
    .venv/bin/python benchmarks/document_checks.py --cases 50 --seed 7
    .venv/bin/python benchmarks/document_checks.py --classifier lexical   # HS vs description
    .venv/bin/python benchmarks/document_checks.py --json out.json

``--classifier lexical`` fits the tariff model on the shipped rulings (about 25 s on two
cores); ``semantic`` adds the sentence encoder (about 4 minutes). ``--model-cache PATH``
keeps the fitted model (pickle, our own file) for the next run.
"""

from __future__ import annotations

import argparse
import json
import pickle
import platform
import re
import sys
import time
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from importlib.metadata import version
from pathlib import Path
from typing import Any

from _stats import percentile  # benchmarks/ is on the path when run as a script

from smartcustoms.documents.checks import DEFAULT_TOLERANCE, Finding, Severity, cross_check
from smartcustoms.documents.extract import read_document
from smartcustoms.documents.generate import Inconsistency, InconsistencyKind, generate_case

TARGET_RECALL = 0.95
TARGET_FALSE_SHARE = 0.02

# The finding codes that report each injected kind.
EXPECTED: dict[InconsistencyKind, frozenset[str]] = {
    InconsistencyKind.total_changed: frozenset({"invoice-total-mismatch",
                                                "item-price-mismatch"}),
    InconsistencyKind.currency_changed: frozenset({"currency-mismatch"}),
    InconsistencyKind.quantity_changed: frozenset({"quantity-mismatch"}),
    InconsistencyKind.net_mass_changed: frozenset({"net-mass-mismatch"}),
    InconsistencyKind.gross_mass_changed: frozenset({"gross-mass-mismatch"}),
    InconsistencyKind.package_count_changed: frozenset({"packages-mismatch"}),
    InconsistencyKind.party_name_changed: frozenset({"party-mismatch"}),
    InconsistencyKind.incoterm_freight_inconsistent: frozenset({
        "incoterm-mismatch", "freight-inconsistent-with-incoterm", "freight-mismatch"}),
    InconsistencyKind.invoice_date_after_declaration: frozenset({"invoice-after-declaration"}),
    InconsistencyKind.container_number_typo: frozenset({"container-mismatch"}),
    InconsistencyKind.seal_mismatch: frozenset({"seal-mismatch"}),
    InconsistencyKind.hs_code_unrelated_chapter: frozenset({"hs-code-mismatch",
                                                            "hs-description-misfit"}),
}
# Codes that follow from the injected change itself (all documents are dated after a
# declaration moved back; leaving out freight leaves out the insurance with it): neither a
# detection nor a finding about something else.
CONSEQUENT: dict[InconsistencyKind, frozenset[str]] = {
    InconsistencyKind.invoice_date_after_declaration: frozenset({
        "document-after-declaration"}),
    InconsistencyKind.incoterm_freight_inconsistent: frozenset({
        "insurance-mismatch", "insurance-inconsistent-with-incoterm"}),
}
_INDEX = re.compile(r"\[\d+\]")


def _same_path(found: str, injected: str) -> bool:
    """Equal, one inside the other (``items[0].quantity`` / ``items[0].quantity.value``), or
    equal with ``[*]`` standing for any index."""
    if found == injected or injected.startswith((found + ".", found + "[")) or (
            found.startswith((injected + ".", injected + "["))):
        return True
    return "[*]" in found and _INDEX.sub("[*]", injected).startswith(found)


def detects(finding: Finding, inconsistency: Inconsistency) -> bool:
    if finding.code not in EXPECTED[inconsistency.kind]:
        return False
    if not finding.severity.at_least(Severity.low):
        return False
    if finding.declared is not None and any(
            _same_path(finding.declared.path, p) for p in inconsistency.declaration_paths):
        return True
    if finding.document is not None:
        path = f"{finding.document.document_type.value}.{finding.document.path}"
        return any(_same_path(path, p) for p in inconsistency.document_paths)
    return False


def within_tolerance(inconsistency: Inconsistency) -> str:
    """A note when an injected mass change is smaller than the documented tolerance."""
    if inconsistency.kind not in (InconsistencyKind.net_mass_changed,
                                  InconsistencyKind.gross_mass_changed):
        return ""
    try:
        declared, documented = Decimal(inconsistency.declared), Decimal(inconsistency.documented)
    except InvalidOperation:
        return ""
    if abs(declared - documented) <= DEFAULT_TOLERANCE.mass_allowed(documented):
        return f" (within the tolerance {DEFAULT_TOLERANCE.mass_text()}: not a finding)"
    return ""


def load_classifier(kind: str, cache: str | None) -> Any:
    if kind == "none":
        return None
    from smartcustoms.tariff.classifier import Classifier
    from smartcustoms.tariff.corpus import code_texts, shipped_precedents, with_series_groups
    from smartcustoms.tariff.model import TariffModel
    from smartcustoms.tariff.service import default_encoder

    encoder = default_encoder(2) if kind == "semantic" else None
    if kind == "semantic" and encoder is None:
        raise SystemExit("the semantic encoder is not installed (data/tariff/minilm)")
    path = Path(cache) if cache else None
    if path is not None and path.exists():
        model = pickle.loads(path.read_bytes())  # our own cache file
    else:
        started = time.perf_counter()
        model = TariffModel().fit(with_series_groups(shipped_precedents()), code_texts(),
                                  encoder=encoder)
        print(f"# tariff model ({kind}) fitted in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        if path is not None:
            model.encoder = None
            path.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    model.encoder = default_encoder(1) if kind == "semantic" else None
    return Classifier(model)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20, help="cases per kind, and clean")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--classifier", choices=("none", "lexical", "semantic"),
                        default="none", help="tariff classifier for HS vs description")
    parser.add_argument("--model-cache", help="pickle of the fitted tariff model to reuse")
    parser.add_argument("--json", help="write the figures to this file as well")
    parser.add_argument("--show", type=int, default=8,
                        help="print up to this many misses and false alarms")
    args = parser.parse_args(argv)
    classifier = load_classifier(args.classifier, args.model_cache)

    warm = generate_case(-1)
    cross_check(warm.declaration, [read_document(d.pdf) for d in warm.documents],
                classifier=classifier)
    kinds: list[InconsistencyKind | None] = [*InconsistencyKind, None]
    rows: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    started = time.perf_counter()
    for k, kind in enumerate(kinds):
        name = kind.value if kind is not None else "clean"
        hits = {"read": 0, "truth": 0}
        alarms = {"read": 0, "truth": 0}  # clean: any >= low; injected: another code >= low
        check_ms: list[float] = []
        total_ms: list[float] = []
        cases = 0
        for i in range(args.cases):
            seed = args.seed * 1_000_003 + k * 10_007 + i
            case = generate_case(seed, inconsistencies=[kind] if kind is not None else [])
            cases += 1
            t0 = time.perf_counter()
            readings = [read_document(d.pdf) for d in case.documents]
            t1 = time.perf_counter()
            on_read = cross_check(case.declaration, readings, classifier=classifier)
            t2 = time.perf_counter()
            check_ms.append((t2 - t1) * 1000)
            total_ms.append((t2 - t0) * 1000)
            on_truth = cross_check(case.declaration, [d.truth for d in case.documents],
                                   classifier=classifier)
            for source, findings in (("read", on_read), ("truth", on_truth)):
                serious = [f for f in findings if f.severity.at_least(Severity.low)]
                if kind is None:
                    if serious:
                        alarms[source] += 1
                        notes.append(f"false alarm ({source}) seed {seed}: "
                                     + "; ".join(f"{f.code} {f.message}" for f in serious[:2]))
                    continue
                injected = case.inconsistencies[0]
                if any(detects(f, injected) for f in findings):
                    hits[source] += 1
                else:
                    notes.append(f"missed ({source}) {name} seed {seed}: declared "
                                 f"{injected.declared!r}, documents {injected.documented!r}"
                                 f"{within_tolerance(injected)}")
                related = EXPECTED[kind] | CONSEQUENT.get(kind, frozenset())
                other = [f for f in serious if f.code not in related]
                if other:
                    alarms[source] += 1
                    notes.append(f"other finding ({source}) {name} seed {seed}: "
                                 + "; ".join(f"{f.code} {f.message}" for f in other[:2]))
        rows[name] = {
            "cases": cases,
            "recall_read": hits["read"] / cases if kind is not None else None,
            "recall_truth": hits["truth"] / cases if kind is not None else None,
            "alarms_read": alarms["read"] / cases, "alarms_truth": alarms["truth"] / cases,
            "check_ms_p50": percentile(check_ms, 0.5), "check_ms_p95": percentile(check_ms, 0.95),
            "read_check_ms_p50": percentile(total_ms, 0.5),
            "read_check_ms_p95": percentile(total_ms, 0.95),
        }
    whole = time.perf_counter() - started

    print(f"# document cross-checks: {args.cases} cases per kind + {args.cases} clean, seed "
          f"{args.seed}, classifier {args.classifier}")
    print(f"# {platform.platform()} | {platform.processor() or platform.machine()} | python "
          f"{platform.python_version()} | pdfplumber {version('pdfplumber')} | rapidfuzz "
          f"{version('rapidfuzz')} | rigour {version('rigour')}")
    print("# recall: injected kind found (code + field, severity >= low); other: share of "
          "cases with a finding >= low of an unrelated code (clean: any finding >= low)")
    header = (f"{'kind':<32}{'cases':>6}{'recall read':>13}{'recall truth':>14}"
              f"{'other read':>12}{'other truth':>13}{'check ms p50/p95':>18}"
              f"{'read+check ms p50/p95':>23}")
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        recall_read = "-" if row["recall_read"] is None else f"{row['recall_read']:.1%}"
        recall_truth = "-" if row["recall_truth"] is None else f"{row['recall_truth']:.1%}"
        print(f"{name:<32}{row['cases']:>6}{recall_read:>13}{recall_truth:>14}"
              f"{row['alarms_read']:>12.1%}{row['alarms_truth']:>13.1%}"
              f"{row['check_ms_p50']:>10.1f}/{row['check_ms_p95']:<7.1f}"
              f"{row['read_check_ms_p50']:>14.0f}/{row['read_check_ms_p95']:<8.0f}")
    injected = [r for n, r in rows.items() if n != "clean"]
    overall = {s: sum(r[f"recall_{s}"] for r in injected) / len(injected)
               for s in ("read", "truth")}
    clean = rows["clean"]
    print("-" * len(header))
    print(f"{'all injected kinds (mean)':<32}{sum(r['cases'] for r in injected):>6}"
          f"{overall['read']:>13.1%}{overall['truth']:>14.1%}")
    print(f"targets: recall >= {TARGET_RECALL:.0%} per kind, false findings on clean pairs < "
          f"{TARGET_FALSE_SHARE:.0%}; whole run {whole:.0f} s")
    for note in notes[:args.show]:
        print("  " + note)
    if len(notes) > args.show:
        print(f"  ... {len(notes) - args.show} more")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "cases": args.cases, "seed": args.seed, "classifier": args.classifier,
            "rows": rows, "mean_recall": overall}, indent=2), encoding="utf-8")
    below: defaultdict[str, list[str]] = defaultdict(list)
    for name, row in rows.items():
        if row["recall_read"] is not None and row["recall_read"] < TARGET_RECALL:
            below["recall"].append(name)
    ok = not below and clean["alarms_read"] < TARGET_FALSE_SHARE
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
