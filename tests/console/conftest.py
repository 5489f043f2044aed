"""Console fixtures.

Strategy: one migrated SQLite database per test module, filled through the services only
(``identity.create_user``, ``declarations.import_file`` of the first 60 rows of the shipped
KCS sample, ``submit_declaration`` of ``tests/vectors/declaration_full.json``, an HS 2022
declaration). Each test gets its own ``TestClient`` (its own cookie jar); ``client_as`` logs in
by issuing a token through ``identity.issue_token`` (no password hashing per test), the login
tests go through the real ``/login`` form. Tests that import files build a fresh database
(``fresh_console``) so their counts do not depend on each other.

``kcs_good_and_bad.csv`` is the header and first 20 rows of
``data/samples/kcs/df_syn_test_eng.csv`` (MIT, see that folder's PROVENANCE.md) with two rows
broken on purpose: line 4 (LRN 25403940) has HS code ``ABC``, line 7 (LRN 81282547) a net
mass of ``-5``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from smartcustoms import declarations as decl
from smartcustoms import identity
from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade
from smartcustoms.http.app import create_app
from smartcustoms.http.deps import SESSION_COOKIE
from smartcustoms.identity import SYSTEM, Role

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
KCS_SAMPLE = ROOT / "data" / "samples" / "kcs" / "df_syn_test_eng.csv"
GOOD_AND_BAD_CSV = HERE / "kcs_good_and_bad.csv"
VECTOR = ROOT / "tests" / "vectors" / "declaration_full.json"
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
SEEDED_ROWS = 60
TRADER_COMPANY = "MG77MTE"  # importer of two of the seeded KCS rows

USERS: dict[str, tuple[Role, str | None]] = {
    "officer.kim": (Role.officer, None),
    "analyst.lee": (Role.analyst, None),
    "trader.park": (Role.trader, TRADER_COMPANY),
}


def password_of(username: str) -> str:
    return f"{username}-secret"


@dataclass(frozen=True)
class Console:
    """A seeded database and the app serving it."""

    settings: Settings
    app: FastAPI
    kcs_rows: tuple[dict[str, str], ...]  # the KCS rows imported, as the CSV has them
    vector_id: str  # the id of the HS 2022 declaration submitted from the vector

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def client_as(self, username: str) -> TestClient:
        with unit_of_work(self.app.state.ctx.sessions) as db:
            user = identity.get_user(db, username)
            token = identity.issue_token(db, user, name="test", now=NOW,
                                         ttl=dt.timedelta(days=1))
        client = self.client()
        client.cookies.set(SESSION_COOKIE, token)
        return client


def kcs_rows(count: int) -> list[dict[str, str]]:
    with KCS_SAMPLE.open(encoding="utf-8-sig", newline="") as f:
        return [row for _, row in zip(range(count), csv.DictReader(f), strict=False)]


def build_console(data_dir: Path, *, seed: bool, users: tuple[str, ...] = tuple(USERS),
                  **settings: object) -> Console:
    cfg = Settings(data_dir=data_dir, environment="test", **settings)  # type: ignore[arg-type]
    engine = make_engine(cfg)
    upgrade(engine)
    sessions = session_factory(engine)
    with unit_of_work(sessions) as db:
        for username in users:
            role, company = USERS[username]
            identity.create_user(db, username=username, password=password_of(username),
                                 role=role, company_id=company, display_name=None,
                                 actor=SYSTEM, now=NOW)
    rows: list[dict[str, str]] = []
    vector_id = ""
    if seed:
        rows = kcs_rows(SEEDED_ROWS)
        sample = data_dir / "seed.csv"
        with KCS_SAMPLE.open(encoding="utf-8-sig") as src:
            sample.write_text("".join(line for _, line in zip(range(SEEDED_ROWS + 1), src,
                                                              strict=False)))
        decl.import_file(sessions, sample, actor=SYSTEM, clock=lambda: NOW,
                         mapping=decl.resolve_mapping("kcs"), workers=0)
        with unit_of_work(sessions) as db:
            vector_id = decl.submit_declaration(db, json.loads(VECTOR.read_text()),
                                                actor=SYSTEM, now=NOW).declaration.id
    engine.dispose()
    return Console(cfg, create_app(cfg, clock=lambda: NOW), tuple(rows), vector_id)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    """A seeded console shared by a module's read-only tests."""
    return build_console(tmp_path_factory.mktemp("console"), seed=True)


@pytest.fixture
def fresh_console(tmp_path: Path) -> Console:
    """An empty console (one analyst) for tests that import files."""
    return build_console(tmp_path / "data", seed=False, users=("analyst.lee",))


@pytest.fixture
def client_as(console: Console) -> Iterator[Callable[[str], TestClient]]:
    clients: list[TestClient] = []

    def make(username: str) -> TestClient:
        clients.append(console.client_as(username))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


# --- a small HTML reader: tests assert on structure, not on substrings ---------------------

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})


class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def iter(self) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None,
                 **attrs: str) -> list[Element]:
        return [e for e in self.iter()
                if (tag is None or e.tag == tag)
                and (cls is None or cls in e.attrs.get("class", "").split())
                and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> Element:
        found = self.find_all(tag, cls=cls, **attrs)
        assert found, f"no <{tag or '*'}> with class={cls!r} {attrs} in the page"
        return found[0]

    def by_id(self, ident: str) -> Element:
        return self.find(id=ident)

    @property
    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else " " + child.text + " ")
        return " ".join("".join(parts).split())

    def rows(self) -> list[list[str]]:
        """The body rows of a table (or of one tbody), as cell texts."""
        bodies = [self] if self.tag == "tbody" else self.find_all("tbody")
        return [[cell.text for cell in tr.children if isinstance(cell, Element)
                 and cell.tag in ("td", "th")]
                for body in bodies for tr in body.children
                if isinstance(tr, Element) and tr.tag == "tr"]

    def links(self) -> list[str]:
        return [a.attrs["href"] for a in self.find_all("a") if "href" in a.attrs]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in _VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse_html(text: str) -> Element:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root


@pytest.fixture
def html() -> Callable[[str], Element]:
    return parse_html


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1, a free port, in a thread (browser tests)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
        sock.close()


# --- real browser (test_*browser.py) ---------------------------------------------------------

CHROMIUM = os.environ.get("SMARTCUSTOMS_TEST_CHROMIUM")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000


def skip_without_chromium() -> None:
    """Call at module level: browsers cannot be downloaded here, one must be given."""
    if not CHROMIUM:
        pytest.skip("SMARTCUSTOMS_TEST_CHROMIUM is not set (e.g. /usr/bin/chromium)",
                    allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium for a browser test module (each module defines ``server``)."""
    from playwright import sync_api

    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def expected_errors() -> list[str]:
    """Browser console errors a test provokes on purpose (an error page's status)."""
    return []


@pytest.fixture
def page(browser: Any, server: str, expected_errors: list[str]) -> Iterator[object]:
    """A fresh browser context (no cookies) on the module's ``server``; console errors (CSP
    included), failed requests and requests leaving the server fail the test."""
    context = browser.new_context(base_url=server, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.on("requestfailed", lambda r: None if r.failure == "net::ERR_ABORTED"  # navigated on
           else problems.append(f"request failed: {r.url}: {r.failure}"))
    tab.on("request", lambda r: None if r.url.startswith(server)
           else problems.append(f"off-site request: {r.url}"))
    yield tab
    context.close()
    unexpected = [p for p in problems if not any(e in p for e in expected_errors)]
    assert not unexpected, unexpected


# --- consoles copied from a seeded template (modules that define a ``template`` fixture) ----

def copy_console(template: Path, target: Path) -> Console:
    """A console on a copy of a seeded data folder: seeding (a trained model…) runs once."""
    shutil.copytree(template, target)
    settings = Settings(data_dir=target, environment="test")
    return Console(settings, create_app(settings, clock=lambda: NOW), (), "")


@pytest.fixture(scope="module")
def shared(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A console for tests that only read."""
    console = copy_console(template, tmp_path_factory.mktemp("shared") / "data")
    yield console
    console.app.state.ctx.engine.dispose()


@pytest.fixture
def fresh(template: Path, tmp_path: Path) -> Iterator[Console]:
    """A console of one's own, for a test that writes."""
    console = copy_console(template, tmp_path / "data")
    yield console
    console.app.state.ctx.engine.dispose()


@pytest.fixture
def as_user(shared: Console) -> Iterator[Callable[..., TestClient]]:
    """Logged-in clients on the shared console (or on the console given), closed after."""
    clients: list[TestClient] = []

    def make(username: str, console: Console | None = None) -> TestClient:
        clients.append((console or shared).client_as(username))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def seed_kcs(console: Console, tmp: Path, rows: int, users: dict[str, Role]) -> None:
    """The first ``rows`` rows of the shipped KCS test file imported, and ``users`` added
    (password: ``password_of``)."""
    lines = KCS_SAMPLE.read_text(
        encoding="utf-8-sig").splitlines()[:rows + 1]
    path = tmp / "kcs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sessions = console.app.state.ctx.sessions
    decl.import_file(sessions, path, actor=SYSTEM, clock=lambda: NOW,
                     mapping=decl.shipped_mapping("kcs"), workers=0)
    with unit_of_work(sessions) as db:
        for username, role in users.items():
            identity.create_user(db, username=username, password=password_of(username),
                                 role=role, company_id=None, display_name=None, actor=SYSTEM,
                                 now=NOW)
