"""Alerts: what the rules found (``Alert``), how sets of them differ after a re-evaluation
(``AlertDiff``), and the officer's case on each (``AlertCase``: open → acknowledged →
assigned → resolved with a reason code).

An alert's id is derived from trip, kind, subject and episode start, so the same episode
found again by a replay or a re-evaluation has the same id. A late event can move an
episode's start (new id: the old one is retracted and the new one re-issues it) or end it
earlier (same id, updated).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from smartcustoms.transit.errors import AlertTransitionRefused


class AlertKind(StrEnum):
    SEAL_TAMPER = "seal_tamper"
    ROUTE_DEVIATION = "route_deviation"
    UNSCHEDULED_STOP = "unscheduled_stop"
    OVERDUE = "overdue"
    AT_RISK_OF_OVERDUE = "at_risk_of_overdue"
    SILENT_DEVICE = "silent_device"
    GNSS_LOSS = "gnss_loss"
    TEMPERATURE_EXCURSION = "temperature_excursion"
    LOW_BATTERY = "low_battery"
    DUPLICATE_SEAL_USE = "duplicate_seal_use"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Alert(BaseModel):
    """One episode a rule found, on device time; ``closed_at`` None while it lasts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    trip_ref: str
    kind: AlertKind
    severity: Severity
    subject: str = Field("", description="What it is about beyond the trip: seal, zone.")
    opened_at: datetime
    closed_at: datetime | None = None
    raised_at: datetime = Field(description="Device time at which the rule was satisfied.")
    detail: str
    measurements: dict[str, float | str] = Field(default_factory=dict)
    rule: str
    thresholds: dict[str, float | str] = Field(default_factory=dict)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.opened_at <= end and (self.closed_at is None or self.closed_at >= start)


def alert_id_for(trip_ref: str, kind: AlertKind, subject: str, opened_at: datetime) -> str:
    key = f"{trip_ref}|{kind.value}|{subject}|{opened_at.astimezone(UTC).isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Reissue:
    old: Alert
    new: Alert


@dataclass(frozen=True, slots=True)
class AlertDiff:
    """Between two alert sets: new, withdrawn, replaced by a corrected episode, changed."""

    raised: tuple[Alert, ...] = ()
    retracted: tuple[Alert, ...] = ()
    reissued: tuple[Reissue, ...] = ()
    updated: tuple[Alert, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.raised or self.retracted or self.reissued or self.updated)


def diff_alerts(old: dict[str, Alert], new: dict[str, Alert]) -> AlertDiff:
    """Compare by id; a withdrawn alert overlapping a new one of the same kind and subject
    is reported as re-issued, so an officer sees one corrected alert, not two changes."""
    if old is new:
        return AlertDiff()
    gone = [a for k, a in old.items() if k not in new]
    came = [a for k, a in new.items() if k not in old]
    updated = tuple(a for k, a in new.items() if k in old and old[k] != a)
    reissued: list[Reissue] = []
    for o in list(gone):
        for n in came:
            if (n.kind, n.subject) == (o.kind, o.subject) and n.overlaps(
                o.opened_at, o.closed_at or datetime.max.replace(tzinfo=UTC)
            ):
                reissued.append(Reissue(o, n))
                gone.remove(o)
                came.remove(n)
                break
    return AlertDiff(tuple(came), tuple(gone), tuple(reissued), updated)


# --- the officer's case -------------------------------------------------------------


class CaseStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class ResolutionReason(StrEnum):
    CONFIRMED_INFRINGEMENT = "confirmed_infringement"
    AUTHORISED_BY_OFFICE = "authorised_by_office"
    GNSS_ERROR = "gnss_error"
    DEVICE_FAULT = "device_fault"
    TRAFFIC_OR_ROADWORKS = "traffic_or_roadworks"
    DUPLICATE_ALERT = "duplicate_alert"
    RETRACTED_BY_LATE_DATA = "retracted_by_late_data"  # set by the system only
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CaseEntry:
    at: datetime
    actor: str
    status: CaseStatus
    note: str = ""


@dataclass(frozen=True, slots=True)
class AlertCase:
    alert_id: str
    status: CaseStatus = CaseStatus.OPEN
    assignee: str | None = None
    reason: ResolutionReason | None = None
    history: tuple[CaseEntry, ...] = field(default_factory=tuple)


_CASE_STEPS: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    CaseStatus.OPEN: (CaseStatus.ACKNOWLEDGED, CaseStatus.RESOLVED),
    CaseStatus.ACKNOWLEDGED: (CaseStatus.ASSIGNED, CaseStatus.RESOLVED),
    CaseStatus.ASSIGNED: (CaseStatus.ASSIGNED, CaseStatus.RESOLVED),
    CaseStatus.RESOLVED: (),
}


def _step(case: AlertCase, to: CaseStatus, at: datetime, actor: str, note: str) -> AlertCase:
    if to not in _CASE_STEPS[case.status]:
        allowed = ", ".join(s.value for s in _CASE_STEPS[case.status]) or "none"
        raise AlertTransitionRefused(
            f"alert {case.alert_id} is {case.status.value} and cannot become {to.value}; "
            f"allowed: {allowed}",
            field="status",
            value=to.value,
        )
    return replace(case, status=to, history=(*case.history, CaseEntry(at, actor, to, note)))


def open_case(alert: Alert, at: datetime) -> AlertCase:
    return AlertCase(alert.alert_id, history=(CaseEntry(at, "system", CaseStatus.OPEN),))


def acknowledge(case: AlertCase, officer: str, at: datetime) -> AlertCase:
    return _step(case, CaseStatus.ACKNOWLEDGED, at, officer, "")


def assign(case: AlertCase, officer: str, assignee: str, at: datetime) -> AlertCase:
    return replace(_step(case, CaseStatus.ASSIGNED, at, officer, assignee), assignee=assignee)


def resolve(
    case: AlertCase, officer: str, reason: ResolutionReason, at: datetime, note: str = ""
) -> AlertCase:
    if reason is ResolutionReason.RETRACTED_BY_LATE_DATA and officer != "system":
        raise AlertTransitionRefused(
            "only the system resolves with retracted_by_late_data", field="reason", value=reason
        )
    if case.status is CaseStatus.OPEN and officer != "system":
        # An officer must at least have looked at it (acknowledged) before closing it.
        raise AlertTransitionRefused(
            f"alert {case.alert_id} is open; acknowledge it before resolving",
            field="status",
            value=CaseStatus.RESOLVED.value,
        )
    return replace(_step(case, CaseStatus.RESOLVED, at, officer, note), reason=reason)


def retract_case(case: AlertCase, at: datetime) -> AlertCase:
    """The engine withdrew the alert: close the case unless an officer already did."""
    if case.status is CaseStatus.RESOLVED:
        return case
    return resolve(case, "system", ResolutionReason.RETRACTED_BY_LATE_DATA, at)
