"""Rules and reusable lists: stored, compiled against the lists, tested on history."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import polars as pl
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.errors import InvalidInput, NotFound
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.risk.frame import FINDING_COLUMNS, load_frame
from smartcustoms.risk.inspections import known_outcomes
from smartcustoms.risk.rules import CompiledRule, compile_rule
from smartcustoms.risk.selectivity import Lane
from smartcustoms.risk.spec import FRAME_KEYS
from smartcustoms.risk.tables import (
    LaneDecisionRow,
    RiskListRow,
    RiskRuleRow,
)

# What a rule may read: the risk frame's columns, national data elements, and two
# derived values an officer thinks in.
RULE_FIELDS = frozenset(FRAME_KEYS | {"unit_value", "duty_at_stake", "national.*"}
                        | set(FINDING_COLUMNS))
LIST_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def rule_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with the derived fields rules may use."""
    # Null without a positive mass, as division by zero is null in the rule language.
    derived = [pl.when(pl.col("net_mass_kg") > 0).then(pl.col("price") / pl.col("net_mass_kg"))
               .alias("unit_value")]
    if "duty_at_stake" not in frame.columns:
        derived.append((pl.col("price") * pl.col("duty_rate") / 100).alias("duty_at_stake"))
    return frame.with_columns(derived)


class RiskList(BaseModel):
    name: str
    description: str | None
    values: list[str]
    updated_by: str
    updated_at: dt.datetime


class Rule(BaseModel):
    id: int
    name: str
    condition: str
    lane: Lane
    priority: int
    valid_from: dt.date
    valid_to: dt.date | None
    active: bool
    description: str | None
    author: str
    created_at: dt.datetime


class RulePerformance(BaseModel):
    rule: Rule
    selected: int       # lane decisions this rule made
    inspected: int      # … of which an inspection result is recorded
    irregular: int
    hit_rate: float | None


class RuleTest(BaseModel):
    condition: str
    declarations: int   # labelled declarations in the history tested
    fired: int
    irregular_when_fired: int
    hit_rate: float | None
    base_rate: float | None


def _lists(session: Session) -> dict[str, list[str]]:
    return dict(session.execute(select(RiskListRow.name, RiskListRow.values)).all())


def _rule(row: RiskRuleRow) -> Rule:
    return Rule.model_validate(row, from_attributes=True)


def save_list(session: Session, name: str, values: Sequence[str], *, actor: Principal,
              now: dt.datetime, description: str | None = None) -> RiskList:
    """Create a list or replace its values (rules using it see the new values)."""
    actor.require(Permission.manage_rules)
    if not LIST_NAME.match(name):
        raise InvalidInput("a list name is lower-case letters, digits and _, starting with "
                           "a letter", field="name", value=name)
    clean = sorted({v.strip() for v in values if v.strip()})
    row = session.execute(select(RiskListRow).where(RiskListRow.name == name)
                          ).scalar_one_or_none()
    if row is None:
        row = RiskListRow(name=name, values=clean, description=description,
                          updated_by=actor.username, updated_at=now)
        session.add(row)
    else:
        row.values, row.updated_by, row.updated_at = clean, actor.username, now
        if description is not None:
            row.description = description
    audit.record(session, actor=actor.username, action="risk-list.save", entity_type="risk_list",
                 entity_id=name, detail={"values": clean}, now=now)
    session.flush()
    return RiskList.model_validate(row, from_attributes=True)


def check_condition(session: Session, condition: str) -> CompiledRule:
    """Compile a condition against the stored lists; a malformed one names its position."""
    return compile_rule(condition, lists=_lists(session), fields=RULE_FIELDS)


def create_rule(session: Session, *, name: str, condition: str, lane: Lane, actor: Principal,
                now: dt.datetime, priority: int = 0, valid_from: dt.date | None = None,
                valid_to: dt.date | None = None, description: str | None = None) -> Rule:
    actor.require(Permission.manage_rules)
    check_condition(session, condition)
    if not name.strip():
        raise InvalidInput("a rule needs a name", field="name", value=name)
    start = valid_from or now.date()
    if valid_to is not None and valid_to < start:
        raise InvalidInput("a rule's validity ends before it starts", field="valid_to",
                           value=str(valid_to))
    row = RiskRuleRow(name=name.strip(), condition=condition, lane=Lane(lane).value,
                      priority=priority, valid_from=start, valid_to=valid_to, active=True,
                      description=description, author=actor.username, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor.username, action="risk-rule.create",
                 entity_type="risk_rule", entity_id=str(row.id),
                 detail={"name": row.name, "condition": condition, "lane": row.lane}, now=now)
    return _rule(row)


def set_rule_active(session: Session, rule_id: int, active: bool, *, actor: Principal,
                    now: dt.datetime) -> Rule:
    actor.require(Permission.manage_rules)
    row = session.get(RiskRuleRow, rule_id)
    if row is None:
        raise NotFound(f"no rule {rule_id}", field="rule_id", value=rule_id)
    row.active = active
    audit.record(session, actor=actor.username,
                 action="risk-rule.activate" if active else "risk-rule.deactivate",
                 entity_type="risk_rule", entity_id=str(rule_id), detail={"active": active},
                 now=now)
    return _rule(row)


def active_rules(session: Session) -> list[tuple[RiskRuleRow, CompiledRule]]:
    lists = _lists(session)
    rows = session.scalars(select(RiskRuleRow).where(RiskRuleRow.active.is_(True))
                           .order_by(RiskRuleRow.id))
    return [(r, compile_rule(r.condition, lists=lists, fields=RULE_FIELDS)) for r in rows]


def list_rules(session: Session, *, actor: Principal) -> list[RulePerformance]:
    """Every rule with its hit rate: of the declarations it selected and that were
    inspected, the share where the inspection found an irregularity."""
    actor.require(Permission.read_all_declarations)
    outcomes = known_outcomes(session)
    stats: dict[int, list[int]] = {}
    for decl_id, rule_ids in session.execute(
            select(LaneDecisionRow.declaration_id, LaneDecisionRow.rule_ids)
            .where(LaneDecisionRow.selected_by == "rule")):
        irregular = outcomes.get(decl_id)
        for rule_id in rule_ids or []:
            s = stats.setdefault(rule_id, [0, 0, 0])
            s[0] += 1
            if irregular is not None:
                s[1] += 1
                s[2] += int(irregular)
    out = []
    for row in session.scalars(select(RiskRuleRow).order_by(RiskRuleRow.id)):
        selected, inspected, irregular = stats.get(row.id, [0, 0, 0])
        out.append(RulePerformance(rule=_rule(row), selected=selected, inspected=inspected,
                                   irregular=irregular,
                                   hit_rate=irregular / inspected if inspected else None))
    return out


def try_rule(session: Session, condition: str, *, actor: Principal,
              since: dt.date | None = None) -> RuleTest:
    """How a condition would have done on the labelled history (before it is saved)."""
    actor.require(Permission.manage_rules)
    compiled = check_condition(session, condition)
    frame = load_frame(session)
    if since is not None:
        frame = frame.filter(pl.col("date") >= since)
    labelled = rule_frame(frame.filter(pl.col("irregular").is_not_null()))
    per_decl = (labelled.with_columns(compiled.expr().alias("_fired"))
                .group_by("declaration_id").agg(pl.col("_fired").any(),
                                                pl.col("irregular").max()))
    fired = per_decl.filter(pl.col("_fired"))
    n, k = len(per_decl), len(fired)
    hits = int(fired["irregular"].sum() or 0)
    return RuleTest(condition=condition, declarations=n, fired=k, irregular_when_fired=hits,
                    hit_rate=hits / k if k else None,
                    base_rate=float(per_decl["irregular"].mean() or 0) if n else None)
