"""Clock faults of trackers, judged against the time the platform received the report.

Two faults are common in the field. A device whose RTC lost power or took a bad network
time reports a time far in the future (or long past): nothing trustworthy can be derived
from it, so the event is quarantined, kept in the raw log, and never folded. GNSS
receivers count weeks in a 10-bit field, so after a rollover (1999, 2019, and again in
2038 for old firmware) they report a date exactly 1024 weeks (about 19.6 years) too
early: that is recognisable and reversible, so it is corrected and the event carries a
``ClockFlag`` and the original value. Nothing is rewritten without a flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from smartcustoms.transit.events import ClockFlag, TelemetryEvent

GPS_WEEK_ROLLOVER = timedelta(weeks=1024)


@dataclass(frozen=True, slots=True)
class ClockPolicy:
    """How far a device time may sit from the receive time and still be believed.

    ``future_tolerance`` covers clock drift and the receiver's own error; ``max_backlog``
    is how long a device may buffer reports out of coverage (a week of store-and-forward
    is generous for road transit); ``max_rollovers`` how many 1024-week cycles to try.
    """

    future_tolerance: timedelta = timedelta(minutes=5)
    max_backlog: timedelta = timedelta(days=7)
    max_rollovers: int = 2


class ClockOutcome(StrEnum):
    ACCEPTED = "accepted"
    CORRECTED = "corrected"
    QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class ClockVerdict:
    outcome: ClockOutcome
    event: TelemetryEvent
    reason: str | None = None


def _plausible(t: datetime, received_at: datetime, policy: ClockPolicy) -> bool:
    return received_at - policy.max_backlog <= t <= received_at + policy.future_tolerance


def _rollover_fix(t: datetime, received_at: datetime, policy: ClockPolicy) -> datetime | None:
    for k in range(1, policy.max_rollovers + 1):
        candidate = t + k * GPS_WEEK_ROLLOVER
        if _plausible(candidate, received_at, policy):
            return candidate
    return None


def _describe(name: str, t: datetime, received_at: datetime, policy: ClockPolicy) -> str:
    if t > received_at:
        return (
            f"{name} {t.isoformat()} is {t - received_at} ahead of the receive time "
            f"{received_at.isoformat()}; at most {policy.future_tolerance} is accepted"
        )
    return (
        f"{name} {t.isoformat()} is {received_at - t} behind the receive time "
        f"{received_at.isoformat()}; at most {policy.max_backlog} of backlog is accepted "
        "and it is not a GPS week rollover"
    )


def check_clock(
    event: TelemetryEvent, received_at: datetime, policy: ClockPolicy = ClockPolicy()
) -> ClockVerdict:
    """Accept, correct (with a flag) or quarantine an event by its device and fix times."""
    updates: dict[str, object] = {}
    flags: list[ClockFlag] = list(event.clock_flags)
    for name, flag, original in (
        ("device_time", ClockFlag.DEVICE_TIME_GPS_WEEK_ROLLOVER, "original_device_time"),
        ("fix_time", ClockFlag.FIX_TIME_GPS_WEEK_ROLLOVER, "original_fix_time"),
    ):
        t: datetime | None = getattr(event, name)
        if t is None or _plausible(t, received_at, policy):
            continue
        fixed = _rollover_fix(t, received_at, policy)
        if fixed is None:
            return ClockVerdict(
                ClockOutcome.QUARANTINED, event, _describe(name, t, received_at, policy)
            )
        updates[name] = fixed
        updates[original] = t
        flags.append(flag)
    if not updates:
        return ClockVerdict(ClockOutcome.ACCEPTED, event)
    updates["clock_flags"] = tuple(flags)
    corrected = event.model_copy(update=updates)
    reason = ", ".join(f"{f.value}" for f in flags)
    return ClockVerdict(ClockOutcome.CORRECTED, corrected, reason)
