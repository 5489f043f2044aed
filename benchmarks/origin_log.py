"""Origin transparency log benchmark: append rate with fsync per batch, proof times on a
10^6-entry log read from tiles on disk, checkpoint verification, proof sizes.

Statements are RFC 8785 canonical JSON like the issue/amend/revoke/utilise statements:
commercial fields as SHA-256 commitments, an issuer Ed25519 signature (base64). The
timed append phase uses statements really signed by an issuer key (signing is done
beforehand and not timed: the log does not sign statements, issuers do). The fill up
to --entries reuses the same shape with a fixed signature value, because signing 10^6
statements would only time Ed25519.

Inclusion proofs are timed two ways, both reading tiles from disk (page cache warm):
"cold", a fresh tile cache per proof (every tile read and expanded), and "warm", one
cache shared by all proofs (a serving process). Fixed seed; machine and versions are
printed with the results.

    .venv/bin/python benchmarks/origin_log.py                    # 10^6 entries (~3 min)
    .venv/bin/python benchmarks/origin_log.py --entries 100000 --append 20000 --batch 512
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcustoms.origin.checkpoint import parse_checkpoint
from smartcustoms.origin.cosignature import CosignatureSigner
from smartcustoms.origin.log import Sequencer
from smartcustoms.origin.merkle import (
    hash_leaf,
    prove_consistency,
    prove_inclusion,
    tree_root_from,
    verify_consistency,
    verify_inclusion,
)
from smartcustoms.origin.note import Ed25519Signer, parse_note
from smartcustoms.origin.policy import TrustPolicy, verify_checkpoint
from smartcustoms.origin.tiles import TileCache, TileHashReader

SEED = 20250301
ORIGIN = "customs.example/origin-log"
KINDS = ("issue", "amend", "revoke", "utilise")


def say(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def statement_body(i: int) -> dict[str, object]:
    return {
        "type": KINDS[i % 4],
        "certificate": f"CO-2025-{i:09d}",
        "issuer": "issuer.example/chamber-of-commerce",
        "commitments": {
            name: f"{(i * 7919 + n) % (1 << 256):064x}"
            for n, name in enumerate(("exporter", "consignee", "goods", "hs_code", "origin"))
        },
        "issued_at": "2025-03-01T12:00:00Z",
    }


def signed_statements(count: int, start: int, key: Ed25519PrivateKey) -> list[bytes]:
    out = []
    for i in range(start, start + count):
        body = statement_body(i)
        sig = base64.b64encode(key.sign(rfc8785.dumps(body))).decode()
        out.append(rfc8785.dumps({"signature": sig, "statement": body}))
    return out


def fill_statements(count: int, start: int, template: bytes) -> list[bytes]:
    """Same shape and size as the timed statements, made by replacing the certificate
    number in a canonical template (still canonical: only digits change)."""
    marker = b"CO-2025-000000000"
    return [template.replace(marker, b"CO-2025-%09d" % i) for i in range(start, start + count)]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1e6:8.1f} us   p99 {p99 * 1e6:8.1f} us   max {ordered[-1] * 1e6:8.1f} us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--append", type=int, default=100_000, help="statements in timed phase")
    parser.add_argument("--batch", type=int, default=1024, help="statements per fsync'd batch")
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path("benchmarks/out/origin_log"))
    parser.add_argument("--keep", action="store_true", help="keep the log directory")
    args = parser.parse_args()

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"versions: cryptography {version('cryptography')}, rfc8785 {version('rfc8785')}")
    print(f"log directory: {args.dir.resolve()} (fsync per batch on this filesystem)")
    shutil.rmtree(args.dir, ignore_errors=True)
    rng = random.Random(SEED)
    log_key = Ed25519Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(rng.randbytes(32)))
    issuer = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))

    # --- append rate ----------------------------------------------------------------
    timed = min(args.append, args.entries)
    say(f"signing {timed} statements (not timed)")
    statements = signed_statements(timed, 0, issuer)
    size_mean = statistics.mean(len(s) for s in statements)
    log = Sequencer.open(args.dir, log_key, batch_size=args.batch)
    say("appending (timed)")
    wall, cpu = time.perf_counter(), time.process_time()
    for s in statements:
        log.append_statement(s)
    log.commit_batch()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    batches = -(-timed // args.batch)
    print("\n## Append (durable: tiles + bundles + signed checkpoint fsynced per batch)")
    print(
        f"statements {timed}, mean {size_mean:.0f} bytes, batch size {args.batch}, "
        f"{batches} batches, canonical-JSON check on"
    )
    print(
        f"rate {timed / wall:,.0f} statements/s (wall {wall:.2f} s, CPU {cpu:.2f} s), "
        f"{wall / batches * 1e3:.1f} ms per batch"
    )

    # --- fill to --entries --------------------------------------------------------------
    chunk = 50_000
    at = log.checkpoint.size
    say(f"filling to {args.entries}")
    fill_wall = time.perf_counter()
    template = statements[0]
    log.require_canonical_json = False  # the template is canonical; saves time, not I/O
    while at < args.entries:
        n = min(chunk, args.entries - at)
        for s in fill_statements(n, at, template):
            log.append_statement(s)
        at += n
    log.commit_batch()
    fill_wall = time.perf_counter() - fill_wall
    size = log.checkpoint.size
    root = log.checkpoint.root_hash
    filled = size - timed
    if filled:
        print(
            f"fill: {filled} more statements in {fill_wall:.1f} s "
            f"({filled / fill_wall:,.0f}/s canonical check off)"
        )
    files = sum(len(f) for _, _, f in os.walk(args.dir))
    disk = sum(p.stat().st_size for p in args.dir.rglob("*") if p.is_file())
    print(f"log of {size:,} entries: {files:,} files, {disk / 2**20:.1f} MiB")

    # --- proofs from tiles ------------------------------------------------------------------
    indexes = [rng.randrange(size) for _ in range(args.proofs)]
    leaves = {i: hash_leaf(log.read_entry(i)) for i in indexes}
    cold, warm, verify = [], [], []
    shared = TileCache()
    for i in indexes:
        t = time.perf_counter()
        proof = prove_inclusion(TileHashReader(log.source, size, TileCache()), i, size)
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        prove_inclusion(TileHashReader(log.source, size, shared), i, size)
        warm.append(time.perf_counter() - t)
        t = time.perf_counter()
        verify_inclusion(leaves[i], i, size, proof, root)
        verify.append(time.perf_counter() - t)
    print(f"\n## Inclusion proof at size {size:,} ({args.proofs} random leaves, from tiles)")
    print(f"generate, cold cache:  {percentiles(cold)}")
    print(
        f"generate, warm cache:  {percentiles(warm)}  (cache {shared.hits} hits, "
        f"{shared.misses} misses)"
    )
    print(f"verify:                {percentiles(verify)}")
    print(f"proof size: {len(proof)} hashes = {len(proof) * 32} bytes")

    olds = [rng.randrange(1, size) for _ in range(min(args.proofs, 500))]
    reader = TileHashReader(log.source, size, TileCache())
    cons, cverify = [], []
    sizes_seen = []
    for old in olds:
        t = time.perf_counter()
        proof = prove_consistency(TileHashReader(log.source, size, TileCache()), old, size)
        cons.append(time.perf_counter() - t)
        old_root = tree_root_from(reader, old)
        t = time.perf_counter()
        verify_consistency(old, size, old_root, root, proof)
        cverify.append(time.perf_counter() - t)
        sizes_seen.append(len(proof))
    print(f"\n## Consistency proof to size {size:,} ({len(olds)} random old sizes, cold cache)")
    print(f"generate: {percentiles(cons)}")
    print(f"verify:   {percentiles(cverify)}")
    print(
        f"proof size: {min(sizes_seen)} to {max(sizes_seen)} hashes "
        f"({max(sizes_seen) * 32} bytes at most)"
    )

    # --- checkpoint verification ----------------------------------------------------------
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    witnesses = [
        CosignatureSigner(
            f"w{i}.partner.example", Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        )
        for i in range(3)
    ]
    note = parse_note(log.checkpoint_note)
    note = note.with_signatures([w.cosign(note.text, int(now.timestamp())) for w in witnesses])
    text = note.format()
    policy = TrustPolicy.create(
        log_origin=ORIGIN,
        log_keys=[log_key.verifier()],
        witnesses=[w.verifier() for w in witnesses],
        quorum=2,
    )
    times = []
    for _ in range(500):
        t = time.perf_counter()
        checkpoint = verify_checkpoint(text, policy, now=now)
        times.append(time.perf_counter() - t)
    assert checkpoint == parse_checkpoint(note.text)
    print("\n## Checkpoint verification (log signature + 3 cosignatures, quorum 2)")
    print(f"verify_checkpoint: {percentiles(times)}")
    print(f"cosigned checkpoint: {len(text.encode())} bytes")
    inclusion_bytes = len(prove_inclusion(reader, indexes[0], size)) * 32
    print(
        f"\n## Offline bundle, log part: checkpoint {len(text.encode())} B + inclusion proof "
        f"{inclusion_bytes} B + statement ~{size_mean:.0f} B"
    )
    print(
        json.dumps(
            {
                "entries": size,
                "batch": args.batch,
                "append_per_s": round(timed / wall),
                "inclusion_cold_p50_us": round(statistics.median(cold) * 1e6, 1),
                "inclusion_cold_p99_us": round(sorted(cold)[int(len(cold) * 0.99)] * 1e6, 1),
                "inclusion_warm_p50_us": round(statistics.median(warm) * 1e6, 1),
            }
        )
    )
    log.close()
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
