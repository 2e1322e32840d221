// roadcam: a defect's audit trail (who changed what, when) and its review status in the map's
// detail panel. map.js calls roadcamHistory.show(defect) when a defect is selected.
"use strict";
window.roadcamHistory = {
  async show(d) {
    const box = document.getElementById("detail-history");
    if (!box) return;
    box.replaceChildren();
    const review = document.createElement("p");
    review.id = "detail-review";
    const by = d.reviewed_by ? ` by ${d.reviewed_by}` : "";
    const why = d.reject_reason ? ` (${d.reject_reason.replaceAll("_", " ")})` : "";
    review.textContent = `review: ${d.review_status}${why}${by}`;
    box.appendChild(review);
    const r = await roadcamAuth.fetch(`/defects/${d.id}/history`);
    if (!r.ok) return;
    const ol = document.createElement("ol");
    for (const e of (await r.json()).events) {
      const li = document.createElement("li");
      const change = e.from_value || e.to_value ? `: ${e.from_value || "–"} → ${e.to_value || "–"}` : "";
      li.textContent = `${e.at.slice(0, 16).replace("T", " ")} ${e.actor} ${e.action}${change}${e.note ? ` (${e.note})` : ""}`;
      ol.appendChild(li);
    }
    box.appendChild(ol);
  },
};
