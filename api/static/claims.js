// Repair claims: the inspectors' queue, each claim's before/after crops and the decision form,
// and links to the payment report. Only an inspector's decision makes a claim payable.
"use strict";

const $ = (id) => document.getElementById(id);
let current = null;

function query() {
  const p = new URLSearchParams();
  const c = $("contractor").value.trim();
  if (c) p.set("contractor", c);
  if ($("from").value) p.set("claimed_from", $("from").value);
  if ($("to").value) p.set("claimed_to", $("to").value);
  if ($("status").value) p.set("status", $("status").value);
  return p;
}

function reportLinks() {
  const p = new URLSearchParams();
  const c = $("contractor").value.trim();
  if (c) p.set("contractor", c);
  if ($("from").value) p.set("from", $("from").value);
  if ($("to").value) p.set("to", $("to").value);
  $("report-html").href = `/repair-claims/report?${p}&format=html`;
  $("report-csv").href = `/repair-claims/report?${p}&format=csv`;
}

async function loadClaims() {
  reportLinks();
  const r = await roadcamAuth.fetch(`/repair-claims?${query()}`);
  const body = await r.json();
  const tbody = document.querySelector("#claims tbody");
  tbody.replaceChildren();
  for (const c of body.claims) {
    const tr = document.createElement("tr");
    tr.dataset.claimId = c.id;
    for (const v of [c.id, c.contractor, c.reference, c.claimed_at.slice(0, 10),
      c.verdict || "not checked yet", c.status]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.append(td);
    }
    tr.lastChild.className = c.status;
    tr.addEventListener("click", () => showClaim(c.id));
    tbody.append(tr);
  }
  $("claims-status").textContent = `${body.count} claims`;
}

function crops(claim, kind) {
  const views = (claim.evidence && claim.evidence[kind]) || [];
  const out = [];
  let n = 0;
  for (const v of views) {
    if (!v.crop) continue;
    const img = document.createElement("img");
    roadcamAuth.imageInto(img, `/repair-claims/${claim.id}/crops/${kind}/${n}`);
    img.alt = `${kind} frame ${v.frame_index}`;
    img.title = `frame ${v.frame_index}, ${v.forward_m} m ahead, detector ${v.detector_confidence}`;
    img.className = `crop-${kind}`;
    out.push(img);
    n += 1;
  }
  if (!out.length) out.push(document.createTextNode("no crop"));
  return out;
}

async function showClaim(id) {
  const r = await roadcamAuth.fetch(`/repair-claims/${id}`);
  if (!r.ok) return;
  const c = await r.json();
  current = c;
  document.querySelectorAll("#claims tbody tr").forEach((tr) =>
    tr.classList.toggle("selected", tr.dataset.claimId === String(id)));
  $("claim-detail").hidden = false;
  $("claim-title").textContent =
    `Claim ${c.id}: defect ${c.defect_id}, ${c.contractor} ${c.reference}`;
  $("claim-verdict").textContent = c.verdict
    ? `Footage proposes: ${c.verdict} (${c.verdict_reason}). A proposal only.`
    : "Not checked by footage yet.";
  $("before").replaceChildren(...crops(c, "before"));
  $("after").replaceChildren(...crops(c, "after"));
  $("claim-decision").textContent = c.decided_by
    ? `Decision: ${c.status} by ${c.decided_by}: ${c.decision_reason}`
    : "Awaiting an inspector's decision.";
  $("decide-message").textContent = "";
}

async function decide(status) {
  if (!current) return;
  const r = await roadcamAuth.fetch(`/repair-claims/${current.id}/decision`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ status, reason: $("reason").value }),
  });
  const body = await r.json();
  if (!r.ok) {
    $("decide-message").textContent = `Not saved: ${JSON.stringify(body.detail)}`;
    return;
  }
  $("decide-message").textContent = `Claim ${body.id} ${body.status} by ${body.decided_by}`;
  await loadClaims();
  await showClaim(body.id);
}

$("decide").addEventListener("submit", (ev) => {
  ev.preventDefault();
  decide(ev.submitter ? ev.submitter.value : "verified");
});
$("apply").addEventListener("click", loadClaims);
const params = new URLSearchParams(location.search);
if (params.get("contractor")) $("contractor").value = params.get("contractor");
loadClaims().then(() => { if (params.get("claim")) showClaim(params.get("claim")); });
