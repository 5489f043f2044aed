"""Salted commitments and selective disclosure, one test per known attack.

Strategy: a fixed certificate committed with a seeded random source under each scheme
(``eco/1`` flat, ``eco/2`` nested; the ``committed`` fixture runs a test under both); each
attack edits a good disclosure in one way and expects the named ``reason`` (or, where
the edit is well formed, a digest that is not the signed one). Hypothesis checks that
any subset of fields discloses to the same digest and that one changed byte never does.
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
    SCHEMA_IDS,
    SCHEMA_V1,
    SCHEMA_V2,
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
BY_SCHEMA = {s: commit(certificate(), rng=seeded(), schema_id=s) for s in SCHEMA_IDS}
PATHS = [leaf.path for leaf in COMMITTED.leaves]


@pytest.fixture(params=SCHEMA_IDS)
def committed(request: pytest.FixtureRequest) -> CommittedCertificate:
    return BY_SCHEMA[request.param]


def leaves(disclosure: Disclosure) -> list[RevealedLeaf | HiddenLeaf]:
    return list(disclosure.leaves)


def rebuilt(leaves: list[RevealedLeaf | HiddenLeaf], schema_id: str = cm.SCHEMA_ID) -> Disclosure:
    return Disclosure(schema_id=schema_id, leaves=leaves)


def index_of(disclosure: Disclosure, path: str) -> int:
    return [leaf.path for leaf in disclosure.leaves].index(path)


def fails(disclosure: Disclosure, reason: str) -> None:
    with pytest.raises(DisclosureInvalid) as info:
        verify_disclosure(disclosure, expected=BY_SCHEMA[disclosure.schema_id].digest)
    assert info.value.reason == reason, info.value.detail


# --------------------------------------------------------------------- basics


def test_schema_fingerprint_is_pinned() -> None:
    # If this fails, the certificate model changed: bump SCHEMA_ID (old certificates
    # must keep verifying under the old schema) and pin the new fingerprint.
    assert SCHEMA_FINGERPRINT == "788b9b7c968d75eadeb539e00414ec7db1134c6b6416031b5094dde39c3096ad"


def test_digests_are_pinned_per_scheme() -> None:
    # eco/1's value was computed by the flat-only code before eco/2 existed: certificates
    # issued then must keep their digests. eco/2's pins the nested scheme from now on.
    assert BY_SCHEMA[SCHEMA_V1].digest.hex() == (
        "d844e2c7a1dcd97680f59052a4f863122e0b9e7e5675858b5d4d8b3908b97c5c"
    )
    assert BY_SCHEMA[SCHEMA_V2].digest.hex() == (
        "99947f61f42558d614d7a2bd0f33d6fe92665192caecbac9dca3f376105af446"
    )


def test_commit_is_a_function_of_certificate_and_salts(committed: CommittedCertificate) -> None:
    again = commit(certificate(), rng=seeded(), schema_id=committed.schema_id)
    assert again.digest == committed.digest
    other = commit(certificate(), rng=seeded(8), schema_id=committed.schema_id)
    assert other.digest != committed.digest
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


def test_full_and_empty_disclosures_verify(committed: CommittedCertificate) -> None:
    assert verify_disclosure(disclose(committed, PATHS)) == committed.digest
    assert verify_disclosure(disclose(committed, [])) == committed.digest


def test_disclosing_a_node_reveals_everything_below_it(committed: CommittedCertificate) -> None:
    disclosure = disclose(committed, ["goods_items[1]"])
    revealed = [leaf.path for leaf in disclosure.leaves if isinstance(leaf, RevealedLeaf)]
    below = [p for p in revealed if p.startswith("goods_items[1]")]
    assert below[0] == "goods_items[1]"
    assert len(below) == 1 + 10 + 2  # the item, its ten fields, the quantity's two
    # eco/2 opens the array on the way (its length shows); eco/1 shows it anyway.
    assert set(revealed) - set(below) == (
        set() if committed.schema_id == SCHEMA_V1 else {"goods_items"}
    )


def test_nested_disclosure_hides_whole_parts() -> None:
    nothing = disclose(BY_SCHEMA[SCHEMA_V2], [])
    assert [leaf.path for leaf in nothing.leaves] == [name for name, _ in cm._ROOT.fields]
    assert all(isinstance(leaf, HiddenLeaf) for leaf in nothing.leaves)
    one = disclose(BY_SCHEMA[SCHEMA_V2], ["goods_items[0].hs_code"])
    shown = {leaf.path: isinstance(leaf, RevealedLeaf) for leaf in one.leaves}
    assert shown["goods_items"] and shown["goods_items[0]"] and shown["goods_items[0].hs_code"]
    assert not shown["goods_items[1]"] and "goods_items[1].hs_code" not in shown
    assert not shown["goods_items[0].quantity"] and "goods_items[0].quantity.unit" not in shown


def test_nested_disclosure_hides_the_shape_of_hidden_parts() -> None:
    # Whether the producer is named, or how many transit countries there are, does not
    # show under eco/2 unless disclosed; under eco/1 the leaf list gives it away.
    producer = {"name": "Shenzhen Works", "country": "CN"}
    transport = {"mode": "1", "transit_countries": ["VN", "TH"]}
    for schema_id, same in ((SCHEMA_V2, True), (SCHEMA_V1, False)):
        plain = disclose(commit(certificate(), rng=seeded(), schema_id=schema_id), ["number"])
        richer = disclose(
            commit(
                certificate(producer=producer, transport=transport),
                rng=seeded(),
                schema_id=schema_id,
            ),
            ["number"],
        )
        paths = [[leaf.path for leaf in d.leaves] for d in (plain, richer)]
        assert (paths[0] == paths[1]) is same, schema_id


def test_required_part_must_be_revealed_whole() -> None:
    # An opened eco/2 part shows its own leaf only: it does not satisfy "require".
    d = disclose(BY_SCHEMA[SCHEMA_V2], ["validity.issue_date"])
    assert any(leaf.path == "validity" and isinstance(leaf, RevealedLeaf) for leaf in d.leaves)
    with pytest.raises(DisclosureInvalid, match="path-not-revealed"):
        verify_disclosure(d, require=["validity"])
    verify_disclosure(disclose(BY_SCHEMA[SCHEMA_V2], ["validity"]), require=["validity"])


def test_a_disclosure_verifies_only_under_its_own_scheme() -> None:
    for schema_id in SCHEMA_IDS:
        other = SCHEMA_V1 if schema_id == SCHEMA_V2 else SCHEMA_V2
        d = disclose(BY_SCHEMA[schema_id], ["number", "goods_items"])
        relabelled = d.model_copy(update={"schema_id": other})
        with pytest.raises(DisclosureInvalid) as info:
            verify_disclosure(relabelled, expected=BY_SCHEMA[schema_id].digest)
        assert info.value.reason in {"digest-mismatch", "shape-invalid"}


def test_a_hidden_part_cannot_be_opened_two_ways() -> None:
    # The node hash commits to the part's own leaf and every child: swapping in the
    # own-leaf hash for the node hash, or dropping a child, never verifies.
    c = BY_SCHEMA[SCHEMA_V2]
    own = {leaf.path: leaf for leaf in c.leaves}
    d = disclose(c, [])
    items = leaves(d)
    i = index_of(d, "exporter")
    raw = cm._value_bytes(LeafType.object, "Party", cm._schema_at(("exporter",)))
    assert raw is not None
    leaf_only = cm._leaf_hash(("exporter",), LeafType.object, raw, own["exporter"].salt)
    assert leaf_only.hex() != items[i].hash  # type: ignore[union-attr]
    items[i] = HiddenLeaf(path="exporter", hash=leaf_only.hex())
    fails(rebuilt(items, SCHEMA_V2), "digest-mismatch")


def test_read_disclosure_types_the_values(committed: CommittedCertificate) -> None:
    found = read_disclosure(
        disclose(committed, ["goods_items[0].gross_mass_kg", "validity.issue_date"]),
        require=["validity.issue_date"],
        expected=committed.digest,
    )
    assert str(found.values["goods_items[0].gross_mass_kg"]) == "12.5"
    assert found.values["validity.issue_date"].isoformat() == "2026-11-01"


def test_required_path_must_be_revealed(committed: CommittedCertificate) -> None:
    with pytest.raises(DisclosureInvalid, match="path-not-revealed"):
        verify_disclosure(disclose(committed, ["number"]), require=["exporter.name"])


def test_disclosure_round_trips_through_canonical_json(committed: CommittedCertificate) -> None:
    disclosure = disclose(committed, ["number", "goods_items[2]"])
    assert parse_disclosure(disclosure_bytes(disclosure)) == disclosure


def test_wrong_digest_is_reported(committed: CommittedCertificate) -> None:
    other = commit(certificate(remarks="amended"), rng=seeded(), schema_id=committed.schema_id)
    fails(disclose(other, ["number"]), "digest-mismatch")


# -------------------------------------------------------------------- attacks


def test_added_field_outside_the_schema_is_refused(committed: CommittedCertificate) -> None:
    d = disclose(committed, ["goods_items[0].packages"])
    extra = RevealedLeaf(path="goods_items[0].price", type="string", value="1", salt="ab" * 32)
    items = leaves(d)
    items.insert(index_of(d, "goods_items[0].packages") + 1, extra)
    fails(rebuilt(items, committed.schema_id), "path-unknown")


def test_added_leaf_at_a_schema_path_is_refused(committed: CommittedCertificate) -> None:
    # A second "number" leaf: the issuer-side "duplicated key" — two values for one path.
    d = disclose(committed, ["number"])
    items = leaves(d)
    twin = RevealedLeaf(path="number", type="string", value="FAKE-1", salt="cd" * 32)
    items.insert(index_of(d, "number") + 1, twin)
    fails(rebuilt(items, committed.schema_id), "shape-invalid")


def test_removed_leaf_is_refused(committed: CommittedCertificate) -> None:
    d = disclose(committed, [])
    items = leaves(d)
    del items[index_of(d, "remarks")]
    fails(rebuilt(items, committed.schema_id), "shape-invalid")


def test_removed_array_element_is_refused(committed: CommittedCertificate) -> None:
    # Hiding that an item exists: drop goods_items[2] and everything below it.
    d = disclose(committed, ["goods_items"])
    items = [leaf for leaf in leaves(d) if not leaf.path.startswith("goods_items[2]")]
    fails(rebuilt(items, committed.schema_id), "shape-invalid")  # the revealed length still says 3


def test_string_for_integer_is_refused(committed: CommittedCertificate) -> None:
    d = disclose(committed, ["goods_items[0].packages"])
    items = leaves(d)
    i = index_of(d, "goods_items[0].packages")
    leaf = items[i]
    assert isinstance(leaf, RevealedLeaf) and leaf.value == 4
    items[i] = leaf.model_copy(update={"type": LeafType.string, "value": "4"})
    fails(rebuilt(items, committed.schema_id), "type-mismatch")
    items[i] = leaf.model_copy(update={"value": "4"})
    fails(rebuilt(items, committed.schema_id), "value-invalid")
    items[i] = leaf.model_copy(update={"value": True})
    fails(rebuilt(items, committed.schema_id), "value-invalid")
    items[i] = leaf.model_copy(update={"value": 10**5000})
    fails(rebuilt(items, committed.schema_id), "value-invalid")


def test_date_as_string_is_refused(committed: CommittedCertificate) -> None:
    d = disclose(committed, ["validity.issue_date"])
    items = leaves(d)
    i = index_of(d, "validity.issue_date")
    items[i] = items[i].model_copy(update={"type": LeafType.string})
    fails(rebuilt(items, committed.schema_id), "type-mismatch")


def test_type_tag_separates_equal_texts() -> None:
    salt, path = b"\x01" * 32, parse_path("number")
    as_text = cm._leaf_hash(path, LeafType.string, b"1", salt)
    assert as_text != cm._leaf_hash(path, LeafType.integer, b"1", salt)
    assert cm._leaf_hash(path, LeafType.string, b"2024-01-01", salt) != cm._leaf_hash(
        path, LeafType.date, b"2024-01-01", salt
    )


def test_non_canonical_decimal_is_refused(committed: CommittedCertificate) -> None:
    d = disclose(committed, ["goods_items[0].gross_mass_kg"])
    items = leaves(d)
    i = index_of(d, "goods_items[0].gross_mass_kg")
    for spelling in ("12.50", "1.25E+1", "+12.5", "12.5 "):
        items[i] = items[i].model_copy(update={"value": spelling})
        fails(rebuilt(items, committed.schema_id), "value-invalid")


def test_reordered_array_elements_change_the_digest(committed: CommittedCertificate) -> None:
    cert = certificate()
    swapped = cert.model_copy(
        update={"goods_items": [cert.goods_items[1], cert.goods_items[0], cert.goods_items[2]]}
    )
    # model_copy skips validation (sequences now read 2, 1, 3), so the swap reaches commit.
    assert (
        commit(certificate(), rng=seeded(), schema_id=committed.schema_id).digest
        == committed.digest
    )
    assert commit(swapped, rng=seeded(), schema_id=committed.schema_id).digest != committed.digest


def test_reordered_leaves_in_a_disclosure_are_refused(committed: CommittedCertificate) -> None:
    d = disclose(committed, ["goods_items"])
    items = leaves(d)
    first = [leaf for leaf in items if leaf.path.startswith("goods_items[0]")]
    second = [leaf for leaf in items if leaf.path.startswith("goods_items[1]")]
    start = items.index(first[0])
    items[start : start + len(first) + len(second)] = second + first
    fails(rebuilt(items, committed.schema_id), "shape-invalid")


def test_values_moved_between_elements_do_not_verify(committed: CommittedCertificate) -> None:
    # Keep the paths, swap what is revealed under them: the paths are hashed.
    d = disclose(committed, ["goods_items[0].quantity.value", "goods_items[1].quantity.value"])
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
    fails(rebuilt(items, committed.schema_id), "digest-mismatch")


def test_relabelled_hidden_leaf_does_not_verify() -> None:
    # The digest binds every path, hidden ones included.
    pairs = [(parse_path(leaf.path), leaf.hash) for leaf in COMMITTED.leaves]
    relabelled = list(pairs)
    relabelled[0] = (parse_path("certificate_type"), pairs[0][1])
    assert cm._digest(relabelled) != cm._digest(pairs)


def test_duplicated_key_in_disclosure_json_is_refused(committed: CommittedCertificate) -> None:
    raw = disclosure_bytes(disclose(committed, ["number"]))
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


def test_null_object_with_fields_is_refused(committed: CommittedCertificate) -> None:
    # Reveal "transport" as null while its fields stay in the list.
    d = disclose(committed, ["transport.mode"])
    items = leaves(d)
    i = index_of(d, "transport")
    items[i] = RevealedLeaf(path="transport", type="null", value=None, salt="ef" * 32)
    fails(rebuilt(items, committed.schema_id), "shape-invalid")


def test_empty_array_cannot_claim_elements_or_be_null(committed: CommittedCertificate) -> None:
    d = disclose(committed, ["transport.transit_countries"])
    items = leaves(d)
    i = index_of(d, "transport.transit_countries")
    leaf = items[i]
    items[i] = leaf.model_copy(update={"value": 1})
    fails(rebuilt(items, committed.schema_id), "shape-invalid")
    items[i] = leaf.model_copy(update={"type": LeafType.null, "value": None})
    fails(
        rebuilt(items, committed.schema_id), "type-mismatch"
    )  # the schema's array is not nullable


def test_dropping_an_empty_array_is_refused(committed: CommittedCertificate) -> None:
    d = disclose(committed, ["transport.mode"])
    items = leaves(d)
    del items[index_of(d, "transport.transit_countries")]
    fails(rebuilt(items, committed.schema_id), "shape-invalid")


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
def test_path_injection_is_refused(path: str, committed: CommittedCertificate) -> None:
    d = disclose(committed, ["exporter.country", "goods_items[0].hs_code"])
    items = leaves(d)
    i = index_of(d, "exporter.name")
    items[i] = items[i].model_copy(update={"path": path})
    with pytest.raises(DisclosureInvalid) as info:
        verify_disclosure(rebuilt(items, committed.schema_id))
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


def test_reused_salt_in_a_disclosure_is_refused(committed: CommittedCertificate) -> None:
    d = disclose(committed, ["number", "remarks"])
    items = leaves(d)
    i, j = index_of(d, "number"), index_of(d, "remarks")
    items[j] = items[j].model_copy(update={"salt": items[i].salt})
    fails(rebuilt(items, committed.schema_id), "salt-reused")


@pytest.mark.parametrize("salt", ["ab" * 16, "AB" * 32, "zz" * 32, ""])
def test_short_or_non_canonical_salt_is_refused(salt: str, committed: CommittedCertificate) -> None:
    d = disclose(committed, ["number"])
    items = leaves(d)
    i = index_of(d, "number")
    items[i] = items[i].model_copy(update={"salt": salt})
    fails(rebuilt(items, committed.schema_id), "salt-invalid")


def test_unknown_schema_is_refused() -> None:
    d = disclose(COMMITTED, ["number"]).model_copy(update={"schema_id": "smartcustoms/eco/0"})
    with pytest.raises(DisclosureInvalid) as info:
        verify_disclosure(d)
    assert info.value.reason == "schema-unknown"


def test_floats_in_disclosure_json_are_refused(committed: CommittedCertificate) -> None:
    raw = disclosure_bytes(disclose(committed, ["goods_items[0].packages"]))
    with pytest.raises(DisclosureInvalid, match="malformed"):
        parse_disclosure(raw.replace(b'"value":4', b'"value":4.0', 1))


# ----------------------------------------------------------------- properties


@pytest.mark.parametrize("schema_id", SCHEMA_IDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(st.sampled_from(PATHS)))
def test_any_subset_disclosure_verifies_to_the_same_digest(schema_id: str, paths: set[str]) -> None:
    committed = BY_SCHEMA[schema_id]
    disclosure = parse_disclosure(disclosure_bytes(disclose(committed, sorted(paths))))
    assert verify_disclosure(disclosure) == committed.digest


SMALL = {s: commit(certificate(items=1), rng=seeded(3), schema_id=s) for s in SCHEMA_IDS}
SMALL_BYTES = {
    s: disclosure_bytes(disclose(c, ["number", "goods_items[0]", "validity"]))
    for s, c in SMALL.items()
}


@pytest.mark.parametrize("schema_id", SCHEMA_IDS)
@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_single_byte_change_fails(schema_id: str, data: st.DataObject) -> None:
    original = SMALL_BYTES[schema_id]
    position = data.draw(st.integers(0, len(original) - 1))
    changed = bytearray(original)
    changed[position] = (changed[position] + data.draw(st.integers(1, 255))) % 256
    try:
        digest = verify_disclosure(parse_disclosure(bytes(changed)))
    except DisclosureInvalid:
        return
    assert digest != SMALL[schema_id].digest
