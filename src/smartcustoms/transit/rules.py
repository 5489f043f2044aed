"""Rules over a trip's ordered observations: each a small class with its thresholds.

The engine folds observations in device-time order through every rule. A rule keeps a
small state object of immutable values (so the engine can snapshot it with
``copy.copy``), writes alerts into the fold's alert map by id (re-writing an id updates
it), and may add open episodes at ``finish`` for the evaluation time. Rules never look
at the wall clock: "now" is the ``as_of`` the engine passes in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from smartcustoms.transit.alerts import Alert, AlertKind, Severity, alert_id_for
from smartcustoms.transit.corridors import CorridorGeometry, Location
from smartcustoms.transit.errors import SealTransitionRefused
from smartcustoms.transit.events import CommandKind, SealCommand, SealStatus, TelemetryEvent
from smartcustoms.transit.seals import Seal, SealState, SealTrigger, transition
from smartcustoms.transit.trips import RiskLevel, Trip

# --- thresholds ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Defaults for a medium-risk trip; durations in seconds, distances in metres.

    The corridor gives the deviation entry distance (its width) and the planning speed.
    """

    deviation_exit_margin_m: float = 100.0
    deviation_min_outside_s: float = 180.0
    deviation_min_outside_fraction: float = 0.5
    stop_speed_kmh: float = 3.0
    stop_radius_m: float = 75.0
    stop_max_s: float = 1800.0
    at_risk_margin_s: float = 1800.0
    silence_s: float = 1200.0
    gnss_max_fix_age_s: float = 120.0
    gnss_loss_min_s: float = 600.0
    temperature_min_duration_s: float = 900.0
    battery_low_pct: float = 15.0
    battery_rearm_pct: float = 25.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


_DURATIONS = (
    "deviation_min_outside_s",
    "stop_max_s",
    "silence_s",
    "gnss_loss_min_s",
    "temperature_min_duration_s",
)
_RISK_FACTOR = {RiskLevel.LOW: 1.5, RiskLevel.MEDIUM: 1.0, RiskLevel.HIGH: 0.5}


def thresholds_for(risk: RiskLevel, base: Thresholds | None = None) -> Thresholds:
    """Tighter waiting times for high-risk trips, looser for low; distances unchanged."""
    base = base or Thresholds()
    factor = _RISK_FACTOR[risk]
    return replace(base, **{f: getattr(base, f) * factor for f in _DURATIONS})


# --- observations and the fold's shared state ---------------------------------------


def _ts(value: datetime) -> float:
    return value.timestamp()


@dataclass(frozen=True, slots=True)
class Obs:
    """An accepted item placed on the trip's timeline, geometry computed once."""

    key: tuple[float, int, int, str]
    t: float
    at: datetime
    event: TelemetryEvent | None = None
    command: SealCommand | None = None
    loc: Location | None = None  # None when there is no usable fix
    fix_ok: bool = False


def observe_event(
    event: TelemetryEvent, digest: str, geometry: CorridorGeometry, th: Thresholds
) -> Obs:
    t = _ts(event.device_time)
    fix_ok = event.lat is not None and (
        event.fix_time is None
        or t - _ts(event.fix_time) <= th.gnss_max_fix_age_s
    )
    loc = geometry.locate(event.lon, event.lat) if fix_ok else None  # type: ignore[arg-type]
    seq = -1 if event.device_seq is None else event.device_seq
    return Obs((t, 1, seq, digest), t, event.device_time, event=event, loc=loc, fix_ok=fix_ok)


def observe_command(command: SealCommand) -> Obs:
    t = _ts(command.issued_at)
    # Rank 0: an officer's command at the same instant as a report applies first.
    return Obs((t, 0, 0, command.command_id), t, command.issued_at, command=command)


@dataclass(frozen=True, slots=True)
class Context:
    trip: Trip
    geometry: CorridorGeometry
    thresholds: Thresholds

    @property
    def width_m(self) -> float:
        return self.geometry.corridor.width_m


@dataclass(slots=True)
class FoldState:
    seal: Seal
    rules: list[Any]
    alerts: dict[str, Alert]
    last_loc: Location | None = None
    max_progress: float = 0.0
    refusals: tuple[str, ...] = ()
    arrived: bool = False  # kept by the seal rule: after arrival the other rules rest

    def clone(self) -> FoldState:
        """A deep enough copy: rule states are copied, their fields are immutable."""
        return FoldState(
            self.seal,
            [_copy_state(s) for s in self.rules],
            dict(self.alerts),
            self.last_loc,
            self.max_progress,
            self.refusals,
            self.arrived,
        )

    def for_finish(self) -> FoldState:
        """Shares the rule states (``finish`` only reads them) with a fresh alert map."""
        return FoldState(self.seal, self.rules, dict(self.alerts), self.last_loc,
                         self.max_progress, self.refusals, self.arrived)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _copy_state(state: Any) -> Any:
    cls = type(state)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(state))
    return cls(*[getattr(state, n) for n in names])


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class Rule:
    """Base of the rules: ``initial``, ``step`` per observation, ``finish`` at as_of."""

    name: ClassVar[str]
    kind: ClassVar[AlertKind]
    severity: ClassVar[Severity] = Severity.WARNING

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def thresholds(self) -> dict[str, float | str]:
        return {}

    def initial(self) -> Any:
        raise NotImplementedError

    def step(self, st: Any, o: Obs, fs: FoldState) -> None:
        raise NotImplementedError

    def finish(self, st: Any, as_of: float, fs: FoldState) -> None:
        """Add what holds at ``as_of`` to ``fs.alerts``; must not change ``st``."""
        return None

    def emit(
        self,
        fs: FoldState,
        *,
        opened: datetime,
        raised: datetime,
        detail: str,
        closed: datetime | None = None,
        subject: str = "",
        measurements: Mapping[str, float | str] | None = None,
        kind: AlertKind | None = None,
        severity: Severity | None = None,
    ) -> None:
        kind = kind or self.kind
        ref = self.ctx.trip.reference
        alert_id = alert_id_for(ref, kind, subject, opened)
        previous = fs.alerts.get(alert_id)
        if previous is not None:
            raised = previous.raised_at  # an update keeps when it was first satisfied
        fs.alerts[alert_id] = Alert(
            alert_id=alert_id,
            trip_ref=ref,
            kind=kind,
            severity=severity or self.severity,
            subject=subject,
            opened_at=opened,
            closed_at=closed,
            raised_at=raised,
            detail=detail,
            measurements=dict(measurements or {}),
            rule=self.name,
            thresholds=self.thresholds(),
        )


# --- seal ---------------------------------------------------------------------------

_COMMAND_TRIGGER = {
    CommandKind.ASSIGN: SealTrigger.ASSIGN,
    CommandKind.ARM: SealTrigger.ARM,
    CommandKind.AUTHORISE_OPENING: SealTrigger.AUTHORISE_OPENING,
    CommandKind.RESEAL: SealTrigger.RESEAL,
    CommandKind.CONFIRM_ARRIVAL: SealTrigger.CONFIRM_ARRIVAL,
    CommandKind.DISARM: SealTrigger.DISARM,
}


@dataclass(slots=True)
class _NoState:
    pass


class SealTamperRule(Rule):
    """Drives the seal state machine; an entry into ``tampered`` is an alert."""

    name = "seal-tamper"
    kind = AlertKind.SEAL_TAMPER
    severity = Severity.CRITICAL

    def initial(self) -> _NoState:
        return _NoState()

    def _apply(self, fs: FoldState, trigger: SealTrigger, o: Obs, **kw: Any) -> None:
        before = fs.seal
        try:
            fs.seal = transition(before, trigger, **kw)
        except SealTransitionRefused as exc:
            if o.command is not None:  # a device report that does not fit is not news
                fs.refusals = (*fs.refusals, f"{o.at.isoformat()} {exc.detail}")
            return
        fs.arrived = fs.seal.state in (SealState.ARRIVED, SealState.DISARMED)
        if fs.seal.state is SealState.TAMPERED and before.state is not SealState.TAMPERED:
            self.emit(
                fs,
                opened=o.at,
                raised=o.at,
                subject=fs.seal.seal_id,
                detail=f"seal {fs.seal.seal_id}: {fs.seal.tamper_reason}",
                measurements={"previous_state": before.state.value},
            )

    def step(self, st: _NoState, o: Obs, fs: FoldState) -> None:
        cmd = o.command
        if cmd is not None:
            if cmd.seal_id not in self.ctx.trip.seal_ids:
                fs.refusals = (*fs.refusals, f"{o.at.isoformat()} unknown seal {cmd.seal_id}")
                return
            zone = fs.last_loc.zone if fs.last_loc else None
            self._apply(fs, _COMMAND_TRIGGER[cmd.kind], o, zone=zone, officer_id=cmd.officer_id)
            return
        ev = o.event
        assert ev is not None
        if o.loc is not None:
            office = o.loc.zone is not None and o.loc.zone.is_office
            state = fs.seal.state
            if state is SealState.ARMED and not office:
                self._apply(fs, SealTrigger.DEPART, o)
            elif state is SealState.IN_TRANSIT and office:
                self._apply(fs, SealTrigger.ENTER_OFFICE, o)
            elif state is SealState.AT_OFFICE and not office:
                self._apply(fs, SealTrigger.LEAVE_OFFICE, o)
        if ev.seal_status is SealStatus.OPENED:
            self._apply(fs, SealTrigger.OPENED, o)
        if ev.seal_status is SealStatus.BROKEN:
            self._apply(fs, SealTrigger.TAMPER, o, reason="seal reported broken")
        if ev.tamper_flags:
            flags = ", ".join(f.value for f in ev.tamper_flags)
            self._apply(fs, SealTrigger.TAMPER, o, reason=f"tamper flags: {flags}")


# --- route deviation ----------------------------------------------------------------


@dataclass(slots=True)
class _Deviation:
    start: Obs | None = None
    n: int = 0
    n_out: int = 0
    max_out_m: float = 0.0
    raised: bool = False


class RouteDeviationRule(Rule):
    """Outside the corridor: enter beyond ``width``, leave below ``width - margin``.

    Raised only after ``min_outside_s`` with at least ``min_outside_fraction`` of the
    episode's fixes beyond the width: a lone GNSS outlier, or noise along the edge,
    never raises it, and the exit margin stops an alert flapping on the way back.
    """

    name = "route-deviation"
    kind = AlertKind.ROUTE_DEVIATION

    def thresholds(self) -> dict[str, float | str]:
        th = self.ctx.thresholds
        return {
            "width_m": self.ctx.width_m,
            "exit_margin_m": th.deviation_exit_margin_m,
            "min_outside_s": th.deviation_min_outside_s,
            "min_outside_fraction": th.deviation_min_outside_fraction,
        }

    def initial(self) -> _Deviation:
        return _Deviation()

    def step(self, st: _Deviation, o: Obs, fs: FoldState) -> None:
        if o.loc is None or fs.arrived:
            return
        th, width = self.ctx.thresholds, self.ctx.width_m
        d = o.loc.distance_m
        if st.start is None:
            if d > width:
                st.start, st.n, st.n_out, st.max_out_m, st.raised = o, 1, 1, d - width, False
            return
        if d < width - th.deviation_exit_margin_m:
            if st.raised:
                self._emit(fs, st, closed=o.at)
            st.start, st.raised = None, False
            return
        st.n += 1
        if d > width:
            st.n_out += 1
            st.max_out_m = max(st.max_out_m, d - width)
        if (
            not st.raised
            and o.t - st.start.t >= th.deviation_min_outside_s
            and st.n_out / st.n >= th.deviation_min_outside_fraction
        ):
            st.raised = True
            self._emit(fs, st, raised=o.at)

    def _emit(
        self, fs: FoldState, st: _Deviation, *, closed: datetime | None = None,
        raised: datetime | None = None,
    ) -> None:
        assert st.start is not None
        self.emit(
            fs,
            opened=st.start.at,
            raised=raised or st.start.at,
            closed=closed,
            detail=f"outside the corridor by up to {st.max_out_m:.0f} m",
            measurements={"max_outside_m": round(st.max_out_m, 1), "fixes": st.n},
        )


# --- unscheduled stop ---------------------------------------------------------------


@dataclass(slots=True)
class _Stop:
    start: Obs | None = None
    ax: float = 0.0
    ay: float = 0.0
    exempt: bool = False
    raised: bool = False
    far: int = 0  # consecutive stationary fixes away from the anchor


class UnscheduledStopRule(Rule):
    """Stationary (speed below a threshold, within a radius) for too long outside zones.

    A fix far from the stop's anchor while the speed still says stationary is taken for a
    GNSS outlier; only ``_FAR_FIXES`` of them in a row (or a moving report) end the stop,
    so one bad fix cannot split a long stop into two short ones.
    """

    name = "unscheduled-stop"
    kind = AlertKind.UNSCHEDULED_STOP
    _FAR_FIXES = 3

    def thresholds(self) -> dict[str, float | str]:
        th = self.ctx.thresholds
        return {
            "stop_speed_kmh": th.stop_speed_kmh,
            "stop_radius_m": th.stop_radius_m,
            "stop_max_s": th.stop_max_s,
        }

    def initial(self) -> _Stop:
        return _Stop()

    def _stationary(self, o: Obs) -> bool:
        speed = o.event.speed_kmh if o.event else None
        return speed is not None and speed <= self.ctx.thresholds.stop_speed_kmh

    def step(self, st: _Stop, o: Obs, fs: FoldState) -> None:
        if o.loc is None or o.event is None or fs.arrived:
            return
        th = self.ctx.thresholds
        stationary = self._stationary(o)
        if st.start is not None:
            near = math.hypot(o.loc.x - st.ax, o.loc.y - st.ay) <= th.stop_radius_m
            if stationary and not near and st.far + 1 < self._FAR_FIXES:
                st.far += 1
                return
            if stationary and near:
                st.far = 0
                if not st.raised and not st.exempt and o.t - st.start.t >= th.stop_max_s:
                    st.raised = True
                    self._emit(fs, st, raised=o.at)
                return
            if st.raised:
                self._emit(fs, st, closed=o.at, duration=o.t - st.start.t)
            st.start, st.raised = None, False
        if stationary:
            zone = o.loc.zone
            st.start, st.ax, st.ay, st.exempt, st.far = o, o.loc.x, o.loc.y, zone is not None, 0

    def finish(self, st: _Stop, as_of: float, fs: FoldState) -> None:
        th = self.ctx.thresholds
        if (
            st.start is not None and not st.raised and not st.exempt and not fs.arrived
            and as_of - st.start.t >= th.stop_max_s
        ):
            self._emit(fs, st, raised=_dt(as_of))

    def _emit(
        self, fs: FoldState, st: _Stop, *, raised: datetime | None = None,
        closed: datetime | None = None, duration: float | None = None,
    ) -> None:
        assert st.start is not None
        measurements: dict[str, float | str] = {}
        if duration is not None:
            measurements["duration_s"] = round(duration, 1)
        self.emit(
            fs,
            opened=st.start.at,
            raised=raised or st.start.at,
            closed=closed,
            detail="stopped outside any authorised stop zone",
            measurements=measurements,
        )


# --- overdue and at risk ------------------------------------------------------------


@dataclass(slots=True)
class _Overdue:
    overdue: bool = False
    overdue_closed: bool = False
    at_risk: bool = False


class OverdueRule(Rule):
    """Past the customs time limit, or heading there: the remaining route at the
    corridor's planning speed would end within ``at_risk_margin_s`` of the limit."""

    name = "overdue"
    kind = AlertKind.OVERDUE

    def thresholds(self) -> dict[str, float | str]:
        return {
            "time_limit": self.ctx.trip.time_limit.isoformat(),
            "planning_speed_kmh": self.ctx.geometry.corridor.planning_speed_kmh,
            "at_risk_margin_s": self.ctx.thresholds.at_risk_margin_s,
        }

    def initial(self) -> _Overdue:
        return _Overdue()

    def _raise_overdue(self, fs: FoldState, raised: datetime) -> None:
        limit = self.ctx.trip.time_limit
        self.emit(fs, opened=limit, raised=raised, severity=Severity.CRITICAL,
                  detail=f"not arrived by the time limit {limit.isoformat()}")

    def step(self, st: _Overdue, o: Obs, fs: FoldState) -> None:
        limit = self.ctx.trip.time_limit
        limit_t = _ts(limit)
        if fs.arrived:
            if st.overdue and not st.overdue_closed:
                st.overdue_closed = True
                prev = fs.alerts[alert_id_for(self.ctx.trip.reference, self.kind, "", limit)]
                self.emit(fs, opened=limit, raised=prev.raised_at, closed=o.at,
                          severity=Severity.CRITICAL,
                          detail=f"arrived after the time limit {limit.isoformat()}")
            return
        if o.event is None:
            return
        if o.t > limit_t and not st.overdue:
            st.overdue = True
            self._raise_overdue(fs, o.at)
        if st.at_risk or st.overdue:
            return
        geometry = self.ctx.geometry
        remaining_m = (1.0 - fs.max_progress) * geometry.length_m
        eta = o.t + remaining_m / (geometry.corridor.planning_speed_kmh / 3.6)
        if eta > limit_t - self.ctx.thresholds.at_risk_margin_s:
            st.at_risk = True
            self.emit(
                fs, opened=o.at, raised=o.at, kind=AlertKind.AT_RISK_OF_OVERDUE,
                detail=f"estimated arrival {_dt(eta).isoformat()} is too close to the limit",
                measurements={"progress": round(fs.max_progress, 4),
                              "eta": _dt(eta).isoformat()},
            )

    def finish(self, st: _Overdue, as_of: float, fs: FoldState) -> None:
        if not fs.arrived and not st.overdue and as_of > _ts(self.ctx.trip.time_limit):
            self._raise_overdue(fs, _dt(as_of))


# --- silence, GNSS loss, temperature, battery ---------------------------------------


@dataclass(slots=True)
class _Silence:
    last: Obs | None = None


class SilentDeviceRule(Rule):
    """No report for longer than ``silence_s`` of device time (or up to ``as_of``)."""

    name = "silent-device"
    kind = AlertKind.SILENT_DEVICE

    def thresholds(self) -> dict[str, float | str]:
        return {"silence_s": self.ctx.thresholds.silence_s}

    def initial(self) -> _Silence:
        return _Silence()

    def step(self, st: _Silence, o: Obs, fs: FoldState) -> None:
        if o.event is None or fs.arrived:
            return
        last, limit = st.last, self.ctx.thresholds.silence_s
        if last is not None and o.t - last.t > limit:
            self.emit(fs, opened=last.at, raised=_dt(last.t + limit), closed=o.at,
                      detail=f"no report for {o.t - last.t:.0f} s",
                      measurements={"gap_s": round(o.t - last.t, 1)})
        st.last = o

    def finish(self, st: _Silence, as_of: float, fs: FoldState) -> None:
        last, limit = st.last, self.ctx.thresholds.silence_s
        if last is not None and not fs.arrived and as_of - last.t > limit:
            self.emit(fs, opened=last.at, raised=_dt(last.t + limit),
                      detail=f"no report since {last.at.isoformat()}")


@dataclass(slots=True)
class _Episode:
    start: Obs | None = None
    raised: bool = False
    peak: float = 0.0


class _DurationRule(Rule):
    """A condition that must hold for ``min_s`` before an alert; unknown keeps the state."""

    def min_s(self) -> float:
        raise NotImplementedError

    def condition(self, o: Obs) -> tuple[bool | None, float]:
        raise NotImplementedError

    def describe(self, st: _Episode) -> tuple[str, dict[str, float | str]]:
        raise NotImplementedError

    def initial(self) -> _Episode:
        return _Episode()

    def step(self, st: _Episode, o: Obs, fs: FoldState) -> None:
        if o.event is None or fs.arrived:
            return
        holds, value = self.condition(o)
        if holds is None:
            return
        if holds:
            if st.start is None:
                st.start, st.raised, st.peak = o, False, value
            st.peak = max(st.peak, value)
            if not st.raised and o.t - st.start.t >= self.min_s():
                st.raised = True
                self._emit(fs, st, raised=o.at)
        elif st.start is not None:
            if st.raised:
                self._emit(fs, st, closed=o.at)
            st.start, st.raised = None, False

    def finish(self, st: _Episode, as_of: float, fs: FoldState) -> None:
        if (st.start is not None and not st.raised and not fs.arrived
                and as_of - st.start.t >= self.min_s()):
            self._emit(fs, st, raised=_dt(as_of))

    def _emit(self, fs: FoldState, st: _Episode, *, raised: datetime | None = None,
              closed: datetime | None = None) -> None:
        assert st.start is not None
        detail, measurements = self.describe(st)
        self.emit(fs, opened=st.start.at, raised=raised or st.start.at, closed=closed,
                  detail=detail, measurements=measurements)


class GnssLossRule(_DurationRule):
    """Reports without a usable fix (none, or older than ``gnss_max_fix_age_s``)."""

    name = "gnss-loss"
    kind = AlertKind.GNSS_LOSS

    def thresholds(self) -> dict[str, float | str]:
        th = self.ctx.thresholds
        return {"gnss_max_fix_age_s": th.gnss_max_fix_age_s, "gnss_loss_min_s": th.gnss_loss_min_s}

    def min_s(self) -> float:
        return self.ctx.thresholds.gnss_loss_min_s

    def condition(self, o: Obs) -> tuple[bool | None, float]:
        return (not o.fix_ok), 0.0

    def describe(self, st: _Episode) -> tuple[str, dict[str, float | str]]:
        return "no usable GNSS fix", {}


class TemperatureExcursionRule(_DurationRule):
    """Cargo temperature outside the trip's band for at least ``min_duration``."""

    name = "temperature-excursion"
    kind = AlertKind.TEMPERATURE_EXCURSION

    def thresholds(self) -> dict[str, float | str]:
        low, high = self.ctx.trip.temperature_range_c or (math.nan, math.nan)
        return {"min_c": low, "max_c": high,
                "min_duration_s": self.ctx.thresholds.temperature_min_duration_s}

    def min_s(self) -> float:
        return self.ctx.thresholds.temperature_min_duration_s

    def condition(self, o: Obs) -> tuple[bool | None, float]:
        band = self.ctx.trip.temperature_range_c
        temp = o.event.temperature_c if o.event else None
        if band is None or temp is None:
            return None, 0.0
        excess = max(band[0] - temp, temp - band[1])
        return excess > 0, excess

    def describe(self, st: _Episode) -> tuple[str, dict[str, float | str]]:
        return (f"temperature outside the band by up to {st.peak:.1f} °C",
                {"max_excess_c": round(st.peak, 2)})


@dataclass(slots=True)
class _Battery:
    low_since: Obs | None = None


class LowBatteryRule(Rule):
    """Battery under ``battery_low_pct``; re-armed only above ``battery_rearm_pct``."""

    name = "low-battery"
    kind = AlertKind.LOW_BATTERY
    severity = Severity.INFO

    def thresholds(self) -> dict[str, float | str]:
        th = self.ctx.thresholds
        return {"battery_low_pct": th.battery_low_pct, "battery_rearm_pct": th.battery_rearm_pct}

    def initial(self) -> _Battery:
        return _Battery()

    def step(self, st: _Battery, o: Obs, fs: FoldState) -> None:
        level = o.event.battery_pct if o.event else None
        if level is None or fs.arrived:
            return
        th = self.ctx.thresholds
        if st.low_since is None and level < th.battery_low_pct:
            st.low_since = o
            self.emit(fs, opened=o.at, raised=o.at, detail=f"battery at {level:.0f} %",
                      measurements={"battery_pct": level})
        elif st.low_since is not None and level >= th.battery_rearm_pct:
            start = st.low_since
            st.low_since = None
            self.emit(fs, opened=start.at, raised=start.at, closed=o.at,
                      detail="battery recovered", measurements={"battery_pct": level})


def build_rules(ctx: Context) -> list[Rule]:
    rules: list[Rule] = [
        SealTamperRule(ctx),
        RouteDeviationRule(ctx),
        UnscheduledStopRule(ctx),
        OverdueRule(ctx),
        SilentDeviceRule(ctx),
        GnssLossRule(ctx),
        LowBatteryRule(ctx),
    ]
    if ctx.trip.temperature_range_c is not None:
        rules.append(TemperatureExcursionRule(ctx))
    return rules


# --- across trips -------------------------------------------------------------------


class DuplicateSealUseRule(Rule):
    name = "duplicate-seal-use"
    kind = AlertKind.DUPLICATE_SEAL_USE
    severity = Severity.CRITICAL


def check_duplicate_seal_use(
    trips: Sequence[Trip], arrivals: Mapping[str, datetime] | None = None
) -> list[Alert]:
    """A seal on two trips whose active periods overlap (departure to arrival, or to the
    time limit while not arrived): the later trip gets the alert."""
    arrivals = arrivals or {}
    by_seal: dict[str, list[Trip]] = {}
    for trip in trips:
        for seal in trip.seal_ids:
            by_seal.setdefault(seal, []).append(trip)
    alerts: list[Alert] = []
    for seal, users in sorted(by_seal.items()):
        users.sort(key=lambda t: (t.departure_at, t.reference))
        for i, later in enumerate(users):
            for earlier in users[:i]:
                end = arrivals.get(earlier.reference, earlier.time_limit)
                if later.departure_at >= end or earlier.reference == later.reference:
                    continue
                opened = later.departure_at
                alerts.append(Alert(
                    alert_id=alert_id_for(later.reference, AlertKind.DUPLICATE_SEAL_USE,
                                          seal, opened),
                    trip_ref=later.reference,
                    kind=AlertKind.DUPLICATE_SEAL_USE,
                    severity=Severity.CRITICAL,
                    subject=seal,
                    opened_at=opened,
                    raised_at=opened,
                    detail=f"seal {seal} is also on trip {earlier.reference}",
                    measurements={"other_trip": earlier.reference},
                    rule=DuplicateSealUseRule.name,
                ))
    return alerts
