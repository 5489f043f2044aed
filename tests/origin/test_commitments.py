"""Salted commitments and selective disclosure, one test per known attack.

Strategy: a fixed certificate committed with a seeded random source; each attack
edits a good disclosure in one way and expects the named ``reason`` (or, where the
edit is well formed, a digest that is not the signed one). Hypothesis checks that any
subset of fields discloses to the same digest and that one changed byte never does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcustoms.origin import commitments as cm
from smartcustoms.origin.commitments import (
    SCHEMA_FINGERPRINT,
    CommittedCertificate,
    Disclosure,
    HiddenLeaf,
    LeafType,
    RevealedLeaf,
    SaltInvalid,
    commit,
    disclose,
    disclosure_bytes,
    parse_disclosure,
    parse_path,
    read_disclosure,
    verify_disclosure,
)
from smartcustoms.origin.models import Certificate, DisclosureInvalid


def certificate(items: int = 3, **changes: Any) -> Certificate:
    data: dict[str, Any] = {
        "number": "RCEP-CN-2026-000123",
        "certificate_type": "preferential",
        "agreement": "RCEP",
        "issuing_authority": {"name": "CCPIT Shenzhen", "country": "CN"},
        "exporter": {"name": "Example Electronics", "country": "CN", "identifier": "CN44031"},
        "consignee": {"name": "Seoul Import Trading", "country": "KR"},
        "exporting_country": "CN",
        "importing_country": "KR",
        "transport": {"mode": "1", "departure_date": "2026-11-02", "transit_countries": []},
        "goods_items": [
            {
                "sequence": i + 1,
                "description": f"Smartphone model {i}",
                "hs_code": "851713",
                "quantity": {"value": str(100 * (i + 1)), "unit": "H87"},
                "gross_mass_kg": "12.50",
                "packages": 4,
                "origin_country": "CN",
                "origin_criterion": "CTC",
            }
            for i in range(items)
        ],
        "validity": {"issue_date": "2026-11-01", "valid_until": "2027-10-31"},
    }
    data.update(changes)
    return Certificate.model_validate(data)


def seeded(seed: int = 7) -> Callable[[int], bytes]:
    return random.Random(seed).randbytes


COMMITTED = commit(certificate(), rng=seeded())
PATHS = [leaf.path for leaf in COMMITTED.leaves]


def leaves(disclosure: Disclosure) -> list[RevealedLeaf | HiddenLeaf]:
    return list(disclosure.leaves)


def rebuilt(leaves: list[RevealedLeaf | HiddenLeaf]) -> Disclosure:
    return Disclosure(schema_id=cm.SCHEMA_ID, leaves=leaves)


def index_of(disclosure: Disclosure, path: str) -> int:
    return [leaf.path for leaf in disclosure.leaves].index(path)


def fails(disclosure: Disclosure, reason: str) -> None:
    with pytest.raises(DisclosureInvalid) as info:
        verify_disclosure(disclosure, expected=COMMITTED.digest)
    assert info.value.reason == reason, info.value.detail


# --------------------------------------------------------------------- basics


def test_schema_fingerprint_is_pinned() -> None:
    # If this fails, the certificate model changed: bump SCHEMA_ID (old certificates
    # must keep verifying under the old schema) and pin the new fingerprint.
    assert SCHEMA_FINGERPRINT == "788b9b7c968d75eadeb539e00414ec7db1134c6b6416031b5094dde39c3096ad"


def test_commit_is_a_function_of_certificate_and_salts() -> None:
    again = commit(certificate(), rng=seeded())
    assert again.digest == COMMITTED.digest
    other = commit(certificate(), rng=seeded(8))
    assert other.digest != COMMITTED.digest
    assert [leaf.path for leaf in other.leaves] == PATHS


def test_every_node_is_a_leaf_in_schema_order() -> None:
    assert PATHS[:3] == ["agreement", "certificate_type", "consignee"]
    kinds = {leaf.path: leaf.type for leaf in COMMITTED.leaves}
    assert kinds["goods_items"] is LeafType.array
    assert kinds["goods_items[0]"] is LeafType.object
    assert kinds["goods_items[0].gross_mass_kg"] is LeafType.decimal
    assert kinds["producer"] is LeafType.null
    assert not any(p.startswith("producer.") for p in PATHS)  # absent under a null
    assert {leaf.path: leaf.value for leaf in COMMITTED.leaves}["goods_items[0].gross_mass_kg"] == (
        "12.5"
    )


def test_full_and_empty_disclosures_verify() -> None:
    assert verify_disclosure(disclose(COMMITTED, PATHS)) == COMMITTED.digest
    assert verify_disclosure(disclose(COMMITTED, [])) == COMMITTED.digest


def test_disclosing_a_node_reveals_everything_below_it() -> None:
    disclosure = disclose(COMMITTED, ["goods_items[1]"])
    revealed = [leaf.path for leaf in disclosure.leaves if isinstance(leaf, RevealedLeaf)]
    assert revealed[0] == "goods_items[1]" and all(p.startswith("goods_items[1]") for p in revealed)
    assert len(revealed) == 1 + 10 + 2  # the item, its ten fields, the quantity's two


def test_read_disclosure_types_the_values() -> None:
    found = read_disclosure(
        disclose(COMMITTED, ["goods_items[0].gross_mass_kg", "validity.issue_date"]),
        require=["validity.issue_date"],
        expected=COMMITTED.digest,
    )
    assert str(found.values["goods_items[0].gross_mass_kg"]) == "12.5"
    assert found.values["validity.issue_date"].isoformat() == "2026-11-01"


def test_required_path_must_be_revealed() -> None:
    with pytest.raises(DisclosureInvalid, match="path-not-revealed"):
        verify_disclosure(disclose(COMMITTED, ["number"]), require=["exporter.name"])


def test_disclosure_round_trips_through_canonical_json() -> None:
    disclosure = disclose(COMMITTED, ["number", "goods_items[2]"])
    assert parse_disclosure(disclosure_bytes(disclosure)) == disclosure


def test_wrong_digest_is_reported() -> None:
    other = commit(certificate(remarks="amended"), rng=seeded())
    fails(disclose(other, ["number"]), "digest-mismatch")


# -------------------------------------------------------------------- attacks


def test_added_field_outside_the_schema_is_refused() -> None:
    d = disclose(COMMITTED, ["number"])
    extra = RevealedLeaf(path="goods_items[0].price", type="string", value="1", salt="ab" * 32)
    items = leaves(d)
    items.insert(index_of(d, "goods_items[0].packages") + 1, extra)
    fails(rebuilt(items), "path-unknown")


def test_added_leaf_at_a_schema_path_is_refused() -> None:
    # A second "number" leaf: the issuer-side "duplicated key" — two values for one path.
    d = disclose(COMMITTED, ["number"])
    items = leaves(d)
    twin = RevealedLeaf(path="number", type="string", value="FAKE-1", salt="cd" * 32)
    items.insert(index_of(d, "number") + 1, twin)
    fails(rebuilt(items), "shape-invalid")


def test_removed_leaf_is_refused() -> None:
    d = disclose(COMMITTED, [])
    items = leaves(d)
    del items[index_of(d, "remarks")]
    fails(rebuilt(items), "shape-invalid")


def test_removed_array_element_is_refused() -> None:
    # Hiding that an item exists: drop goods_items[2] and everything below it.
    d = disclose(COMMITTED, ["goods_items"])
    items = [leaf for leaf in leaves(d) if not leaf.path.startswith("goods_items[2]")]
    fails(rebuilt(items), "shape-invalid")  # the revealed length still says 3


def test_string_for_integer_is_refused() -> None:
    d = disclose(COMMITTED, ["goods_items[0].packages"])
    items = leaves(d)
    i = index_of(d, "goods_items[0].packages")
    leaf = items[i]
    assert isinstance(leaf, RevealedLeaf) and leaf.value == 4
    items[i] = leaf.model_copy(update={"type": LeafType.string, "value": "4"})
    fails(rebuilt(items), "type-mismatch")
    items[i] = leaf.model_copy(update={"value": "4"})
    fails(rebuilt(items), "value-invalid")
    items[i] = leaf.model_copy(update={"value": True})
    fails(rebuilt(items), "value-invalid")
    items[i] = leaf.model_copy(update={"value": 10**5000})
    fails(rebuilt(items), "value-invalid")


def test_date_as_string_is_refused() -> None:
    d = disclose(COMMITTED, ["validity.issue_date"])
    items = leaves(d)
    i = index_of(d, "validity.issue_date")
    items[i] = items[i].model_copy(update={"type": LeafType.string})
    fails(rebuilt(items), "type-mismatch")


def test_type_tag_separates_equal_texts() -> None:
    salt, path = b"\x01" * 32, parse_path("number")
    as_text = cm._leaf_hash(path, LeafType.string, b"1", salt)
    assert as_text != cm._leaf_hash(path, LeafType.integer, b"1", salt)
    assert cm._leaf_hash(path, LeafType.string, b"2024-01-01", salt) != cm._leaf_hash(
        path, LeafType.date, b"2024-01-01", salt
    )


def test_non_canonical_decimal_is_refused() -> None:
    d = disclose(COMMITTED, ["goods_items[0].gross_mass_kg"])
    items = leaves(d)
    i = index_of(d, "goods_items[0].gross_mass_kg")
    for spelling in ("12.50", "1.25E+1", "+12.5", "12.5 "):
        items[i] = items[i].model_copy(update={"value": spelling})
        fails(rebuilt(items), "value-invalid")


def test_reordered_array_elements_change_the_digest() -> None:
    cert = certificate()
    swapped = cert.model_copy(
        update={"goods_items": [cert.goods_items[1], cert.goods_items[0], cert.goods_items[2]]}
    )
    # model_copy skips validation (sequences now read 2, 1, 3), so the swap reaches commit.
    assert commit(certificate(), rng=seeded()).digest == COMMITTED.digest
    assert commit(swapped, rng=seeded()).digest != COMMITTED.digest


def test_reordered_leaves_in_a_disclosure_are_refused() -> None:
    d = disclose(COMMITTED, ["goods_items"])
    items = leaves(d)
    first = [leaf for leaf in items if leaf.path.startswith("goods_items[0]")]
    second = [leaf for leaf in items if leaf.path.startswith("goods_items[1]")]
    start = items.index(first[0])
    items[start : start + len(first) + len(second)] = second + first
    fails(rebuilt(items), "shape-invalid")


def test_values_moved_between_elements_do_not_verify() -> None:
    # Keep the paths, swap what is revealed under them: the paths are hashed.
    d = disclose(COMMITTED, ["goods_items[0].quantity.value", "goods_items[1].quantity.value"])
    items = leaves(d)
    i, j = (
        index_of(d, "goods_items[0].quantity.value"),
        index_of(d, "goods_items[1].quantity.value"),
    )
    a, b = items[i], items[j]
    items[i], items[j] = (
        b.model_copy(update={"path": a.path}),
        a.model_copy(update={"path": b.path}),
    )
    fails(rebuilt(items), "digest-mismatch")


def test_relabelled_hidden_leaf_does_not_verify() -> None:
    # The digest binds every path, hidden ones included.
    pairs = [(parse_path(leaf.path), leaf.hash) for leaf in COMMITTED.leaves]
    relabelled = list(pairs)
    relabelled[0] = (parse_path("certificate_type"), pairs[0][1])
    assert cm._digest(relabelled) != cm._digest(pairs)


def test_duplicated_key_in_disclosure_json_is_refused() -> None:
    raw = disclosure_bytes(disclose(COMMITTED, ["number"]))
    forged = raw.replace(b'"path":"number"', b'"path":"number","path":"remarks"', 1)
    with pytest.raises(DisclosureInvalid, match="duplicated key 'path'") as info:
        parse_disclosure(forged)
    assert info.value.reason == "malformed"


def test_unknown_field_in_disclosure_json_is_refused() -> None:
    raw = disclosure_bytes(disclose(COMMITTED, ["number"]))
    with pytest.raises(DisclosureInvalid, match="malformed"):
        parse_disclosure(raw.replace(b'{"path":"number"', b'{"note":"x","path":"number"', 1))


def test_empty_array_absent_and_null_are_different() -> None:
    with_empty = commit(certificate(), rng=seeded())
    without_transport = commit(certificate(transport=None), rng=seeded())
    kinds = {leaf.path: leaf.type for leaf in with_empty.leaves}
    assert kinds["transport.transit_countries"] is LeafType.array
    assert {leaf.path: leaf.value for leaf in with_empty.leaves}["transport.transit_countries"] == 0
    null_kinds = {leaf.path: leaf.type for leaf in without_transport.leaves}
    assert null_kinds["transport"] is LeafType.null
    assert "transport.transit_countries" not in null_kinds
    assert with_empty.digest != without_transport.digest


def test_null_object_with_fields_is_refused() -> None:
    # Reveal "transport" as null while its fields stay in the list.
    d = disclose(COMMITTED, [])
    items = leaves(d)
    i = index_of(d, "transport")
    items[i] = RevealedLeaf(path="transport", type="null", value=None, salt="ef" * 32)
    fails(rebuilt(items), "shape-invalid")


def test_empty_array_cannot_claim_elements_or_be_null() -> None:
    d = disclose(COMMITTED, ["transport.transit_countries"])
    items = leaves(d)
    i = index_of(d, "transport.transit_countries")
    leaf = items[i]
    items[i] = leaf.model_copy(update={"value": 1})
    fails(rebuilt(items), "shape-invalid")
    items[i] = leaf.model_copy(update={"type": LeafType.null, "value": None})
    fails(rebuilt(items), "type-mismatch")  # the schema's array is not nullable


def test_dropping_an_empty_array_is_refused() -> None:
    d = disclose(COMMITTED, [])
    items = leaves(d)
    del items[index_of(d, "transport.transit_countries")]
    fails(rebuilt(items), "shape-invalid")


@pytest.mark.parametrize(
    "path",
    [
        "exporter..name",
        "exporter.name ",
        "exporter.na.me",
        "goods_items[01].hs_code",
        "goods_items[-1].hs_code",
        "goods_items.0.hs_code",
        "exporter\x00name",
        "Exporter.name",
        "exporter[0]",
    ],
)
def test_path_injection_is_refused(path: str) -> None:
    d = disclose(COMMITTED, [])
    items = leaves(d)
    i = index_of(d, "exporter.name")
    items[i] = items[i].model_copy(update={"path": path})
    with pytest.raises(DisclosureInvalid) as info:
        verify_disclosure(rebuilt(items))
    assert info.value.reason in {"path-malformed", "path-unknown"}


def test_path_segments_are_length_prefixed() -> None:
    assert cm._path_bytes(("exporter.name",)) != cm._path_bytes(("exporter", "name"))
    assert cm._path_bytes(("goods_items", 1)) != cm._path_bytes(("goods_items[1]",))


@pytest.mark.parametrize(
    "path", ["goods_items[0].price", "validity.issue_date.year", "goods_items[999].hs_code"]
)
def test_path_outside_the_schema_is_refused(path: str) -> None:
    with pytest.raises(DisclosureInvalid, match="path-unknown"):
        cm._schema_at(parse_path(path))
    with pytest.raises(DisclosureInvalid, match="path-unknown"):
        disclose(COMMITTED, [path])


def test_reused_salt_from_the_random_source_is_refused() -> None:
    with pytest.raises(SaltInvalid, match="repeated a salt"):
        commit(certificate(), rng=lambda n: b"\x00" * n)


def test_short_salt_from_the_random_source_is_refused() -> None:
    with pytest.raises(SaltInvalid, match="32-byte salts"):
        commit(certificate(), rng=lambda n: random.randbytes(16))


def test_reused_salt_in_a_disclosure_is_refused() -> None:
    d = disclose(COMMITTED, ["number", "remarks"])
    items = leaves(d)
    i, j = index_of(d, "number"), index_of(d, "remarks")
    items[j] = items[j].model_copy(update={"salt": items[i].salt})
    fails(rebuilt(items), "salt-reused")


@pytest.mark.parametrize("salt", ["ab" * 16, "AB" * 32, "zz" * 32, ""])
def test_short_or_non_canonical_salt_is_refused(salt: str) -> None:
    d = disclose(COMMITTED, ["number"])
    items = leaves(d)
    i = index_of(d, "number")
    items[i] = items[i].model_copy(update={"salt": salt})
    fails(rebuilt(items), "salt-invalid")


def test_unknown_schema_is_refused() -> None:
    d = disclose(COMMITTED, ["number"]).model_copy(update={"schema_id": "smartcustoms/eco/0"})
    fails(d, "schema-unknown")


def test_floats_in_disclosure_json_are_refused() -> None:
    raw = disclosure_bytes(disclose(COMMITTED, ["goods_items[0].packages"]))
    with pytest.raises(DisclosureInvalid, match="malformed"):
        parse_disclosure(raw.replace(b'"value":4', b'"value":4.0', 1))


# ----------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(st.sampled_from(PATHS)))
def test_any_subset_disclosure_verifies_to_the_same_digest(paths: set[str]) -> None:
    disclosure = parse_disclosure(disclosure_bytes(disclose(COMMITTED, sorted(paths))))
    assert verify_disclosure(disclosure) == COMMITTED.digest


SMALL: CommittedCertificate = commit(certificate(items=1), rng=seeded(3))
SMALL_BYTES = disclosure_bytes(disclose(SMALL, ["number", "goods_items[0]", "validity"]))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(SMALL_BYTES) - 1), st.integers(1, 255))
def test_any_single_byte_change_fails(position: int, delta: int) -> None:
    changed = bytearray(SMALL_BYTES)
    changed[position] = (changed[position] + delta) % 256
    try:
        digest = verify_disclosure(parse_disclosure(bytes(changed)))
    except DisclosureInvalid:
        return
    assert digest != SMALL.digest
