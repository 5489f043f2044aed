"""Typed context of a model version's page: metrics, the reliability diagram, importance.

The diagram is drawn by the server as SVG (the console's CSP allows no script and no inline
style): its geometry is computed here, in the SVG's own units, and the template only writes
the numbers into attributes. Colours and line widths are classes of ``console.css``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smartcustoms.identity import Permission
from smartcustoms.risk.insight import FeatureImportance, ModelInsight
from smartcustoms.risk.metrics import Calibration, CalibrationBin

from .contexts import MODELS_PATH, Layout
from .risk_contexts import ModelView
from .session import ConsoleSession

# The parameters an analyst reads, in words; others stay in the API's `params`.
PARAMS = (
    ("trees", "trees (chosen by early stopping)"), ("learning_rate", "learning rate"),
    ("num_leaves", "leaves per tree"), ("min_child_samples", "least rows in a leaf"),
    ("subsample", "rows sampled per tree"), ("colsample_bytree", "features sampled per tree"),
    ("reg_lambda", "L2 regularisation (lambda)"),
    ("max_cat_to_onehot", "categories split one against the rest up to"),
    ("objective", "objective"),
)
TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True, slots=True)
class PlotPoint:
    number: int  # 1 for the bin of the lowest probabilities
    bin: CalibrationBin
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Tick:
    label: str
    x: float  # where the value sits on the horizontal axis
    y: float  # and on the vertical one


@dataclass(frozen=True, slots=True)
class CalibrationPlot:
    """A reliability diagram: mean predicted probability (x) against the observed rate (y)
    per bin; on the diagonal, the model says what it finds."""

    calibration: Calibration
    points: tuple[PlotPoint, ...]
    ticks: tuple[Tick, ...]
    # Geometry in SVG units: the square plot area and the whole drawing.
    left: int = 56
    top: int = 12
    size: int = 280
    width: int = 352
    height: int = 344

    @classmethod
    def of(cls, calibration: Calibration) -> CalibrationPlot:
        plot = cls(calibration=calibration, points=(), ticks=())
        points = tuple(PlotPoint(number=i, bin=b, x=plot.x(b.mean_predicted),
                                 y=plot.y(b.observed_rate))
                       for i, b in enumerate(calibration.bins, start=1))
        ticks = tuple(Tick(label=f"{t:.1f}", x=plot.x(t), y=plot.y(t)) for t in TICKS)
        return cls(calibration=calibration, points=points, ticks=ticks)

    def x(self, value: float) -> float:
        return round(self.left + value * self.size, 2)

    def y(self, value: float) -> float:
        return round(self.top + (1 - value) * self.size, 2)

    @property
    def bottom(self) -> float:
        return self.top + self.size

    @property
    def right(self) -> float:
        return self.left + self.size

    @property
    def line(self) -> str:
        """The ``points`` attribute of the polyline through the bins."""
        return " ".join(f"{p.x},{p.y}" for p in self.points)

    @property
    def description(self) -> str:
        c = self.calibration
        worst = max(c.bins, key=lambda b: abs(b.observed_rate - b.mean_predicted))
        return (f"{len(c.bins)} bins of about {c.rows // max(len(c.bins), 1):,} validation "
                f"rows each, from the lowest predicted probabilities to the highest. Brier "
                f"score {c.brier:.4f}. The largest gap is in bin {c.bins.index(worst) + 1}: "
                f"predicted {worst.mean_predicted:.3f}, observed {worst.observed_rate:.3f}.")


@dataclass(frozen=True, slots=True)
class ImportanceBar:
    feature: FeatureImportance
    length: float  # 0 to 100: the bar of the largest share is full


@dataclass(frozen=True, slots=True)
class ModelPage:
    layout: Layout
    model: ModelView
    insight: ModelInsight
    params: tuple[tuple[str, Any], ...]
    plot: CalibrationPlot | None  # None: not recorded for this version
    bars: tuple[ImportanceBar, ...]
    can_promote: bool

    @classmethod
    def build(cls, session: ConsoleSession, insight: ModelInsight) -> ModelPage:
        largest = max((f.share for f in insight.importance), default=0.0)
        bars = tuple(ImportanceBar(f, round(100 * f.share / largest, 2) if largest else 0.0)
                     for f in insight.importance)
        params = tuple((label, insight.params[key]) for key, label in PARAMS
                       if key in insight.params)
        return cls(layout=Layout.build(session, MODELS_PATH), model=ModelView.of(insight.version),
                   insight=insight, params=params,
                   plot=CalibrationPlot.of(insight.calibration) if insight.calibration else None,
                   bars=bars,
                   can_promote=session.principal.can(Permission.promote_risk_models))

    @property
    def promote_href(self) -> str | None:
        """The confirmation page, for those who may promote a version not promoted now."""
        if not self.can_promote or self.insight.version.status == "promoted":
            return None
        return f"{MODELS_PATH}/{self.insight.version.id}/promote"
