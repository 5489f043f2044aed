"""Clock faults: far future quarantined, GPS week rollover corrected with a flag."""

from __future__ import annotations

from datetime import timedelta

from smartcustoms.transit.clock import GPS_WEEK_ROLLOVER, ClockOutcome, check_clock
from smartcustoms.transit.events import ClockFlag

from .conftest import T0, make_event


def test_plausible_time_is_accepted_unchanged() -> None:
    event = make_event(0, 1.0)
    verdict = check_clock(event, T0 + timedelta(seconds=20))
    assert verdict.outcome is ClockOutcome.ACCEPTED and verdict.event is event


def test_far_future_is_quarantined_with_a_reason() -> None:
    event = make_event(0, 1.0)
    verdict = check_clock(event, T0 - timedelta(days=2))
    assert verdict.outcome is ClockOutcome.QUARANTINED
    assert verdict.reason is not None and "ahead of the receive time" in verdict.reason
    assert verdict.event is event  # nothing rewritten


def test_small_drift_ahead_is_tolerated() -> None:
    assert check_clock(make_event(0, 1.0), T0 - timedelta(minutes=4)).outcome is (
        ClockOutcome.ACCEPTED)


def test_gps_week_rollover_is_corrected_and_flagged() -> None:
    true = make_event(0, 1.0)
    rolled = true.model_copy(update={"device_time": true.device_time - GPS_WEEK_ROLLOVER,
                                     "fix_time": true.fix_time - GPS_WEEK_ROLLOVER})
    verdict = check_clock(rolled, T0 + timedelta(seconds=30))
    assert verdict.outcome is ClockOutcome.CORRECTED
    fixed = verdict.event
    assert fixed.device_time == true.device_time and fixed.fix_time == true.fix_time
    assert fixed.original_device_time == rolled.device_time
    assert set(fixed.clock_flags) == {ClockFlag.DEVICE_TIME_GPS_WEEK_ROLLOVER,
                                      ClockFlag.FIX_TIME_GPS_WEEK_ROLLOVER}


def test_only_the_fix_time_rolled_over() -> None:
    true = make_event(0, 1.0)
    rolled = true.model_copy(update={"fix_time": true.fix_time - 2 * GPS_WEEK_ROLLOVER})
    verdict = check_clock(rolled, T0 + timedelta(seconds=30))
    assert verdict.event.clock_flags == (ClockFlag.FIX_TIME_GPS_WEEK_ROLLOVER,)
    assert verdict.event.device_time == true.device_time


def test_old_time_that_is_no_rollover_is_quarantined() -> None:
    verdict = check_clock(make_event(0, 1.0), T0 + timedelta(days=30))
    assert verdict.outcome is ClockOutcome.QUARANTINED
    assert "not a GPS week rollover" in (verdict.reason or "")
