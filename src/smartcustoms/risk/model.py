"""The risk model: gradient-boosted trees for P(irregularity), calibrated, versioned.

An artifact is plain JSON (the LightGBM text model, the calibration, the
category vocabularies, the feature spec), so a model version is inspectable, portable
between backends and identified by the sha256 of its content.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import orjson
import polars as pl
from sklearn.linear_model import LogisticRegression

from smartcustoms.risk.compiled import Predictor, compile_trees
from smartcustoms.risk.features import categorical_columns
from smartcustoms.risk.spec import FeatureSpec

ARTIFACT_FORMAT = 1

# Fixed, conservative parameters: early stopping on the validation window picks the
# number of trees; nothing is tuned on the test window.
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.03, "num_leaves": 31, "min_child_samples": 20,
    "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "reg_lambda": 1.0,
    "max_cat_to_onehot": 8, "deterministic": True, "force_row_wise": True, "seed": 7,
    "verbosity": -1, "num_threads": 0,
}
MAX_TREES = 2000
EARLY_STOPPING = 100


def encode_categories(frame: pl.DataFrame, vocab: dict[str, list[str]]) -> np.ndarray:
    """Codes in the training vocabulary; an unseen code becomes NaN (LightGBM: 'other')."""
    columns = []
    for column, values in vocab.items():
        mapping = {v: float(i) for i, v in enumerate(values)}
        series = frame[column] if column in frame.columns else pl.Series([None] * len(frame))
        columns.append(series.cast(pl.String).replace_strict(
            mapping, default=None, return_dtype=pl.Float64).fill_null(np.nan).to_numpy())
    return np.column_stack(columns) if columns else np.empty((len(frame), 0))


def build_vocab(frame: pl.DataFrame, columns: list[str], min_count: int = 5
                ) -> dict[str, list[str]]:
    vocab = {}
    for column in columns:
        counts = frame[column].cast(pl.String).drop_nulls().value_counts()
        vocab[column] = sorted(counts.filter(pl.col("count") >= min_count)[column].to_list())
    return vocab


@dataclass(slots=True)
class RiskModel:
    booster: lgb.Booster
    # Platt scaling on the raw log-odds: strictly increasing, so it never reorders (or
    # ties) declarations the way a step-wise isotonic map would at the top of the ranking.
    calibration_a: float
    calibration_b: float
    vocab: dict[str, list[str]]
    numeric: list[str]
    spec: FeatureSpec
    best_iteration: int
    _codes: dict[str, dict[str, float]] | None = None
    _compiled: Predictor | None = None

    def use_compiled_trees(self, cache_dir: Path) -> bool:
        """Score batches with the trees compiled to machine code (see ``compiled``);
        False when they are unavailable and LightGBM keeps scoring."""
        if self._compiled is None:
            self._compiled = compile_trees(
                self.booster.model_to_string(num_iteration=self.best_iteration), cache_dir)
        return self._compiled is not None

    @property
    def feature_names(self) -> list[str]:
        return [*self.numeric, *(f"category:{c}" for c in self.vocab)]

    def matrix(self, features: pl.DataFrame) -> np.ndarray:
        numeric = features.select(self.numeric).cast(pl.Float64).fill_null(np.nan).to_numpy()
        if len(features) <= SMALL:
            return np.hstack([numeric, self._encode_small(features)])
        return np.hstack([numeric, encode_categories(features, self.vocab)])

    def _encode_small(self, features: pl.DataFrame) -> np.ndarray:
        """``encode_categories`` by dictionary lookups: a submission's few rows do not pay
        for a vectorised replace per column."""
        if self._codes is None:
            self._codes = {c: {v: float(i) for i, v in enumerate(vs)}
                           for c, vs in self.vocab.items()}
        out = np.full((len(features), len(self.vocab)), np.nan)
        for j, (column, codes) in enumerate(self._codes.items()):
            if column in features.columns:
                for i, value in enumerate(features[column].cast(pl.String).to_list()):
                    out[i, j] = codes.get(value, np.nan) if value is not None else np.nan
        return out

    def raw_scores(self, features: pl.DataFrame, matrix: np.ndarray | None = None
                   ) -> np.ndarray:
        x = self.matrix(features) if matrix is None else matrix
        if self._compiled is not None:  # every batch size alike: a row's score never
            return self._compiled(x)       # depends on the batch it came in
        return self.booster.predict(x, num_iteration=self.best_iteration, **_threads(x))

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        z = self.calibration_a * _logit(raw) + self.calibration_b
        return 1.0 / (1.0 + np.exp(-z))

    def predict(self, features: pl.DataFrame, matrix: np.ndarray | None = None) -> np.ndarray:
        """Calibrated P(irregularity) per row (``matrix``: ``self.matrix(features)``, when
        the caller already has it)."""
        return self.calibrate(self.raw_scores(features, matrix))

    def contributions(self, features: pl.DataFrame, matrix: np.ndarray | None = None
                      ) -> np.ndarray:
        """TreeSHAP contributions (log-odds) per feature, the last column the base value."""
        x = self.matrix(features) if matrix is None else matrix
        return np.asarray(self.booster.predict(x, pred_contrib=True,
                                               num_iteration=self.best_iteration,
                                               **_threads(x)))

    def artifact(self) -> str:
        return orjson.dumps({
            "format": ARTIFACT_FORMAT,
            "booster": self.booster.model_to_string(num_iteration=self.best_iteration),
            "calibration": {"method": "platt", "a": self.calibration_a,
                            "b": self.calibration_b},
            # Pairs, not an object: key sorting must not reorder the model's columns.
            "vocab": [[column, values] for column, values in self.vocab.items()],
            "numeric": self.numeric,
            "spec": self.spec.model_dump(mode="json"), "best_iteration": self.best_iteration,
        }, option=orjson.OPT_SORT_KEYS).decode()

    @classmethod
    def from_artifact(cls, text: str) -> RiskModel:
        data = orjson.loads(text)
        if data.get("format") != ARTIFACT_FORMAT:
            raise ValueError(f"unknown risk model artifact format {data.get('format')!r}")
        return cls(
            booster=lgb.Booster(model_str=data["booster"]),
            calibration_a=data["calibration"]["a"], calibration_b=data["calibration"]["b"],
            vocab={column: values for column, values in data["vocab"]},
            numeric=data["numeric"],
            spec=FeatureSpec.model_validate(data["spec"]),
            best_iteration=data["best_iteration"],
        )


SMALL = 256  # rows: below this, one thread and plain lookups beat the vectorised paths


def _threads(x: np.ndarray) -> dict[str, int]:
    # Starting OpenMP's thread team costs more than predicting a few rows.
    return {"num_threads": 1} if len(x) <= SMALL else {}


def content_sha256(artifact: str) -> str:
    return hashlib.sha256(artifact.encode()).hexdigest()


def fit(train: pl.DataFrame, valid: pl.DataFrame, numeric: list[str], spec: FeatureSpec,
        params: dict[str, Any] | None = None) -> RiskModel:
    """Train on ``train``; stop early and calibrate on the later ``valid`` window.

    Both frames carry features and an ``irregular`` label (uninspected rows excluded by
    the caller).
    """
    params = {**DEFAULT_PARAMS, **(params or {})}
    vocab = build_vocab(train, categorical_columns(train, spec))
    model = RiskModel(booster=None, calibration_a=1.0, calibration_b=0.0,  # type: ignore[arg-type]
                      vocab=vocab, numeric=numeric, spec=spec, best_iteration=0)
    x_train, x_valid = model.matrix(train), model.matrix(valid)
    y_train = train["irregular"].to_numpy().astype(float)
    y_valid = valid["irregular"].to_numpy().astype(float)
    categorical = list(range(len(numeric), len(numeric) + len(vocab)))
    names = [f"f{i}" for i in range(x_train.shape[1])]  # LightGBM rejects some characters
    d_train = lgb.Dataset(x_train, y_train, feature_name=names,
                          categorical_feature=categorical, free_raw_data=True)
    d_valid = lgb.Dataset(x_valid, y_valid, reference=d_train)
    booster = lgb.train(
        {**params, "metric": "binary_logloss"}, d_train, num_boost_round=MAX_TREES,
        valid_sets=[d_valid], callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False)],
    )
    model.booster = booster
    model.best_iteration = max(int(booster.best_iteration or booster.current_iteration()), 1)
    raw = model.raw_scores(valid)
    if len(np.unique(y_valid)) == 2:
        platt = LogisticRegression(C=1e6).fit(_logit(raw).reshape(-1, 1), y_valid)
        model.calibration_a = float(platt.coef_[0][0])
        model.calibration_b = float(platt.intercept_[0])
    return model


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))
