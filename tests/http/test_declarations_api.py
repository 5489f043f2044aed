"""Declarations over HTTP: submit, read, list, idempotency, isolation, precise 422s."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

URL = "/api/v1/declarations"


def _expected_id(declarant: str, reference: str) -> str:
    return hashlib.blake2b(f"{declarant}\x1f{reference}".encode(), digest_size=16).hexdigest()


def _audit_actions(api: Any) -> list[tuple[str, str]]:
    with api.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            text("SELECT actor, action FROM audit_log ORDER BY seq"))]


# --- submit and read -----------------------------------------------------------------------

def test_submit_the_vector_then_read_it_back(api: Any, kit: SimpleNamespace) -> None:
    r = api.submit(kit.vector())
    assert r.status_code == 201, r.text
    stored = r.json()
    assert stored["id"] == _expected_id(kit.DECLARANT, "LRN-2026-000123")
    assert stored["status"] == "submitted"
    assert stored["created_at"] == "2026-11-20T09:30:00Z"
    assert stored["import_run_id"] is None
    assert stored["absent_in_source"] == []
    assert len(stored["content_digest"]) == 64
    declared = stored["declared"]
    assert declared["reference"] == "LRN-2026-000123"
    assert declared["declaration_date"] == "2026-11-18"
    assert [i["hs_code"] for i in declared["items"]] == ["851762", "850760"]  # '8517.62'
    assert declared["items"][0]["price"] == {"amount": "18400.00", "currency": "USD"}
    assert declared["containers"] == ["CSQU3054383"]
    assert declared["invoice_total"] == {"amount": "24000.00", "currency": "USD"}
    assert [p["role"] for p in declared["parties"]] == [
        "declarant", "importer", "exporter", "seller"]

    got = api.client.get(f"{URL}/{stored['id']}", headers=api.auth("trader"))
    assert got.status_code == 200
    assert got.json() == stored
    assert api.count("declarations") == 1
    assert api.count("declaration_items") == 2
    assert _audit_actions(api)[-1] == ("trader", "declaration.submit")


def test_resubmitting_is_idempotent(api: Any, kit: SimpleNamespace) -> None:
    first = api.submit(kit.vector())
    audit_after_first = api.count("audit_log")
    api.clock.advance(hours=1)
    again = api.submit(kit.vector())
    assert again.status_code == 200  # a replay, not a new declaration
    assert again.json() == first.json()  # same id, same created_at: nothing new
    assert api.count("declarations") == 1
    assert api.count("audit_log") == audit_after_first
    # Equivalent spellings of the same content are the same declaration.
    respelled = kit.vector()
    respelled["items"][0]["hs_code"] = "851762"  # the vector says '8517.62'
    respelled["invoice_total"]["currency"] = "usd"
    assert api.submit(respelled).json()["id"] == first.json()["id"]
    assert api.count("declarations") == 1


def test_same_lrn_with_other_content_is_a_conflict(api: Any, kit: SimpleNamespace) -> None:
    api.submit(kit.vector())
    changed = kit.vector()
    changed["items"][1]["description"] = "Lithium-ion battery packs for phones"
    r = api.submit(changed)
    body = kit.assert_problem(r, 409, "conflict")
    assert body["detail"] == (f"declarant {kit.DECLARANT} has already lodged reference "
                              "'LRN-2026-000123' with different content")
    assert body["errors"] == [{"field": "reference", "message": body["detail"],
                               "value": "LRN-2026-000123"}]
    assert api.count("declarations") == 1
    # The first version is what is stored.
    stored = api.client.get(f"{URL}/{_expected_id(kit.DECLARANT, 'LRN-2026-000123')}",
                            headers=api.auth("trader")).json()
    assert stored["declared"]["items"][1]["description"] == (
        "Lithium-ion battery packs for laptops")


def test_the_lrn_is_unique_per_declarant_only(api: Any, kit: SimpleNamespace) -> None:
    a = api.submit(kit.vector())
    b = api.submit(kit.variant("LRN-2026-000123", declarant="DE1111111111111"))
    assert (a.status_code, b.status_code) == (201, 201)
    assert b.json()["id"] == _expected_id("DE1111111111111", "LRN-2026-000123") != a.json()["id"]
    assert api.count("declarations") == 2


def test_admin_may_submit_for_anyone(api: Any, kit: SimpleNamespace) -> None:
    r = api.submit(kit.vector(), as_user="admin")
    assert r.status_code == 201
    assert _audit_actions(api)[-1] == ("admin", "declaration.submit")


# --- who may do what -----------------------------------------------------------------------

@pytest.mark.parametrize("username", ["officer", "analyst", "supervisor"])
def test_staff_cannot_submit(api: Any, kit: SimpleNamespace, username: str) -> None:
    body = kit.assert_problem(api.submit(kit.vector(), as_user=username), 403,
                              "permission-denied")
    assert body["detail"] == f"role '{username}' lacks the permission 'declarations:submit'"
    assert api.count("declarations") == 0


def test_trader_cannot_submit_for_another_company(api: Any, kit: SimpleNamespace) -> None:
    api.auth("other-trader")  # log in first: that writes audit entries of its own
    before = api.count("audit_log")
    body = kit.assert_problem(api.submit(kit.vector(), as_user="other-trader"), 403,
                              "permission-denied")
    assert body["detail"] == (f"company {kit.OTHER_COMPANY} is neither the declarant nor the "
                              "importer of this declaration")
    assert body["errors"] == [{"field": "parties", "message": body["detail"],
                               "value": [kit.DECLARANT, kit.IMPORTER]}]
    assert api.count("declarations") == 0
    assert api.count("audit_log") == before


def test_no_token_is_a_401_problem(api: Any, kit: SimpleNamespace) -> None:
    for r in (api.client.post(URL, json=kit.vector()), api.client.get(URL),
              api.client.get(f"{URL}/abc")):
        body = kit.assert_problem(r, 401, "authentication-failed")
        assert body["detail"] == "log in first: send 'Authorization: Bearer <token>'"
        assert r.headers["www-authenticate"] == "Bearer"
    assert api.count("declarations") == 0


@pytest.fixture
def two_companies(api: Any, kit: SimpleNamespace) -> tuple[str, str]:
    """One declaration of the vector's companies, one of another company: their ids."""
    mine = api.submit(kit.vector())
    theirs = api.submit(kit.variant("LRN-OTHER-1", importer=kit.OTHER_COMPANY,
                                    declarant=kit.OTHER_COMPANY), as_user="other-trader")
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.text
    return mine.json()["id"], theirs.json()["id"]


def test_traders_read_only_their_companys_declarations(
    api: Any, kit: SimpleNamespace, two_companies: tuple[str, str],
) -> None:
    mine, theirs = two_companies
    # The other company's trader: not found, exactly like an id that does not exist.
    r = api.client.get(f"{URL}/{mine}", headers=api.auth("other-trader"))
    body = kit.assert_problem(r, 404, "not-found")
    assert body["detail"] == f"no declaration {mine}"
    missing = api.client.get(f"{URL}/{'0' * 32}", headers=api.auth("other-trader"))
    assert kit.assert_problem(missing, 404, "not-found")["detail"] == f"no declaration {'0' * 32}"
    assert api.client.get(f"{URL}/{theirs}", headers=api.auth("trader")).status_code == 404
    # The importer's trader and the declarant's broker both read it; staff read all.
    for user in ("trader", "broker"):
        assert api.client.get(f"{URL}/{mine}", headers=api.auth(user)).status_code == 200
    for user in ("officer", "analyst", "supervisor", "admin"):
        assert api.client.get(f"{URL}/{mine}", headers=api.auth(user)).status_code == 200
        assert api.client.get(f"{URL}/{theirs}", headers=api.auth(user)).status_code == 200
        listed = api.client.get(URL, headers=api.auth(user)).json()
        assert (listed["total"], sorted(s["id"] for s in listed["items"])) == (
            2, sorted([mine, theirs]))


def test_traders_list_only_their_companys_declarations(
    api: Any, kit: SimpleNamespace, two_companies: tuple[str, str],
) -> None:
    mine, theirs = two_companies
    listed = api.client.get(URL, headers=api.auth("other-trader")).json()
    assert (listed["total"], [s["id"] for s in listed["items"]]) == (1, [theirs])
    # A filter for the other company's importer does not widen a trader's view.
    listed = api.client.get(URL, params={"importer_id": kit.IMPORTER},
                            headers=api.auth("other-trader")).json()
    assert listed["total"] == 0 and listed["items"] == []
    for user in ("trader", "broker"):
        listed = api.client.get(URL, headers=api.auth(user)).json()
        assert (listed["total"], [s["id"] for s in listed["items"]]) == (1, [mine])


# --- listing -------------------------------------------------------------------------------

@pytest.fixture
def four(api: Any, kit: SimpleNamespace) -> dict[str, str]:
    """Four declarations of one importer; returns LRN -> id."""
    specs = {
        "LRN-A": {"date": "2026-11-18", "hs": ("851762", "850760"), "origin": "CN"},
        "LRN-B": {"date": "2026-10-01", "hs": ("847130", "850760"), "origin": "DE"},
        "LRN-C": {"date": "2026-09-15", "hs": ("620342", "640399"), "origin": "VN"},
        "LRN-D": {"date": "2026-11-01", "hs": ("851762", "851713"), "origin": "CN"},
    }
    ids = {}
    for lrn, spec in specs.items():
        r = api.submit(kit.variant(lrn, **spec))
        assert r.status_code == 201, r.text
        ids[lrn] = r.json()["id"]
    return ids


def _list(api: Any, user: str = "officer", **params: Any) -> tuple[int, list[str]]:
    r = api.client.get(URL, params=params, headers=api.auth(user))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["limit"] == params.get("limit", 50)
    assert body["offset"] == params.get("offset", 0)
    return body["total"], [s["reference"] for s in body["items"]]


def test_list_newest_first_with_summaries(api: Any, four: dict[str, str]) -> None:
    r = api.client.get(URL, headers=api.auth("officer"))
    body = r.json()
    assert body["total"] == 4
    assert [s["reference"] for s in body["items"]] == ["LRN-A", "LRN-D", "LRN-B", "LRN-C"]
    c = body["items"][3]
    assert c == {
        "id": four["LRN-C"], "reference": "LRN-C", "profile": "full",
        "declaration_date": "2026-09-15", "office": "DEHAM1",
        "declarant_id": "DE1234567890123", "importer_id": "DE9876543210987",
        "item_count": 2, "first_hs_code": "620342", "origin_countries": ["VN"],
        "created_at": "2026-11-20T09:30:00Z", "status": "submitted",
    }


@pytest.mark.parametrize(("params", "expected"), [
    ({"hs_prefix": "8517"}, (2, ["LRN-A", "LRN-D"])),
    ({"hs_prefix": "85"}, (3, ["LRN-A", "LRN-D", "LRN-B"])),
    ({"hs_prefix": "850760"}, (2, ["LRN-A", "LRN-B"])),
    ({"hs_prefix": "6203"}, (1, ["LRN-C"])),
    ({"hs_prefix": "01"}, (0, [])),
    ({"origin": "cn"}, (2, ["LRN-A", "LRN-D"])),
    ({"origin": "VN"}, (1, ["LRN-C"])),
    ({"origin": "CN", "hs_prefix": "8471"}, (0, [])),
    ({"date_from": "2026-10-01", "date_to": "2026-11-01"}, (2, ["LRN-D", "LRN-B"])),
    ({"date_from": "2026-11-02"}, (1, ["LRN-A"])),
    ({"date_to": "2026-09-15"}, (1, ["LRN-C"])),
    ({"reference": "LRN-"}, (4, ["LRN-A", "LRN-D", "LRN-B", "LRN-C"])),
    ({"reference": "LRN-C"}, (1, ["LRN-C"])),
    ({"reference": "LRN_"}, (0, [])),  # '_' is a literal, not a LIKE wildcard
    ({"importer_id": "DE9876543210987", "office": "DEHAM1"}, (4, ["LRN-A", "LRN-D", "LRN-B",
                                                                 "LRN-C"])),
    ({"office": "FRPAR1"}, (0, [])),
    ({"limit": 2}, (4, ["LRN-A", "LRN-D"])),
    ({"limit": 2, "offset": 2}, (4, ["LRN-B", "LRN-C"])),
    ({"limit": 3, "offset": 3}, (4, ["LRN-C"])),
    ({"limit": 2, "offset": 4}, (4, [])),
    ({"hs_prefix": "85", "limit": 1, "offset": 1}, (3, ["LRN-D"])),
])
def test_list_filters_and_pagination(
    api: Any, four: dict[str, str], params: dict[str, Any], expected: tuple[int, list[str]],
) -> None:
    assert _list(api, **params) == expected


@pytest.mark.parametrize(("params", "field"), [
    ({"hs_prefix": "85a"}, "query.hs_prefix"),
    ({"hs_prefix": "12345678901"}, "query.hs_prefix"),
    ({"origin": "CHN"}, "query.origin"),
    ({"limit": 0}, "query.limit"),
    ({"limit": 501}, "query.limit"),
    ({"offset": -1}, "query.offset"),
    ({"date_from": "2026-13-01"}, "query.date_from"),
    ({"import_run_id": "x"}, "query.import_run_id"),
])
def test_list_rejects_bad_filters(
    api: Any, kit: SimpleNamespace, params: dict[str, Any], field: str,
) -> None:
    r = api.client.get(URL, params=params, headers=api.auth("officer"))
    body = kit.assert_problem(r, 422, "invalid-input")
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["errors"][0]["value"] == str(next(iter(params.values())))


# --- invalid declarations: one 422 naming every bad field --------------------------------

def _set(data: dict[str, Any], path: str, value: Any) -> None:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    node: Any = data
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value


INVALID = {
    "bad HS format": (
        [("items.0.hs_code", "8517.6")],
        [("items[0].hs_code", "must be 6, 8 or 10 digits (HS subheading plus national digits), "
          "dots allowed, e.g. '8517.62' or '85176200'", "8517.6")],
    ),
    "HS code not in HS 2022": (
        [("items.1.hs_code", "851700")],
        [("items[1].hs_code", "HS 2022 has no subheading 8517.00", "851700")],
    ),
    "container check digit": (
        [("containers", ["CSQU3054384"])],
        [("containers[0]", "ISO 6346 check digit is wrong: expected 3", "CSQU3054384")],
    ),
    "currency": (
        [("invoice_total.currency", "ABC")],
        [("invoice_total.currency",
          "must be an ISO 4217 currency code such as 'EUR' or 'KRW'", "ABC")],
    ),
    "gross below net": (
        [("items.1.gross_mass_kg", "90")],
        [("items[1].gross_mass_kg", "gross mass must be at least the net mass (95 kg)", "90")],
    ),
    "total gross mass": (
        [("total_gross_mass_kg", "621")],
        [("total_gross_mass_kg", "must equal the sum of the items' gross mass, 622", "621")],
    ),
    "invoice total": (
        [("invoice_total.amount", "25000.00")],
        [("invoice_total.amount", "must equal the sum of the item prices, 24000.00",
          "25000.00")],
    ),
    "unknown field": (
        [("colour", "red")],
        [("colour", "is not a field of the declaration", "red")],
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_declaration_is_a_422_naming_each_field(
    api: Any, kit: SimpleNamespace, case: str,
) -> None:
    changes, expected = INVALID[case]
    data = kit.vector()
    for path, value in changes:
        _set(data, path, value)
    api.auth("trader")
    before = (api.count("declarations"), api.count("audit_log"))
    r = api.submit(data)
    body = kit.assert_problem(r, 422, "declaration-invalid")
    assert body["title"] == "The declaration does not pass validation"
    assert [(e["field"], e["message"], e["value"]) for e in body["errors"]] == expected
    first = expected[0]
    more = f" (and {len(expected) - 1} more)" if len(expected) > 1 else ""
    assert body["detail"] == f"{first[0]} {first[1]}; got {first[2]!r}{more}"
    assert (api.count("declarations"), api.count("audit_log")) == before


def test_missing_importer_in_profile_full(api: Any, kit: SimpleNamespace) -> None:
    data = kit.vector()
    del data["parties"][1]
    body = kit.assert_problem(api.submit(data, as_user="broker"), 422, "declaration-invalid")
    assert body["errors"] == [
        {"field": "parties", "message": "profile 'full' requires an importer", "value": None}]


def test_future_date(api: Any, kit: SimpleNamespace) -> None:
    data = kit.vector()
    data["declaration_date"] = "2026-11-30"
    body = kit.assert_problem(api.submit(data), 422, "declaration-invalid")
    assert body["errors"] == [{"field": "declaration_date",
                               "message": "must not be in the future (today is 2026-11-20)",
                               "value": "2026-11-30"}]
    # One day of slack for traders east of UTC.
    data["declaration_date"] = "2026-11-21"
    assert api.submit(data).status_code == 201


def test_every_error_is_reported_at_once(api: Any, kit: SimpleNamespace) -> None:
    data = kit.vector()
    data["items"][0]["hs_code"] = "85x762"
    data["items"][1]["origin_country"] = "XY"
    data["containers"] = ["CSQU3054384"]
    data["invoice_total"]["currency"] = "ABC"
    del data["office"]
    body = kit.assert_problem(api.submit(data), 422, "declaration-invalid")
    assert sorted(e["field"] for e in body["errors"]) == [
        "containers[0]", "invoice_total.currency", "items[0].hs_code",
        "items[1].origin_country", "office"]
    office = next(e for e in body["errors"] if e["field"] == "office")
    assert office["message"] == "is required"
    origin = next(e for e in body["errors"] if e["field"] == "items[1].origin_country")
    assert origin["value"] == "XY"
    assert body["detail"].endswith("(and 4 more)")


@pytest.mark.parametrize(("body", "field", "message"), [
    ([], "(root)", "Input should be a valid dictionary or instance of DeclarationCreate"),
    ("LRN-1", "(root)", "Input should be a valid dictionary or instance of DeclarationCreate"),
    ({}, "reference", "is required"),
])
def test_non_object_bodies_are_422(
    api: Any, kit: SimpleNamespace, body: Any, field: str, message: str,
) -> None:
    problem = kit.assert_problem(api.submit(body), 422, "declaration-invalid")
    assert (problem["errors"][0]["field"], problem["errors"][0]["message"]) == (field, message)


def test_control_characters_in_text_are_refused_on_every_backend(
    api: Any, kit: SimpleNamespace,
) -> None:
    data = kit.vector()
    data["items"][0]["description"] = "router\u0000model"
    data["parties"][1]["name"] = "Nordlicht\u0007"
    client = TestClient(api.client.app, raise_server_exceptions=False)
    r = client.post(URL, json=data, headers=api.auth("trader"))
    problem = kit.assert_problem(r, 422, "declaration-invalid")
    fields = {e["field"]: e["value"] for e in problem["errors"]}
    assert fields == {"items[0].description": "router\u0000model",
                      "parties[1].name": "Nordlicht\u0007"}
