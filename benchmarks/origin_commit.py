"""Certificates of origin: commit + sign throughput, disclosure verification, disclosure size.

For a certificate of ``--items`` goods items (default 10; every optional field filled,
so the leaf count is near its maximum for that size), measures:

1. ``commit`` (salts, leaf hashes, digest) + Ed25519 signature of the digest, and the
   whole issue path (``issue_statement`` + statement signature + canonical bytes),
   in certificates per second;
2. ``parse_disclosure`` + ``verify_disclosure`` time for three disclosures: nothing
   revealed, a typical customs subset (number, validity, countries, one item's HS code,
   quantity and origin criterion), and everything revealed;
3. the size of each disclosure as canonical JSON, and of the issue statement.

Fixed seed for the certificate and salts; the signing key is fixed too. Run:
``.venv/bin/python benchmarks/origin_commit.py [--items 10] [--rounds 300] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from pathlib import Path
from typing import Any

import cryptography
import pydantic
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcustoms.origin.commitments import (
    commit,
    disclose,
    disclosure_bytes,
    parse_disclosure,
    verify_disclosure,
)
from smartcustoms.origin.models import Certificate
from smartcustoms.origin.signing import sign_digest
from smartcustoms.origin.statements import canonical_bytes, issue_statement, sign_statement

SEED = 20261120
TYPICAL = [
    "number",
    "certificate_type",
    "agreement",
    "exporting_country",
    "importing_country",
    "validity",
    "goods_items[0].hs_code",
    "goods_items[0].quantity",
    "goods_items[0].origin_criterion",
]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def certificate(items: int) -> Certificate:
    party = {
        "address": {
            "street": "1 Keji Road",
            "city": "Shenzhen",
            "postcode": "518000",
            "country": "CN",
        },
        "country": "CN",
        "identifier": "CN4403123456",
    }
    return Certificate.model_validate(
        {
            "number": "RCEP-CN-2026-000123",
            "certificate_type": "preferential",
            "agreement": "RCEP",
            "issuing_authority": {**party, "name": "CCPIT Shenzhen"},
            "exporter": {**party, "name": "Shenzhen Example Electronics Co."},
            "producer": {**party, "name": "Dongguan Example Factory"},
            "consignee": {"name": "Seoul Import Trading Ltd", "country": "KR", "identifier": "KR1"},
            "exporting_country": "CN",
            "importing_country": "KR",
            "transport": {
                "mode": "1",
                "means_identifier": "IMO9321483",
                "departure_date": "2026-11-02",
                "port_of_loading": "CNSZX",
                "port_of_discharge": "KRPUS",
                "transit_countries": ["HK"],
            },
            "goods_items": [
                {
                    "sequence": i + 1,
                    "description": f"Smartphone model {i}, 128 GB, black",
                    "hs_code": "851713",
                    "quantity": {"value": str(100 + i), "unit": "H87"},
                    "gross_mass_kg": f"{12 + i}.5",
                    "packages": 4 + i,
                    "marks_and_numbers": f"SEL-{i:04d}",
                    "invoice": {"number": f"INV-2026-{i:05d}", "date": "2026-10-30"},
                    "origin_country": "CN",
                    "origin_criterion": "CTC",
                }
                for i in range(items)
            ],
            "validity": {"issue_date": "2026-11-01", "valid_until": "2027-10-31"},
            "remarks": "Issued under RCEP Article 3.17.",
        }
    )


def _per_second(fn: Any, rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1 / statistics.median(times), statistics.median(times) * 1e3


def run(items: int, rounds: int) -> dict[str, Any]:
    rng = random.Random(SEED)
    cert = certificate(items)
    key = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
    committed = commit(cert, rng=rng.randbytes)

    def commit_and_sign() -> None:
        c = commit(cert, rng=rng.randbytes)
        sign_digest(key, c.digest)

    def full_issue() -> None:
        c = commit(cert, rng=rng.randbytes)
        canonical_bytes(
            sign_statement(issue_statement(c, issuer_id="CCPIT-SZ", private_key=key), key)
        )

    out: dict[str, Any] = {
        "items": items,
        "leaves": len(committed.leaves),
        "commit_sign_per_s": None,
        "issue_statement_per_s": None,
        "disclosures": {},
    }
    out["commit_sign_per_s"], out["commit_sign_ms"] = _per_second(commit_and_sign, rounds)
    out["issue_statement_per_s"], out["issue_statement_ms"] = _per_second(full_issue, rounds)
    statement = sign_statement(
        issue_statement(committed, issuer_id="CCPIT-SZ", private_key=key), key
    )
    out["signed_issue_statement_bytes"] = len(canonical_bytes(statement))
    for name, paths in (
        ("none", []),
        ("typical", TYPICAL),
        ("all", [leaf.path for leaf in committed.leaves]),
    ):
        raw = disclosure_bytes(disclose(committed, paths))

        def verify(raw: bytes = raw) -> None:
            assert verify_disclosure(parse_disclosure(raw)) == committed.digest

        per_s, ms = _per_second(verify, rounds)
        out["disclosures"][name] = {"bytes": len(raw), "verify_ms": ms, "verify_per_s": per_s}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.items, args.rounds)
    result["machine"] = {
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "cryptography": cryptography.__version__,
        "pydantic": pydantic.__version__,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['machine']}")
    print(f"certificate: {result['items']} goods items, {result['leaves']} leaves")
    print(
        f"commit + sign:            {result['commit_sign_per_s']:8.0f} /s "
        f"({result['commit_sign_ms']:.2f} ms)"
    )
    print(
        f"issue statement, signed:  {result['issue_statement_per_s']:8.0f} /s "
        f"({result['issue_statement_ms']:.2f} ms); "
        f"{result['signed_issue_statement_bytes']} bytes"
    )
    for name, d in result["disclosures"].items():
        print(
            f"disclosure {name:8s} {d['bytes']:7d} bytes; parse + verify "
            f"{d['verify_ms']:.2f} ms ({d['verify_per_s']:.0f} /s)"
        )


if __name__ == "__main__":
    main()
