from __future__ import annotations

import numpy as np
import pytest

from smartcustoms.risk.metrics import ranking_metrics, top_k


def test_precision_recall_and_duty_at_budgets_by_hand() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    irregular = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0])
    critical = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    duty = np.array([10.0, 0, 30.0, 0, 0, 60.0, 0, 0, 0, 0])
    m = ranking_metrics("m", scores, irregular, critical=critical, duty=duty,
                        budgets=(0.1, 0.3, 0.5))
    first, third, half = m.at
    assert (first.inspected, first.precision, first.recall) == (1, 1.0, pytest.approx(1 / 3))
    assert (third.inspected, third.precision) == (3, pytest.approx(2 / 3))
    assert third.critical_recall == 1.0 and third.duty_recall == pytest.approx(0.4)
    assert half.recall == pytest.approx(2 / 3)
    assert m.auc == pytest.approx(
        sum(s > t for s in scores[irregular == 1] for t in scores[irregular == 0]) / 21)


def test_ties_keep_input_order_and_a_budget_inspects_at_least_one() -> None:
    m = ranking_metrics("m", np.array([0.5, 0.5, 0.5]), np.array([0, 1, 0]), budgets=(0.34,))
    assert m.at[0].inspected == 1 and m.at[0].precision == 0.0
    assert top_k(0.001, 10) == 1
    assert m.at[0].critical_recall is None and m.at[0].duty_recall is None
