"""Valuation bands over HTTP: an analyst fits them, staff read them, and a submitted
declaration's items are read against them on submission."""

from __future__ import annotations

import types
from typing import Any

URL = "/api/v1/valuation/bands"


def priced(kit: types.SimpleNamespace, reference: str, router_price: float) -> dict[str, Any]:
    data = kit.variant(reference)
    data["items"][0]["price"]["amount"] = f"{router_price:.2f}"
    data["invoice_total"]["amount"] = f"{router_price + 5600:.2f}"  # item 2 costs 5,600
    return data


def test_fit_read_and_findings_on_submission(api: Any, kit: types.SimpleNamespace) -> None:
    for i in range(22):
        assert api.submit(priced(kit, f"H-{i}", 17_000 + 100 * i)).status_code == 201
    kit.assert_problem(api.client.post(URL, headers=api.auth("officer"), json={}), 403,
                       "permission-denied")
    fitted = api.client.post(URL, headers=api.auth("analyst"), json={"min_count": 20})
    assert fitted.status_code == 201, fitted.text
    assert fitted.json()["checked"] == {"items": 44, "below_band": 0, "with_band": 44}
    assert fitted.json()["bands"]["summary"] == {"USD": {"rows": 44, "bands": 4}}

    bands = api.client.get(URL + "/8517.62", headers=api.auth("officer"),
                           params={"origin": "cn"}).json()
    assert {b["level"] for b in bands} == {"hs6_origin", "hs6"}
    kit.assert_problem(api.client.get(URL + "/85176", headers=api.auth("officer")), 422,
                       "invalid-input")
    kit.assert_problem(api.client.get(URL + "/851762", headers=api.auth("trader")), 403,
                       "permission-denied")

    cheap = api.submit(priced(kit, "CHEAP", 3_000))
    assert cheap.status_code == 201, cheap.text
    readings = api.client.get(f"/api/v1/declarations/{cheap.json()['id']}/valuation",
                              headers=api.auth("officer")).json()
    assert [(r["item_sequence"], r["below_band"]) for r in readings] == [(1, True), (2, False)]
    assert "Art. 7.2" in readings[0]["message"]
    versions = api.client.get(URL, headers=api.auth("officer")).json()
    assert [v["status"] for v in versions] == ["active"]
