"""An API under test: the real app on a migrated database (SQLite, and PostgreSQL when set).

Users are created on first use (argon2 is slow on purpose), then logged in through
``POST /api/v1/auth/token`` like any client. Test modules cannot import this file
(``--import-mode=importlib``): its helpers come through the ``kit`` fixture.
"""

from __future__ import annotations

import copy
import json
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from smartcustoms.config import Settings
from smartcustoms.db import session_factory, unit_of_work
from smartcustoms.http import create_app
from smartcustoms.identity import SYSTEM, Role, create_user

VECTOR_PATH = Path(__file__).resolve().parents[1] / "vectors" / "declaration_full.json"
PASSWORD = "s3cret-enough"
DECLARANT = "DE1234567890123"
IMPORTER = "DE9876543210987"
OTHER_COMPANY = "FR5555555555555"
PROBLEM = "application/problem+json"

# username -> (role, company)
USERS: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.admin, None),
    "officer": (Role.officer, None),
    "analyst": (Role.analyst, None),
    "supervisor": (Role.supervisor, None),
    "trader": (Role.trader, IMPORTER),          # the vector's importer
    "broker": (Role.trader, DECLARANT),         # the vector's declarant
    "other-trader": (Role.trader, OTHER_COMPANY),
    "kcs-trader": (Role.trader, "Y3OM027"),    # importer of the first KCS sample row
}


def vector() -> dict[str, Any]:
    """A fresh copy of the valid full-profile declaration."""
    return copy.deepcopy(json.loads(VECTOR_PATH.read_text(encoding="utf-8")))


def variant(
    reference: str, *, date: str = "2026-11-18", hs: tuple[str, str] = ("851762", "850760"),
    origin: str = "CN", importer: str = IMPORTER, declarant: str = DECLARANT,
) -> dict[str, Any]:
    """The vector with another LRN, date, HS codes, origin and parties."""
    data = vector()
    data["reference"] = reference
    data["declaration_date"] = date
    data["parties"][0]["identifier"] = declarant
    data["parties"][1]["identifier"] = importer
    for item, code in zip(data["items"], hs, strict=True):
        item["hs_code"] = code
        item["origin_country"] = origin
        for doc in item.get("documents", []):
            doc["issue_date"] = date
    for doc in data["documents"]:
        doc["issue_date"] = date
    return data


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The one error shape (RFC 9457 plus our code); returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= set(body), body
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body  # type: ignore[no-any-return]


@dataclass
class Api:
    client: TestClient
    settings: Settings
    engine: Engine
    clock: Any
    _tokens: dict[str, str] = field(default_factory=dict)

    def user(self, username: str) -> None:
        role, company = USERS[username]
        with unit_of_work(session_factory(self.engine)) as s:
            create_user(s, username=username, password=PASSWORD, role=role, company_id=company,
                        display_name=None, actor=SYSTEM, now=self.clock())

    def token(self, username: str) -> str:
        if username not in self._tokens:
            self.user(username)
            r = self.client.post("/api/v1/auth/token",
                                 data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return self._tokens[username]

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def submit(self, data: Any, as_user: str = "trader") -> Any:
        return self.client.post("/api/v1/declarations", json=data, headers=self.auth(as_user))

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def api(engine: Engine, settings: Settings, clock: Any) -> Iterator[Api]:
    app = create_app(settings, console=False, clock=clock)
    with TestClient(app) as client:
        yield Api(client=client, settings=settings, engine=engine, clock=clock)
    app.state.ctx.engine.dispose()


@pytest.fixture(scope="session")
def kit() -> types.SimpleNamespace:
    return types.SimpleNamespace(
        vector=vector, variant=variant, assert_problem=assert_problem, PROBLEM=PROBLEM,
        PASSWORD=PASSWORD, DECLARANT=DECLARANT, IMPORTER=IMPORTER,
        OTHER_COMPANY=OTHER_COMPANY, VECTOR_PATH=VECTOR_PATH,
    )
