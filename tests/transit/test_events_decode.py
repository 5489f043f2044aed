"""Canonical event validation and the JSON / EPCIS 2.0 decoders."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcustoms.transit.decode import decode_command, decode_epcis, decode_json
from smartcustoms.transit.epcis import export_epcis, export_epcis_json
from smartcustoms.transit.errors import EventInvalid
from smartcustoms.transit.events import SealStatus, TamperFlag, TelemetryEvent, build_event

from .conftest import DEVICE, make_event, make_trip, payload


class TestTelemetryEvent:
    def test_error_names_field_value_and_expectation(self) -> None:
        with pytest.raises(EventInvalid, match=r"lat: Input should be less than or equal to 90"
                                               r"; got 91\.5") as info:
            build_event(device_id=DEVICE, device_time=datetime(2025, 1, 1, tzinfo=UTC),
                        lat=91.5, lon=10.0)
        assert info.value.errors[0].field == "lat"
        assert info.value.errors[0].value == 91.5

    def test_half_a_position_is_refused(self) -> None:
        with pytest.raises(EventInvalid, match="lon must be given together"):
            build_event(device_id=DEVICE, device_time=datetime(2025, 1, 1, tzinfo=UTC), lat=1.0)

    def test_naive_datetime_is_refused(self) -> None:
        with pytest.raises(EventInvalid, match="device_time"):
            build_event(device_id=DEVICE, device_time=datetime(2025, 1, 1))

    def test_content_hash_ignores_clock_corrections(self) -> None:
        event = make_event(0, 1.0)
        corrected = event.model_copy(update={"device_time": datetime(2030, 1, 1, tzinfo=UTC),
                                             "original_device_time": event.device_time})
        assert corrected.content_hash() == event.content_hash()


class TestDecodeJson:
    def test_single_object_and_batch(self) -> None:
        a, b = make_event(0, 1.0), make_event(1, 2.0)
        assert decode_json(payload(a)) == [a]
        batch = b"[" + payload(a) + b"," + payload(b) + b"]"
        assert decode_json(batch) == [a, b]

    def test_strict_types(self) -> None:
        body = {"device_id": DEVICE, "device_time": "2025-03-03T08:00:00Z", "device_seq": "7"}
        with pytest.raises(EventInvalid, match="device_seq: Input should be a valid integer"):
            decode_json(json.dumps(body))

    def test_batch_error_names_the_index(self) -> None:
        good = payload(make_event(0, 1.0))
        with pytest.raises(EventInvalid) as info:
            decode_json(b"[" + good + b',{"device_id": "x"}]')
        assert any(e.field.startswith("[1].") for e in info.value.errors)

    def test_devices_cannot_send_clock_flags(self) -> None:
        body = orjson.loads(payload(make_event(0, 1.0)))
        body["clock_flags"] = ["device_time_gps_week_rollover"]
        with pytest.raises(EventInvalid, match="clock_flags is set by the platform"):
            decode_json(orjson.dumps(body))

    def test_command(self) -> None:
        body = {"command_id": "CMD-1", "kind": "arm", "officer_id": "o", "seal_id": "S",
                "issued_at": "2025-03-03T08:00:00+00:00"}
        assert decode_command(json.dumps(body)).kind.value == "arm"
        with pytest.raises(EventInvalid, match="kind"):
            decode_command(json.dumps(body | {"kind": "explode"}))


SAMPLE_EPCIS = {
    "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2025-03-03T10:00:00Z",
    "epcisBody": {"eventList": [{
        "type": "ObjectEvent",
        "eventTime": "2025-03-03T11:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:giai:4000001.111"],
        "readPoint": {"id": "geo:1.00012,36.5"},
        "sensorElementList": [{
            "sensorMetadata": {"deviceID": DEVICE, "time": "2025-03-03T09:59:58Z"},
            "sensorReport": [
                {"type": "gs1:Temperature", "value": 41.0, "uom": "FAH"},
                {"type": "Speed", "value": 20.0, "uom": "MTS"},
                {"type": "gs1:AbsoluteHumidity", "value": 12.1, "uom": "A93"},
            ],
        }],
        "sc:deviceSequence": 12,
        "sc:sealStatus": "sealed",
    }]},
}


class TestDecodeEpcis:
    def test_sensor_element_list(self) -> None:
        [event] = decode_epcis(json.dumps(SAMPLE_EPCIS))
        assert event.device_id == DEVICE and event.device_seq == 12
        assert event.device_time == datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
        assert (event.lat, event.lon) == (1.00012, 36.5)
        assert event.temperature_c == pytest.approx(5.0)
        assert event.speed_kmh == pytest.approx(72.0)
        assert event.seal_status is SealStatus.SEALED
        assert event.fix_time is None  # the position came from readPoint, no fix time

    def test_bad_uom_names_the_path(self) -> None:
        doc = json.loads(json.dumps(SAMPLE_EPCIS))
        doc["epcisBody"]["eventList"][0]["sensorElementList"][0]["sensorReport"][0]["uom"] = "X"
        with pytest.raises(EventInvalid, match=r"eventList\[0\]\.sensorElementList\[0\]"
                                               r"\.sensorReport\[0\]\.uom: must be CEL"):
            decode_epcis(json.dumps(doc))

    def test_other_event_types_are_refused(self) -> None:
        with pytest.raises(EventInvalid, match="only ObjectEvent"):
            decode_epcis(json.dumps({"type": "EPCISDocument",
                                     "epcisBody": {"eventList": [{"type": "AggregationEvent"}]}}))

    def test_export_then_decode_round_trip(self) -> None:
        trip = make_trip()
        events = [
            make_event(0, 1.0, 20.0, temperature_c=4.25, battery_pct=88.5,
                       seal_status=SealStatus.SEALED),
            make_event(1, 2.0, speed=0.0, seal_status=SealStatus.OPENED,
                       tamper_flags=(TamperFlag.CASE_OPENED, TamperFlag.SHOCK)),
            make_event(2, None, battery_pct=12.0),
        ]
        doc = export_epcis(trip, events, creation_date=datetime(2025, 3, 3, tzinfo=UTC))
        assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
        element = doc["epcisBody"]["eventList"][0]["sensorElementList"][0]
        assert {"sensorMetadata", "sensorReport"} <= element.keys()
        blob = export_epcis_json(trip, events, creation_date=datetime(2025, 3, 3, tzinfo=UTC))
        assert decode_epcis(blob) == events


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=15), children, max_size=6),
    max_leaves=30,
)
_keys = st.sampled_from(["type", "eventTime", "epcisBody", "eventList", "sensorElementList",
                         "sensorMetadata", "sensorReport", "deviceID", "value", "uom",
                         "component", "readPoint", "id", "time", "device_id", "device_time",
                         "lat", "lon", "sc:deviceSequence", "sc:tamperFlags"])
_epcisish = st.recursive(
    st.none() | st.integers() | st.floats() | st.sampled_from(
        ["ObjectEvent", "EPCISDocument", "2025-03-03T08:00:00Z", "geo:1,2", "CEL", "latitude",
         "gs1:Temperature", "Speed", DEVICE, "sealed", "2025-13-01T00:00:00"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children,
                                                                      max_size=6),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, _epcisish))
def test_decoders_only_raise_event_invalid(value: object) -> None:
    text = json.dumps(value)
    for decode in (decode_json, decode_epcis):
        try:
            events = decode(text)
        except EventInvalid:
            continue
        assert all(isinstance(e, TelemetryEvent) for e in events)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_decoders_survive_arbitrary_bytes(blob: bytes) -> None:
    for decode in (decode_json, decode_epcis):
        with contextlib.suppress(EventInvalid):
            decode(blob)
