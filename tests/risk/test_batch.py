"""Batch scoring of a file: CSV and Parquet, any batch size, in-process or on Dask, all
give the scores of `features.attach` + `model.predict` on the same rows."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from smartcustoms.cli.main import app
from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput
from smartcustoms.identity import SYSTEM
from smartcustoms.risk import service
from smartcustoms.risk.batch import (
    FRAME_FILE_COLUMNS,
    read_batches,
    score_batch,
    score_file,
    write_frame,
)
from smartcustoms.risk.evaluate import Window
from smartcustoms.risk.features import History, attach, build_history
from smartcustoms.risk.frame import load_frame
from smartcustoms.risk.model import RiskModel

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
TRAIN = Window(dt.date(2021, 1, 1), dt.date(2021, 3, 31))
VALID = Window(dt.date(2021, 4, 1), dt.date(2021, 4, 30))
ENV = {"SMARTCUSTOMS_DATABASE_URL": None, "SMARTCUSTOMS_DATA_DIR": None, "COLUMNS": "200"}
KEY = ["declaration_id", "sequence"]


@dataclass(frozen=True)
class Scoring:
    data_dir: Path
    files: Path
    frame: pl.DataFrame
    model: RiskModel
    history: History
    expected: pl.DataFrame  # attach + predict on the whole frame, sorted by KEY


def cli(data_dir: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args], env=ENV)
    assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
    return result.stdout if code == 0 else result.stderr


@pytest.fixture(scope="module")
def scoring(kcs_2021: sessionmaker[Session], tmp_path_factory: pytest.TempPathFactory
            ) -> Scoring:
    with unit_of_work(kcs_2021) as session:
        if not any(v.status == "promoted" for v in service.list_models(session, actor=SYSTEM)):
            version, _ = service.train_model(session, actor=SYSTEM, now=NOW, train=TRAIN,
                                             valid=VALID)
            service.promote_model(session, version.id, actor=SYSTEM, now=NOW)
    with kcs_2021() as session:
        model = RiskModel.from_artifact(service.promoted_model(session).artifact)
        frame = load_frame(session)
    history = build_history(frame, model.spec)
    features, _ = attach(frame, history, model.spec)
    expected = frame.select(*KEY, "date").with_columns(
        pl.Series("probability", model.predict(features))).sort(KEY)
    data_dir = Path(kcs_2021.kw["bind"].url.database).parent
    return Scoring(data_dir, tmp_path_factory.mktemp("batch"), frame, model, history,
                   expected)


def scored(s: Scoring, path: Path, name: str, **options: object) -> pl.DataFrame:
    out = s.files / f"{name}.parquet"
    report = score_file(path, out, s.model, s.history, **options)  # type: ignore[arg-type]
    result = pl.read_parquet(out)
    assert report.rows == len(result) and report.rows_per_second > 0
    return result


def with_value(column: str, index: int, value: str | None) -> pl.Expr:
    """The column as text, with one value replaced."""
    return (pl.when(pl.int_range(pl.len()) == index).then(pl.lit(value, pl.String))
            .otherwise(pl.col(column).cast(pl.String)).alias(column))


def assert_same_scores(result: pl.DataFrame, expected: pl.DataFrame) -> None:
    result = result.sort(KEY)
    assert result.select(*KEY, "date").equals(expected.select(*KEY, "date"))
    np.testing.assert_allclose(result["probability"].to_numpy(),
                               expected["probability"].to_numpy(), rtol=0, atol=1e-12)


def test_export_frame_writes_the_stored_frame_as_parquet_and_csv(scoring: Scoring) -> None:
    s = scoring
    for name in ("frame.parquet", "frame.csv"):
        report = json.loads(cli(s.data_dir, "--json", "risk", "export-frame",
                                str(s.files / name)))
        assert report["rows"] == len(s.frame) == 16_615
    assert pl.read_parquet(s.files / "frame.parquet").equals(s.frame)
    june = json.loads(cli(s.data_dir, "--json", "risk", "export-frame",
                          str(s.files / "june.csv"), "--from", "2021-06-01", "--to",
                          "2021-06-30"))
    assert june["rows"] == s.frame.filter(pl.col("date") >= dt.date(2021, 6, 1)).height
    assert "must be an ISO date" in cli(s.data_dir, "risk", "export-frame",
                                    str(s.files / "x.csv"), "--from", "June", code=2)
    assert ".csv or .parquet" in cli(s.data_dir, "risk", "export-frame",
                                     str(s.files / "x.xlsx"), code=2)


def test_a_file_scores_as_attach_then_predict_in_csv_and_parquet(scoring: Scoring) -> None:
    s = scoring
    parquet, csv = s.files / "frame.parquet", s.files / "frame.csv"
    write_frame(s.frame, parquet)
    write_frame(s.frame, csv)
    # hs4 / hs2 derived from hs6, labels and unknown columns ignored.
    bare = s.files / "bare.csv"
    s.frame.drop("hs4", "hs2", "irregular", "critical").with_columns(
        note=pl.lit("x")).write_csv(bare)
    from_parquet = scored(s, parquet, "local-parquet")
    assert from_parquet.columns == ["declaration_id", "sequence", "date", "probability",
                                    "duty_at_stake", "expected_duty"]
    assert_same_scores(from_parquet, s.expected)
    assert scored(s, csv, "local-csv").equals(from_parquet)
    assert scored(s, bare, "local-bare").equals(from_parquet)
    duty = s.frame["price"].fill_null(0) * s.frame["duty_rate"].fill_null(0) / 100
    np.testing.assert_allclose(from_parquet["duty_at_stake"].to_numpy(), duty.to_numpy())
    np.testing.assert_allclose(from_parquet["expected_duty"].to_numpy(),
                               (from_parquet["probability"] * duty).to_numpy())


def test_batches_do_not_see_each_other(scoring: Scoring) -> None:
    """A row's score is the same alone, in a batch of 7 or in the whole file."""
    s = scoring
    tail = s.frame.tail(350)
    write_frame(tail, s.files / "tail.parquet")
    small = scored(s, s.files / "tail.parquet", "tail-7", batch_size=7)
    whole = scored(s, s.files / "tail.parquet", "tail-all")
    assert small.equals(whole)
    assert_same_scores(whole, s.expected.join(tail.select(KEY), on=KEY).sort(KEY))
    batches = list(read_batches(s.files / "tail.parquet", batch_size=7))
    assert [len(b) for b in batches] == [7] * 50
    first = score_batch(batches[0], s.model, s.history)
    assert first.equals(score_batch(batches[0], s.model, s.history))  # deterministic
    assert first.equals(whole.head(7))


def test_dask_engine_gives_identical_results(scoring: Scoring) -> None:
    s = scoring
    parquet, csv = s.files / "groups.parquet", s.files / "dask.csv"
    s.frame.write_parquet(parquet, row_group_size=3_000)  # six row groups: three partitions
    write_frame(s.frame, csv)
    local = scored(s, parquet, "local-groups")
    options = {"engine": "dask", "workers": 1, "processes": False, "batch_size": 6_000}
    on_parquet = scored(s, parquet, "dask-parquet", **options)
    on_csv = scored(s, csv, "dask-csv", **options)
    assert on_parquet.equals(local) and on_csv.equals(local)
    assert_same_scores(on_csv, s.expected)
    bad = s.files / "bad-dask.csv"
    s.frame.head(20).with_columns(with_value("price", 3, "12,5")).write_csv(bad)
    with pytest.raises(InvalidInput, match=r"price, block 1 of the file, row 4"):
        score_file(bad, s.files / "bad.parquet", s.model, s.history, **options)  # type: ignore[arg-type]


def test_missing_columns_and_unreadable_values_are_named(scoring: Scoring) -> None:
    s = scoring
    rows = s.frame.head(30)
    missing = s.files / "missing.parquet"
    rows.drop("price", "date").write_parquet(missing)
    with pytest.raises(InvalidInput, match="lacks the columns date, price") as exc:
        list(read_batches(missing))
    assert {e.field for e in exc.value.errors} == {"date", "price"}

    text = rows.with_columns(pl.all().cast(pl.String))
    cases = {
        "price": ("12,5", "row 8: is not a number; got '12,5'"),
        "date": ("21/01/2021", "row 8: is not an ISO date (YYYY-MM-DD); got '21/01/2021'"),
        "sequence": ("first", "row 8: is not an item number; got 'first'"),
        "declaration_id": (None, "row 8: is missing"),
    }
    for column, (value, message) in cases.items():
        for suffix in ("csv", "parquet"):
            path = s.files / f"bad-{column}.{suffix}"
            write_frame(text.with_columns(with_value(column, 7, value)), path)
            with pytest.raises(InvalidInput, match=f"column {column}, ") as exc:
                list(read_batches(path, batch_size=5))  # row 8 is in the second batch
            assert message in str(exc.value)
            assert exc.value.errors[0].field == column
    assert not (s.files / "never.parquet").exists()
    with pytest.raises(InvalidInput, match="is not a number"):
        score_file(s.files / "bad-price.csv", s.files / "never.parquet", s.model, s.history)
    assert not list(s.files.glob("never.parquet*"))  # no half-written output
    assert set(FRAME_FILE_COLUMNS) <= set(s.frame.columns)


def test_score_file_command(scoring: Scoring) -> None:
    s = scoring
    write_frame(s.frame, s.files / "cli.parquet")
    out = s.files / "cli-scores.parquet"
    report = json.loads(cli(s.data_dir, "--json", "risk", "score-file",
                            str(s.files / "cli.parquet"), "--out", str(out)))
    assert report["rows"] == len(s.frame) and report["engine"] == "local"
    assert report["predictor"] == "compiled"  # cached under the data directory
    assert list((s.data_dir / "cache" / "trees").glob("trees-*.so"))
    assert report["history_rows"] == len(s.frame) and report["model_id"] >= 1
    assert_same_scores(pl.read_parquet(out), s.expected)
    human = cli(s.data_dir, "risk", "score-file", str(s.files / "cli.parquet"), "--out",
                str(out), "--batch-size", "5000", "--no-compiled")
    assert "16,615 rows scored with risk model" in human
    assert "rows/s, local, lightgbm" in human
    s.frame.drop("hs6").write_csv(s.files / "no-hs6.csv")
    error = cli(s.data_dir, "risk", "score-file", str(s.files / "no-hs6.csv"), "--out",
                str(out), code=2)
    assert "lacks the column hs6" in error
    assert "no risk model 999" in cli(s.data_dir, "risk", "score-file",
                                      str(s.files / "cli.parquet"), "--out", str(out),
                                      "--model", "999", code=3)


def test_compiled_trees_score_as_lightgbm_in_any_batch_and_on_both_engines(
        scoring: Scoring, tmp_path: Path) -> None:
    s = scoring
    model = RiskModel.from_artifact(s.model.artifact())  # the fixture's model stays LightGBM
    parquet = s.files / "compiled.parquet"
    s.frame.write_parquet(parquet, row_group_size=3_000)
    cache = tmp_path / "trees"
    out = s.files / "compiled-local.parquet"
    report = score_file(parquet, out, model, s.history, compiled_cache=cache)
    assert report.predictor == "compiled"
    assert len(list(cache.glob("trees-*.so"))) == 1
    local = pl.read_parquet(out)
    assert_same_scores(local, s.expected)
    tail = s.files / "compiled-tail.parquet"
    write_frame(s.frame.tail(350), tail)
    fresh = RiskModel.from_artifact(s.model.artifact())  # loads the cached library
    in_sevens = s.files / "compiled-7.parquet"
    score_file(tail, in_sevens, fresh, s.history, batch_size=7, compiled_cache=cache)
    # A row's score ignores its batch: in sevens as in the whole file.
    assert pl.read_parquet(in_sevens).equals(local.tail(350))
    dask_out = s.files / "compiled-dask.parquet"
    report = score_file(parquet, dask_out, RiskModel.from_artifact(s.model.artifact()),
                        s.history, engine="dask", workers=1, processes=False,
                        batch_size=6_000, compiled_cache=cache)
    assert report.predictor == "compiled"
    assert pl.read_parquet(dask_out).equals(local)
    assert len(list(cache.glob("*"))) == 1  # reused, nothing half-written left


def test_without_the_compiled_trees_lightgbm_scores(scoring: Scoring, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    s = scoring
    not_a_directory = tmp_path / "trees"
    not_a_directory.write_text("")
    write_frame(s.frame.head(500), s.files / "head.parquet")
    out = s.files / "fallback.parquet"
    report = score_file(s.files / "head.parquet", out,
                        RiskModel.from_artifact(s.model.artifact()), s.history,
                        compiled_cache=not_a_directory)
    assert report.predictor == "lightgbm"
    assert "compiled trees are unavailable" in caplog.text
    assert_same_scores(pl.read_parquet(out),
                       s.expected.join(s.frame.head(500).select(KEY), on=KEY).sort(KEY))
