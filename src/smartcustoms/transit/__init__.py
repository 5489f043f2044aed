"""Transit monitoring core (issue #7): events, clock checks, corridors, seal state
machine, rules, per-trip evaluation with late-event retraction, scenarios, EPCIS export.

Pure library: no database, HTTP, MQTT or console here. The adapters (MQTT intake, HTTPS
batch upload, console, CLI replay) call ``TripMonitor`` through a service to come.
"""

from smartcustoms.transit._sample_corridors import SAMPLE_CORRIDORS, sample_corridor
from smartcustoms.transit.alerts import (
    Alert,
    AlertCase,
    AlertDiff,
    AlertKind,
    CaseStatus,
    ResolutionReason,
    Severity,
    acknowledge,
    assign,
    diff_alerts,
    open_case,
    resolve,
    retract_case,
)
from smartcustoms.transit.clock import ClockOutcome, ClockPolicy, ClockVerdict, check_clock
from smartcustoms.transit.corridors import (
    Corridor,
    CorridorGeometry,
    LocalProjection,
    StopZone,
    ZoneKind,
    load_corridor,
)
from smartcustoms.transit.decode import decode_command, decode_epcis, decode_json
from smartcustoms.transit.engine import (
    IngestResult,
    MemoryRawLog,
    RawLog,
    RawRecord,
    RecordKind,
    TripMonitor,
)
from smartcustoms.transit.epcis import export_epcis, export_epcis_json
from smartcustoms.transit.errors import (
    AlertTransitionRefused,
    CorridorInvalid,
    EventInvalid,
    SealTransitionRefused,
    TripInvalid,
)
from smartcustoms.transit.events import (
    ClockFlag,
    CommandKind,
    SealCommand,
    SealStatus,
    TamperFlag,
    TelemetryEvent,
)
from smartcustoms.transit.evidence import build_evidence_pack, evidence_json
from smartcustoms.transit.rules import Thresholds, check_duplicate_seal_use, thresholds_for
from smartcustoms.transit.seals import Seal, SealState, SealTrigger, transition
from smartcustoms.transit.trips import RiskLevel, Trip, load_trip

__all__ = [
    "SAMPLE_CORRIDORS",
    "Alert",
    "AlertCase",
    "AlertDiff",
    "AlertKind",
    "AlertTransitionRefused",
    "CaseStatus",
    "ClockFlag",
    "ClockOutcome",
    "ClockPolicy",
    "ClockVerdict",
    "CommandKind",
    "Corridor",
    "CorridorGeometry",
    "CorridorInvalid",
    "EventInvalid",
    "IngestResult",
    "LocalProjection",
    "MemoryRawLog",
    "RawLog",
    "RawRecord",
    "RecordKind",
    "ResolutionReason",
    "RiskLevel",
    "Seal",
    "SealCommand",
    "SealState",
    "SealStatus",
    "SealTransitionRefused",
    "SealTrigger",
    "Severity",
    "StopZone",
    "TamperFlag",
    "TelemetryEvent",
    "Thresholds",
    "Trip",
    "TripInvalid",
    "TripMonitor",
    "ZoneKind",
    "acknowledge",
    "assign",
    "build_evidence_pack",
    "check_clock",
    "check_duplicate_seal_use",
    "decode_command",
    "decode_epcis",
    "decode_json",
    "diff_alerts",
    "evidence_json",
    "export_epcis",
    "export_epcis_json",
    "load_corridor",
    "load_trip",
    "open_case",
    "resolve",
    "retract_case",
    "sample_corridor",
    "thresholds_for",
    "transition",
]
