"""CLI: inspection outcomes, risk model training, evaluation and promotion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from smartcustoms.cli.common import emit, handled, operator, out, require_schema, state
from smartcustoms.db import unit_of_work
from smartcustoms.risk import service
from smartcustoms.risk.evaluate import EvaluationReport, Window
from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes

risk = typer.Typer(no_args_is_help=True, help="AI risk targeting: outcomes, models, evaluation.")

_WINDOW_HELP = "START:END, ISO dates, inclusive (default: a 70/15/15 chronological split)"
SpecOption = Annotated[Path | None, typer.Option(
    "--spec", help="Feature spec YAML (default: data/risk/features.yaml).")]


def _values(text: str) -> frozenset[str]:
    return frozenset(v.strip() for v in text.split(",") if v.strip())


def _window(text: str | None, name: str) -> Window | None:
    return Window.parse(text, name) if text else None


@risk.command("outcomes")
def outcomes(
    ctx: typer.Context,
    irregular_column: Annotated[str, typer.Option(
        help="Kept source column that says whether an inspection found an irregularity.")],
    irregular_values: Annotated[str, typer.Option(help="Values meaning irregular (a,b).")] = "1",
    regular_values: Annotated[str, typer.Option(help="Values meaning regular (a,b).")] = "0",
    critical_column: Annotated[str | None, typer.Option(
        help="Kept source column that grades the irregularity.")] = None,
    critical_values: Annotated[str, typer.Option(help="Values meaning critical (a,b).")] = "",
) -> None:
    """Record the inspection outcomes that came with imported data (idempotent)."""
    st = state(ctx)
    columns = OutcomeColumns(
        irregular=irregular_column, irregular_values=_values(irregular_values),
        regular_values=_values(regular_values), critical=critical_column,
        critical_values=_values(critical_values))
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            report = record_source_outcomes(session, columns, actor=operator(), now=st.clock())
    emit(st, report, lambda: out.print(
        f"{report.recorded:,} outcomes recorded, {report.already_recorded:,} already there, "
        f"{report.without_outcome:,} declarations without one, {report.unreadable:,} "
        "unreadable" + "".join(f"\n  {escape(str(e))}" for e in report.unreadable_examples),
        highlight=False))


def print_evaluation(report: EvaluationReport) -> None:
    out.print(f"train {report.train} ({report.rows_train:,} rows), valid {report.valid} "
              f"({report.rows_valid:,}), test {report.test} ({report.rows_test:,}, "
              f"{report.test_positive_rate:.1%} irregular); ranking by {report.policy}; "
              f"{report.trees} trees", highlight=False)
    # One column per model, one row per figure: fits a terminal however many budgets.
    table = Table("figure", *(r.name for r in report.results))

    def f(v: float | None) -> str:
        return "–" if v is None else f"{v:.3f}"

    table.add_row("AUC", *(f(r.auc) for r in report.results))
    for label, attr in (("precision", "precision"), ("recall", "recall"),
                        ("critical recall", "critical_recall"), ("duty recall", "duty_recall")):
        for i, m in enumerate(report.results[0].at):
            table.add_row(f"{label} @ {m.budget:.0%}",
                          *(f(getattr(r.at[i], attr)) for r in report.results))
    out.print(table)


@risk.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    train: Annotated[str | None, typer.Option(help=_WINDOW_HELP)] = None,
    valid: Annotated[str | None, typer.Option(help=_WINDOW_HELP)] = None,
    test: Annotated[str | None, typer.Option(help=_WINDOW_HELP)] = None,
    policy: Annotated[str, typer.Option(
        help="Rank by 'probability' or by expected duty at stake ('duty').")] = "probability",
    spec: SpecOption = None,
    baselines: Annotated[bool, typer.Option(help="Also run the paper's baselines.")] = True,
) -> None:
    """Train on the training window and measure on the test window, beside the baselines."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            report = service.run_evaluation(
                session, actor=operator(), train=_window(train, "train"),
                valid=_window(valid, "valid"), test=_window(test, "test"), policy=policy,
                spec_path=spec, baselines=baselines)
    emit(st, report, lambda: print_evaluation(report))


@risk.command("train")
def train_command(
    ctx: typer.Context,
    train: Annotated[str | None, typer.Option(help=_WINDOW_HELP)] = None,
    valid: Annotated[str | None, typer.Option(help=_WINDOW_HELP)] = None,
    spec: SpecOption = None,
) -> None:
    """Train a candidate model on the inspected declarations; promote it separately."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            version, created = service.train_model(
                session, actor=operator(), now=st.clock(), train=_window(train, "train"),
                valid=_window(valid, "valid"), spec_path=spec)
    at10 = version.validation.at_budget(0.10)
    emit(st, version.model_dump(mode="json") | {"created": created}, lambda: out.print(
        f"risk model {version.id} ({'new candidate' if created else 'already stored'}, "
        f"{version.status}): trained on {version.train}, validated on {version.valid}; "
        f"validation AUC {version.validation.auc or 0:.3f}, precision at 10 % "
        f"{at10.precision:.3f}; sha256 {version.content_sha256[:16]}…", highlight=False))


@risk.command("models")
def models_command(ctx: typer.Context) -> None:
    """List the stored model versions."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            versions = service.list_models(session, actor=operator())

    def human() -> None:
        table = Table("id", "status", "train", "valid", "trees", "AUC", "P@10%", "sha256",
                      "created")
        for v in versions:
            table.add_row(str(v.id), v.status, v.train, v.valid, str(v.trees),
                          f"{v.validation.auc or 0:.3f}",
                          f"{v.validation.at_budget(0.10).precision:.3f}",
                          v.content_sha256[:12], f"{v.created_at:%Y-%m-%d %H:%M} "
                          f"{v.created_by}")
        out.print(table)

    emit(st, [v.model_dump(mode="json") for v in versions], human)


@risk.command("promote")
def promote_command(ctx: typer.Context, model_id: int) -> None:
    """Make a model version the one that scores (an analyst's decision)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            version = service.promote_model(session, model_id, actor=operator(),
                                            now=st.clock())
    emit(st, version, lambda: out.print(f"risk model {version.id} promoted", highlight=False))




@risk.command("score")
def score_command(
    ctx: typer.Context,
    window: Annotated[str, typer.Argument(help="START:END, ISO dates, inclusive.")],
    top: Annotated[int, typer.Option(min=1, help="How many of the riskiest to show.")] = 20,
    policy: Annotated[str, typer.Option(
        help="Rank by 'probability' or by expected duty at stake ('duty').")] = "probability",
    model: Annotated[int | None, typer.Option(
        help="Model id (default: the promoted model).")] = None,
) -> None:
    """Rank the stored declarations of a window, the riskiest with their reasons."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            report = service.score_window(
                session, Window.parse(window, "window"), actor=operator(), model_id=model,
                policy=policy, top=top)

    def human() -> None:
        out.print(f"{report.declarations:,} declarations scored with risk model "
                  f"{report.model_id}; the {len(report.ranked)} riskiest by {report.policy}:",
                  highlight=False)
        for i, d in enumerate(report.ranked, 1):
            out.print(f"{i:>3}. [bold]{escape(d.reference or d.declaration_id)}[/] "
                      f"{d.declaration_date}  P(irregular) {d.probability:.3f}  expected duty "
                      f"{d.expected_duty:,.0f}", highlight=False)
            for r in d.reasons:
                out.print(f"     • {escape(r.text)}", highlight=False, soft_wrap=True)

    emit(st, report, human)
