"""Alert diffs and the officer's case lifecycle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smartcustoms.transit.alerts import (
    Alert,
    AlertKind,
    CaseStatus,
    ResolutionReason,
    Severity,
    acknowledge,
    alert_id_for,
    assign,
    diff_alerts,
    open_case,
    resolve,
    retract_case,
)
from smartcustoms.transit.errors import AlertTransitionRefused

from .conftest import T0


def make_alert(minute: int, kind: AlertKind = AlertKind.UNSCHEDULED_STOP,
               closed: int | None = None) -> Alert:
    opened = T0 + timedelta(minutes=minute)
    return Alert(alert_id=alert_id_for("REF", kind, "", opened), trip_ref="REF", kind=kind,
                 severity=Severity.WARNING, opened_at=opened, raised_at=opened,
                 closed_at=None if closed is None else T0 + timedelta(minutes=closed),
                 detail="d", rule="r")


def test_diff_raised_retracted_reissued_updated() -> None:
    a, b, c = make_alert(0), make_alert(100, AlertKind.SILENT_DEVICE), make_alert(200)
    a_closed = make_alert(0, closed=40)
    c_moved = make_alert(205)  # the same stop, its start corrected by a late event
    d = make_alert(300, AlertKind.GNSS_LOSS)
    old = {x.alert_id: x for x in (a, b, c)}
    new = {x.alert_id: x for x in (a_closed, c_moved, d)}
    diff = diff_alerts(old, new)
    assert diff.raised == (d,)
    assert diff.retracted == (b,)
    assert [(r.old, r.new) for r in diff.reissued] == [(c, c_moved)]
    assert diff.updated == (a_closed,)
    assert diff_alerts(new, new).empty


def test_case_lifecycle_with_reason_code() -> None:
    case = open_case(make_alert(0), T0)
    case = acknowledge(case, "officer-1", T0)
    case = assign(case, "officer-1", "mobile-team-3", T0)
    case = resolve(case, "mobile-team-3", ResolutionReason.TRAFFIC_OR_ROADWORKS, T0, "jam")
    assert case.status is CaseStatus.RESOLVED and case.assignee == "mobile-team-3"
    assert case.reason is ResolutionReason.TRAFFIC_OR_ROADWORKS
    assert [e.status for e in case.history] == list(CaseStatus)


def test_refused_case_steps() -> None:
    case = open_case(make_alert(0), T0)
    with pytest.raises(AlertTransitionRefused, match="acknowledge it before resolving"):
        resolve(case, "officer-1", ResolutionReason.OTHER, T0)
    with pytest.raises(AlertTransitionRefused, match="is open and cannot become assigned"):
        assign(case, "officer-1", "x", T0)
    with pytest.raises(AlertTransitionRefused, match="only the system"):
        resolve(acknowledge(case, "o", T0), "o", ResolutionReason.RETRACTED_BY_LATE_DATA, T0)
    done = resolve(acknowledge(case, "o", T0), "o", ResolutionReason.GNSS_ERROR, T0)
    with pytest.raises(AlertTransitionRefused, match="allowed: none"):
        acknowledge(done, "o", T0)


def test_retraction_closes_an_open_case_but_keeps_a_resolved_one() -> None:
    case = retract_case(open_case(make_alert(0), T0), T0)
    assert case.reason is ResolutionReason.RETRACTED_BY_LATE_DATA
    done = resolve(acknowledge(open_case(make_alert(0), T0), "o", T0),
                   "o", ResolutionReason.CONFIRMED_INFRINGEMENT, T0)
    assert retract_case(done, T0) is done
