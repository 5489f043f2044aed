"""The raw-log file format: a write and a read give the records back byte for byte, and
no line, whatever it holds, makes the reader raise."""

from __future__ import annotations

from datetime import timedelta

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.transit.engine import RawRecord, RecordKind
from smartcustoms.transit.epcis import export_epcis_json
from smartcustoms.transit.rawfile import (
    FileRecord,
    LineError,
    read_raw_records,
    write_raw_records,
)

from .conftest import T0, command, make_event, make_trip, payload


def _records() -> list[RawRecord]:
    event = make_event(1, 5.0)
    return [
        RawRecord(0, T0, RecordKind.TELEMETRY_JSON, payload(event)),
        RawRecord(1, T0 + timedelta(seconds=1), RecordKind.TELEMETRY_JSON,
                  b'{ "device_id": "ESEAL-TEST-1" }'),  # not compact: kept as text
        RawRecord(2, T0 + timedelta(seconds=2), RecordKind.TELEMETRY_EPCIS,
                  export_epcis_json(make_trip(), [event], creation_date=T0)),
        RawRecord(3, T0 + timedelta(seconds=3), RecordKind.COMMAND,
                  command("arm", 0).model_dump_json().encode()),
        RawRecord(4, T0 + timedelta(seconds=4), RecordKind.TICK, T0.isoformat().encode()),
        RawRecord(5, T0 + timedelta(seconds=5), RecordKind.TELEMETRY_JSON, b"\xff\xfe junk"),
    ]


def test_write_then_read_gives_the_same_records() -> None:
    records = _records()
    lines = list(write_raw_records(records, trip="25KE000000000001X9"))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert orjson.loads(lines[0])["payload"]["device_id"] == "ESEAL-TEST-1"  # readable
    assert "payload_base64" in orjson.loads(lines[5])
    back = [item for _, item in read_raw_records(lines)]
    assert all(isinstance(r, FileRecord) for r in back)
    assert [(r.received_at, r.kind, r.payload) for r in back] == [
        (r.received_at, r.kind, r.payload) for r in records]
    assert {r.trip for r in back if isinstance(r, FileRecord)} == {"25KE000000000001X9"}


def test_bare_events_and_epcis_are_received_at_device_time() -> None:
    event = make_event(3, 7.0)
    doc = export_epcis_json(make_trip(), [event, make_event(4, 8.0)], creation_date=T0)
    got = dict(read_raw_records(["", payload(event).decode(), "  \n", doc]))
    assert sorted(got) == [2, 4]
    assert isinstance(got[2], FileRecord) and got[2].kind is RecordKind.TELEMETRY_JSON
    assert got[2].received_at == event.device_time and got[2].trip is None
    assert isinstance(got[4], FileRecord) and got[4].kind is RecordKind.TELEMETRY_EPCIS
    assert got[4].received_at == T0 + timedelta(minutes=4)


def test_bad_lines_name_line_field_value_and_what_is_accepted() -> None:
    lines = [
        "not json",
        '{"received_at": "yesterday", "kind": "tick"}',
        '{"received_at": "2025-03-03T08:00:00", "kind": "tick"}',
        '{"received_at": "2025-03-03T08:00:00+00:00", "kind": "fax", "payload": "x"}',
        '{"received_at": "2025-03-03T08:00:00+00:00", "kind": "command", "payload": 3}',
        '{"received_at": "2025-03-03T08:00:00+00:00", "kind": "tick", "colour": "red"}',
        '{"device_id": "ESEAL-TEST-1", "device_time": "2025-03-03T08:00:00+00:00", "lat": 99}',
        "[]",
        "42",
    ]
    errors = [item for _, item in read_raw_records(lines)]
    assert all(isinstance(e, LineError) for e in errors)
    by_line = {e.line_no: e for e in errors if isinstance(e, LineError)}
    assert sorted(by_line) == list(range(1, 10))
    assert by_line[1].field == "(line)" and "not JSON" in by_line[1].detail
    assert (by_line[2].field, by_line[2].value) == ("received_at", "yesterday")
    assert "offset" in by_line[3].detail
    assert by_line[4].field == "kind" and "telemetry/json" in by_line[4].detail
    assert by_line[5].field == "payload"
    assert by_line[6].field == "colour"
    assert by_line[7].field == "lat" and by_line[7].value == 99
    assert "less than or equal to 90" in by_line[7].detail
    assert by_line[8].field == "(line)" and by_line[9].field == "(line)"
    assert by_line[2].as_dict() == {"line": 2, "field": "received_at", "value": "yesterday",
                                    "detail": by_line[2].detail}


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["received_at", "kind", "payload", "trip",
                                       "payload_base64", "device_id", "device_time",
                                       "@context", "type", "x"]), inner, max_size=5),
    max_leaves=12,
)


def _line(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return "null"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=200), st.text(max_size=200),
                          _JSONISH.map(_line)), max_size=8))
def test_no_line_crashes_the_reader(lines: list[str | bytes]) -> None:
    for line_no, item in read_raw_records(lines):
        assert 1 <= line_no <= len(lines)
        if isinstance(item, LineError):
            assert item.line_no == line_no and item.detail
            orjson.dumps(item.as_dict())  # reportable as JSON
        else:
            assert isinstance(item, FileRecord) and isinstance(item.payload, bytes)
