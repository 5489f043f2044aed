"""The scenario generator: determinism, labelled faults found, robustness faults silent."""

from __future__ import annotations

from smartcustoms.transit.corridors import CorridorGeometry
from smartcustoms.transit.engine import TripMonitor
from smartcustoms.transit.scenario import FaultKind, Scenario, generate_scenario, score_scenario

F = FaultKind


def run(scenario: Scenario) -> TripMonitor:
    monitor = TripMonitor(scenario.trip, CorridorGeometry(scenario.corridor))
    for d in scenario.deliveries:
        monitor.receive(d.payload, d.kind, d.received_at)
    return monitor


def test_same_seed_same_bytes() -> None:
    a, b = generate_scenario(11), generate_scenario(11)
    assert a.deliveries == b.deliveries and a.labels == b.labels
    assert generate_scenario(12).deliveries != a.deliveries


def test_movement_faults_are_found_without_false_alerts() -> None:
    scenario = generate_scenario(21, faults=(F.DETOUR, F.TAMPER, F.GNSS_LOSS, F.LONG_STOP))
    monitor = run(scenario)
    score = score_scenario(scenario, monitor.alerts)
    assert all(found for _, found in score.detected), score
    assert all(ok for _, ok in score.verdicts), monitor.alerts


def test_robustness_faults_raise_nothing_and_are_counted() -> None:
    scenario = generate_scenario(
        5, faults=(F.COVERAGE_GAP, F.DUPLICATES, F.CLOCK_SKEW, F.GPS_ROLLOVER))
    monitor = run(scenario)
    assert monitor.alerts == []
    counts = {label.kind: label.count for label in scenario.labels}
    assert monitor.counters.duplicates == counts[F.DUPLICATES]
    assert monitor.counters.quarantined == counts[F.CLOCK_SKEW]
    assert monitor.counters.corrected == counts[F.GPS_ROLLOVER]
    assert monitor.counters.late > 0  # the backfill came newest-first
    replayed = TripMonitor.replay(scenario.trip, CorridorGeometry(scenario.corridor), monitor.log)
    assert replayed.alerts == monitor.alerts and replayed.counters == monitor.counters
