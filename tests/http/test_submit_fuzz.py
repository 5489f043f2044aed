"""Property: whatever JSON a trader POSTs as a declaration, the answer is never a 500,
every refusal is a problem+json 4xx, and a refused submission writes nothing.

SQLite only; one app for the module (the properties hold per request).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade
from smartcustoms.declarations.models import (
    Address,
    DeclarationCreate,
    DocumentReference,
    GoodsItem,
    Money,
    Party,
    Quantity,
)
from smartcustoms.http import create_app
from smartcustoms.identity import SYSTEM, Role, create_user

VECTOR = json.loads((Path(__file__).resolve().parents[1] / "vectors" /
                     "declaration_full.json").read_text(encoding="utf-8"))
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
URL = "/api/v1/declarations"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Env:
    def __init__(self, client: TestClient, engine: Engine, tokens: dict[str, str]) -> None:
        self.client, self.engine, self.tokens = client, engine, tokens

    def counts(self) -> tuple[int, int, int]:
        with self.engine.connect() as conn:
            return tuple(conn.execute(text(  # type: ignore[return-value]
                "SELECT (SELECT count(*) FROM declarations), "
                "(SELECT count(*) FROM declaration_items), (SELECT count(*) FROM audit_log)"
            )).one())

    def post(self, user: str, body: bytes) -> Any:
        return self.client.post(URL, content=body, headers={
            "Authorization": f"Bearer {self.tokens[user]}", "content-type": "application/json"})


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    cfg = Settings(data_dir=tmp_path_factory.mktemp("fuzz") / "data", environment="test")
    engine = make_engine(cfg)
    upgrade(engine)
    with unit_of_work(session_factory(engine)) as s:
        # 'outsider' acts for a company no generated declaration names; 'importer' for the
        # vector's importer, so near-valid mutations get as far as storage.
        for name, company in (("outsider", "ZZOUTSIDER0001"), ("importer", "DE9876543210987")):
            create_user(s, username=name, password="fuzzing-password", role=Role.trader,
                        company_id=company, display_name=None, actor=SYSTEM, now=NOW)
    app = create_app(cfg, console=False, clock=lambda: NOW)
    with TestClient(app, raise_server_exceptions=False) as client:
        tokens = {}
        for name in ("outsider", "importer"):
            r = client.post("/api/v1/auth/token",
                            data={"username": name, "password": "fuzzing-password"})
            tokens[name] = r.json()["access_token"]
        assert client.post(URL, json=VECTOR, headers={
            "Authorization": f"Bearer {tokens['importer']}"}).status_code == 201
        yield Env(client, engine, tokens)
    app.state.ctx.engine.dispose()
    engine.dispose()


# --- strategies ------------------------------------------------------------------------------

SCALARS = (st.none() | st.booleans() | st.integers()
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
# Values a real client might send: near misses of valid ones reach the deeper rules.
PLAUSIBLE = st.sampled_from([
    "CN", "DE", "XY", "cn", "USD", "EUR", "ABC", "usd", "H87", "KGM", "CIF", "XXX",
    "851762", "8517.62", "85176200", "999999", "851700", "12", "2026-11-18", "2026-11-30",
    "1987-12-31", "2026-02-30", "0", "-1", "1e3", "0.0000001", "1E+30", "", " ", "full",
    "low_value", "declarant", "importer", "CSQU3054383", "CSQU3054384", "IM", "1", 0, 1, -1,
    9999, 10000, 1.5, 1e30, "24000.00", "622", 50,
])
JSON = st.recursive(
    SCALARS | PLAUSIBLE,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def _shaped(model: Any, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts with the model's real field names and arbitrary values."""
    return st.dictionaries(st.sampled_from(sorted(model.model_fields)), values, max_size=8)


LEAF = JSON | PLAUSIBLE
NESTED = (LEAF | _shaped(Money, LEAF) | _shaped(Quantity, LEAF) | _shaped(Address, LEAF)
          | _shaped(DocumentReference, LEAF) | st.lists(_shaped(DocumentReference, LEAF),
                                                        max_size=2))
FIELD_DICTS = st.builds(
    lambda head, parties, items: {**head, **({"parties": parties} if parties else {}),
                                  **({"items": items} if items else {})},
    _shaped(DeclarationCreate, NESTED),
    st.none() | st.lists(_shaped(Party, NESTED), max_size=3),
    st.none() | st.lists(_shaped(GoodsItem, NESTED), max_size=3),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutations(draw: st.DrawFn) -> Any:
    """The valid vector with 1-3 keys dropped or values replaced by random JSON."""
    data = copy.deepcopy(VECTOR)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(LEAF)
        if not isinstance(data, dict) or not data:
            break
    return data


def _with_reference(data: Any, reference: str) -> Any:
    if isinstance(data, dict):
        data["reference"] = reference
    return data


# Mutations under a fresh LRN: those still valid are stored, exercising the write path.
FRESH = st.builds(_with_reference, mutations(), st.text(min_size=1, max_size=35))
BODIES = JSON | FIELD_DICTS | mutations()


# --- properties ------------------------------------------------------------------------------

def _assert_problem(r: Any, body: Any) -> dict[str, Any]:
    assert 400 <= r.status_code < 500, (r.status_code, r.text, body)
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert set(problem) >= PROBLEM_KEYS, problem
    assert problem["status"] == r.status_code
    assert problem["type"] == f"/problems/{problem['code']}"
    for error in problem.get("errors", []):
        assert set(error) == {"field", "message", "value"}
    return problem  # type: ignore[no-any-return]


@FUZZ
@given(body=BODIES)
def test_outsider_submissions_are_always_refused_with_a_problem(env: Env, body: Any) -> None:
    before = env.counts()
    r = env.post("outsider", json.dumps(body).encode())
    problem = _assert_problem(r, body)
    event(problem["code"])
    assert problem["code"] in {"declaration-invalid", "permission-denied", "malformed-json",
                               "payload-too-large"}, problem
    assert env.counts() == before


@FUZZ
@given(body=mutations() | FRESH | FIELD_DICTS)
def test_importer_submissions_never_500_and_refusals_write_nothing(env: Env, body: Any) -> None:
    before = env.counts()
    r = env.post("importer", json.dumps(body).encode())
    event(f"HTTP {r.status_code}")  # --hypothesis-show-statistics: how far bodies got
    assert r.status_code < 500, (r.text, body)
    after = env.counts()
    if r.status_code >= 400:
        _assert_problem(r, body)
        assert after == before
        return
    assert r.status_code in (200, 201), r.text
    stored = r.json()
    assert stored["status"] == "submitted"
    new = after[0] - before[0]
    assert new == (1 if r.status_code == 201 else 0)  # 200: a replay of what is stored
    assert after[2] - before[2] == new  # one audit entry per stored declaration
    assert after[1] - before[1] == new * len(stored["declared"]["items"])


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_arbitrary_bytes_are_refused_with_a_problem(env: Env, raw: bytes) -> None:
    before = env.counts()
    r = env.post("outsider", raw)
    _assert_problem(r, raw)
    assert env.counts() == before
