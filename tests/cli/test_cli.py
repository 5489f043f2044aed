"""The `smartcustoms` command line, driven through typer's CliRunner.

Most tests run on SQLite (``--data-dir``) and on PostgreSQL (``SMARTCUSTOMS_DATABASE_URL``)
through the ``settings`` fixture; the file-level tampering test is SQLite only.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from smartcustoms.cli import app
from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work
from smartcustoms.errors import InvalidInput
from smartcustoms.identity import authenticate
from smartcustoms.paths import SAMPLES_DIR

ROOT = Path(__file__).resolve().parents[2]
VECTOR = ROOT / "tests" / "vectors" / "declaration_full.json"
INIT_FIRST = "run `smartcustoms init` first"


@dataclass
class Cli:
    data_dir: Path
    env: dict[str, str | None]
    settings: Settings

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, ["--data-dir", str(self.data_dir), *args],
                                  env=self.env, input=input)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
        return result

    def json_lines(self, *args: str) -> list[Any]:
        result = self.ok("--json", *args)
        lines = result.stdout.splitlines()
        assert lines and all(line.strip() for line in lines), result.stdout
        return [json.loads(line) for line in lines]

    def sql(self, statement: str, **params: Any) -> list[Any]:
        engine = make_engine(self.settings)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()


def _env(database_url: str | None) -> dict[str, str | None]:
    # Nothing of the developer's own environment leaks into the commands; wide output.
    return {"SMARTCUSTOMS_DATABASE_URL": database_url, "SMARTCUSTOMS_DATA_DIR": None,
            "SMARTCUSTOMS_DEMO_ADMIN_PASSWORD": None, "SMARTCUSTOMS_ENVIRONMENT": None,
            "SMARTCUSTOMS_IMPORT_WORKERS": None, "SMARTCUSTOMS_NEW_USER_PASSWORD": None,
            "COLUMNS": "200"}


@pytest.fixture
def cli(settings: Settings) -> Cli:
    """A data dir on either backend, not yet initialised."""
    return Cli(settings.data_dir, _env(settings.database_url), settings)


@pytest.fixture
def ready(cli: Cli) -> Cli:
    cli.ok("init")
    return cli


@pytest.fixture
def sqlite_cli(tmp_path: Path) -> Cli:
    data = tmp_path / "data"
    cli = Cli(data, _env(None), Settings(data_dir=data))
    cli.ok("init")
    return cli


def _one_error_line(result: Result, exit_code: int) -> str:
    assert result.exit_code == exit_code, (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _small_kcs(path: Path) -> Path:
    lines = (SAMPLES_DIR / "kcs" / "df_syn_test_eng.csv").read_text(
        encoding="utf-8-sig").splitlines()[:7]
    lines[2] = lines[2].replace(",711311,", ",71A311,")            # line 3: HS code
    lines[4] = lines[4].replace(",CN,CN,6.5,", ",CN,XY,6.5,")      # line 5: origin
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- init and the schema ---------------------------------------------------------------------

def test_init_prepares_the_database_and_can_run_again(cli: Cli) -> None:
    first = cli.ok("init")
    assert first.stdout.startswith("database ready: ")
    assert first.stderr == ""
    docs = cli.json_lines("init")
    assert docs == [{"database": docs[0]["database"], "schema": "up to date"}]
    if cli.settings.database_url is None:
        db = (cli.data_dir / "smartcustoms.db").resolve()
        assert db.is_file()
        assert docs[0]["database"] == f"sqlite:///{db}"
    assert len(cli.sql("SELECT version_num FROM alembic_version")) == 1


@pytest.mark.parametrize("command", [
    ["audit", "verify"], ["users", "list"], ["declarations", "list"],
    ["declarations", "show", "abc"], ["imports", "list"], ["imports", "show", "1"],
    ["imports", "quarantine", "1"], ["declarations", "submit", str(VECTOR)],
    ["users", "add", "kim", "--role", "officer", "--password", "long enough"],
])
def test_commands_before_init_say_so_in_one_line(cli: Cli, command: list[str]) -> None:
    line = _one_error_line(cli(*command), 6)
    assert line.startswith("error: The configuration is not valid: the database is at schema "
                           "revision none, not ")
    assert line.endswith(INIT_FIRST)


# --- users -----------------------------------------------------------------------------------

def test_users_add_and_list(ready: Cli) -> None:
    added = ready.ok("users", "add", "kim", "--role", "trader", "--company", "KR1234",
                     "--name", "Kim", "--password", "long enough")
    assert added.stdout == "created trader 'kim'\n"
    docs = ready.json_lines("users", "add", "lee", "--role", "officer",
                            "--password", "also long enough")
    assert docs == [{"id": 2, "username": "lee", "role": "officer", "company_id": None}]
    assert ready.json_lines("users", "list") == [
        {"username": "kim", "role": "trader", "company_id": "KR1234", "active": True},
        {"username": "lee", "role": "officer", "company_id": None, "active": True},
    ]
    human = ready.ok("users", "list").stdout
    assert "kim" in human and "KR1234" in human and "lee" in human
    # The passwords given are the ones stored (argon2id).
    engine = make_engine(ready.settings)
    with unit_of_work(session_factory(engine)) as s:
        assert authenticate(s, "kim", "long enough").password_hash.startswith("$argon2id$")
    engine.dispose()
    audit = ready.sql("SELECT actor, action FROM audit_log ORDER BY seq")
    assert [a for _, a in audit] == ["user.create", "user.create"]
    assert all(actor.startswith("cli:") for actor, _ in audit)


def test_users_add_prompts_for_the_password_twice(ready: Cli) -> None:
    result = ready("users", "add", "park", "--role", "analyst",
                   input="prompted password\nprompted password\n")
    assert result.exit_code == 0, result.stderr
    assert "created analyst 'park'" in result.stdout
    assert "prompted password" not in result.stdout  # hidden input
    engine = make_engine(ready.settings)
    with unit_of_work(session_factory(engine)) as s:
        assert authenticate(s, "park", "prompted password").role == "analyst"
    engine.dispose()


@pytest.mark.parametrize(("args", "code", "message"), [
    (["kim", "--role", "officer", "--password", "long enough"], 4,
     "error: Conflicts with what is stored: user 'kim' exists already"),
    (["t2", "--role", "trader", "--password", "long enough"], 2,
     "error: The input is not valid: a trader must belong to a company (the declarant or "
     "importer id they act for)"),
    (["t3", "--role", "officer", "--password", "short"], 2,
     "error: The input is not valid: password must have at least 8 characters"),
    (["Bad Name", "--role", "officer", "--password", "long enough"], 2,
     "error: The input is not valid: username must be 2–64 characters: lower-case letters, "
     "digits, '.', '_', '@', '-'"),
])
def test_users_add_errors(ready: Cli, args: list[str], code: int, message: str) -> None:
    ready.ok("users", "add", "kim", "--role", "officer", "--password", "long enough")
    assert _one_error_line(ready("users", "add", *args), code) == message
    assert len(ready.json_lines("users", "list")) == 1


def test_unknown_role_is_a_usage_error(ready: Cli) -> None:
    result = ready("users", "add", "kim", "--role", "king", "--password", "long enough")
    assert result.exit_code == 2
    assert "king" in result.stderr and "Traceback" not in result.stderr


# --- declarations ----------------------------------------------------------------------------

def test_submit_show_and_list_a_declaration(ready: Cli) -> None:
    human = ready.ok("declarations", "submit", str(VECTOR))
    [stored] = ready.json_lines("declarations", "submit", str(VECTOR))  # idempotent
    assert human.stdout == f"stored declaration {stored['id']} (LRN LRN-2026-000123)\n"
    assert stored["declared"]["reference"] == "LRN-2026-000123"
    assert stored["declared"]["items"][0]["hs_code"] == "851762"
    assert ready.sql("SELECT count(*) FROM declarations") == [(1,)]
    assert ready.json_lines("declarations", "show", stored["id"]) == [stored]
    [summary] = ready.json_lines("declarations", "list", "--hs-prefix", "8517")
    assert (summary["id"], summary["item_count"], summary["origin_countries"]) == (
        stored["id"], 2, ["CN"])
    assert ready.json_lines("declarations", "list", "--origin", "cn")[0]["id"] == stored["id"]
    assert ready.ok("--json", "declarations", "list", "--hs-prefix", "01").stdout == ""
    table = ready.ok("declarations", "list").stdout
    assert "LRN-2026-000123" in table and "1 declarations match" in table


def test_submit_an_invalid_declaration_names_every_field(ready: Cli, tmp_path: Path) -> None:
    data = json.loads(VECTOR.read_text())
    data["items"][0]["hs_code"] = "8517.6"
    data["containers"] = ["CSQU3054384"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = ready("declarations", "submit", str(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: The declaration does not pass validation: items[0].hs_code must be 6, 8 or 10 "
        "digits (HS subheading plus national digits), dots allowed, e.g. '8517.62' or "
        "'85176200'; got '8517.6' (and 1 more)",
        "  containers[0]: ISO 6346 check digit is wrong: expected 3; got 'CSQU3054384'",
    ]
    assert ready.sql("SELECT count(*) FROM declarations") == [(0,)]


@pytest.mark.parametrize("content", [None, "{not json", ""])
def test_submit_an_unreadable_file_is_one_line(
    ready: Cli, tmp_path: Path, content: str | None,
) -> None:
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content)
    line = _one_error_line(ready("declarations", "submit", str(path)), 2)
    assert line.startswith(f"error: The input is not valid: cannot read {path} as JSON: ")


def test_show_an_unknown_declaration(ready: Cli) -> None:
    line = _one_error_line(ready("declarations", "show", "f" * 32), 3)
    assert line == f"error: Not found: no declaration {'f' * 32}"


# --- imports ---------------------------------------------------------------------------------

def test_import_then_quarantine(ready: Cli, tmp_path: Path) -> None:
    csv = _small_kcs(tmp_path / "small.csv")
    [report] = ready.json_lines("import", str(csv), "--mapping", "kcs", "--workers", "0")
    assert {k: report[k] for k in ("id", "file_name", "format", "mapping_name", "status",
                                   "rows_read", "declarations_imported",
                                   "declarations_unchanged", "rows_quarantined")} == {
        "id": 1, "file_name": "small.csv", "format": "csv", "mapping_name": "kcs-synthetic",
        "status": "completed", "rows_read": 6, "declarations_imported": 4,
        "declarations_unchanged": 0, "rows_quarantined": 2,
    }
    records = ready.json_lines("imports", "quarantine", "1")
    assert [(r["line"], r["reference"]) for r in records] == [(3, "20889431"), (5, "43489778")]
    assert [(e["field"], e["column"], e["value"]) for e in records[0]["errors"]] == [
        ("items[0].hs_code", "HS6 Code", "71A311")]
    human = ready.ok("imports", "quarantine", "1").stdout.splitlines()
    assert human[0] == "line 3 20889431"
    assert human[1].startswith("  items[0].hs_code (column 'HS6 Code'): must be 6, 8 or 10 "
                               "digits")
    assert human[1].endswith("; got '71A311'")
    assert human[2] == "line 5 43489778"
    assert human[3] == ("  items[0].origin_country (column 'Country of Origin'): must be an "
                        "ISO 3166-1 alpha-2 country code such as 'CN' or 'DE'; got 'XY'")
    assert human[-1] == "2 quarantined records"
    # Importing the same file again adds nothing.
    [again] = ready.json_lines("import", str(csv), "--mapping", "kcs", "--workers", "0")
    assert (again["id"], again["declarations_imported"], again["declarations_unchanged"]) == (
        2, 0, 4)
    assert ready.sql("SELECT count(*) FROM declarations") == [(4,)]
    assert ready.sql("SELECT count(*) FROM quarantine") == [(2,)]
    assert [r["id"] for r in ready.json_lines("imports", "list")] == [2, 1]
    assert ready.json_lines("imports", "show", "1")[0] == report


def test_import_with_the_default_worker_processes(ready: Cli, tmp_path: Path) -> None:
    csv = _small_kcs(tmp_path / "small.csv")
    result = ready.ok("import", str(csv), "--mapping", "kcs")
    assert "rows quarantined" in result.stdout
    assert "see the reasons: smartcustoms imports quarantine 1" in result.stdout
    assert ready.sql("SELECT count(*) FROM declarations") == [(4,)]


@pytest.mark.parametrize("name", ["missing.csv", "dir [/x] of mine/file.csv", "[bold]x.csv"])
def test_import_a_bad_path_is_one_clear_line(ready: Cli, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    line = _one_error_line(ready("import", str(path), "--mapping", "kcs"), 2)
    # Printed verbatim: brackets in a path are not console markup.
    assert line == f"error: The input is not valid: no such file: {path}"
    assert ready.sql("SELECT count(*) FROM import_runs") == [(0,)]


def test_import_with_an_unknown_mapping(ready: Cli, tmp_path: Path) -> None:
    csv = _small_kcs(tmp_path / "small.csv")
    line = _one_error_line(ready("import", str(csv), "--mapping", "nope"), 2)
    assert line == ("error: The column-mapping file is not valid: no shipped mapping 'nope'; "
                    "shipped: ['kcs']")


def test_debug_reraises(ready: Cli, tmp_path: Path) -> None:
    result = ready("--debug", "import", str(tmp_path / "missing.csv"), "--mapping", "kcs")
    assert result.exit_code == 1
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.field == "file"


def test_quarantine_of_an_unknown_run(ready: Cli) -> None:
    assert _one_error_line(ready("imports", "quarantine", "7"), 3) == (
        "error: Not found: no import run 7")


def test_reference_hs(ready: Cli) -> None:
    docs = ready.json_lines("reference", "hs", "8517.62")
    assert docs == [{"code": "851762", "level": "subheading",
                     "description": docs[0]["description"]}]
    found = ready.json_lines("reference", "hs", "smartphones")
    assert found[0]["code"] == "851713"
    assert _one_error_line(ready("reference", "hs"), 2) == (
        "error: The input is not valid: give keywords or a code prefix")


# --- the audit log ---------------------------------------------------------------------------

def _audited(cli: Cli) -> None:
    cli.ok("users", "add", "kim", "--role", "officer", "--password", "long enough")
    cli.ok("declarations", "submit", str(VECTOR))
    cli.ok("users", "add", "lee", "--role", "officer", "--password", "long enough")


def test_audit_verify_on_an_intact_log(ready: Cli) -> None:
    assert ready.ok("audit", "verify").stdout == (
        "audit log intact: 0 entries verified; head 0 " + "0" * 64 + "\n")
    _audited(ready)
    [report] = ready.json_lines("audit", "verify")
    head_hash = report.pop("head_hash")
    assert report == {"ok": True, "entries": 3, "first_bad_seq": None, "problem": None,
                      "head_seq": 3}
    assert len(head_hash) == 64 and head_hash != "0" * 64
    assert ready.ok("audit", "verify").stdout == (
        f"audit log intact: 3 entries verified; head 3 {head_hash}\n")


def test_audit_verify_catches_tampering_on_either_backend(ready: Cli) -> None:
    _audited(ready)
    ready.sql("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2")
    result = ready("audit", "verify")
    assert result.exit_code == 10
    assert result.stdout == ""
    assert result.stderr == ("error: Integrity check failed: entry 2: its content was changed "
                             "after it was written\n")
    result = ready("--json", "audit", "verify")
    assert result.exit_code == 10
    [report] = [json.loads(line) for line in result.stdout.splitlines()]
    del report["head_hash"]
    assert report == {
        "ok": False, "entries": 1, "first_bad_seq": 2, "head_seq": 3,
        "problem": "entry 2: its content was changed after it was written"}


def test_audit_verify_after_editing_the_sqlite_file(sqlite_cli: Cli) -> None:
    _audited(sqlite_cli)
    db = sqlite_cli.data_dir / "smartcustoms.db"
    with sqlite3.connect(db) as con:  # what an intruder with the file would do
        con.execute("""UPDATE audit_log SET detail = '{"reference": "LRN-FORGED"}'
                       WHERE seq = 2""")
    con.close()
    result = sqlite_cli("audit", "verify")
    assert result.exit_code == 10
    assert result.stderr == ("error: Integrity check failed: entry 2: its detail was changed "
                             "after it was written\n")


def test_audit_verify_after_deleting_the_last_entry(sqlite_cli: Cli) -> None:
    _audited(sqlite_cli)
    with sqlite3.connect(sqlite_cli.data_dir / "smartcustoms.db") as con:
        con.execute("DELETE FROM audit_log WHERE seq = 3")
    con.close()
    result = sqlite_cli("audit", "verify")
    assert result.exit_code == 10
    assert result.stderr == ("error: Integrity check failed: the log ends at entry 2 but its "
                             "head says 3: entries were deleted from the end\n")


def test_audit_verify_with_an_unreadable_entry_fails_closed(sqlite_cli: Cli) -> None:
    _audited(sqlite_cli)
    with sqlite3.connect(sqlite_cli.data_dir / "smartcustoms.db") as con:
        con.execute("UPDATE audit_log SET detail = '{broken' WHERE seq = 2")
    con.close()
    result = sqlite_cli("audit", "verify")
    assert result.exit_code == 10, (result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "error: Integrity check failed: entry 2 cannot be read (JSONDecodeError: ")
    assert result.stderr.endswith("it was changed after it was written\n")


# --- settings --------------------------------------------------------------------------------

def test_config_show_masks_secrets(tmp_path: Path) -> None:
    env = {**_env("postgresql+psycopg://app:db-password-42@db.internal:5432/customs"),
           "SMARTCUSTOMS_DEMO_ADMIN_PASSWORD": "demo-secret-42"}
    cli = Cli(tmp_path, env, Settings(data_dir=tmp_path))
    [shown] = cli.json_lines("config", "show")
    assert shown["demo_admin_password"] == "********"
    assert shown["database_url"] == "postgresql+psycopg://app:***@db.internal:5432/customs"
    assert shown["data_dir"] == str(tmp_path)
    assert shown["token_ttl_hours"] == "720"
    human = cli.ok("config", "show").stdout
    for output in (json.dumps(shown), human):
        assert "db-password-42" not in output
        assert "demo-secret-42" not in output
    assert "********" in human and "SMARTCUSTOMS_DEMO_ADMIN_PASSWORD" in human


def test_config_show_default_database(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "d", _env(None), Settings(data_dir=tmp_path / "d"))
    [shown] = cli.json_lines("config", "show")
    assert shown["database_url"] == f"sqlite:///{(tmp_path / 'd' / 'smartcustoms.db').resolve()}"
    assert shown["demo_admin_password"] == "********"


def test_bad_setting_is_one_line(tmp_path: Path) -> None:
    cli = Cli(tmp_path, {**_env(None), "SMARTCUSTOMS_PORT": "0"}, Settings(data_dir=tmp_path))
    line = _one_error_line(cli("config", "show"), 6)
    assert line.startswith("error: setting port: ")
