"""Proof bundles: the compact disclosure, the bundle format, its size, the QR payload.

Strategy: the compact form must stand for exactly the JSON disclosure it came from
(round trip over many subsets, including none and all); the decoder must refuse what
it cannot read; bundles must stay under 8 KB for the typical disclosure even with a
proof from a deep tree; parsing is strict.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import rfc8785

from smartcustoms.origin.bundle import (
    BundleInvalid,
    CertificateNotLogged,
    make_bundle,
    parse_bundle,
)
from smartcustoms.origin.commitments import (
    SCHEMA_IDS,
    Disclosure,
    HiddenLeaf,
    RevealedLeaf,
    commit,
    disclose,
    disclosure_bytes,
    verify_disclosure,
)
from smartcustoms.origin.compact import decode_disclosure, encode_disclosure
from smartcustoms.origin.models import DisclosureInvalid
from smartcustoms.origin.qr import QrPayload, parse_qr

from .world import ORIGIN, TYPICAL, World, certificate

FULL_CERTIFICATE = certificate(
    transport={"mode": "1", "port_of_loading": "CNSZX", "port_of_discharge": "KRPUS"},
    producer={"name": "Shenzhen Phone Works", "country": "CN", "identifier": "CN-REX-99"},
    remarks="Third-party invoicing: no",
)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path / "log")


@pytest.mark.parametrize("schema_id", SCHEMA_IDS)
@pytest.mark.parametrize("seed", range(12))
def test_compact_form_round_trips_any_subset(seed: int, schema_id: str) -> None:
    committed = commit(FULL_CERTIFICATE, rng=random.Random(seed).randbytes, schema_id=schema_id)
    paths = [leaf.path for leaf in committed.leaves]
    chosen = random.Random(seed).sample(paths, k=seed * len(paths) // 11)
    disclosure = disclose(committed, chosen)
    compact = encode_disclosure(disclosure)
    assert decode_disclosure(compact) == disclosure
    assert verify_disclosure(decode_disclosure(compact)) == committed.digest
    assert len(compact) < len(disclosure_bytes(disclosure)) / 3


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda b: b[:-1], "ends at byte"),
        (lambda b: b + b"\x00", "trailing"),
        (lambda b: b"\x07" + b[1:], "version"),
        (lambda b: b[:1] + b"\x04" + b[2:], "flag bits"),
    ],
    ids=["truncated", "trailing", "version", "flags"],
)
def test_compact_decoder_refuses_what_it_cannot_read(damage, fragment: str) -> None:  # type: ignore[no-untyped-def]
    world = World.__new__(World)
    world.rng = random.Random(1)
    compact = encode_disclosure(disclose(world.commit(), ["number"]))
    with pytest.raises(DisclosureInvalid, match=fragment):
        decode_disclosure(damage(compact))


def test_bundle_round_trips_and_is_canonical(world: World) -> None:
    committed, position = world.issue()
    world.publish()
    data = world.bundle(committed)
    bundle = parse_bundle(data)
    assert bundle.to_bytes() == data
    assert bundle.certificate == position
    assert [e.index for e in bundle.entries] == [0, 1]  # issuer added, issue


def test_typical_bundle_is_under_8_kb_even_from_a_deep_tree(world: World) -> None:
    # Proofs 30 hashes deep would need a 10**9-entry log; pad the proofs instead to 30
    # hashes each (what such a log gives) and measure the encoded size.
    committed, _ = world.issue(FULL_CERTIFICATE)
    world.publish()
    bundle = parse_bundle(world.bundle(committed, TYPICAL))
    deep = [
        type(e)(e.index, e.statement, tuple(bytes([n]) * 32 for n in range(30)))
        for e in bundle.entries
    ]
    padded = type(bundle)(
        bundle.checkpoint, bundle.index_note, bundle.certificate, bundle.disclosure, tuple(deep)
    )
    assert len(padded.to_bytes()) < 8 * 1024, len(padded.to_bytes())


def test_nested_disclosure_hides_parts_behind_one_hash() -> None:
    # eco/2: a typical disclosure hides the parties, transport and each item's other
    # fields as whole parts: the compact form is a third smaller than the flat one.
    rng = random.Random(5).randbytes
    nested = disclose(commit(FULL_CERTIFICATE, rng=rng), TYPICAL)
    flat = disclose(commit(FULL_CERTIFICATE, rng=rng, schema_id="smartcustoms/eco/1"), TYPICAL)
    paths = [leaf.path for leaf in nested.leaves]
    assert "exporter" in paths and not any(p.startswith("exporter.") for p in paths)
    assert any(p.startswith("exporter.") for p in (leaf.path for leaf in flat.leaves))
    assert len(encode_disclosure(nested)) < 0.7 * len(encode_disclosure(flat))


def test_nested_compact_form_refuses_leaves_under_a_hidden_part() -> None:
    committed = commit(FULL_CERTIFICATE, rng=random.Random(6).randbytes)
    disclosure = disclose(committed, ["exporter.name"])
    compact = bytearray(encode_disclosure(disclosure))
    leaves = list(disclosure.leaves)
    at = [leaf.path for leaf in leaves].index("exporter")
    opened = leaves[at]
    assert isinstance(opened, RevealedLeaf)
    # Claim the opened exporter is hidden while its fields still follow.
    leaves[at] = HiddenLeaf(path="exporter", hash="00" * 32)
    forged = Disclosure(schema_id=disclosure.schema_id, leaves=leaves)
    with pytest.raises(ValueError, match="hidden but has leaves below"):
        encode_disclosure(forged)
    with pytest.raises(DisclosureInvalid) as info:
        verify_disclosure(forged)
    assert info.value.reason == "shape-invalid"
    assert decode_disclosure(bytes(compact)) == disclosure


def test_make_bundle_refuses_a_certificate_not_yet_published(world: World) -> None:
    world.publish()
    committed, _ = world.issue()
    world.log.commit()  # committed but not cosigned and published
    with pytest.raises(CertificateNotLogged):
        make_bundle(world.log, committed, disclose_paths=["number"])


def test_bundle_carries_no_hidden_value(world: World) -> None:
    committed, _ = world.issue()
    world.publish()
    data = world.bundle(committed, ["number"])
    assert b"Smartphones" not in data and b"Example Electronics" not in data


@pytest.mark.parametrize(
    "edit",
    [
        lambda raw: raw.update(format="smartcustoms/origin/bundle/v2"),
        lambda raw: raw.update(certificate=-1),
        lambda raw: raw["entries"].reverse(),
        lambda raw: raw["entries"][0].update(proof="AAA"),
        lambda raw: raw.update(entries=[]),
        lambda raw: raw.pop("index"),
    ],
    ids=["format", "index", "order", "proof", "no-entries", "missing"],
)
def test_parse_bundle_is_strict(world: World, edit) -> None:  # type: ignore[no-untyped-def]
    committed, _ = world.issue()
    world.publish()
    raw = json.loads(world.bundle(committed))
    edit(raw)
    with pytest.raises(BundleInvalid):
        parse_bundle(rfc8785.dumps(raw))


def test_qr_payload_round_trips_and_names_the_log() -> None:
    payload = QrPayload.create(ORIGIN, 1_234_567, bytes(range(32)))
    text = payload.format()
    assert text.startswith("SCO1:") and len(text) == 69
    parsed = parse_qr(text)
    assert parsed == payload and parsed.names_log(ORIGIN) and not parsed.names_log("other")


@pytest.mark.parametrize("text", ["SCO2:AAAA", "SCO1:AAAA", "SCO1:" + "A" * 65, "SCO1:" + "!" * 64])
def test_qr_payload_refuses_anything_else(text: str) -> None:
    with pytest.raises(BundleInvalid):
        parse_qr(text)
