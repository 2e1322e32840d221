// roadcam review queue: the next proposed finding with its evidence; confirm (c), reject (r,
// reason 1-4), next (n); filters by class, road and survey; confirm many at once; history.
"use strict";
const state = { items: [], current: null, waiting: 0, after: 0 };
function $(id) { return document.getElementById(id); }

async function api(url, options = {}) {
  const r = await roadcamAuth.fetch(url, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : `${r.status} ${r.statusText}`);
  return body;
}

function filters() {
  const p = new URLSearchParams();
  if ($("f-class").value) p.append("class", $("f-class").value);
  if ($("f-segment").value.trim()) p.append("segment_id", $("f-segment").value.trim());
  if ($("f-survey").value) p.append("survey_id", $("f-survey").value);
  return p;
}

async function loadQueue(after) {
  const p = filters();
  p.set("after_id", String(after));
  p.set("limit", "20");
  const q = await api(`/review/queue?${p}`);
  state.items = q.items;
  state.waiting = q.waiting;
  $("queue-status").textContent = `${q.waiting} findings waiting for review`;
  renderBulk();
  show(q.items[0] || null);
}

function field(dl, name, value) {
  const dt = document.createElement("dt"); dt.textContent = name;
  const dd = document.createElement("dd"); dd.textContent = value == null ? "" : String(value);
  dl.append(dt, dd);
}

async function show(d) {
  state.current = d;
  $("finding").hidden = !d;
  $("empty").hidden = !!d;
  $("review-message").textContent = "";
  document.body.dataset.current = d ? String(d.id) : "";
  if (!d) { document.body.dataset.ready = "1"; return; }
  $("finding-title").textContent = `#${d.id} ${d.class_name.replace("_", " ")} – ${d.review_status}`;
  const dl = $("finding-fields");
  dl.replaceChildren();
  field(dl, "road", d.segment_id);
  field(dl, "chainage", d.chainage_m != null ? `${d.chainage_m.toFixed(1)} m` : "");
  field(dl, "width", d.max_width_m != null ? `${d.max_width_m.toFixed(2)} m` : "");
  field(dl, "sightings", d.sightings);
  field(dl, "confidence", d.best_confidence.toFixed(2));
  field(dl, "last seen", d.last_seen.slice(0, 16).replace("T", " "));
  $("d-class").value = d.class_name;
  $("d-risk").value = d.risk_category || "";
  $("d-note").value = "";
  $("crop").hidden = $("frame").hidden = true;
  if (d.has_image) {
    roadcamAuth.imageInto($("crop"), `/defects/${d.id}/crop`);
    roadcamAuth.imageInto($("frame"), `/defects/${d.id}/image`);
  }
  await loadHistory(d.id);
  document.body.dataset.ready = "1";
}

async function loadHistory(id) {
  const h = await api(`/defects/${id}/history`);
  const ol = $("history");
  ol.replaceChildren();
  for (const e of h.events) {
    const li = document.createElement("li");
    const change = e.from_value || e.to_value ? `: ${e.from_value || "–"} → ${e.to_value || "–"}` : "";
    li.textContent = `${e.at.slice(0, 16).replace("T", " ")} ${e.actor} ${e.action}${change}${e.note ? ` (${e.note})` : ""}`;
    ol.appendChild(li);
  }
  if (!h.events.length) ol.innerHTML = "<li>proposed by the pipeline; no decisions yet</li>";
}

async function decide(action) {
  const d = state.current;
  if (!d) return;
  const body = { action, note: $("d-note").value || null };
  if (action === "reject") body.reason = $("d-reason").value;
  else {
    if ($("d-class").value !== d.class_name) body.class_name = $("d-class").value;
    if ($("d-risk").value.trim()) body.risk_category = $("d-risk").value.trim();
  }
  try {
    const out = await api(`/defects/${d.id}/review`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    state.current = out;
    $("finding-title").textContent = `#${out.id} ${out.class_name.replace("_", " ")} – ${out.review_status}`;
    $("review-message").textContent = `#${out.id} ${out.review_status}${out.reject_reason ? ` (${out.reject_reason})` : ""}`;
    await loadHistory(out.id);
  } catch (e) {
    $("review-message").textContent = `Not saved: ${e.message}`;
  }
}

async function next() {
  const d = state.current;
  await loadQueue(d ? d.id : state.after);
}

function renderBulk() {
  const ol = $("bulk-list");
  ol.replaceChildren();
  for (const d of state.items) {
    const li = document.createElement("li");
    const box = document.createElement("input");
    box.type = "checkbox"; box.value = String(d.id); box.name = "bulk";
    const label = document.createElement("label");
    label.append(box, ` #${d.id} ${d.class_name} on ${d.segment_id || "?"} (conf. ${d.best_confidence.toFixed(2)})`);
    li.appendChild(label);
    ol.appendChild(li);
  }
  $("bulk-count").textContent = `(${state.items.length} of ${state.waiting})`;
}

async function bulkConfirm() {
  const ids = [...document.querySelectorAll("input[name=bulk]:checked")].map((b) => Number(b.value));
  if (!ids.length) return;
  try {
    const out = await api("/review/confirm", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ids }),
    });
    await loadQueue(0);
    $("review-message").textContent = `${out.confirmed} findings confirmed`;
  } catch (e) {
    $("review-message").textContent = `Not saved: ${e.message}`;
  }
}

document.addEventListener("keydown", (ev) => {
  if (["INPUT", "SELECT", "TEXTAREA"].includes(ev.target.tagName) || ev.ctrlKey || ev.metaKey) return;
  const reasons = { 1: "false_positive", 2: "duplicate", 3: "off_highway", 4: "other" };
  if (ev.key === "c") decide("confirm");
  else if (ev.key === "r") decide("reject");
  else if (ev.key === "n" || ev.key === "ArrowRight") next();
  else if (reasons[ev.key]) $("d-reason").value = reasons[ev.key];
  else return;
  ev.preventDefault();
});
$("confirm").addEventListener("click", () => decide("confirm"));
$("reject").addEventListener("click", () => decide("reject"));
$("next").addEventListener("click", next);
$("apply-filters").addEventListener("click", () => loadQueue(0));
$("bulk-confirm").addEventListener("click", bulkConfirm);
if (!roadcamAuth.token()) roadcamAuth.toLogin();
else loadQueue(0).catch((e) => { $("queue-status").textContent = `Could not load: ${e.message}`; });
