"""The evidence pack as a PDF, for a case file or a court: the same content as the JSON
pack (``evidence.build_evidence_pack``) laid out for reading, with a map of the track.

The PDF states the SHA-256 of the JSON pack it was made from, so the two can be tied
together later. fpdf2 core fonts (Latin-1); text outside it is replaced, never dropped
silently (a "?" shows where). Deterministic: the creation date is the pack's own time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

from fpdf import FPDF

from smartcustoms.transit.corridors import Corridor
from smartcustoms.transit.evidence import evidence_json

_W = 515.0  # printable width in points (A4, 40 pt margins)
_MAX_EVENT_ROWS = 60


def _latin1(text: object) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


class _Doc:
    def __init__(self, title: str, created: dt.datetime) -> None:
        self.pdf = FPDF(unit="pt", format="A4")
        self.pdf.set_margins(40, 40, 40)
        self.pdf.set_auto_page_break(True, margin=40)
        self.pdf.set_creation_date(created)
        self.pdf.set_title(_latin1(title))
        self.pdf.set_creator("smartcustoms transit monitoring")
        self.pdf.add_page()

    def heading(self, text: str, size: float = 13) -> None:
        self.pdf.set_font("Helvetica", "B", size)
        self.pdf.ln(6)
        self.pdf.cell(_W, size + 4, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    def pairs(self, rows: Iterable[tuple[str, object]]) -> None:
        for label, value in rows:
            self.pdf.set_font("Helvetica", "B", 9)
            self.pdf.cell(175, 13, _latin1(label))
            self.pdf.set_font("Helvetica", "", 9)
            self.pdf.multi_cell(_W - 175, 13, _latin1("-" if value in (None, "") else value),
                                new_x="LMARGIN", new_y="NEXT")

    def table(self, header: Sequence[str], widths: Sequence[float],
              rows: Iterable[Sequence[object]]) -> None:
        self.pdf.set_font("Helvetica", "B", 8)
        for text, width in zip(header, widths, strict=True):
            self.pdf.cell(width, 12, _latin1(text), border="B")
        self.pdf.ln(12)
        self.pdf.set_font("Helvetica", "", 8)
        for row in rows:
            for value, width in zip(row, widths, strict=True):
                self.pdf.cell(width, 11, _latin1("" if value is None else value))
            self.pdf.ln(11)

    def text(self, text: str, size: float = 8) -> None:
        self.pdf.set_font("Helvetica", "", size)
        self.pdf.multi_cell(_W, size + 3, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _track_map(doc: _Doc, pack: dict[str, Any], corridor: Corridor | None,
               height: float = 260.0) -> None:
    """The track over the corridor's centreline and zones, in a local equirectangular
    frame around the track (enough for a few hundred km; north up)."""
    points = [(p["lon"], p["lat"], p["distance_from_centreline_m"]) for p in pack["track"]
              if p["lon"] is not None]
    if not points:
        doc.text("No position fixes in the alert's window.")
        return
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    lat0 = math.radians(sum(lats) / len(lats))
    span_x = max((max(lons) - min(lons)) * math.cos(lat0), 1e-4)
    span_y = max(max(lats) - min(lats), 1e-4)
    scale = min(_W / span_x, height / span_y) * 0.85
    x0 = doc.pdf.l_margin + _W / 2
    y_top = doc.pdf.get_y() + 4
    y0 = y_top + height / 2
    clon, clat = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (x0 + (lon - clon) * math.cos(lat0) * scale, y0 - (lat - clat) * scale)

    pdf = doc.pdf
    pdf.set_draw_color(180, 180, 180)
    pdf.rect(doc.pdf.l_margin, y_top, _W, height)
    width_m = pack["corridor"].get("width_m") or 0
    pt_per_m = scale / 111_320  # metres to degrees of latitude to points
    # Text outside the clip first: leaving the clip's graphics state restores the font,
    # which fpdf2 does not track, so text drawn after it could come out in the old font.
    _scale_bar(pdf, pdf.l_margin + 10, y_top + height - 12, pt_per_m)
    pdf.set_draw_color(215, 215, 215)
    pdf.set_line_width(max(2.0, 2 * width_m * pt_per_m))  # both sides, to scale
    if corridor is not None:
        with pdf.rect_clip(doc.pdf.l_margin, y_top, _W, height):
            route = [xy(lon, lat) for lon, lat in corridor.route]
            for a, b in itertools.pairwise(route):
                pdf.line(*a, *b)
            pdf.set_line_width(0.8)
            pdf.set_draw_color(40, 110, 200)
            for zone in corridor.zones:
                if zone.polygon is not None:
                    ring = [xy(lon, lat) for lon, lat in (*zone.polygon, zone.polygon[0])]
                    for a, b in itertools.pairwise(ring):
                        pdf.line(*a, *b)
                    label_at = ring[0]
                else:
                    assert zone.centre is not None and zone.radius_m is not None
                    cx, cy = xy(*zone.centre)
                    r = zone.radius_m * pt_per_m
                    pdf.ellipse(cx - r, cy - r, 2 * r, 2 * r)
                    label_at = (cx + r + 2, cy)
                pdf.text(*label_at, _latin1(zone.name))
    pdf.set_line_width(1.2)
    for a, b in itertools.pairwise(points):
        off = b[2] is not None and b[2] > width_m
        pdf.set_draw_color(*((200, 30, 30) if off else (20, 20, 20)))
        pdf.line(*xy(a[0], a[1]), *xy(b[0], b[1]))
    pdf.set_line_width(0.6)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(y_top + height + 4)
    doc.text(f"Grey: the corridor, {width_m:.0f} m each side of the centreline, to scale; "
             "blue: authorised zones; "
             "black: track inside the corridor; red: outside it. North up.")


def _scale_bar(pdf: FPDF, x: float, y: float, pt_per_m: float) -> None:
    """A bar of a round length (1, 2 or 5 x 10^n m) close to 100 pt."""
    target = 100 / pt_per_m
    exponent = 10 ** math.floor(math.log10(target))
    metres = max(m * exponent for m in (1, 2, 5) if m * exponent <= target)
    length = metres * pt_per_m
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.8)
    pdf.line(x, y, x + length, y)
    pdf.line(x, y - 3, x, y + 3)
    pdf.line(x + length, y - 3, x + length, y + 3)
    pdf.set_font("Helvetica", "", 7)
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    pdf.text(x + length + 4, y + 2, label)


def evidence_pdf(pack: dict[str, Any], corridor: Corridor | None = None) -> bytes:
    """Render an evidence pack (as ``build_evidence_pack`` makes it, case included)."""
    alert = pack["alert"]
    trip = pack["trip"]
    created = dt.datetime.fromisoformat(alert["raised_at"])
    doc = _Doc(f"Transit alert {alert['alert_id']}", created)
    doc.heading(f"Transit alert: {alert['kind'].replace('_', ' ')} ({alert['severity']})", 15)
    doc.text(alert["detail"], 10)
    doc.heading("Alert")
    doc.pairs([("Alert id", alert["alert_id"]), ("Subject", alert["subject"]),
               ("Opened (device time)", alert["opened_at"]), ("Closed", alert["closed_at"]),
               ("Raised (device time)", alert["raised_at"])])
    doc.heading("Rule and thresholds")
    doc.pairs([("Rule", pack["rule"]["name"]),
               *((f"threshold: {k}", v) for k, v in sorted(pack["rule"]["thresholds"].items())),
               *((f"measured: {k}", v) for k, v in sorted(alert["measurements"].items()))])
    doc.heading("Trip")
    doc.pairs([("MRN", trip["reference"]), ("Declaration", trip["declaration_ref"]),
               ("Container", trip["container_id"]), ("Seals", ", ".join(trip["seal_ids"])),
               ("Device", trip["device_id"]),
               ("Offices", f"{trip['office_of_departure']} -> {trip['office_of_destination']}"),
               ("Time limit", trip["time_limit"]), ("Risk", trip["risk"]),
               ("Corridor", f"{pack['corridor']['name']} ({pack['corridor']['corridor_id']}, "
                            f"{pack['corridor']['width_m']:.0f} m each side"
                            f"{', SYNTHETIC sample' if pack['corridor']['synthetic'] else ''})")])
    case = pack.get("case")
    if case:
        doc.heading("Case")
        doc.pairs([("Status", case["status"]), ("Engine", case["engine_state"]),
                   ("Assignee", case["assignee"]), ("Resolution", case["reason"])])
        doc.table(["at", "by", "status", "note"], [150, 110, 80, 175],
                  ([h["at"], h["actor"], h["status"], h.get("note", "")]
                   for h in case["history"]))
    doc.heading("Track around the alert")
    _track_map(doc, pack, corridor)
    events = pack["events"]
    doc.heading(f"Reports during the episode ({len(events)})")
    shown = events[:_MAX_EVENT_ROWS]
    doc.table(["device time", "seq", "lat", "lon", "km/h", "seal", "temp C", "batt %", "flags"],
              [120, 40, 55, 55, 40, 45, 40, 40, 80],
              ([e["device_time"][:19], e.get("device_seq"), e.get("lat"), e.get("lon"),
                e.get("speed_kmh"), e.get("seal_status"), e.get("temperature_c"),
                e.get("battery_pct"), " ".join(e.get("tamper_flags") or ())]
               for e in shown))
    if len(events) > len(shown):
        doc.text(f"... and {len(events) - len(shown)} more in the JSON pack.")
    if pack["commands"]:
        doc.heading("Officer commands during the episode")
        doc.table(["issued", "kind", "officer", "office"], [150, 120, 140, 105],
                  ([c["issued_at"][:19], c["kind"], c["officer_id"], c.get("office")]
                   for c in pack["commands"]))
    digest = hashlib.sha256(evidence_json(pack)).hexdigest()
    doc.heading("Integrity", 10)
    doc.text(f"Evidence pack version {pack['pack_version']}; SHA-256 of the JSON pack: "
             f"{digest}")
    return bytes(doc.pdf.output())
