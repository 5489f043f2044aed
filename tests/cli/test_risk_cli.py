"""`smartcustoms risk …` end to end on the bundled data's last quarter."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from smartcustoms.cli.main import app
from smartcustoms.paths import SAMPLES_DIR

ENV = {"SMARTCUSTOMS_DATABASE_URL": None, "SMARTCUSTOMS_DATA_DIR": None,
       "SMARTCUSTOMS_IMPORT_WORKERS": None, "COLUMNS": "200"}


def run(data_dir: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args], env=ENV)
    assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
    return result.stdout if code == 0 else result.stderr


def test_outcomes_train_evaluate_promote(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "init")
    run(data, "import", str(SAMPLES_DIR / "kcs" / "df_syn_test_eng.csv"), "--mapping", "kcs")
    outcomes = json.loads(run(data, "--json", "risk", "outcomes", "--irregular-column",
                              "Fraud", "--critical-column", "Critical Fraud",
                              "--critical-values", "2"))
    assert outcomes["recorded"] == 8481 and outcomes["unreadable"] == 0

    report = json.loads(run(data, "--json", "risk", "evaluate", "--no-baselines",
                            "--train", "2021-04-01:2021-05-15",
                            "--valid", "2021-05-16:2021-05-31",
                            "--test", "2021-06-01:2021-06-30"))
    assert report["test"] == "2021-06-01:2021-06-30"
    [ours] = report["results"]
    assert [m["budget"] for m in ours["at"]] == [0.01, 0.02, 0.05, 0.1]
    assert ours["auc"] > 0.7  # six weeks of history; the model tests judge quality
    human = run(data, "risk", "evaluate", "--no-baselines", "--policy", "duty")
    assert "duty recall @ 10%" in human and "ranking by duty" in human

    trained = json.loads(run(data, "--json", "risk", "train"))
    assert trained["created"] and trained["status"] == "candidate"
    run(data, "risk", "promote", str(trained["id"]))
    [listed] = json.loads(run(data, "--json", "risk", "models"))
    assert listed["status"] == "promoted" and listed["promoted_by"].startswith("cli:")
    scored = json.loads(run(data, "--json", "risk", "score", "2021-06-01:2021-06-30",
                            "--top", "3"))
    assert scored["declarations"] == 2781 and len(scored["ranked"]) == 3
    assert all(d["reasons"] for d in scored["ranked"])
    human = run(data, "risk", "score", "2021-06-01:2021-06-30", "--top", "2")
    assert "2. " in human and "•" in human and "past inspections" in human
    assert "already the promoted model" in run(data, "risk", "promote", str(trained["id"]),
                                                 code=4)


def test_bad_windows_and_policy_are_one_line_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "init")
    err = run(data, "risk", "evaluate", "--train", "2021-13-01:2021-14-01", code=2)
    assert "train" in err and len(err.strip().splitlines()) <= 2
    err = run(data, "risk", "evaluate", "--policy", "vibes", code=2)
    assert "policy" in err
    err = run(data, "risk", "train", code=2)  # nothing labelled yet
    assert "record inspection outcomes first" in err


def test_rules_lanes_inspections_feedback_and_simulation(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "init")
    run(data, "import", str(SAMPLES_DIR / "kcs" / "df_syn_test_eng.csv"), "--mapping", "kcs")
    run(data, "risk", "outcomes", "--irregular-column", "Fraud")
    trained = json.loads(run(data, "--json", "risk", "train"))
    run(data, "risk", "promote", str(trained["id"]))

    run(data, "risk", "lists", "set", "watch", "CN", "VN", "--description", "origins")
    err = run(data, "risk", "rules", "add", "--name", "x", "--condition", "origin = ",
              "--lane", "red", code=2)
    assert "column 9" in err and "condition" in err
    tested = json.loads(run(data, "--json", "risk", "rules", "test",
                            'origin in @watch and hs6 startswith "85"'))
    assert tested["fired"] > 0 and tested["hit_rate"] is not None
    rule = json.loads(run(data, "--json", "risk", "rules", "add", "--name", "watched 85",
                          "--condition", 'origin in @watch and hs6 startswith "85"',
                          "--lane", "yellow", "--valid-from", "2021-01-01"))

    lanes = json.loads(run(data, "--json", "risk", "lanes", "2021-06-01:2021-06-07"))
    assert lanes["decided"] > 0 and lanes["selected_by"]["rule"] > 0
    assert "already were" in run(data, "risk", "lanes", "2021-06-01:2021-06-07")
    [listed] = json.loads(run(data, "--json", "risk", "rules", "list"))
    assert listed["rule"]["id"] == rule["id"] and listed["selected"] > 0

    import sqlite3
    with sqlite3.connect(data / "smartcustoms.db") as db:
        [(decl_id,)] = db.execute(
            "SELECT declaration_id FROM lane_decisions WHERE lane = 'red' LIMIT 1").fetchall()
    recorded = json.loads(run(data, "--json", "risk", "inspect", decl_id, "--irregular",
                              "--duty-recovered", "12.5", "--notes", "misdeclared"))
    assert recorded["created"] and recorded["source"] == "officer"
    assert "duty recovered must be a number" in run(
        data, "risk", "inspect", decl_id, "--regular", "--duty-recovered", "lots", code=2)
    feedback = json.loads(run(data, "--json", "risk", "feedback"))
    assert feedback["inspected_with_result"] > 0 and feedback["exploration_share"] is not None
    run(data, "risk", "rules", "disable", str(rule["id"]))

    sim = json.loads(run(data, "--json", "risk", "simulate", "--strategy", "random",
                         "--strategy", "model", "--last-weeks", "4"))
    assert [r["strategy"] for r in sim["results"]] == ["random", "model"]
    assert sim["weeks"] == 13
