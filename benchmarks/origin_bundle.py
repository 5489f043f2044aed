"""Proof-bundle benchmark: bundle sizes, offline and online verification times.

Builds a certificate log of --entries entries in a temporary directory (removed at the
end unless --keep): a root-signed issuer, one real RCEP certificate issued half way,
and statement-shaped filler (utilisations of other certificates) written straight to
the sequencer so that building 10^6 entries does not time Ed25519. Three witnesses
cosign; the policy asks for two. Then:

- bundle size for the typical disclosure (what a border officer needs: number, type,
  agreement, countries, validity, per item HS code, quantity, origin criterion) and for
  full disclosure;
- offline ``verify_bundle`` p50/p95 (parse, checkpoint + 2 cosignatures, inclusion
  proofs, disclosure, signatures, registry replay, status);
- online ``verify_online`` p50/p95 against the log (latest checkpoint, consistency
  proof, fresh evidence with inclusion proofs read from tiles), warm tile cache and a
  cold cache per call;
- inclusion proof generation from the tiles, cold and warm.

    .venv/bin/python benchmarks/origin_bundle.py                   # 10^5 entries
    .venv/bin/python benchmarks/origin_bundle.py --entries 1000000
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcustoms.origin.bundle import make_bundle, parse_bundle
from smartcustoms.origin.commitments import CommittedCertificate, commit
from smartcustoms.origin.cosignature import CosignatureSigner
from smartcustoms.origin.models import Certificate
from smartcustoms.origin.note import Ed25519Signer, parse_note
from smartcustoms.origin.policy import TrustPolicy
from smartcustoms.origin.registry_log import CertificateLog
from smartcustoms.origin.signing import format_public_key, key_id
from smartcustoms.origin.statements import (
    IssuerAdded,
    IssuerKey,
    issue_statement,
    sign_statement,
)
from smartcustoms.origin.tiles import TileCache
from smartcustoms.origin.verify import verify_bundle, verify_online

SEED = 20261201
ORIGIN = "customs.cn.example/origin"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TYPICAL = [
    "number",
    "certificate_type",
    "agreement",
    "exporting_country",
    "importing_country",
    "validity",
    *(
        f"goods_items[{i}].{f}"
        for i in range(3)
        for f in ("hs_code", "quantity", "origin_criterion")
    ),
]


def say(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def certificate() -> Certificate:
    item = {
        "description": "Smartphones",
        "hs_code": "851713",
        "quantity": {"value": "100", "unit": "H87"},
        "gross_mass_kg": "120.5",
        "packages": 10,
        "marks_and_numbers": "EE/2026/1-10",
        "invoice": {"number": "INV-2026-0042", "date": "2026-10-28"},
        "origin_country": "CN",
        "origin_criterion": "CTC",
    }
    address = {
        "street": "1 Harbour Road",
        "city": "Shenzhen",
        "postcode": "518000",
        "country": "CN",
    }
    return Certificate.model_validate(
        {
            "number": "RCEP-CN-2026-000123",
            "certificate_type": "preferential",
            "agreement": "RCEP",
            "issuing_authority": {"name": "CCPIT Shenzhen", "country": "CN", "address": address},
            "exporter": {
                "name": "Example Electronics",
                "country": "CN",
                "identifier": "CN91440300",
            },
            "producer": {"name": "Shenzhen Phone Works", "country": "CN"},
            "consignee": {"name": "Seoul Import Trading", "country": "KR", "identifier": "KR123"},
            "exporting_country": "CN",
            "importing_country": "KR",
            "transport": {"mode": "1", "port_of_loading": "CNSZX", "port_of_discharge": "KRPUS"},
            "goods_items": [{**item, "sequence": n} for n in (1, 2, 3)],
            "validity": {"issue_date": "2026-11-01", "valid_until": "2027-10-31"},
        }
    )


def filler(i: int, rng: random.Random) -> bytes:
    """A utilisation-shaped entry (canonical JSON) about some other certificate."""
    return rfc8785.dumps(
        {
            "signature": rng.randbytes(64).hex(),
            "signer": rng.randbytes(16).hex(),
            "statement": {
                "administration": "KR",
                "certificate_digest": rng.randbytes(32).hex(),
                "certificate_number": f"RCEP-CN-2026-{i:09d}",
                "declaration_reference": f"KR-MRN-{i}",
                "items": [{"quantity": {"unit": "H87", "value": "10"}, "sequence": 1}],
                "type": "utilise",
                "utilisation_date": "2026-11-20",
            },
        }
    )


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1e3:7.3f} ms   p95 {p95 * 1e3:7.3f} ms"


def publish(log: CertificateLog, witnesses: list[CosignatureSigner]) -> None:
    note = parse_note(log.commit())
    stamp = int(NOW.timestamp())
    log.sequencer.publish(
        note.with_signatures([w.cosign(note.text, stamp) for w in witnesses]).format()
    )


def build(
    directory: Path, entries: int, rng: random.Random
) -> tuple[CertificateLog, CommittedCertificate, TrustPolicy]:
    root = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
    issuer = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
    signer = Ed25519Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(rng.randbytes(32)))
    witnesses = [
        CosignatureSigner(
            f"witness{i}.example", Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        )
        for i in range(3)
    ]
    log = CertificateLog.open(directory, signer, [root.public_key()], batch_size=4096)
    public = issuer.public_key()
    added = IssuerAdded(
        issuer_id="CCPIT-SZ",
        kind="chamber",
        name="CCPIT Shenzhen",
        country="CN",
        scope={"certificate_types": ["non_preferential", "preferential"], "agreements": ["RCEP"]},
        key=IssuerKey(key_id=key_id(public), public_key=format_public_key(public)),
    )
    log.append(sign_statement(added, root))
    half = entries // 2
    for i in range(1, half):
        log.sequencer.append_statement(filler(i, rng))
    committed = commit(certificate(), rng=rng.randbytes)
    statement = issue_statement(committed, issuer_id="CCPIT-SZ", private_key=issuer)
    log.append(sign_statement(statement, issuer))
    for i in range(half + 1, entries):
        log.sequencer.append_statement(filler(i, rng))
    publish(log, witnesses)
    policy = TrustPolicy.create(
        log_origin=ORIGIN,
        log_keys=[signer.verifier()],
        witnesses=[w.verifier() for w in witnesses],
        quorum=2,
        max_age=timedelta(days=1),
        registry_roots=[root.public_key()],
    )
    return log, committed, policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the log directory")
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"versions: cryptography {version('cryptography')}, rfc8785 {version('rfc8785')}")
    rng = random.Random(SEED)
    base = Path(tempfile.mkdtemp(prefix="origin-bundle-"))
    try:
        say(f"building a log of {args.entries} entries in {base}")
        start = time.perf_counter()
        log, committed, policy = build(base / "log", args.entries, rng)
        print(
            f"log: {log.checkpoint.size} entries built and indexed in "
            f"{time.perf_counter() - start:.1f} s"
        )

        typical = make_bundle(log, committed, disclose_paths=TYPICAL)
        full = make_bundle(log, committed, disclose_paths=[leaf.path for leaf in committed.leaves])
        parsed = parse_bundle(typical)
        proof_hashes = sum(len(e.proof) for e in parsed.entries)
        print(
            f"certificate: {len(committed.leaves)} leaves, 3 goods items; bundle carries "
            f"{len(parsed.entries)} entries, {proof_hashes} proof hashes"
        )
        print(f"bundle size: typical disclosure {len(typical)} B, full disclosure {len(full)} B")

        assert verify_bundle(typical, policy, NOW).ok
        offline = timed(lambda: verify_bundle(typical, policy, NOW), args.runs)
        print(f"verify_bundle (offline):           {summary(offline)}")

        assert verify_online(typical, log, policy, NOW).ok
        online_warm = timed(lambda: verify_online(typical, log, policy, NOW), args.runs // 3)
        print(f"verify_online (warm tile cache):   {summary(online_warm)}")

        def cold() -> None:
            log.sequencer.cache = TileCache()
            verify_online(typical, log, policy, NOW)

        online_cold = timed(cold, args.runs // 3)
        print(f"verify_online (cold tile cache):   {summary(online_cold)}")

        size = log.checkpoint.size
        indexes = [rng.randrange(size) for _ in range(args.runs)]

        def prove_cold() -> None:
            log.sequencer.cache = TileCache()
            log.sequencer.prove_inclusion(indexes[rng.randrange(len(indexes))], size)

        print(f"inclusion proof (cold, from tiles): {summary(timed(prove_cold, args.runs))}")
        log.sequencer.cache = TileCache()
        warm = iter(indexes * 2)
        print(
            "inclusion proof (warm cache):      "
            f"{summary(timed(lambda: log.sequencer.prove_inclusion(next(warm), size), args.runs))}"
        )
        log.close()
    finally:
        if args.keep:
            say(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
