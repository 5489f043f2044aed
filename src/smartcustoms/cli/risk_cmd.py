"""CLI: inspection outcomes, risk model training, evaluation and promotion."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from smartcustoms.cli.common import (
    LazyModule,
    emit,
    handled,
    iso_date,
    operator,
    out,
    require_schema,
    state,
)
from smartcustoms.cli.lane_settings_cmd import lane_settings
from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput
from smartcustoms.risk import inspections, lane_store
from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes
from smartcustoms.risk.selectivity import Lane

if TYPE_CHECKING:
    from smartcustoms.risk import evaluate, lanes, rule_store, service
    from smartcustoms.risk.evaluate import EvaluationReport, Window
else:  # imported by the commands that use them (see LazyModule)
    evaluate = LazyModule("smartcustoms.risk.evaluate")
    lanes = LazyModule("smartcustoms.risk.lanes")
    rule_store = LazyModule("smartcustoms.risk.rule_store")
    service = LazyModule("smartcustoms.risk.service")

risk = typer.Typer(no_args_is_help=True, help="AI risk targeting: outcomes, models, evaluation.")

_WINDOW_HELP = "START:END, ISO dates, inclusive (default: a 70/15/15 chronological split)"
SpecOption = Annotated[Path | None, typer.Option(
    "--spec", help="Feature spec YAML (default: data/risk/features.yaml).")]


def _values(text: str) -> frozenset[str]:
    return frozenset(v.strip() for v in text.split(",") if v.strip())


def _window(text: str | None, name: str) -> Window | None:
    return evaluate.Window.parse(text, name) if text else None


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
                session, evaluate.Window.parse(window, "window"), actor=operator(),
                model_id=model,
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


# --- rules, lists, lanes, inspections ------------------------------------------------------

rules_app = typer.Typer(no_args_is_help=True, help="Officer-written selectivity rules.")
lists_app = typer.Typer(no_args_is_help=True, help="Reusable lists for rules (@name).")
risk.add_typer(rules_app, name="rules")
risk.add_typer(lists_app, name="lists")
risk.add_typer(lane_settings, name="lane-settings")


@lists_app.command("set")
def lists_set(
    ctx: typer.Context, name: str,
    values: Annotated[list[str], typer.Argument(help="The values (companies, codes, prefixes).")],
    description: Annotated[str | None, typer.Option(help="What the list is for.")] = None,
) -> None:
    """Create a list or replace its values."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            saved = rule_store.save_list(session, name, values, actor=operator(),
                                         now=st.clock(), description=description)
    emit(st, saved, lambda: out.print(f"list @{saved.name}: {len(saved.values)} values",
                                      highlight=False))


@rules_app.command("add")
def rules_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="A short title officers will read.")],
    condition: Annotated[str, typer.Option(help="The criterion, e.g. "
                                           "'origin in @watch and hs6 startswith \"8517\"'.")],
    lane: Annotated[Lane, typer.Option(help="The lane it assigns.")],
    priority: Annotated[int, typer.Option(help="Higher wins between rules of one lane.")] = 0,
    valid_from: Annotated[str | None, typer.Option(help="ISO date (default: today).")] = None,
    valid_to: Annotated[str | None, typer.Option(help="ISO date (default: open).")] = None,
    description: Annotated[str | None, typer.Option(help="Why the rule exists.")] = None,
) -> None:
    """Add a rule (it is checked first: a malformed one is rejected with the position)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            rule = rule_store.create_rule(
                session, name=name, condition=condition, lane=lane, actor=operator(),
                now=st.clock(), priority=priority,
                valid_from=iso_date(valid_from, "valid_from"),
                valid_to=iso_date(valid_to, "valid_to"),
                description=description)
    emit(st, rule, lambda: out.print(f"rule {rule.id} added: {escape(rule.name)} → {rule.lane}",
                                     highlight=False))


@rules_app.command("test")
def rules_test(
    ctx: typer.Context, condition: str,
    since: Annotated[str | None, typer.Option(help="Only history from this ISO date.")] = None,
) -> None:
    """How a condition would have done on the inspected history."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            result = rule_store.try_rule(session, condition, actor=operator(),
                                         since=iso_date(since, "since"))

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.1%}"

    emit(st, result, lambda: out.print(
        f"fires on {result.fired:,} of {result.declarations:,} inspected declarations; "
        f"hit rate {pct(result.hit_rate)} (all inspected: {pct(result.base_rate)})",
        highlight=False))


@rules_app.command("list")
def rules_list(ctx: typer.Context) -> None:
    """Every rule with its hit rate from inspection results."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            rules = rule_store.list_rules(session, actor=operator())

    def human() -> None:
        table = Table("id", "name", "lane", "prio", "valid", "active", "selected", "inspected",
                      "hit rate", "condition")
        for p in rules:
            r = p.rule
            table.add_row(str(r.id), escape(r.name), r.lane.value, str(r.priority),
                          f"{r.valid_from}:{r.valid_to or ''}", "yes" if r.active else "no",
                          str(p.selected), str(p.inspected),
                          "–" if p.hit_rate is None else f"{p.hit_rate:.1%}",
                          escape(r.condition))
        out.print(table)

    emit(st, [p.model_dump(mode="json") for p in rules], human)


@rules_app.command("disable")
def rules_disable(ctx: typer.Context, rule_id: int) -> None:
    """Stop a rule from selecting (it stays, with its history)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            rule = rule_store.set_rule_active(session, rule_id, False, actor=operator(),
                                              now=st.clock())
    emit(st, rule, lambda: out.print(f"rule {rule.id} disabled", highlight=False))


@risk.command("lanes")
def lanes_command(
    ctx: typer.Context,
    window: Annotated[str, typer.Argument(help="START:END, ISO dates, inclusive.")],
    settings: Annotated[Path | None, typer.Option(
        "--settings", help="Lane settings YAML (default: the settings in force, "
        "`risk lane-settings show`).")] = None,
    redo: Annotated[bool, typer.Option(help="Decide again those already decided.")] = False,
    model: Annotated[int | None, typer.Option(help="Model id (default: promoted).")] = None,
) -> None:
    """Give each declaration of the window a lane: rules, a random share, the model."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        # An explicit file wins over the settings in force.
        explicit = lane_store.load_lane_settings(settings) if settings else None
        with unit_of_work(st.sessions) as session:
            report = lanes.decide_lanes(session, evaluate.Window.parse(window, "window"),
                                        actor=operator(), now=st.clock(),
                                        settings=explicit, model_id=model, redo=redo)
    emit(st, report, lambda: out.print(
        f"{report.decided:,} declarations decided ({report.already_decided:,} already were) "
        f"with risk model {report.model_id}: "
        + ", ".join(f"{lane} {report.lanes.get(lane, 0):,}" for lane in Lane)
        + "; selected by " + ", ".join(f"{k} {v:,}" for k, v in sorted(
            report.selected_by.items()))
        + f"; lane settings sha256 {report.settings_sha256[:12]}", highlight=False))


@risk.command("inspect")
def inspect_command(
    ctx: typer.Context,
    declaration_id: str,
    irregular: Annotated[bool, typer.Option("--irregular/--regular",
                                            help="What the inspection found.")],
    critical: Annotated[bool, typer.Option(help="A critical irregularity.")] = False,
    duty_recovered: Annotated[str | None, typer.Option(help="Duty recovered.")] = None,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
    inspected_on: Annotated[str | None, typer.Option(help="ISO date (default: today).")]
    = None,
) -> None:
    """Record an inspection result (the label the models learn from)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        try:
            duty = None if duty_recovered is None else Decimal(duty_recovered)
        except InvalidOperation:
            raise InvalidInput("duty recovered must be a number", field="duty_recovered",
                               value=duty_recovered) from None
        with unit_of_work(st.sessions) as session:
            result, created = inspections.record_inspection(
                session, declaration_id, irregular=irregular, critical=critical or None,
                duty_recovered=duty, notes=notes, actor=operator(), now=st.clock(),
                inspected_on=iso_date(inspected_on, "inspected_on"))
    emit(st, result.model_dump(mode="json") | {"created": created}, lambda: out.print(
        f"inspection of {declaration_id} {'recorded' if created else 'corrected'}: "
        f"{'irregular' if irregular else 'regular'}", highlight=False))


@risk.command("feedback")
def feedback_command(ctx: typer.Context) -> None:
    """Hit rates by how declarations were selected, the exploration share, an unbiased
    estimate of the irregularity rate."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            report = inspections.feedback_report(session, actor=operator())

    def human() -> None:
        table = Table("selected by", "decisions", "inspected", "irregular", "hit rate")
        for s in report.by_selection:
            table.add_row(s.selected_by, f"{s.decisions:,}", f"{s.inspected_with_result:,}",
                          f"{s.irregular:,}",
                          "–" if s.hit_rate is None else f"{s.hit_rate:.1%}")
        out.print(table)
        share, rate = report.exploration_share, report.estimated_irregularity_rate
        out.print(f"exploration share of inspections: {'–' if share is None else f'{share:.1%}'}"
                  f"; estimated irregularity rate of all decided declarations: "
                  f"{'–' if rate is None else f'{rate:.1%}'}", highlight=False)

    emit(st, report, human)


@risk.command("simulate")
def simulate_command(
    ctx: typer.Context,
    budget: Annotated[float, typer.Option(help="Share of each week inspected.")] = 0.10,
    warmup_weeks: Annotated[int, typer.Option(help="Weeks of random inspection first.")] = 4,
    random_share: Annotated[float, typer.Option(
        help="Share of the budget drawn at random (model+random, engine).")] = 0.10,
    explore_share: Annotated[float, typer.Option(
        help="Share of the budget on frequent patterns never inspected (engine).")] = 0.10,
    explore: Annotated[str, typer.Option(
        help="The feature-spec entity that defines a pattern.")] = "consignment",
    last_weeks: Annotated[int, typer.Option(help="The final stretch averaged apart.")] = 26,
    strategy: Annotated[list[str] | None, typer.Option(
        help="Strategies to run (repeatable; default: all).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    spec: SpecOption = None,
) -> None:
    """Replay the labelled declarations week by week: each strategy learns only from what
    it inspected."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from smartcustoms.risk.frame import load_frame
    from smartcustoms.risk.simulate import STRATEGIES, SimulationOptions, simulate
    from smartcustoms.risk.spec import load_spec

    st = state(ctx)
    with handled(st):
        require_schema(st)
        options = SimulationOptions(
            budget=budget, warmup_weeks=warmup_weeks, random_share=random_share,
            explore_share=explore_share, explore=explore, last_weeks=last_weeks, seed=seed,
            strategies=strategy or list(STRATEGIES))
        with st.sessions() as session:
            frame = load_frame(session)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      MofNCompleteColumn(), console=out, disable=st.json,
                      transient=True) as progress:
            task = progress.add_task("simulating", total=None)

            def on_week(name: str, week: int, weeks: int) -> None:
                progress.update(task, description=f"simulating {name}", completed=week + 1,
                                total=weeks)

            report = simulate(frame, load_spec(spec), options, on_week=on_week)

    def human() -> None:
        out.print(f"{report.declarations:,} labelled declarations, {report.weeks} weeks; "
                  f"budget {options.budget:.0%}, warm-up {options.warmup_weeks} weeks",
                  highlight=False)
        table = Table("strategy", "precision (all)", "recall (all)", "critical (all)",
                      f"precision (last {options.last_weeks})",
                      f"recall (last {options.last_weeks})",
                      f"critical (last {options.last_weeks})")

        def f(v: float | None) -> str:
            return "–" if v is None else f"{v:.3f}"

        for r in report.results:
            table.add_row(r.strategy, f(r.precision_all), f(r.recall_all),
                          f(r.critical_recall_all), f(r.precision_last), f(r.recall_last),
                          f(r.critical_recall_last))
        out.print(table)

    emit(st, report, human)
