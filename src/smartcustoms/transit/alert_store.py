"""Alerts in the database: follow the engine's published set, keep the officer's case.

``sync`` brings a trip's stored alerts in line with what its monitor publishes now, by
diffing against the stored active set: new alerts open a case; a withdrawn one is kept,
marked retracted (its case closed by the system unless an officer already had); a
re-issued one (a late event moved the episode's start) hands its case, with assignee and
history, to the corrected alert. Because it diffs stored against current, the same call
repairs the table after a crash between the raw-log commit and the alert update.

The officer's steps (acknowledge, assign, resolve) go through the pure lifecycle in
``alerts.py`` and are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.errors import InvalidInput, NotFound
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.transit.alerts import (
    Alert,
    AlertCase,
    AlertKind,
    CaseEntry,
    CaseStatus,
    ResolutionReason,
    acknowledge,
    assign,
    diff_alerts,
    resolve,
    retract_case,
)
from smartcustoms.transit.tables import TransitAlertRow

ACTIVE, RETRACTED = "active", "retracted"
# Raised by the service across trips, not by a trip's monitor: ``sync`` leaves them be.
CROSS_TRIP_KINDS = frozenset({AlertKind.DUPLICATE_SEAL_USE})


class AlertView(BaseModel):
    """An alert with its case, as the API and the console show it."""

    model_config = ConfigDict(frozen=True)

    alert: Alert
    engine_state: str
    replaced_by: str | None
    case_status: CaseStatus
    assignee: str | None
    reason: ResolutionReason | None
    history: list[dict[str, Any]]
    first_seen_at: dt.datetime
    updated_at: dt.datetime


class Change(BaseModel):
    """One change to the alert queue, pushed to the console's WebSocket."""

    model_config = ConfigDict(frozen=True)

    change: str  # raised | retracted | reissued | updated | case
    trip_ref: str
    alert: AlertView
    replaces: str | None = None


def active_alerts(session: Session, trip_ref: str) -> dict[str, Alert]:
    rows = session.scalars(select(TransitAlertRow).where(
        TransitAlertRow.trip_ref == trip_ref, TransitAlertRow.engine_state == ACTIVE))
    return {r.alert_id: Alert.model_validate(r.alert) for r in rows
            if r.kind not in CROSS_TRIP_KINDS}


def sync(session: Session, trip_ref: str, stored: dict[str, Alert],
         current: Iterable[Alert], now: dt.datetime) -> list[Change]:
    """Apply the difference between ``stored`` (what the table has active for the trip)
    and ``current`` (what the monitor publishes); returns the changes made."""
    new = {a.alert_id: a for a in current if a.kind not in CROSS_TRIP_KINDS}
    diff = diff_alerts(stored, new)
    if diff.empty:
        return []
    changes: list[Change] = []
    for alert in diff.raised:
        changes.append(Change(change="raised", trip_ref=trip_ref,
                              alert=_view(_raise(session, alert, now))))
    for alert in diff.retracted:
        row = _row(session, alert.alert_id)
        row.engine_state = RETRACTED
        _store_case(row, retract_case(_case(row), now), now)
        changes.append(Change(change="retracted", trip_ref=trip_ref, alert=_view(row)))
    for re in diff.reissued:
        old = _row(session, re.old.alert_id)
        old.engine_state, old.replaced_by, old.updated_at = RETRACTED, re.new.alert_id, now
        row = _raise(session, re.new, now, carry=old)
        changes.append(Change(change="reissued", trip_ref=trip_ref, alert=_view(row),
                              replaces=re.old.alert_id))
    for alert in diff.updated:
        row = _row(session, alert.alert_id)
        _set_alert(row, alert, now)
        changes.append(Change(change="updated", trip_ref=trip_ref, alert=_view(row)))
    return changes


def store_cross_trip(session: Session, alerts: Iterable[Alert], now: dt.datetime
                     ) -> list[Change]:
    """Alerts the service raises across trips (duplicate seal use); once each."""
    changes = []
    for alert in alerts:
        if session.get(TransitAlertRow, alert.alert_id) is None:
            changes.append(Change(change="raised", trip_ref=alert.trip_ref,
                                  alert=_view(_raise(session, alert, now))))
    return changes


def _raise(session: Session, alert: Alert, now: dt.datetime,
           carry: TransitAlertRow | None = None) -> TransitAlertRow:
    row = session.get(TransitAlertRow, alert.alert_id)
    if row is None:
        row = TransitAlertRow(alert_id=alert.alert_id, trip_ref=alert.trip_ref,
                              first_seen_at=now, history=[])
        session.add(row)
        case = AlertCase(alert.alert_id, history=(CaseEntry(now, "system", CaseStatus.OPEN),))
    else:  # raised again after a retraction: a new case episode on the same row
        case = AlertCase(alert.alert_id, history=(*_case(row).history,
                                                  CaseEntry(now, "system", CaseStatus.OPEN,
                                                            "raised again")))
    if carry is not None:  # re-issued: the officer's case follows the corrected alert
        old = _case(carry)
        note = f"re-issued from {carry.alert_id}"
        case = AlertCase(alert.alert_id, old.status, old.assignee, old.reason,
                         (*old.history, CaseEntry(now, "system", old.status, note)))
    row.engine_state, row.replaced_by = ACTIVE, None
    _set_alert(row, alert, now)
    _store_case(row, case, now)
    return row


def _set_alert(row: TransitAlertRow, alert: Alert, now: dt.datetime) -> None:
    row.kind, row.severity, row.subject = alert.kind.value, alert.severity.value, alert.subject
    row.opened_at, row.closed_at = alert.opened_at, alert.closed_at
    row.alert = alert.model_dump(mode="json")
    row.updated_at = now


def _case(row: TransitAlertRow) -> AlertCase:
    history = tuple(CaseEntry(dt.datetime.fromisoformat(h["at"]), h["actor"],
                              CaseStatus(h["status"]), h.get("note", ""))
                    for h in row.history)
    return AlertCase(row.alert_id, CaseStatus(row.case_status), row.assignee,
                     ResolutionReason(row.reason) if row.reason else None, history)


def _store_case(row: TransitAlertRow, case: AlertCase, now: dt.datetime) -> None:
    row.case_status = case.status.value
    row.assignee = case.assignee
    row.reason = case.reason.value if case.reason else None
    row.history = [{"at": e.at.isoformat(), "actor": e.actor, "status": e.status.value,
                    "note": e.note} for e in case.history]
    row.updated_at = now


def _row(session: Session, alert_id: str) -> TransitAlertRow:
    row = session.get(TransitAlertRow, alert_id)
    if row is None:
        raise NotFound(f"no transit alert {alert_id}", field="alert_id", value=alert_id)
    return row


def _view(row: TransitAlertRow) -> AlertView:
    return AlertView(alert=Alert.model_validate(row.alert), engine_state=row.engine_state,
                     replaced_by=row.replaced_by, case_status=CaseStatus(row.case_status),
                     assignee=row.assignee,
                     reason=ResolutionReason(row.reason) if row.reason else None,
                     history=list(row.history), first_seen_at=row.first_seen_at,
                     updated_at=row.updated_at)


# --------------------------------------------------------------------------- reading


def get_alert(session: Session, actor: Principal, alert_id: str) -> AlertView:
    actor.require(Permission.read_transit)
    return _view(_row(session, alert_id))


def list_alerts(session: Session, actor: Principal, *, trip_ref: str | None = None,
                open_only: bool = False, include_retracted: bool = False,
                limit: int = 200) -> list[AlertView]:
    """Newest first; the queue is the open ones (not resolved), retracted left out."""
    actor.require(Permission.read_transit)
    query = select(TransitAlertRow)
    if trip_ref:
        query = query.where(TransitAlertRow.trip_ref == trip_ref)
    if open_only:
        query = query.where(TransitAlertRow.case_status != CaseStatus.RESOLVED.value)
    if not include_retracted:
        query = query.where(TransitAlertRow.engine_state == ACTIVE)
    query = query.order_by(TransitAlertRow.opened_at.desc(), TransitAlertRow.alert_id)
    return [_view(r) for r in session.scalars(query.limit(limit))]


# --------------------------------------------------------------------------- the case


def step_case(session: Session, actor: Principal, alert_id: str, action: str,
              now: dt.datetime, *, assignee: str | None = None,
              reason: ResolutionReason | None = None, note: str = "") -> Change:
    """acknowledge | assign (to ``assignee``) | resolve (with ``reason``)."""
    actor.require(Permission.handle_transit_alerts)
    row = _row(session, alert_id)
    case = _case(row)
    if action == "acknowledge":
        case = acknowledge(case, actor.username, now)
    elif action == "assign":
        if not assignee:
            raise InvalidInput("assign needs an assignee", field="assignee", value=assignee)
        case = assign(case, actor.username, assignee, now)
    elif action == "resolve":
        if reason is None:
            raise InvalidInput("resolve needs a reason code", field="reason", value=None)
        case = resolve(case, actor.username, reason, now, note)
    else:
        raise InvalidInput(f"no case action {action!r}; use acknowledge, assign or resolve",
                       field="action", value=action)
    _store_case(row, case, now)
    audit.record(session, actor=actor.username, action=f"transit.alert.{action}",
                 entity_type="transit_alert", entity_id=alert_id,
                 detail={"assignee": assignee, "reason": reason.value if reason else None,
                         "note": note}, now=now)
    return Change(change="case", trip_ref=row.trip_ref, alert=_view(row))
