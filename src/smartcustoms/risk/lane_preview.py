"""What lane settings would give each office: slots per day on the recent declarations.

Capacity is a share or a count per office and day; what that means in inspections depends
on how many declarations each office receives. The preview counts the stored declarations
of the last days per office and day and gives each lane its ``Capacity.slots``, lanes
filling in turn (red, yellow, blue) as selection does, so a day never has more slots than
declarations. The random share is drawn inside red's slots; rules come on top of capacity
and are not counted.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcustoms.declarations.tables import DeclarationRow
from smartcustoms.errors import InvalidInput
from smartcustoms.identity import Permission, Principal
from smartcustoms.risk.selectivity import Lane, LaneSettings

PREVIEW_DAYS = 7
MAX_PREVIEW_DAYS = 92
FILLED = (Lane.red, Lane.yellow, Lane.blue)
ALL_OFFICES = "all offices"


class OfficeSlots(BaseModel):
    """One office over the preview's days (or every office together)."""

    office: str
    days: int  # days on which the office received declarations
    declarations: int
    slots: dict[Lane, int]  # summed over those days
    own_capacity: bool = False  # the settings override this office's capacity

    @property
    def declarations_per_day(self) -> float:
        return self.declarations / self.days if self.days else 0.0

    def per_day(self, lane: Lane) -> float:
        return self.slots.get(lane, 0) / self.days if self.days else 0.0

    @property
    def inspected_share(self) -> float | None:
        """Red and yellow slots over declarations: the share physically or documentarily
        checked."""
        inspected = self.slots.get(Lane.red, 0) + self.slots.get(Lane.yellow, 0)
        return inspected / self.declarations if self.declarations else None


class LanePreview(BaseModel):
    start: dt.date | None  # None: no declarations stored up to today
    end: dt.date | None
    days: int
    settings_sha256: str
    offices: list[OfficeSlots]
    total: OfficeSlots


def day_slots(settings: LaneSettings, office: str | None, declarations: int
              ) -> dict[Lane, int]:
    """The slots each lane gets on one office-day, lanes filling in turn as selection does."""
    left = declarations
    out: dict[Lane, int] = {}
    for lane in FILLED:
        capacity = settings.capacity_for(office, lane)
        out[lane] = min(capacity.slots(declarations), left) if capacity else 0
        left -= out[lane]
    return out


def preview_lane_capacity(session: Session, settings: LaneSettings, *, actor: Principal,
                          today: dt.date, days: int = PREVIEW_DAYS) -> LanePreview:
    """Per office, declarations per day over the last ``days`` days of stored declarations
    (up to ``today``) and the slots each lane would get under ``settings``."""
    actor.require(Permission.read_all_declarations)
    if not 1 <= days <= MAX_PREVIEW_DAYS:
        raise InvalidInput(f"the preview covers 1 to {MAX_PREVIEW_DAYS} days", field="days",
                           value=days)
    end = session.scalar(select(func.max(DeclarationRow.declaration_date))
                         .where(DeclarationRow.declaration_date <= today))
    if end is None:
        return LanePreview(start=None, end=None, days=days, settings_sha256=settings.digest(),
                           offices=[], total=_summed(ALL_OFFICES, []))
    start = end - dt.timedelta(days=days - 1)
    counts = _counts_per_office_day(session, start, end)
    per_office: dict[str, list[OfficeSlots]] = {}
    for (office, _day), declarations in counts.items():
        per_office.setdefault(office, []).append(OfficeSlots(
            office=office, days=1, declarations=declarations,
            slots=day_slots(settings, office, declarations)))
    offices = [_summed(office, rows, own_capacity=office in settings.offices)
               for office, rows in sorted(per_office.items())]
    total = _summed(ALL_OFFICES, [row for rows in per_office.values() for row in rows])
    # Every office together: per calendar day with declarations, not per office-day.
    total = total.model_copy(update={"days": len({day for _office, day in counts})})
    return LanePreview(start=start, end=end, days=days, settings_sha256=settings.digest(),
                       offices=offices, total=total)


def _counts_per_office_day(session: Session, start: dt.date, end: dt.date
                           ) -> dict[tuple[str, dt.date], int]:
    rows = session.execute(
        select(DeclarationRow.office, DeclarationRow.declaration_date, func.count())
        .where(DeclarationRow.declaration_date.between(start, end))
        .group_by(DeclarationRow.office, DeclarationRow.declaration_date))
    return {(office, day): count for office, day, count in rows}


def _summed(office: str, rows: list[OfficeSlots], *, own_capacity: bool = False
            ) -> OfficeSlots:
    return OfficeSlots(office=office, days=len(rows),
                       declarations=sum(r.declarations for r in rows),
                       slots={lane: sum(r.slots[lane] for r in rows) for lane in FILLED},
                       own_capacity=own_capacity)
