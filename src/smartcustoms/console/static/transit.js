/* Transit pages: Leaflet maps drawn without a basemap, the trip replay, and the live
   alert queue (WebSocket). The pages work without this script; it only adds to them.
   Everything is built with DOM calls and textContent (no HTML strings from data), and
   styled through classes (the CSP forbids inline style attributes). */
(function () {
  "use strict";

  var EARTH_CIRCUMFERENCE_M = 40075016.686;

  // Leaflet puts a string tooltip in with innerHTML: names typed by users (corridors,
  // zones) must go in as text, so tooltips get a text node, never a string.
  function text(value) {
    return document.createTextNode(String(value));
  }

  function readData() {
    var el = document.getElementById("transit-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  // ------------------------------------------------------------------ map drawing

  function newMap(el) {
    // EPSG:3857 as a tiled map would use, but no tile layer: nothing leaves the server.
    return L.map(el, { crs: L.CRS.EPSG3857, attributionControl: false, zoomSnap: 0.5 });
  }

  // A corridor's buffer as a polyline as wide as the corridor: pixels per metre depend
  // on the zoom and the latitude, so the weight follows the zoom.
  function bandWeight(map, lat, widthM) {
    var metresPerPixel = EARTH_CIRCUMFERENCE_M * Math.cos(lat * Math.PI / 180) /
      Math.pow(2, map.getZoom() + 8);
    // At least 8 px: a 1 km band is under a pixel when a whole corridor is in view.
    return Math.max(8, 2 * widthM / metresPerPixel);
  }

  function drawCorridor(map, corridor) {
    var midLat = corridor.route[Math.floor(corridor.route.length / 2)][0];
    var band = L.polyline(corridor.route, { className: "corridor-band", interactive: false });
    band.addTo(map);
    L.polyline(corridor.route, { className: "corridor-line", weight: 2 })
      .bindTooltip(text(corridor.name + " (" + corridor.width_m + " m each side)"))
      .addTo(map);
    map.on("zoomend", function () {
      band.setStyle({ weight: bandWeight(map, midLat, corridor.width_m) });
    });
    corridor.zones.forEach(function (zone) { drawZone(map, zone); });
    return band;
  }

  // A zone at its true size, and a dot of fixed size that stays visible zoomed out.
  function drawZone(map, zone) {
    var kind = "zone-" + zone.kind;
    var options = { className: "zone " + kind, weight: 1 };
    var shape = zone.centre ? L.circle(zone.centre, L.extend({ radius: zone.radius_m }, options))
      : L.polygon(zone.polygon, options);
    var label = zone.name + " — " + zone.kind.replace(/_/g, " ") +
      (zone.office ? " (" + zone.office + ")" : "");
    shape.bindTooltip(text(label)).addTo(map);
    L.circleMarker(zone.centre || shape.getBounds().getCenter(),
      { className: "zone-dot " + kind, radius: 5, weight: 1 }).bindTooltip(text(label)).addTo(map);
  }

  // The track in runs of points inside or outside the corridor, one polyline per run;
  // a run starts at the previous run's last point so the line has no gaps.
  function drawTrack(map, track) {
    var runs = [];
    track.forEach(function (p, i) {
      var inside = p.inside !== false;
      var last = runs[runs.length - 1];
      if (!last || last.inside !== inside) {
        last = { inside: inside, points: i > 0 ? [[track[i - 1].lat, track[i - 1].lon]] : [] };
        runs.push(last);
      }
      last.points.push([p.lat, p.lon]);
    });
    runs.forEach(function (run) {
      L.polyline(run.points, { className: run.inside ? "track-inside" : "track-outside" })
        .addTo(map);
    });
  }

  function boundsOf(corridors, track) {
    var bounds = L.latLngBounds([]);
    corridors.forEach(function (c) { bounds.extend(c.route); });
    (track || []).forEach(function (p) { bounds.extend([p.lat, p.lon]); });
    return bounds;
  }

  function fit(map, bounds) {
    if (bounds.isValid()) {
      map.fitBounds(bounds, { paddingTopLeft: [20, 45], paddingBottomRight: [20, 20] });
    } else {
      map.setView([0, 20], 3);
    }
    map.fire("zoomend");  // size the corridor bands for the first zoom
  }

  // ------------------------------------------------------------------ overview map

  var tripMarkers = {};

  function showTrips(map, trips) {
    trips.forEach(function (trip) {
      if (!trip.last) { return; }
      var at = [trip.last.lat, trip.last.lon];
      var marker = tripMarkers[trip.ref];
      if (marker) {
        marker.setLatLng(at);
        return;
      }
      marker = L.marker(at, { title: trip.ref, alt: "Last position of " + trip.ref })
        .bindTooltip(text(trip.ref + " · " + trip.last.t.slice(0, 16).replace("T", " ")))
        .on("click", function () { window.location.assign(trip.href); });
      marker.addTo(map);
      tripMarkers[trip.ref] = marker;
    });
  }

  function showTripRows(trips) {
    trips.forEach(function (trip) {
      var row = document.querySelector("#trips tr[data-trip='" + trip.ref + "']");
      if (!row) { return; }
      var seal = row.querySelector(".seal-cell .seal");
      seal.className = "seal seal-" + trip.seal_state;
      seal.textContent = trip.seal_state;
      row.querySelector(".progress").textContent = (trip.progress * 100).toFixed(1) + " %";
    });
  }

  function refreshTrips(map) {
    fetch("/console/transit/map.json", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) {
          showTrips(map, data.trips);
          showTripRows(data.trips);
        }
      })
      .catch(function () { /* the next change tries again */ });
  }

  // ------------------------------------------------------------------ replay

  function fmtTime(ms) {
    return new Date(ms).toISOString().slice(0, 19).replace("T", " ") + " UTC";
  }

  function lastAtOrBefore(times, t) {
    var lo = 0, hi = times.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (times[mid] <= t) { lo = mid; } else { hi = mid - 1; }
    }
    return lo;
  }

  function setText(id, text) {
    document.getElementById(id).textContent = text;
  }

  function showState(point, t) {
    setText("replay-time", fmtTime(t));
    setText("replay-position", point.lat.toFixed(5) + ", " + point.lon.toFixed(5));
    setText("replay-speed", point.speed_kmh === null ? "—" : point.speed_kmh.toFixed(0) + " km/h");
    setText("replay-seal", point.seal || "—");
    var where = point.inside === null ? "—" : (point.inside ? "inside" : "outside");
    if (point.off_m !== null) { where += " (" + Math.round(point.off_m) + " m from the centreline)"; }
    setText("replay-corridor", where);
  }

  function setupReplay(map, track) {
    var box = document.getElementById("replay");
    if (!box || track.length === 0) { return; }
    var times = track.map(function (p) { return Date.parse(p.t); });
    var t0 = times[0];
    var slider = document.getElementById("replay-slider");
    var play = document.getElementById("replay-play");
    var marker = L.circleMarker([track[0].lat, track[0].lon],
      { className: "replay-marker", radius: 7 }).addTo(map);
    slider.max = String(Math.round((times[times.length - 1] - t0) / 1000));
    slider.value = slider.max;
    function update() {
      var t = t0 + Number(slider.value) * 1000;
      var point = track[lastAtOrBefore(times, t)];
      marker.setLatLng([point.lat, point.lon]);
      slider.setAttribute("aria-valuetext", fmtTime(t));
      showState(point, t);
    }
    var timer = null;
    function stop() {
      clearInterval(timer);
      timer = null;
      play.textContent = "Play";
      play.setAttribute("aria-pressed", "false");
    }
    play.addEventListener("click", function () {
      if (timer) { stop(); return; }
      if (slider.value === slider.max) { slider.value = "0"; }
      var stepS = Math.max(1, Math.round(Number(slider.max) / 300));
      play.textContent = "Pause";
      play.setAttribute("aria-pressed", "true");
      timer = setInterval(function () {
        slider.value = String(Math.min(Number(slider.max), Number(slider.value) + stepS));
        update();
        if (slider.value === slider.max) { stop(); }
      }, 50);
    });
    slider.addEventListener("input", update);
    box.hidden = false;
    update();
  }

  // ------------------------------------------------------------------ live queue

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    if (text !== null) { td.textContent = text; }
    row.appendChild(td);
    return td;
  }

  function link(parent, href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    parent.appendChild(a);
  }

  function span(parent, className, text) {
    var s = document.createElement("span");
    s.className = className;
    s.textContent = text;
    parent.appendChild(s);
    return s;
  }

  // The same row as templates/transit/_alert_row.html.
  function alertRow(view) {
    var a = view.alert;
    var tr = document.createElement("tr");
    tr.dataset.alertId = a.alert_id;
    tr.dataset.trip = a.trip_ref;
    tr.className = "sev-" + a.severity;
    span(cell(tr, null), "severity severity-" + a.severity, a.severity);
    link(cell(tr, null), "/console/transit/alerts/" + encodeURIComponent(a.alert_id), a.kind);
    link(cell(tr, null, "code"), "/console/transit/trips/" + encodeURIComponent(a.trip_ref), a.trip_ref);
    var time = document.createElement("time");
    time.dateTime = a.opened_at;
    time.textContent = a.opened_at.slice(0, 16).replace("T", " ");
    cell(tr, null, "nowrap").appendChild(time);
    cell(tr, a.detail, "detail");
    var caseCell = cell(tr, null, "case");
    span(caseCell, "case-status case-" + view.case_status, view.case_status);
    if (view.assignee) { span(caseCell, "assignee", " → " + view.assignee); }
    return tr;
  }

  function rowOf(body, alertId) {
    for (var i = 0; i < body.rows.length; i++) {
      if (body.rows[i].dataset.alertId === alertId) { return body.rows[i]; }
    }
    return null;
  }

  function strike(row, note) {
    if (!row || row.classList.contains("retracted")) { return; }
    row.classList.add("retracted");
    span(row.cells[row.cells.length - 1], "retracted-note", " " + note);
  }

  function fresh(row) {
    row.classList.add("fresh");
    setTimeout(function () { row.classList.remove("fresh"); }, 4000);
  }

  // One pushed change applied to the queue's rows.
  function applyChange(body, msg) {
    var view = msg.alert;
    var id = view.alert.alert_id;
    var row = rowOf(body, id);
    if (msg.change === "retracted") {
      strike(row, "retracted by late data");
      return;
    }
    if (msg.replaces) { strike(rowOf(body, msg.replaces), "retracted by late data, re-issued"); }
    if (view.case_status === "resolved" || view.engine_state !== "active") {
      if (row) { row.remove(); }
      return;
    }
    var replacement = alertRow(view);
    if (row) {
      body.replaceChild(replacement, row);
    } else {
      body.insertBefore(replacement, body.firstChild);  // newest first
    }
    fresh(replacement);
  }

  function recount(body) {
    var counts = {};
    var total = 0;
    Array.prototype.forEach.call(body.rows, function (r) {
      if (r.classList.contains("retracted")) { return; }
      counts[r.dataset.trip] = (counts[r.dataset.trip] || 0) + 1;
      total += 1;
    });
    document.getElementById("queue-count").textContent = String(total);
    var empty = document.getElementById("queue-empty");
    if (empty) { empty.hidden = total > 0; }
    document.querySelectorAll("#trips tr[data-trip]").forEach(function (tr) {
      tr.querySelector(".open-alerts").textContent = String(counts[tr.dataset.trip] || 0);
    });
  }

  function setStatus(state, text) {
    var el = document.getElementById("live-status");
    el.dataset.state = state;
    el.textContent = text;
  }

  // After a lost connection the queue may have missed changes: take the server's.
  function resync(body) {
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var rows = doc.getElementById("queue-rows");
        if (rows) { body.replaceChildren.apply(body, Array.from(rows.childNodes)); }
        recount(body);
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  function connect(body, onChange) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + "/console/transit/ws";
    var delay = 1000;
    var lost = false;
    function open() {
      var ws = new WebSocket(url);
      ws.addEventListener("open", function () {
        delay = 1000;
        setStatus("live", "live");
        if (lost) { resync(body); }
      });
      ws.addEventListener("message", function (event) {
        applyChange(body, JSON.parse(event.data));
        recount(body);
        onChange();
      });
      ws.addEventListener("close", function () {
        lost = true;
        setStatus("lost", "live updates lost: reconnecting…");
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    open();
  }

  // ------------------------------------------------------------------ pages

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function start() {
    var data = readData();
    var el = document.getElementById("transit-map");
    if (!data || !el || !window.L) { return; }
    var map = newMap(el);
    data.corridors.forEach(function (c) { drawCorridor(map, c); });
    var track = data.track || [];
    drawTrack(map, track);
    var replay = document.getElementById("replay");
    // An alert's page frames its track excerpt; the other pages their corridors.
    fit(map, boundsOf(track.length && !replay ? [] : data.corridors, track));
    if (data.trips) { showTrips(map, data.trips); }
    if (track.length && replay) {
      var last = track[track.length - 1];
      L.marker([last.lat, last.lon], { title: "last position", alt: "Last position" })
        .bindTooltip(text("last position · " + last.t.slice(0, 16).replace("T", " "))).addTo(map);
    }
    setupReplay(map, track);
    var queue = document.getElementById("queue-rows");
    if (queue && window.WebSocket) {
      connect(queue, debounce(function () { refreshTrips(map); }, 500));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
