"""One class per rule, driven through a TripMonitor on the straight test corridor."""

from __future__ import annotations

import random
from datetime import timedelta

from smartcustoms.transit.alerts import AlertKind
from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.engine import TripMonitor
from smartcustoms.transit.events import SealStatus, TamperFlag
from smartcustoms.transit.rules import Thresholds, check_duplicate_seal_use, thresholds_for
from smartcustoms.transit.seals import SealState
from smartcustoms.transit.trips import RiskLevel, Trip

from .conftest import T0, command, drive, feed, halt, make_event, make_trip


def kinds(monitor: TripMonitor) -> list[AlertKind]:
    return [a.kind for a in monitor.alerts]


def raised_count(results: list, kind: AlertKind) -> int:
    return sum(1 for r in results for a in r.diff.raised if a.kind is kind)


class TestRouteDeviation:
    def test_raised_after_min_time_and_closed_on_return(self, monitor: TripMonitor) -> None:
        events = drive(0, 10, 0) + drive(10, 10, 10, offset=lambda i: 1500) + drive(20, 10, 20)
        feed(monitor, events)
        [alert] = monitor.alerts
        assert alert.kind is AlertKind.ROUTE_DEVIATION
        assert alert.opened_at == T0 + timedelta(minutes=10)
        assert alert.closed_at == T0 + timedelta(minutes=20)
        assert alert.thresholds["width_m"] == 500
        assert alert.measurements["max_outside_m"] > 950

    def test_short_excursion_is_not_a_deviation(self, monitor: TripMonitor) -> None:
        feed(monitor, drive(0, 10, 0) + drive(10, 2, 10, offset=lambda i: 900) + drive(12, 5, 12))
        assert monitor.alerts == []

    def test_gnss_noise_and_outliers_do_not_flap(self, monitor: TripMonitor) -> None:
        rng = random.Random(7)

        def noisy(i: int) -> float:
            if rng.random() < 0.05:
                return rng.choice((-1, 1)) * rng.uniform(550, 900)  # lone outlier
            return rng.gauss(0, 30)

        results = feed(monitor, drive(0, 90, 0, kmh=60, offset=noisy))
        assert kinds(monitor) == []
        assert raised_count(results, AlertKind.ROUTE_DEVIATION) == 0

    def test_hysteresis_on_the_way_back(self, monitor: TripMonitor) -> None:
        wobble = [530, 460, 520, 450, 540, 470, 510, 480]  # around the 500 m edge
        events = (drive(0, 5, 0) + drive(5, 8, 5, offset=lambda i: 1200)
                  + drive(13, 8, 13, offset=lambda i: wobble[i]) + drive(21, 5, 21))
        results = feed(monitor, events)
        assert kinds(monitor) == [AlertKind.ROUTE_DEVIATION]
        assert raised_count(results, AlertKind.ROUTE_DEVIATION) == 1
        assert monitor.alerts[0].closed_at == T0 + timedelta(minutes=21)

    def test_edge_noise_without_a_real_excursion(self, monitor: TripMonitor) -> None:
        rng = random.Random(3)
        feed(monitor, drive(0, 60, 0, offset=lambda i: 470 + rng.gauss(0, 20)))
        assert kinds(monitor) == []


class TestUnscheduledStop:
    def test_long_stop_outside_zones(self, monitor: TripMonitor) -> None:
        feed(monitor, drive(0, 20, 0) + halt(20, 40, 20) + drive(60, 5, 20))
        [alert] = monitor.alerts
        assert alert.kind is AlertKind.UNSCHEDULED_STOP
        assert alert.opened_at == T0 + timedelta(minutes=20)
        assert alert.raised_at == T0 + timedelta(minutes=50)
        assert alert.closed_at == T0 + timedelta(minutes=60)

    def test_one_outlier_fix_does_not_split_a_stop(self, monitor: TripMonitor) -> None:
        stop = halt(20, 40, 20)
        stop[15] = make_event(35, 20, 700, speed=0.4)  # GNSS outlier while parked
        feed(monitor, drive(0, 20, 0) + stop + drive(60, 5, 20))
        [alert] = monitor.alerts
        assert alert.opened_at == T0 + timedelta(minutes=20)

    def test_stop_in_a_rest_area_is_exempt(self, monitor: TripMonitor) -> None:
        feed(monitor, drive(0, 50, 0) + halt(50, 60, 50) + drive(110, 5, 50))
        assert kinds(monitor) == []

    def test_short_stop_is_fine(self, monitor: TripMonitor) -> None:
        feed(monitor, drive(0, 10, 0) + halt(10, 20, 10) + drive(30, 5, 10))
        assert kinds(monitor) == []

    def test_high_risk_trips_wait_less(self, geometry: CorridorGeometry) -> None:
        monitor = TripMonitor(make_trip(risk=RiskLevel.HIGH), geometry)
        feed(monitor, drive(0, 10, 0) + halt(10, 20, 10) + drive(30, 5, 10))
        assert kinds(monitor) == [AlertKind.UNSCHEDULED_STOP]
        assert thresholds_for(RiskLevel.HIGH).stop_max_s == Thresholds().stop_max_s / 2


class TestOverdue:
    def test_at_risk_then_overdue(self, geometry: CorridorGeometry) -> None:
        monitor = TripMonitor(make_trip(time_limit=T0 + timedelta(hours=1)), geometry)
        feed(monitor, drive(0, 70, 0, kmh=30))
        at_risk, overdue = monitor.alerts
        assert at_risk.kind is AlertKind.AT_RISK_OF_OVERDUE
        assert at_risk.opened_at == T0  # 100 km at 60 km/h cannot make 1 h minus 30 min
        assert overdue.kind is AlertKind.OVERDUE
        assert overdue.opened_at == T0 + timedelta(hours=1)

    def test_overdue_found_by_a_tick_when_the_device_is_silent(
        self, geometry: CorridorGeometry
    ) -> None:
        monitor = TripMonitor(make_trip(time_limit=T0 + timedelta(hours=3)), geometry)
        feed(monitor, drive(0, 10, 0))
        assert kinds(monitor) == []
        diff = monitor.tick(T0 + timedelta(hours=4))
        assert {a.kind for a in diff.raised} == {AlertKind.OVERDUE, AlertKind.SILENT_DEVICE}

    def test_no_overdue_after_arrival(self, monitor: TripMonitor) -> None:
        dest_km = 99.9
        monitor.receive_command(command("assign", -5), T0)
        monitor.receive_command(command("arm", -4), T0)
        feed(monitor, halt(-3, 3, 0) + drive(0, 100, 0) + halt(100, 10, dest_km))
        monitor.receive_command(command("confirm_arrival", 109), T0 + timedelta(minutes=110))
        monitor.tick(T0 + timedelta(hours=8))
        assert monitor.seal.state is SealState.ARRIVED
        assert kinds(monitor) == []


class TestSilenceGnssTemperatureBattery:
    def test_silent_device(self, monitor: TripMonitor) -> None:
        feed(monitor, drive(0, 10, 0) + drive(40, 10, 40))
        [alert] = monitor.alerts
        assert alert.kind is AlertKind.SILENT_DEVICE
        assert alert.opened_at == T0 + timedelta(minutes=9)
        assert alert.closed_at == T0 + timedelta(minutes=40)

    def test_a_corridor_with_poor_coverage_waits_longer(self, trip: Trip,
                                                        geometry: CorridorGeometry) -> None:
        """The corridor's own silence threshold (45 min) over the default (20 min)."""
        patient = CorridorGeometry(geometry.corridor.model_copy(
            update={"thresholds": {"silence_s": 2700.0}}))
        monitor = TripMonitor(trip, patient)
        feed(monitor, drive(0, 10, 0) + drive(40, 10, 40))
        assert monitor.alerts == []
        assert monitor.thresholds.silence_s == 2700.0

    def test_gnss_loss_needs_its_minimum_duration(self, monitor: TripMonitor) -> None:
        no_fix = [make_event(10 + i, None, speed=None) for i in range(15)]
        stale = [make_event(25 + i, 25, fix_time=T0 + timedelta(minutes=20)) for i in range(3)]
        feed(monitor, drive(0, 10, 0) + no_fix + stale + drive(28, 5, 28))
        [alert] = monitor.alerts
        assert alert.kind is AlertKind.GNSS_LOSS
        assert alert.opened_at == T0 + timedelta(minutes=10)
        assert alert.closed_at == T0 + timedelta(minutes=28)

    def test_temperature_excursion_with_duration(self, geometry: CorridorGeometry) -> None:
        monitor = TripMonitor(make_trip(temperature_range_c=(2.0, 8.0)), geometry)
        temps = [5.0] * 5 + [12.0] * 8 + [5.0] * 5 + [11.0] * 20 + [5.0] * 3
        feed(monitor, [make_event(i, i, temperature_c=t) for i, t in enumerate(temps)])
        [alert] = monitor.alerts
        assert alert.kind is AlertKind.TEMPERATURE_EXCURSION
        assert alert.opened_at == T0 + timedelta(minutes=18)
        assert alert.measurements["max_excess_c"] == 3.0

    def test_low_battery_rearms_only_above_the_margin(self, monitor: TripMonitor) -> None:
        levels = [20, 14, 16, 14, 13, 30, 10]
        feed(monitor, [make_event(i, i, battery_pct=b) for i, b in enumerate(levels)])
        alerts = [a for a in monitor.alerts if a.kind is AlertKind.LOW_BATTERY]
        assert len(alerts) == 2
        assert alerts[0].closed_at == T0 + timedelta(minutes=5)


class TestSealTamper:
    def _armed(self, monitor: TripMonitor) -> None:
        monitor.receive_command(command("assign", -5), T0)
        monitor.receive_command(command("arm", -4), T0)
        feed(monitor, halt(-3, 3, 0))

    def test_tamper_flag_in_transit(self, monitor: TripMonitor) -> None:
        self._armed(monitor)
        cut = make_event(10, 10, tamper_flags=(TamperFlag.WIRE_CUT,),
                         seal_status=SealStatus.BROKEN)
        events = [*drive(0, 10, 0), cut, *drive(11, 5, 11)]
        feed(monitor, events)
        [alert] = monitor.alerts
        assert alert.kind is AlertKind.SEAL_TAMPER and alert.subject == "SEAL-TEST-1"
        assert "wire_cut" in alert.detail or "broken" in alert.detail
        assert monitor.seal.state is SealState.TAMPERED

    def test_authorised_opening_at_the_office_is_not_tamper(self, monitor: TripMonitor) -> None:
        self._armed(monitor)
        feed(monitor, drive(0, 100, 0) + halt(100, 5, 99.9))
        monitor.receive_command(command("authorise_opening", 105), T0 + timedelta(minutes=105))
        opened = [make_event(105.5 + i, 99.9, speed=0, seal_status=SealStatus.OPENED)
                  for i in range(5)]
        feed(monitor, opened)
        monitor.receive_command(command("confirm_arrival", 111), T0 + timedelta(minutes=111))
        assert kinds(monitor) == []
        assert monitor.seal.state is SealState.ARRIVED

    def test_authorisation_in_a_rest_area_is_refused_then_opening_is_tamper(
        self, monitor: TripMonitor
    ) -> None:
        self._armed(monitor)
        feed(monitor, drive(0, 50, 0) + halt(50, 5, 50))
        monitor.receive_command(command("authorise_opening", 55), T0 + timedelta(minutes=55))
        feed(monitor, [make_event(56, 50, speed=0, seal_status=SealStatus.OPENED)])
        assert kinds(monitor) == [AlertKind.SEAL_TAMPER]
        assert any("cannot take authorise_opening" in r for r in monitor.refusals)


def test_duplicate_seal_use_across_trips() -> None:
    first = make_trip()
    second = make_trip(reference="25KE000000000002X9", departure_at=T0 + timedelta(hours=2),
                       time_limit=T0 + timedelta(hours=9))
    third = make_trip(reference="25KE000000000003X9", departure_at=T0 + timedelta(hours=10),
                      time_limit=T0 + timedelta(hours=15))
    [alert] = check_duplicate_seal_use([first, second, third])
    assert alert.trip_ref == second.reference and alert.kind is AlertKind.DUPLICATE_SEAL_USE
    assert alert.measurements["other_trip"] == first.reference
    assert check_duplicate_seal_use([first, second],
                                    arrivals={first.reference: T0 + timedelta(hours=1)}) == []
