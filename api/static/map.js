// roadcam web map: the road network, defects coloured by class, a list, and a detail panel
// where engineers close/reopen defects and inspectors decide claimed repairs (claim-decision.js).
// Other features plug in through window.roadcam hooks (map-segments.js, map-tools.js):
//   queryHooks: (URLSearchParams) => void    add filters to every defect query
//   segmentHooks / defectHooks: (features) => void   after segments / defects are drawn
"use strict";
const CLASS_COLOURS = { pothole: "#d7191c", crack: "#fdae61", faded_marking: "#2c7bb6", skip: "#7b3294" };
const ACTIONS = {
  open: [["closed", "Close (not a defect / done)"]],
  repair_claimed: [["verified_repaired", "Verify repaired"], ["still_present", "Still present"]],
  verified_repaired: [["still_present", "Still present"], ["closed", "Close"]],
  still_present: [["closed", "Close"]],
  closed: [["open", "Reopen"]],
};
const map = L.map("map", { preferCanvas: true, zoomControl: true }).setView([51.386, 0.55], 15);
const segmentLayer = L.geoJSON(null, { style: () => ({ color: "#556", weight: 3, opacity: 0.7 }) }).addTo(map);
const defectLayer = L.layerGroup().addTo(map);
const markers = new Map();
let selectedId = null;
const hooks = { queryHooks: [], segmentHooks: [], defectHooks: [] };
let scale = null;  // above 5,000 matching defects, api/static/scale_layer.js draws them all
window.roadcam = { map, markers, segmentLayer, ...hooks };  // for add-ons, tests and the console

function $(id) { return document.getElementById(id); }
function setStatus(text) { $("status-line").textContent = text; }

async function getJSON(url, options) {
  const r = await roadcamAuth.fetch(url, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : `${r.status} ${r.statusText}`);
  return body;
}

function query() {
  const p = new URLSearchParams();
  document.querySelectorAll("input[name=class]:checked").forEach((el) => p.append("class", el.value));
  const status = $("status-filter").value;
  if (status) p.append("status", status);
  else ["open", "repair_claimed", "still_present"].forEach((s) => p.append("status", s));
  hooks.queryHooks.forEach((add) => add(p));
  return p;
}

// A network of more than SEGMENTS_AT_ONCE segments is loaded by what is on screen, from
// SEGMENT_ZOOM on (the first view is the network's extent from /segments/summary).
const SEGMENTS_AT_ONCE = 5000, SEGMENT_ZOOM = 14;

async function loadSegments() {
  const summary = await getJSON("/segments/summary");
  if (summary.segments > SEGMENTS_AT_ONCE) {
    const [w, s, e, n] = summary.bbox;
    map.fitBounds([[s, w], [n, e]], { padding: [20, 20] });
    map.on("moveend", () => loadSegmentsInView().catch((err) => setStatus(`error: ${err.message}`)));
    await loadSegmentsInView();
    return summary.segments;
  }
  const fc = await getJSON("/segments/geojson");
  segmentLayer.clearLayers();
  segmentLayer.addData(fc);
  if (fc.features.length) map.fitBounds(segmentLayer.getBounds(), { padding: [20, 20] });
  hooks.segmentHooks.forEach((h) => h(fc.features));
  return fc.features.length;
}

async function loadSegmentsInView() {
  if (map.getZoom() < SEGMENT_ZOOM) { segmentLayer.clearLayers(); return 0; }
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
  const fc = await getJSON(`/segments/geojson?bbox=${bbox}&limit=${SEGMENTS_AT_ONCE}`);
  segmentLayer.clearLayers();
  segmentLayer.addData(fc);
  segmentLayer.bringToBack();  // under the defects drawn before them
  hooks.segmentHooks.forEach((h) => h(fc.features, bbox));
  return fc.features.length;
}

async function loadDefects() {
  const p = query();
  if (!p.getAll("class").length) { renderDefects([]); return 0; }
  if (scale || (await getJSON(`/defects?${p}&limit=1`)).total > 5000) {
    renderDefects([]);
    scale = scale ? (scale.refresh(), scale) : roadcamScaleLayer(map, { query, onSelect: select, onCount: setStatus });
    return null;
  }
  const fc = await getJSON(`/defects/geojson?${p}`);
  renderDefects(fc.features);
  hooks.defectHooks.forEach((h) => h(fc.features, p));
  return fc.features.length;
}

function renderDefects(features) {
  defectLayer.clearLayers();
  markers.clear();
  const list = $("defect-list");
  list.replaceChildren();
  for (const f of features) {
    const d = f.properties;
    const [lon, lat] = f.geometry.coordinates;
    const m = L.circleMarker([lat, lon], {
      radius: 7, color: "#000", weight: 1, fillColor: CLASS_COLOURS[d.class_name] || "#333", fillOpacity: 0.9,
    }).bindTooltip(`${d.class_name} #${d.id}`);
    m.on("click", () => select(d.id));
    m.addTo(defectLayer);
    markers.set(d.id, m);
    const li = document.createElement("li");
    li.dataset.id = d.id;
    li.textContent = `#${d.id} ${d.class_name} – ${d.sightings} sighting${d.sightings === 1 ? "" : "s"}, ${d.status.replaceAll("_", " ")}`;
    li.addEventListener("click", () => select(d.id));
    list.appendChild(li);
  }
  $("defect-count").textContent = `(${features.length})`;
}

function field(dl, name, value) {
  if (value === null || value === undefined || value === "") return;
  const dt = document.createElement("dt"); dt.textContent = name;
  const dd = document.createElement("dd"); dd.textContent = value;
  dl.append(dt, dd);
}

async function select(id) {
  selectedId = id;
  document.querySelectorAll("#defect-list li").forEach((li) => li.classList.toggle("selected", Number(li.dataset.id) === id));
  const d = await getJSON(`/defects/${id}`);
  $("detail").hidden = false;
  $("detail-title").textContent = `${d.class_name} #${d.id}`;
  const dl = $("detail-fields");
  dl.replaceChildren();
  field(dl, "status", d.status.replaceAll("_", " "));
  dl.lastChild && (dl.lastChild.className = `status-${d.status}`);
  field(dl, "segment", d.segment_id);
  field(dl, "chainage", d.chainage_m != null ? `${d.chainage_m.toFixed(1)} m` : "");
  field(dl, "width", d.max_width_m != null ? `${d.max_width_m.toFixed(2)} m (camera estimate)` : "");
  field(dl, "sightings", d.sightings);
  field(dl, "first seen", d.first_seen.slice(0, 16).replace("T", " "));
  field(dl, "last seen", d.last_seen.slice(0, 16).replace("T", " "));
  field(dl, "confidence", d.best_confidence.toFixed(2));
  field(dl, "risk", d.risk_category ? `${d.risk_category} (due ${(d.response_due || "").slice(0, 10)})` : "");
  const img = $("detail-image");
  img.hidden = !d.has_image;
  if (d.has_image) roadcamAuth.imageInto(img, `/defects/${id}/image`);
  const actions = $("actions");
  actions.replaceChildren();
  $("action-message").textContent = "";
  const claimed = d.status === "repair_claimed" && window.roadcamClaimDecision &&
    await roadcamClaimDecision.show(d, actions, async (i) => { await refresh(); await select(i); });
  for (const [status, label] of claimed ? [] : ACTIONS[d.status] || []) {
    const b = document.createElement("button");
    b.textContent = label;
    b.dataset.status = status;
    b.addEventListener("click", () => changeStatus(id, status));
    actions.appendChild(b);
  }
  if (window.roadcamHistory) roadcamHistory.show(d);
  const m = markers.get(id);
  if (m) map.panTo(m.getLatLng());
}

async function changeStatus(id, status) {
  try {
    await getJSON(`/defects/${id}/status`, {
      method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ status }),
    });
    $("action-message").textContent = `#${id} is now ${status.replaceAll("_", " ")}`;
    await refresh();
    await select(id);
  } catch (err) {
    $("action-message").textContent = `Not changed: ${err.message}`;
  }
}

async function refresh() {
  try {
    const n = await loadDefects();
    if (n !== null) setStatus(`${n} defects shown`);
  } catch (err) { setStatus(`error: ${err.message}`); }
}

async function addBaseMap() {
  // Optional base map from the settings (ROADCAM_MAP_TILE_URL); without it the map works offline.
  const cfg = await getJSON("/map/config").catch(() => ({}));
  if (cfg.tile_url) L.tileLayer(cfg.tile_url, { attribution: cfg.tile_attribution || "", maxZoom: 19 }).addTo(map);
}

Object.assign(window.roadcam, { refresh, getJSON, select, loadDefects });
document.querySelectorAll("#filters input, #filters select").forEach((el) => el.addEventListener("change", refresh));
window.addEventListener("load", async () => {
  try {
    await addBaseMap();
    const segs = await loadSegments();
    const n = await loadDefects();
    if (n !== null) setStatus(`${segs} road segments, ${n} defects shown`);
    document.body.dataset.ready = "1";
  } catch (err) { setStatus(`error: ${err.message}`); document.body.dataset.ready = "error"; }
});
