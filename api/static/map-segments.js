// roadcam web map, roads: colour the segments by hierarchy category, condition or marking wear
// (a switch with a legend), and show a clicked segment's category, frequency, condition and the
// reasons for each change (GET /segments/{id}/hierarchy).
"use strict";
(() => {
  const rc = window.roadcam;
  const CATEGORY = {
    "2": ["#08306b", "2 strategic route"], "3a": ["#2171b5", "3a main distributor"],
    "3b": ["#6baed6", "3b secondary distributor"], "4a": ["#e6550d", "4a link road"],
    "4b": ["#fdae6b", "4b local access"], minor: ["#969696", "minor road"], lane: ["#74c476", "lane"],
  };
  const CONDITION = {
    "1": ["#1a9641", "1 no deterioration"], "2": ["#a6d96a", "2"], "3": ["#ffd92f", "3"],
    "4": ["#fdae61", "4"], "5": ["#d7191c", "5 severe"],
  };
  // Marking wear: the measured wear of each painted line per 10 m run (GET /markings/runs/geojson),
  // 0 = as new, 1 = gone. A road takes its worst run's colour; the runs are drawn over the roads.
  const NONE = "#9e9e9e";
  const RAMP = [[0, [26, 150, 65]], [0.5, [255, 217, 47]], [1, [215, 25, 28]]];
  function wearColour(w) {
    const v = Math.min(Math.max(w, 0), 1);
    const i = v <= 0.5 ? 0 : 1;
    const [w0, c0] = RAMP[i], [w1, c1] = RAMP[i + 1], t = (v - w0) / (w1 - w0);
    const hex = (k) => Math.round(c0[k] + (c1[k] - c0[k]) * t).toString(16).padStart(2, "0");
    return `#${hex(0)}${hex(1)}${hex(2)}`;
  }
  rc.wearColour = wearColour;
  let worstWear = new Map();   // segment_id -> worst wear of its runs
  const wearLayer = L.geoJSON(null, {
    style: (f) => ({ color: wearColour(f.properties.wear), opacity: 1,
                     weight: f.properties.above_threshold ? 8 : 4 }),
    onEachFeature: (f, layer) => {
      const p = f.properties;
      const change = p.change === null ? "" : `, ${p.change >= 0 ? "+" : ""}${p.change.toFixed(2)} since the last drive${p.changed ? " (more than the repeatability)" : ""}`;
      layer.bindPopup(`${p.line_kind} line (${p.marking_type}), ${p.start_m.toFixed(0)}–${p.end_m.toFixed(0)} m: ` +
        `wear ${p.wear.toFixed(2)}${change}${p.above_threshold ? "; above the re-lining threshold" : ""}; ` +
        `${p.frames.length} frame(s)`);
    },
  });
  rc.wearLayer = wearLayer;
  const colourings = {
    category: {
      title: "Hierarchy category (recommended, else current)",
      colour: (p) => (CATEGORY[p.recommended_category || p.current_category] || [NONE])[0],
      legend: () => Object.values(CATEGORY),
    },
    condition: {
      title: "Condition (camera evidence, indicative)",
      colour: (p) => (CONDITION[p.condition] || [NONE])[0],
      legend: () => Object.values(CONDITION),
    },
    wear: {
      title: "Marking wear (measured; thick: above the re-lining threshold)",
      colour: (p) => (worstWear.has(p.segment_id) ? wearColour(worstWear.get(p.segment_id)) : NONE),
      legend: () => [[wearColour(0), "0 as new"], [wearColour(0.25), "0.25"], [wearColour(0.5), "0.5"],
                     [wearColour(0.75), "0.75"], [wearColour(1), "1 gone"]],
      layer: wearLayer,
    },
  };
  rc.colourings = colourings;   // another layer (e.g. measured wear) can add an entry here

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => { const d = L.DomUtil.create("div", "legend"); d.id = "legend"; return d; };
  legend.addTo(rc.map);

  function current() { return colourings[document.getElementById("colour-by").value]; }

  function restyle() {
    const c = current();
    rc.segmentLayer.setStyle((f) => ({ color: c.colour(f.properties), weight: 5, opacity: 0.9 }));
    for (const other of Object.values(colourings)) {
      if (other.layer && other !== c) rc.map.removeLayer(other.layer);
    }
    if (c.layer) c.layer.addTo(rc.map);
    const div = document.getElementById("legend");
    div.dataset.colouring = document.getElementById("colour-by").value;
    div.replaceChildren();
    const h = document.createElement("strong"); h.textContent = c.title; div.appendChild(h);
    for (const [colour, label] of [...c.legend(), [NONE, c.layer ? "not measured" : "no data"]]) {
      const row = document.createElement("div");
      const sw = document.createElement("i"); sw.style.background = colour;
      row.append(sw, document.createTextNode(label));
      div.appendChild(row);
    }
  }

  async function loadWear(bbox) {  // bbox: the segments were loaded for what is on screen
    const where = bbox ? `?bbox=${bbox}&limit=50000` : "?limit=50000";
    const fc = await rc.getJSON(`/markings/runs/geojson${where}`);
    worstWear = new Map();
    for (const f of fc.features) {
      const s = f.properties.segment_id;
      worstWear.set(s, Math.max(worstWear.get(s) ?? 0, f.properties.wear));
    }
    wearLayer.clearLayers();
    wearLayer.addData(fc);
  }

  function field(dl, name, value) {
    if (value === null || value === undefined || value === "") return;
    const dt = document.createElement("dt"); dt.textContent = name;
    const dd = document.createElement("dd"); dd.textContent = value;
    dl.append(dt, dd);
  }

  async function showSegment(id) {
    const h = await rc.getJSON(`/segments/${encodeURIComponent(id)}/hierarchy`);
    document.getElementById("segment-detail").hidden = false;
    document.getElementById("segment-detail").dataset.segment = id;
    document.getElementById("segment-title").textContent = `${h.name || "(unnamed road)"} – ${id}`;
    const dl = document.getElementById("segment-fields");
    dl.replaceChildren();
    const arrow = (a, b) => (a && b && a !== b ? `${a} → ${b}` : a || b || "not reviewed");
    field(dl, "class", h.road_class);
    field(dl, "length", `${h.length_m.toFixed(0)} m`);
    field(dl, "category", arrow(h.current_category, h.recommended_category));
    field(dl, "inspection", arrow(h.inspection_frequency, h.recommended_frequency));
    field(dl, "condition", h.condition || "no camera evidence");
    const ul = document.getElementById("segment-reasons");
    ul.replaceChildren();
    const reasons = (h.reasons || "").split(/;\s*/).filter(Boolean);
    for (const o of h.overrides || []) reasons.push(`override to ${o.category} by ${o.author || "?"}: ${o.reason}`);
    for (const r of reasons.length ? reasons : ["no review yet"]) {
      const li = document.createElement("li"); li.textContent = r; ul.appendChild(li);
    }
  }
  rc.showSegment = showSegment;

  rc.segmentHooks.push(async (features, bbox) => {
    rc.segmentLayer.eachLayer((layer) => layer.on("click", (e) => {
      L.DomEvent.stopPropagation(e);
      showSegment(layer.feature.properties.segment_id);
    }));
    await loadWear(bbox).catch(() => {});
    restyle();
  });
  document.getElementById("colour-by").addEventListener("change", restyle);
})();
