"""Typed contexts of the lane settings page: the settings as an editable form (text as
typed, errors beside each field), the capacity preview, the version history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from smartcustoms.errors import FieldError
from smartcustoms.identity import Permission
from smartcustoms.risk.lane_preview import FILLED, LanePreview, OfficeSlots
from smartcustoms.risk.lane_store import LaneSettingsVersion
from smartcustoms.risk.selectivity import Capacity, Lane, LaneSettings

from .contexts import LANES_PATH, Layout
from .session import ConsoleSession

LANE_NAMES = tuple(lane.value for lane in FILLED)  # the lanes with a capacity
POLICIES = ("probability", "duty")
SHARE, COUNT = "share", "count"


def percent(share: float) -> str:
    """0.05 → '5': exact, so a form saved unchanged gives the same digest."""
    return format((Decimal(str(share)) * 100).normalize(), "f")


@dataclass(frozen=True, slots=True)
class CapacityInput:
    """A lane's capacity as typed: a share in percent or a count per day; kind '' is
    no capacity (default lanes) or the default capacity (an office's lanes)."""

    kind: str = ""
    value: str = ""

    @classmethod
    def of(cls, capacity: Capacity | None) -> CapacityInput:
        if capacity is None:
            return cls()
        if capacity.count is not None:
            return cls(COUNT, str(capacity.count))
        return cls(SHARE, percent(capacity.share or 0))


@dataclass(frozen=True, slots=True)
class OfficeInput:
    code: str = ""
    lanes: tuple[CapacityInput, ...] = (CapacityInput(),) * len(FILLED)

    @property
    def blank(self) -> bool:
        """An added row left empty: it means nothing and is dropped."""
        return not self.code.strip() and not any(c.kind for c in self.lanes)


@dataclass(frozen=True, slots=True)
class LaneSettingsForm:
    seed: str
    random_rate: str  # percent
    policy: str
    capacity: tuple[CapacityInput, ...]  # red, yellow, blue
    offices: tuple[OfficeInput, ...] = ()
    note: str = ""
    days: str = ""  # the preview's window; '' for the default
    errors: tuple[FieldError, ...] = ()

    @classmethod
    def of(cls, settings: LaneSettings, days: str = "") -> LaneSettingsForm:
        return cls(
            seed=str(settings.seed), random_rate=percent(settings.random_rate),
            policy=settings.policy,
            capacity=tuple(CapacityInput.of(settings.capacity.get(lane)) for lane in FILLED),
            offices=tuple(OfficeInput(code, tuple(CapacityInput.of(lanes.get(lane))
                                                  for lane in FILLED))
                          for code, lanes in sorted(settings.offices.items())),
            days=days)

    @property
    def lanes(self) -> tuple[tuple[str, CapacityInput], ...]:
        return tuple(zip(LANE_NAMES, self.capacity, strict=True))

    def office_lanes(self, row: OfficeInput) -> tuple[tuple[str, CapacityInput], ...]:
        return tuple(zip(LANE_NAMES, row.lanes, strict=True))

    def error(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)

    @property
    def field_names(self) -> frozenset[str]:
        """The names errors are shown beside; other errors go above the form."""
        names = {"seed", "random_rate", "policy", "note", "days",
                 *(f"capacity.{lane}" for lane in LANE_NAMES)}
        for i in range(len(self.offices)):
            names |= {f"offices[{i}].code", *(f"offices[{i}].{lane}" for lane in LANE_NAMES)}
        return frozenset(names)

    @property
    def other_errors(self) -> tuple[FieldError, ...]:
        return tuple(e for e in self.errors if e.field not in self.field_names)


# --- the preview ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PreviewRow:
    office: str
    days: int
    declarations_per_day: float
    slots_per_day: tuple[float, ...]  # red, yellow, blue under the form's settings
    in_force_per_day: tuple[float, ...] | None  # under the settings in force, when other
    inspected_share: float | None
    own_capacity: bool

    @classmethod
    def of(cls, row: OfficeSlots, in_force: OfficeSlots | None) -> PreviewRow:
        return cls(office=row.office, days=row.days,
                   declarations_per_day=row.declarations_per_day,
                   slots_per_day=tuple(row.per_day(lane) for lane in FILLED),
                   in_force_per_day=tuple(in_force.per_day(lane) for lane in FILLED)
                   if in_force else None,
                   inspected_share=row.inspected_share, own_capacity=row.own_capacity)

    @property
    def cells(self) -> tuple[tuple[str, float, float | None], ...]:
        """Per lane: its name, slots per day, and per day under the settings in force."""
        before = self.in_force_per_day or (None,) * len(FILLED)
        return tuple(zip(LANE_NAMES, self.slots_per_day, before, strict=True))


@dataclass(frozen=True, slots=True)
class PreviewView:
    preview: LanePreview
    rows: tuple[PreviewRow, ...]
    total: PreviewRow
    compared: bool  # the form differs from the settings in force: both are shown

    @classmethod
    def of(cls, preview: LanePreview, in_force: LanePreview | None) -> PreviewView:
        before = {row.office: row for row in in_force.offices} if in_force else {}
        return cls(preview=preview,
                   rows=tuple(PreviewRow.of(r, before.get(r.office) if in_force else None)
                              for r in preview.offices),
                   total=PreviewRow.of(preview.total, in_force.total if in_force else None),
                   compared=in_force is not None)


# --- the history ----------------------------------------------------------------------------

def summary(settings: LaneSettings) -> str:
    """E.g. 'red 5 %, yellow 5 %, blue 10/day; random 2 %; by probability'."""
    def capacity(lane: Lane) -> str:
        cap = settings.capacity.get(lane)
        if cap is None:
            return f"{lane.value} none"
        if cap.count is not None:
            return f"{lane.value} {cap.count}/day"
        return f"{lane.value} {percent(cap.share or 0)} %"

    offices = len(settings.offices)
    return (", ".join(capacity(lane) for lane in FILLED)
            + f"; random {percent(settings.random_rate)} %; by {settings.policy}"
            + (f"; {offices} office{'s' if offices != 1 else ''} with its own capacity"
               if offices else ""))


@dataclass(frozen=True, slots=True)
class HistoryRow:
    version: LaneSettingsVersion
    summary: str

    @property
    def sha_prefix(self) -> str:
        return self.version.sha256[:12]


# --- the page -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LanesPage:
    layout: Layout
    in_force: LaneSettingsVersion
    in_force_summary: str
    form: LaneSettingsForm
    preview: PreviewView | None  # None: the form is not valid, nothing to preview
    history: tuple[HistoryRow, ...]
    can_configure: bool
    notice: str | None = None
    lanes: tuple[str, ...] = LANE_NAMES
    policies: tuple[str, ...] = POLICIES

    @classmethod
    def build(cls, session: ConsoleSession, in_force: LaneSettingsVersion,
              form: LaneSettingsForm, preview: PreviewView | None,
              history: list[LaneSettingsVersion], notice: str | None = None) -> LanesPage:
        return cls(layout=Layout.build(session, LANES_PATH), in_force=in_force,
                   in_force_summary=summary(in_force.settings), form=form, preview=preview,
                   history=tuple(HistoryRow(v, summary(v.settings)) for v in history),
                   can_configure=session.principal.can(Permission.configure_lanes),
                   notice=notice)
