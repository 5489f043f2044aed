"""`smartcustoms tariff …` driven through typer's CliRunner (in-process).

Each test initialises a data dir (SQLite, and PostgreSQL under ``-m postgres``) and stores
the session's fitted ``tariff_model`` there first, so no command trains on its own; one
slow test trains for real on a small slice of the shipped rulings.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from smartcustoms import tariff
from smartcustoms.cli import app, tariff_cmd
from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work
from smartcustoms.identity import Principal, Role

ADMIN = Principal(user_id=None, username="admin", role=Role.admin)
CHOCOLATE = "Milk chocolate bar with whole hazelnuts, 100 g"
TYRES = "New pneumatic radial tyres of rubber for passenger motor cars"
SUGGESTION_KEYS = {"hs6", "probability", "path", "matched_terms", "precedents"}


@dataclass
class Cli:
    settings: Settings
    env: dict[str, str | None]

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(app, ["--data-dir", str(self.settings.data_dir), *args],
                                  env=self.env)

    def ok(self, *args: str) -> Result:
        return self.code(0, *args)

    def code(self, code: int, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        # A domain error is one clean exit, never a traceback.
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        return result

    def json(self, *args: str, code: int = 0) -> Any:
        """The single JSON document ``--json`` prints."""
        [line] = self.code(code, "--json", *args).stdout.splitlines()
        return json.loads(line)

    def json_lines(self, *args: str, code: int = 0) -> list[Any]:
        return [json.loads(line)
                for line in self.code(code, "--json", *args).stdout.splitlines()]

    def store(self, model: Any) -> tariff.ModelVersion:
        engine = make_engine(self.settings)
        try:
            with unit_of_work(session_factory(engine)) as session:
                return tariff.store_model(session, self.settings, model, precedents_through=0,
                                          administration_precedents=0, evaluation=None,
                                          actor=ADMIN, now=Cli.now())
        finally:
            engine.dispose()

    def sql(self, statement: str) -> list[Any]:
        engine = make_engine(self.settings)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(statement)))
        finally:
            engine.dispose()

    @staticmethod
    def now() -> Any:
        from smartcustoms.db import utcnow

        return utcnow()


@pytest.fixture
def cli(settings: Settings, tariff_model: Any, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """An initialised data dir with the test model stored (and active)."""
    # The CLI keeps the loaded model for the process; each test has a database of its own.
    monkeypatch.setattr(tariff_cmd, "_CLASSIFIERS", None)
    env: dict[str, str | None] = {
        "SMARTCUSTOMS_DATABASE_URL": settings.database_url, "SMARTCUSTOMS_DATA_DIR": None,
        "SMARTCUSTOMS_ENVIRONMENT": None, "SMARTCUSTOMS_IMPORT_WORKERS": None,
        "COLUMNS": "200"}
    c = Cli(settings, env)
    c.ok("init")
    assert c.store(tariff_model).status == "active"
    return c


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --- classify -----------------------------------------------------------------------------------
def test_classify_a_description(cli: Cli) -> None:
    human = cli.ok("tariff", "classify", CHOCOLATE, "-k", "3").stdout
    assert "1806." in human and "chocolate" in human.lower()

    answer = cli.json("tariff", "classify", CHOCOLATE, "-k", "3")
    assert answer["description"] == CHOCOLATE
    suggestions = answer["suggestions"]
    assert len(suggestions) == 3
    assert all(set(s) >= SUGGESTION_KEYS for s in suggestions)
    assert suggestions[0]["hs6"][:2] == "18"
    probabilities = [s["probability"] for s in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    top = suggestions[0]
    assert top["path"][-1] == {"level": "subheading", "code": top["hs6"],
                               "text": top["path"][-1]["text"]}
    assert "chocolate" in top["matched_terms"]
    assert all({"ref", "text", "code", "source", "similarity"} <= set(p)
               for s in suggestions for p in s["precedents"])


def test_classify_a_file_answers_each_good_row_and_reports_the_bad_one(
        cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "goods.csv", ["id", "description"], [
        ["a1", CHOCOLATE], ["a2", ""], ["a3", TYRES]])
    lines = cli.json_lines("tariff", "classify", "--file", str(path), "-k", "2", code=1)
    errors = [line for line in lines if "error" in line]
    answers = [line for line in lines if "suggestions" in line]
    assert len(lines) == 3
    [error] = errors
    assert error["line"] == 3 and error["id"] == "a2" and "description" in error["error"]
    assert [a["id"] for a in answers] == ["a1", "a3"]
    assert all(len(a["suggestions"]) == 2 for a in answers)
    assert all(set(s) >= SUGGESTION_KEYS for a in answers for s in a["suggestions"])
    assert answers[0]["suggestions"][0]["hs6"][:2] == "18"
    assert answers[1]["suggestions"][0]["hs6"][:4] == "4011"

    # The human form: the answers on stdout, the bad line on stderr.
    result = cli.code(1, "tariff", "classify", "--file", str(path))
    assert "a1" in result.stdout and "a3" in result.stdout
    assert "line 3" in result.stderr and "description" in result.stderr


def test_classify_a_file_of_only_bad_rows_reports_them(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "empty.csv", ["id", "description"], [["a1", ""]])
    [error] = cli.json_lines("tariff", "classify", "--file", str(path), code=1)
    assert error["line"] == 2 and error["id"] == "a1"


def test_classify_file_and_argument_errors_are_one_line(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "goods.csv", ["id", "text"], [["a1", CHOCOLATE]])
    result = cli.code(2, "tariff", "classify", "--file", str(path))
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "description" in result.stderr and "goods.csv" in result.stderr

    missing = cli.code(2, "tariff", "classify", "--file", str(tmp_path / "nope.csv"))
    assert "cannot read" in missing.stderr
    both = cli.code(2, "tariff", "classify", CHOCOLATE, "--file", str(path))
    assert "not both" in both.stderr
    assert cli.code(2, "tariff", "classify").stderr  # neither


# --- verify -------------------------------------------------------------------------------------
def test_verify_a_declared_code(cli: Cli) -> None:
    misfit = cli.json("tariff", "verify", CHOCOLATE, "8703.23")
    assert misfit["verdict"] == "misfit" and misfit["declared"] == "870323"
    assert 0 <= misfit["probability"] < 0.05
    assert misfit["better"] and all(b["hs6"][:2] == "18" for b in misfit["better"])
    assert all(set(b) >= SUGGESTION_KEYS for b in misfit["better"])

    fits = cli.json("tariff", "verify", CHOCOLATE, "18063100")
    assert fits["verdict"] == "fits" and fits["declared"] == "180631" and fits["better"] == []

    human = cli.ok("tariff", "verify", CHOCOLATE, "8703.23").stdout
    assert human.startswith("misfit") and "better: 18" in human


def test_verify_a_malformed_code_is_a_clear_error(cli: Cli) -> None:
    result = cli.code(2, "tariff", "verify", CHOCOLATE, "abc")
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "code" in result.stderr and "abc" in result.stderr
    assert "digits" in cli.code(2, "tariff", "verify", CHOCOLATE, "123").stderr


# --- precedents ---------------------------------------------------------------------------------
def test_add_precedents_twice_adds_them_once(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "rulings.csv", ["ref", "description", "code", "decided_on"], [
        ["R-1", CHOCOLATE, "1806.31.00", "2025-03-01"],
        ["R-2", TYRES, "4011100000", ""]])
    first = cli.json("tariff", "precedents", "add", str(path))
    assert first == {"added": 2, "unchanged": 0, "rejected": []}
    second = cli.json("tariff", "precedents", "add", str(path))
    assert second == {"added": 0, "unchanged": 2, "rejected": []}
    human = cli.ok("tariff", "precedents", "add", str(path)).stdout
    assert "0 added, 2 already stored, 0 rejected" in human
    rows = cli.sql("SELECT source, ref, code, hs6 FROM tariff_precedents ORDER BY id")
    assert [tuple(r) for r in rows] == [("rulings", "R-1", "18063100", "180631"),
                                        ("rulings", "R-2", "4011100000", "401110")]

    # The classifier uses them at once: the ruling is the top suggestion's evidence.
    answer = cli.json("tariff", "classify", CHOCOLATE, "-k", "1")
    [top] = answer["suggestions"]
    assert top["hs6"] == "180631" and "R-1" in [p["ref"] for p in top["precedents"]]


def test_a_bad_precedent_row_is_reported_with_line_field_and_value(
        cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "mine.csv", ["ref", "description", "code"], [
        ["R-1", CHOCOLATE, "180631"], ["R-2", TYRES, "abc"], ["R-3", TYRES, "401110"]])
    report = cli.json("tariff", "precedents", "add", str(path), "--source", "office",
                      code=1)
    assert report["added"] == 2 and report["unchanged"] == 0
    [bad] = report["rejected"]
    assert (bad["at"], bad["field"], bad["value"]) == ("line 3", "code", "abc")
    assert bad["error"]
    assert {r[0] for r in cli.sql("SELECT source FROM tariff_precedents")} == {"office"}

    # Human: the summary on stdout, each rejected row on stderr; the good ones unchanged.
    result = cli.code(1, "tariff", "precedents", "add", str(path), "--source", "office")
    assert "0 added, 2 already stored, 1 rejected" in result.stdout
    assert "line 3" in result.stderr and "code" in result.stderr and "abc" in result.stderr


def test_a_precedent_file_without_its_columns_is_one_error(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "rulings.csv", ["ref", "text", "hs"], [["R-1", CHOCOLATE,
                                                                       "180631"]])
    result = cli.code(2, "tariff", "precedents", "add", str(path))
    assert "code" in result.stderr and "description" in result.stderr
    assert cli.sql("SELECT count(*) FROM tariff_precedents") == [(0,)]


def test_precedents_as_json_lines(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "rulings.jsonl"
    path.write_text(json.dumps({"ref": "J-1", "description": TYRES, "code": "401110"})
                    + "\n\n{not json\n[1]\n", encoding="utf-8")
    report = cli.json("tariff", "precedents", "add", str(path), code=1)
    assert report["added"] == 1
    assert sorted(r["at"] for r in report["rejected"]) == ["line 3", "line 4"]


# --- model versions -----------------------------------------------------------------------------
def test_models_and_activate(cli: Cli, tariff_model: Any) -> None:
    import copy

    other = copy.copy(tariff_model)
    other.config = replace(tariff_model.config, seed=tariff_model.config.seed + 1)
    candidate = cli.store(other)
    listed = cli.json("tariff", "models")
    assert [(v["id"], v["status"]) for v in listed] == [(candidate.id, "candidate"),
                                                        (candidate.id - 1, "active")]
    assert all({"content_sha256", "precedent_count", "metrics", "config", "created_by"}
               <= set(v) for v in listed)
    human = cli.ok("tariff", "models").stdout
    assert "candidate" in human and "active" in human

    activated = cli.json("tariff", "activate", str(candidate.id))
    assert activated["id"] == candidate.id and activated["status"] == "active"
    assert activated["activated_by"].startswith("cli:")
    assert [v["status"] for v in cli.json("tariff", "models")] == ["active", "retired"]
    # The new version classifies.
    assert cli.json("tariff", "classify", TYRES, "-k", "1")["suggestions"][0]["hs6"][:4] \
        == "4011"

    assert "already active" in cli.code(4, "tariff", "activate", str(candidate.id)).stderr
    assert "no tariff model 99" in cli.code(3, "tariff", "activate", "99").stderr


def test_commands_need_an_initialised_database(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tariff_cmd, "_CLASSIFIERS", None)
    bare = Cli(Settings(data_dir=tmp_path / "bare", environment="test"),
               {"SMARTCUSTOMS_DATABASE_URL": None, "SMARTCUSTOMS_DATA_DIR": None,
                "COLUMNS": "200"})
    result = bare.code(6, "tariff", "models")
    assert "smartcustoms init" in result.stderr


@pytest.mark.slow
def test_train_a_version_on_a_slice_then_activate_it(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smartcustoms.tariff import corpus

    shipped = [p for p in corpus.shipped_precedents() if p.hs6[:2] in ("18", "40")]
    assert 20 < len(shipped) < 300
    monkeypatch.setattr("smartcustoms.tariff.service.shipped_precedents", lambda: shipped)
    rulings = write_csv(tmp_path / "own.csv", ["ref", "description", "code"], [
        ["O-1", CHOCOLATE, "180631"], ["O-2", TYRES, "401110"]])
    cli.ok("tariff", "precedents", "add", str(rulings))

    trained = cli.json("tariff", "train", "--no-semantic")
    assert trained["status"] == "candidate"  # a version is already active
    assert trained["precedents_through"] == 2
    assert trained["metrics"]["training"]["administration_precedents"] == 2
    assert trained["precedent_count"] == len(shipped) + 2
    assert trained["config"]["semantic"] is False

    cli.ok("tariff", "activate", str(trained["id"]))
    top = cli.json("tariff", "classify", CHOCOLATE, "-k", "1")["suggestions"][0]
    assert top["hs6"][:2] == "18"
    assert "O-1" in [p["ref"] for p in top["precedents"]]


@pytest.mark.slow
def test_classify_says_why_the_active_version_cannot_serve_and_trains_another(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from smartcustoms.tariff import corpus
    from smartcustoms.tariff.service import model_dir

    shipped = [p for p in corpus.shipped_precedents() if p.hs6[:2] in ("18", "40")]
    monkeypatch.setattr("smartcustoms.tariff.service.shipped_precedents", lambda: shipped)
    [(artifact,)] = cli.sql("SELECT artifact FROM tariff_models WHERE status = 'active'")
    (model_dir(cli.settings) / artifact).unlink()

    result = cli.ok("tariff", "classify", CHOCOLATE, "-k", "1")
    assert "the file of tariff model 1 cannot be read" in result.stderr
    assert "Training one from the shipped rulings now" in result.stderr
    assert "1806." in result.stdout
    assert cli.sql("SELECT id, status FROM tariff_models ORDER BY id") == [
        (1, "retired"), (2, "active")]
