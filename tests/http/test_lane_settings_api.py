"""Lane settings over HTTP: read by staff, changed by supervisors, versions, roll back,
invalid input as problem details naming the field."""

from __future__ import annotations

import types
from typing import Any

import pytest

from smartcustoms.risk.lane_store import load_lane_settings

URL = "/api/v1/risk/lane-settings"
MORE_RED = {"seed": 5, "random_rate": 0.03, "policy": "duty",
            "capacity": {"red": {"count": 8}, "yellow": {"share": 0.05},
                         "blue": {"share": 0.1}},
            "offices": {"30": {"red": {"count": 2}}}}


def test_a_supervisor_saves_settings_reads_them_and_goes_back(api: Any) -> None:
    supervisor, officer = api.auth("supervisor"), api.auth("officer")
    default = api.client.get(URL, headers=officer)
    assert default.status_code == 200, default.text
    assert default.json()["id"] is None
    assert default.json()["sha256"] == load_lane_settings().digest()

    saved = api.client.put(URL, json={**MORE_RED, "note": "office 30 short-staffed"},
                           headers=supervisor)
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert (body["id"], body["active"], body["author"]) == (2, True, "supervisor")
    assert body["note"] == "office 30 short-staffed"
    assert body["settings"]["capacity"]["red"] == {"share": None, "count": 8}
    assert body["settings"]["offices"] == {"30": {"red": {"share": None, "count": 2}}}
    same = api.client.put(URL, json=MORE_RED, headers=supervisor)
    assert (same.status_code, same.json()["id"]) == (200, 2)  # nothing added

    current = api.client.get(URL, headers=officer).json()
    assert current["id"] == 2 and current["sha256"] == body["sha256"]
    history = api.client.get(f"{URL}/history", headers=officer).json()
    assert [(v["id"], v["active"]) for v in history] == [(2, True), (1, False)]

    back = api.client.post(f"{URL}/1/activate", headers=api.auth("admin"))
    assert back.status_code == 200, back.text
    assert (back.json()["id"], back.json()["activated_by"]) == (1, "admin")
    assert api.client.get(URL, headers=officer).json()["sha256"] == default.json()["sha256"]
    assert api.count("audit_log WHERE action LIKE 'lane-settings.%'") == 2


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"random_rate": 1.5}, "body.random_rate", "less than or equal to 1"),
    ({"policy": "luck"}, "body.policy", "'probability' or 'duty'"),
    ({"capacity": {"red": {"share": 0.1, "count": 2}}}, "body.capacity.red",
     "exactly one of share or count"),
    ({"capacity": {"green": {"share": 0.5}}}, "body.capacity",
     "green is what is left"),
    ({"offices": {"30": {"red": {"count": -1}}}}, "body.offices.30.red.count",
     "greater than or equal to 0"),
    ({"capcity": {}}, "body.capcity", "Extra inputs are not permitted"),
    ({"note": "n" * 4001}, "body.note", "at most 4000 characters"),
])
def test_invalid_settings_are_a_422_naming_the_field(
        api: Any, kit: types.SimpleNamespace, change: dict[str, Any], field: str,
        message: str) -> None:
    response = api.client.put(URL, json={**MORE_RED, **change}, headers=api.auth("supervisor"))
    body = kit.assert_problem(response, 422, "invalid-input")
    assert body["errors"][0]["field"] == field, body
    assert message in body["errors"][0]["message"]
    assert api.count("lane_settings") == 0


def test_who_may_read_and_who_may_change(api: Any, kit: types.SimpleNamespace) -> None:
    for user in ("officer", "analyst"):
        kit.assert_problem(api.client.put(URL, json=MORE_RED, headers=api.auth(user)),
                           403, "permission-denied")
    kit.assert_problem(api.client.get(URL, headers=api.auth("trader")), 403,
                       "permission-denied")
    kit.assert_problem(api.client.get(f"{URL}/history", headers=api.auth("trader")), 403,
                       "permission-denied")
    kit.assert_problem(api.client.get(URL), 401, "authentication-failed")
    kit.assert_problem(api.client.post(f"{URL}/1/activate", headers=api.auth("officer")),
                       403, "permission-denied")
    body = kit.assert_problem(api.client.post(f"{URL}/4/activate",
                                              headers=api.auth("supervisor")),
                              404, "not-found")
    assert body["detail"] == "no lane settings version 4"
    kit.assert_problem(api.client.post(f"{URL}/one/activate", headers=api.auth("supervisor")),
                       422, "invalid-input")
