"""Why a declaration scored as it did, in words an officer can check.

TreeSHAP contributions (LightGBM ``pred_contrib``) are summed per *evidence*: all the
features of one entity (its risk, inspections and volume), the unit value, a novelty
flag, a code. The evidences that raised the score most are phrased with the facts
behind them: the history's counts, the unit value against its group.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from pydantic import BaseModel

from smartcustoms.risk.model import RiskModel

KEY_LABELS = {
    "office": "office", "declarant": "declarant", "importer": "importer",
    "seller": "seller", "hs6": "HS", "hs4": "HS heading", "hs2": "HS chapter",
    "origin": "origin", "departure": "dispatched from", "transport_mode": "transport mode",
    "preference_code": "preference", "net_mass_kg": "net mass", "price": "price",
}


class Reason(BaseModel):
    evidence: str           # which family of features: an entity, unit_value, a code…
    contribution: float     # log-odds added to the score (positive: raises the risk)
    text: str               # the officer's sentence, with its numbers


def _family(feature: str, model: RiskModel) -> str:
    if feature.startswith("category:"):
        return feature
    for name in model.spec.entities:
        if feature.startswith(f"{name}_") and feature[len(name) + 1:] in (
                "risk", "inspected", "volume"):
            return name
    if feature in ("log_unit_value", "unit_value_log_ratio", "unit_value_z",
                   "unit_value_group_n"):
        return "unit_value"
    if feature in ("price", "duty_rate", "duty_at_stake", "net_mass_kg"):
        return "value"
    return feature


def _fmt_value(column: str, value: Any, row: dict[str, Any]) -> str:
    if value is None:
        return f"no {KEY_LABELS.get(column, column)}"
    if column == "hs6" and isinstance(value, str) and len(value) == 6:
        return f"HS {value[:4]}.{value[4:]}"
    if column == "net_mass_kg":
        return f"{value:,.1f} kg"
    if column == "price":
        return f"{value:,.2f} {row.get('currency') or ''}".rstrip()
    if column == "origin":
        return f"from {value}"
    return f"{KEY_LABELS.get(column, column.removeprefix('national.'))} {value}"


def _entity_text(name: str, model: RiskModel, row: dict[str, Any]) -> str:
    keys = model.spec.entities[name].keys
    subject = ", ".join(_fmt_value(k, row.get(k), row) for k in keys)
    n = int(row.get(f"{name}_inspected") or 0)
    found = int(row.get(f"{name}_found") or 0)
    volume = int(row.get(f"{name}_volume") or 0)
    if n == 0:
        seen = f"{volume:,} earlier declarations" if volume else "never declared before"
        return f"{subject}: no past inspection ({seen})"
    return (f"{subject}: {found / n:.0%} of past inspections found irregularities "
            f"({found:,} of {n:,}; {volume:,} earlier declarations)")


def _unit_value_text(model: RiskModel, row: dict[str, Any]) -> str:
    log_uv, ratio = row.get("log_unit_value"), row.get("unit_value_log_ratio")
    group = " × ".join(KEY_LABELS.get(k, k) for k in model.spec.unit_value_group)
    if log_uv is None or _nan(log_uv):
        return "unit value unknown (no mass or no price declared)"
    text = f"unit value {math.exp(log_uv):,.2f} {row.get('currency') or ''}/kg"
    if ratio is None or _nan(ratio):
        return f"{text}; no earlier declaration of this {group} to compare with"
    n = int(row.get("unit_value_group_n") or 0)
    return f"{text}, {math.exp(ratio):.0%} of the {group} geometric mean (n = {n:,})"


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _text(family: str, model: RiskModel, row: dict[str, Any]) -> str:
    if family in model.spec.entities:
        return _entity_text(family, model, row)
    if family == "unit_value":
        return _unit_value_text(model, row)
    if family in model.spec.novelty:
        keys = model.spec.novelty[family]
        subject = ", ".join(_fmt_value(k, row.get(k), row) for k in keys)
        return (f"{subject}: first declaration of this combination" if row.get(family) == 1
                else f"{subject}: declared before")
    if family == "value":
        duty = row.get("duty_at_stake")
        price = row.get("price")
        return (f"declared price {price or 0:,.2f} {row.get('currency') or ''}, duty at stake "
                f"{duty or 0:,.2f}").strip()
    if family.startswith("category:"):
        column = family.removeprefix("category:")
        return _fmt_value(column, row.get(column), row)
    return f"{family} {row.get(family)}"


FEATURE_LABELS = {
    "log_unit_value": "unit value (price per kg)",
    "price": "declared price", "net_mass_kg": "net mass", "duty_rate": "duty rate",
    "duty_at_stake": "duty at stake (price × rate)", "weekday": "day of the week",
    "month": "month",
}
# Keys as nouns ("past inspections of dispatch country"); reasons phrase them with a value.
FEATURE_KEY_LABELS = {**KEY_LABELS, "departure": "dispatch country"}
ENTITY_FEATURES = {
    "risk": "past irregularity rate of {}", "inspected": "past inspections of {}",
    "volume": "past declarations of {}",
}


def feature_label(feature: str, model: RiskModel) -> str:
    """A model feature in an analyst's words: ``importer_hs6_risk`` is the "past
    irregularity rate of importer × HS", ``category:origin`` the "origin (code)"."""
    spec = model.spec

    def keys(columns: list[str]) -> str:
        return " × ".join(FEATURE_KEY_LABELS.get(c, c.removeprefix("national."))
                          for c in columns)

    if feature.startswith("category:"):
        column = feature.removeprefix("category:")
        if column.startswith("national."):
            return f"national element {column.removeprefix('national.')} (code)"
        return f"{FEATURE_KEY_LABELS.get(column, column)} (code)"
    family = _family(feature, model)
    if family in spec.entities:
        kind = feature[len(family) + 1:]
        return ENTITY_FEATURES[kind].format(keys(spec.entities[family].keys))
    group = keys(spec.unit_value_group)
    if feature == "unit_value_log_ratio":
        return f"unit value against the {group} geometric mean"
    if feature == "unit_value_z":
        return f"unit value z-score within its {group}"
    if feature == "unit_value_group_n":
        return f"earlier declarations of its {group} (unit value)"
    if feature in spec.novelty:
        return f"first declaration of this {keys(spec.novelty[feature])}"
    return FEATURE_LABELS.get(feature, feature)


def explain(model: RiskModel, features: pl.DataFrame, *, top: int = 3,
            matrix: np.ndarray | None = None) -> list[list[Reason]]:
    """The ``top`` evidences that raised each row's score most (those that lowered it
    are left out: an officer asks why a declaration was selected)."""
    if features.is_empty():
        return []
    contributions = model.contributions(features, matrix)[:, :-1]  # the last column is the base
    families = [_family(f, model) for f in model.feature_names]
    names = sorted(set(families))
    index = {name: i for i, name in enumerate(names)}
    grouped = np.zeros((len(features), len(names)))
    for j, family in enumerate(families):
        grouped[:, index[family]] += contributions[:, j]
    lineage = _lineages(model)
    out: list[list[Reason]] = []
    for i, row in enumerate(features.iter_rows(named=True)):
        reasons: list[Reason] = []
        taken: set[str] = set()
        for k in np.argsort(-grouped[i], kind="stable"):
            if len(reasons) == top or grouped[i, k] <= 0:
                break
            family = names[k]
            # One reason per lineage: "the same consignment" and "the same goods with the
            # same mass" usually tell the same story; the stronger one speaks for both.
            line = lineage.get(family, {family})
            if line & taken:
                continue
            taken |= line
            reasons.append(Reason(evidence=family, contribution=round(float(grouped[i, k]), 4),
                                  text=_text(family, model, row)))
        out.append(reasons)
    return out


def _lineages(model: RiskModel) -> dict[str, set[str]]:
    """Each entity with its ancestors and descendants in the spec's parent tree."""
    parents = {name: e.parent for name, e in model.spec.entities.items()}

    def ancestors(name: str) -> set[str]:
        out: set[str] = set()
        while (name := parents.get(name)) is not None and name not in out:  # type: ignore[assignment]
            out.add(name)
        return out

    lines = {name: {name} | ancestors(name) for name in parents}
    for name in parents:
        for ancestor in ancestors(name):
            lines[ancestor].add(name)
    # A code given as a category tells the story of its one-column entity ("office 13").
    for name, entity in model.spec.entities.items():
        if len(entity.keys) == 1:
            category = f"category:{entity.keys[0]}"
            lines[name].add(category)
            lines.setdefault(category, {category}).update(lines[name])
    return lines


def declaration_reasons(model: RiskModel, items: pl.DataFrame, probability: np.ndarray, *,
                        top: int = 3) -> dict[str, list[Reason]]:
    """Per declaration, the reasons of the item that carries its score (its riskiest)."""
    best = (items.with_columns(pl.Series("_p", probability)).with_row_index("_i")
            .sort("_p", descending=True).unique("declaration_id", keep="first"))
    return dict(zip(best["declaration_id"].to_list(),
                    explain(model, items[best["_i"].to_list()], top=top), strict=True))
