"""The declaration page's Transit panel: the movements that carry the declared goods,
their seal state and open alerts (staff with ``transit:read``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from smartcustoms.identity import Permission
from smartcustoms.transit.alerts import CaseStatus
from smartcustoms.transit.registry import TripInfo, list_trips
from smartcustoms.transit.tables import TransitAlertRow

from .session import ConsoleSession


@dataclass(frozen=True)
class TransitTripLine:
    info: TripInfo
    open_alerts: int
    critical: int

    @property
    def href(self) -> str:
        return f"/console/transit/trips/{self.info.trip.reference}"


@dataclass(frozen=True)
class TransitPanel:
    trips: tuple[TransitTripLine, ...]


def load_transit_panel(db: DbSession, reference: str, session: ConsoleSession
                       ) -> TransitPanel | None:
    """None for those who may not read transit data, and when no trip names it."""
    if not session.principal.can(Permission.read_transit):
        return None
    trips = list_trips(db, declaration_ref=reference)
    if not trips:
        return None
    counts = dict(db.execute(
        select(TransitAlertRow.trip_ref, func.count())
        .where(TransitAlertRow.trip_ref.in_([t.trip.reference for t in trips]),
               TransitAlertRow.engine_state == "active",
               TransitAlertRow.case_status != CaseStatus.RESOLVED.value)
        .group_by(TransitAlertRow.trip_ref)).all())
    critical = dict(db.execute(
        select(TransitAlertRow.trip_ref, func.count())
        .where(TransitAlertRow.trip_ref.in_([t.trip.reference for t in trips]),
               TransitAlertRow.engine_state == "active", TransitAlertRow.severity == "critical",
               TransitAlertRow.case_status != CaseStatus.RESOLVED.value)
        .group_by(TransitAlertRow.trip_ref)).all())
    return TransitPanel(tuple(TransitTripLine(t, counts.get(t.trip.reference, 0),
                                              critical.get(t.trip.reference, 0))
                              for t in trips))
